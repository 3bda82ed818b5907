/* SPDX-License-Identifier: MIT */
/*
 * Serial port enumeration on macOS: the call-out devices /dev/cu.*, USB bridges
 * (usbserial, usbmodem, SLAB_USBtoUART, wchusbserial) first, Bluetooth ports left out.
 */
#include "port_os.h"

#include "espload/err.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_usb(const char *name)
{
    return strstr(name, "usbserial") || strstr(name, "usbmodem") || strstr(name, "SLAB") ||
           strstr(name, "wchusbserial");
}

static int cmp_names(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int ux = is_usb(x) != 0, uy = is_usb(y) != 0;

    if (ux != uy)
        return uy - ux;
    return strcmp(x, y);
}

int el_port_list(char ***names_out, size_t *n_out)
{
    DIR *d;
    struct dirent *de;
    char **v = NULL;
    size_t n = 0, cap = 0;

    if (names_out)
        *names_out = NULL;
    if (n_out)
        *n_out = 0;
    if (!names_out)
        return EL_E_ARG;
    d = opendir("/dev");
    while (d && (de = readdir(d))) {
        char path[300];
        if (strncmp(de->d_name, "cu.", 3) != 0 || strstr(de->d_name, "Bluetooth"))
            continue;
        if (n + 2 > cap) {
            char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);
            if (!nv)
                break;
            v = nv;
        }
        snprintf(path, sizeof path, "/dev/%s", de->d_name);
        if (!(v[n] = strdup(path)))
            break;
        v[++n] = NULL;
    }
    if (d)
        closedir(d);
    if (!v && !(v = calloc(1, sizeof *v)))
        return EL_E_NOMEM;
    qsort(v, n, sizeof *v, cmp_names);
    *names_out = v;
    if (n_out)
        *n_out = n;
    return EL_OK;
}
