/* SPDX-License-Identifier: MIT */
/*
 * elf2image: ELF (32-bit little-endian, Xtensa or RISC-V) to an ESP32-family image, laid out
 * byte for byte as esptool v5.3.1 does (bin_image.py ELFFile, merge_adjacent_segments,
 * ESP32FirmwareImage.save; cmds.py elf2image). The comments name each esptool rule we follow.
 * Input sizes and offsets are checked against the ELF buffer; the total of section data is
 * capped so hostile input cannot make us allocate without bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/image.h"
#include "image_int.h"

#define MAX_TOTAL_DATA (32u << 20) /* sum of section data we accept */
#define MAX_SECTIONS   4096
#define SEG_HDR        8

struct seg {
    uint32_t addr;
    uint8_t *data;
    size_t len, cap;
    uint32_t flags, align;
    char name[48];
    bool elf; /* an ELF section/segment (has a name), not a padding piece */
};
struct seglist {
    struct seg *s;
    size_t n, cap;
};
struct obuf {
    uint8_t *d;
    size_t len, cap, pos; /* pos: write position (seek), len: high-water mark */
    bool oom;
};

static void seglist_free(struct seglist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->s[i].data);
    free(l->s);
    memset(l, 0, sizeof(*l));
}

static int seg_reserve(struct seg *s, size_t want)
{
    if (want <= s->cap)
        return EL_OK;
    size_t nc = s->cap ? s->cap : 64;
    while (nc < want)
        nc *= 2;
    uint8_t *p = realloc(s->data, nc);
    if (!p)
        return EL_E_NOMEM;
    s->data = p;
    s->cap = nc;
    return EL_OK;
}

static int seg_append(struct seg *s, const uint8_t *d, size_t n, uint8_t fill)
{
    if (seg_reserve(s, s->len + n) != EL_OK)
        return EL_E_NOMEM;
    if (d)
        memcpy(s->data + s->len, d, n);
    else
        memset(s->data + s->len, fill, n);
    s->len += n;
    return EL_OK;
}

static struct seg *seglist_add(struct seglist *l)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        struct seg *p = realloc(l->s, nc * sizeof(*p));
        if (!p)
            return NULL;
        l->s = p;
        l->cap = nc;
    }
    struct seg *s = &l->s[l->n++];
    memset(s, 0, sizeof(*s));
    return s;
}

/* ImageSegment(addr, data): "real" segments (addr != 0) are zero-padded to 4 bytes */
static int seg_init(struct seg *s, uint32_t addr, const uint8_t *d, size_t n)
{
    s->addr = addr;
    if (seg_append(s, d, n, 0) != EL_OK)
        return EL_E_NOMEM;
    if (addr != 0 && s->len % 4)
        return seg_append(s, NULL, 4 - s->len % 4, 0);
    return EL_OK;
}

/* ---- output buffer with seek, like the BytesIO esptool writes into ---- */
static void ob_write(struct obuf *o, const void *d, size_t n)
{
    if (o->oom)
        return;
    size_t end = o->pos + n;
    if (end > o->cap) {
        size_t nc = o->cap ? o->cap : 4096;
        while (nc < end)
            nc *= 2;
        uint8_t *p = realloc(o->d, nc);
        if (!p) {
            o->oom = true;
            return;
        }
        o->d = p;
        o->cap = nc;
    }
    if (o->pos > o->len) /* writing past the end of a BytesIO fills the gap with zeros */
        memset(o->d + o->len, 0, o->pos - o->len);
    memcpy(o->d + o->pos, d, n);
    o->pos = end;
    if (end > o->len)
        o->len = end;
}

static void ob_fill(struct obuf *o, uint8_t v, size_t n)
{
    uint8_t blk[256];
    memset(blk, v, sizeof(blk));
    while (n) {
        size_t k = n < sizeof(blk) ? n : sizeof(blk);
        ob_write(o, blk, k);
        n -= k;
    }
}

/* ---- ELF reading ---- */
struct elf {
    uint32_t entry;
    struct seglist sections, segments;
    size_t total;
};

/* Adds one section or program segment (kind: "section"/"segment") of the ELF file to list,
 * after checking that its data lies inside the file and the total stays bounded. */
static int add_elf_piece(struct elf *out, struct seglist *list, const char *kind, unsigned i,
                         const uint8_t *e, size_t n, uint32_t addr, uint32_t off, uint32_t size,
                         uint32_t flags, uint32_t align, struct seg **added, char *why, size_t wl)
{
    *added = NULL;
    if (off > n || size > n - off)
        return eli_img_fail(why, wl,
                            "ELF %s %u (0x%x bytes at file offset 0x%x) is outside the file", kind,
                            i, size, off);
    if (size > MAX_TOTAL_DATA - out->total)
        return eli_img_fail(why, wl, "ELF %ss hold more than %u MB of data", kind,
                            MAX_TOTAL_DATA >> 20);
    out->total += size;
    struct seg *s = seglist_add(list);
    if (!s || seg_init(s, addr, e + off, size) != EL_OK)
        return EL_E_NOMEM;
    s->flags = flags;
    s->align = align;
    s->elf = true;
    *added = s;
    return EL_OK;
}

static int read_elf(const uint8_t *e, size_t n, struct elf *out, char *why, size_t wl)
{
    memset(out, 0, sizeof(*out));
    if (n < 0x34)
        return eli_img_fail(why, wl, "Input does not have a valid ELF header (%zu bytes)", n);
    if (e[0] != 0x7F || memcmp(e + 1, "ELF", 3) != 0)
        return eli_img_fail(why, wl, "Input has invalid ELF magic header");
    uint16_t machine = el_get_le16(e + 18);
    if (machine != 0x5E && machine != 0xF3)
        return eli_img_fail(why, wl,
                            "Input does not appear to be an Xtensa or an RISCV ELF image. "
                            "(e_machine = 0x%04x)",
                            machine);
    out->entry = el_get_le32(e + 24);
    uint32_t phoff = el_get_le32(e + 28), shoff = el_get_le32(e + 32);
    uint16_t phnum = el_get_le16(e + 44), shentsize = el_get_le16(e + 46),
             shnum = el_get_le16(e + 48), shstrndx = el_get_le16(e + 50);
    if (shentsize != 0x28)
        return eli_img_fail(
            why, wl, "Input has unexpected section header entry size 0x%x (not 0x28)", shentsize);
    if (shnum == 0)
        return eli_img_fail(why, wl, "Input has 0 section headers");
    if (shnum > MAX_SECTIONS)
        return eli_img_fail(why, wl, "Input has %u section headers (more than %u)", shnum,
                            MAX_SECTIONS);
    size_t shlen = (size_t)shnum * 0x28;
    if (shoff >= n)
        return eli_img_fail(why, wl, "No section header found at offset 0x%04x in ELF image.",
                            shoff);
    if (shlen > n - shoff)
        return eli_img_fail(why, wl,
                            "Only read 0x%zx bytes from section header (expected 0x%zx). "
                            "Truncated ELF image?",
                            n - shoff, shlen);
    if (shstrndx >= shnum)
        return eli_img_fail(why, wl, "ELF file has no STRTAB section at shstrndx %u", shstrndx);
    const uint8_t *sh = e + shoff;
    const uint8_t *st = sh + (size_t)shstrndx * 0x28;
    uint32_t stroff = el_get_le32(st + 16), strsize = el_get_le32(st + 20);
    if (stroff > n || strsize > n - stroff)
        return eli_img_fail(why, wl, "ELF string table (0x%x bytes at 0x%x) is outside the file",
                            strsize, stroff);
    const uint8_t *strtab = e + stroff;
    for (uint16_t i = 0; i < shnum; i++) {
        const uint8_t *h = sh + (size_t)i * 0x28;
        uint32_t name = el_get_le32(h), type = el_get_le32(h + 4), flags = el_get_le32(h + 8),
                 addr = el_get_le32(h + 12), off = el_get_le32(h + 16), size = el_get_le32(h + 20),
                 align = el_get_le32(h + 32);
        if (addr == 0 || size == 0)
            continue;
        bool prog = type == 1 || type == 0x0E || type == 0x0F || type == 0x10;
        if (!prog) /* NOBITS, STRTAB and other types carry no image data */
            continue;
        struct seg *s;
        int rc = add_elf_piece(out, &out->sections, "section", i, e, n, addr, off, size, flags,
                               align, &s, why, wl);
        if (rc != EL_OK)
            return rc;
        if (name >= strsize || !memchr(strtab + name, 0, strsize - name))
            return eli_img_fail(why, wl, "ELF section %u has a name outside the string table", i);
        snprintf(s->name, sizeof(s->name), "%s", (const char *)strtab + name);
    }
    if (phnum) {
        size_t phlen = (size_t)phnum * 0x20;
        if (phoff >= n)
            return eli_img_fail(why, wl, "No segment header found at offset 0x%04x in ELF image.",
                                phoff);
        if (phlen > n - phoff)
            return eli_img_fail(why, wl,
                                "Only read 0x%zx bytes from segment header (expected 0x%zx). "
                                "Truncated ELF image?",
                                n - phoff, phlen);
        for (uint16_t i = 0; i < phnum; i++) {
            const uint8_t *h = e + phoff + (size_t)i * 0x20;
            uint32_t type = el_get_le32(h), off = el_get_le32(h + 4), paddr = el_get_le32(h + 12),
                     fsz = el_get_le32(h + 16), flags = el_get_le32(h + 24),
                     align = el_get_le32(h + 28);
            if (type != 1 || paddr == 0 || fsz == 0)
                continue;
            struct seg *s;
            int rc = add_elf_piece(out, &out->segments, "segment", i, e, n, paddr, off, fsz, flags,
                                   align, &s, why, wl);
            if (rc != EL_OK)
                return rc;
            strcpy(s->name, "PHDR");
        }
    }
    return EL_OK;
}

/* ---- image layout ---- */
struct ctx {
    const struct el_elf2image_opts *o;
    enum el_chip_id chip;
    uint32_t irom_align;
    bool append_digest;
    int secure_pad;
    uint32_t entry;
    uint8_t elf_sha[32];
    bool patch_sha;
    uint32_t sha_off;
    char *why;
    size_t wl;
};

static bool same_types(enum el_chip_id chip, uint32_t a, uint32_t b)
{
    const char *ta[16], *tb[16];
    size_t na = el_image_mem_types(chip, a, ta, 16), nb = el_image_mem_types(chip, b, tb, 16);
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++) {
        if (ta[i] != tb[i])
            return false;
    }
    return true;
}

static int merge_adjacent(struct ctx *c, struct seglist *l, unsigned *merged)
{
    *merged = 0;
    if (l->n == 0)
        return EL_OK;
    /* walk backwards, merging segment i into i-1 (esptool merge_adjacent_segments) */
    bool *keep = calloc(l->n, sizeof(bool));
    if (!keep)
        return EL_E_NOMEM;
    keep[0] = true;
    for (size_t i = l->n - 1; i > 0; i--) {
        struct seg *elem = &l->s[i - 1], *next = &l->s[i];
        if (c->o->ram_only_header) {
            uint32_t a = next->align ? next->align : 1;
            uint64_t end = (uint64_t)elem->addr + elem->len, pad_addr = end;
            if (end % a)
                pad_addr += a - end % a;
            if (pad_addr != end && pad_addr == next->addr &&
                seg_append(elem, NULL, (size_t)(pad_addr - end), 0) != EL_OK) {
                free(keep);
                return EL_E_NOMEM;
            }
        }
        bool ok = same_types(c->chip, elem->addr, next->addr) &&
                  (uint64_t)next->addr == (uint64_t)elem->addr + elem->len;
        if (c->o->v4_merge)
            ok = ok && (next->flags & 4) == (elem->flags & 4);
        if (ok) {
            if (seg_append(elem, next->data, next->len, 0) != EL_OK) {
                free(keep);
                return EL_E_NOMEM;
            }
            (*merged)++;
        } else {
            keep[i] = true;
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (keep[i])
            l->s[w++] = l->s[i];
        else
            free(l->s[i].data);
    }
    l->n = w;
    free(keep);
    return EL_OK;
}

/* save_segment: header + data (with the ELF SHA-256 patched in), checksum update */
static int save_segment(struct ctx *c, struct obuf *f, struct seg *s, uint8_t *ck)
{
    size_t file_pos = f->pos;
    if (c->patch_sha && c->sha_off >= file_pos && c->sha_off < file_pos + s->len) {
        size_t po = c->sha_off - file_pos;
        if (po < SEG_HDR || po + 32 > s->len)
            return eli_img_fail(c->why, c->wl,
                                "Cannot place SHA256 digest on segment boundary"
                                "(elf_sha256_offset=%u, file_pos=%zu, segment_size=%zu)",
                                c->sha_off, file_pos, s->len);
        po -= SEG_HDR;
        for (int i = 0; i < 32; i++) {
            if (s->data[po + i])
                return eli_img_fail(c->why, c->wl,
                                    "Contents of segment at SHA256 digest offset 0x%x are not "
                                    "zero. Refusing to overwrite.",
                                    c->sha_off);
        }
        memcpy(s->data + po, c->elf_sha, 32);
    }
    if (s->len & 3)
        return eli_img_fail(c->why, c->wl,
                            "Invalid %s segment length 0x%zx. It has to be multiple of 4.", s->name,
                            s->len);
    if (s->len >= 0x1000000)
        return eli_img_fail(c->why, c->wl,
                            "Invalid %s segment length 0x%zx. The 16 MB limit has been exceeded.",
                            s->name, s->len);
    uint8_t h[8];
    el_put_le32(h, s->addr);
    el_put_le32(h + 4, (uint32_t)s->len);
    ob_write(f, h, 8);
    if (s->len)
        ob_write(f, s->data, s->len);
    if (ck) {
        for (size_t i = 0; i < s->len; i++)
            *ck ^= s->data[i];
    }
    return EL_OK;
}

static int save_flash_segment(struct ctx *c, struct obuf *f, struct seg *s, uint8_t *ck)
{
    if (c->chip == EL_CHIP_ESP32) {
        /* ESP-IDF 2nd stage bootloader bug workaround (esptool): an IROM/DROM segment ending
         * less than 0x24 bytes past a page boundary has its last page unmapped; pad it */
        size_t end = f->pos + s->len + SEG_HDR;
        size_t rem = end % c->irom_align;
        if (rem < 0x24 && seg_append(s, NULL, 0x24 - rem, 0) != EL_OK)
            return EL_E_NOMEM;
    }
    return save_segment(c, f, s, ck);
}

static size_t align_needed(struct ctx *c, const struct obuf *f, const struct seg *s)
{
    long long align_past = (long long)(s->addr % c->irom_align) - SEG_HDR;
    long long pad = (long long)(c->irom_align - f->pos % c->irom_align) + align_past;
    if (pad == 0 || pad == (long long)c->irom_align)
        return 0;
    pad -= SEG_HDR;
    if (pad < 0)
        pad += c->irom_align;
    return (size_t)pad;
}

static void append_checksum(struct obuf *f, uint8_t ck)
{
    f->pos += 15 - f->pos % 16; /* align_file_position: seek, the gap reads as zeros */
    ob_write(f, &ck, 1);
}

static int cmp_addr(const void *a, const void *b)
{
    const struct seg *x = *(const struct seg *const *)a, *y = *(const struct seg *const *)b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    return x < y ? -1 : (x > y); /* stable, like Python's sorted */
}

static int save(struct ctx *c, struct seglist *segs, struct obuf *f)
{
    const struct el_elf2image_opts *o = c->o;
    const struct el_chip *chip = el_chip_by_id(c->chip);
    int rc = EL_OK;
    struct seg zero = {0};
    uint8_t hdr[24] = {0};
    hdr[0] = EL_IMAGE_MAGIC;
    hdr[1] = (uint8_t)segs->n;
    hdr[2] = (uint8_t)o->flash_mode;
    hdr[3] = (uint8_t)((o->flash_size << 4) + (o->flash_freq < 0 ? 0 : o->flash_freq));
    el_put_le32(hdr + 4, c->entry);
    hdr[8] = 0xEE;
    el_put_le16(hdr + 12, chip->image_chip_id);
    hdr[14] = o->min_rev;
    el_put_le16(hdr + 15, o->min_rev_full);
    el_put_le16(hdr + 17, o->max_rev_full);
    hdr[23] = c->append_digest ? 1 : 0;
    ob_write(f, hdr, sizeof(hdr));

    /* split into flash-mapped and RAM lists, each sorted by address (copies we mutate) */
    size_t n = segs->n;
    struct seg **sorted = malloc((n ? n : 1) * sizeof(*sorted));
    struct seg **fl = malloc((n ? n : 1) * sizeof(*fl));
    struct seg **ram = malloc((n + 1) * sizeof(*ram));
    if (!sorted || !fl || !ram) {
        rc = EL_E_NOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        sorted[i] = &segs->s[i];
    qsort(sorted, n, sizeof(*sorted), cmp_addr);
    size_t nf = 0, nr = 0, ri = 0;
    for (size_t i = 0; i < n; i++) {
        if (el_image_is_flash_addr(c->chip, sorted[i]->addr))
            fl[nf++] = sorted[i];
        else
            ram[nr++] = sorted[i];
    }
    /* .flash.appdesc first among flash segments, .dram0.bootdesc first among RAM ones */
    for (size_t i = 0; i < nf; i++) {
        if (fl[i]->elf && strcmp(fl[i]->name, ".flash.appdesc") == 0) {
            struct seg *t = fl[i];
            memmove(fl + 1, fl, i * sizeof(*fl));
            fl[0] = t;
            break;
        }
    }
    for (size_t i = 0; i < nr; i++) {
        if (ram[i]->elf && strcmp(ram[i]->name, ".dram0.bootdesc") == 0) {
            struct seg *t = ram[i];
            memmove(ram + 1, ram, i * sizeof(*ram));
            ram[0] = t;
            break;
        }
    }
    for (size_t i = 1; i < nf; i++) {
        if (fl[i]->addr / c->irom_align == fl[i - 1]->addr / c->irom_align) {
            rc = eli_img_fail(c->why, c->wl,
                              "Segment loaded at 0x%08x lands in same %u KB flash mapping as "
                              "segment loaded at 0x%08x. Can't generate binary. Suggest changing "
                              "linker script or ELF to merge sections.",
                              fl[i]->addr, c->irom_align / 1024, fl[i - 1]->addr);
            goto out;
        }
    }
    uint8_t ck = 0xEF;
    unsigned total = 0;
    uint32_t boot_off = chip->bootloader_offset;
    if (o->ram_only_header) {
        for (size_t i = 0; i < nr; i++, total++) {
            if ((rc = save_segment(c, f, ram[i], &ck)))
                goto out;
        }
        append_checksum(f, ck);
        for (size_t k = nf; k-- > 0;) { /* reversed, as the linker script ordered them */
            struct seg *s = fl[k];
            long long pad =
                ((long long)s->addr - (long long)f->pos - 2 * SEG_HDR) % (long long)c->irom_align;
            if (pad < 0)
                pad += c->irom_align;
            if (pad < (long long)boot_off)
                pad += c->irom_align;
            pad -= boot_off;
            zero = (struct seg){0};
            strcpy(zero.name, s->name);
            if (seg_append(&zero, NULL, (size_t)pad, 0) != EL_OK) {
                rc = EL_E_NOMEM;
                goto out;
            }
            rc = save_segment(c, f, &zero, NULL);
            free(zero.data);
            zero = (struct seg){0};
            if (rc)
                goto out;
            total++;
            if ((rc = save_flash_segment(c, f, s, NULL)))
                goto out;
            total++;
        }
    } else {
        size_t fi = 0;
        while (fi < nf) {
            struct seg *s = fl[fi];
            size_t pad = align_needed(c, f, s);
            if (pad > 0) {
                free(zero.data);
                zero = (struct seg){0};
                strcpy(zero.name, s->name);
                if (ri < nr && pad > SEG_HDR) {
                    /* split_image: the first pad bytes of the lowest RAM segment */
                    struct seg *r = ram[ri];
                    size_t take = pad < r->len ? pad : r->len;
                    zero.addr = r->addr;
                    strcpy(zero.name, r->name);
                    if (seg_append(&zero, r->data, take, 0) != EL_OK) {
                        rc = EL_E_NOMEM;
                        goto out;
                    }
                    memmove(r->data, r->data + take, r->len - take);
                    r->len -= take;
                    r->addr += (uint32_t)pad;
                    if (r->len == 0)
                        ri++;
                } else if (seg_append(&zero, NULL, pad, 0) != EL_OK) {
                    rc = EL_E_NOMEM;
                    goto out;
                }
                rc = save_segment(c, f, &zero, &ck);
                free(zero.data);
                zero = (struct seg){0};
                if (rc)
                    goto out;
                total++;
            } else {
                if ((rc = save_flash_segment(c, f, s, &ck)))
                    goto out;
                fi++;
                total++;
            }
            if (f->oom) {
                rc = EL_E_NOMEM;
                goto out;
            }
        }
        for (; ri < nr; ri++, total++) {
            if ((rc = save_segment(c, f, ram[ri], &ck)))
                goto out;
        }
    }
    size_t space_after = 0;
    if (c->secure_pad) {
        if (!c->append_digest) {
            rc = eli_img_fail(c->why, c->wl,
                              "secure_pad only applies if a SHA-256 digest is also appended to "
                              "the image");
            goto out;
        }
        size_t align_past = (f->pos + SEG_HDR) % c->irom_align;
        space_after = c->secure_pad == 1 ? 32 + 4 + 64 + 12 : 32;
        long long pad =
            ((long long)c->irom_align - (long long)align_past - 16 - (long long)space_after) %
            (long long)c->irom_align;
        if (pad < 0)
            pad += c->irom_align;
        zero = (struct seg){0};
        strcpy(zero.name, "padding");
        if (seg_append(&zero, NULL, (size_t)pad, 0) != EL_OK) {
            rc = EL_E_NOMEM;
            goto out;
        }
        rc = save_segment(c, f, &zero, &ck);
        free(zero.data);
        zero = (struct seg){0};
        if (rc)
            goto out;
        total++;
    }
    if (!o->ram_only_header)
        append_checksum(f, ck);
    if (f->oom) {
        rc = EL_E_NOMEM;
        goto out;
    }
    size_t image_len = f->pos;
    if (total > 255) {
        rc = eli_img_fail(c->why, c->wl, "Too many segments (%u)", total);
        goto out;
    }
    f->d[1] = (uint8_t)(o->ram_only_header ? nr : total);
    if (c->append_digest) {
        uint8_t d[32];
        eli_sha256(f->d, image_len, d);
        f->pos = image_len;
        ob_write(f, d, 32);
    }
    if (o->pad_to_size) {
        size_t l = f->pos;
        if (l % o->pad_to_size)
            ob_fill(f, 0xFF, o->pad_to_size - l % o->pad_to_size);
    }
    if (f->oom)
        rc = EL_E_NOMEM;
out:
    free(zero.data);
    free(sorted);
    free(fl);
    free(ram);
    return rc;
}

void el_elf2image_opts_init(struct el_elf2image_opts *o, enum el_chip_id chip)
{
    memset(o, 0, sizeof(*o));
    o->chip = chip;
    o->flash_mode = 0;
    o->flash_freq = -1;
    o->flash_size = 0;
    o->max_rev_full = 0xFFFF;
    o->append_digest = true;
}

static bool mmu_ok(const struct eli_img_chip *ic, uint32_t v)
{
    for (size_t i = 0; i < ic->n_mmu_pages; i++) {
        if (ic->mmu_pages[i] == v)
            return true;
    }
    return false;
}

static int bad_page(const struct eli_img_chip *ic, uint32_t v, enum el_chip_id chip, char *why,
                    size_t whylen)
{
    char list[64] = "";
    for (size_t k = 0; k < ic->n_mmu_pages; k++) {
        char one[16];
        snprintf(one, sizeof(one), "%s%uKB", list[0] ? ", " : "", ic->mmu_pages[k] / 1024);
        strncat(list, one, sizeof(list) - strlen(list) - 1);
    }
    return eli_img_fail(why, whylen, "%u bytes is not a valid %s page size, select from %s.", v,
                        el_chip_by_id(chip)->display, list);
}

int el_elf2image(const uint8_t *elf, size_t elf_len, const struct el_elf2image_opts *o,
                 uint8_t **out, size_t *out_len, struct el_elf2image_info *info, char *why,
                 size_t whylen)
{
    *out = NULL;
    *out_len = 0;
    memset(info, 0, sizeof(*info));
    if (why && whylen)
        why[0] = 0;
    if (!el_chip_by_id(o->chip) || o->chip == EL_CHIP_UNKNOWN)
        return EL_E_ARG;
    if (o->flash_mode < 0 || o->flash_mode > 3 || o->flash_size < 0 || o->flash_size > 7 ||
        o->flash_freq > 15)
        return EL_E_ARG;
    struct elf e;
    int rc = read_elf(elf, elf_len, &e, why, whylen);
    struct obuf f = {0};
    if (rc)
        goto done;
    info->elf_read = true;
    const struct eli_img_chip *ic = eli_img_chip(o->chip);
    struct ctx c = {.o = o, .chip = o->chip, .irom_align = 65536, .why = why, .wl = whylen};
    c.entry = e.entry;
    c.append_digest = o->ram_only_header ? false : o->append_digest;
    /* --secure-pad (v1) applies to the ESP32 only; esptool ignores it elsewhere */
    c.secure_pad = (o->secure_pad == 1 && o->chip != EL_CHIP_ESP32) ? 0 : o->secure_pad;
    /* MMU page size: option, else the app descriptor (ESP-IDF >= 5.4), else its address */
    if (o->mmu_page_size) {
        if (!ic->n_mmu_pages) {
            if (o->mmu_page_size != c.irom_align)
                info->mmu_page_unsupported = true;
        } else if (!mmu_ok(ic, o->mmu_page_size)) {
            rc = bad_page(ic, o->mmu_page_size, o->chip, why, whylen);
            goto done;
        } else {
            c.irom_align = o->mmu_page_size;
        }
    } else if (ic->n_mmu_pages) {
        for (size_t i = 0; i < e.sections.n; i++) {
            struct seg *s = &e.sections.s[i];
            if (!strstr(s->name, ".flash.appdesc"))
                continue;
            if (el_image_is_flash_addr(o->chip, s->addr) && s->len >= 256 &&
                el_get_le32(s->data) == 0xABCD5432) {
                uint8_t p = s->data[180];
                if (p) {
                    uint32_t v = p < 32 ? (1u << p) : 0;
                    if (!mmu_ok(ic, v)) {
                        rc = bad_page(ic, v, o->chip, why, whylen);
                        goto done;
                    }
                    c.irom_align = v;
                } else {
                    bool set = false;
                    for (size_t k = ic->n_mmu_pages; k-- > 0;) {
                        if ((s->addr - 24 - 8) % ic->mmu_pages[k] == 0) {
                            c.irom_align = ic->mmu_pages[k];
                            info->mmu_page_auto = c.irom_align;
                            set = true;
                            break;
                        }
                    }
                    info->mmu_page_warn = !set;
                }
            }
            break;
        }
    }
    struct seglist *segs = o->use_segments ? &e.segments : &e.sections;
    if (o->has_elf_sha256_offset && o->elf_sha256_offset) {
        c.patch_sha = true;
        c.sha_off = o->elf_sha256_offset;
    } else {
        for (size_t i = 0; i < segs->n; i++) {
            if (strstr(segs->s[i].name, ".flash.appdesc")) {
                if (el_image_is_flash_addr(o->chip, segs->s[i].addr)) {
                    c.patch_sha = true;
                    c.sha_off = 0xB0;
                }
                break;
            }
        }
    }
    if (c.patch_sha)
        eli_sha256(elf, elf_len, c.elf_sha);
    if (o->ram_only_header && segs->n) {
        struct seg **tmp = malloc(segs->n * sizeof(*tmp));
        struct seg *copy = malloc(segs->n * sizeof(*copy));
        if (!tmp || !copy) {
            free(tmp);
            free(copy);
            rc = EL_E_NOMEM;
            goto done;
        }
        for (size_t i = 0; i < segs->n; i++)
            tmp[i] = &segs->s[i];
        qsort(tmp, segs->n, sizeof(*tmp), cmp_addr);
        for (size_t i = 0; i < segs->n; i++)
            copy[i] = *tmp[i];
        memcpy(segs->s, copy, segs->n * sizeof(*copy));
        free(tmp);
        free(copy);
    }
    if ((rc = merge_adjacent(&c, segs, &info->merged)))
        goto done;
    if (segs->n > 16) {
        rc = eli_img_fail(why, whylen,
                          "Invalid segment count %zu (max 16). Usually this indicates a linker "
                          "script problem.",
                          segs->n);
        goto done;
    }
    rc = save(&c, segs, &f);
    if (rc == EL_OK) {
        *out = f.d;
        *out_len = f.pos > f.len ? f.pos : f.len;
        f.d = NULL;
    }
done:
    free(f.d);
    seglist_free(&e.sections);
    seglist_free(&e.segments);
    return rc;
}
