/* SPDX-License-Identifier: MIT */
/* Library error classes to the stable exit codes of docs/EXIT-CODES.md. */
#include "cli/cli.h"
#include "espload/err.h"

int cli_exit_from_err(int err)
{
    switch (err) {
    case EL_OK:
        return EXIT_OK;
    case EL_E_ARG:
        return EXIT_USAGE;
    case EL_E_FORMAT:
        return EXIT_INPUT;
    case EL_E_PORT:
        return EXIT_PORT;
    case EL_E_CONNECT:
        return EXIT_CONNECT;
    case EL_E_CHIP:
        return EXIT_CHIP;
    case EL_E_IO:
    case EL_E_TIMEOUT:
    case EL_E_PROTO:
    case EL_E_DEVICE:
        return EXIT_DEVICE;
    case EL_E_VERIFY:
        return EXIT_VERIFY;
    case EL_E_REFUSED:
        return EXIT_REFUSED;
    case EL_E_UNSUPPORTED:
        return EXIT_UNSUPPORTED;
    case EL_E_SIZE:
        return EXIT_SIZE;
    case EL_E_INTERRUPTED:
        return EXIT_INTERRUPTED;
    case EL_E_NOMEM:
    default:
        return EXIT_FAILURE_OTHER;
    }
}
