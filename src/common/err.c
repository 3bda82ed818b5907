/* SPDX-License-Identifier: MIT */
#include "espload/err.h"

const char *el_strerror(int err)
{
    switch (err) {
    case EL_OK:
        return "success";
    case EL_E_ARG:
        return "invalid argument";
    case EL_E_NOMEM:
        return "out of memory";
    case EL_E_IO:
        return "input/output error";
    case EL_E_TIMEOUT:
        return "timed out";
    case EL_E_PROTO:
        return "protocol error";
    case EL_E_DEVICE:
        return "device reported an error";
    case EL_E_UNSUPPORTED:
        return "not supported";
    case EL_E_VERIFY:
        return "verification failed";
    case EL_E_FORMAT:
        return "bad input format";
    case EL_E_PORT:
        return "cannot open port";
    case EL_E_CONNECT:
        return "cannot connect to the bootloader";
    case EL_E_CHIP:
        return "wrong or unknown chip";
    case EL_E_SIZE:
        return "does not fit";
    case EL_E_REFUSED:
        return "refused by a pre-flight check";
    case EL_E_INTERRUPTED:
        return "interrupted";
    default:
        return "unknown error";
    }
}
