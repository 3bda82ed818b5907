/* SPDX-License-Identifier: MIT */
/*
 * Serial port enumeration on Linux: USB serial devices (/dev/ttyUSB*, /dev/ttyACM* and whatever
 * /dev/serial/by-id points at), in natural order (ttyUSB2 before ttyUSB10). Built-in UARTs
 * (/dev/ttyS*) are not candidates for auto-detection.
 */
#include "port_os.h"

#include "espload/err.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct name_list {
    char **v;
    size_t n, cap;
};

static int add_name(struct name_list *l, const char *name)
{
    char **nv;

    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], name) == 0)
            return EL_OK;
    if (l->n + 2 > l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return EL_E_NOMEM;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n] = strdup(name);
    if (!l->v[l->n])
        return EL_E_NOMEM;
    l->n++;
    l->v[l->n] = NULL;
    return EL_OK;
}

/* Natural order: ttyACM0 < ttyUSB0 < ttyUSB2 < ttyUSB10. */
static int natural_cmp(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;

    while (*x && *y) {
        if (isdigit((unsigned char)*x) && isdigit((unsigned char)*y)) {
            unsigned long nx = strtoul(x, (char **)&x, 10), ny = strtoul(y, (char **)&y, 10);
            if (nx != ny)
                return nx < ny ? -1 : 1;
            continue;
        }
        if (*x != *y)
            return (unsigned char)*x - (unsigned char)*y;
        x++;
        y++;
    }
    return (unsigned char)*x - (unsigned char)*y;
}

static int scan_dev(struct name_list *l)
{
    DIR *d = opendir("/dev");
    struct dirent *de;
    int rc = EL_OK;

    if (!d)
        return EL_OK;
    while (rc == EL_OK && (de = readdir(d))) {
        char path[300];
        struct stat st;
        if (strncmp(de->d_name, "ttyUSB", 6) != 0 && strncmp(de->d_name, "ttyACM", 6) != 0)
            continue;
        snprintf(path, sizeof path, "/dev/%s", de->d_name);
        if (stat(path, &st) == 0 && S_ISCHR(st.st_mode))
            rc = add_name(l, path);
    }
    closedir(d);
    return rc;
}

static int scan_by_id(struct name_list *l)
{
    DIR *d = opendir("/dev/serial/by-id");
    struct dirent *de;
    int rc = EL_OK;

    if (!d)
        return EL_OK;
    while (rc == EL_OK && (de = readdir(d))) {
        char path[512], real[PATH_MAX];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/dev/serial/by-id/%s", de->d_name);
        if (realpath(path, real))
            rc = add_name(l, real);
    }
    closedir(d);
    return rc;
}

int el_port_list(char ***names_out, size_t *n_out)
{
    struct name_list l = {0};
    int rc;

    if (names_out)
        *names_out = NULL;
    if (n_out)
        *n_out = 0;
    if (!names_out)
        return EL_E_ARG;
    rc = scan_dev(&l);
    if (rc == EL_OK)
        rc = scan_by_id(&l);
    if (rc == EL_OK && !l.v && !(l.v = calloc(1, sizeof *l.v)))
        rc = EL_E_NOMEM;
    if (rc != EL_OK) {
        el_port_list_free(l.v);
        return rc;
    }
    qsort(l.v, l.n, sizeof *l.v, natural_cmp);
    *names_out = l.v;
    if (n_out)
        *n_out = l.n;
    return EL_OK;
}
