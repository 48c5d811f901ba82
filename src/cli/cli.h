#ifndef GPH_CLI_H
#define GPH_CLI_H
#include <stdarg.h>
#include <sched.h>
#include <stddef.h>
int gph_cmd_run(int argc, char **argv);
/* import, images, rmi (src/cli/images.c); argv[0] is the command */
int gph_cmd_images(int argc, char **argv);
struct gph_err;
/* --creds-file FILE: its one line "user:pass" into buf (kept out of the process list and shell
 * history); 0, or -1 with e set. */
int cli_read_creds(const char *path, char *buf, size_t len, struct gph_err *e);
#endif
