/* gophernetes-shell: one command line -> words -> a step for the engine, or a shell command.
 * The shell never makes a namespace, mount, cgroup or network call itself: steps go to
 * gph_sandbox_apply(), commands to gph_sandbox_exec()/show()/destroy(). */
#ifndef GPH_SHELL_H
#define GPH_SHELL_H
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "gph/error.h"
#include "gph/sandbox.h"

#define SHELL_PROMPT "gph> "
#define SHELL_DEFAULT_ROOTFS "./rootfs"

/* How a command's input and output are wired. */
enum shell_io {
	SHELL_IO_TERMINAL, /* the REPL: exec gets the terminal (a pty of its own when stdin is one) */
	SHELL_IO_SCRIPT,   /* commands from a file: exec inherits stdin, stdout, stderr */
	SHELL_IO_STDIN,    /* commands from standard input: exec gets /dev/null as stdin, so it
			    * cannot swallow the rest of the script */
	SHELL_IO_CAPTURE,  /* replay: everything, exec's stdout and stderr too, goes to out; stdin
			    * is /dev/null */
};

struct shell {
	struct gph_sandbox sb;
	bool started;               /* sb holds a live sandbox */
	struct gph_err start_err;   /* why the last gph_sandbox_start failed */
	const char *rootfs;         /* for `chroot` / `pivot_root` without a directory */
	FILE *out;                  /* every message, the engine's step log, captured exec output */
	enum shell_io io;
	int commands;               /* command lines run (not blanks or comments) */
	int failures;               /* of those, how many failed */
	const char *start_lesson;   /* --lesson NAME: the REPL starts with the tutor on it */
	/* Commands run with `exec` that changed the sandbox's own mount table (a mount made below a
	 * shared mount propagates back, lesson 10): save and export rebuild steps, not those. */
	int exec_mount_changes;
	char exec_mount_cmd[128];   /* the last such command */
};

/* Result of one command line. */
enum shell_rc { SHELL_OK, SHELL_FAILED, SHELL_QUIT };

/* Set up the state and start a sandbox. When starting fails (not root, no cgroups...) the
 * error is printed to out and the shell stays usable: steps retry the start. Returns 0, or -1
 * when no sandbox could be started (the reason is in sh->start_err). */
int shell_init(struct shell *sh, const char *rootfs, FILE *out, enum shell_io io);
/* Tear the sandbox down (safe to call twice). */
void shell_fini(struct shell *sh);

/* Run one line. *status (may be NULL) gets the command's status for lesson checks: exec's
 * exit code, otherwise 0 on success and 1 on failure. Blank and comment lines are SHELL_OK
 * and are not counted. */
enum shell_rc shell_run_line(struct shell *sh, const char *line, int *status);
/* True when the line holds a command (not blank, not only a comment). */
bool shell_line_has_words(const char *line);

/* Script mode: run every line of in, each echoed after the prompt. Returns the exit status:
 * 0 when every command succeeded, 1 otherwise, 128+S when stopped by signal S. */
int shell_run_script(struct shell *sh, FILE *in);
/* The REPL (readline, history, completion). Returns the exit status. */
int shell_repl(struct shell *sh);
/* One line from the terminal with prompt (the REPL's reader: Ctrl-C clears the line); NULL at
 * Ctrl-D or on a stop signal. The caller frees the line. */
char *shell_read_line(const char *prompt);
/* `--replay FILE...`: returns the exit status (0 when no lesson failed). */
int shell_replay(const char *rootfs, char *const *files, int n, FILE *out);
/* The same, printing TAP (a "# SKIP" line with the reason for each lesson this machine cannot
 * run) when tap. */
int shell_replay_opts(const char *rootfs, char *const *files, int n, FILE *out, bool tap);
/* `--lint FILE...`: the lesson lint only (no sandbox, no root); 1 when a lesson has problems. */
int shell_lint(char *const *files, int n, FILE *out);

/* `save FILE`, `export run [CMD...]`, `doctor` (shell_export.c): 0, or -1 after printing why. */
int shell_cmd_save(struct shell *sh, int argc, char **argv);
int shell_cmd_export(struct shell *sh, int argc, char **argv);
int shell_cmd_doctor(struct shell *sh, int argc, char **argv);

/* `help` (cmd NULL) and `help CMD`; -1 for an unknown CMD (message written to out). */
int shell_help(FILE *out, const char *cmd);

/* Set by SIGTERM/SIGHUP (and SIGINT outside the REPL) to the signal's number: the current
 * command finishes, then the shell tears the sandbox down and leaves with 128+S. */
extern volatile sig_atomic_t shell_stop_signal;
/* Install the handler behind shell_stop_signal; for SIGINT too when sigint_too. No SA_RESTART,
 * so a blocking read returns EINTR and the loop can notice. */
int shell_catch_stop_signals(bool sigint_too, struct gph_err *e);

/* The history file: "$XDG_STATE_HOME/gophernetes/history", by default
 * "$HOME/.local/state/gophernetes/history". Returns 0, or -1 when neither variable helps. */
int shell_history_path(char *buf, size_t len);

#endif
