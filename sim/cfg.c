/* SPDX-License-Identifier: MIT */
/* Configuration of the virtual device: option names shared by espload-sim and sim:// URLs. */
#include "elsim_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

struct elsim_cfg *elsim_cfg_new(const char *chip)
{
    const struct el_chip *c = el_chip_by_name(chip ? chip : "esp32");
    if (!c)
        return NULL;
    struct elsim_cfg *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return NULL;
    cfg->chip = c;
    cfg->revision = -1;
    cfg->package = -1;
    cfg->crystal_mhz = 40;
    cfg->r0_wdt_ms = -1;
    cfg->rom_clock_permille = -40;
    cfg->usb_latency_us = 1000;
    cfg->en_delay_us = 1000;
    return cfg;
}

void elsim_cfg_free(struct elsim_cfg *cfg)
{
    free(cfg);
}

static int parse_bool(const char *v, bool *out)
{
    if (!v || !*v || !strcasecmp(v, "1") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
        !strcasecmp(v, "true")) {
        *out = true;
        return 0;
    }
    if (!strcasecmp(v, "0") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
        !strcasecmp(v, "false")) {
        *out = false;
        return 0;
    }
    return -1;
}

static int parse_u64(const char *v, unsigned long long *out)
{
    char *end;
    if (!v || !*v || *v == '-')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    if (errno || *end)
        return -1;
    *out = x;
    return 0;
}

/* "4MB", "4M", "512KB", "4194304", "0x400000" */
static int parse_size(const char *v, uint32_t *out)
{
    char *end;
    if (!v || !*v || *v == '-')
        return -1;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 0);
    if (errno)
        return -1;
    if (!strcasecmp(end, "MB") || !strcasecmp(end, "M") || !strcasecmp(end, "MiB"))
        x <<= 20;
    else if (!strcasecmp(end, "KB") || !strcasecmp(end, "K") || !strcasecmp(end, "KiB"))
        x <<= 10;
    else if (*end)
        return -1;
    if (x > 0xFFFFFFFFull)
        return -1;
    *out = (uint32_t)x;
    return 0;
}

static int parse_mac(const char *v, uint8_t mac[6])
{
    unsigned m[6];
    char tail;
    if (sscanf(v, "%x:%x:%x:%x:%x:%x%c", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5], &tail) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (m[i] > 0xFF)
            return -1;
        mac[i] = (uint8_t)m[i];
    }
    return 0;
}

static int parse_revision(const char *v, int *out)
{
    unsigned major, minor;
    char tail;
    if ((v[0] == 'v' || v[0] == 'V') && sscanf(v + 1, "%u.%u%c", &major, &minor, &tail) == 2) {
        if (major > 99 || minor > 99)
            return -1;
        *out = (int)(major * 100 + minor);
        return 0;
    }
    unsigned long long x;
    if (parse_u64(v, &x) || x > 9999)
        return -1;
    *out = x < 100 ? (int)x * 100 : (int)x; /* "1" = v1.0, "301" = v3.1 */
    return 0;
}

static const struct {
    const char *name;
    int pkg;
} packages[] = {
    {"ESP32-D0WDQ6", 0},     {"D0WDQ6", 0},     {"ESP32-D0WD", 1},      {"D0WD", 1},
    {"ESP32-D0WDQ5", 1},     {"D0WDQ5", 1},     {"ESP32-D2WD", 2},      {"D2WD", 2},
    {"ESP32-U4WDH", 4},      {"U4WDH", 4},      {"ESP32-PICO-D4", 5},   {"PICO-D4", 5},
    {"ESP32-PICO-V3-02", 6}, {"PICO-V3-02", 6}, {"ESP32-D0WDR2-V3", 7}, {"D0WDR2-V3", 7},
};

int elsim_cfg_set(struct elsim_cfg *cfg, const char *key, const char *value, char *err,
                  size_t errlen)
{
    unsigned long long x;
    bool b;
    if (!cfg || !key)
        return fail(err, errlen, "no option name given");
    if (!value)
        value = "";
    if (!strcmp(key, "chip")) {
        const struct el_chip *c = el_chip_by_name(value);
        if (!c)
            return fail(err, errlen, "unknown chip '%s'; use one of: %s", value, el_chip_names());
        cfg->chip = c;
        return 0;
    }
    if (!strcmp(key, "flash")) {
        if (strlen(value) >= sizeof(cfg->flash_path))
            return fail(err, errlen, "flash file name too long");
        snprintf(cfg->flash_path, sizeof(cfg->flash_path), "%s", value);
        return 0;
    }
    if (!strcmp(key, "flash-size")) {
        uint32_t sz;
        if (parse_size(value, &sz) || sz < (1u << 20) || sz > (16u << 20) || (sz & (sz - 1)))
            return fail(err, errlen,
                        "bad flash-size '%s'; use a power of two from 1MB to 16MB, e.g. 4MB",
                        value);
        cfg->flash_size = sz;
        return 0;
    }
    if (!strcmp(key, "jedec-id")) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(value, &end, 16);
        if (!*value || errno || *end || v > 0xFFFFFF)
            return fail(err, errlen, "bad jedec-id '%s'; give 3 hex bytes, e.g. c84016", value);
        cfg->jedec_id = (uint32_t)v;
        cfg->jedec_set = true;
        return 0;
    }
    if (!strcmp(key, "mac")) {
        if (parse_mac(value, cfg->mac))
            return fail(err, errlen, "bad mac '%s'; use aa:bb:cc:dd:ee:ff", value);
        cfg->mac_set = true;
        return 0;
    }
    if (!strcmp(key, "revision")) {
        if (parse_revision(value, &cfg->revision))
            return fail(err, errlen, "bad revision '%s'; use 0..3 or v<major>.<minor>", value);
        return 0;
    }
    if (!strcmp(key, "package")) {
        for (size_t i = 0; i < sizeof(packages) / sizeof(packages[0]); i++)
            if (!strcasecmp(value, packages[i].name)) {
                cfg->package = packages[i].pkg;
                return 0;
            }
        if (parse_u64(value, &x) || x > 15)
            return fail(err, errlen, "bad package '%s'; use 0..15 or a name like D0WD", value);
        cfg->package = (int)x;
        return 0;
    }
    if (!strcmp(key, "crystal")) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%s", value);
        size_t n = strlen(buf);
        if (n > 3 && !strcasecmp(buf + n - 3, "MHz"))
            buf[n - 3] = '\0';
        if (parse_u64(buf, &x) || (x != 26 && x != 40))
            return fail(err, errlen, "bad crystal '%s'; use 26 or 40", value);
        cfg->crystal_mhz = (unsigned)x;
        return 0;
    }
    struct {
        const char *name;
        bool *field;
    } bools[] = {
        {"timing", &cfg->timing},
        {"write-protect", &cfg->write_protect},
        {"psram", &cfg->psram},
        {"secure-boot", &cfg->secure_boot},
        {"flash-crypt", &cfg->flash_crypt},
        {"cpu-rated", &cfg->cpu_rated},
    };
    for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
        if (strcmp(key, bools[i].name))
            continue;
        if (parse_bool(value, &b))
            return fail(err, errlen, "bad value '%s' for %s; use 1/0, on/off or yes/no", value,
                        key);
        *bools[i].field = b;
        return 0;
    }
    if (!strcmp(key, "fault"))
        return eli_fault_parse(cfg, value, err, errlen);
    if (!strcmp(key, "transcript")) {
        if (strlen(value) >= sizeof(cfg->transcript_path))
            return fail(err, errlen, "transcript file name too long");
        snprintf(cfg->transcript_path, sizeof(cfg->transcript_path), "%s", value);
        return 0;
    }
    if (!strcmp(key, "r0-wdt-ms")) {
        if (parse_u64(value, &x) || x > 10000)
            return fail(err, errlen, "bad r0-wdt-ms '%s'; use 0 (off) .. 10000", value);
        cfg->r0_wdt_ms = (int)x;
        return 0;
    }
    if (!strcmp(key, "rom-clock-error")) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (!*value || errno || *end || v < -200 || v > 200)
            return fail(err, errlen, "bad rom-clock-error '%s'; per mille, -200 .. 200", value);
        cfg->rom_clock_permille = (int)v;
        return 0;
    }
    if (!strcmp(key, "usb-latency-us")) {
        if (parse_u64(value, &x) || x > 1000000)
            return fail(err, errlen, "bad usb-latency-us '%s'; use 0 .. 1000000", value);
        cfg->usb_latency_us = (uint32_t)x;
        return 0;
    }
    if (!strcmp(key, "usb")) {
        unsigned vid, pid;
        char tail;
        if (sscanf(value, "%x:%x%c", &vid, &pid, &tail) != 2 || vid > 0xFFFF || pid > 0xFFFF ||
            strspn(value, "0123456789abcdefABCDEF:") != strlen(value))
            return fail(err, errlen, "bad usb '%s'; give VID:PID in hex, e.g. 10c4:ea60", value);
        cfg->usb_vid = (uint16_t)vid;
        cfg->usb_pid = (uint16_t)pid;
        cfg->usb_set = true;
        return 0;
    }
    if (!strcmp(key, "max-baud")) {
        if (parse_u64(value, &x) || x > 100000000)
            return fail(err, errlen, "bad max-baud '%s'; use 0 (no limit) .. 100000000", value);
        cfg->max_baud = (uint32_t)x;
        return 0;
    }
    if (!strcmp(key, "en-delay-us")) {
        if (parse_u64(value, &x) || x > 1000000)
            return fail(err, errlen, "bad en-delay-us '%s'; use 0 .. 1000000", value);
        cfg->en_delay_us = (uint32_t)x;
        return 0;
    }
    return fail(err, errlen, "unknown option '%s'; see the option list (--help)", key);
}

const char *elsim_cfg_help(void)
{
    return "Virtual device options (espload-sim --KEY VALUE, or sim://CHIP?KEY=VALUE&...):\n"
           "  chip=NAME            esp32 (default), esp32s2, esp32s3, esp32c3, esp32c6,\n"
           "                       esp32h2, esp32c2\n"
           "  flash=FILE           flash contents; kept between runs (created 0xFF-filled)\n"
           "  flash-size=SIZE      1MB..16MB (power of two); default: file size or 4MB\n"
           "  jedec-id=HEX         RDID answer, e.g. c84016 (GigaDevice GD25Q32, default;\n"
           "                       capacity byte follows flash-size)\n"
           "  mac=AA:BB:CC:DD:EE:FF  factory MAC (ESP32 default 30:ae:a4:80:55:e0)\n"
           "  revision=REV         chip revision: 0..3 (major) or vMAJOR.MINOR (ESP32 default 0)\n"
           "  package=PKG          ESP32 package: 0..7 or D0WDQ6, D0WD (default), D2WD, U4WDH,\n"
           "                       PICO-D4, PICO-V3-02, D0WDR2-V3\n"
           "  crystal=MHZ          26 or 40 (default)\n"
           "  cpu-rated=BOOL       eFuse CHIP_CPU_FREQ_RATED (adds \"240MHz\"); default off\n"
           "  timing=BOOL          model wire, USB, flash and CPU time (default off)\n"
           "  usb-latency-us=N     USB-UART bridge latency with timing on (default 1000)\n"
           "  en-delay-us=N        EN RC delay before strapping pins are sampled (default 1000)\n"
           "  usb=VID:PID          USB-UART bridge ids reported by the sim:// port, e.g.\n"
           "                       10c4:ea60 (CP210x); default none (like a plain UART)\n"
           "  max-baud=N           the bridge cannot make rates above N: bytes sent or read\n"
           "                       by the host above N baud are garbled (default 0 = no limit)\n"
           "  r0-wdt-ms=N          rev-0 spurious watchdog reset after an EN reset (default 300\n"
           "                       on revision 0, 0 = off)\n"
           "  rom-clock-error=N    ESP32 ROM clock estimate error, per mille (default -40)\n"
           "  write-protect=BOOL   status register BP bits protect the whole flash\n"
           "  psram=BOOL           board has PSRAM (stored for diagnosis)\n"
           "  secure-boot=BOOL     eFuse secure boot enabled\n"
           "  flash-crypt=BOOL     eFuse flash encryption enabled (FLASH_CRYPT_CNT odd)\n"
           "  transcript=FILE      JSON lines of every frame\n"
           "  fault=SPEC           repeatable; SPEC is one of\n"
           "                         drop@N      drop host->device byte N (0-based)\n"
           "                         corrupt@N   invert host->device byte N\n"
           "                         stall@N     stop answering after byte N (until reset)\n"
           "                         vanish@N    device disappears after byte N\n"
           "                         reset@OP:K  reset in the middle of the K-th OP frame\n"
           "                         status@OP:K[=CODE]  answer the K-th OP with an error\n"
           "                       OP is a name (FLASH_DATA) or number (0x03); several faults\n"
           "                       can be given separated by ','\n";
}
