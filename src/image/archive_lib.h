/* libarchive, loaded with dlopen on first use (as libnl is, src/engine/nl_lib.h): only import, pull
 * and unpack need it, and the plain `run` path must not pay for loading it. Files that read archives
 * include this and call through gph_ar()->NAME. */
#ifndef GPH_ARCHIVE_LIB_H
#define GPH_ARCHIVE_LIB_H
#include <archive.h>
#include <archive_entry.h>
#include "gph/error.h"

#define GPH_AR_FUNCS(X) \
	X(archive_read_new) \
	X(archive_read_support_filter_all) \
	X(archive_read_support_format_tar) \
	X(archive_read_open_fd) \
	X(archive_read_next_header) \
	X(archive_read_data_block) \
	X(archive_read_free) \
	X(archive_error_string) \
	X(archive_entry_pathname) \
	X(archive_entry_filetype) \
	X(archive_entry_perm) \
	X(archive_entry_uid) \
	X(archive_entry_gid) \
	X(archive_entry_mtime) \
	X(archive_entry_mtime_nsec) \
	X(archive_entry_mtime_is_set) \
	X(archive_entry_atime) \
	X(archive_entry_atime_nsec) \
	X(archive_entry_atime_is_set) \
	X(archive_entry_symlink) \
	X(archive_entry_hardlink) \
	X(archive_entry_rdevmajor) \
	X(archive_entry_rdevminor) \
	X(archive_entry_xattr_reset) \
	X(archive_entry_xattr_next)

struct gph_ar_fns {
#define GPH_AR_FIELD(f) __typeof__(f) *f;
	GPH_AR_FUNCS(GPH_AR_FIELD)
#undef GPH_AR_FIELD
};

/* Load libarchive (once); -1 with a hint naming the package when it is missing. */
int gph_ar_load(struct gph_err *e);
/* The table; only after gph_ar_load succeeded. */
const struct gph_ar_fns *gph_ar(void);

#endif
