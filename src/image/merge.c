/* SPDX-License-Identifier: MIT */
/*
 * merge_bin: raw (0xFF-filled gaps from --target-offset), Intel HEX (records as Python's
 * intelhex writes them: 16 data bytes, no record across a 64 KiB boundary or a hole, type-04
 * records when any address is above 0xFFFF) and UF2 (esptool's UF2Writer: 512-byte blocks,
 * family id flag, optional MD5 extension, block numbers per input file). Each input at the
 * chip's bootloader offset gets its flash parameters patched, as esptool does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <md5.h>

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/image.h"
#include "image_int.h"

struct ob {
    uint8_t *d;
    size_t len, cap;
    bool oom;
};

static void put(struct ob *o, const void *d, size_t n, int fill)
{
    if (o->oom || !n)
        return;
    if (o->len + n > o->cap) {
        size_t nc = o->cap ? o->cap : 4096;
        while (nc < o->len + n)
            nc *= 2;
        uint8_t *p = realloc(o->d, nc);
        if (!p) {
            o->oom = true;
            return;
        }
        o->d = p;
        o->cap = nc;
    }
    if (d)
        memcpy(o->d + o->len, d, n);
    else
        memset(o->d + o->len, fill, n);
    o->len += n;
}

static void hexrec(struct ob *o, uint8_t type, uint16_t addr, const uint8_t *d, size_t n)
{
    char line[64];
    uint8_t sum = (uint8_t)(n + (addr >> 8) + (addr & 0xFF) + type);
    int k = snprintf(line, sizeof(line), ":%02X%04X%02X", (unsigned)n, addr, type);
    for (size_t i = 0; i < n; i++) {
        k += snprintf(line + k, sizeof(line) - (size_t)k, "%02X", d[i]);
        sum = (uint8_t)(sum + d[i]);
    }
    k += snprintf(line + k, sizeof(line) - (size_t)k, "%02X\n", (uint8_t)(0x100 - sum) & 0xFF);
    put(o, line, (size_t)k, 0);
}

struct piece {
    uint32_t addr;
    const uint8_t *d;
    size_t len;
};

static void write_hex(struct ob *o, const struct piece *p, size_t n)
{
    if (n == 0) {
        put(o, ":00000001FF\n", 12, 0);
        return;
    }
    uint64_t maxaddr = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i].len && p[i].addr + (uint64_t)p[i].len - 1 > maxaddr)
            maxaddr = p[i].addr + (uint64_t)p[i].len - 1;
    }
    bool need_ofs = maxaddr > 0xFFFF;
    uint32_t high = 0;
    bool first = true;
    for (size_t i = 0; i < n;) {
        /* files that touch form one run, as in intelhex's single address space */
        size_t j = i + 1;
        uint64_t run_end = p[i].addr + (uint64_t)p[i].len;
        while (j < n && p[j].addr == run_end) {
            run_end += p[j].len;
            j++;
        }
        const uint8_t *d = p[i].d;
        uint8_t *tmp = NULL;
        if (j > i + 1) {
            tmp = malloc((size_t)(run_end - p[i].addr));
            if (!tmp) {
                o->oom = true;
                return;
            }
            size_t k = 0;
            for (size_t q = i; q < j; q++) {
                memcpy(tmp + k, p[q].d, p[q].len);
                k += p[q].len;
            }
            d = tmp;
        }
        uint64_t a = p[i].addr, start = p[i].addr;
        while (a < run_end) {
            uint32_t h = (uint32_t)(a >> 16);
            if (need_ofs && (first || h > high)) {
                uint8_t b[2] = {(uint8_t)(h >> 8), (uint8_t)h};
                hexrec(o, 4, 0, b, 2);
                high = h;
            }
            first = false;
            uint64_t lim = ((a >> 16) + 1) << 16; /* no record crosses 64 KiB */
            uint64_t stop = a + 16;
            if (stop > lim)
                stop = lim;
            if (stop > run_end)
                stop = run_end;
            hexrec(o, 0, (uint16_t)(a & 0xFFFF), d + (a - start), (size_t)(stop - a));
            a = stop;
        }
        free(tmp);
        i = j;
    }
    put(o, ":00000001FF\n", 12, 0);
}

static void uf2_file(struct ob *o, uint32_t family, uint32_t chunk, bool md5, uint32_t addr,
                     const uint8_t *d, size_t len)
{
    uint32_t blocks = (uint32_t)((len + chunk - 1) / chunk);
    for (uint32_t b = 0; b < blocks; b++) {
        size_t off = (size_t)b * chunk, n = len - off < chunk ? len - off : chunk;
        uint8_t blk[512];
        memset(blk, 0, sizeof(blk));
        el_put_le32(blk, 0x0A324655);
        el_put_le32(blk + 4, 0x9E5D5157);
        el_put_le32(blk + 8, 0x00002000 | (md5 ? 0x00004000 : 0));
        el_put_le32(blk + 12, addr);
        el_put_le32(blk + 16, (uint32_t)n);
        el_put_le32(blk + 20, b);
        el_put_le32(blk + 24, blocks);
        el_put_le32(blk + 28, family);
        memcpy(blk + 32, d + off, n);
        if (md5) {
            uint8_t *m = blk + 32 + n;
            el_put_le32(m, addr);
            el_put_le32(m + 4, (uint32_t)n);
            MD5_CTX c;
            MD5Init(&c);
            MD5Update(&c, d + off, n);
            MD5Final(m + 8, &c);
        }
        el_put_le32(blk + 508, 0x0AB16F30);
        put(o, blk, sizeof(blk), 0);
        addr += (uint32_t)n;
    }
}

static int cmp_in(const void *a, const void *b)
{
    const struct el_merge_input *x = *(const struct el_merge_input *const *)a,
                                *y = *(const struct el_merge_input *const *)b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x < y ? -1 : (x > y);
}

int el_merge(const struct el_merge_input *in, size_t n, const struct el_merge_opts *o,
             uint8_t **out, size_t *out_len, struct el_merge_note *notes, size_t ncap,
             size_t *nnotes, char *why, size_t whylen)
{
    *out = NULL;
    *out_len = 0;
    if (nnotes)
        *nnotes = 0;
    if (why && whylen)
        why[0] = 0;
    if (n == 0)
        return eli_img_fail(why, whylen, "No input files specified");
    const struct el_chip *chip = el_chip_by_id(o->chip);
    if (!chip || o->chip == EL_CHIP_UNKNOWN)
        return EL_E_ARG;
    uint32_t chunk = o->chunk_size ? o->chunk_size : (o->md5_disable ? 476 : 452);
    if (o->format == EL_MERGE_UF2 && (chunk % 4 || chunk > (o->md5_disable ? 476u : 452u)))
        return eli_img_fail(why, whylen,
                            "UF2 chunk size %u is invalid: it must be a multiple of 4 and at most "
                            "%u",
                            chunk, o->md5_disable ? 476 : 452);
    const struct el_merge_input **s = malloc(n * sizeof(*s));
    struct piece *pc = calloc(n, sizeof(*pc));
    uint8_t **patched = calloc(n, sizeof(*patched));
    struct ob ob = {0};
    int rc = EL_OK;
    if (!s || !pc || !patched) {
        rc = EL_E_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        s[i] = &in[i];
    qsort(s, n, sizeof(*s), cmp_in);
    for (size_t i = 1; i < n; i++) {
        if ((uint64_t)s[i - 1]->addr + s[i - 1]->len > s[i]->addr) {
            rc = eli_img_fail(why, whylen,
                              "Detected overlap at address: 0x%x for file: %s (the previous "
                              "file '%s' ends at 0x%llx)",
                              s[i]->addr, s[i]->name ? s[i]->name : "?",
                              s[i - 1]->name ? s[i - 1]->name : "?",
                              (unsigned long long)s[i - 1]->addr + s[i - 1]->len);
            goto done;
        }
    }
    if (s[0]->addr < o->target_offset) {
        rc = eli_img_fail(why, whylen,
                          "Output file target offset is 0x%x. Input file offset 0x%x is before "
                          "this.",
                          o->target_offset, s[0]->addr);
        goto done;
    }
    size_t nn = 0;
    for (size_t i = 0; i < n; i++) {
        pc[i].addr = s[i]->addr;
        pc[i].d = s[i]->data;
        pc[i].len = s[i]->len;
        if (s[i]->addr != chip->bootloader_offset || s[i]->len < 8)
            continue;
        patched[i] = malloc(s[i]->len);
        if (!patched[i]) {
            rc = EL_E_NOMEM;
            goto done;
        }
        memcpy(patched[i], s[i]->data, s[i]->len);
        bool changed, sha;
        uint16_t v;
        char w[160];
        int r = el_image_patch_flash_params(o->chip, patched[i], s[i]->len, o->flash_mode,
                                            o->flash_freq, o->flash_size, &changed, &v, &sha, w,
                                            sizeof(w));
        struct el_merge_note note = {(size_t)(s[i] - in), 0, v};
        if (r == EL_E_FORMAT)
            note.kind = patched[i][0] == EL_IMAGE_MAGIC ? 4 : 3;
        else if (r != EL_OK) {
            rc = r;
            goto done;
        }
        pc[i].d = patched[i];
        if (notes && note.kind && nn < ncap)
            notes[nn] = note;
        if (note.kind)
            nn++;
        if (changed) {
            note.kind = 1;
            if (notes && nn < ncap)
                notes[nn] = note;
            nn++;
        }
        if (sha) {
            note.kind = 2;
            if (notes && nn < ncap)
                notes[nn] = note;
            nn++;
        }
    }
    if (nnotes)
        *nnotes = nn;
    switch (o->format) {
    case EL_MERGE_RAW: {
        uint64_t pos = o->target_offset;
        for (size_t i = 0; i < n; i++) {
            put(&ob, NULL, (size_t)(pc[i].addr - pos), 0xFF);
            put(&ob, pc[i].d, pc[i].len, 0);
            pos = (uint64_t)pc[i].addr + pc[i].len;
        }
        if (o->pad_to_size && o->pad_to_size > pos)
            put(&ob, NULL, (size_t)(o->pad_to_size - pos), 0xFF);
        break;
    }
    case EL_MERGE_HEX:
        write_hex(&ob, pc, n);
        break;
    case EL_MERGE_UF2:
        for (size_t i = 0; i < n; i++)
            uf2_file(&ob, eli_img_chip(o->chip)->uf2_family, chunk, !o->md5_disable, pc[i].addr,
                     pc[i].d, pc[i].len);
        break;
    default:
        rc = EL_E_ARG;
        goto done;
    }
    if (ob.oom) {
        rc = EL_E_NOMEM;
        goto done;
    }
    *out = ob.d;
    *out_len = ob.len;
    ob.d = NULL;
done:
    if (patched) {
        for (size_t i = 0; i < n; i++)
            free(patched[i]);
    }
    free(patched);
    free(pc);
    free(s);
    free(ob.d);
    return rc;
}
