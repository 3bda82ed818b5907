/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_DOCTOR_H
#define ESPLOAD_DOCTOR_H
/*
 * The boot-log doctor: reads what an Espressif chip prints after a reset (ROM banner,
 * 2nd-stage bootloader, ESP-IDF log lines, panics, MicroPython) and says what happened,
 * why, and what to do. Pure: bytes in, findings out; no I/O, no printing.
 *
 * Input is streamed: el_doctor_feed() takes any chunk of raw serial bytes (ANSI colour
 * codes, CRLF or lone CR, binary noise, quoting prefixes are all handled) and keeps only
 * bounded state: a line buffer capped at EL_DOC_LINE_MAX bytes (longer lines are cut) and
 * one aggregated finding per code, so a log of any length runs in constant memory.
 *
 * Finding codes are stable (docs/DOCTOR.md); el_doc_code_name() gives the spelling used in
 * --json output. A doctor object is not thread-safe; one owner at a time.
 *
 * The symbolizer (el_sym_*) maps code addresses from a panic to function and file:line
 * using an ELF file with DWARF debug info (elfutils libdw); it is available when the
 * library was built with libdw (el_sym_available()).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EL_DOC_LINE_MAX 512 /* bytes of one log line kept; the rest is dropped */
#define EL_DOC_BT_MAX   32  /* backtrace frames kept from one panic */

/* Stable finding codes. Never renumber: append only. */
enum el_doc_code {
    EL_DOC_DOWNLOAD_MODE = 0, /* strapping pins held the chip in download mode */
    EL_DOC_NO_BOOTLOADER,     /* erased flash at the boot offset (invalid header: 0xffffffff) */
    EL_DOC_NOT_AN_IMAGE,      /* something other than an image at the boot offset */
    EL_DOC_WRONG_CHIP_IMAGE,  /* image built for another chip (Invalid chip id) */
    EL_DOC_FLASH_READ_ERROR,  /* ROM cannot read the flash (flash read err, 1000) */
    EL_DOC_CHECKSUM_ERROR,    /* image checksum or hash mismatch (csum err) */
    EL_DOC_FLASH_SIZE_MISMATCH,
    EL_DOC_FLASH_MODE,       /* QIO/DIO problems */
    EL_DOC_PSRAM_MISSING,    /* firmware needs PSRAM that is not there */
    EL_DOC_BROWNOUT,         /* supply voltage dropped */
    EL_DOC_POWER_RESET_LOOP, /* resets with no message: supply or cable */
    EL_DOC_PANIC,            /* Guru Meditation, abort(), assert */
    EL_DOC_WATCHDOG,         /* task, interrupt or RTC watchdog */
    EL_DOC_PARTITION_TABLE,  /* invalid or missing partition table, otadata problems */
    EL_DOC_NO_APP,           /* no bootable app partition or app at the wrong offset */
    EL_DOC_SECURE_BOOT,
    EL_DOC_FLASH_ENCRYPTION,
    EL_DOC_MICROPYTHON_REPL, /* MicroPython is up (healthy) */
    EL_DOC_BOOT_OK,          /* the app started normally (healthy) */
    EL_DOC_BOOT_LOOP,        /* the same failure repeating */
    EL_DOC_UNKNOWN,          /* output that cannot be placed */
    EL_DOC_CODE_COUNT
};

enum el_doc_severity {
    EL_DOC_SEV_OK = 0,   /* healthy state */
    EL_DOC_SEV_INFO = 1, /* worth knowing, not a fault (or a consequence of another one) */
    EL_DOC_SEV_WARN = 2, /* something is off but the board still runs */
    EL_DOC_SEV_ERROR = 3 /* the board does not work */
};

struct el_doc_finding {
    enum el_doc_code code;
    enum el_doc_severity severity;
    char what[200];     /* what happened, one line */
    char why[320];      /* the likely cause(s) */
    char fix[320];      /* what to do */
    char evidence[160]; /* the first log line that showed it (cleaned) */
    uint64_t line_no;   /* 1-based line of the evidence (0: derived, no single line) */
    uint64_t count;     /* how many times it was seen */
    uint64_t boot;      /* 1-based boot (reset) in which it was last seen; 0 before any */
};

enum el_doc_arch { EL_DOC_ARCH_UNKNOWN = 0, EL_DOC_ARCH_XTENSA, EL_DOC_ARCH_RISCV };

/* The last panic seen, as parsed from the register dump and backtrace. */
struct el_doc_panic {
    bool seen;
    enum el_doc_arch arch;
    int core;        /* -1 unknown */
    char reason[64]; /* "LoadProhibited", "Load access fault", "abort()", ... */
    bool have_pc, have_cause, have_vaddr;
    uint32_t pc;                /* PC (Xtensa) or MEPC (RISC-V); abort(): the PC printed */
    uint32_t cause;             /* EXCCAUSE or MCAUSE */
    uint32_t vaddr;             /* EXCVADDR or MTVAL */
    uint32_t ra;                /* RISC-V RA (0 when unknown) */
    uint32_t bt[EL_DOC_BT_MAX]; /* backtrace PCs */
    size_t n_bt;
    bool bt_corrupted; /* the backtrace ended in |<-CORRUPTED or was cut */
};

/* What the log says about the board, aggregated. */
struct el_doc_info {
    uint64_t bytes, lines, noise_bytes; /* noise: bytes dropped as non-text */
    uint64_t boots;                     /* resets seen (ROM banners / rst: lines) */
    char rom[48];                       /* "ets Jun  8 2016 00:22:57", "ESP-ROM:esp32s3-20210327" */
    char chip[16]; /* chip name when the ROM or log names it ("esp32s3"), or "" */
    bool have_reset;
    unsigned reset_code; /* last rst:0xNN */
    char reset_name[40]; /* as printed: "SW_CPU_RESET" */
    bool have_boot_mode;
    unsigned boot_mode;      /* last boot:0xNN strapping value */
    char boot_mode_name[56]; /* as printed: "SPI_FAST_FLASH_BOOT" */
    bool entered_bootloader; /* ROM printed entry 0x... in the last boot */
    uint32_t entry;          /* the entry address */
    char flash_mode[8];      /* from the ROM's mode: line ("DIO") */
    char idf_version[48];    /* "v5.1.2" from the 2nd-stage bootloader or app */
    char elf_sha256[72];     /* hex prefix as printed by ESP-IDF ("" if not seen) */
    char mp_version[48];     /* MicroPython "v1.9.4-227-gab02abe9" */
    char mp_date[16];        /* "2018-06-30" */
    char mp_board[96];       /* "ESP32 module with ESP32" */
    bool prompt_seen;        /* MicroPython >>> seen in the last boot */
    bool app_started;        /* the app reached its main task in the last boot */
};

struct el_doctor;

/* Optional facts espload knows from a live connection; NULL/0 fields are unknown. */
struct el_doctor_cfg {
    const char *chip;     /* "esp32", ... (from chip detection) */
    int has_psram;        /* 1 yes, 0 no, -1 unknown */
    int flash_encryption; /* 1 enabled in eFuse, 0 not, -1 unknown */
    int secure_boot;      /* 1 enabled in eFuse, 0 not, -1 unknown */
};

/* Creates a doctor. cfg may be NULL. Returns EL_OK or EL_E_NOMEM / EL_E_ARG. */
int el_doctor_new(struct el_doctor **out, const struct el_doctor_cfg *cfg);
void el_doctor_free(struct el_doctor *d);

/* Feeds raw serial bytes (any chunking). Never fails; garbage is counted as noise. */
void el_doctor_feed(struct el_doctor *d, const void *buf, size_t len);
/* Ends the input: a pending unterminated line is processed and derived findings (boot
 * loop, power loop, healthy state, unknown) are computed. Feeding after finish is allowed;
 * finish again to refresh. */
void el_doctor_finish(struct el_doctor *d);

/* Findings ordered most important first (primary verdict at index 0). The array stays
 * valid until the next feed/finish/free. Returns the count. */
size_t el_doctor_findings(const struct el_doctor *d, const struct el_doc_finding **out);
/* True when the last boot is healthy (boot-ok or micropython-repl, no error after it). */
bool el_doctor_healthy(const struct el_doctor *d);
const struct el_doc_info *el_doctor_info(const struct el_doctor *d);
const struct el_doc_panic *el_doctor_panic(const struct el_doctor *d);
/* One line for humans: "<code>: <what>; <fix>" of the primary finding. */
const char *el_doctor_verdict(const struct el_doctor *d);
/* Boot settle hint for live monitors: true once a MicroPython prompt, a fatal ROM stop or
 * an app start was seen in the current boot (the monitor may still wait for quiet). */
bool el_doctor_settled(const struct el_doctor *d);
/* A finding as recorded so far, before finish() derives and orders the verdict (for live
 * monitors that announce findings as they appear); NULL if the code was not seen yet. */
const struct el_doc_finding *el_doctor_seen(const struct el_doctor *d, enum el_doc_code code);
/* Number of complete lines processed so far (cheap progress / activity indicator). */
uint64_t el_doctor_lines(const struct el_doctor *d);

/* ---- decoders (pure, usable on their own) ---- */
/* "psram-missing" etc.; "unknown" for out-of-range values. */
const char *el_doc_code_name(enum el_doc_code code);
/* Parses a code name; returns EL_DOC_CODE_COUNT if unknown. */
enum el_doc_code el_doc_code_from_name(const char *name);
const char *el_doc_severity_name(enum el_doc_severity sev);
/* Reset reason as the ROM numbers it (rst:0xNN). chip NULL or "" = ESP32 naming. Returns
 * a short description ("software reset of the CPU"), never NULL. Sets the flags watchdog,
 * brownout and power_on (each may be NULL). */
const char *el_doc_reset_reason(const char *chip, unsigned code, bool *watchdog, bool *brownout,
                                bool *power_on);
/* Strapping value (boot:0xNN). Returns true when it selects download mode. desc receives a
 * description naming the pin levels, e.g. "GPIO0 high: normal boot from SPI flash". */
bool el_doc_boot_mode(const char *chip, unsigned value, char *desc, size_t desclen);
/* Exception cause names: Xtensa EXCCAUSE ("LoadProhibited") and RISC-V MCAUSE
 * ("Load access fault"); "unknown" outside the tables. */
const char *el_doc_xtensa_cause(unsigned cause);
const char *el_doc_riscv_cause(unsigned cause);
/* Explains an exception cause for humans ("read from an invalid address (often a NULL
 * pointer)"); never NULL. */
const char *el_doc_cause_hint(enum el_doc_arch arch, unsigned cause);

/* ---- symbolizer ---- */
struct el_sym;
struct el_sym_loc {
    char function[128]; /* "" when unknown */
    char file[192];     /* source file, "" when unknown */
    int line;           /* 0 when unknown */
    uint32_t offset;    /* addr - function start */
};
/* True when built with libdw. */
bool el_sym_available(void);
/* Opens an ELF; err receives "cannot read 'f': <cause>; <fix>". EL_E_UNSUPPORTED without
 * libdw, EL_E_FORMAT for a non-ELF file, EL_E_IO when unreadable. */
int el_sym_open(struct el_sym **out, const char *elf_path, char *err, size_t errlen);
void el_sym_close(struct el_sym *s);
/* Looks up one address. Returns EL_OK (at least the function is known) or EL_E_ARG (address
 * not in the ELF). */
int el_sym_lookup(struct el_sym *s, uint64_t addr, struct el_sym_loc *out);
/* SHA-256 of the ELF file as lowercase hex (65 bytes incl. NUL). */
const char *el_sym_sha256(const struct el_sym *s);
/* Compares the ELF's SHA-256 with the prefix the device printed (case-insensitive, "..."
 * and spaces ignored). True on match or when prefix is empty. */
bool el_sym_sha256_matches(const struct el_sym *s, const char *printed_prefix);

/* ---- report ---- */
enum el_doc_format { EL_DOC_TEXT = 0, EL_DOC_JSON = 1 };
/* Renders the verdict and findings (plus panic details, symbolized when sym is non-NULL)
 * into a newly allocated NUL-terminated string the caller frees; NULL on NOMEM. */
char *el_doctor_report(const struct el_doctor *d, enum el_doc_format fmt, struct el_sym *sym);

#ifdef __cplusplus
}
#endif
#endif
