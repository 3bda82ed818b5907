/* SPDX-License-Identifier: MIT */
/* Commands that read or poke the chip itself: chip_id, read_mac, get_security_info,
 * read_mem, write_mem, dump_mem, load_ram, run. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"
#include "espload/chip.h"
#include "espload/err.h"
#include "espload/image.h"
#include "espload/loader.h"

static const struct cli_opt no_opts[] = {
    {NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, NULL}};

/* Parses a command without options; checks the number of positionals. */
static int simple_parse(const char *prog, int argc, char **argv, int min, int max,
                        const char *usage, const char *desc, int *npos)
{
    int rc = cli_parse(prog, no_opts, argc, argv, npos, false, usage, desc);
    if (rc)
        return rc;
    if (*npos < min)
        return cli_usage_error(prog, "the following arguments are required: %s", usage);
    if (*npos > max)
        return cli_usage_error(prog, "unrecognized arguments: %s", argv[1 + max]);
    return 0;
}

static void print_mac(struct cli_ctx *ctx)
{
    const struct el_chip_info *ci = cli_chip_info(ctx);
    if (ci && ci->mac_valid)
        cli_printf("MAC: %s\n", ci->mac_str);
    else
        cli_printf("MAC: unknown\n");
}

int cmd_read_mac(struct cli_ctx *ctx, int argc, char **argv)
{
    int npos;
    int rc =
        simple_parse("espload read_mac", argc, argv, 0, 0, "", "Print the MAC address.", &npos);
    if (rc)
        return rc;
    struct el_loader *l;
    if ((rc = cli_connect(ctx, &l)))
        return rc;
    print_mac(ctx);
    return 0;
}

int cmd_chip_id(struct cli_ctx *ctx, int argc, char **argv)
{
    int npos;
    int rc = simple_parse("espload chip_id", argc, argv, 0, 0, "", "Print the chip ID.", &npos);
    if (rc)
        return rc;
    struct el_loader *l;
    if ((rc = cli_connect(ctx, &l)))
        return rc;
    const struct el_chip *c = el_loader_chip(l);
    /* no chip of the ESP32 family has a chip ID register; esptool reads the MAC instead */
    cli_printf("Warning: %s has no Chip ID. Reading MAC instead.\n", c ? c->display : "chip");
    print_mac(ctx);
    return 0;
}

static const char *key_purpose(enum el_chip_id chip, unsigned p)
{
    static const char *const s3[] = {"USER/EMPTY",
                                     "RESERVED",
                                     "XTS_AES_256_KEY_1",
                                     "XTS_AES_256_KEY_2",
                                     "XTS_AES_128_KEY",
                                     "HMAC_DOWN_ALL",
                                     "HMAC_DOWN_JTAG",
                                     "HMAC_DOWN_DIGITAL_SIGNATURE",
                                     "HMAC_UP",
                                     "SECURE_BOOT_DIGEST0",
                                     "SECURE_BOOT_DIGEST1",
                                     "SECURE_BOOT_DIGEST2"};
    if (p >= 12)
        return "UNKNOWN";
    if (chip == EL_CHIP_ESP32H2 && p == 1)
        return "ECDSA_KEY";
    if ((chip == EL_CHIP_ESP32C3 || chip == EL_CHIP_ESP32C6) && (p == 2 || p == 3))
        return "UNKNOWN";
    return s3[p];
}

static void bin_str(uint32_t v, char *buf)
{
    int top = 31;
    while (top > 0 && !(v >> top & 1))
        top--;
    char *p = buf;
    *p++ = '0';
    *p++ = 'b';
    for (int i = top; i >= 0; i--)
        *p++ = (char)('0' + (v >> i & 1));
    *p = 0;
}

int cmd_get_security_info(struct cli_ctx *ctx, int argc, char **argv)
{
    int npos;
    int rc = simple_parse("espload get_security_info", argc, argv, 0, 0, "",
                          "Print security-related data (GET_SECURITY_INFO).", &npos);
    if (rc)
        return rc;
    struct el_loader *l;
    if ((rc = cli_connect(ctx, &l)))
        return rc;
    struct el_security_info si;
    rc = el_loader_security_info(l, &si);
    if (rc == EL_E_UNSUPPORTED) {
        const struct el_chip *c = el_loader_chip(l);
        cli_fatal("%s does not support GET_SECURITY_INFO (its ROM loader has no such command); "
                  "read the eFuses instead (espefuse summary)",
                  c ? c->display : "this chip");
        return EXIT_UNSUPPORTED;
    }
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot read the security information");
    enum el_chip_id chip = ctx->chip;
    char bin[40];
    bin_str(si.flags, bin);
    cli_printf("\nSecurity Information:\n=====================\n");
    cli_printf("Flags: 0x%08x (%s)\n", si.flags, bin);
    if (chip != EL_CHIP_ESP32 && chip != EL_CHIP_ESP32C2) {
        cli_printf("Key Purposes: (%u, %u, %u, %u, %u, %u, %u)\n", si.key_purposes[0],
                   si.key_purposes[1], si.key_purposes[2], si.key_purposes[3], si.key_purposes[4],
                   si.key_purposes[5], si.key_purposes[6]);
        for (unsigned k = 0; k <= 5; k++)
            cli_printf("  BLOCK_KEY%u - %s\n", k, key_purpose(chip, si.key_purposes[k]));
    }
    if (si.has_chip_id) {
        cli_printf("Chip ID: %u\n", si.chip_id);
        cli_printf("API Version: %u\n", si.api_version);
    }
    if (si.flags & 1) {
        cli_printf("Secure Boot: Enabled\n");
        if (si.flags & 2)
            cli_printf("Secure Boot Aggressive key revocation: Enabled\n");
        if (si.flags & (7u << 3)) {
            cli_printf("Secure Boot Key Revocation Status:\n\n");
            for (unsigned k = 0; k < 3; k++)
                if (si.flags & (1u << (3 + k)))
                    cli_printf("\tSecure Boot Key%u is Revoked\n\n", k);
        }
    } else {
        cli_printf("Secure Boot: Disabled\n");
    }
    cli_printf("Flash Encryption: %s\n",
               __builtin_popcount(si.flash_crypt_cnt) % 2 ? "Enabled" : "Disabled");
    cli_printf("SPI Boot Crypt Count (SPI_BOOT_CRYPT_CNT): 0x%x\n", si.flash_crypt_cnt);
    if (si.flags & (1u << 9))
        cli_printf("Dcache in UART download mode: Disabled\n");
    if (si.flags & (1u << 10))
        cli_printf("Icache in UART download mode: Disabled\n");
    if (si.flags & (1u << 7))
        cli_printf("JTAG: Permanently Disabled\n");
    else if (si.flags & (1u << 6))
        cli_printf("JTAG: Software Access Disabled\n");
    if (si.flags & (1u << 8))
        cli_printf("USB Access: Disabled\n");
    return 0;
}

static int parse_addr(const char *prog, const char *what, const char *s, uint32_t *out)
{
    if (!cli_parse_u32(s, out))
        return cli_usage_error(prog, "argument %s: invalid integer value: '%s'", what, s);
    return 0;
}

int cmd_read_mem(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload read_mem";
    int npos;
    int rc = simple_parse(prog, argc, argv, 1, 1, "address",
                          "Read a 32-bit word of memory or a register.", &npos);
    if (rc)
        return rc;
    uint32_t addr;
    if ((rc = parse_addr(prog, "address", argv[1], &addr)))
        return rc;
    struct el_loader *l;
    if ((rc = cli_connect(ctx, &l)))
        return rc;
    uint32_t v;
    rc = el_loader_read_reg(l, addr, &v);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot read memory");
    cli_printf("0x%08x = 0x%08x\n", addr, v);
    return 0;
}

int cmd_write_mem(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload write_mem";
    int npos;
    int rc =
        simple_parse(prog, argc, argv, 2, 3, "address value [mask]",
                     "Read-modify-write a 32-bit word (bits set in mask, default all).", &npos);
    if (rc)
        return rc;
    uint32_t addr, value, mask = 0xFFFFFFFF;
    if ((rc = parse_addr(prog, "address", argv[1], &addr)) ||
        (rc = parse_addr(prog, "value", argv[2], &value)) ||
        (npos > 2 && (rc = parse_addr(prog, "mask", argv[3], &mask))))
        return rc;
    struct el_loader *l;
    if ((rc = cli_connect(ctx, &l)))
        return rc;
    rc = el_loader_write_reg(l, addr, value, mask, 0);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot write memory");
    cli_printf("Wrote %08x, mask %08x to %08x\n", value, mask, addr);
    return 0;
}

int cmd_dump_mem(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload dump_mem";
    int npos;
    int rc = simple_parse(prog, argc, argv, 3, 3, "address size filename",
                          "Dump memory to a file (32-bit reads).", &npos);
    if (rc)
        return rc;
    uint32_t addr;
    long long size;
    if ((rc = parse_addr(prog, "address", argv[1], &addr)))
        return rc;
    if (!cli_parse_size(argv[2], false, &size, NULL) || size > 0x10000000)
        return cli_usage_error(prog, "argument size: invalid size: '%s'", argv[2]);
    size_t len = (size_t)size & ~(size_t)3;
    if ((uint64_t)addr + len > 0x100000000ull)
        return cli_usage_error(prog, "0x%08x + 0x%zx goes past the end of the address space", addr,
                               len);
    /* fail on an unwritable output before talking to the chip */
    FILE *f = fopen(argv[3], "wb");
    if (!f) {
        int e = errno;
        cli_fatal("cannot create '%s': %s; check the directory exists and is writable", argv[3],
                  strerror(e));
        return EXIT_INPUT;
    }
    fclose(f);
    struct el_loader *l;
    if ((rc = cli_connect(ctx, &l)))
        return rc;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        cli_fatal("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    cli_xfer_begin(argv[3]);
    rc = len ? el_loader_dump_mem(l, addr, buf, len) : EL_OK;
    if (rc != EL_OK) {
        free(buf);
        return cli_fail(ctx, rc, "cannot read memory");
    }
    cli_progress_done("Read %zu bytes", len);
    rc = cli_write_file(argv[3], buf, len);
    free(buf);
    if (rc)
        return rc;
    cli_printf("Done!\n");
    return 0;
}

int cmd_run(struct cli_ctx *ctx, int argc, char **argv)
{
    int npos;
    int rc = simple_parse("espload run", argc, argv, 0, 0, "",
                          "Leave the bootloader and run the application in flash.", &npos);
    if (rc)
        return rc;
    struct el_loader *l;
    if ((rc = cli_connect(ctx, &l)))
        return rc;
    rc = el_loader_run_app(l);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot start the application");
    return 0;
}

/* ---- load_ram: an ESP32-family image (header, extended header, segments) ---- */

int cmd_load_ram(struct cli_ctx *ctx, int argc, char **argv)
{
    const char *prog = "espload load_ram";
    int npos;
    int rc = simple_parse(prog, argc, argv, 1, 1, "filename",
                          "Download an image to RAM and execute it.", &npos);
    if (rc)
        return rc;
    uint8_t *data;
    size_t len;
    if ((rc = cli_read_file(argv[1], &data, &len)))
        return rc;
    struct el_image *img = calloc(1, sizeof(*img));
    if (!img) {
        free(data);
        cli_fatal("out of memory");
        return EXIT_FAILURE_OTHER;
    }
    const struct el_chip *want = el_chip_by_name(ctx->opts.chip);
    char why[256] = "";
    if (el_image_parse(data, len, want ? want->id : EL_CHIP_UNKNOWN, img, why, sizeof(why)) !=
            EL_OK ||
        img->n_segments > 16) {
        cli_fatal("'%s' is not a loadable image: %s; give a .bin made by elf2image", argv[1],
                  why[0] ? why : "too many segments");
        free(img);
        free(data);
        return EXIT_INPUT;
    }
    size_t nseg = img->n_segments;
    uint32_t entry = img->entry;
    struct el_ram_segment segs[16];
    for (size_t i = 0; i < nseg; i++) {
        segs[i].addr = img->seg[i].addr;
        segs[i].len = img->seg[i].len;
        segs[i].data = data + img->seg[i].file_offs + 8;
    }
    free(img);
    struct el_loader *l;
    if ((rc = cli_connect(ctx, &l))) {
        free(data);
        return rc;
    }
    cli_printf("RAM boot...\n");
    for (size_t i = 0; i < nseg; i++) {
        cli_printf("Downloading %zu bytes at %08x... ", segs[i].len, segs[i].addr);
        rc = el_loader_load_ram(l, &segs[i], 1, entry, false);
        if (rc != EL_OK) {
            free(data);
            return cli_fail(ctx, rc, "cannot load the segment into RAM");
        }
        cli_printf("done!\n");
    }
    cli_printf("All segments done, executing at %08x\n", entry);
    rc = el_loader_load_ram(l, NULL, 0, entry, true);
    free(data);
    if (rc != EL_OK)
        return cli_fail(ctx, rc, "cannot start the code in RAM");
    cli_printf("Exiting immediately.\n");
    return 0;
}
