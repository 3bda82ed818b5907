/* SPDX-License-Identifier: MIT */
/*
 * Renders the doctor's verdict as text for people or JSON for machines. Returns a heap
 * string; the CLI prints it. Key names of the JSON output are stable (docs/DOCTOR.md).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doctor_int.h"
#include "espload/chip.h"
#include "espload/doctor.h"

struct sb {
    char *buf;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sb_add(struct sb *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf ? b->buf + b->len : NULL, b->buf ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->buf && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t ncap = (b->cap ? b->cap * 2 : 1024) + (size_t)n;
        char *nb = realloc(b->buf, ncap);
        if (!nb) {
            b->oom = true;
            return;
        }
        b->buf = nb;
        b->cap = ncap;
    }
}

/* JSON string literal (with quotes). Non-ASCII never reaches here (the assembler drops it),
 * but control characters are escaped anyway. */
static void sb_json_str(struct sb *b, const char *s)
{
    sb_add(b, "\"");
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            sb_add(b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            sb_add(b, "\\u%04x", c);
        else
            sb_add(b, "%c", c);
    }
    sb_add(b, "\"");
}

static const char *chip_display_name(const char *name)
{
    const struct el_chip *c = el_chip_by_name(name);
    return c ? c->display : name;
}

static const char *chip_for_decode(const struct el_doctor *d)
{
    const struct el_doc_info *in = el_doctor_info(d);
    const char *cfg = eli_doctor_cfg_chip(d);
    (void)cfg;
    return in->chip[0] && strcmp(in->chip, "esp8266") != 0 ? in->chip : "esp32";
}

static void sym_line(struct sb *b, struct el_sym *sym, uint32_t addr, bool json)
{
    struct el_sym_loc loc;
    if (!sym || el_sym_lookup(sym, addr, &loc) != 0) {
        if (json)
            sb_add(b, "{\"addr\":\"0x%08x\"}", addr);
        else
            sb_add(b, "    0x%08x\n", addr);
        return;
    }
    if (json) {
        sb_add(b, "{\"addr\":\"0x%08x\",\"function\":", addr);
        sb_json_str(b, loc.function);
        sb_add(b, ",\"file\":");
        sb_json_str(b, loc.file);
        sb_add(b, ",\"line\":%d}", loc.line);
    } else if (loc.file[0]) {
        sb_add(b, "    0x%08x  %s at %s:%d\n", addr, loc.function[0] ? loc.function : "??",
               loc.file, loc.line);
    } else {
        sb_add(b, "    0x%08x  %s+0x%x\n", addr, loc.function[0] ? loc.function : "??", loc.offset);
    }
}

static void render_text(struct sb *b, const struct el_doctor *d, struct el_sym *sym)
{
    const struct el_doc_info *in = el_doctor_info(d);
    const struct el_doc_panic *pn = el_doctor_panic(d);
    const struct el_doc_finding *f;
    size_t n = el_doctor_findings(d, &f);

    sb_add(b, "verdict: %s\n", el_doctor_verdict(d));
    sb_add(b, "status: %s\n", el_doctor_healthy(d) ? "healthy" : "problem found (exit code 12)");
    if (in->boots || in->rom[0]) {
        const char *cfg = eli_doctor_cfg_chip(d);
        if (!cfg[0] && in->chip[0])
            cfg = strcmp(in->chip, "esp8266") == 0 ? "ESP8266" : chip_display_name(in->chip);
        sb_add(b, "board: %s%s%s%s, %llu boot%s seen\n", cfg[0] ? cfg : "",
               cfg[0] && in->rom[0] ? ", " : "", in->rom[0] ? "ROM " : "", in->rom,
               (unsigned long long)in->boots, in->boots == 1 ? "" : "s");
    }
    if (in->have_reset) {
        sb_add(b, "last reset: rst:0x%x %s (%s)\n", in->reset_code, in->reset_name,
               el_doc_reset_reason(chip_for_decode(d), in->reset_code, NULL, NULL, NULL));
    }
    if (in->have_boot_mode) {
        char desc[200];
        el_doc_boot_mode(chip_for_decode(d), in->boot_mode, desc, sizeof desc);
        sb_add(b, "boot mode: boot:0x%x %s (%s)\n", in->boot_mode, in->boot_mode_name, desc);
    }
    if (in->idf_version[0])
        sb_add(b, "ESP-IDF: %s\n", in->idf_version);
    if (in->mp_version[0])
        sb_add(b, "MicroPython: %s%s%s%s%s\n", in->mp_version, in->mp_date[0] ? " on " : "",
               in->mp_date, in->mp_board[0] ? ", board: " : "", in->mp_board);
    sb_add(b, "\nfindings:\n");
    for (size_t i = 0; i < n; i++) {
        sb_add(b, "  [%s] %s: %s\n", el_doc_severity_name(f[i].severity),
               el_doc_code_name(f[i].code), f[i].what);
        if (f[i].why[0] && f[i].severity != EL_DOC_SEV_OK)
            sb_add(b, "      why: %s\n", f[i].why);
        if (f[i].fix[0] && f[i].severity >= EL_DOC_SEV_WARN)
            sb_add(b, "      fix: %s\n", f[i].fix);
        if (f[i].evidence[0])
            sb_add(b, "      seen: line %llu%s: %s\n", (unsigned long long)f[i].line_no,
                   f[i].count > 1 ? " (and more)" : "", f[i].evidence);
    }
    if (pn->seen) {
        sb_add(b, "\npanic: %s", pn->reason);
        if (pn->core >= 0)
            sb_add(b, " on core %d", pn->core);
        sb_add(b, "\n");
        if (pn->have_cause) {
            sb_add(b, "  cause: %s %u (%s): %s\n",
                   pn->arch == EL_DOC_ARCH_RISCV ? "MCAUSE" : "EXCCAUSE", pn->cause,
                   pn->arch == EL_DOC_ARCH_RISCV ? el_doc_riscv_cause(pn->cause)
                                                 : el_doc_xtensa_cause(pn->cause),
                   el_doc_cause_hint(pn->arch, pn->cause));
        }
        if (pn->have_vaddr)
            sb_add(b, "  %s: 0x%08x\n", pn->arch == EL_DOC_ARCH_RISCV ? "MTVAL" : "EXCVADDR",
                   pn->vaddr);
        if (pn->have_pc) {
            sb_add(b, "  %s:\n", pn->arch == EL_DOC_ARCH_RISCV ? "MEPC" : "PC");
            sym_line(b, sym, pn->pc, false);
        }
        if (pn->ra) {
            sb_add(b, "  RA:\n");
            sym_line(b, sym, pn->ra, false);
        }
        if (pn->n_bt) {
            sb_add(b, "  backtrace%s:\n", pn->bt_corrupted ? " (cut off or corrupted)" : "");
            for (size_t i = 0; i < pn->n_bt; i++)
                sym_line(b, sym, pn->bt[i], false);
        }
        if (!sym && (pn->have_pc || pn->n_bt))
            sb_add(b, "  (add --elf <app.elf> to name the functions and source lines)\n");
    }
    if (sym && in->elf_sha256[0] && !el_sym_sha256_matches(sym, in->elf_sha256))
        sb_add(b,
               "\nwarning: the ELF file does not match the running app (device: %s..., file: "
               "%.16s...): the names above may be wrong; use the ELF of the flashed build\n",
               in->elf_sha256, el_sym_sha256(sym));
}

static void render_json(struct sb *b, const struct el_doctor *d, struct el_sym *sym)
{
    const struct el_doc_info *in = el_doctor_info(d);
    const struct el_doc_panic *pn = el_doctor_panic(d);
    const struct el_doc_finding *f;
    size_t n = el_doctor_findings(d, &f);

    sb_add(b, "{\"verdict\":");
    sb_json_str(b, n ? el_doc_code_name(f[0].code) : "unknown");
    sb_add(b, ",\"healthy\":%s,\"summary\":", el_doctor_healthy(d) ? "true" : "false");
    sb_json_str(b, el_doctor_verdict(d));
    sb_add(b, ",\"boots\":%llu,\"lines\":%llu,\"bytes\":%llu,\"noise_bytes\":%llu,\"rom\":",
           (unsigned long long)in->boots, (unsigned long long)in->lines,
           (unsigned long long)in->bytes, (unsigned long long)in->noise_bytes);
    sb_json_str(b, in->rom);
    sb_add(b, ",\"chip\":");
    sb_json_str(b, in->chip);
    if (in->have_reset) {
        sb_add(b, ",\"reset\":{\"code\":%u,\"name\":", in->reset_code);
        sb_json_str(b, in->reset_name);
        sb_add(b, ",\"description\":");
        sb_json_str(b, el_doc_reset_reason(chip_for_decode(d), in->reset_code, NULL, NULL, NULL));
        sb_add(b, "}");
    } else {
        sb_add(b, ",\"reset\":null");
    }
    if (in->have_boot_mode) {
        char desc[200];
        bool dl = el_doc_boot_mode(chip_for_decode(d), in->boot_mode, desc, sizeof desc);
        sb_add(b, ",\"boot_mode\":{\"value\":%u,\"name\":", in->boot_mode);
        sb_json_str(b, in->boot_mode_name);
        sb_add(b, ",\"download\":%s,\"description\":", dl ? "true" : "false");
        sb_json_str(b, desc);
        sb_add(b, "}");
    } else {
        sb_add(b, ",\"boot_mode\":null");
    }
    sb_add(b, ",\"idf_version\":");
    sb_json_str(b, in->idf_version);
    sb_add(b, ",\"elf_sha256\":");
    sb_json_str(b, in->elf_sha256);
    if (in->mp_version[0]) {
        sb_add(b, ",\"micropython\":{\"version\":");
        sb_json_str(b, in->mp_version);
        sb_add(b, ",\"date\":");
        sb_json_str(b, in->mp_date);
        sb_add(b, ",\"board\":");
        sb_json_str(b, in->mp_board);
        sb_add(b, ",\"prompt\":%s}", in->prompt_seen ? "true" : "false");
    } else {
        sb_add(b, ",\"micropython\":null");
    }
    sb_add(b, ",\"findings\":[");
    for (size_t i = 0; i < n; i++) {
        sb_add(b, "%s{\"code\":", i ? "," : "");
        sb_json_str(b, el_doc_code_name(f[i].code));
        sb_add(b, ",\"severity\":");
        sb_json_str(b, el_doc_severity_name(f[i].severity));
        sb_add(b, ",\"what\":");
        sb_json_str(b, f[i].what);
        sb_add(b, ",\"why\":");
        sb_json_str(b, f[i].why);
        sb_add(b, ",\"fix\":");
        sb_json_str(b, f[i].fix);
        sb_add(b, ",\"evidence\":");
        sb_json_str(b, f[i].evidence);
        sb_add(b, ",\"line\":%llu,\"count\":%llu,\"boot\":%llu}", (unsigned long long)f[i].line_no,
               (unsigned long long)f[i].count, (unsigned long long)f[i].boot);
    }
    sb_add(b, "]");
    if (pn->seen) {
        sb_add(b, ",\"panic\":{\"reason\":");
        sb_json_str(b, pn->reason);
        sb_add(b, ",\"arch\":\"%s\",\"core\":%d",
               pn->arch == EL_DOC_ARCH_RISCV    ? "riscv"
               : pn->arch == EL_DOC_ARCH_XTENSA ? "xtensa"
                                                : "unknown",
               pn->core);
        if (pn->have_cause) {
            sb_add(b, ",\"cause\":%u,\"cause_name\":", pn->cause);
            sb_json_str(b, pn->arch == EL_DOC_ARCH_RISCV ? el_doc_riscv_cause(pn->cause)
                                                         : el_doc_xtensa_cause(pn->cause));
        }
        if (pn->have_vaddr)
            sb_add(b, ",\"fault_addr\":\"0x%08x\"", pn->vaddr);
        if (pn->have_pc) {
            sb_add(b, ",\"pc\":");
            sym_line(b, sym, pn->pc, true);
        }
        sb_add(b, ",\"backtrace\":[");
        for (size_t i = 0; i < pn->n_bt; i++) {
            if (i)
                sb_add(b, ",");
            sym_line(b, sym, pn->bt[i], true);
        }
        sb_add(b, "],\"backtrace_corrupted\":%s}", pn->bt_corrupted ? "true" : "false");
    } else {
        sb_add(b, ",\"panic\":null");
    }
    if (sym) {
        sb_add(b, ",\"elf\":{\"sha256\":");
        sb_json_str(b, el_sym_sha256(sym));
        sb_add(b, ",\"matches_device\":%s}",
               !in->elf_sha256[0]                           ? "null"
               : el_sym_sha256_matches(sym, in->elf_sha256) ? "true"
                                                            : "false");
    }
    sb_add(b, "}\n");
}

char *el_doctor_report(const struct el_doctor *d, enum el_doc_format fmt, struct el_sym *sym)
{
    if (!d)
        return NULL;
    struct sb b = {0};
    if (fmt == EL_DOC_JSON)
        render_json(&b, d, sym);
    else
        render_text(&b, d, sym);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}
