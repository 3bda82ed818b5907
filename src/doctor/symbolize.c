/* SPDX-License-Identifier: MIT */
/*
 * Address -> function, file:line for panic backtraces, through elfutils' libdwfl (offline
 * mode: the ELF is read as a file, addresses are the link-time addresses the chip runs
 * at). Also computes the ELF file's SHA-256, which ESP-IDF embeds in the app and prints
 * ("ELF file SHA256: ..."), so a mismatched ELF can be reported.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/types.h>

#include <sha2.h>

#include "espload/doctor.h"
#include "espload/err.h"

#ifdef EL_HAVE_LIBDW
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <unistd.h>
#endif

struct el_sym {
#ifdef EL_HAVE_LIBDW
    Dwfl *dwfl;
    Dwarf_Addr bias; /* where libdwfl placed the file (non-zero for position-independent ELFs) */
#endif
    char sha256[SHA256_DIGEST_STRING_LENGTH];
};

bool el_sym_available(void)
{
#ifdef EL_HAVE_LIBDW
    return true;
#else
    return false;
#endif
}

static int file_sha256(const char *path, char *hex, char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot read '%s': %s; check the path", path, strerror(errno));
        return EL_E_IO;
    }
    SHA2_CTX ctx;
    SHA256Init(&ctx);
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        SHA256Update(&ctx, buf, n);
    bool bad = ferror(fp);
    fclose(fp);
    if (bad) {
        snprintf(err, errlen, "cannot read '%s': read error", path);
        return EL_E_IO;
    }
    SHA256End(&ctx, hex);
    return EL_OK;
}

#ifdef EL_HAVE_LIBDW
static const Dwfl_Callbacks offline_callbacks = {
    .find_elf = NULL,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = NULL, /* elfutils' default search path */
};
#endif

int el_sym_open(struct el_sym **out, const char *elf_path, char *err, size_t errlen)
{
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    err[0] = '\0';
    if (!out || !elf_path)
        return EL_E_ARG;
    *out = NULL;
#ifndef EL_HAVE_LIBDW
    snprintf(err, errlen, "cannot symbolize '%s': espload was built without libdw", elf_path);
    return EL_E_UNSUPPORTED;
#else
    FILE *fp = fopen(elf_path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot read '%s': %s; check the path", elf_path, strerror(errno));
        return EL_E_IO;
    }
    unsigned char magic[4] = {0};
    size_t got = fread(magic, 1, 4, fp);
    fclose(fp);
    if (got != 4 || memcmp(magic, "\177ELF", 4) != 0) {
        snprintf(err, errlen,
                 "cannot use '%s': not an ELF file; pass the app's .elf from the build "
                 "directory (not the .bin)",
                 elf_path);
        return EL_E_FORMAT;
    }
    struct el_sym *s = calloc(1, sizeof *s);
    if (!s)
        return EL_E_NOMEM;
    int rc = file_sha256(elf_path, s->sha256, err, errlen);
    if (rc) {
        free(s);
        return rc;
    }
    s->dwfl = dwfl_begin(&offline_callbacks);
    if (!s->dwfl) {
        snprintf(err, errlen, "cannot read '%s': %s", elf_path, dwfl_errmsg(-1));
        free(s);
        return EL_E_NOMEM;
    }
    dwfl_report_begin(s->dwfl);
    Dwfl_Module *mod = dwfl_report_offline(s->dwfl, "app", elf_path, -1);
    dwfl_report_end(s->dwfl, NULL, NULL);
    if (!mod) {
        snprintf(err, errlen, "cannot read '%s': %s; is it a complete ELF file?", elf_path,
                 dwfl_errmsg(-1));
        dwfl_end(s->dwfl);
        free(s);
        return EL_E_FORMAT;
    }
    /* addresses from the device are link-time addresses; libdwfl lays position-independent
     * files out at its own base, so remember the bias */
    if (!dwfl_module_getelf(mod, &s->bias))
        s->bias = 0;
    *out = s;
    return EL_OK;
#endif
}

void el_sym_close(struct el_sym *s)
{
    if (!s)
        return;
#ifdef EL_HAVE_LIBDW
    dwfl_end(s->dwfl);
#endif
    free(s);
}

int el_sym_lookup(struct el_sym *s, uint64_t addr, struct el_sym_loc *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!s || !out)
        return EL_E_ARG;
#ifndef EL_HAVE_LIBDW
    (void)addr;
    return EL_E_UNSUPPORTED;
#else
    addr += s->bias;
    Dwfl_Module *m = dwfl_addrmodule(s->dwfl, (Dwarf_Addr)addr);
    if (!m)
        return EL_E_ARG;
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(m, (GElf_Addr)addr, &off, &sym, NULL, NULL, NULL);
    Dwfl_Line *line = dwfl_module_getsrc(m, (Dwarf_Addr)addr);
    if (!name && !line)
        return EL_E_ARG;
    if (name) {
        snprintf(out->function, sizeof out->function, "%s", name);
        out->offset = (uint32_t)off;
    }
    if (line) {
        int lineno = 0;
        const char *src = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
        if (src) {
            snprintf(out->file, sizeof out->file, "%s", src);
            out->line = lineno;
        }
    }
    return EL_OK;
#endif
}

const char *el_sym_sha256(const struct el_sym *s)
{
    return s ? s->sha256 : "";
}

bool el_sym_sha256_matches(const struct el_sym *s, const char *printed_prefix)
{
    if (!s || !printed_prefix)
        return true;
    size_t j = 0;
    for (const char *p = printed_prefix; *p; p++) {
        char c = *p;
        if (c == '.' || c == ' ')
            continue;
        if (c >= 'A' && c <= 'F')
            c = (char)(c - 'A' + 'a');
        if (j >= sizeof s->sha256 - 1 || s->sha256[j] != c)
            return false;
        j++;
    }
    return true;
}
