/* SPDX-License-Identifier: MIT */
/*
 * Chip description: package name, revision, features, crystal and MAC (esptool
 * targets/esp32.py get_chip_description/get_chip_features/get_crystal_freq/read_mac), and
 * the eFuse security state.
 */
#include "loader/loader_int.h"

#include "espload/err.h"
#include "espload/port.h"

#include <stdio.h>
#include <string.h>

#define ESP32_APB_CTL_DATE 0x3FF6607Cu

static void add_feature(char *buf, size_t cap, const char *f)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", f);
}

static void format_mac(struct el_chip_info *info, uint32_t lo, uint32_t hi)
{
    info->mac[0] = (uint8_t)(hi >> 8);
    info->mac[1] = (uint8_t)hi;
    info->mac[2] = (uint8_t)(lo >> 24);
    info->mac[3] = (uint8_t)(lo >> 16);
    info->mac[4] = (uint8_t)(lo >> 8);
    info->mac[5] = (uint8_t)lo;
    info->mac_valid = true;
    snprintf(info->mac_str, sizeof(info->mac_str), "%02x:%02x:%02x:%02x:%02x:%02x", info->mac[0],
             info->mac[1], info->mac[2], info->mac[3], info->mac[4], info->mac[5]);
}

/* crystal from the UART divider at the current baud (esptool get_crystal_freq) */
static void crystal_estimate(struct el_chip_info *info, uint32_t clkdiv, unsigned baud)
{
    uint32_t div = clkdiv & 0xFFFFFu;
    if (!div || !baud)
        return;
    double est = (double)baud * (double)div / 1e6;
    unsigned norm = est > 45 ? 48 : est > 33 ? 40 : 26;
    info->crystal_mhz = norm;
    info->crystal_warning = (est > norm ? est - norm : norm - est) > 1.0;
}

static unsigned popcount32(uint32_t v)
{
    unsigned n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

void el_esp32_describe(const uint32_t efuse[7], uint32_t apb_ctl_date, uint32_t clkdiv,
                       unsigned baud, struct el_chip_info *info)
{
    memset(info, 0, sizeof(*info));
    info->chip = EL_CHIP_ESP32;
    memcpy(info->efuse, efuse, 7 * sizeof(uint32_t));
    uint32_t w3 = efuse[3], w4 = efuse[4], w5 = efuse[5], w6 = efuse[6];

    unsigned pkg = ((w3 >> 9) & 7u) | (((w3 >> 2) & 1u) << 3);
    info->package = pkg;
    unsigned b0 = (w3 >> 15) & 1u, b1 = (w5 >> 20) & 1u, b2 = (apb_ctl_date >> 31) & 1u;
    unsigned combo = (b2 << 2) | (b1 << 1) | b0;
    unsigned major = combo == 1 ? 1 : combo == 3 ? 2 : combo == 7 ? 3 : 0;
    unsigned minor = (w5 >> 24) & 3u;
    info->rev_major = major;
    info->rev_minor = minor;
    info->rev_known = true;
    bool rev3 = major == 3;
    bool single = w3 & 1u;

    for (int style = 0; style < 2; style++) {
        const char *name;
        switch (pkg) {
        case 0:
            name = single ? "ESP32-S0WDQ6" : rev3 ? "ESP32-D0WDQ6-V3" : "ESP32-D0WDQ6";
            break;
        case 1:
            /* esptool >= 3.0 calls package 1 "ESP32-D0WD"; esptool 2.x called it
             * "ESP32D0WDQ5". We keep the D0WDQ5 name (in today's dashed spelling) for the
             * non-V3 dual-core part, which is how these boards are labelled. */
            name = single ? "ESP32-S0WD" : rev3 ? "ESP32-D0WD-V3" : "ESP32-D0WDQ5";
            break;
        case 2:
            name = "ESP32-D2WD";
            break;
        case 4:
            name = "ESP32-U4WDH";
            break;
        case 5:
            name = rev3 ? "ESP32-PICO-V3" : "ESP32-PICO-D4";
            break;
        case 6:
            name = "ESP32-PICO-V3-02";
            break;
        case 7:
            name = "ESP32-D0WDR2-V3";
            break;
        default:
            name = style == EL_STYLE_V4 ? "unknown ESP32" : "Unknown ESP32";
            break;
        }
        snprintf(info->name[style], sizeof(info->name[style]), "%s", name);
        snprintf(info->description[style], sizeof(info->description[style]), "%s (revision v%u.%u)",
                 name, major, minor);

        char *f = info->features[style];
        size_t fc = sizeof(info->features[style]);
        f[0] = '\0';
        add_feature(f, fc, style == EL_STYLE_V4 ? "WiFi" : "Wi-Fi");
        if (!(w3 & 2u))
            add_feature(f, fc, "BT");
        if (style == EL_STYLE_V4)
            add_feature(f, fc, single ? "Single Core" : "Dual Core");
        else
            add_feature(f, fc, single ? "Single Core + LP Core" : "Dual Core + LP Core");
        if (w3 & (1u << 13))
            add_feature(f, fc, (w3 & (1u << 12)) ? "160MHz" : "240MHz");
        if (pkg == 2 || pkg == 4 || pkg == 5 || pkg == 6)
            add_feature(f, fc, "Embedded Flash");
        if (pkg == 6)
            add_feature(f, fc, "Embedded PSRAM");
        if ((w4 >> 8) & 0x1Fu)
            add_feature(f, fc,
                        style == EL_STYLE_V4 ? "VRef calibration in efuse"
                                             : "Vref calibration in eFuse");
        if ((w3 >> 14) & 1u)
            add_feature(f, fc, "BLK3 partially reserved");
        static const char *const cs[] = {"None", "3/4", "Repeat (UNSUPPORTED)",
                                         "None (may contain encoding data)"};
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "Coding Scheme %s", cs[w6 & 3u]);
        add_feature(f, fc, tmp);
    }

    format_mac(info, efuse[1], efuse[2]);
    crystal_estimate(info, clkdiv, baud);

    /* security: ABS_DONE_0 (secure boot v1), ABS_DONE_1 (v2) from revision 3 */
    unsigned rev_full = major * 100 + minor;
    info->secure_boot = (w6 & (1u << 4)) || ((w6 & (1u << 5)) && rev_full >= 300);
    info->flash_encryption = popcount32((efuse[0] >> 20) & 0x7Fu) & 1u;
}

bool el_chip_rev_words(enum el_chip_id chip, uint32_t efuse_base, uint32_t *base, size_t *n,
                       uint32_t *extra)
{
    *base = efuse_base + 0x44; /* BLOCK1 (MAC_SYS) */
    *n = 6;
    *extra = 0;
    switch (chip) {
    case EL_CHIP_ESP32C3:
    case EL_CHIP_ESP32C6:
    case EL_CHIP_ESP32H2:
        return true;
    case EL_CHIP_ESP32S2:
    case EL_CHIP_ESP32S3:
        *extra = efuse_base + 0x5C + 4 * 4; /* BLOCK2 word 4: block version */
        return true;
    case EL_CHIP_ESP32C2:
        *base = efuse_base + 0x40; /* BLOCK2 */
        *n = 2;
        return true;
    default:
        *n = 0;
        return false;
    }
}

void el_chip_rev_decode(enum el_chip_id chip, const uint32_t *w, uint32_t extra, unsigned *major,
                        unsigned *minor)
{
    *major = *minor = 0;
    switch (chip) {
    case EL_CHIP_ESP32S2:
        *major = (w[3] >> 18) & 3u;
        *minor = (((w[3] >> 20) & 1u) << 3) | ((w[4] >> 4) & 7u);
        break;
    case EL_CHIP_ESP32S3:
    case EL_CHIP_ESP32C3:
        *major = (w[5] >> 24) & 3u;
        *minor = (((w[5] >> 23) & 1u) << 3) | ((w[3] >> 18) & 7u);
        /* ESP32-S3 v0.0 with block version v1.1 used the major field for something else */
        if (chip == EL_CHIP_ESP32S3 && *minor == 0 && (extra & 3u) == 1 && ((w[3] >> 24) & 7u) == 1)
            *major = 0;
        break;
    case EL_CHIP_ESP32C6:
        *major = (w[3] >> 22) & 3u;
        *minor = (w[3] >> 18) & 0xFu;
        break;
    case EL_CHIP_ESP32H2:
        *major = (w[3] >> 21) & 3u;
        *minor = (w[3] >> 18) & 7u;
        break;
    case EL_CHIP_ESP32C2:
        *major = (w[1] >> 20) & 3u;
        *minor = (w[1] >> 16) & 0xFu;
        break;
    default:
        break;
    }
}

void el_esp32s2_describe(const uint32_t w[6], uint32_t blk2_w4, struct el_chip_info *info)
{
    unsigned flash_cap = (w[3] >> 21) & 0xFu, psram_cap = (w[3] >> 28) & 0xFu;
    unsigned blk2 = (blk2_w4 >> 4) & 7u;
    const char *name;
    switch (flash_cap + psram_cap * 100) {
    case 0:
        name = "ESP32-S2";
        break;
    case 1:
        name = "ESP32-S2FH2";
        break;
    case 2:
        name = "ESP32-S2FH4";
        break;
    case 102:
        name = "ESP32-S2FNR2";
        break;
    case 100:
        name = "ESP32-S2R2";
        break;
    default:
        name = "Unknown ESP32-S2";
        break;
    }
    static const char *const flash[] = {"No Embedded Flash", "Embedded Flash 2MB",
                                        "Embedded Flash 4MB"};
    static const char *const psram[] = {"No Embedded PSRAM", "Embedded PSRAM 2MB",
                                        "Embedded PSRAM 4MB"};
    static const char *const cal[2][3] = {
        {"No calibration in BLK2 of efuse",
         "ADC and temperature sensor calibration in BLK2 of efuse V1",
         "ADC and temperature sensor calibration in BLK2 of efuse V2"},
        {"No calibration in BLK2 of efuse",
         "ADC and temperature sensor calibration in BLK2 of eFuse V1",
         "ADC and temperature sensor calibration in BLK2 of eFuse V2"}};
    for (int s = 0; s < 2; s++) {
        snprintf(info->name[s], sizeof(info->name[s]), "%s", name);
        snprintf(info->description[s], sizeof(info->description[s]), "%s (revision v%u.%u)", name,
                 info->rev_major, info->rev_minor);
        snprintf(info->features[s], sizeof(info->features[s]), "%s, %s, %s, %s",
                 s == EL_STYLE_V4 ? "WiFi" : "Wi-Fi, Single Core, 240MHz",
                 flash_cap < 3 ? flash[flash_cap] : "Unknown Embedded Flash",
                 psram_cap < 3 ? psram[psram_cap] : "Unknown Embedded PSRAM",
                 blk2 < 3 ? cal[s][blk2]
                          : (s == EL_STYLE_V4 ? "Unknown Calibration in BLK2"
                                              : "Unknown calibration in BLK2"));
    }
}

struct other_chip {
    enum el_chip_id id;
    const char *feat_v4;
    const char *feat_v5;
    unsigned fixed_xtal_mhz; /* 0: estimate from the UART divider */
};

static const struct other_chip others[] = {
    {EL_CHIP_ESP32S2, "WiFi", "Wi-Fi, Single Core, 240MHz", 0},
    {EL_CHIP_ESP32S3, "WiFi, BLE", "Wi-Fi, BT 5 (LE), Dual Core + LP Core, 240MHz", 0},
    {EL_CHIP_ESP32C3, "WiFi, BLE", "Wi-Fi, BT 5 (LE), Single Core, 160MHz", 0},
    {EL_CHIP_ESP32C6, "WiFi 6, BT 5, IEEE802.15.4",
     "Wi-Fi 6, BT 5 (LE), IEEE802.15.4, Single Core + LP Core, 160MHz", 40},
    {EL_CHIP_ESP32H2, "BLE, IEEE802.15.4", "BT 5 (LE), IEEE802.15.4, Single Core, 96MHz", 32},
    {EL_CHIP_ESP32C2, "WiFi, BLE", "Wi-Fi, BT 5 (LE), Single Core, 120MHz", 0},
};

int el_loader_chip_info(struct el_loader *l, struct el_chip_info *info)
{
    if (!l || !info)
        return EL_E_ARG;
    memset(info, 0, sizeof(*info));
    eli_clear_error(l);
    const struct el_chip *c = el_loader_chip(l);
    if (!c)
        return eli_fail(l, EL_E_ARG, "not connected");
    unsigned baud = el_port_get_baud(l->port);
    int rc;
    if (c->id == EL_CHIP_ESP32) {
        uint32_t ef[7], date = 0, clkdiv = 0;
        for (unsigned i = 0; i < 7; i++) {
            rc = el_loader_read_reg(l, c->efuse_base + 4 * i, &ef[i]);
            if (rc != EL_OK)
                return rc;
        }
        rc = el_loader_read_reg(l, ESP32_APB_CTL_DATE, &date);
        if (rc != EL_OK)
            return rc;
        /* the crystal estimate is only meaningful at the rate the ROM set up */
        if (!l->stub && baud == l->rom_baud) {
            rc = el_loader_read_reg(l, c->uart_clkdiv_reg, &clkdiv);
            if (rc != EL_OK)
                return rc;
        }
        el_esp32_describe(ef, date, clkdiv, baud, info);
        return EL_OK;
    }
    const struct other_chip *o = NULL;
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        if (others[i].id == c->id)
            o = &others[i];
    info->chip = c->id;
    /* the revision, where esptool reads it (not in secure download mode: eFuses unreadable) */
    uint32_t rbase, rextra, w[6] = {0}, xv = 0;
    size_t rn;
    if (el_chip_rev_words(c->id, c->efuse_base, &rbase, &rn, &rextra)) {
        bool ok = true;
        for (size_t i = 0; i < rn && ok; i++)
            ok = el_loader_read_reg(l, rbase + 4 * (uint32_t)i, &w[i]) == EL_OK;
        if (ok && rextra)
            ok = el_loader_read_reg(l, rextra, &xv) == EL_OK;
        if (ok) {
            el_chip_rev_decode(c->id, w, xv, &info->rev_major, &info->rev_minor);
            info->rev_known = true;
        }
        eli_clear_error(l);
    }
    for (int s = 0; s < 2; s++) {
        snprintf(info->name[s], sizeof(info->name[s]), "%s", c->display);
        if (info->rev_known)
            snprintf(info->description[s], sizeof(info->description[s]), "%s (revision v%u.%u)",
                     c->display, info->rev_major, info->rev_minor);
        else
            snprintf(info->description[s], sizeof(info->description[s]), "%s", c->display);
        snprintf(info->features[s], sizeof(info->features[s]), "%s",
                 o ? (s == EL_STYLE_V4 ? o->feat_v4 : o->feat_v5) : "");
    }
    if (c->id == EL_CHIP_ESP32S2 && info->rev_known)
        el_esp32s2_describe(w, xv, info); /* package name and features from the same words */
    if (c->mac_efuse_reg) {
        uint32_t lo, hi;
        rc = el_loader_read_reg(l, c->mac_efuse_reg, &lo);
        if (rc == EL_OK)
            rc = el_loader_read_reg(l, c->mac_efuse_reg + 4, &hi);
        if (rc != EL_OK)
            return rc;
        format_mac(info, lo, hi);
    }
    if (o && o->fixed_xtal_mhz) {
        info->crystal_mhz = o->fixed_xtal_mhz;
    } else if (c->uart_clkdiv_reg && !l->stub && baud == l->rom_baud) {
        uint32_t clkdiv;
        rc = el_loader_read_reg(l, c->uart_clkdiv_reg, &clkdiv);
        if (rc != EL_OK)
            return rc;
        crystal_estimate(info, clkdiv, baud);
    }
    if (c->has_security_info) {
        struct el_security_info si;
        if (el_loader_security_info(l, &si) == EL_OK) {
            info->secure_boot = si.flags & 1u;
            info->secure_download = si.flags & 4u;
            info->flash_encryption = popcount32(si.flash_crypt_cnt) & 1u;
        }
        eli_clear_error(l);
    }
    return EL_OK;
}
