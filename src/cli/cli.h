#ifndef GPH_CLI_H
#define GPH_CLI_H
#include <stdarg.h>
#include <sched.h>
int gph_cmd_run(int argc, char **argv);
/* import, images, rmi (src/cli/images.c); argv[0] is the command */
int gph_cmd_images(int argc, char **argv);
#endif
