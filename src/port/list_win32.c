/* SPDX-License-Identifier: MIT */
/*
 * Serial port enumeration on Windows: the registry's HARDWARE\DEVICEMAP\SERIALCOMM lists every
 * present COM port (value: "COM3", name: the driver's device, e.g. \Device\Silabser0). Ports of
 * USB drivers come first, built-in UARTs (\Device\Serial*) last, then by COM number.
 */
#include <windows.h>

#include "port_os.h"

#include "espload/err.h"

#include <stdlib.h>
#include <string.h>

struct com_entry {
    char *name;
    int builtin;
    long num;
};

static int cmp_entries(const void *a, const void *b)
{
    const struct com_entry *x = a, *y = b;

    if (x->builtin != y->builtin)
        return x->builtin - y->builtin;
    if (x->num != y->num)
        return x->num < y->num ? -1 : 1;
    return strcmp(x->name, y->name);
}

int el_port_list(char ***names_out, size_t *n_out)
{
    struct com_entry *e = NULL;
    size_t n = 0, cap = 0;
    char **v;
    HKEY key;

    if (names_out)
        *names_out = NULL;
    if (n_out)
        *n_out = 0;
    if (!names_out)
        return EL_E_ARG;
    if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, "HARDWARE\\DEVICEMAP\\SERIALCOMM", 0, KEY_READ, &key) ==
        ERROR_SUCCESS) {
        for (DWORD i = 0;; i++) {
            char dev[256], val[64];
            DWORD devlen = sizeof dev, vallen = sizeof val - 1, type;
            LONG r = RegEnumValueA(key, i, dev, &devlen, NULL, &type, (LPBYTE)val, &vallen);
            if (r == ERROR_NO_MORE_ITEMS)
                break;
            if (r != ERROR_SUCCESS || type != REG_SZ)
                continue;
            val[vallen] = '\0';
            if (n == cap) {
                struct com_entry *ne = realloc(e, (cap = cap ? cap * 2 : 16) * sizeof *e);
                if (!ne)
                    break;
                e = ne;
            }
            e[n].name = _strdup(val);
            if (!e[n].name)
                break;
            e[n].builtin = strncmp(dev, "\\Device\\Serial", 14) == 0;
            e[n].num = _strnicmp(val, "COM", 3) == 0 ? strtol(val + 3, NULL, 10) : 0;
            n++;
        }
        RegCloseKey(key);
    }
    if (n)
        qsort(e, n, sizeof *e, cmp_entries);
    v = calloc(n + 1, sizeof *v);
    if (!v) {
        for (size_t i = 0; i < n; i++)
            free(e[i].name);
        free(e);
        return EL_E_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        v[i] = e[i].name;
    free(e);
    *names_out = v;
    if (n_out)
        *n_out = n;
    return EL_OK;
}
