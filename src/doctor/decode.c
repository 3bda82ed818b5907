/* SPDX-License-Identifier: MIT */
/*
 * Table decoders for what Espressif ROMs and ESP-IDF print: finding code names, ROM reset
 * reasons (rst:0xNN), boot strapping values (boot:0xNN) and CPU exception causes.
 *
 * Facts: reset reason numbers from ESP-IDF components/esp_rom/<chip>/include/<chip>/rom/rtc.h
 * (RESET_REASON); strapping bits from esptool docs/en/advanced-topics/boot-mode-selection.rst
 * (ESP32: 0x01 GPIO5, 0x02 MTDO, 0x04 GPIO4, 0x08 GPIO2, 0x10 GPIO0, 0x20 MTDI; other chips:
 * 0x08 the boot GPIO, 0x04 the second boot GPIO); exception names from ESP-IDF
 * esp_system/port/arch/{xtensa,riscv}/panic_arch.c.
 */
#include <stdio.h>
#include <string.h>

#include "espload/doctor.h"

static const char *const code_names[EL_DOC_CODE_COUNT] = {
    [EL_DOC_DOWNLOAD_MODE] = "download-mode",
    [EL_DOC_NO_BOOTLOADER] = "no-bootloader",
    [EL_DOC_NOT_AN_IMAGE] = "not-an-image",
    [EL_DOC_WRONG_CHIP_IMAGE] = "wrong-chip-image",
    [EL_DOC_FLASH_READ_ERROR] = "flash-read-error",
    [EL_DOC_CHECKSUM_ERROR] = "checksum-error",
    [EL_DOC_FLASH_SIZE_MISMATCH] = "flash-size-mismatch",
    [EL_DOC_FLASH_MODE] = "flash-mode",
    [EL_DOC_PSRAM_MISSING] = "psram-missing",
    [EL_DOC_BROWNOUT] = "brownout",
    [EL_DOC_POWER_RESET_LOOP] = "power-reset-loop",
    [EL_DOC_PANIC] = "panic",
    [EL_DOC_WATCHDOG] = "watchdog",
    [EL_DOC_PARTITION_TABLE] = "partition-table",
    [EL_DOC_NO_APP] = "no-app",
    [EL_DOC_SECURE_BOOT] = "secure-boot",
    [EL_DOC_FLASH_ENCRYPTION] = "flash-encryption",
    [EL_DOC_MICROPYTHON_REPL] = "micropython-repl",
    [EL_DOC_BOOT_OK] = "boot-ok",
    [EL_DOC_BOOT_LOOP] = "boot-loop",
    [EL_DOC_UNKNOWN] = "unknown",
};

const char *el_doc_code_name(enum el_doc_code code)
{
    if ((unsigned)code >= EL_DOC_CODE_COUNT)
        return "unknown";
    return code_names[code];
}

enum el_doc_code el_doc_code_from_name(const char *name)
{
    if (!name)
        return EL_DOC_CODE_COUNT;
    for (unsigned i = 0; i < EL_DOC_CODE_COUNT; i++)
        if (strcmp(code_names[i], name) == 0)
            return (enum el_doc_code)i;
    return EL_DOC_CODE_COUNT;
}

const char *el_doc_severity_name(enum el_doc_severity sev)
{
    switch (sev) {
    case EL_DOC_SEV_OK:
        return "ok";
    case EL_DOC_SEV_INFO:
        return "info";
    case EL_DOC_SEV_WARN:
        return "warning";
    case EL_DOC_SEV_ERROR:
        return "error";
    }
    return "error";
}

enum { RF_WDT = 1, RF_BROWNOUT = 2, RF_POWER = 4 };

struct reset_row {
    const char *desc;
    unsigned flags;
};

/* Indexed by reset code. Numbering is shared by ESP32 and the newer chips; where the
 * meaning differs the newer chips' meaning is in the second table. */
static const struct reset_row reset_esp32[] = {
    [0x01] = {"power-on reset", RF_POWER},
    [0x02] = {"external reset (EN pin)", RF_POWER},
    [0x03] = {"software reset of the digital core", 0},
    [0x04] = {"legacy watchdog reset", RF_WDT},
    [0x05] = {"wake-up from deep sleep", 0},
    [0x06] = {"reset by the SDIO slave", 0},
    [0x07] = {"timer group 0 watchdog reset of the digital core", RF_WDT},
    [0x08] = {"timer group 1 watchdog reset of the digital core", RF_WDT},
    [0x09] = {"RTC watchdog reset of the digital core", RF_WDT},
    [0x0a] = {"intrusion reset of the CPU", 0},
    [0x0b] = {"timer group watchdog reset of the CPU", RF_WDT},
    [0x0c] = {"software reset of the CPU (restart, panic or abort)", 0},
    [0x0d] = {"RTC watchdog reset of the CPU", RF_WDT},
    [0x0e] = {"APP CPU reset by the PRO CPU", 0},
    [0x0f] = {"brownout reset: the supply voltage dropped", RF_BROWNOUT},
    /* also printed at power-up by many ESP32 boards: not counted as a watchdog */
    [0x10] = {"RTC watchdog reset of the digital core and RTC (normal at power-up on ESP32)", 0},
};

static const struct reset_row reset_newer[] = {
    [0x01] = {"power-on reset", RF_POWER},
    [0x02] = {"external reset (EN pin)", RF_POWER},
    [0x03] = {"software reset of the whole system", 0},
    [0x05] = {"wake-up from deep sleep", 0},
    [0x06] = {"reset by the SDIO slave", 0},
    [0x07] = {"timer group 0 watchdog reset of the system", RF_WDT},
    [0x08] = {"timer group 1 watchdog reset of the system", RF_WDT},
    [0x09] = {"RTC watchdog reset of the system", RF_WDT},
    [0x0a] = {"intrusion reset of the CPU", 0},
    [0x0b] = {"timer group 0 watchdog reset of the CPU", RF_WDT},
    [0x0c] = {"software reset of the CPU (restart, panic or abort)", 0},
    [0x0d] = {"RTC watchdog reset of the CPU", RF_WDT},
    [0x0f] = {"brownout reset: the supply voltage dropped", RF_BROWNOUT},
    [0x10] = {"RTC watchdog reset of the system and RTC", RF_WDT},
    [0x11] = {"timer group 1 watchdog reset of the CPU", RF_WDT},
    [0x12] = {"super watchdog reset", RF_WDT},
    [0x13] = {"glitch reset of the system and RTC", 0},
    [0x14] = {"eFuse reset", 0},
    [0x15] = {"reset by the USB-UART (host request)", 0},
    [0x16] = {"reset by the USB-Serial/JTAG (host request)", 0},
    [0x17] = {"power glitch reset: the supply voltage dropped", RF_BROWNOUT},
    [0x18] = {"JTAG reset of the CPU", 0},
};

static bool chip_is_esp32(const char *chip)
{
    return !chip || !*chip || strcmp(chip, "esp32") == 0;
}

const char *el_doc_reset_reason(const char *chip, unsigned code, bool *watchdog, bool *brownout,
                                bool *power_on)
{
    const struct reset_row *t = chip_is_esp32(chip) ? reset_esp32 : reset_newer;
    size_t n = chip_is_esp32(chip) ? sizeof reset_esp32 / sizeof reset_esp32[0]
                                   : sizeof reset_newer / sizeof reset_newer[0];
    const struct reset_row *r = code < n && t[code].desc ? &t[code] : NULL;
    if (watchdog)
        *watchdog = r && (r->flags & RF_WDT);
    if (brownout)
        *brownout = r && (r->flags & RF_BROWNOUT);
    if (power_on)
        *power_on = r && (r->flags & RF_POWER);
    return r ? r->desc : "unknown reset reason";
}

static const char *boot_gpio(const char *chip)
{
    if (chip_is_esp32(chip) || strcmp(chip, "esp32s2") == 0 || strcmp(chip, "esp32s3") == 0)
        return "GPIO0";
    return "GPIO9";
}

static const char *boot_gpio2(const char *chip)
{
    if (chip_is_esp32(chip))
        return "GPIO2";
    if (strcmp(chip, "esp32s2") == 0 || strcmp(chip, "esp32s3") == 0)
        return "GPIO46";
    return "GPIO8";
}

bool el_doc_boot_mode(const char *chip, unsigned value, char *desc, size_t desclen)
{
    char tmp[256];
    bool download;
    if (chip_is_esp32(chip)) {
        bool gpio0 = value & 0x10, gpio2 = value & 0x08, mtdi = value & 0x20, mtdo = value & 0x02;
        download = !gpio0;
        if (gpio0)
            snprintf(tmp, sizeof tmp, "GPIO0 high: normal boot from SPI flash");
        else if (!gpio2)
            snprintf(tmp, sizeof tmp, "GPIO0 low and GPIO2 low: serial download mode");
        else
            snprintf(tmp, sizeof tmp,
                     "GPIO0 low and GPIO2 high: an unsupported boot mode (GPIO2 must be low or "
                     "floating for download mode)");
        size_t l = strlen(tmp);
        if (mtdi)
            snprintf(tmp + l, sizeof tmp - l,
                     "; GPIO12 (MTDI) high: flash supply set to 1.8 V (VDD_SDIO)");
        l = strlen(tmp);
        if (!mtdo)
            snprintf(tmp + l, sizeof tmp - l, "; GPIO15 (MTDO) low: ROM messages silenced");
    } else {
        bool b1 = value & 0x08, b2 = value & 0x04;
        download = !b1;
        if (b1)
            snprintf(tmp, sizeof tmp, "%s high: normal boot from SPI flash", boot_gpio(chip));
        else
            snprintf(tmp, sizeof tmp, "%s low and %s %s: serial download mode", boot_gpio(chip),
                     boot_gpio2(chip), b2 ? "high" : "low");
    }
    if (desc && desclen) {
        snprintf(desc, desclen, "%s", tmp);
    }
    return download;
}

static const char *const xtensa_causes[] = {
    "IllegalInstruction",
    "Syscall",
    "InstructionFetchError",
    "LoadStoreError",
    "Level1Interrupt",
    "Alloca",
    "IntegerDivideByZero",
    "PCValue",
    "Privileged",
    "LoadStoreAlignment",
    NULL,
    NULL,
    "InstrPDAddrError",
    "LoadStorePIFDataError",
    "InstrPIFAddrError",
    "LoadStorePIFAddrError",
    "InstTLBMiss",
    "InstTLBMultiHit",
    "InstFetchPrivilege",
    NULL,
    "InstrFetchProhibited",
    NULL,
    NULL,
    NULL,
    "LoadStoreTLBMiss",
    "LoadStoreTLBMultihit",
    "LoadStorePrivilege",
    NULL,
    "LoadProhibited",
    "StoreProhibited",
    NULL,
    NULL,
    "Cp0Dis",
    "Cp1Dis",
    "Cp2Dis",
    "Cp3Dis",
    "Cp4Dis",
    "Cp5Dis",
    "Cp6Dis",
    "Cp7Dis",
};

static const char *const riscv_causes[] = {
    "Instruction address misaligned",
    "Instruction access fault",
    "Illegal instruction",
    "Breakpoint",
    "Load address misaligned",
    "Load access fault",
    "Store address misaligned",
    "Store access fault",
    "Environment call from U-mode",
    "Environment call from S-mode",
    NULL,
    "Environment call from M-mode",
    "Instruction page fault",
    "Load page fault",
    NULL,
    "Store page fault",
};

const char *el_doc_xtensa_cause(unsigned cause)
{
    if (cause < sizeof xtensa_causes / sizeof xtensa_causes[0] && xtensa_causes[cause])
        return xtensa_causes[cause];
    return "unknown";
}

const char *el_doc_riscv_cause(unsigned cause)
{
    if (cause < sizeof riscv_causes / sizeof riscv_causes[0] && riscv_causes[cause])
        return riscv_causes[cause];
    return "unknown";
}

const char *el_doc_cause_hint(enum el_doc_arch arch, unsigned cause)
{
    if (arch == EL_DOC_ARCH_XTENSA) {
        switch (cause) {
        case 0:
            return "the CPU ran an invalid instruction: a bad function pointer, stack "
                   "corruption, or code called while the flash cache was off";
        case 2:
            return "instruction fetch failed: jump to a bad address";
        case 3:
            return "load/store error: byte access to memory that allows only 32-bit access "
                   "(IRAM) or a bad pointer";
        case 6:
            return "integer division by zero";
        case 9:
            return "unaligned memory access";
        case 20:
            return "jump to a non-executable address: a bad or NULL function pointer";
        case 28:
            return "read from an invalid address (EXCVADDR near 0 means a NULL pointer)";
        case 29:
            return "write to an invalid address (EXCVADDR near 0 means a NULL pointer)";
        default:
            return "CPU exception";
        }
    }
    if (arch == EL_DOC_ARCH_RISCV) {
        switch (cause) {
        case 1:
            return "instruction fetch from an invalid address: a bad function pointer";
        case 2:
            return "illegal instruction: a bad function pointer, stack corruption or cache "
                   "disabled";
        case 3:
            return "breakpoint or assert";
        case 4:
        case 6:
            return "unaligned memory access";
        case 5:
            return "read from an invalid address (MTVAL near 0 means a NULL pointer)";
        case 7:
            return "write to an invalid address (MTVAL near 0 means a NULL pointer)";
        default:
            return "CPU exception";
        }
    }
    return "CPU exception";
}
