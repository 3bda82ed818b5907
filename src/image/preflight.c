/* SPDX-License-Identifier: MIT */
/*
 * Pre-flight checks run before write_flash: each finding has a stable code, a level and a
 * one-line message naming what is wrong and what to do. docs/IMAGES.md lists every check
 * and the evidence it relies on. File names are only used in messages, never as evidence.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "espload/bytes.h"
#include "espload/err.h"
#include "espload/image.h"
#include "image_int.h"

struct pf {
    struct el_pf_finding *out;
    size_t cap, n;
    bool refused;
};

__attribute__((format(printf, 4, 5))) static void add(struct pf *pf, enum el_pf_level lvl,
                                                      const char *code, const char *fmt, ...)
{
    if (lvl == EL_PF_REFUSE)
        pf->refused = true;
    /* the same code for the same message is reported once */
    if (pf->n < pf->cap) {
        struct el_pf_finding *f = &pf->out[pf->n];
        f->level = lvl;
        snprintf(f->code, sizeof(f->code), "%s", code);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
        va_end(ap);
        for (size_t i = 0; i < pf->n; i++) {
            if (strcmp(pf->out[i].code, f->code) == 0 && strcmp(pf->out[i].msg, f->msg) == 0)
                return;
        }
    }
    pf->n++;
}

static const char *fname(const struct el_preflight_file *f)
{
    return f->name ? f->name : "the data";
}

static const char *chip_desc(const struct el_preflight_target *t)
{
    if (t->chip_description && *t->chip_description)
        return t->chip_description;
    const struct el_chip *c = el_chip_by_id(t->chip);
    return c ? c->display : "chip";
}

/* A partition table inside the file: returns its file offset or -1. */
static long table_in_file(const struct el_preflight_file *f, uint32_t pt_off,
                          struct el_parttable *pt)
{
    long cands[] = {(long)pt_off - (long)f->addr, (long)pt_off, (long)pt_off - 0x1000,
                    (long)pt_off - 0x2000};
    for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
        long p = cands[i];
        if (p < 0 || (size_t)p + 32 > f->len)
            continue;
        if (f->data[p] != 0xAA || f->data[p + 1] != 0x50)
            continue;
        size_t l = f->len - (size_t)p;
        if (el_parttable_parse_bin(f->data + p, l, pt, NULL, 0) == EL_OK)
            return p;
    }
    return -1;
}

static void check_header(struct pf *pf, const struct el_preflight_target *t,
                         const struct el_preflight_file *f, const struct el_image *img,
                         const char *what, bool is_boot)
{
    const struct el_chip *c = el_chip_by_id(t->chip);
    if (c && img->chip_id != c->image_chip_id) {
        const struct el_chip *ic = el_chip_by_image_id(img->chip_id);
        add(pf, EL_PF_REFUSE, "wrong-chip",
            "%s in '%s' was built for %s (image chip id %u) but the connected chip is %s: "
            "flash the %s build of this firmware",
            what, fname(f), ic ? ic->display : "an unknown chip", img->chip_id, chip_desc(t),
            c->display);
        return; /* the other header checks assume the right chip */
    }
    unsigned rev = t->chip_rev_full;
    unsigned min = img->min_rev_full ? img->min_rev_full : img->min_rev * 100u;
    if (c && rev < min)
        add(pf, EL_PF_REFUSE, "chip-revision",
            "%s in '%s' needs chip revision v%u.%u or newer but the connected chip is v%u.%u: "
            "it will not boot; rebuild with a lower minimum revision",
            what, fname(f), min / 100, min % 100, rev / 100, rev % 100);
    if (c && img->max_rev_full != 0xFFFF && rev > img->max_rev_full)
        add(pf, EL_PF_REFUSE, "chip-revision",
            "%s in '%s' supports chip revisions up to v%u.%u but the connected chip is v%u.%u: "
            "it will not boot; use a build made for this revision",
            what, fname(f), img->max_rev_full / 100, img->max_rev_full % 100, rev / 100, rev % 100);
    int size_code = img->flash_size_freq >> 4;
    uint32_t hsize = el_image_flash_size_bytes(size_code);
    if (!hsize) {
        add(pf, EL_PF_WARN, "header-settings",
            "%s in '%s' has an invalid flash size code 0x%x in its header; set it with "
            "--flash_size",
            what, fname(f), size_code);
    } else if (t->flash_size && hsize > t->flash_size) {
        add(pf, EL_PF_REFUSE, "header-flash-size",
            "%s in '%s' says the flash is %u MB but this chip has %u MB: ESP-IDF stops at boot "
            "(\"Detected size ... smaller than the size in the binary image header\"); rebuild "
            "for %u MB or pass --flash_size %uMB",
            what, fname(f), hsize >> 20, t->flash_size >> 20, t->flash_size >> 20,
            t->flash_size >> 20);
    }
    if (!el_image_flash_freq_name(t->chip, img->flash_size_freq & 0xF))
        add(pf, EL_PF_WARN, "header-settings",
            "%s in '%s' has flash frequency code 0x%x, which the %s does not define; set it with "
            "--flash_freq",
            what, fname(f), img->flash_size_freq & 0xF, c ? c->display : "chip");
    if (img->flash_mode > 3)
        add(pf, EL_PF_WARN, "header-settings",
            "%s in '%s' has an invalid flash mode %u in its header; set it with --flash_mode dio",
            what, fname(f), img->flash_mode);
    else if (is_boot && img->flash_mode == 0)
        add(pf, EL_PF_WARN, "bootloader-qio",
            "the bootloader in '%s' has QIO in its header: the ROM reads it in QIO only if the "
            "flash's quad-enable bit is already set, else the chip boot-loops; ESP-IDF writes DIO "
            "here (its bootloader enables QIO itself): use --flash_mode dio",
            fname(f));
}

static void check_psram(struct pf *pf, const struct el_preflight_target *t,
                        const struct el_preflight_file *f, const uint8_t *app, size_t len)
{
    if (t->psram == 1)
        return;
    /* packages with PSRAM inside (ESP32-D0WDR2-V3: 2 MB, ESP32-PICO-V3-02: 2 MB), in case the
     * caller only had the description (esptool's feature list omits the D0WDR2-V3's) */
    if (t->psram == -1 && t->chip_description &&
        (strstr(t->chip_description, "D0WDR2") || strstr(t->chip_description, "PICO-V3-02")))
        return;
    const struct eli_img_chip *ic = eli_img_chip(t->chip);
    if (!ic->extram_end || t->chip == EL_CHIP_UNKNOWN)
        return; /* chips without external RAM support */
    struct el_psram_evidence ev;
    el_image_psram_evidence(t->chip, app, len, &ev);
    if (ev.strength >= 2) {
        add(pf, EL_PF_WARN, "psram-missing",
            "'%s' is built for external RAM (PSRAM/SPIRAM: %s) but %s: it may stop at boot with "
            "\"Failed to init external RAM\". Flash the build without SPIRAM, or check that the "
            "module has PSRAM (e.g. WROVER, -R variants)",
            fname(f), ev.what,
            t->psram == 0 ? "the connected chip has no PSRAM"
                          : "the connected chip is not known to have PSRAM");
    } else if (ev.strength == 1) {
        add(pf, EL_PF_NOTE, "psram-maybe",
            "'%s' may use external RAM (weak sign: %s); if the board has no PSRAM and it stops "
            "with \"Failed to init external RAM\", flash the build without SPIRAM",
            fname(f), ev.what);
    }
}

static bool app_partition_at(const struct el_parttable *pt, uint32_t addr,
                             const struct el_partition **out)
{
    for (size_t i = 0; i < pt->n; i++) {
        if (pt->p[i].type == 0 && pt->p[i].offset == addr) {
            *out = &pt->p[i];
            return true;
        }
    }
    return false;
}

static void list_apps(const struct el_parttable *pt, char *buf, size_t cap)
{
    buf[0] = 0;
    size_t n = 0;
    for (size_t i = 0; i < pt->n && n + 24 < cap; i++) {
        if (pt->p[i].type != 0)
            continue;
        int k =
            snprintf(buf + n, cap - n, "%s%s 0x%x", n ? ", " : "", pt->p[i].name, pt->p[i].offset);
        if (k > 0)
            n += (size_t)k;
    }
    if (!n)
        snprintf(buf, cap, "none");
}

static void check_app(struct pf *pf, const struct el_preflight_target *t,
                      const struct el_preflight_file *f, const uint8_t *app, size_t len,
                      uint32_t addr, const struct el_parttable *pt, const char *pt_src)
{
    const struct el_chip *c = el_chip_by_id(t->chip);
    uint32_t boot = c ? c->bootloader_offset : 0x1000;
    struct el_image *img = malloc(sizeof(*img));
    if (!img)
        return;
    if (el_image_parse(app, len, t->chip, img, NULL, 0) == EL_OK) {
        check_header(pf, t, f, img, "the application", false);
        if (addr == boot) {
            add(pf, EL_PF_REFUSE, "no-app-partition",
                "'%s' is an application image but 0x%x is where the ROM expects the bootloader: "
                "write the bootloader there and the application at its app partition "
                "(usually 0x10000)",
                fname(f), addr);
        } else if (pt) {
            const struct el_partition *p;
            char apps[160];
            if (!app_partition_at(pt, addr, &p)) {
                list_apps(pt, apps, sizeof(apps));
                add(pf, EL_PF_REFUSE, "no-app-partition",
                    "'%s' is an application image but the partition table (%s) has no app "
                    "partition at 0x%x (app partitions: %s); the bootloader will never run it",
                    fname(f), pt_src, addr, apps);
            } else if (img->image_len > p->size) {
                add(pf, EL_PF_REFUSE, "partition-overflow",
                    "'%s' (%zu bytes) does not fit in app partition '%s' (%u bytes at 0x%x); use "
                    "a bigger partition or a smaller build",
                    fname(f), img->image_len, p->name, p->size, p->offset);
            }
        }
    }
    free(img);
    check_psram(pf, t, f, app, len);
}

int el_preflight_check(const struct el_preflight_target *t, const struct el_preflight_file *f,
                       size_t n_files, struct el_pf_finding *out, size_t cap, size_t *n_out)
{
    *n_out = 0;
    if (!t || (n_files && !f))
        return EL_E_ARG;
    struct pf pf = {out, cap, 0, false};
    const struct el_chip *c = el_chip_by_id(t->chip);
    uint32_t boot = c ? c->bootloader_offset : 0x1000;
    uint32_t pt_off = t->partition_table_offset ? t->partition_table_offset : EL_PT_DEFAULT_OFFSET;
    struct el_parttable *pt = calloc(2, sizeof(*pt));
    struct el_image *img = malloc(sizeof(*img));
    struct el_flash_layout *lay = malloc(sizeof(*lay));
    if (!pt || !img || !lay) {
        free(pt);
        free(img);
        free(lay);
        return EL_E_NOMEM;
    }
    /* the partition table that will be in effect: one written now, else the device's */
    const struct el_parttable *table = NULL;
    const char *table_src = NULL;
    for (size_t i = 0; i < n_files && !table; i++) {
        if (f[i].addr <= pt_off && pt_off - f[i].addr < f[i].len) {
            size_t o = pt_off - f[i].addr;
            if (el_parttable_parse_bin(f[i].data + o, f[i].len - o, &pt[0], NULL, 0) == EL_OK) {
                table = &pt[0];
                table_src = "being written";
            }
        }
    }
    if (!table && t->partition_table &&
        el_parttable_parse_bin(t->partition_table, t->partition_table_len, &pt[0], NULL, 0) ==
            EL_OK) {
        table = &pt[0];
        table_src = "on the device";
    }

    for (size_t i = 0; i < n_files; i++) {
        const struct el_preflight_file *fi = &f[i];
        if (!fi->data || !fi->len)
            continue;
        uint64_t end = (uint64_t)fi->addr + fi->len;
        if (t->flash_size && end > t->flash_size)
            add(&pf, EL_PF_REFUSE, "past-end-of-flash",
                "'%s' (%zu bytes at 0x%x) ends at 0x%llx, past the end of the %u MB flash "
                "(0x%x): use a build or table for this flash size",
                fname(fi), fi->len, fi->addr, (unsigned long long)end, t->flash_size >> 20,
                t->flash_size);
        /* secure boot / flash encryption: no plaintext bootloader over the bootloader */
        if ((t->secure_boot || t->flash_encryption) && fi->addr <= boot && end > boot) {
            size_t o = boot - fi->addr;
            if (fi->data[o] == EL_IMAGE_MAGIC &&
                el_image_parse(fi->data + o, fi->len - o, t->chip, img, NULL, 0) == EL_OK)
                add(&pf, EL_PF_REFUSE, "secure-boot-plaintext",
                    "%s is enabled in eFuse but '%s' writes a plaintext bootloader at 0x%x: the "
                    "chip would not boot it (or would expose it); write a signed/encrypted "
                    "bootloader (e.g. idf.py encrypted-flash) instead",
                    t->secure_boot ? "Secure boot" : "Flash encryption", fname(fi), boot);
        }
        /* merged images: a partition table inside the file */
        long tp = table_in_file(fi, pt_off, &pt[1]);
        if (tp >= 0 && (fi->data[0] == EL_IMAGE_MAGIC || fi->data[0] == 0xFF)) {
            uint32_t want = pt_off - (uint32_t)tp;
            if (want != fi->addr) {
                add(&pf, EL_PF_REFUSE, "merged-image-offset",
                    "'%s' is a merged flash image (partition table at file offset 0x%lx): write "
                    "it at 0x%x, not 0x%x",
                    fname(fi), tp, want, fi->addr);
            }
            if (el_image_describe_flash(fi->data, fi->len, want, t->chip, pt_off, lay) == EL_OK) {
                for (size_t k = 0; k < lay->n; k++) {
                    const struct el_flash_part *p = &lay->part[k];
                    size_t o = p->offset - want;
                    if (p->kind == EL_PART_BOOTLOADER &&
                        el_image_parse(fi->data + o, fi->len - o, t->chip, img, NULL, 0) == EL_OK)
                        check_header(&pf, t, fi, img, "the bootloader", true);
                    else if (p->kind == EL_PART_APP && p->valid)
                        check_app(&pf, t, fi, fi->data + o, p->len, p->offset, &lay->table,
                                  "in the same file");
                }
            }
            continue;
        }
        if (fi->data[0] != EL_IMAGE_MAGIC ||
            el_image_parse(fi->data, fi->len, t->chip, img, NULL, 0) != EL_OK)
            continue;
        enum el_image_kind kind = el_image_kind_of(img);
        if (kind == EL_IMG_KIND_BOOTLOADER) {
            if (fi->addr != boot)
                add(&pf, EL_PF_REFUSE, "bootloader-offset",
                    "'%s' is a bootloader image; the %s ROM loads it from 0x%x, not 0x%x: write "
                    "it at 0x%x",
                    fname(fi), c ? c->display : "chip", boot, fi->addr, boot);
            check_header(&pf, t, fi, img, "the bootloader", true);
        } else if (kind == EL_IMG_KIND_APP) {
            check_app(&pf, t, fi, fi->data, fi->len, fi->addr, table, table_src);
        }
    }
    free(pt);
    free(img);
    free(lay);
    *n_out = pf.n;
    return pf.refused ? EL_E_REFUSED : EL_OK;
}
