/* SPDX-License-Identifier: MIT */
#ifndef EL_COMPAT_GLOB_H
#define EL_COMPAT_GLOB_H
/*
 * Windows builds: <glob.h> is POSIX. espload globs only Unix install locations (stub JSON files
 * under Python site-packages), which do not exist on Windows, so this glob() matches nothing.
 */
#include <stddef.h>

#define GLOB_ERR     (1 << 0)
#define GLOB_MARK    (1 << 1)
#define GLOB_NOSORT  (1 << 2)
#define GLOB_NOCHECK (1 << 4)
#define GLOB_APPEND  (1 << 5)
#define GLOB_ONLYDIR (1 << 13)
#define GLOB_TILDE   (1 << 12)
#define GLOB_NOMATCH 3

typedef struct {
    size_t gl_pathc;
    char **gl_pathv;
    size_t gl_offs;
} glob_t;

static inline int glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *g)
{
    (void)pattern;
    (void)errfunc;
    if (!(flags & GLOB_APPEND)) {
        g->gl_pathc = 0;
        g->gl_pathv = NULL;
    }
    return GLOB_NOMATCH;
}

static inline void globfree(glob_t *g)
{
    g->gl_pathc = 0;
    g->gl_pathv = NULL;
}

#endif
