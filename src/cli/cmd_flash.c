/* SPDX-License-Identifier: MIT */
/* Flash commands: write_flash, read_flash, verify_flash, erase_flash, erase_region,
 * flash_id, read_flash_status, write_flash_status, read_flash_sfdp. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli_int.h"
#include "espload/chip.h"
#include "espload/err.h"
#include "espload/image.h"
#include "espload/loader.h"

/* ---- shared flash options ---- */

static const char *const mode_choices[] = {"keep", "qio", "qout", "dio", "dout", NULL};
static const char *const freq_choices[] = {"keep", "80m", "60m", "48m", "40m", "30m", "26m",
                                           "24m",  "20m", "16m", "15m", "12m", NULL};
static const char *const size_choices[] = {"detect", "keep",   "256KB", "512KB",  "1MB",
                                           "2MB",    "2MB-c1", "4MB",   "4MB-c1", "8MB",
                                           "16MB",   "32MB",   "64MB",  "128MB",  NULL};
static const char *const bytes_choices[] = {"1", "2", "3", NULL};
static const char *const diff_choices[] = {"yes", "no", NULL};
static const char *const flash_type_choices[] = {"nor", NULL};

struct flash_args {
    const char *mode, *freq, *size; /* as given, or environment default, or "keep" */
    const char *spi_conn;
};

static void flash_args_defaults(struct flash_args *fa)
{
    const char *e;
    fa->mode = (e = getenv("ESPTOOL_FM")) && *e ? e : "keep";
    fa->freq = (e = getenv("ESPTOOL_FF")) && *e ? e : "keep";
    fa->size = (e = getenv("ESPTOOL_FS")) && *e ? e : "keep";
    fa->spi_conn = NULL;
}

static bool in_list(const char *const *l, const char *v)
{
    for (; *l; l++)
        if (strcmp(*l, v) == 0)
            return true;
    return false;
}

/* Environment defaults are not checked by the option parser: check them here. */
static int check_flash_args(const char *prog, const struct flash_args *fa)
{
    if (!in_list(mode_choices, fa->mode))
        return cli_usage_error(prog, "argument --flash_mode/-fm: invalid choice: '%s'", fa->mode);
    if (!in_list(freq_choices, fa->freq))
        return cli_usage_error(prog, "argument --flash_freq/-ff: invalid choice: '%s'", fa->freq);
    if (!in_list(size_choices, fa->size))
        return cli_usage_error(prog, "argument --flash_size/-fs: invalid choice: '%s'", fa->size);
    return 0;
}

/* "4MB" -> bytes; 0 for keep/detect or unknown. */
static uint32_t size_arg_bytes(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (end == s)
        return 0;
    if (!strncmp(end, "MB", 2))
        return (uint32_t)(v << 20);
    if (!strncmp(end, "KB", 2))
        return (uint32_t)(v << 10);
    return 0;
}

/* --spi-connection: SPI, HSPI or CLK,Q,D,HD,CS. Returns 0 and *value (and esptool's text
 * for it), or EXIT_USAGE. */
static int parse_spi_conn(const char *prog, const char *s, long *value, char *text, size_t cap)
{
    *value = -1;
    text[0] = 0;
    if (!s)
        return 0;
    if (!strcasecmp(s, "SPI")) {
        *value = 0;
        snprintf(text, cap, "SPI");
        return 0;
    }
    if (!strcasecmp(s, "HSPI")) {
        *value = 1;
        snprintf(text, cap, "HSPI");
        return 0;
    }
    unsigned pins[5];
    int n = 0;
    const char *p = s;
    while (n < 5) {
        char buf[16];
        size_t k = strcspn(p, ",");
        if (k == 0 || k >= sizeof(buf))
            break;
        memcpy(buf, p, k);
        buf[k] = 0;
        long long v;
        if (!cli_parse_int(buf, &v) || v < 0 || v > 63)
            return cli_usage_error(prog,
                                   "argument --spi-connection: '%s' is not a valid pin "
                                   "number",
                                   buf);
        pins[n++] = (unsigned)v;
        p += k;
        if (*p != ',')
            break;
        p++;
    }
    if (n != 5 || *p)
        return cli_usage_error(prog,
                               "argument --spi-connection: %s is not a valid spi-connection "
                               "value. Values are SPI, HSPI, or a sequence of 5 pin numbers - "
                               "CLK,Q,D,HD,CS.",
                               s);
    uint32_t v;
    if (el_flash_spi_pins(pins[0], pins[1], pins[2], pins[3], pins[4], &v) != EL_OK)
        return cli_usage_error(prog, "argument --spi-connection: pins %s are out of range", s);
    *value = (long)v;
    snprintf(text, cap, "CLK:%u, Q:%u, D:%u, HD:%u, CS:%u", pins[0], pins[1], pins[2], pins[3],
             pins[4]);
    return 0;
}

/* Connects, attaches the flash, checks it answers, and (when size_opt is not NULL) prints
 * "Configuring flash size..." and sets the flash size like esptool. *detected is the size
 * from the JEDEC id (0 = unknown), *effective the size set (0 = none). */
static int flash_prepare(struct cli_ctx *ctx, const char *prog, const struct flash_args *fa,
                         bool with_size, struct el_loader **lp, uint32_t *detected,
                         uint32_t *effective)
{
    *detected = 0;
    if (effective)
        *effective = 0;
    long spi = -1;
    char spitext[64];
    int rc = parse_spi_conn(prog, fa ? fa->spi_conn : NULL, &spi, spitext, sizeof(spitext));
    if (rc)
        return rc;
    struct el_loader *l;
    if ((rc = cli_connect(ctx, &l)))
        return rc;
    *lp = l;
    const struct el_chip_info *ci = cli_chip_info(ctx);
    bool sdm = ci && ci->secure_download;
    if (spi >= 0)
        cli_printf("Configuring SPI flash mode (%s)...\n", spitext);
    rc = el_flash_attach(l, spi);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot attach the SPI flash");
    uint32_t id = 0;
    if (!sdm) {
        rc = el_flash_read_id(l, &id);
        if (rc != EL_OK)
            return cli_fail(ctx, rc, "Unable to verify flash chip connection");
        if ((id & 0xFFFFFF) == 0xFFFFFF || (id & 0xFFFFFF) == 0) {
            cli_warn("WARNING: Failed to communicate with the flash chip, read/write operations "
                     "will fail. Try checking the chip connections or removing any other "
                     "hardware connected to IOs.\n");
            if (fa && fa->spi_conn)
                cli_printf("Some GPIO pins might be used by other peripherals, try using "
                           "another --spi-connection combination.\n");
        }
        *detected = el_flash_size_from_id(id);
    }
    ctx->flash_size_detected = *detected;
    ctx->flash_size_known = true;
    if (!with_size)
        return 0;
    cli_printf("Configuring flash size...\n");
    uint32_t size = 0;
    if (!strcmp(fa->size, "detect") || !strcmp(fa->size, "keep")) {
        if (sdm) {
            if (!strcmp(fa->size, "detect")) {
                cli_fatal("Detecting flash size is not supported in secure download mode. Need "
                          "to manually specify flash size.");
                return EXIT_UNSUPPORTED;
            }
        } else if (*detected) {
            size = *detected;
            /* esptool v4 only prints this for --flash_size detect; espload prints it whenever
             * it detected the size (docs/CLI.md) */
            cli_printf("Auto-detected Flash size: %s\n", el_flash_size_name(size));
        } else if (!strcmp(fa->size, "detect")) {
            size = 4u << 20;
            cli_warn("WARNING: Could not auto-detect Flash size (FlashID=0x%x, SizeID=0x%x), "
                     "defaulting to 4MB\n",
                     id & 0xFFFFFF, (id >> 16) & 0xFF);
        }
        if (!ctx->stub && !strcmp(fa->size, "keep"))
            cli_printf("WARNING: In case of failure, please set a specific --flash_size.\n");
    } else {
        size = size_arg_bytes(fa->size);
    }
    if (size) {
        rc = el_flash_set_params(l, size);
        if (rc != EL_OK)
            return cli_fail(ctx, rc, "cannot set the flash parameters");
        if (ctx->stub && ctx->chip != EL_CHIP_ESP32S3 && size > (16u << 20))
            cli_printf("WARNING: Flasher stub doesn't fully support flash size larger than "
                       "16MB, in case of failure use --no-stub.\n");
    }
    if (effective)
        *effective = size;
    return 0;
}

/* ---- header patching at the bootloader offset (esptool _update_image_flash_params) ---- */

/* Resolved header codes for mode/freq/size; EL_IMG_KEEP where the option is keep. */
struct patch_codes {
    int mode, freq, size;
    bool all_keep;
};

static int resolve_codes(struct cli_ctx *ctx, const char *prog, const struct flash_args *fa,
                         uint32_t detected, struct patch_codes *pc)
{
    pc->all_keep =
        !strcmp(fa->mode, "keep") && !strcmp(fa->freq, "keep") && !strcmp(fa->size, "keep");
    pc->mode = pc->freq = pc->size = EL_IMG_KEEP;
    if (pc->all_keep)
        return 0;
    pc->mode = el_image_flash_mode_code(fa->mode);
    pc->freq = el_image_flash_freq_code((enum el_chip_id)ctx->chip, fa->freq);
    const char *size = fa->size;
    char buf[16];
    if (!strcmp(size, "detect"))
        size = detected ? el_flash_size_name(detected) : "4MB";
    snprintf(buf, sizeof(buf), "%s", size);
    pc->size = el_image_flash_size_code(buf);
    const struct el_chip *c = el_chip_by_id((enum el_chip_id)ctx->chip);
    if (pc->mode < 0 && pc->mode != EL_IMG_KEEP)
        return cli_usage_error(prog, "flash mode '%s' is not valid", fa->mode);
    if (pc->freq < 0 && pc->freq != EL_IMG_KEEP)
        return cli_usage_error(prog,
                               "flash frequency '%s' is not supported by %s; choose one "
                               "the chip supports",
                               fa->freq, c ? c->display : "this chip");
    if (pc->size < 0 && pc->size != EL_IMG_KEEP)
        return cli_usage_error(prog, "flash size '%s' is not supported by %s", size,
                               c ? c->display : "this chip");
    return 0;
}

/* Messages of patch_header: printed at once (msgs NULL) or kept to print later, so that
 * write_flash can patch every file before the pre-flight checks yet print esptool's lines
 * where esptool prints them. */
static void emit(char *msgs, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void emit(char *msgs, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!msgs) {
        cli_vprintf(fmt, ap);
    } else {
        size_t used = strlen(msgs);
        if (used + 1 < cap)
            vsnprintf(msgs + used, cap - used, fmt, ap);
    }
    va_end(ap);
}

static void patch_header(struct cli_ctx *ctx, uint32_t addr, uint8_t *data, size_t len,
                         const struct patch_codes *pc, char *msgs, size_t cap)
{
    const struct el_chip *c = el_chip_by_id((enum el_chip_id)ctx->chip);
    if (!c || len < 8 || addr != c->bootloader_offset || pc->all_keep)
        return;
    const struct el_chip_info *ci = cli_chip_info(ctx);
    if (ci && (ci->secure_boot || ci->secure_download)) {
        emit(msgs, cap,
             "WARNING: Security features enabled, so not changing any flash settings.\n");
        return;
    }
    if (data[0] != 0xE9) {
        emit(msgs, cap,
             "Warning: Image file at 0x%x doesn't look like an image file, so not changing "
             "any flash settings.\n",
             addr);
        return;
    }
    bool changed = false, sha = false;
    uint16_t params = 0;
    char why[256] = "";
    int rc = el_image_patch_flash_params((enum el_chip_id)ctx->chip, data, len, pc->mode, pc->freq,
                                         pc->size, &changed, &params, &sha, why, sizeof(why));
    if (rc != EL_OK) {
        emit(msgs, cap,
             "Warning: Image file at 0x%x is not a valid %s image, so not changing any "
             "flash settings.\n",
             addr, c->display);
        if (ctx->verbose && why[0])
            emit(msgs, cap, "(%s)\n", why);
        return;
    }
    if (changed)
        emit(msgs, cap, "Flash params set to 0x%04x\n", params);
    if (sha)
        emit(msgs, cap, "SHA digest in image updated\n");
}

/* Pads to a multiple of 4 with 0xFF (esptool pad_to). Returns a new buffer or NULL. */
static uint8_t *padded_copy(const uint8_t *d, size_t len, size_t *plen)
{
    size_t n = (len + 3) & ~(size_t)3;
    uint8_t *p = malloc(n ? n : 1);
    if (!p)
        return NULL;
    memcpy(p, d, len);
    memset(p + len, 0xFF, n - len);
    *plen = n;
    return p;
}

static void hex16(const uint8_t md5[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", md5[i]);
}

/* ---- verify (verify_flash, write_flash --verify) ---- */

static int verify_regions(struct cli_ctx *ctx, struct el_loader *l, struct cli_region *r, size_t n,
                          const struct patch_codes *pc, bool diff)
{
    bool differences = false;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        uint8_t *img = padded_copy(r[i].data, r[i].len, &len);
        if (!img) {
            cli_fatal("out of memory");
            return EXIT_FAILURE_OTHER;
        }
        if (pc)
            patch_header(ctx, r[i].addr, img, len, pc, NULL, 0);
        cli_printf("Verifying 0x%zx (%zu) bytes @ 0x%08x in flash against %s...\n", len, len,
                   r[i].addr, r[i].path);
        uint8_t dev[16];
        int rc = el_flash_md5(l, r[i].addr, (uint32_t)len, dev);
        if (rc != EL_OK) {
            free(img);
            return cli_fail(ctx, rc, "cannot compute the flash MD5");
        }
        char want[33], got[33];
        cli_md5_hex(img, len, want);
        hex16(dev, got);
        if (!strcmp(want, got)) {
            cli_printf("-- verify OK (digest matched)\n");
            free(img);
            continue;
        }
        differences = true;
        if (!diff) {
            cli_printf("-- verify FAILED (digest mismatch)\n");
            free(img);
            continue;
        }
        uint8_t *flash = malloc(len);
        if (!flash) {
            free(img);
            cli_fatal("out of memory");
            return EXIT_FAILURE_OTHER;
        }
        cli_xfer_begin(r[i].path);
        rc = el_flash_read(l, r[i].addr, flash, len);
        cli_out_endline();
        if (rc != EL_OK) {
            free(img);
            free(flash);
            return cli_fail(ctx, rc, "cannot read the flash");
        }
        size_t ndiff = 0, first = 0;
        for (size_t k = 0; k < len; k++)
            if (flash[k] != img[k] && ndiff++ == 0)
                first = k;
        cli_printf("-- verify FAILED: %zu differences, first @ 0x%08zx\n", ndiff,
                   (size_t)r[i].addr + first);
        for (size_t k = 0; k < len; k++)
            if (flash[k] != img[k])
                cli_printf("   %08zx %02x %02x\n", (size_t)r[i].addr + k, flash[k], img[k]);
        free(flash);
        free(img);
    }
    if (differences) {
        cli_fatal("Verify failed.");
        return EXIT_VERIFY;
    }
    return 0;
}

/* ---- write_flash ---- */

struct write_args {
    struct flash_args fa;
    bool erase_all, no_progress, verify, encrypt, ignore_enc, force, compress, no_compress;
    bool skip_flashed, no_skip, monitor;
    const char *encrypt_files, *flash_type;
};

/* A region as it will be written, with the header-patch messages to print before it. */
struct write_img {
    uint32_t addr;
    const char *path;
    uint8_t *data;
    size_t len;
    char msgs[512];
};

/* Reports an MD5 mismatch after a write, with what the status register says. */
static int md5_mismatch(struct cli_ctx *ctx, struct el_loader *l, uint32_t addr,
                        const struct el_write_result *res)
{
    char want[33], got[33] = "unknown", ff[33];
    hex16(res->md5, want);
    uint8_t dev[16];
    if (el_flash_md5(l, addr, (uint32_t)res->len, dev) == EL_OK)
        hex16(dev, got);
    uint8_t *ones = malloc(res->len ? res->len : 1);
    if (ones) {
        memset(ones, 0xFF, res->len);
        cli_md5_hex(ones, res->len, ff);
        free(ones);
    } else {
        snprintf(ff, sizeof(ff), "?");
    }
    cli_printf("File  md5: %s\n", want);
    cli_printf("Flash md5: %s\n", got);
    cli_printf("MD5 of 0xFF is %s\n", ff);
    uint32_t sr = 0;
    if (el_flash_read_status(l, 2, &sr) == EL_OK && (sr & 0x7C))
        cli_fatal("MD5 of file does not match data in flash!; the flash is write-protected "
                  "(status register 0x%04x has block-protect bits set): clear them with "
                  "'espload write_flash_status --non-volatile 0' and write again",
                  sr);
    else if (!strcmp(got, ff))
        cli_fatal("MD5 of file does not match data in flash!; the written region reads back "
                  "erased: the flash may be write-protected or not powered, check the board");
    else
        cli_fatal("MD5 of file does not match data in flash!; check the power supply and "
                  "cable, and try a lower --baud");
    return EXIT_VERIFY;
}

/* Pre-flight checks (image.h); prints findings. Returns 0 or EXIT_REFUSED. */
static int preflight(struct cli_ctx *ctx, struct el_loader *l, const struct write_img *r, size_t n,
                     uint32_t flash_size, bool force)
{
    const struct el_chip_info *ci = cli_chip_info(ctx);
    struct el_preflight_target t;
    memset(&t, 0, sizeof(t));
    t.chip = (enum el_chip_id)ctx->chip;
    t.chip_rev_full = ci && ci->rev_known ? ci->rev_major * 100 + ci->rev_minor : 0;
    t.flash_size = flash_size;
    t.secure_boot = ci && ci->secure_boot;
    t.flash_encryption = ci && ci->flash_encryption;
    t.psram = ci ? cli_psram_from_features(ci->features[EL_STYLE_V4]) : -1;
    t.chip_description = ci ? ci->description[EL_STYLE_V4] : "";
    t.partition_table_offset = 0x8000;
    /* the partition table the device will boot with: from the files if one is written
     * there, else read from the device */
    uint8_t table[0xC00];
    bool covered = false;
    for (size_t i = 0; i < n; i++)
        if (r[i].addr <= 0x8000 && r[i].addr + r[i].len >= 0x8000 + 0x20)
            covered = true;
    if (!covered && !(ci && ci->secure_download) && flash_size >= 0x9000) {
        el_loader_set_progress_cb(l, NULL, NULL); /* a quiet look */
        if (el_flash_read(l, 0x8000, table, sizeof(table)) == EL_OK) {
            t.partition_table = table;
            t.partition_table_len = sizeof(table);
        }
        cli_restore_progress(ctx);
    }
    cli_out_endline();
    struct el_preflight_file files[64];
    size_t nf = n < 64 ? n : 64;
    for (size_t i = 0; i < nf; i++) {
        files[i].addr = r[i].addr;
        files[i].data = r[i].data;
        files[i].len = r[i].len;
        files[i].name = r[i].path;
    }
    struct el_pf_finding found[16];
    size_t nfound = 0;
    int rc = el_preflight_check(&t, files, nf, found, 16, &nfound);
    if (nfound > 16)
        nfound = 16;
    bool refused = false;
    for (size_t i = 0; i < nfound; i++) {
        if (found[i].level == EL_PF_NOTE)
            cli_printf("Note: %s\n", found[i].msg);
        else if (found[i].level == EL_PF_WARN || force)
            cli_warn("WARNING: %s%s\n", found[i].msg,
                     found[i].level == EL_PF_REFUSE ? " (writing anyway: --force)" : "");
        else
            refused = true;
    }
    if ((rc == EL_E_REFUSED || refused) && !force) {
        for (size_t i = 0; i < nfound; i++)
            if (found[i].level == EL_PF_REFUSE) {
                cli_fatal("%s; use --force to flash anyway [%s]", found[i].msg, found[i].code);
                break;
            }
        return EXIT_REFUSED;
    }
    return 0;
}

static int erase_all(struct cli_ctx *ctx, struct el_loader *l, bool force)
{
    const struct el_chip_info *ci = cli_chip_info(ctx);
    if (!force && ci && !ci->secure_download && (ci->flash_encryption || ci->secure_boot)) {
        cli_fatal("Active security features detected, erasing flash is disabled as a safety "
                  "measure. Use --force to override, please use with caution, otherwise it may "
                  "brick your device!");
        return EXIT_REFUSED;
    }
    cli_printf("Erasing flash (this may take a while)...\n");
    cli_xfer_begin(NULL);
    double t0 = cli_now();
    int rc = el_flash_erase_all(l);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "Failed to erase the flash");
    double t = cli_now() - t0;
    cli_printf("Chip erase completed successfully in %.1fs\n", t);
    return 0;
}

int cmd_write_flash(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload write_flash";
    struct write_args a;
    memset(&a, 0, sizeof(a));
    flash_args_defaults(&a.fa);
    const struct cli_opt opts[] = {
        {"erase-all", NULL, "e", OPT_FLAG, &a.erase_all, NULL, NULL,
         "erase all of the flash (not just the written areas) first", 0, NULL, NULL},
        {"flash-freq", NULL, "ff", OPT_STR, &a.fa.freq, freq_choices, "FREQ",
         "SPI flash frequency written into the bootloader header", 0, NULL, NULL},
        {"flash-mode", NULL, "fm", OPT_STR, &a.fa.mode, mode_choices, "MODE",
         "SPI flash mode written into the bootloader header", 0, NULL, NULL},
        {"flash-size", NULL, "fs", OPT_STR, &a.fa.size, size_choices, "SIZE",
         "SPI flash size (header and size checks)", 0, NULL, NULL},
        {"spi-connection", NULL, "sc", OPT_STR, &a.fa.spi_conn, NULL, "PINS",
         "SPI, HSPI or CLK,Q,D,HD,CS pins of the flash", 0, NULL, NULL},
        {"no-progress", NULL, "p", OPT_FLAG, &a.no_progress, NULL, NULL, "no progress output", 0,
         NULL, NULL},
        {"verify", NULL, NULL, OPT_FLAG, &a.verify, NULL, NULL,
         "verify again after writing (every write is verified by MD5 anyway)", 0, NULL, NULL},
        {"encrypt", NULL, NULL, OPT_FLAG, &a.encrypt, NULL, NULL, "not supported yet", 0, NULL,
         NULL},
        {"encrypt-files", NULL, NULL, OPT_STR, &a.encrypt_files, NULL, "ADDR FILE",
         "not supported yet", 0, NULL, NULL},
        {"ignore-flash-enc-efuse", "ignore-flash-encryption-efuse-setting", NULL, OPT_FLAG,
         &a.ignore_enc, NULL, NULL, "not supported yet", 0, NULL, NULL},
        {"force", NULL, NULL, OPT_FLAG, &a.force, NULL, NULL,
         "write even if the pre-flight or security checks refuse", 0, NULL, NULL},
        {"compress", NULL, "z", OPT_FLAG, &a.compress, NULL, NULL,
         "compress the data in transfer (the default, also with --no-stub)", 0, NULL, NULL},
        {"no-compress", NULL, "u", OPT_FLAG, &a.no_compress, NULL, NULL,
         "send the data uncompressed", 0, NULL, NULL},
        {"skip-flashed", NULL, "s", OPT_FLAG, &a.skip_flashed, NULL, NULL,
         "only skip whole files whose data is already in flash (one MD5 each; by default "
         "unchanged sectors are skipped too)",
         0, NULL, NULL},
        {"no-skip", NULL, NULL, OPT_FLAG, &a.no_skip, NULL, NULL,
         "write everything, even data the device already holds", 0, NULL, NULL},
        {"flash-type", NULL, "ft", OPT_STR, &a.flash_type, flash_type_choices, "TYPE",
         "flash type (nor)", 0, NULL, NULL},
        {"monitor", NULL, NULL, OPT_FLAG, &a.monitor, NULL, NULL,
         "after writing and resetting, open the serial monitor", 0, NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "[options] <address> <filename> ...",
                       "Write binary files to flash (each written file is verified by MD5).");
    if (rc)
        return rc;
    if ((rc = check_flash_args(prog, &a.fa)))
        return rc;
    if (a.compress && a.no_compress)
        return cli_usage_error(prog, "argument --no-compress/-u: not allowed with argument "
                                     "--compress/-z");
    if (a.skip_flashed && a.no_skip)
        return cli_usage_error(prog, "--skip-flashed and --no-skip contradict each other");
    if (a.encrypt && a.encrypt_files) {
        cli_fatal("Options --encrypt and --encrypt-files must not be specified at the same "
                  "time.");
        return EXIT_USAGE;
    }
    if (a.encrypt || a.encrypt_files) {
        cli_fatal("encrypted writes (--encrypt, --encrypt-files) are not supported by espload "
                  "yet; use esptool for flash encryption");
        return EXIT_UNSUPPORTED;
    }
    struct cli_region *r;
    size_t n;
    if ((rc = cli_load_regions(prog, argv + 1, npos, &r, &n)))
        return rc;
    struct write_img *img = NULL;
    struct el_compress_job **jobs = NULL;
    for (size_t i = 0; i < n; i++) {
        if (r[i].addr % 4) {
            rc = cli_usage_error(prog,
                                 "address 0x%x of '%s' is not 4-byte aligned; flash writes start "
                                 "on a 4-byte boundary (normally a multiple of 0x1000)",
                                 r[i].addr, r[i].path);
            goto out;
        }
        if (r[i].len == 0) {
            cli_fatal("'%s' is empty: there is nothing to write at 0x%x; check the file (esptool "
                      "skips empty files with a warning)",
                      r[i].path, r[i].addr);
            rc = EXIT_INPUT;
            goto out;
        }
    }
    /* the files are known: their strong compression runs while connecting (a write takes a
     * job's result only when it is ready in time, see el_compress_job_choose) */
    if (!a.no_compress && (jobs = calloc(n, sizeof(*jobs))) != NULL)
        for (size_t i = 0; i < n; i++)
            (void)el_compress_job_start(r[i].data, r[i].len, EL_COMP_ZOPFLI, 0, &jobs[i]);
    struct el_loader *l;
    uint32_t detected, setsize;
    if ((rc = flash_prepare(ctx, prog, &a.fa, true, &l, &detected, &setsize)))
        goto out;
    struct patch_codes pc;
    if ((rc = resolve_codes(ctx, prog, &a.fa, detected, &pc)))
        goto out;
    const struct el_chip_info *ci = cli_chip_info(ctx);
    bool sdm = ci && ci->secure_download;

    /* sizes: the set --flash_size, or the real chip if smaller */
    uint32_t set_bytes = size_arg_bytes(a.fa.size);
    uint32_t flash_end = sdm ? set_bytes : detected;
    if (!sdm && set_bytes && detected && set_bytes > detected)
        cli_warn("WARNING: Set --flash_size %s is larger than the available flash size of %s.\n",
                 a.fa.size, el_flash_size_name(detected));
    if (set_bytes && (!flash_end || set_bytes < flash_end))
        flash_end = set_bytes;
    if (flash_end) {
        for (size_t i = 0; i < n; i++)
            if ((uint64_t)r[i].addr + r[i].len > flash_end) {
                cli_fatal("File %s (length %zu) at offset %u will not fit in %u bytes of flash. "
                          "Change the --flash_size argument, or flashing address.",
                          r[i].path, r[i].len, r[i].addr, flash_end);
                rc = EXIT_SIZE;
                goto out;
            }
    }
    /* esptool's own refusal: secure boot protects the bootloader region */
    if (!a.force && ci && ci->secure_boot)
        for (size_t i = 0; i < n; i++)
            if (r[i].addr < 0x8000) {
                cli_fatal("Secure Boot detected, writing to flash regions < 0x8000 is disabled to "
                          "protect the bootloader. Use --force to override, please use with "
                          "caution, otherwise it may brick your device!");
                rc = EXIT_REFUSED;
                goto out;
            }
    /* the data as it will be written: padded to 4 bytes, header patched at the bootloader
     * offset (messages printed later, where esptool prints them) */
    img = calloc(n, sizeof(*img));
    if (!img) {
        cli_fatal("out of memory");
        rc = EXIT_FAILURE_OTHER;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        img[i].addr = r[i].addr;
        img[i].path = r[i].path;
        img[i].data = padded_copy(r[i].data, r[i].len, &img[i].len);
        if (!img[i].data) {
            cli_fatal("out of memory");
            rc = EXIT_FAILURE_OTHER;
            goto out;
        }
        img[i].msgs[0] = 0;
        if (!sdm)
            patch_header(ctx, r[i].addr, img[i].data, img[i].len, &pc, img[i].msgs,
                         sizeof(img[i].msgs));
    }
    if ((rc = preflight(ctx, l, img, n, sdm ? flash_end : detected, a.force)))
        goto out;

    if (a.erase_all) {
        if ((rc = erase_all(ctx, l, a.force)))
            goto out;
    } else {
        for (size_t i = 0; i < n; i++) {
            uint32_t over = r[i].addr % 0x1000;
            if (over)
                cli_warn("WARNING: Flash address 0x%08x is not aligned to a 0x1000 byte flash "
                         "sector. 0x%x bytes before this address will be erased.\n",
                         r[i].addr, over);
            uint64_t end = (((uint64_t)r[i].addr + r[i].len + 0xFFF) / 0x1000) * 0x1000 - 1;
            cli_printf("Flash will be erased from 0x%08x to 0x%08llx...\n", r[i].addr - over,
                       (unsigned long long)end);
        }
    }

    for (size_t i = 0; i < n; i++) {
        /* espload's fast defaults: measured compressor, device MD5s of the region, its 64 KiB
         * blocks and 4 KiB sectors, only changed sectors written; the final MD5 of the whole
         * region always runs */
        struct el_write_opts wo;
        el_write_opts_init_fast(&wo);
        if (a.no_compress)
            wo.compress = 0;
        wo.jobs = jobs;
        wo.n_jobs = jobs ? n : 0;
        if (a.no_skip)
            wo.skip_unchanged = wo.diff_sectors = false;
        if (a.skip_flashed)
            wo.diff_sectors = false; /* esptool's -s: skip the whole file if its MD5 matches */
        bool plan = wo.diff_sectors;
        if (!ctx->stub && !a.skip_flashed && !plan)
            cli_printf("Erasing flash...\n"); /* the ROM erases when the write begins */
        cli_printf("%s", img[i].msgs);
        struct el_write_result res;
        memset(&res, 0, sizeof(res));
        cli_xfer_begin(r[i].path);
        cli_write_erase_line(!ctx->stub && plan);
        if (a.no_progress)
            el_loader_set_progress_cb(l, NULL, NULL);
        int e = el_flash_write(l, r[i].addr, img[i].data, img[i].len, &wo, &res);
        cli_write_erase_line(false);
        double secs = cli_xfer_seconds();
        if (e == EL_E_VERIFY) {
            cli_out_endline();
            rc = md5_mismatch(ctx, l, r[i].addr, &res);
            goto out;
        }
        if (e != EL_OK) {
            cli_out_endline();
            uint32_t sr = 0;
            char msg[512];
            snprintf(msg, sizeof(msg), "%s", el_loader_errmsg(l));
            if (e == EL_E_DEVICE && el_flash_read_status(l, 2, &sr) == EL_OK && (sr & 0x7C)) {
                cli_fatal("%s; the flash is write-protected (status register 0x%04x has "
                          "block-protect bits set): clear them with 'espload write_flash_status "
                          "--non-volatile 0' and write again",
                          msg[0] ? msg : "the write failed", sr);
                rc = EXIT_DEVICE;
            } else {
                cli_fatal("%s", msg[0] ? msg : el_strerror(e));
                rc = cli_exit_from_err(e);
            }
            goto out;
        }
        /* the ROM path starts at the sector boundary (esptool prints that address) */
        uint32_t at = ctx->stub ? r[i].addr : r[i].addr & ~0xFFFu;
        if (!res.skipped && res.written == 0) {
            cli_printf("Nothing to write: the device already holds this data.\n");
        } else if (!res.skipped) {
            /* the bytes actually written and sent (only the changed sectors with a plan) */
            double kbit = secs > 0 ? (double)res.written / secs * 8 / 1000 : 0;
            char where[96];
            if (res.written < res.len)
                snprintf(where, sizeof(where), "to %u changed sector%s of the image at 0x%08x",
                         (unsigned)res.sectors_written, res.sectors_written == 1 ? "" : "s", at);
            else
                snprintf(where, sizeof(where), "at 0x%08x", at);
            if (res.compressed) {
                if (secs > 0)
                    cli_progress_done("Wrote %zu bytes (%zu compressed) %s in %.1f "
                                      "seconds (effective %.1f kbit/s)...",
                                      res.written, res.wire_len, where, secs, kbit);
                else
                    cli_progress_done("Wrote %zu bytes (%zu compressed) %s in %.1f "
                                      "seconds...",
                                      res.written, res.wire_len, where, secs);
            } else {
                if (secs > 0)
                    cli_progress_done("Wrote %zu bytes %s in %.1f seconds (%.1f "
                                      "kbit/s)...",
                                      res.written, where, secs, kbit);
                else
                    cli_progress_done("Wrote %zu bytes %s in %.1f seconds...", res.written, where,
                                      secs);
            }
        }
        /* only a matching device MD5 of the whole region earns this line (for a skipped file
         * the MD5 that found it unchanged is that check) */
        if (res.verified && !sdm)
            cli_printf("Hash of data verified.\n");
    }
    cli_printf("\nLeaving...\n");
    if (ctx->stub) {
        int e = el_flash_finish(l, false);
        if (e != EL_OK) {
            rc = cli_fail(ctx, e, "cannot finish the flash write");
            goto out;
        }
    }
    if (a.verify) {
        cli_printf("Verifying just-written flash...\n");
        cli_printf("(This option is deprecated, flash contents are now always read back after "
                   "flashing.)\n");
        if ((rc = verify_regions(ctx, l, r, n, sdm ? NULL : &pc, false)))
            goto out;
    }
    if (a.monitor) {
        rc = cli_after(ctx);
        ctx->skip_after = true;
        if (rc == 0)
            rc = cli_monitor_run(ctx, ctx->port, false);
    }
out:
    for (size_t i = 0; jobs && i < n; i++)
        el_compress_job_free(jobs[i]);
    free(jobs);
    if (img)
        for (size_t i = 0; i < n; i++)
            free(img[i].data);
    free(img);
    cli_free_regions(r, n);
    return rc;
}

/* ---- verify_flash ---- */

int cmd_verify_flash(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload verify_flash";
    struct flash_args fa;
    flash_args_defaults(&fa);
    const char *diff = NULL;
    bool diff_seen = false;
    const char *ftype = NULL;
    const struct cli_opt opts[] = {
        {"diff", NULL, "d", OPT_OPTSTR, &diff, diff_choices, "yes|no",
         "show the differing bytes (v4: --diff yes, v5: --diff)", 0, NULL, &diff_seen},
        {"flash-freq", NULL, "ff", OPT_STR, &fa.freq, freq_choices, "FREQ",
         "flash frequency assumed in the bootloader header", 0, NULL, NULL},
        {"flash-mode", NULL, "fm", OPT_STR, &fa.mode, mode_choices, "MODE",
         "flash mode assumed in the bootloader header", 0, NULL, NULL},
        {"flash-size", NULL, "fs", OPT_STR, &fa.size, size_choices, "SIZE",
         "flash size assumed in the bootloader header", 0, NULL, NULL},
        {"spi-connection", NULL, "sc", OPT_STR, &fa.spi_conn, NULL, "PINS",
         "SPI, HSPI or CLK,Q,D,HD,CS pins of the flash", 0, NULL, NULL},
        {"flash-type", NULL, "ft", OPT_STR, &ftype, flash_type_choices, "TYPE", "flash type", 0,
         NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "[options] <address> <filename> ...",
                       "Compare files with the flash contents (MD5; --diff reads and compares "
                       "bytes).");
    if (rc)
        return rc;
    if ((rc = check_flash_args(prog, &fa)))
        return rc;
    bool show = diff_seen && (!diff || !strcmp(diff, "yes"));
    struct cli_region *r;
    size_t n;
    if ((rc = cli_load_regions(prog, argv + 1, npos, &r, &n)))
        return rc;
    struct el_loader *l;
    uint32_t detected, setsize;
    if ((rc = flash_prepare(ctx, prog, &fa, true, &l, &detected, &setsize)))
        goto out;
    struct patch_codes pc;
    if ((rc = resolve_codes(ctx, prog, &fa, detected, &pc)))
        goto out;
    uint32_t end = setsize ? setsize : detected;
    for (size_t i = 0; i < n && end; i++)
        if ((uint64_t)r[i].addr + ((r[i].len + 3) & ~(size_t)3) > end) {
            cli_fatal("'%s' (%zu bytes) at 0x%08x goes past the end of the %s flash; check the "
                      "address",
                      r[i].path, r[i].len, r[i].addr, el_flash_size_name(end));
            rc = EXIT_SIZE;
            goto out;
        }
    rc = verify_regions(ctx, l, r, n, &pc, show);
out:
    cli_free_regions(r, n);
    return rc;
}

/* ---- read_flash ---- */

int cmd_read_flash(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload read_flash";
    struct flash_args fa;
    flash_args_defaults(&fa);
    bool no_progress = false;
    const char *ftype = NULL;
    const struct cli_opt opts[] = {
        {"flash-size", NULL, "fs", OPT_STR, &fa.size, size_choices, "SIZE", "SPI flash size", 0,
         NULL, NULL},
        {"spi-connection", NULL, "sc", OPT_STR, &fa.spi_conn, NULL, "PINS",
         "SPI, HSPI or CLK,Q,D,HD,CS pins of the flash", 0, NULL, NULL},
        {"no-progress", NULL, "p", OPT_FLAG, &no_progress, NULL, NULL, "no progress output", 0,
         NULL, NULL},
        {"flash-type", NULL, "ft", OPT_STR, &ftype, flash_type_choices, "TYPE", "flash type", 0,
         NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos;
    int rc =
        cli_parse(prog, opts, argc, argv, &npos, false, "[options] <address> <size> <filename>",
                  "Read flash contents to a file (size may be ALL, or use k/M suffixes).");
    if (rc)
        return rc;
    fa.mode = fa.freq = "keep";
    if ((rc = check_flash_args(prog, &fa)))
        return rc;
    if (npos != 3)
        return cli_usage_error(prog, npos < 3 ? "the following arguments are required: address "
                                                "size filename"
                                              : "unrecognized arguments after the file name");
    uint32_t addr;
    long long size;
    bool all;
    if (!cli_parse_u32(argv[1], &addr))
        return cli_usage_error(prog, "argument address: invalid integer value: '%s'", argv[1]);
    if (!cli_parse_size(argv[2], true, &size, &all) || size > 0x10000000)
        return cli_usage_error(prog,
                               "argument size: invalid size: '%s' (a number, k/M suffix, "
                               "or ALL)",
                               argv[2]);
    const char *path = argv[3];
    FILE *f = fopen(path, "wb");
    if (!f) {
        int e = errno;
        cli_fatal("cannot create '%s': %s; check the directory exists and is writable", path,
                  strerror(e));
        return EXIT_INPUT;
    }
    fclose(f);
    struct el_loader *l;
    uint32_t detected, setsize;
    if ((rc = flash_prepare(ctx, prog, &fa, true, &l, &detected, &setsize)))
        return rc;
    if (all) {
        if (!detected) {
            cli_fatal("Detecting flash size failed. Set an exact size value.");
            return EXIT_UNSUPPORTED;
        }
        cli_printf("Detected flash size: %s\n", el_flash_size_name(detected));
        if (addr >= detected) {
            cli_fatal("address 0x%08x is past the end of the %s flash; check the address", addr,
                      el_flash_size_name(detected));
            return EXIT_SIZE;
        }
        size = detected - addr;
    }
    uint32_t end = setsize ? setsize : detected;
    if (end && (uint64_t)addr + (uint64_t)size > end) {
        cli_fatal("Can't read 0x%llx bytes from 0x%08x: it goes past the end of the %s flash by "
                  "0x%llx bytes; check the address and size",
                  size, addr, el_flash_size_name(end),
                  (unsigned long long)((uint64_t)addr + (uint64_t)size - end));
        return EXIT_SIZE;
    }
    uint8_t *buf = malloc(size ? (size_t)size : 1);
    if (!buf) {
        cli_fatal("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    cli_xfer_begin(path);
    if (no_progress)
        el_loader_set_progress_cb(l, NULL, NULL);
    rc = size ? el_flash_read(l, addr, buf, (size_t)size) : EL_OK;
    double secs = cli_xfer_seconds();
    if (rc != EL_OK) {
        free(buf);
        cli_out_endline();
        return cli_fail(ctx, rc, "Failed to read the flash");
    }
    if (secs > 0)
        cli_progress_done("Read %lld bytes at 0x%08x in %.1f seconds (%.1f kbit/s)...", size, addr,
                          secs, (double)size / secs * 8 / 1000);
    else
        cli_progress_done("Read %lld bytes at 0x%08x in %.1f seconds...", size, addr, secs);
    rc = cli_write_file(path, buf, (size_t)size);
    free(buf);
    return rc;
}

/* ---- erase_flash, erase_region ---- */

/* The options erase_flash and erase_region share: --force, --spi-connection, --flash-type. */
static int parse_erase_opts(const char *prog, int argc, char **argv, const char *usage,
                            const char *help, struct flash_args *fa, bool *force, int *npos)
{
    const char *ftype = NULL;
    const struct cli_opt opts[] = {
        {"force", NULL, NULL, OPT_FLAG, force, NULL, NULL,
         "erase even if security features are enabled", 0, NULL, NULL},
        {"spi-connection", NULL, "sc", OPT_STR, &fa->spi_conn, NULL, "PINS",
         "SPI, HSPI or CLK,Q,D,HD,CS pins of the flash", 0, NULL, NULL},
        {"flash-type", NULL, "ft", OPT_STR, &ftype, flash_type_choices, "TYPE", "flash type", 0,
         NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    return cli_parse(prog, opts, argc, argv, npos, false, usage, help);
}

int cmd_erase_flash(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload erase_flash";
    struct flash_args fa;
    flash_args_defaults(&fa);
    bool force = false;
    int npos;
    int rc = parse_erase_opts(prog, argc, argv, "[options]", "Erase the whole flash.", &fa, &force,
                              &npos);
    if (rc)
        return rc;
    if (npos)
        return cli_usage_error(prog, "unrecognized arguments: %s", argv[1]);
    struct el_loader *l;
    uint32_t detected;
    if ((rc = flash_prepare(ctx, prog, &fa, false, &l, &detected, NULL)))
        return rc;
    return erase_all(ctx, l, force);
}

int cmd_erase_region(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload erase_region";
    struct flash_args fa;
    flash_args_defaults(&fa);
    bool force = false;
    int npos;
    int rc = parse_erase_opts(prog, argc, argv, "[options] <address> <size>",
                              "Erase a region of the flash (multiples of 4096; size may be ALL).",
                              &fa, &force, &npos);
    if (rc)
        return rc;
    if (npos != 2)
        return cli_usage_error(prog, npos < 2 ? "the following arguments are required: address "
                                                "size"
                                              : "unrecognized arguments after the size");
    uint32_t addr;
    long long size;
    bool all;
    if (!cli_parse_u32(argv[1], &addr))
        return cli_usage_error(prog, "argument address: invalid integer value: '%s'", argv[1]);
    if (!cli_parse_size(argv[2], true, &size, &all) || size > 0x10000000)
        return cli_usage_error(prog, "argument size: invalid size: '%s'", argv[2]);
    if (addr % 4096)
        return cli_usage_error(prog,
                               "Offset to erase from must be a multiple of 4096 (0x%x is "
                               "not)",
                               addr);
    if (!all && size % 4096)
        return cli_usage_error(prog,
                               "Size of data to erase must be a multiple of 4096 (0x%llx "
                               "is not)",
                               size);
    struct el_loader *l;
    uint32_t detected;
    if ((rc = flash_prepare(ctx, prog, &fa, false, &l, &detected, NULL)))
        return rc;
    if (all) {
        if (!detected) {
            cli_fatal("Detecting flash size failed. Set an exact size value.");
            return EXIT_UNSUPPORTED;
        }
        cli_printf("Detected flash size: %s\n", el_flash_size_name(detected));
        size = addr < detected ? detected - addr : 0;
    }
    if (detected && (uint64_t)addr + (uint64_t)size > detected) {
        cli_fatal("Can't erase 0x%llx bytes from 0x%08x: it goes past the end of the %s flash by "
                  "0x%llx bytes; check the address and size",
                  size, addr, el_flash_size_name(detected),
                  (unsigned long long)((uint64_t)addr + (uint64_t)size - detected));
        return EXIT_SIZE;
    }
    const struct el_chip_info *ci = cli_chip_info(ctx);
    if (!force && ci && !ci->secure_download && (ci->flash_encryption || ci->secure_boot)) {
        cli_fatal("Active security features detected, erasing flash is disabled as a safety "
                  "measure. Use --force to override, please use with caution, otherwise it may "
                  "brick your device!");
        return EXIT_REFUSED;
    }
    cli_printf("Erasing region (may be slow depending on size)...\n");
    double t0 = cli_now();
    rc = size ? el_flash_erase_region(l, addr, (uint32_t)size) : EL_OK;
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "Failed to erase the region");
    cli_printf("Erase completed successfully in %.1f seconds.\n", cli_now() - t0);
    return 0;
}

/* ---- flash_id, status registers, SFDP ---- */

int cmd_flash_id(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload flash_id";
    struct flash_args fa;
    flash_args_defaults(&fa);
    const struct cli_opt opts[] = {
        {"spi-connection", NULL, "sc", OPT_STR, &fa.spi_conn, NULL, "PINS",
         "SPI, HSPI or CLK,Q,D,HD,CS pins of the flash", 0, NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "[options]",
                       "Print the SPI flash manufacturer and device ID.");
    if (rc)
        return rc;
    if (npos)
        return cli_usage_error(prog, "unrecognized arguments: %s", argv[1]);
    struct el_loader *l;
    uint32_t detected;
    if ((rc = flash_prepare(ctx, prog, &fa, false, &l, &detected, NULL)))
        return rc;
    uint32_t id;
    rc = el_flash_read_id(l, &id);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot read the flash ID");
    cli_printf("Manufacturer: %02x\n", id & 0xFF);
    cli_printf("Device: %02x%02x\n", (id >> 8) & 0xFF, (id >> 16) & 0xFF);
    uint32_t sz = el_flash_size_from_id(id);
    cli_printf("Detected flash size: %s\n", sz ? el_flash_size_name(sz) : "Unknown");
    return 0;
}

int cmd_read_flash_status(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload read_flash_status";
    struct flash_args fa;
    flash_args_defaults(&fa);
    const char *nbytes = "2";
    const struct cli_opt opts[] = {
        {"bytes", NULL, NULL, OPT_STR, &nbytes, bytes_choices, "N",
         "number of status bytes to read (1-3)", 0, NULL, NULL},
        {"spi-connection", NULL, "sc", OPT_STR, &fa.spi_conn, NULL, "PINS",
         "SPI, HSPI or CLK,Q,D,HD,CS pins of the flash", 0, NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "[options]",
                       "Read the SPI flash status register.");
    if (rc)
        return rc;
    if (npos)
        return cli_usage_error(prog, "unrecognized arguments: %s", argv[1]);
    struct el_loader *l;
    uint32_t detected;
    if ((rc = flash_prepare(ctx, prog, &fa, false, &l, &detected, NULL)))
        return rc;
    uint32_t v;
    rc = el_flash_read_status(l, (unsigned)atoi(nbytes), &v);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot read the flash status register");
    cli_printf("Status value: 0x%04x\n", v);
    return 0;
}

int cmd_write_flash_status(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload write_flash_status";
    struct flash_args fa;
    flash_args_defaults(&fa);
    const char *nbytes = "2";
    bool nv = false;
    const struct cli_opt opts[] = {
        {"non-volatile", NULL, NULL, OPT_FLAG, &nv, NULL, NULL,
         "write the non-volatile bits (use with caution)", 0, NULL, NULL},
        {"bytes", NULL, NULL, OPT_STR, &nbytes, bytes_choices, "N",
         "number of status bytes to write (1-3)", 0, NULL, NULL},
        {"spi-connection", NULL, "sc", OPT_STR, &fa.spi_conn, NULL, "PINS",
         "SPI, HSPI or CLK,Q,D,HD,CS pins of the flash", 0, NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "[options] <value>",
                       "Write the SPI flash status register.");
    if (rc)
        return rc;
    if (npos != 1)
        return cli_usage_error(prog, npos ? "unrecognized arguments after the value"
                                          : "the following arguments are required: value");
    long long value;
    if (!cli_parse_int(argv[1], &value) || value < 0)
        return cli_usage_error(prog, "argument value: invalid integer value: '%s'", argv[1]);
    unsigned nb = (unsigned)atoi(nbytes);
    uint32_t v = (uint32_t)value & (uint32_t)((1ull << (nb * 8)) - 1);
    struct el_loader *l;
    uint32_t detected;
    if ((rc = flash_prepare(ctx, prog, &fa, false, &l, &detected, NULL)))
        return rc;
    uint32_t before, after;
    rc = el_flash_read_status(l, nb, &before);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot read the flash status register");
    int w = (int)nb * 2;
    cli_printf("Initial flash status: 0x%0*x\n", w, before);
    cli_printf("Setting flash status: 0x%0*x\n", w, v);
    rc = el_flash_write_status(l, v, nb, nv);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot write the flash status register");
    rc = el_flash_read_status(l, nb, &after);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot read the flash status register");
    cli_printf("After flash status:   0x%0*x\n", w, after);
    return 0;
}

int cmd_read_flash_sfdp(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload read_flash_sfdp";
    struct flash_args fa;
    flash_args_defaults(&fa);
    const struct cli_opt opts[] = {
        {"flash-freq", NULL, "ff", OPT_STR, &fa.freq, freq_choices, "FREQ", "ignored", 0, NULL,
         NULL},
        {"flash-mode", NULL, "fm", OPT_STR, &fa.mode, mode_choices, "MODE", "ignored", 0, NULL,
         NULL},
        {"flash-size", NULL, "fs", OPT_STR, &fa.size, size_choices, "SIZE", "SPI flash size", 0,
         NULL, NULL},
        {"spi-connection", NULL, "sc", OPT_STR, &fa.spi_conn, NULL, "PINS",
         "SPI, HSPI or CLK,Q,D,HD,CS pins of the flash", 0, NULL, NULL},
        {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL},
    };
    int npos;
    int rc = cli_parse(prog, opts, argc, argv, &npos, false, "[options] <address> <bytes>",
                       "Read SPI flash SFDP (Serial Flash Discoverable Parameters).");
    if (rc)
        return rc;
    if ((rc = check_flash_args(prog, &fa)))
        return rc;
    if (npos != 2)
        return cli_usage_error(prog, "the following arguments are required: address bytes");
    uint32_t addr;
    long long nb;
    if (!cli_parse_u32(argv[1], &addr) || addr > 0xFFFFFF)
        return cli_usage_error(prog, "argument address: invalid value: '%s'", argv[1]);
    if (!cli_parse_int(argv[2], &nb) || nb < 1 || nb > 4)
        return cli_usage_error(prog, "argument bytes: give 1 to 4 (not '%s')", argv[2]);
    struct el_loader *l;
    uint32_t detected, setsize;
    if ((rc = flash_prepare(ctx, prog, &fa, true, &l, &detected, &setsize)))
        return rc;
    uint32_t id;
    if ((rc = el_flash_read_id(l, &id)) != EL_OK)
        return cli_fail(ctx, rc, "cannot read the flash ID");
    cli_printf("Manufacturer: %02x\n", id & 0xFF);
    cli_printf("Device: %02x%02x\n", (id >> 8) & 0xFF, (id >> 16) & 0xFF);
    uint32_t sz = el_flash_size_from_id(id);
    cli_printf("Detected flash size: %s\n", sz ? el_flash_size_name(sz) : "Unknown");
    uint32_t v;
    rc = el_flash_read_sfdp(l, addr, (unsigned)nb * 8, &v);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot read the SFDP");
    cli_printf("SFDP[%u..%u]: ", addr, addr + (unsigned)nb - 1);
    for (long long i = 0; i < nb; i++)
        cli_printf("%02X ", (v >> (8 * i)) & 0xFF);
    cli_printf("\n");
    return 0;
}
