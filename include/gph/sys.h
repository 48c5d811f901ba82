/* The engine's system calls, each traced (include/gph/trace.h) from its real arguments and result.
 * They behave exactly as the calls they wrap: same return value, errno kept. */
#ifndef GPH_SYS_H
#define GPH_SYS_H
#include <stddef.h>
#include <sys/types.h>

int gph_unshare(int flags);
int gph_mount(const char *src, const char *target, const char *type, unsigned long flags, const char *data);
int gph_umount2(const char *target, int flags);
int gph_sethostname(const char *name, size_t len);
int gph_pivot_root(const char *new_root, const char *put_old);
int gph_chroot(const char *path);
int gph_chdir(const char *path);
/* path: what fd refers to, for the trace only */
int gph_fchdir(int fd, const char *path);
int gph_mknod(const char *path, mode_t mode, dev_t dev);
int gph_chmod(const char *path, mode_t mode);
int gph_mkdir(const char *path, mode_t mode);
int gph_symlink(const char *target, const char *linkpath);
int gph_open_tree(int dfd, const char *path, unsigned flags);
/* from: what from_fd is, for the trace */
int gph_move_mount(int from_fd, const char *from, const char *to_path, unsigned flags);
/* open(path, O_WRONLY), write(text), close: one line "write(PATH, TEXT) = N". Returns write's result
 * (-1 with errno when open or write failed). */
ssize_t gph_write_file(const char *path, const char *text);
int gph_setresuid(uid_t r, uid_t e, uid_t s);
int gph_setresgid(gid_t r, gid_t e, gid_t s);
int gph_setgroups(size_t n, const gid_t *list);
int gph_setsid(void);
int gph_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
/* clone3 with only flags and SIGCHLD (fork-like), falling back to clone on ENOSYS */
pid_t gph_clone_fork(unsigned long long flags);
int gph_sys_close_range(unsigned first, unsigned last, unsigned flags);

#endif
