/* SPDX-License-Identifier: MIT */
/*
 * Image commands: image_info, elf2image, merge_bin, partition_table. Output follows esptool
 * v4.8.1 (image_info --version 2 and --v5 give the sectioned formats of v4.8.1 and v5.3.1).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/cli_int.h"
#include "espload/chip.h"
#include "espload/err.h"
#include "espload/flash.h"
#include "espload/image.h"
#include "espload/loader.h"

static const char *const mode_choices[] = {"qio", "qout", "dio", "dout", NULL};
static const char *const mode_keep_choices[] = {"keep", "qio", "qout", "dio", "dout", NULL};
static const char *const freq_choices[] = {"80m", "60m", "48m", "40m", "30m", "26m",
                                           "24m", "20m", "16m", "15m", "12m", NULL};
static const char *const freq_keep_choices[] = {"keep", "80m", "60m", "48m", "40m", "30m", "26m",
                                                "24m",  "20m", "16m", "15m", "12m", NULL};
static const char *const size_choices[] = {"1MB",  "2MB",  "4MB",   "8MB", "16MB",
                                           "32MB", "64MB", "128MB", NULL};
static const char *const size_keep_choices[] = {"keep", "1MB",  "2MB",  "4MB",   "8MB",
                                                "16MB", "32MB", "64MB", "128MB", NULL};
static const char *const fill_choices[] = {"256KB", "512KB", "1MB",  "2MB",   "4MB", "8MB",
                                           "16MB",  "32MB",  "64MB", "128MB", NULL};
static const char *const mmu_choices[] = {"64KB", "32KB", "16KB", "8KB", NULL};

static bool in_list(const char *const *l, const char *v)
{
    for (; *l; l++) {
        if (strcmp(*l, v) == 0)
            return true;
    }
    return false;
}

static const char *env_or(const char *name, const char *dflt)
{
    const char *e = getenv(name);
    return e && *e ? e : dflt;
}

/* The chip named by --chip, or NULL for "auto". */
static const struct el_chip *opt_chip(struct cli_ctx *ctx)
{
    const struct cli_opts *o = cli_get_opts(ctx);
    if (!o->chip || strcmp(o->chip, "auto") == 0)
        return NULL;
    return el_chip_by_name(o->chip);
}

static void upper(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < cap; i++)
        dst[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    dst[i] = 0;
}

static void hex32(char out[65], const uint8_t *d)
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Python's format(v, "#0Nx") / format(v, "#Nx"): "0x" + hex, padded to width with zeros
 * (zero_pad) or spaces on the left; "0x0" for zero. */
static const char *pyhex(char *buf, size_t cap, uint32_t v, int width, bool zero_pad)
{
    char digits[16];
    int n = snprintf(digits, sizeof(digits), "%x", v);
    int pad = width - 2 - n;
    if (pad < 0)
        pad = 0;
    if (zero_pad)
        snprintf(buf, cap, "0x%0*d%s", pad, 0, digits);
    else
        snprintf(buf, cap, "%*s0x%s", pad, "", digits);
    if (zero_pad && pad == 0)
        snprintf(buf, cap, "0x%s", digits);
    return buf;
}

static void title(const char *t)
{
    size_t n = strlen(t);
    char line[128];
    if (n >= sizeof(line))
        n = sizeof(line) - 1;
    memset(line, '=', n);
    line[n] = 0;
    cli_printf("%s\n%s\n", t, line);
}

/* ------------------------------------------------------------------------------------ */
/* image_info                                                                             */
/* ------------------------------------------------------------------------------------ */

static void mem_types(enum el_chip_id chip, uint32_t addr, const char *sep, char *out, size_t cap,
                      bool v4)
{
    const char *t[8];
    size_t n = v4 ? el_image_mem_types_v4(chip, addr, t, 8) : el_image_mem_types(chip, addr, t, 8);
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (i)
            strncat(out, sep, cap - strlen(out) - 1);
        strncat(out, t[i], cap - strlen(out) - 1);
    }
}

static bool has_type4(enum el_chip_id chip, uint32_t addr, const char *name)
{
    const char *t[8];
    size_t n = el_image_mem_types_v4(chip, addr, t, 8);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i], name) == 0)
            return true;
    }
    return false;
}

/* cu: the chip as esptool prints it in titles ("ESP32-C6" when detected; v4 with --chip
 * prints the --chip value upper-cased, "ESP32C6"). d: the file (v4 picks descriptors with
 * its own memory map). */
static void info_sectioned(const struct el_image *img, const uint8_t *d, const char *cu, bool v5)
{
    char t[96], hx[3][24];
    cli_printf("\n");
    snprintf(t, sizeof(t), v5 ? "%s Image Header" : "%s image header", cu);
    title(t);
    cli_printf("Image version: 1\n");
    if (img->entry)
        cli_printf("Entry point: %s\n", pyhex(hx[0], sizeof(hx[0]), img->entry, 8, false));
    else
        cli_printf("Entry point not set\n");
    cli_printf("Segments: %zu\n", img->n_segments);
    const char *fs = el_image_flash_size_name(img->flash_size_freq >> 4);
    if (fs)
        cli_printf("Flash size: %s\n", fs);
    else
        cli_printf("%s (%s)\n", v5 ? "Warning: Invalid flash size" : "WARNING: Invalid flash size",
                   pyhex(hx[0], sizeof(hx[0]), img->flash_size_freq & 0xF0, 2, true));
    const char *ff = el_image_flash_freq_name(img->chip, img->flash_size_freq & 0xF);
    if (ff)
        cli_printf("Flash freq: %s\n", ff);
    else
        cli_printf("%s (%s)\n",
                   v5 ? "Warning: Invalid flash frequency" : "WARNING: Invalid flash frequency",
                   pyhex(hx[0], sizeof(hx[0]), img->flash_size_freq & 0xF, 2, true));
    const char *fm = el_image_flash_mode_name(img->flash_mode);
    if (fm)
        cli_printf("Flash mode: %s\n", fm);
    else
        cli_printf("%s (%u)\n", v5 ? "Warning: Invalid flash mode" : "WARNING: Invalid flash mode",
                   img->flash_mode);
    cli_printf("\n");
    snprintf(t, sizeof(t), v5 ? "%s Extended Image Header" : "%s extended image header", cu);
    title(t);
    cli_printf("WP pin: %s%s\n", pyhex(hx[0], sizeof(hx[0]), img->wp_pin, 2, true),
               img->wp_pin == 0xEE ? " (disabled)" : "");
    {
        const uint8_t v[6] = {img->clk_drv, img->q_drv,  img->d_drv,
                              img->cs_drv,  img->hd_drv, img->wp_drv};
        char p[6][8];
        for (int i = 0; i < 6; i++)
            snprintf(p[i], sizeof(p[i]), "0x%x", v[i]);
        cli_printf("Flash pins drive settings: clk_drv: %s, q_drv: %s, d_drv: %s, cs0_drv: %s, "
                   "hd_drv: %s, wp_drv: %s\n",
                   p[0], p[1], p[2], p[3], p[4], p[5]);
    }
    const struct el_chip *ic = el_chip_by_image_id(img->chip_id);
    if (ic) {
        char u[32];
        upper(u, sizeof(u), ic->display);
        cli_printf("Chip ID: %u (%s)\n", img->chip_id, ic->display);
    } else {
        cli_printf("Chip ID: %u (Unknown ID)\n", img->chip_id);
    }
    cli_printf("Minimal chip revision: v%u.%u, (legacy min_rev = %u)\n", img->min_rev_full / 100,
               img->min_rev_full % 100, img->min_rev);
    cli_printf("Maximal chip revision: v%u.%u\n", img->max_rev_full / 100, img->max_rev_full % 100);
    cli_printf("\n");
    title(v5 ? "Segments Information" : "Segments information");
    cli_printf("%7s  %7s  %10s  %10s  %-10s\n", "Segment", "Length", "Load addr", "File offs",
               "Memory types");
    cli_printf("-------  -------  ----------  ----------  ------------\n");
    for (size_t i = 0; i < img->n_segments; i++) {
        char mt[128];
        mem_types(img->chip, img->seg[i].addr, ", ", mt, sizeof(mt), !v5);
        cli_printf("%7zu  %s  %s  %s  %s\n", i,
                   pyhex(hx[0], sizeof(hx[0]), img->seg[i].len, 7, true),
                   pyhex(hx[1], sizeof(hx[1]), img->seg[i].addr, 10, true),
                   pyhex(hx[2], sizeof(hx[2]), img->seg[i].file_offs, 10, true), mt);
    }
    cli_printf("\n");
    snprintf(t, sizeof(t), v5 ? "%s Image Footer" : "%s image footer", cu);
    title(t);
    pyhex(hx[0], sizeof(hx[0]), img->checksum, v5 ? 4 : 2, true);
    if (img->checksum == img->checksum_calc)
        cli_printf("Checksum: %s (valid)\n", hx[0]);
    else if (v5)
        cli_printf("Checksum: %s (invalid - calculated %s)\n", hx[0],
                   pyhex(hx[1], sizeof(hx[1]), img->checksum_calc, 4, true));
    else
        cli_printf("Checksum: %s (invalid - calculated %02x)\n", hx[0], img->checksum_calc);
    char h[65];
    if (img->has_digest) {
        hex32(h, img->digest_calc);
        cli_printf("Validation hash: %s (%s)\n", h, img->digest_valid ? "valid" : "invalid");
    }
    /* v4 takes the app descriptor from the last DROM segment of its map */
    struct el_app_desc a4;
    bool has_app = img->has_app_desc, has_boot = img->has_bootloader_desc;
    const struct el_app_desc *a = &img->app;
    if (!v5) {
        bool drom = false;
        has_app = false;
        for (size_t i = 0; i < img->n_segments; i++) {
            if (has_type4(img->chip, img->seg[i].addr, "DROM")) {
                drom = true;
                has_app = el_image_app_desc(d + img->seg[i].file_offs + 8, img->seg[i].len, &a4);
            }
        }
        a = &a4;
        if (drom)
            has_boot = false;
    }
    if (has_app) {
        cli_printf("\n");
        title(v5 ? "Application Information" : "Application information");
        cli_printf("Project name: %s\n", a->project_name);
        cli_printf("App version: %s\n", a->version);
        cli_printf("Compile time: %s %s\n", a->date, a->time);
        hex32(h, a->app_elf_sha256);
        cli_printf("ELF file SHA256: %s\n", h);
        cli_printf("ESP-IDF: %s\n", a->idf_ver);
        if (v5) {
            cli_printf("Minimal eFuse block revision: %u.%u\n", a->min_efuse_blk_rev_full / 100,
                       a->min_efuse_blk_rev_full % 100);
            cli_printf("Maximal eFuse block revision: %u.%u\n", a->max_efuse_blk_rev_full / 100,
                       a->max_efuse_blk_rev_full % 100);
            if (a->mmu_page_size && a->mmu_page_size < 32)
                cli_printf("MMU page size: %u KB\n", (1u << a->mmu_page_size) / 1024);
        }
        cli_printf("Secure version: %u\n", a->secure_version);
    } else if (has_boot) {
        cli_printf("\n");
        title(v5 ? "Bootloader Information" : "Bootloader information");
        cli_printf("Bootloader version: %u\n", img->boot.version);
        cli_printf("ESP-IDF: %s\n", img->boot.idf_ver);
        cli_printf("Compile time: %s\n", img->boot.date_time);
    }
}

static void info_legacy(const struct el_image *img)
{
    cli_printf("Image version: 1\n");
    if (img->entry)
        cli_printf("Entry point: %8x\n", img->entry);
    else
        cli_printf("Entry point not set\n");
    cli_printf("%zu segments\n\n", img->n_segments);
    for (size_t i = 0; i < img->n_segments; i++) {
        char mt[128];
        mem_types(img->chip, img->seg[i].addr, ",", mt, sizeof(mt), true);
        cli_printf("Segment %zu: len 0x%05x load 0x%08x file_offs 0x%08x [%s]\n", i + 1,
                   img->seg[i].len, img->seg[i].addr, img->seg[i].file_offs, mt);
    }
    if (img->checksum == img->checksum_calc)
        cli_printf("Checksum: %02x (valid)\n", img->checksum);
    else
        cli_printf("Checksum: %02x (invalid - calculated %02x)\n", img->checksum,
                   img->checksum_calc);
    if (img->has_digest) {
        char h[65];
        hex32(h, img->digest_calc);
        cli_printf("Validation Hash: %s (%s)\n", h, img->digest_valid ? "valid" : "invalid");
    }
}

/* Parts of a merged image or flash dump (espload addition, printed after the first image). */
static void info_flash_parts(const uint8_t *d, size_t len, enum el_chip_id chip, uint32_t pt_off)
{
    struct el_flash_layout *lay = malloc(sizeof(*lay));
    if (!lay)
        return;
    const struct el_chip *c = el_chip_by_id(chip);
    uint32_t bases[2] = {0, c ? c->bootloader_offset : 0};
    for (int b = 0; b < 2; b++) {
        if (el_image_describe_flash(d, len, bases[b], chip, pt_off, lay) != EL_OK ||
            !lay->has_table)
            continue;
        cli_printf("\n");
        title("Flash layout");
        cli_printf("File byte 0 is flash address 0x%x; parts found:\n", bases[b]);
        for (size_t i = 0; i < lay->n; i++) {
            const struct el_flash_part *p = &lay->part[i];
            const char *name = p->kind == EL_PART_BOOTLOADER  ? "bootloader"
                               : p->kind == EL_PART_PARTTABLE ? "partition table"
                               : p->kind == EL_PART_APP       ? "app"
                                                              : "data";
            const char *pn = p->pt_index >= 0 ? lay->table.p[p->pt_index].name : "";
            cli_printf("  0x%08x  %-15s %-16s %u bytes%s\n", p->offset, name, pn, p->len,
                       p->valid ? "" : " (not a valid image)");
            if (p->kind == EL_PART_APP && p->valid) {
                struct el_image *img = malloc(sizeof(*img));
                if (img &&
                    el_image_parse(d + (p->offset - bases[b]), p->len, chip, img, NULL, 0) ==
                        EL_OK &&
                    img->has_app_desc)
                    cli_printf("              project '%s', version '%s', ESP-IDF %s\n",
                               img->app.project_name, img->app.version, img->app.idf_ver);
                free(img);
                struct el_psram_evidence ev;
                el_image_psram_evidence(chip, d + (p->offset - bases[b]), p->len, &ev);
                if (ev.strength >= 2)
                    cli_printf("              built with external RAM (PSRAM) support: %s\n",
                               ev.what);
            }
        }
        break;
    }
    free(lay);
}

CLI_CMD(cmd_image_info)
{
    const char *prog = argv[0];
    static const char *const ver_choices[] = {"1", "2", NULL};
    const char *version = "1";
    bool v5 = false, parts = false;
    long long pt_off = EL_PT_DEFAULT_OFFSET;
    struct cli_opt opts[] = {
        {"version", NULL, "v", OPT_STR, &version, ver_choices, "{1,2}",
         "output format version (1 - legacy, 2 - extended)", 0, NULL, NULL},
        {"v5", NULL, NULL, OPT_FLAG, &v5, NULL, NULL,
         "print esptool v5's format (sectioned, with eFuse block revisions)", 0, NULL, NULL},
        {"parts", NULL, NULL, OPT_FLAG, &parts, NULL, NULL,
         "also describe a merged image or flash dump (bootloader, table, apps)", 0, NULL, NULL},
        {"partition-table-offset", NULL, NULL, OPT_INT, &pt_off, NULL, "OFFSET",
         "partition table offset for --parts (default 0x8000)", 0, NULL, NULL},
        {0},
    };
    int npos = 0;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "image_info [options] filename",
                       "Dump headers from a binary file (bootloader or application)");
    if (rc)
        return rc == CLI_HELP_SHOWN ? 0 : rc;
    if (npos != 1)
        return cli_usage_error(prog,
                               npos ? "unrecognized arguments: %s"
                                    : "the following arguments are required: filename",
                               npos ? argv[2] : "");
    if (pt_off < 0 || pt_off > 0xFFFFFFFF)
        return cli_usage_error(prog, "argument --partition-table-offset: out of range");
    const struct cli_opts *go = cli_get_opts(ctx);
    const struct el_chip *c = opt_chip(ctx);
    if (!c && go->chip && strcmp(go->chip, "auto") != 0)
        return cli_usage_error(prog, "unknown chip '%s'", go->chip);
    uint8_t *d;
    size_t len;
    if ((rc = cli_read_file(argv[1], &d, &len)))
        return rc;
    if (len && d[0] == ':') {
        /* Intel HEX input, converted as esptool does (data from the lowest address) */
        uint8_t *bin;
        size_t blen;
        uint32_t start;
        char w[160];
        if (el_ihex_decode((const char *)d, len, &bin, &blen, &start, w, sizeof(w)) == EL_OK) {
            free(d);
            d = bin;
            len = blen;
        }
    }
    if (v5)
        cli_printf("Image size: %zu bytes\n", len);
    else
        cli_printf("File size: %zu (bytes)\n", len);
    if (len == 0) {
        cli_fatal(v5 ? "Image is empty." : "File is empty");
        free(d);
        return EXIT_INPUT;
    }
    if (d[0] != EL_IMAGE_MAGIC && parts) {
        /* a flash dump or a merged image from 0x0 (0xFF before the bootloader): describe
         * the parts only; the chip comes from --chip or the bootloader's header */
        enum el_chip_id pc = c ? c->id : EL_CHIP_UNKNOWN;
        static const uint32_t boots[] = {0x1000, 0x0, 0x2000};
        for (size_t i = 0; !pc && i < 3; i++) {
            if (boots[i] + 24 <= len && d[boots[i]] == EL_IMAGE_MAGIC) {
                const struct el_chip *bc = el_chip_by_image_id(d[boots[i] + 12]);
                if (bc && bc->bootloader_offset == boots[i])
                    pc = bc->id;
            }
        }
        if (pc) {
            if (!c)
                cli_printf("Detected image type: %s\n", el_chip_by_id(pc)->display);
            info_flash_parts(d, len, pc, (uint32_t)pt_off);
            free(d);
            return EXIT_OK;
        }
    }
    if (d[0] != EL_IMAGE_MAGIC) {
        cli_fatal(v5 ? "This is not a valid image (invalid magic number: 0x%x)."
                     : "This is not a valid image (invalid magic number: 0x%x)",
                  d[0]);
        free(d);
        return EXIT_INPUT;
    }
    enum el_chip_id chip;
    if (c) {
        chip = c->id;
    } else {
        if (len < 24 || d[23] > 1 || !el_chip_by_image_id(d[12])) {
            if (len >= 24 && d[23] <= 1)
                cli_fatal("the image is for chip id %u, which espload does not support (it "
                          "supports %s); pass --chip to read it anyway",
                          d[12], el_chip_names());
            else
                cli_fatal("this looks like an ESP8266 image (no ESP32-family extended header); "
                          "ESP8266 images are not supported, pass --chip if it is an ESP32-family "
                          "image");
            free(d);
            return EXIT_INPUT;
        }
        /* esptool looks at the low byte of the chip id only */
        chip = el_chip_by_image_id(d[12])->id;
        cli_printf("Detected image type: %s\n", el_chip_by_id(chip)->display);
    }
    /* titles: v4 upper-cases the --chip value ("ESP32C6"), else the chip's name "ESP32-C6" */
    char cu[32];
    if (c && !v5)
        upper(cu, sizeof(cu), c->name);
    else
        snprintf(cu, sizeof(cu), "%s", el_chip_by_id(chip)->display);
    struct el_image *img = malloc(sizeof(*img));
    char why[200];
    if (!img) {
        free(d);
        cli_fatal("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    rc = el_image_parse(d, len, chip, img, why, sizeof(why));
    if (rc == EL_OK || rc == EL_E_FORMAT) {
        const struct el_chip *ec = el_chip_by_id(chip);
        if (len >= 24 && img->chip_id != ec->image_chip_id)
            cli_printf(v5 ? "Warning: Unexpected chip ID in image. Expected %u but value was %u. "
                            "Is this image for a different chip model?\n"
                          : "Unexpected chip id in image. Expected %u but value was %u. Is this "
                            "image for a different chip model?\n",
                       ec->image_chip_id, img->chip_id);
    }
    if (rc != EL_OK) {
        cli_fatal("%s", why);
        free(img);
        free(d);
        return EXIT_INPUT;
    }
    if (v5)
        info_sectioned(img, d, cu, true);
    else if (strcmp(version, "2") == 0)
        info_sectioned(img, d, cu, false);
    else
        info_legacy(img);
    if (parts)
        info_flash_parts(d, len, chip, (uint32_t)pt_off);
    free(img);
    free(d);
    return EXIT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* elf2image                                                                              */
/* ------------------------------------------------------------------------------------ */

CLI_CMD(cmd_elf2image)
{
    const char *prog = argv[0];
    static const char *const ver_choices[] = {"1", "2", "3", NULL};
    const char *output = NULL, *version = "1", *mmu = NULL, *pad_to = NULL;
    const char *fm = env_or("ESPTOOL_FM", "qio"), *ff = env_or("ESPTOOL_FF", NULL),
               *fs = env_or("ESPTOOL_FS", "1MB");
    long long min_rev = 0, min_rev_full = 0, max_rev_full = 65535, sha_off = -1;
    bool secure_pad = false, secure_pad_v2 = false, dont_digest = false, use_segments = false,
         ram_only = false, v4_merge = false;
    struct cli_opt opts[] = {
        {"output", NULL, "o", OPT_STR, &output, NULL, "OUTPUT",
         "output filename (default: the ELF name with .bin)", 0, NULL, NULL},
        {"version", NULL, "e", OPT_STR, &version, ver_choices, "{1,2,3}",
         "output image version (ESP8266 only; ignored for ESP32-family chips)", 0, NULL, NULL},
        {"min-rev", NULL, "r", OPT_INT, &min_rev, NULL, "{0..255}",
         "minimal chip revision, legacy field (use --min-rev-full)", 0, NULL, NULL},
        {"min-rev-full", NULL, NULL, OPT_INT, &min_rev_full, NULL, "{0..65535}",
         "minimal chip revision (major * 100 + minor)", 0, NULL, NULL},
        {"max-rev-full", NULL, NULL, OPT_INT, &max_rev_full, NULL, "{0..65535}",
         "maximal chip revision (major * 100 + minor)", 0, NULL, NULL},
        {"secure-pad", NULL, NULL, OPT_FLAG, &secure_pad, NULL, NULL,
         "pad so the signed image ends on a 64 KB boundary (Secure Boot v1, ESP32 only)", 0, NULL,
         NULL},
        {"secure-pad-v2", NULL, NULL, OPT_FLAG, &secure_pad_v2, NULL, NULL,
         "pad so the signature sector starts on a 64 KB boundary (Secure Boot v2)", 0, NULL, NULL},
        {"elf-sha256-offset", NULL, NULL, OPT_INT, &sha_off, NULL, "OFFSET",
         "insert the SHA-256 of the ELF file at this offset in the image", 0, NULL, NULL},
        {"dont-append-digest", NULL, NULL, OPT_FLAG, &dont_digest, NULL, NULL,
         "do not append a SHA-256 digest of the image", 0, NULL, NULL},
        {"use-segments", NULL, NULL, OPT_FLAG, &use_segments, NULL, NULL,
         "use ELF segments (program headers) instead of sections", 0, NULL, NULL},
        {"flash-mmu-page-size", NULL, NULL, OPT_STR, &mmu, mmu_choices, "SIZE",
         "flash MMU page size (ESP32-C2/C6/H2)", 0, NULL, NULL},
        {"pad-to-size", NULL, NULL, OPT_STR, &pad_to, NULL, "SIZE",
         "pad the image with 0xFF to a multiple of this size (e.g. 64KB, 1MB)", 0, NULL, NULL},
        {"ram-only-header", NULL, NULL, OPT_FLAG, &ram_only, NULL, NULL,
         "put RAM segments first and count only them in the header (no digest)", 0, NULL, NULL},
        {"merge-exec-v4", NULL, NULL, OPT_FLAG, &v4_merge, NULL, NULL,
         "merge sections as esptool v4 did (also require equal EXEC flags)", 0, NULL, NULL},
        {"flash-freq", NULL, "ff", OPT_STR, &ff, freq_choices, "FREQ", "SPI flash frequency", 0,
         NULL, NULL},
        {"flash-mode", NULL, "fm", OPT_STR, &fm, mode_choices, "MODE",
         "SPI flash mode (default qio)", 0, NULL, NULL},
        {"flash-size", NULL, "fs", OPT_STR, &fs, size_choices, "SIZE",
         "SPI flash size (default 1MB)", 0, NULL, NULL},
        {0},
    };
    int npos = 0;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "elf2image [options] input",
                       "Create an application image from ELF file");
    if (rc)
        return rc == CLI_HELP_SHOWN ? 0 : rc;
    if (npos != 1)
        return cli_usage_error(prog,
                               npos ? "unrecognized arguments: %s"
                                    : "the following arguments are required: input",
                               npos ? argv[2] : "");
    if (min_rev < 0 || min_rev > 255)
        return cli_usage_error(prog, "argument --min-rev/-r: invalid choice: %lld", min_rev);
    if (min_rev_full < 0 || min_rev_full > 65535)
        return cli_usage_error(prog, "argument --min-rev-full: invalid choice: %lld", min_rev_full);
    if (max_rev_full < 0 || max_rev_full > 65535)
        return cli_usage_error(prog, "argument --max-rev-full: invalid choice: %lld", max_rev_full);
    if (sha_off < -1 || sha_off > 0xFFFFFFFF)
        return cli_usage_error(prog, "argument --elf-sha256-offset: out of range");
    if (!in_list(mode_choices, fm))
        return cli_usage_error(prog, "argument --flash_mode/-fm: invalid choice: '%s'", fm);
    if (ff && !in_list(freq_choices, ff))
        return cli_usage_error(prog, "argument --flash_freq/-ff: invalid choice: '%s'", ff);
    if (!in_list(size_choices, fs))
        return cli_usage_error(prog, "argument --flash_size/-fs: invalid choice: '%s'", fs);
    const struct el_chip *c = opt_chip(ctx);
    if (!c) {
        cli_fatal("elf2image needs --chip (one of %s); espload does not make ESP8266 images",
                  el_chip_names());
        return EXIT_USAGE;
    }
    struct el_elf2image_opts o;
    el_elf2image_opts_init(&o, c->id);
    o.flash_mode = el_image_flash_mode_code(fm);
    o.flash_size = el_image_flash_size_code(fs);
    if (ff) {
        o.flash_freq = el_image_flash_freq_code(c->id, ff);
        if (o.flash_freq < 0) {
            cli_fatal("Flash frequency '%s' is not supported by this chip type.", ff);
            return EXIT_USAGE;
        }
    }
    o.min_rev = (uint8_t)min_rev;
    o.min_rev_full = (uint16_t)min_rev_full;
    o.max_rev_full = (uint16_t)max_rev_full;
    o.append_digest = !dont_digest;
    o.use_segments = use_segments;
    if (sha_off >= 0) {
        o.has_elf_sha256_offset = true;
        o.elf_sha256_offset = (uint32_t)sha_off;
    }
    if (pad_to && (el_image_parse_size(pad_to, &o.pad_to_size) != EL_OK || !o.pad_to_size))
        return cli_usage_error(prog, "argument --pad-to-size: invalid size '%s'", pad_to);
    if (mmu)
        el_image_parse_size(mmu, &o.mmu_page_size);
    o.secure_pad = secure_pad_v2 ? 2 : secure_pad ? 1 : 0;
    o.ram_only_header = ram_only;
    o.v4_merge = v4_merge;
    uint8_t *elf;
    size_t elf_len;
    if ((rc = cli_read_file(argv[1], &elf, &elf_len)))
        return rc;
    uint8_t *img;
    size_t img_len;
    struct el_elf2image_info info;
    char why[300];
    rc = el_elf2image(elf, elf_len, &o, &img, &img_len, &info, why, sizeof(why));
    free(elf);
    /* esptool's order: the ELF is read before "Creating ..."; MMU notes, the RAM-only
     * note, then merging and layout */
    if (info.elf_read) {
        cli_printf("Creating %s image...\n", c->name);
        if (info.mmu_page_unsupported)
            cli_printf("WARNING: Changing MMU page size is not supported on %s! Defaulting to "
                       "64KB.\n",
                       c->display);
        if (info.mmu_page_auto)
            cli_printf("MMU page size not specified, set to %u KB\n", info.mmu_page_auto / 1024);
        if (info.mmu_page_warn)
            cli_printf("Warning: App description segment is not aligned to MMU page size, "
                       "probably linker script issue or wrong MMU page size. Try to set MMU page "
                       "size parameter manually.\n");
        if (ram_only)
            cli_printf("Image has only RAM segments visible. ROM segments are hidden and SHA256 "
                       "digest is not appended.\n");
    }
    if (rc != EL_OK) {
        cli_fatal("%s", why[0] ? why : el_strerror(rc));
        return rc == EL_E_FORMAT ? EXIT_INPUT : cli_exit_from_err(rc);
    }
    if (info.merged)
        cli_printf("Merged %u ELF section%s\n", info.merged, info.merged > 1 ? "s" : "");
    char *outname = NULL;
    if (!output) {
        /* os.path.splitext(input)[0] + ".bin" */
        const char *in = argv[1];
        size_t l = strlen(in);
        const char *slash = strrchr(in, '/');
        const char *dot = strrchr(in, '.');
        const char *base = slash ? slash + 1 : in;
        while (*base == '.')
            base++;
        if (dot && dot > base)
            l = (size_t)(dot - in);
        outname = malloc(l + 5);
        if (!outname) {
            free(img);
            return EXIT_FAILURE_OTHER;
        }
        memcpy(outname, in, l);
        strcpy(outname + l, ".bin");
        output = outname;
    }
    rc = cli_write_file(output, img, img_len);
    free(img);
    free(outname);
    if (rc)
        return rc;
    cli_printf("Successfully created %s image.\n", c->name);
    return EXIT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* merge_bin                                                                              */
/* ------------------------------------------------------------------------------------ */

CLI_CMD(cmd_merge_bin)
{
    const char *prog = argv[0];
    static const char *const fmt_choices[] = {"raw", "uf2", "hex", NULL};
    const char *output = NULL, *format = "raw", *fill = NULL, *pad = NULL;
    const char *fm = env_or("ESPTOOL_FM", "keep"), *ff = env_or("ESPTOOL_FF", "keep"),
               *fs = env_or("ESPTOOL_FS", "keep");
    long long chunk = 0, target = 0;
    bool md5_disable = false;
    struct cli_opt opts[] = {
        {"output", NULL, "o", OPT_STR, &output, NULL, "OUTPUT", "output filename (required)", 0,
         NULL, NULL},
        {"format", NULL, "f", OPT_STR, &format, fmt_choices, "{raw,uf2,hex}",
         "format of the output file", 0, NULL, NULL},
        {"chunk-size", NULL, NULL, OPT_INT, &chunk, NULL, "CHUNK_SIZE",
         "UF2: data bytes per 512-byte block (multiple of 4)", 0, NULL, NULL},
        {"md5-disable", NULL, NULL, OPT_FLAG, &md5_disable, NULL, NULL,
         "UF2: no MD5 checksum in the blocks", 0, NULL, NULL},
        {"target-offset", NULL, "t", OPT_INT, &target, NULL, "ADDR",
         "raw: flash address the output will be written to", 0, NULL, NULL},
        {"fill-flash-size", NULL, NULL, OPT_STR, &fill, fill_choices, "SIZE",
         "raw: pad with 0xFF up to this flash size (v4 spelling)", 0, NULL, NULL},
        {"pad-to-size", NULL, NULL, OPT_STR, &pad, fill_choices, "SIZE",
         "raw: pad with 0xFF up to this flash size (v5 spelling)", 0, NULL, NULL},
        {"flash-freq", NULL, "ff", OPT_STR, &ff, freq_keep_choices, "FREQ",
         "SPI flash frequency for the bootloader header", 0, NULL, NULL},
        {"flash-mode", NULL, "fm", OPT_STR, &fm, mode_keep_choices, "MODE",
         "SPI flash mode for the bootloader header", 0, NULL, NULL},
        {"flash-size", NULL, "fs", OPT_STR, &fs, size_keep_choices, "SIZE",
         "SPI flash size for the bootloader header", 0, NULL, NULL},
        {0},
    };
    int npos = 0;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false,
                       "merge_bin -o OUTPUT [options] <address> <filename> ...",
                       "Merge multiple raw binary files into a single file for later flashing");
    if (rc)
        return rc == CLI_HELP_SHOWN ? 0 : rc;
    if (!output)
        return cli_usage_error(prog, "the following arguments are required: --output/-o");
    if (npos < 2 || npos % 2)
        return cli_usage_error(prog, "Values to be merged must be in pairs of <address> "
                                     "<filename>");
    if (target < 0 || target > 0xFFFFFFFF)
        return cli_usage_error(prog, "argument --target-offset/-t: out of range");
    if (chunk && (chunk < 0 || chunk & 3))
        return cli_usage_error(prog, "argument --chunk-size: Chunk size should be a 4-byte aligned "
                                     "number");
    if (!in_list(mode_keep_choices, fm) || !in_list(freq_keep_choices, ff) ||
        !in_list(size_keep_choices, fs))
        return cli_usage_error(prog, "invalid flash parameter in ESPTOOL_FM/FF/FS");
    const struct el_chip *c = opt_chip(ctx);
    if (!c) {
        cli_fatal("Please specify the chip argument (choose from %s)", el_chip_names());
        return EXIT_USAGE;
    }
    struct el_merge_opts mo = {0};
    mo.chip = c->id;
    mo.format = strcmp(format, "hex") == 0   ? EL_MERGE_HEX
                : strcmp(format, "uf2") == 0 ? EL_MERGE_UF2
                                             : EL_MERGE_RAW;
    mo.target_offset = (uint32_t)target;
    mo.chunk_size = (uint32_t)chunk;
    mo.md5_disable = md5_disable;
    if (fill || pad)
        el_image_parse_size(pad ? pad : fill, &mo.pad_to_size);
    mo.flash_mode = el_image_flash_mode_code(fm);
    mo.flash_size = el_image_flash_size_code(fs);
    mo.flash_freq = el_image_flash_freq_code(c->id, ff);
    if (mo.flash_freq == EL_E_ARG) {
        cli_fatal("Flash frequency '%s' is not supported by this chip type.", ff);
        return EXIT_USAGE;
    }
    struct cli_region *r;
    size_t n;
    if ((rc = cli_load_regions(prog, argv + 1, npos, &r, &n)))
        return rc;
    struct el_merge_input *in = calloc(n, sizeof(*in));
    if (!in) {
        cli_free_regions(r, n);
        return EXIT_FAILURE_OTHER;
    }
    for (size_t i = 0; i < n; i++)
        in[i] = (struct el_merge_input){r[i].addr, r[i].data, r[i].len, r[i].path};
    if (mo.format == EL_MERGE_HEX && n == 1)
        cli_printf("WARNING: Only one input file specified, output may include additional "
                   "padding if input file was previously merged. Please refer to the "
                   "documentation for more information: "
                   "https://docs.espressif.com/projects/esptool/en/latest/esptool/"
                   "basic-commands.html#hex-output-format\n");
    uint8_t *out;
    size_t out_len;
    struct el_merge_note notes[32];
    size_t nn;
    char why[300];
    rc = el_merge(in, n, &mo, &out, &out_len, notes, 32, &nn, why, sizeof(why));
    /* the lines esptool prints per input, in address order */
    if (rc == EL_OK) {
        size_t *ord = calloc(n, sizeof(*ord));
        for (size_t i = 0; ord && i < n; i++) {
            size_t j = i;
            while (j > 0 && in[ord[j - 1]].addr > in[i].addr) {
                ord[j] = ord[j - 1];
                j--;
            }
            ord[j] = i;
        }
        for (size_t k = 0; ord && k < n; k++) {
            const struct el_merge_input *m = &in[ord[k]];
            if (mo.format == EL_MERGE_UF2)
                cli_printf("Adding %s at 0x%x\n", m->name, m->addr);
            for (size_t i = 0; i < nn && i < 32; i++) {
                if (notes[i].input != ord[k])
                    continue;
                if (notes[i].kind == 3)
                    cli_printf("Warning: Image file at 0x%x doesn't look like an image file, so "
                               "not changing any flash settings.\n",
                               m->addr);
                else if (notes[i].kind == 4)
                    cli_printf("Warning: Image file at 0x%x is not a valid %s image, so not "
                               "changing any flash settings.\n",
                               m->addr, c->name);
                else if (notes[i].kind == 1)
                    cli_printf("Flash params set to 0x%04x\n", notes[i].value);
                else if (notes[i].kind == 2)
                    cli_printf("SHA digest in image updated\n");
            }
        }
        free(ord);
    }
    free(in);
    if (rc != EL_OK) {
        cli_free_regions(r, n);
        cli_fatal("%s", why[0] ? why : el_strerror(rc));
        return rc == EL_E_FORMAT ? EXIT_INPUT : cli_exit_from_err(rc);
    }
    rc = cli_write_file(output, out, out_len);
    free(out);
    if (rc) {
        cli_free_regions(r, n);
        return rc;
    }
    if (mo.format == EL_MERGE_UF2) {
        cli_printf("Wrote 0x%zx bytes to file %s, ready to be flashed with any ESP USB Bridge\n",
                   out_len, output);
    } else {
        cli_printf("Wrote 0x%zx bytes to file %s, ready to flash to offset 0x%x\n", out_len, output,
                   mo.target_offset);
    }
    cli_free_regions(r, n);
    return EXIT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* partition_table                                                                        */
/* ------------------------------------------------------------------------------------ */

static void print_table(const struct el_parttable *pt)
{
    cli_printf("%-16s %-16s %-10s %-10s %-10s %s\n", "Name", "Type", "SubType", "Offset", "Size",
               "Flags");
    for (size_t i = 0; i < pt->n; i++) {
        const struct el_partition *p = &pt->p[i];
        char t[24], st[24], sz[24];
        const char *tn = el_parttable_type_name(p->type);
        const char *sn = el_parttable_subtype_name(p->type, p->subtype);
        snprintf(t, sizeof(t), "%s (0x%02x)", tn ? tn : "?", p->type);
        snprintf(st, sizeof(st), "%s", sn ? sn : "");
        if (!sn)
            snprintf(st, sizeof(st), "0x%02x", p->subtype);
        cli_printf("%-16s %-16s %-10s 0x%-8x 0x%-8x %s%s%s  (%s)\n", p->name, t, st, p->offset,
                   p->size, (p->flags & 1) ? "encrypted" : "", (p->flags & 3) == 3 ? ":" : "",
                   (p->flags & 2) ? "readonly" : "", cli_size_str(p->size, sz, sizeof(sz)));
    }
}

CLI_CMD(cmd_partition_table)
{
    const char *prog = argv[0];
    const char *output = NULL, *flash_size = NULL;
    long long pt_off = EL_PT_DEFAULT_OFFSET;
    bool no_verify = false, disable_md5 = false, quiet = false;
    struct cli_opt opts[] = {
        {"output", NULL, "o", OPT_STR, &output, NULL, "OUTPUT",
         "write the converted table here (binary for CSV input, CSV for binary input)", 0, NULL,
         NULL},
        {"partition-table-offset", NULL, NULL, OPT_INT, &pt_off, NULL, "OFFSET",
         "flash offset of the table (default 0x8000)", 0, NULL, NULL},
        {"flash-size", NULL, NULL, OPT_STR, &flash_size, NULL, "SIZE",
         "check the partitions fit in this flash size (e.g. 4MB)", 0, NULL, NULL},
        {"no-verify", NULL, NULL, OPT_FLAG, &no_verify, NULL, NULL,
         "do not check overlaps and alignment", 0, NULL, NULL},
        {"disable-md5sum", NULL, NULL, OPT_FLAG, &disable_md5, NULL, NULL,
         "no MD5 row in the binary table", 0, NULL, NULL},
        {"quiet", NULL, "q", OPT_FLAG, &quiet, NULL, NULL, "only print errors", 0, NULL, NULL},
        {0},
    };
    int npos = 0;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false,
                       "partition_table [options] <file.bin|file.csv>",
                       "Print a partition table, or convert it between CSV and binary "
                       "(ESP-IDF gen_esp32part.py semantics). A binary input may also be a merged "
                       "image or a flash dump.");
    if (rc)
        return rc == CLI_HELP_SHOWN ? 0 : rc;
    if (pt_off < 0 || pt_off > 0xFFFFFFFF || pt_off % 0x1000)
        return cli_usage_error(prog,
                               "argument --partition-table-offset: must be a multiple of 0x1000");
    uint32_t fsize = 0;
    if (flash_size && (el_image_parse_size(flash_size, &fsize) != EL_OK || !fsize))
        return cli_usage_error(prog, "argument --flash-size: invalid size '%s'", flash_size);
    uint8_t *d = NULL;
    size_t len = 0;
    if (npos == 0 && cli_get_opts(ctx)->port) {
        /* read the table from the device */
        struct el_loader *l;
        if ((rc = cli_connect(ctx, &l)))
            return rc;
        d = malloc(EL_PT_MAX_LEN);
        if (!d)
            return EXIT_FAILURE_OTHER;
        len = EL_PT_MAX_LEN;
        if (!quiet)
            cli_printf("Reading the partition table at 0x%x...\n", (unsigned)pt_off);
        el_loader_set_progress_cb(l, NULL, NULL); /* a quiet read */
        rc = el_flash_read(l, (uint32_t)pt_off, d, len);
        if (rc != EL_OK) {
            free(d);
            return cli_fail(ctx, rc, "cannot read the partition table");
        }
        /* the --after action runs when the command returns */
    } else if (npos != 1) {
        return cli_usage_error(prog,
                               npos ? "unrecognized arguments: %s"
                                    : "the following arguments are required: input "
                                      "(or --port to read the device's table)",
                               npos ? argv[2] : "");
    }
    if (!d && (rc = cli_read_file(argv[1], &d, &len)))
        return rc;
    const char *input = npos ? argv[1] : "the device's flash";
    struct el_parttable *pt = malloc(sizeof(*pt));
    if (!pt) {
        free(d);
        return EXIT_FAILURE_OTHER;
    }
    char why[300];
    bool binary = len >= 2 && d[0] == 0xAA && d[1] == 0x50;
    size_t at = 0;
    if (!binary && len > 32) {
        /* a merged image or a flash dump: the table at its offset from byte 0, or from the
         * bootloader offsets merged files commonly start at */
        uint32_t cands[3] = {(uint32_t)pt_off, (uint32_t)pt_off - 0x1000,
                             (uint32_t)pt_off - 0x2000};
        for (int i = 0; i < 3 && !binary; i++) {
            if (cands[i] + 32 <= len && d[cands[i]] == 0xAA && d[cands[i] + 1] == 0x50) {
                at = cands[i];
                binary = true;
            }
        }
        if (binary && !quiet)
            cli_printf("Found a partition table at file offset 0x%zx\n", at);
    }
    if (binary) {
        if (!quiet)
            cli_printf("Parsing binary partition input...\n");
        rc = el_parttable_parse_bin(d + at, len - at, pt, why, sizeof(why));
    } else {
        bool text = true;
        for (size_t i = 0; i < len; i++)
            text = text && d[i] != 0;
        if (!text) {
            free(d);
            free(pt);
            cli_fatal("'%s' is neither a binary partition table (0xAA50 magic) nor CSV text",
                      input);
            return EXIT_INPUT;
        }
        if (!quiet)
            cli_printf("Parsing CSV input...\n");
        rc = el_parttable_parse_csv((const char *)d, len, (uint32_t)pt_off, pt, why, sizeof(why));
    }
    free(d);
    if (rc == EL_OK && !no_verify) {
        if (!quiet)
            cli_printf("Verifying table...\n");
        rc = el_parttable_verify(pt, (uint32_t)pt_off, fsize, why, sizeof(why));
    }
    if (rc != EL_OK) {
        cli_fatal("%s", why);
        free(pt);
        return EXIT_INPUT;
    }
    if (binary) {
        size_t need = el_parttable_to_csv(pt, NULL, 0);
        char *csv = malloc(need + 1);
        if (!csv) {
            free(pt);
            return EXIT_FAILURE_OTHER;
        }
        el_parttable_to_csv(pt, csv, need + 1);
        if (output)
            rc = cli_write_file(output, (const uint8_t *)csv, need);
        else
            cli_printf("%s", csv);
        free(csv);
    } else {
        uint8_t bin[EL_PT_MAX_LEN];
        size_t bl;
        if (el_parttable_to_bin(pt, disable_md5, bin, sizeof(bin), &bl) != EL_OK) {
            cli_fatal("Binary partition table longer than 0x%x bytes: too many partitions",
                      EL_PT_MAX_LEN);
            free(pt);
            return EXIT_INPUT;
        }
        if (output)
            rc = cli_write_file(output, bin, bl);
        else
            print_table(pt);
    }
    free(pt);
    return rc ? rc : EXIT_OK;
}
