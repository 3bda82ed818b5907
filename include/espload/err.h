/* SPDX-License-Identifier: MIT */
#ifndef ESPLOAD_ERR_H
#define ESPLOAD_ERR_H
/*
 * Error codes of the espload library. Every fallible call returns EL_OK (0) or a
 * negative EL_E_* value. Where a context object exists, a one-line detail naming the
 * cause (and, where known, the fix) is kept on it; see el_errmsg() style getters of
 * each module. The CLI maps these classes to the stable exit codes of docs/EXIT-CODES.md.
 */
#ifdef __cplusplus
extern "C" {
#endif

enum el_err {
    EL_OK = 0,
    EL_E_ARG = -1,         /* invalid argument (caller bug or bad user input) */
    EL_E_NOMEM = -2,       /* allocation failed */
    EL_E_IO = -3,          /* OS-level I/O failure */
    EL_E_TIMEOUT = -4,     /* no answer within the time allowed */
    EL_E_PROTO = -5,       /* malformed frame or unexpected response */
    EL_E_DEVICE = -6,      /* ROM or stub reported a failure status */
    EL_E_UNSUPPORTED = -7, /* chip, loader or port cannot do this */
    EL_E_VERIFY = -8,      /* MD5 or read-back mismatch */
    EL_E_FORMAT = -9,      /* bad image, ELF, table or other input file */
    EL_E_PORT = -10,       /* port cannot be opened (missing, busy, no permission) */
    EL_E_CONNECT = -11,    /* could not enter or sync with the bootloader */
    EL_E_CHIP = -12,       /* wrong or unknown chip */
    EL_E_SIZE = -13,       /* data does not fit (flash size, region) */
    EL_E_REFUSED = -14,    /* a pre-flight check refused the operation (--force overrides) */
    EL_E_INTERRUPTED = -15 /* interrupted by the user */
};

/* Short static description of an error code ("timed out", ...). Never NULL. */
const char *el_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
