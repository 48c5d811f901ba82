#ifndef GPH_CLI_H
#define GPH_CLI_H
#include <stdarg.h>
#include <sched.h>
int gph_cmd_run(int argc, char **argv);
#endif
