/* SPDX-License-Identifier: MIT */
/*
 * The boot-log doctor: a streaming line assembler plus a classifier that turns what the
 * ROM, the 2nd-stage bootloader, ESP-IDF and MicroPython print into findings.
 *
 * Memory is bounded: one line buffer of EL_DOC_LINE_MAX bytes, one finding slot per code,
 * the state of the current boot and a few counters. Nothing grows with the input.
 *
 * Output strings recognised here come from the ROMs (as quoted in esptool's boot-mode
 * documentation and in user reports: "invalid header: 0x...", "flash read err, 1000",
 * "Invalid chip id. Expected 9 read 2. Bootloader for wrong chip?", "Checksum failure.
 * Calculated 0x.. stored 0x..", "SHA-256 comparison failed", "secure boot check fail",
 * "waiting for download") and from ESP-IDF's bootloader_support, esp_system, esp_psram,
 * spi_flash and task_wdt components. Matching is by substring so that lines glued to
 * other output ("invalid header: 0x8ESP-ROM:esp32s3-...") still count.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "espload/chip.h"
#include "espload/doctor.h"
#include "espload/err.h"
#include "doctor_int.h"

struct boot {
    uint64_t index; /* 1-based; 0 = output before the first reset seen */
    bool banner, have_reset;
    unsigned reset_code;
    bool reset_sw_or_wdt; /* started by a software or watchdog reset */
    uint64_t content_lines;
    uint32_t err_mask;    /* codes recorded with error severity in this boot */
    bool started;         /* app or MicroPython running */
    bool app_loaded;      /* the 2nd-stage bootloader loaded the app */
    bool err_after_start; /* an error after the start */
    bool err_before_start;
    bool prompt, mp_banner, rebooting, rom_fatal, rom_fail, entered, download_wait;
    bool qio, in_panic, silent_candidate;
    uint64_t text_after_entry;
    uint64_t app_log_lines; /* ESP-IDF log lines from the app (not the bootloader) */
};

struct el_doctor {
    char cfg_chip[16];
    int cfg_psram, cfg_fe, cfg_sb;

    /* line assembler */
    char line[EL_DOC_LINE_MAX];
    size_t len;
    bool truncated;
    bool last_cr;
    int esc; /* 0 none, 1 after ESC, 2 CSI, 3 OSC */
    uint64_t text_bytes;

    struct el_doc_info info;
    struct el_doc_panic panic;
    struct el_doc_finding f[EL_DOC_CODE_COUNT];
    bool have[EL_DOC_CODE_COUNT];
    struct el_doc_finding sorted[EL_DOC_CODE_COUNT];
    size_t n_sorted;
    bool healthy;
    char verdict[768];

    struct boot cur;
    uint32_t last_fail_mask;
    uint64_t fail_streak, max_fail_streak, failing_boots;
    uint64_t silent_streak, max_silent_streak;
    uint64_t wdt_resets;
    char wdt_reset_name[48];
    unsigned wdt_reset_code;
    bool rebooting_seen; /* "Rebooting..." somewhere before the current boot */
    bool startup_fail_restart;
    uint64_t startup_fail_restart_line;
    bool fe_enabled;
    uint64_t unrecognised;
    bool wdt_tasks_pending;

    /* derive() works on the live state and restores it, so feeding may continue */
    struct el_doc_finding saved_f[EL_DOC_CODE_COUNT];
    bool saved_have[EL_DOC_CODE_COUNT];
};

/* ---------------------------------------------------------------- defaults per code */

struct code_text {
    const char *what, *why, *fix;
};

static const struct code_text texts[EL_DOC_CODE_COUNT] = {
    [EL_DOC_DOWNLOAD_MODE] =
        {"the chip stayed in serial download mode (the ROM waits for a flasher) instead of "
         "running the firmware",
         "the boot strapping pin was low at reset: GPIO0 (GPIO9 on ESP32-C3/C6/H2/C2) held low "
         "by the BOOT button, a wire, or the auto-reset circuit's DTR line",
         "release BOOT/GPIO0 and press EN (reset), or let espload reset the board; if it "
         "persists, check the pin's pull-up and the DTR/RTS wiring"},
    [EL_DOC_NO_BOOTLOADER] =
        {"the ROM found no bootloader at the boot offset: the flash there is erased (invalid "
         "header: 0xffffffff)",
         "nothing was written at the boot offset (0x1000 on ESP32 and ESP32-S2, 0x0 on the "
         "others), e.g. after erase_flash, or the image went to the wrong address (a merged "
         "image belongs at 0x0)",
         "flash the bootloader (or the merged image) at the chip's boot offset: 0x1000 for "
         "ESP32 and ESP32-S2, 0x0 for ESP32-S3/C3/C6/H2/C2"},
    [EL_DOC_NOT_AN_IMAGE] =
        {"the ROM found data at the boot offset that is not a firmware image",
         "a data file or app image was written at the boot offset, a merged image went to the "
         "wrong address, or flash encryption is on and a plaintext image was written",
         "write the bootloader (or the merged image) at the boot offset and the app at its "
         "partition (usually 0x10000); on a device with flash encryption flash with --encrypt"},
    [EL_DOC_WRONG_CHIP_IMAGE] =
        {"the image at the boot offset was built for another chip",
         "the firmware download or build target does not match the board's chip",
         "build or download the firmware for this board's chip (espload chip_id names it) and "
         "flash it again"},
    [EL_DOC_FLASH_READ_ERROR] =
        {"the ROM could not read the SPI flash (flash read err)",
         "the flash chip did not answer: on ESP32 GPIO12 (MTDI) high at reset selects 1.8 V "
         "flash power, something is wired to the flash pins (GPIO6-11), the flash chip is "
         "damaged, or it was not powered yet after deep sleep",
         "keep GPIO12 low at reset (or set the flash voltage eFuse to 3.3 V), disconnect "
         "anything from GPIO6-11, and check the module's power"},
    [EL_DOC_CHECKSUM_ERROR] =
        {"an image in flash failed its checksum or hash check",
         "the image is corrupt or incomplete: an interrupted or faulty write, a header changed "
         "after the hash was computed, or unstable power during flashing",
         "flash the image again (espload verifies what it writes); if it recurs, lower the "
         "baud rate, check the supply, and try --flash-mode dio"},
    [EL_DOC_FLASH_SIZE_MISMATCH] =
        {"the flash size in the image header does not match the flash chip",
         "the firmware was built or flashed for a different flash size than the board has",
         "flash again with --flash-size detect (or the board's real size) or rebuild for the "
         "right size (menuconfig: Serial flasher config > Flash size)"},
    [EL_DOC_FLASH_MODE] =
        {"the flash could not be used in the requested quad mode (QIO/QOUT)",
         "the image asks for quad I/O but the flash chip or the board does not support it (no "
         "QE bit, or GPIO9/GPIO10 used elsewhere); the ROM loads the bootloader only in "
         "DIO/DOUT",
         "flash with --flash-mode dio (the 2nd-stage bootloader enables QIO itself when the "
         "flash supports it)"},
    [EL_DOC_PSRAM_MISSING] =
        {"this firmware is built for boards with PSRAM (SPIRAM) and this board has none",
         "the firmware was built with PSRAM (SPIRAM) support and stops when the external RAM "
         "does not answer; modules such as ESP32-WROOM have no PSRAM, ESP32-WROVER modules do",
         "flash the build without SPIRAM (the generic build) instead, or rebuild with "
         "CONFIG_SPIRAM_IGNORE_NOTFOUND or without PSRAM support"},
    [EL_DOC_BROWNOUT] =
        {"the brownout detector reset the chip: the supply voltage dropped",
         "the power supply or USB cable cannot deliver the current peaks (Wi-Fi start-up "
         "draws several hundred mA) or the 3.3 V regulator is too weak",
         "use a better USB cable or port (or a powered hub), add a bulk capacitor (10-100 uF) "
         "at the module's 3.3 V pin, and do not power the board from a USB-serial adapter's "
         "3.3 V pin"},
    [EL_DOC_POWER_RESET_LOOP] =
        {"the chip keeps resetting without printing any error",
         "the supply or cable drops out so the chip resets before it can report anything, the "
         "EN line is noisy, or a program on the host toggles DTR/RTS",
         "check the USB cable and supply (another port or cable), add a capacitor on EN "
         "(about 1 uF) and on 3.3 V, and close other programs that hold the port"},
    [EL_DOC_PANIC] =
        {"the firmware crashed",
         "a fault in the application or a library: see the exception cause and the backtrace",
         "run espload doctor --elf <app.elf> on this log to name the function and source line "
         "of each address, then fix the code there"},
    [EL_DOC_WATCHDOG] =
        {"a watchdog reset the chip or stopped the firmware",
         "a task or interrupt ran too long without yielding (busy loop, blocking call in an "
         "interrupt handler, deadlock), so the task, interrupt or RTC watchdog fired",
         "let the stuck task yield (vTaskDelay), keep interrupt handlers short, or raise the "
         "watchdog timeout in menuconfig; the backtrace shows where it was stuck"},
    [EL_DOC_PARTITION_TABLE] =
        {"the partition table is missing or invalid",
         "no valid partition table at 0x8000 (or the configured offset): not flashed, "
         "overwritten by another image, or built for another layout",
         "flash partition-table.bin at 0x8000 together with the bootloader and the app (all "
         "three are in the build output)"},
    [EL_DOC_NO_APP] =
        {"the bootloader found no app to boot",
         "no valid app image in the app partitions: the app was written at the wrong offset, "
         "not written at all, or erased",
         "flash the app at the offset of its partition (usually 0x10000; the partition table "
         "printed by the bootloader lists the offsets)"},
    [EL_DOC_SECURE_BOOT] =
        {"secure boot rejected an image",
         "the image is not signed with the key this chip trusts, or its signature or digest "
         "is corrupt",
         "sign the bootloader and app with the project's secure boot key and flash them at the "
         "offsets the build prints; a chip in release mode cannot take an unsigned bootloader"},
    [EL_DOC_FLASH_ENCRYPTION] =
        {"flash encryption failed or does not match what is in flash",
         "flash encryption is enabled but plaintext images were written, or enabling "
         "encryption failed",
         "on a development-mode device flash with --encrypt (or idf.py encrypted-flash); in "
         "release mode plaintext flashing is impossible"},
    [EL_DOC_MICROPYTHON_REPL] = {"MicroPython is running and its >>> prompt is up", "",
                                 "nothing to fix; espload monitor opens the REPL (Ctrl-C "
                                 "interrupts, Ctrl-D soft-resets, Ctrl-] quits)"},
    [EL_DOC_BOOT_OK] = {"the app started normally", "", "nothing to fix"},
    [EL_DOC_BOOT_LOOP] = {"the board is in a boot loop: it fails the same way on every start",
                          "the failure above happens at every start and the chip restarts by "
                          "itself (software reset or watchdog)",
                          "fix the failure above; the loop stops once the board can boot"},
    [EL_DOC_UNKNOWN] =
        {"the output could not be placed",
         "the log holds no ROM banner, bootloader or app messages that espload recognises",
         "watch the port at 115200 baud (the ROM's rate) while pressing EN (reset), and check "
         "the TX/RX wiring"},
};

/* Rank among findings of equal severity: causes first, consequences later. */
static const unsigned char rank[EL_DOC_CODE_COUNT] = {
    [EL_DOC_DOWNLOAD_MODE] = 1,     [EL_DOC_NO_BOOTLOADER] = 2,
    [EL_DOC_NOT_AN_IMAGE] = 3,      [EL_DOC_WRONG_CHIP_IMAGE] = 4,
    [EL_DOC_FLASH_MODE] = 5,        [EL_DOC_FLASH_READ_ERROR] = 6,
    [EL_DOC_CHECKSUM_ERROR] = 7,    [EL_DOC_SECURE_BOOT] = 8,
    [EL_DOC_FLASH_ENCRYPTION] = 9,  [EL_DOC_FLASH_SIZE_MISMATCH] = 10,
    [EL_DOC_PARTITION_TABLE] = 11,  [EL_DOC_NO_APP] = 12,
    [EL_DOC_PSRAM_MISSING] = 13,    [EL_DOC_BROWNOUT] = 14,
    [EL_DOC_WATCHDOG] = 15,         [EL_DOC_PANIC] = 16,
    [EL_DOC_POWER_RESET_LOOP] = 17, [EL_DOC_BOOT_LOOP] = 18,
    [EL_DOC_MICROPYTHON_REPL] = 19, [EL_DOC_BOOT_OK] = 20,
    [EL_DOC_UNKNOWN] = 21,
};

/* ---------------------------------------------------------------- small helpers */

/* snprintf that truncates silently (messages are bounded on purpose). */
static void setf(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void setf(char *dst, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, cap, fmt, ap);
    va_end(ap);
}

static void copy_str(char *dst, size_t cap, const char *src, size_t n)
{
    if (!cap)
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Case-insensitive strstr (portable: strcasestr is a GNU extension). needle is lowercase. */
static const char *find_ci(const char *hay, const char *needle)
{
    char first[3] = {needle[0], (char)toupper((unsigned char)needle[0]), '\0'};
    for (const char *p = strpbrk(hay, first); p; p = strpbrk(p + 1, first)) {
        size_t i = 1;
        while (needle[i] && tolower((unsigned char)p[i]) == needle[i])
            i++;
        if (!needle[i])
            return p;
    }
    return NULL;
}

/* Parses "0x<hex>" (or bare hex when need_prefix is false) at s. */
static bool parse_hex(const char *s, uint32_t *out, const char **end)
{
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        s += 2;
    if (!isxdigit((unsigned char)*s))
        return false;
    uint64_t v = 0;
    int digits = 0;
    while (isxdigit((unsigned char)*s)) {
        int c = tolower((unsigned char)*s);
        v = (v << 4) | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
        if (++digits > 8)
            v &= 0xffffffffu;
        s++;
    }
    *out = (uint32_t)v;
    if (end)
        *end = s;
    return true;
}

static bool parse_dec(const char *s, unsigned *out, const char **end)
{
    if (!isdigit((unsigned char)*s))
        return false;
    unsigned long v = 0;
    while (isdigit((unsigned char)*s)) {
        if (v < 100000000ul)
            v = v * 10 + (unsigned long)(*s - '0');
        s++;
    }
    *out = (unsigned)v;
    if (end)
        *end = s;
    return true;
}

/* Copies "(NAME)" following s (after optional spaces) into dst. */
static void paren_name(const char *s, char *dst, size_t cap)
{
    while (*s == ' ')
        s++;
    dst[0] = '\0';
    if (*s != '(')
        return;
    s++;
    const char *e = s;
    int depth = 1;
    while (*e && depth) {
        if (*e == '(')
            depth++;
        else if (*e == ')' && --depth == 0)
            break;
        e++;
    }
    copy_str(dst, cap, s, (size_t)(e - s));
}

static const char *chip_display(const char *name)
{
    const struct el_chip *c = el_chip_by_name(name);
    return c ? c->display : name;
}

static const char *chip_name_now(const struct el_doctor *d)
{
    if (d->cfg_chip[0])
        return d->cfg_chip;
    return d->info.chip;
}

static bool chip_is_riscv(const char *chip)
{
    const struct el_chip *c = chip && *chip ? el_chip_by_name(chip) : NULL;
    return c && c->riscv;
}

/* ---------------------------------------------------------------- findings */

static struct el_doc_finding *note(struct el_doctor *d, enum el_doc_code code,
                                   enum el_doc_severity sev, const char *line, bool *first)
{
    struct el_doc_finding *f = &d->f[code];
    bool is_first = !d->have[code];
    if (is_first) {
        memset(f, 0, sizeof *f);
        f->code = code;
        f->severity = sev;
        setf(f->what, sizeof f->what, "%s", texts[code].what);
        setf(f->why, sizeof f->why, "%s", texts[code].why);
        setf(f->fix, sizeof f->fix, "%s", texts[code].fix);
        d->have[code] = true;
    }
    if (is_first || sev > f->severity) {
        if (line) {
            setf(f->evidence, sizeof f->evidence, "%s", line);
            f->line_no = d->info.lines;
        }
        f->severity = sev > f->severity ? sev : f->severity;
    }
    f->count++;
    f->boot = d->cur.index;
    if (sev == EL_DOC_SEV_ERROR) {
        d->cur.err_mask |= 1u << code;
        if (d->cur.started)
            d->cur.err_after_start = true;
        else
            d->cur.err_before_start = true;
    }
    if (first)
        *first = is_first;
    return f;
}

/* ---------------------------------------------------------------- boots */

static bool boot_started(const struct boot *b)
{
    return b->started || b->prompt || b->mp_banner || b->app_loaded || b->text_after_entry > 0 ||
           (b->entered && !b->err_mask && !b->rom_fail);
}

/* The last boot ran the firmware and nothing went wrong after that. */
static bool boot_healthy(const struct el_doctor *d, const struct boot *b)
{
    if (b->download_wait)
        return false;
    if (b->started || b->prompt || b->mp_banner)
        return !b->err_after_start;
    if (b->err_mask || b->rom_fail)
        return false;
    if (b->app_loaded || b->text_after_entry > 0 || b->app_log_lines > 0)
        return true;
    /* only the ROM's "entry" and then quiet: healthy unless earlier boots failed (then the
     * log probably just ends before the failure repeats) */
    return b->entered && d->failing_boots == 0;
}

static void end_boot(struct el_doctor *d)
{
    struct boot *b = &d->cur;
    if (b->index == 0 && !b->err_mask) {
        d->rebooting_seen = d->rebooting_seen || b->rebooting;
        return;
    }
    if (b->err_mask) {
        d->failing_boots++;
        if (d->last_fail_mask && (b->err_mask & d->last_fail_mask))
            d->fail_streak++;
        else
            d->fail_streak = 1;
        d->last_fail_mask = b->err_mask;
        if (d->fail_streak > d->max_fail_streak)
            d->max_fail_streak = d->fail_streak;
    } else {
        d->fail_streak = 0;
        d->last_fail_mask = 0;
    }
    if (b->index > 0 && !b->err_mask && !boot_started(b) && !b->download_wait) {
        d->silent_streak++;
        if (d->silent_streak > d->max_silent_streak)
            d->max_silent_streak = d->silent_streak;
    } else {
        d->silent_streak = 0;
    }
    if (b->err_mask && b->err_before_start &&
        (b->rebooting || b->rom_fatal || b->reset_sw_or_wdt || d->rebooting_seen)) {
        d->startup_fail_restart = true;
    }
    d->rebooting_seen = b->rebooting;
}

static void new_boot(struct el_doctor *d)
{
    end_boot(d);
    uint64_t idx = d->cur.index + 1;
    memset(&d->cur, 0, sizeof d->cur);
    d->cur.index = idx;
    d->info.boots = idx;
    d->info.entered_bootloader = false;
    d->info.prompt_seen = false;
    d->info.app_started = false;
    d->wdt_tasks_pending = false;
}

static void mark_started(struct el_doctor *d)
{
    d->cur.started = true;
    d->info.app_started = true;
}

/* ---------------------------------------------------------------- line parsers */

/* "ets Jun  8 2016 00:22:57", "ets Jan  8 2013,rst cause:..." or "ESP-ROM:esp32s3-20210327" */
static const char *find_banner(const char *s, size_t *len)
{
    const char *p = strstr(s, "ESP-ROM:");
    if (p) {
        const char *e = p + 8;
        while (*e && !isspace((unsigned char)*e))
            e++;
        *len = (size_t)(e - p);
        return p;
    }
    for (p = strstr(s, "ets "); p; p = strstr(p + 1, "ets ")) {
        if (p > s && isalpha((unsigned char)p[-1]))
            continue; /* "sets Jun 8 2016" is not a ROM banner */
        const char *m = p + 4;
        if (isupper((unsigned char)m[0]) && islower((unsigned char)m[1]) &&
            islower((unsigned char)m[2]) && m[3] == ' ' &&
            (m[4] == ' ' || isdigit((unsigned char)m[4])) && isdigit((unsigned char)m[5]) &&
            m[6] == ' ' && m[7] == '2' && m[8] == '0') {
            const char *e = m + 11;
            if (e[0] == ' ' && isdigit((unsigned char)e[1]))
                e += 9; /* time */
            size_t n = (size_t)(e - p);
            size_t avail = strlen(p);
            *len = n < avail ? n : avail;
            return p;
        }
    }
    return NULL;
}

static void on_banner(struct el_doctor *d, const char *p, size_t n)
{
    if (d->cur.index == 0 || d->cur.content_lines > 0 || d->cur.have_reset || d->cur.banner)
        new_boot(d);
    d->cur.banner = true;
    copy_str(d->info.rom, sizeof d->info.rom, p, n);
    if (strncmp(p, "ESP-ROM:", 8) == 0) {
        const char *c = p + 8;
        size_t k = 0;
        while (c[k] && c[k] != '-' && !isspace((unsigned char)c[k]))
            k++;
        char name[16];
        copy_str(name, sizeof name, c, k);
        if (el_chip_by_name(name))
            setf(d->info.chip, sizeof d->info.chip, "%s", el_chip_by_name(name)->name);
    } else if (strstr(p, "2013")) {
        setf(d->info.chip, sizeof d->info.chip, "esp8266");
    } else {
        setf(d->info.chip, sizeof d->info.chip, "esp32");
    }
}

static void on_reset(struct el_doctor *d, unsigned code, const char *name, const char *line)
{
    if (d->cur.index == 0 || d->cur.have_reset)
        new_boot(d);
    d->cur.have_reset = true;
    d->cur.reset_code = code;
    d->info.have_reset = true;
    d->info.reset_code = code;
    setf(d->info.reset_name, sizeof d->info.reset_name, "%s", name);
    const char *chip = chip_name_now(d);
    if (strcmp(chip, "esp8266") == 0) {
        d->cur.reset_sw_or_wdt = code == 3 || code == 4;
        return;
    }
    bool wdt, brown, power;
    el_doc_reset_reason(chip, code, &wdt, &brown, &power);
    d->cur.reset_sw_or_wdt = wdt || code == 0x0c || code == 0x03;
    if (d->cur.reset_sw_or_wdt && d->last_fail_mask)
        d->startup_fail_restart = true; /* the failed boot before restarted by itself */
    if (wdt) {
        d->wdt_resets++;
        d->wdt_reset_code = code;
        setf(d->wdt_reset_name, sizeof d->wdt_reset_name, "%s", name);
    }
    if (brown) {
        bool first;
        struct el_doc_finding *f = note(d, EL_DOC_BROWNOUT, EL_DOC_SEV_ERROR, line, &first);
        if (first)
            setf(f->what, sizeof f->what,
                 "the chip was reset by a brownout (rst:0x%x %s): the supply voltage dropped", code,
                 name);
    }
}

static void on_boot_mode(struct el_doctor *d, unsigned value, const char *name, const char *line)
{
    d->info.have_boot_mode = true;
    d->info.boot_mode = value;
    setf(d->info.boot_mode_name, sizeof d->info.boot_mode_name, "%s", name);
    char desc[200];
    bool dl = el_doc_boot_mode(chip_name_now(d), value, desc, sizeof desc);
    if (name[0])
        dl = strstr(name, "DOWNLOAD") != NULL;
    if (dl) {
        bool first;
        struct el_doc_finding *f = note(d, EL_DOC_DOWNLOAD_MODE, EL_DOC_SEV_ERROR, line, &first);
        if (first)
            setf(f->what, sizeof f->what,
                 "the chip stayed in serial download mode (boot:0x%x %.50s; %.90s) instead "
                 "of running the firmware",
                 value, name[0] ? name : "download", desc);
        d->cur.download_wait = true;
    }
}

/* ESP-IDF log line "E (251) cpu_start: Failed ..." anywhere in s. */
static bool idf_log(const char *s, char *level, char *tag, size_t tagcap, const char **msg)
{
    const char *open = strstr(s, " (");
    if (!open || open == s)
        return false;
    for (const char *p = open - 1; *p; p++) {
        if (!strchr("EWIDV", *p) || p[1] != ' ' || p[2] != '(')
            continue;
        if (p > s && isalnum((unsigned char)p[-1]))
            continue;
        const char *q = p + 3;
        if (!isdigit((unsigned char)*q))
            continue;
        while (isdigit((unsigned char)*q) || *q == ':' || *q == '.')
            q++;
        if (q[0] != ')' || q[1] != ' ')
            continue;
        q += 2;
        const char *t = q;
        while (*q && *q != ':' && *q != ' ')
            q++;
        if (*q != ':' || q == t)
            continue;
        *level = *p;
        copy_str(tag, tagcap, t, (size_t)(q - t));
        q++;
        while (*q == ' ')
            q++;
        *msg = q;
        return true;
    }
    return false;
}

static void parse_reg_tokens(struct el_doctor *d, const char *s)
{
    struct el_doc_panic *pn = &d->panic;
    static const char *const names[] = {"PC",     "EXCCAUSE", "EXCVADDR", "MEPC",
                                        "MCAUSE", "MTVAL",    "RA"};
    for (const char *p = s; *p; p++) {
        if (!isupper((unsigned char)*p) || (p > s && isalnum((unsigned char)p[-1])))
            continue;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            size_t n = strlen(names[i]);
            if (strncmp(p, names[i], n) != 0 || isalnum((unsigned char)p[n]))
                continue;
            const char *q = p + n;
            while (*q == ' ')
                q++;
            if (*q != ':')
                continue;
            q++;
            while (*q == ' ')
                q++;
            uint32_t v;
            if (!(q[0] == '0' && q[1] == 'x') || !parse_hex(q, &v, NULL))
                continue;
            switch (i) {
            case 0:
                pn->pc = v, pn->have_pc = true;
                if (pn->arch == EL_DOC_ARCH_UNKNOWN)
                    pn->arch = EL_DOC_ARCH_XTENSA;
                break;
            case 1:
                pn->cause = v, pn->have_cause = true, pn->arch = EL_DOC_ARCH_XTENSA;
                break;
            case 2:
                pn->vaddr = v, pn->have_vaddr = true;
                break;
            case 3:
                pn->pc = v, pn->have_pc = true, pn->arch = EL_DOC_ARCH_RISCV;
                break;
            case 4:
                pn->cause = v, pn->have_cause = true, pn->arch = EL_DOC_ARCH_RISCV;
                break;
            case 5:
                pn->vaddr = v, pn->have_vaddr = true;
                break;
            case 6:
                pn->ra = v;
                break;
            }
        }
    }
}

static void parse_backtrace(struct el_doctor *d, const char *p)
{
    struct el_doc_panic *pn = &d->panic;
    pn->n_bt = 0;
    pn->bt_corrupted = false;
    while (*p) {
        while (*p == ' ' || *p == ':')
            p++;
        if (!*p)
            break;
        if (strncmp(p, "|<-CORRUPTED", 12) == 0) {
            pn->bt_corrupted = true;
            break;
        }
        uint32_t pc, sp;
        const char *e;
        if (!(p[0] == '0' && p[1] == 'x') || !parse_hex(p, &pc, &e)) {
            /* not an address: skip the token */
            while (*p && *p != ' ')
                p++;
            continue;
        }
        bool complete = false;
        if (*e == ':' && e[1] == '0' && e[2] == 'x' && parse_hex(e + 1, &sp, &e))
            complete = (size_t)(e - p) >= 21; /* 0x%08x:0x%08x */
        else if (*e == ' ' || *e == '\0')
            complete = true; /* RISC-V style: addresses only */
        if (pn->n_bt < EL_DOC_BT_MAX && pc)
            pn->bt[pn->n_bt++] = pc;
        if (!complete)
            pn->bt_corrupted = true; /* cut-off line */
        p = e;
        while (*p && *p != ' ')
            p++;
    }
}

static void start_panic(struct el_doctor *d, const char *reason, const char *line)
{
    struct el_doc_panic *pn = &d->panic;
    memset(pn, 0, sizeof *pn);
    pn->seen = true;
    pn->core = -1;
    pn->arch = chip_is_riscv(chip_name_now(d)) ? EL_DOC_ARCH_RISCV : EL_DOC_ARCH_UNKNOWN;
    setf(pn->reason, sizeof pn->reason, "%s", reason);
    d->cur.in_panic = true;
    (void)line;
}

/* Records a panic; a panic right after another failure in the same boot (abort() after a
 * failed start) is a consequence, not a cause. */
static void panic_finding(struct el_doctor *d, const char *line, const char *what)
{
    bool consequence = (d->cur.err_mask & ~(1u << EL_DOC_PANIC)) != 0;
    bool first;
    struct el_doc_finding *f =
        note(d, EL_DOC_PANIC, consequence ? EL_DOC_SEV_INFO : EL_DOC_SEV_ERROR, line, &first);
    if (first || !consequence) {
        if (consequence)
            setf(f->what, sizeof f->what, "%s (a consequence of the failure above)", what);
        else
            setf(f->what, sizeof f->what, "%s", what);
    }
}

/* Tags of the 2nd-stage bootloader; anything else logging comes from the app. */
static bool bootloader_tag(const char *tag)
{
    static const char *const tags[] = {"boot",           "esp_image",       "qio_mode",
                                       "flash_parts",    "boot_comm",       "bootloader_flash",
                                       "secure_boot",    "flash_encrypt",   "efuse",
                                       "bootloader_sha", "flash_encryption"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        size_t n = strlen(tags[i]);
        if (strncmp(tag, tags[i], n) == 0 && (tag[n] == '\0' || tag[n] == '.' || tag[n] == '_'))
            return true;
    }
    return false;
}

static void on_idf(struct el_doctor *d, char level, const char *tag, const char *msg,
                   const char *line)
{
    bool first;
    struct el_doc_finding *f;
    if (level == 'I' && !bootloader_tag(tag))
        d->cur.app_log_lines++;
    /* PSRAM */
    if (strstr(msg, "Failed to init external RAM")) {
        if (strstr(msg, "continuing without it")) {
            f = note(d, EL_DOC_PSRAM_MISSING, EL_DOC_SEV_WARN, line, &first);
            if (first)
                setf(f->what, sizeof f->what,
                     "the firmware looked for PSRAM (SPIRAM), found none and continues "
                     "without it");
        } else {
            f = note(d, EL_DOC_PSRAM_MISSING, EL_DOC_SEV_ERROR, line, &first);
            if (d->cfg_psram == 1) {
                /* the chip reports PSRAM, so it is there but does not answer */
                setf(f->what, sizeof f->what,
                     "the firmware could not start the PSRAM this chip reports");
                setf(f->why, sizeof f->why,
                     "the chip reports PSRAM (espload read it from the chip) but it did not "
                     "answer: a PSRAM type or speed the firmware does not support (quad vs "
                     "octal, 80 MHz), or a damaged or unpowered PSRAM");
                setf(f->fix, sizeof f->fix,
                     "build the firmware for this module's PSRAM (menuconfig: SPI RAM config: "
                     "mode and speed) or try a lower PSRAM clock");
            } else {
                setf(f->what, sizeof f->what, "%s", texts[EL_DOC_PSRAM_MISSING].what);
            }
        }
        return;
    }
    if (strstr(msg, "initialization failed. Bailing out") || strstr(msg, "PSRAM ID read error") ||
        (strstr(msg, "PSRAM") && strstr(msg, "not found"))) {
        f = note(d, EL_DOC_PSRAM_MISSING, level == 'E' ? EL_DOC_SEV_ERROR : EL_DOC_SEV_WARN, line,
                 &first);
        return;
    }
    /* flash size */
    if (strstr(msg, "Detected size(")) {
        bool smaller = strstr(msg, "smaller than") != NULL;
        f = note(d, EL_DOC_FLASH_SIZE_MISMATCH, smaller ? EL_DOC_SEV_ERROR : EL_DOC_SEV_INFO, line,
                 &first);
        if (first || smaller) {
            unsigned det = 0, hdr = 0;
            const char *p = strstr(msg, "Detected size(");
            parse_dec(p + 14, &det, NULL);
            p = strstr(msg, "header(");
            if (p)
                parse_dec(p + 7, &hdr, NULL);
            if (smaller)
                setf(f->what, sizeof f->what,
                     "the image header says %u KB of flash but the chip has %u KB", hdr, det);
            else
                setf(f->what, sizeof f->what,
                     "the image header says %u KB of flash and the chip has %u KB: the "
                     "extra flash is not used",
                     hdr, det);
        }
        return;
    }
    if (strstr(msg, "exceeds flash chip size")) {
        f = note(d, EL_DOC_FLASH_SIZE_MISMATCH, EL_DOC_SEV_ERROR, line, &first);
        if (first)
            setf(f->what, sizeof f->what,
                 "a partition in the partition table lies beyond the end of the flash chip");
        return;
    }
    if (strstr(msg, "Failed to set QIE bit")) {
        note(d, EL_DOC_FLASH_MODE, EL_DOC_SEV_WARN, line, &first);
        return;
    }
    /* partition table */
    if (strstr(msg, "Failed to verify partition table") ||
        strstr(msg, "load partition table error") ||
        (strcmp(tag, "flash_parts") == 0 && level == 'E') ||
        strstr(msg, "invalid partition table") || strstr(msg, "partition table has no")) {
        note(d, EL_DOC_PARTITION_TABLE, EL_DOC_SEV_ERROR, line, &first);
        return;
    }
    if (strstr(msg, "ota data partition invalid") || strstr(msg, "ota_info partition size")) {
        f = note(d, EL_DOC_PARTITION_TABLE, EL_DOC_SEV_WARN, line, &first);
        if (first)
            setf(f->what, sizeof f->what,
                 "the OTA data partition (otadata) is invalid; the bootloader falls back to "
                 "another app");
        return;
    }
    /* app */
    if (strstr(msg, "No bootable app partitions") || strstr(msg, "No bootable test partition") ||
        strstr(msg, "doesn't fit in partition")) {
        f = note(d, EL_DOC_NO_APP, EL_DOC_SEV_ERROR, line, &first);
        if (strstr(msg, "doesn't fit"))
            setf(f->what, sizeof f->what, "the app image is larger than its partition (%s)", msg);
        return;
    }
    if (strstr(msg, "has invalid magic byte") || strstr(msg, "partition is not bootable") ||
        (strstr(msg, "partition slot") && strstr(msg, "not bootable"))) {
        const char *p = strstr(msg, "image at 0x");
        uint32_t off;
        if (d->fe_enabled && strstr(msg, "invalid magic byte")) {
            f = note(d, EL_DOC_FLASH_ENCRYPTION, EL_DOC_SEV_ERROR, line, &first);
            if (first && p && parse_hex(p + 9, &off, NULL))
                setf(f->what, sizeof f->what,
                     "the app at 0x%x cannot be read on this device with flash encryption: a "
                     "plaintext image was written",
                     off);
        }
        f = note(d, EL_DOC_NO_APP, EL_DOC_SEV_WARN, line, &first);
        if (first && p && parse_hex(p + 9, &off, NULL))
            setf(f->what, sizeof f->what,
                 "no valid app image at 0x%x (nothing flashed there, or the app went to "
                 "another offset)",
                 off);
        return;
    }
    /* chip id / revision */
    if (strstr(msg, "mismatch chip ID")) {
        unsigned exp = 0, found = 0;
        const char *p = strstr(msg, "expected ");
        if (p)
            parse_dec(p + 9, &exp, NULL);
        p = strstr(msg, "found ");
        if (p)
            parse_dec(p + 6, &found, NULL);
        f = note(d, EL_DOC_WRONG_CHIP_IMAGE, EL_DOC_SEV_ERROR, line, &first);
        const struct el_chip *ce = el_chip_by_image_id((uint16_t)exp);
        const struct el_chip *cf = el_chip_by_image_id((uint16_t)found);
        if (first)
            setf(f->what, sizeof f->what,
                 "the app was built for %s (chip id %u) but this chip is %s (chip id %u)",
                 cf ? cf->display : "another chip", found, ce ? ce->display : "another chip", exp);
        return;
    }
    if (strstr(msg, "chip revision check failed") || strstr(msg, "Image requires chip rev") ||
        strstr(msg, "requires efuse blk rev")) {
        f = note(d, EL_DOC_WRONG_CHIP_IMAGE, EL_DOC_SEV_ERROR, line, &first);
        if (first)
            setf(f->what, sizeof f->what,
                 "the image was built for another revision of this chip (%s)", msg);
        return;
    }
    /* integrity */
    if (strstr(msg, "Checksum failed. Calculated") || strstr(msg, "Image hash failed") ||
        strstr(msg, "image corrupted on flash")) {
        note(d, EL_DOC_CHECKSUM_ERROR, EL_DOC_SEV_ERROR, line, &first);
        return;
    }
    /* security */
    if (strstr(msg, "signature verification failed") || strstr(msg, "Secure Boot v2 failed") ||
        strstr(msg, "FAILED TO ENABLE SECURE BOOT") || strstr(msg, "signature bad") ||
        (strncmp(tag, "secure_boot", 11) == 0 && level == 'E')) {
        note(d, EL_DOC_SECURE_BOOT, EL_DOC_SEV_ERROR, line, &first);
        return;
    }
    if (strncmp(tag, "flash_encrypt", 13) == 0 || find_ci(msg, "flash encryption")) {
        if (level == 'E' || strstr(msg, "Encryption flash contents failed")) {
            note(d, EL_DOC_FLASH_ENCRYPTION, EL_DOC_SEV_ERROR, line, &first);
        } else if (find_ci(msg, "encryption is enabled") || find_ci(msg, "mode is development") ||
                   find_ci(msg, "mode is release")) {
            d->fe_enabled = true;
        }
        return;
    }
    /* watchdog */
    if (strstr(msg, "Task watchdog got triggered")) {
        note(d, EL_DOC_WATCHDOG, EL_DOC_SEV_ERROR, line, &first);
        d->wdt_tasks_pending = true;
        return;
    }
    if (strcmp(tag, "task_wdt") == 0 && d->wdt_tasks_pending && msg[0] == '-') {
        f = &d->f[EL_DOC_WATCHDOG];
        size_t l = strlen(f->what);
        if (!strstr(f->what, "task watchdog"))
            setf(f->what, sizeof f->what, "the task watchdog fired; stuck:");
        l = strlen(f->what);
        const char *t = msg + 1;
        while (*t == ' ')
            t++;
        setf(f->what + l, sizeof f->what - l, " %s", t);
        return;
    }
    /* app start */
    if ((strcmp(tag, "cpu_start") == 0 &&
         (strstr(msg, "Starting scheduler") || strstr(msg, "Pro cpu start user code"))) ||
        (strcmp(tag, "main_task") == 0 &&
         (strstr(msg, "Calling app_main") || strstr(msg, "Started on CPU")))) {
        mark_started(d);
        return;
    }
    if (strstr(msg, "Loaded app from partition")) {
        d->cur.app_loaded = true;
        return;
    }
}

static void on_micropython(struct el_doctor *d, const char *p)
{
    /* "MicroPython v1.9.4-227-gab02abe9 on 2018-06-30; ESP32 module with ESP32" */
    const char *v = p + 12;
    const char *e = v;
    while (*e && *e != ' ')
        e++;
    copy_str(d->info.mp_version, sizeof d->info.mp_version, v, (size_t)(e - v));
    const char *on = strstr(e, " on ");
    if (on) {
        const char *ds = on + 4;
        const char *de = ds;
        while (*de && *de != ';' && *de != ' ')
            de++;
        copy_str(d->info.mp_date, sizeof d->info.mp_date, ds, (size_t)(de - ds));
        const char *b = strchr(de, ';');
        if (b) {
            b++;
            while (*b == ' ')
                b++;
            size_t bl = strlen(b);
            while (bl && isspace((unsigned char)b[bl - 1]))
                bl--;
            copy_str(d->info.mp_board, sizeof d->info.mp_board, b, bl);
        }
    }
    d->cur.mp_banner = true;
    mark_started(d);
}

/* Removes quoting/timestamp prefixes copied logs carry ("> ", "| ", "[06:40:18]"). */
static char *strip_prefix(char *s)
{
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if ((s[0] == '>' || s[0] == '|') && (s[1] == ' ' || s[1] == '\t' || s[1] == '\0')) {
            s++;
            continue;
        }
        if (s[0] == '[') {
            const char *e = strchr(s, ']');
            if (e && e - s < 32 && e - s > 2) {
                bool ts = true;
                for (const char *q = s + 1; q < e; q++)
                    if (!isdigit((unsigned char)*q) && !strchr(":.-/ T", *q))
                        ts = false;
                if (ts) {
                    s = (char *)e + 1;
                    continue;
                }
            }
        }
        return s;
    }
}

static void process_line(struct el_doctor *d, char *raw)
{
    char *s = strip_prefix(raw);
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    d->info.lines++;
    if (!n)
        return;
    bool known = false;
    bool first;
    struct el_doc_finding *f;
    const char *p;
    size_t bl;

    /* ROM banner and reset line */
    p = find_banner(s, &bl);
    if (p) {
        on_banner(d, p, bl);
        known = true;
    } else {
        d->cur.content_lines++;
    }
    if ((p = strstr(s, "rst:0x")) != NULL) {
        uint32_t code;
        const char *e;
        if (parse_hex(p + 4, &code, &e)) {
            char name[40];
            paren_name(e, name, sizeof name);
            on_reset(d, code, name, s);
            known = true;
            const char *b = strstr(e, "boot:0x");
            uint32_t bv;
            if (b && parse_hex(b + 5, &bv, &e)) {
                char bname[56];
                paren_name(e, bname, sizeof bname);
                on_boot_mode(d, bv, bname, s);
            }
        }
    } else if ((p = strstr(s, "rst cause:")) != NULL) { /* ESP8266 ROM */
        unsigned code = 0, m = 0;
        parse_dec(p + 10, &code, NULL);
        on_reset(d, code, code == 1 ? "power-on" : code == 2 ? "external" : "", s);
        known = true;
        const char *b = strstr(p, "boot mode:(");
        if (b && parse_dec(b + 11, &m, NULL) && (m & 7) == 1) {
            f = note(d, EL_DOC_DOWNLOAD_MODE, EL_DOC_SEV_ERROR, s, &first);
            d->cur.download_wait = true;
        }
    }
    if (strstr(s, "waiting for download")) {
        f = note(d, EL_DOC_DOWNLOAD_MODE, EL_DOC_SEV_ERROR, s, &first);
        d->cur.download_wait = true;
        known = true;
    }

    /* ROM loading the 2nd-stage bootloader */
    if ((p = strstr(s, "mode:")) != NULL && strstr(s, "clock div")) {
        const char *m = p + 5;
        size_t k = 0;
        while (m[k] && m[k] != ',' && k < 7)
            k++;
        copy_str(d->info.flash_mode, sizeof d->info.flash_mode, m, k);
        d->cur.qio = strncmp(m, "QIO", 3) == 0 || strncmp(m, "QOUT", 4) == 0;
        known = true;
    }
    if (strncmp(s, "load:0x", 7) == 0 || strstr(s, "configsip:") || strstr(s, "SPIWP:") ||
        strstr(s, "clk_drv:") || strstr(s, "Saved PC:") || strncmp(s, "Build:", 6) == 0)
        known = true;
    if ((p = strstr(s, "entry 0x")) != NULL) {
        uint32_t a;
        if (parse_hex(p + 6, &a, NULL)) {
            d->info.entry = a;
            d->info.entered_bootloader = true;
            d->cur.entered = true;
            known = true;
        }
    }

    /* ROM failures */
    if ((p = strstr(s, "invalid header: 0x")) != NULL) {
        uint32_t v = 0;
        parse_hex(p + 16, &v, NULL);
        d->cur.rom_fail = true;
        known = true;
        if (v == 0xffffffffu) {
            note(d, EL_DOC_NO_BOOTLOADER, EL_DOC_SEV_ERROR, s, &first);
        } else if (d->fe_enabled || d->cfg_fe == 1) {
            f = note(d, EL_DOC_FLASH_ENCRYPTION, EL_DOC_SEV_ERROR, s, &first);
            if (first)
                setf(f->what, sizeof f->what,
                     "the ROM read 0x%08x at the boot offset of a device with flash "
                     "encryption: a plaintext image was written",
                     v);
        } else {
            f = note(d, EL_DOC_NOT_AN_IMAGE, EL_DOC_SEV_ERROR, s, &first);
            if (first)
                setf(f->what, sizeof f->what,
                     "the ROM found data at the boot offset that is not a firmware image "
                     "(invalid header: 0x%08x)",
                     v);
        }
    }
    if (strstr(s, "flash read err")) {
        f = note(d, EL_DOC_FLASH_READ_ERROR, EL_DOC_SEV_ERROR, s, &first);
        d->cur.rom_fail = true;
        known = true;
        if (first && d->info.have_boot_mode &&
            (!chip_name_now(d)[0] || strcmp(chip_name_now(d), "esp32") == 0) &&
            (d->info.boot_mode & 0x20))
            setf(f->why, sizeof f->why,
                 "GPIO12 (MTDI) was high at reset (boot:0x%x), which sets the flash supply "
                 "to 1.8 V: a 3.3 V flash chip cannot be read",
                 d->info.boot_mode);
    }
    if ((p = strstr(s, "Invalid chip id")) != NULL) {
        unsigned exp = 0, rd = 0;
        const char *q = strstr(p, "Expected ");
        if (q)
            parse_dec(q + 9, &exp, NULL);
        q = strstr(p, "read ");
        if (q)
            parse_dec(q + 5, &rd, NULL);
        f = note(d, EL_DOC_WRONG_CHIP_IMAGE, EL_DOC_SEV_ERROR, s, &first);
        d->cur.rom_fail = true;
        known = true;
        if (first) {
            const struct el_chip *ce = el_chip_by_image_id((uint16_t)exp);
            const struct el_chip *cr = el_chip_by_image_id((uint16_t)rd);
            setf(f->what, sizeof f->what,
                 "the bootloader was built for %s (chip id %u) but this chip is %s (chip "
                 "id %u)",
                 cr ? cr->display : "another chip", rd, ce ? ce->display : "another chip", exp);
        }
    }
    if ((p = strstr(s, "wrong chip id 0x")) != NULL) { /* ESP32 ECO3 ROM */
        uint32_t v = 0;
        parse_hex(p + 14, &v, NULL);
        f = note(d, EL_DOC_WRONG_CHIP_IMAGE, EL_DOC_SEV_ERROR, s, &first);
        d->cur.rom_fail = true;
        known = true;
        if (first) {
            const struct el_chip *c = el_chip_by_image_id((uint16_t)v);
            if (c)
                setf(f->what, sizeof f->what,
                     "the bootloader was built for %s (chip id %u), not for this ESP32", c->display,
                     (unsigned)v);
            else
                setf(f->what, sizeof f->what,
                     "the image at the boot offset is not an ESP32 image (wrong chip id "
                     "0x%x: e.g. an ESP8266 image, or an image at the wrong offset)",
                     (unsigned)v);
        }
    }
    if (strstr(s, "csum err") || strstr(s, "Checksum failure") ||
        strstr(s, "SHA-256 comparison failed")) {
        note(d, EL_DOC_CHECKSUM_ERROR, EL_DOC_SEV_ERROR, s, &first);
        d->cur.rom_fail = true;
        known = true;
    }
    if (strstr(s, "ecure boot check fail")) { /* [Ss]ecure */
        note(d, EL_DOC_SECURE_BOOT, EL_DOC_SEV_ERROR, s, &first);
        d->cur.rom_fail = true;
        known = true;
    }
    if (strstr(s, "ets_main.c")) {
        d->cur.rom_fatal = true;
        known = true;
    }
    if (d->cur.rom_fail && d->cur.qio && !d->cur.entered) {
        f = note(d, EL_DOC_FLASH_MODE, EL_DOC_SEV_ERROR, s, &first);
        if (first)
            setf(f->what, sizeof f->what,
                 "the bootloader header asks the ROM for %s mode and the ROM could not load "
                 "it",
                 d->info.flash_mode);
    }

    /* ESP-IDF */
    if (strstr(s, "Brownout detector was triggered")) {
        note(d, EL_DOC_BROWNOUT, EL_DOC_SEV_ERROR, s, &first);
        known = true;
    }
    char level, tag[32];
    const char *msg;
    if (idf_log(s, &level, tag, sizeof tag, &msg)) {
        known = true;
        on_idf(d, level, tag, msg, s);
        const char *v = strstr(msg, "ESP-IDF");
        if (v && (v[7] == ' ' || v[7] == ':')) {
            v += 8;
            while (*v == ' ')
                v++;
            size_t k = 0;
            while (v[k] && v[k] != ' ')
                k++;
            if (k)
                copy_str(d->info.idf_version, sizeof d->info.idf_version, v, k);
        }
    }
    if ((p = strstr(s, "ELF file SHA256:")) != NULL) {
        p += 16;
        while (*p == ' ')
            p++;
        size_t k = 0;
        while (isxdigit((unsigned char)p[k]) && k < sizeof d->info.elf_sha256 - 1)
            k++;
        if (k)
            copy_str(d->info.elf_sha256, sizeof d->info.elf_sha256, p, k);
        known = true;
    }

    /* panics */
    if ((p = strstr(s, "Guru Meditation Error:")) != NULL) {
        char reason[64] = "";
        const char *r = strstr(p, "panic'ed (");
        if (r)
            paren_name(r + 8, reason, sizeof reason);
        start_panic(d, reason[0] ? reason : "unknown", s);
        const char *c = strstr(p, "Core ");
        unsigned core;
        if (c) {
            c += 5;
            while (*c == ' ')
                c++;
            if (parse_dec(c, &core, NULL))
                d->panic.core = (int)core;
        }
        known = true;
        if (strstr(reason, "wdt timeout")) {
            f = note(d, EL_DOC_WATCHDOG, EL_DOC_SEV_ERROR, s, &first);
            if (first)
                setf(f->what, sizeof f->what,
                     "the interrupt watchdog fired (%s): interrupts were blocked too long", reason);
        } else {
            char what[200];
            setf(what, sizeof what, "the firmware crashed: %s on core %d", reason, d->panic.core);
            panic_finding(d, s, what);
        }
    }
    if ((p = strstr(s, "abort() was called at PC 0x")) != NULL) {
        uint32_t pc = 0;
        parse_hex(p + 25, &pc, NULL);
        start_panic(d, "abort()", s);
        d->panic.pc = pc;
        d->panic.have_pc = true;
        const char *c = strstr(p, "on core ");
        unsigned core;
        if (c && parse_dec(c + 8, &core, NULL))
            d->panic.core = (int)core;
        char what[200];
        setf(what, sizeof what, "the firmware called abort() at PC 0x%08x", pc);
        panic_finding(d, s, what);
        known = true;
    }
    if ((p = strstr(s, "assert failed:")) != NULL || (p = strstr(s, "Assertion failed")) != NULL) {
        start_panic(d, "assert failed", s);
        char what[200];
        setf(what, sizeof what, "an assertion failed: %.150s", p);
        panic_finding(d, s, what);
        known = true;
    }
    if ((p = strstr(s, "A stack overflow in task")) != NULL) {
        start_panic(d, "stack overflow", s);
        char what[200];
        setf(what, sizeof what, "stack overflow: %.150s", p + 2);
        panic_finding(d, s, what);
        known = true;
    }
    if ((p = strstr(s, "Stack canary watchpoint triggered")) != NULL) {
        /* follows "Unhandled debug exception": the real cause is a stack overflow */
        char task[48] = "";
        paren_name(p + 33, task, sizeof task);
        if (!d->panic.seen)
            start_panic(d, "stack overflow", s);
        setf(d->panic.reason, sizeof d->panic.reason, "stack overflow");
        char what[200];
        setf(what, sizeof what, "stack overflow in task %s (stack canary watchpoint)",
             task[0] ? task : "?");
        d->have[EL_DOC_PANIC] = false; /* replace the generic debug-exception text */
        panic_finding(d, s, what);
        setf(d->f[EL_DOC_PANIC].why, sizeof d->f[EL_DOC_PANIC].why,
             "the task used more stack than it was given (deep recursion, big local arrays)");
        setf(d->f[EL_DOC_PANIC].fix, sizeof d->f[EL_DOC_PANIC].fix,
             "give the task a bigger stack (xTaskCreate's stack size, or "
             "CONFIG_ESP_MAIN_TASK_STACK_SIZE for app_main) or move large buffers off the "
             "stack");
        known = true;
    }
    if ((p = strstr(s, "Stack smashing protect failure")) != NULL) {
        start_panic(d, "stack smashing", s);
        panic_finding(d, s, "a stack buffer overflow was detected (stack smashing protection)");
        known = true;
    }
    if ((p = strstr(s, "CORRUPT HEAP:")) != NULL) {
        start_panic(d, "heap corruption", s);
        panic_finding(d, s, "the heap is corrupt (a buffer overrun or use after free)");
        known = true;
    }
    if ((p = strstr(s, "Exception (")) != NULL && d->info.chip[0] &&
        strcmp(d->info.chip, "esp8266") == 0) {
        unsigned cause = 0;
        parse_dec(p + 11, &cause, NULL);
        start_panic(d, el_doc_xtensa_cause(cause), s);
        d->panic.arch = EL_DOC_ARCH_XTENSA;
        d->panic.cause = cause;
        d->panic.have_cause = true;
        char what[200];
        setf(what, sizeof what, "the firmware crashed: exception %u (%s)", cause,
             el_doc_xtensa_cause(cause));
        panic_finding(d, s, what);
        known = true;
    }
    if (d->cur.in_panic) {
        parse_reg_tokens(d, s);
        if ((p = strstr(s, "epc1=0x")) != NULL) {
            uint32_t v;
            if (parse_hex(p + 5, &v, NULL))
                d->panic.pc = v, d->panic.have_pc = true;
            if ((p = strstr(s, "excvaddr=0x")) != NULL && parse_hex(p + 9, &v, NULL))
                d->panic.vaddr = v, d->panic.have_vaddr = true;
        }
        if (d->have[EL_DOC_PANIC] && d->panic.have_cause && d->panic.arch != EL_DOC_ARCH_UNKNOWN) {
            f = &d->f[EL_DOC_PANIC];
            setf(f->why, sizeof f->why, "%s", el_doc_cause_hint(d->panic.arch, d->panic.cause));
        }
    }
    if ((p = strstr(s, "Backtrace:")) != NULL) {
        parse_backtrace(d, p + 10);
        known = true;
    }
    if (strstr(s, "Rebooting...")) {
        d->cur.rebooting = true;
        d->cur.in_panic = false;
        known = true;
    }

    /* MicroPython */
    if ((p = strstr(s, "MicroPython v")) != NULL) {
        on_micropython(d, p);
        known = true;
    }
    if (strncmp(s, ">>>", 3) == 0 || strstr(s, "raw REPL; CTRL-B to exit")) {
        d->cur.prompt = true;
        d->info.prompt_seen = true;
        mark_started(d);
        known = true;
    }

    if (!known) {
        d->unrecognised++;
        if (d->cur.entered)
            d->cur.text_after_entry++;
    }
}

/* ---------------------------------------------------------------- streaming input */

static void flush_line(struct el_doctor *d)
{
    d->line[d->len] = '\0';
    process_line(d, d->line);
    d->len = 0;
    d->truncated = false;
}

void el_doctor_feed(struct el_doctor *d, const void *buf, size_t len)
{
    if (!d || !buf)
        return;
    const unsigned char *b = buf;
    d->info.bytes += len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = b[i];
        if (d->esc == 0 && c >= 0x20 && c <= 0x7e) {
            /* fast path: a run of printable text */
            size_t j = i + 1;
            while (j < len && b[j] >= 0x20 && b[j] <= 0x7e)
                j++;
            size_t run = j - i;
            d->text_bytes += run;
            d->last_cr = false;
            size_t room = EL_DOC_LINE_MAX - 1 - d->len;
            size_t take = run < room ? run : room;
            memcpy(d->line + d->len, b + i, take);
            d->len += take;
            if (take < run)
                d->truncated = true;
            i = j - 1;
            continue;
        }
        if (d->esc == 1) { /* after ESC */
            d->esc = c == '[' ? 2 : c == ']' ? 3 : 0;
            continue;
        }
        if (d->esc == 2) { /* CSI: parameters until a final byte */
            if (c >= 0x40 && c <= 0x7e)
                d->esc = 0;
            else if (c < 0x20 || c > 0x3f)
                d->esc = 0; /* malformed: drop the sequence */
            continue;
        }
        if (d->esc == 3) { /* OSC: until BEL or ESC */
            if (c == 0x07 || c == 0x1b || c == '\n')
                d->esc = c == 0x1b ? 1 : 0;
            continue;
        }
        if (c == 0x1b) {
            d->esc = 1;
            continue;
        }
        if (c == '\n') {
            if (!d->last_cr)
                flush_line(d);
            d->last_cr = false;
            continue;
        }
        d->last_cr = false;
        if (c == '\r') {
            flush_line(d);
            d->last_cr = true;
            continue;
        }
        if (c == '\t')
            c = ' ';
        if (c < 0x20 || c > 0x7e) {
            d->info.noise_bytes++;
            continue;
        }
        d->text_bytes++;
        if (d->len < EL_DOC_LINE_MAX - 1)
            d->line[d->len++] = (char)c;
        else
            d->truncated = true;
    }
    /* an unterminated MicroPython prompt is the normal end of a healthy boot */
    if (d->len >= 3 && memcmp(d->line, ">>>", 3) == 0 && !d->cur.prompt) {
        d->cur.prompt = true;
        d->info.prompt_seen = true;
        mark_started(d);
    }
}

/* ---------------------------------------------------------------- results */

static int cmp_findings(const void *a, const void *b)
{
    /* errors first, then the healthy verdict, then warnings and notes */
    static const int order[] = {
        [EL_DOC_SEV_OK] = 3, [EL_DOC_SEV_INFO] = 1, [EL_DOC_SEV_WARN] = 2, [EL_DOC_SEV_ERROR] = 4};
    const struct el_doc_finding *x = a, *y = b;
    if (x->severity != y->severity)
        return order[y->severity] - order[x->severity];
    return (int)rank[x->code] - (int)rank[y->code];
}

static bool any_error(const struct el_doctor *d, enum el_doc_code except)
{
    for (unsigned i = 0; i < EL_DOC_CODE_COUNT; i++)
        if (i != (unsigned)except && d->have[i] && d->f[i].severity == EL_DOC_SEV_ERROR)
            return true;
    return false;
}

static void derive(struct el_doctor *d)
{
    bool first;
    struct el_doc_finding *f;
    struct boot saved_cur = d->cur;
    memcpy(d->saved_f, d->f, sizeof d->f);
    memcpy(d->saved_have, d->have, sizeof d->have);

    const struct boot *b = &d->cur;
    bool healthy = boot_healthy(d, b);
    d->healthy = healthy;

    /* loops: the same failure in consecutive boots, or a start-up failure that restarts */
    uint64_t streak = d->fail_streak;
    if (b->err_mask)
        streak = (d->last_fail_mask & b->err_mask) ? streak + 1 : 1;
    bool restart_now = b->err_mask && b->err_before_start &&
                       (b->rebooting || b->rom_fatal || b->reset_sw_or_wdt || d->rebooting_seen);
    if (!healthy && (b->err_mask || d->failing_boots) &&
        (streak >= 2 || d->max_fail_streak >= 2 || restart_now || d->startup_fail_restart)) {
        f = note(d, EL_DOC_BOOT_LOOP, EL_DOC_SEV_ERROR, NULL, &first);
        f->count = 1;
        f->line_no = 0;
        uint64_t boots = d->info.boots;
        if (streak >= 2 || d->max_fail_streak >= 2)
            setf(f->what, sizeof f->what,
                 "the board is in a boot loop: the same failure repeated in %llu "
                 "consecutive boots",
                 (unsigned long long)(streak > d->max_fail_streak ? streak : d->max_fail_streak));
        else
            setf(f->what, sizeof f->what,
                 "the board is in a boot loop: it fails at start-up and restarts by itself "
                 "(%llu boot%s in this log)",
                 (unsigned long long)boots, boots == 1 ? "" : "s");
    }
    /* silent resets */
    uint64_t silent = d->silent_streak;
    if (!healthy && b->index > 1 && !b->err_mask && !boot_started(b) && !b->download_wait)
        silent++;
    if (!healthy && (silent >= 2 || d->max_silent_streak >= 2) &&
        !any_error(d, EL_DOC_CODE_COUNT)) {
        f = note(d, EL_DOC_POWER_RESET_LOOP, EL_DOC_SEV_ERROR, NULL, &first);
        f->count = silent > d->max_silent_streak ? silent : d->max_silent_streak;
        setf(f->what, sizeof f->what,
             "the chip reset %llu times in a row without printing any error",
             (unsigned long long)f->count);
    }
    /* watchdog known only from the reset reason */
    if (d->wdt_resets && !d->have[EL_DOC_WATCHDOG] && !any_error(d, EL_DOC_CODE_COUNT)) {
        f = note(d, EL_DOC_WATCHDOG, healthy ? EL_DOC_SEV_INFO : EL_DOC_SEV_WARN, NULL, &first);
        f->count = d->wdt_resets;
        setf(f->what, sizeof f->what,
             "the chip was reset by a watchdog (rst:0x%x %s); what ran before is not in "
             "this log",
             d->wdt_reset_code, d->wdt_reset_name);
    }
    if (healthy) {
        /* failures before a successful start (or in earlier boots) are history now */
        for (unsigned i = 0; i < EL_DOC_CODE_COUNT; i++) {
            if (!d->have[i] || d->f[i].severity != EL_DOC_SEV_ERROR)
                continue;
            d->f[i].severity = d->f[i].boot < b->index ? EL_DOC_SEV_INFO : EL_DOC_SEV_WARN;
        }
        if (b->prompt || b->mp_banner) {
            f = note(d, EL_DOC_MICROPYTHON_REPL, EL_DOC_SEV_OK, NULL, &first);
            if (d->info.mp_version[0])
                setf(f->what, sizeof f->what, "MicroPython %s (%s) is running%s",
                     d->info.mp_version, d->info.mp_board[0] ? d->info.mp_board : "unknown board",
                     b->prompt ? " and its >>> prompt is up" : "");
        } else {
            f = note(d, EL_DOC_BOOT_OK, EL_DOC_SEV_OK, NULL, &first);
            if (b->started || b->text_after_entry)
                ; /* the default text: the app started */
            else if (b->app_log_lines && b->index == 0)
                setf(f->what, sizeof f->what,
                     "the app is running and logs no errors (the boot itself is not in this "
                     "log)");
            else if (b->app_log_lines || b->app_loaded)
                setf(f->what, sizeof f->what,
                     "the bootloader loaded the app and no error followed");
            else
                setf(f->what, sizeof f->what,
                     "the ROM started the bootloader (entry 0x%08x) and the output then went "
                     "quiet: normal for firmware with logging off",
                     d->info.entry);
        }
        f->count = 1;
    }
    /* nothing placed at all */
    bool any = false;
    for (unsigned i = 0; i < EL_DOC_CODE_COUNT; i++)
        any = any || d->have[i];
    if (!healthy && !any_error(d, EL_DOC_CODE_COUNT)) {
        f = note(d, EL_DOC_UNKNOWN, any ? EL_DOC_SEV_WARN : EL_DOC_SEV_ERROR, NULL, &first);
        f->count = 1;
        if (d->info.bytes == 0)
            setf(f->what, sizeof f->what, "no output from the board at all");
        else if (d->info.noise_bytes > d->text_bytes)
            setf(f->what, sizeof f->what,
                 "only unreadable bytes (%llu of %llu): the baud rate is probably wrong",
                 (unsigned long long)d->info.noise_bytes, (unsigned long long)d->info.bytes);
        else if (b->index > 0 && b->have_reset && !b->entered)
            setf(f->what, sizeof f->what,
                 "the ROM started (rst:0x%x) but the log ends before it loaded the "
                 "bootloader",
                 b->reset_code);
        else
            setf(f->what, sizeof f->what,
                 "%llu line%s of output, none that shows how the boot went",
                 (unsigned long long)d->info.lines, d->info.lines == 1 ? "" : "s");
        if (d->info.noise_bytes > d->text_bytes)
            setf(f->fix, sizeof f->fix,
                 "read the port at 115200 baud (the ROM's rate; ESP8266: 74880) or at the "
                 "baud rate the app sets, and check the ground connection");
    }

    /* order */
    d->n_sorted = 0;
    for (unsigned i = 0; i < EL_DOC_CODE_COUNT; i++)
        if (d->have[i])
            d->sorted[d->n_sorted++] = d->f[i];
    qsort(d->sorted, d->n_sorted, sizeof d->sorted[0], cmp_findings);

    /* boot loop explains itself through its cause */
    for (size_t i = 0; i < d->n_sorted; i++) {
        if (d->sorted[i].code == EL_DOC_BOOT_LOOP && d->n_sorted > 1 &&
            d->sorted[0].code != EL_DOC_BOOT_LOOP) {
            setf(d->sorted[i].why, sizeof d->sorted[i].why,
                 "the %s failure happens at every start and the chip restarts by itself",
                 el_doc_code_name(d->sorted[0].code));
            setf(d->sorted[i].fix, sizeof d->sorted[i].fix, "%s", d->sorted[0].fix);
        }
    }
    if (d->n_sorted) {
        const struct el_doc_finding *p0 = &d->sorted[0];
        setf(d->verdict, sizeof d->verdict, "%s: %s; %s", el_doc_code_name(p0->code), p0->what,
             p0->fix);
    } else {
        setf(d->verdict, sizeof d->verdict, "unknown");
    }
    d->cur = saved_cur;
    memcpy(d->f, d->saved_f, sizeof d->f);
    memcpy(d->have, d->saved_have, sizeof d->have);
}

void el_doctor_finish(struct el_doctor *d)
{
    if (!d)
        return;
    if (d->len)
        flush_line(d);
    derive(d);
}

int el_doctor_new(struct el_doctor **out, const struct el_doctor_cfg *cfg)
{
    if (!out)
        return EL_E_ARG;
    *out = NULL;
    struct el_doctor *d = calloc(1, sizeof *d);
    if (!d)
        return EL_E_NOMEM;
    d->cfg_psram = d->cfg_fe = d->cfg_sb = -1;
    if (cfg) {
        if (cfg->chip) {
            const struct el_chip *c = el_chip_by_name(cfg->chip);
            setf(d->cfg_chip, sizeof d->cfg_chip, "%s", c ? c->name : cfg->chip);
        }
        d->cfg_psram = cfg->has_psram;
        d->cfg_fe = cfg->flash_encryption;
        d->cfg_sb = cfg->secure_boot;
        d->fe_enabled = cfg->flash_encryption == 1;
    }
    d->panic.core = -1;
    setf(d->verdict, sizeof d->verdict, "unknown");
    *out = d;
    return EL_OK;
}

void el_doctor_free(struct el_doctor *d)
{
    free(d);
}

size_t el_doctor_findings(const struct el_doctor *d, const struct el_doc_finding **out)
{
    if (out)
        *out = d ? d->sorted : NULL;
    return d ? d->n_sorted : 0;
}

bool el_doctor_healthy(const struct el_doctor *d)
{
    return d && d->healthy;
}

const struct el_doc_info *el_doctor_info(const struct el_doctor *d)
{
    return d ? &d->info : NULL;
}

const struct el_doc_panic *el_doctor_panic(const struct el_doctor *d)
{
    return d ? &d->panic : NULL;
}

const char *el_doctor_verdict(const struct el_doctor *d)
{
    return d ? d->verdict : "unknown";
}

bool el_doctor_settled(const struct el_doctor *d)
{
    if (!d)
        return false;
    if (d->cur.prompt || d->cur.download_wait)
        return true;
    /* a confirmed loop: two failing boots in a row */
    uint64_t streak = d->fail_streak + (d->cur.err_mask ? 1 : 0);
    return streak >= 2 || d->failing_boots >= 3;
}

const struct el_doc_finding *el_doctor_seen(const struct el_doctor *d, enum el_doc_code code)
{
    if (!d || (unsigned)code >= EL_DOC_CODE_COUNT || !d->have[code])
        return NULL;
    return &d->f[code];
}

uint64_t el_doctor_lines(const struct el_doctor *d)
{
    return d ? d->info.lines : 0;
}

const char *eli_doctor_cfg_chip(const struct el_doctor *d)
{
    return d->cfg_chip[0] ? chip_display(d->cfg_chip) : "";
}
