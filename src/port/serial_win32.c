/* SPDX-License-Identifier: MIT */
/*
 * Serial ports on Windows: `COM39` or `\\.\COM39`. CreateFile opens the port exclusively (a
 * second opener gets "access denied", reported as busy). Raw 8N1 without flow control through
 * the DCB; COMMTIMEOUTS give the read semantics of the port API (return as soon as one byte is
 * there, else after the timeout); EscapeCommFunction drives DTR/RTS; PurgeComm drops input.
 * The USB VID:PID of a port comes from SetupAPI.
 */
#include <windows.h>

#include <initguid.h>

#include <devguid.h>
#include <setupapi.h>

#include "port_int.h"
#include "port_os.h"

#include "espload/err.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SER_BUF 4096

struct win_port {
    HANDLE h;
    bool has_lines; /* false where the driver cannot read modem status (Wine on a pty) */
    char com[32];   /* "COM39" */
    DWORD rd_timeout, wr_timeout; /* what COMMTIMEOUTS currently say; MAXDWORD = unknown */
    size_t rpos, rlen;
    uint8_t buf[SER_BUF];
};

static struct win_port *wp(const struct el_port *p)
{
    return p->impl;
}

static const char *win_text(DWORD code, char *buf, size_t len)
{
    DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
                             0, buf, (DWORD)len, NULL);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == '.'))
        buf[--n] = '\0';
    if (!n)
        snprintf(buf, len, "error %lu", (unsigned long)code);
    return buf;
}

static int fail_last(struct el_port *p, int code, const char *what)
{
    char msg[160];

    return eli_port_fail(p, code, "%s: %s", what, win_text(GetLastError(), msg, sizeof msg));
}

/* "COM3", "com3", "\\.\COM3" -> device path and the bare COM name */
static int parse_name(struct el_port *p, const char *target, char *path, size_t pathlen, char *com,
                      size_t comlen)
{
    const char *bare = target;

    if (strncmp(target, "\\\\.\\", 4) == 0)
        bare = target + 4;
    if (strlen(bare) + 5 > pathlen || strlen(bare) >= comlen || !*bare)
        return eli_port_fail(p, EL_E_ARG, "'%s' is not a port name; write e.g. COM3", target);
    snprintf(path, pathlen, "\\\\.\\%s", bare);
    snprintf(com, comlen, "%s", bare);
    for (char *c = com; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    return EL_OK;
}

static int set_timeouts(struct el_port *p, DWORD rd_ms, DWORD wr_ms)
{
    struct win_port *w = wp(p);
    COMMTIMEOUTS t = {0};

    if (w->rd_timeout == rd_ms && w->wr_timeout == wr_ms)
        return EL_OK;
    if (rd_ms == 0) {
        t.ReadIntervalTimeout = MAXDWORD; /* return at once with what is there */
    } else {
        /* wait up to rd_ms for the bytes asked for (reads ask for one byte when the queue is
         * empty). The documented "MAXDWORD/MAXDWORD/N: return on the first byte" mode is not
         * used: Wine waits the whole N ms with it. */
        t.ReadTotalTimeoutConstant = rd_ms;
    }
    t.WriteTotalTimeoutConstant = wr_ms ? wr_ms : 1;
    if (!SetCommTimeouts(w->h, &t))
        return fail_last(p, EL_E_IO, "cannot set port timeouts");
    w->rd_timeout = rd_ms;
    w->wr_timeout = wr_ms;
    return EL_OK;
}

static int apply_dcb(struct el_port *p, unsigned baud, bool initial)
{
    struct win_port *w = wp(p);
    DCB dcb = {.DCBlength = sizeof dcb};

    if (!GetCommState(w->h, &dcb))
        return fail_last(p, initial ? EL_E_PORT : EL_E_IO, "cannot read the port settings");
    dcb.BaudRate = baud;
    if (initial) {
        dcb.ByteSize = 8;
        dcb.Parity = NOPARITY;
        dcb.StopBits = ONESTOPBIT;
        dcb.fBinary = TRUE;
        dcb.fParity = FALSE;
        dcb.fOutxCtsFlow = FALSE;
        dcb.fOutxDsrFlow = FALSE;
        dcb.fDsrSensitivity = FALSE;
        dcb.fOutX = FALSE;
        dcb.fInX = FALSE;
        dcb.fErrorChar = FALSE;
        dcb.fNull = FALSE;
        dcb.fAbortOnError = FALSE;
        /* both lines asserted, as a POSIX open leaves them: no reset on the usual circuit */
        dcb.fDtrControl = DTR_CONTROL_ENABLE;
        dcb.fRtsControl = RTS_CONTROL_ENABLE;
    }
    if (!SetCommState(w->h, &dcb))
        return fail_last(p, EL_E_UNSUPPORTED,
                         initial ? "cannot configure the port" : "the driver refuses this baud");
    return EL_OK;
}

static int win_open(struct el_port *p, const char *target, const struct el_port_cfg *cfg)
{
    char path[64], avail[512], msg[160];
    struct win_port *w;
    HANDLE h;
    int rc;

    w = calloc(1, sizeof *w);
    if (!w)
        return eli_port_fail(p, EL_E_NOMEM, "out of memory");
    rc = parse_name(p, target, path, sizeof path, w->com, sizeof w->com);
    if (rc) {
        free(w);
        return rc;
    }
    /* share mode 0: Windows serial ports are exclusive, which is the lock */
    h = CreateFileA(path, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING,
                    FILE_ATTRIBUTE_NORMAL, NULL);
    if (h == INVALID_HANDLE_VALUE) {
        DWORD e = GetLastError();
        free(w);
        if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) {
            eli_port_list_text(avail, sizeof avail);
            return eli_port_fail(p, EL_E_PORT,
                                 "no such port; check the cable and `espload --port` name "
                                 "(available: %s)",
                                 avail);
        }
        if (e == ERROR_ACCESS_DENIED || e == ERROR_SHARING_VIOLATION)
            return eli_port_fail(p, EL_E_PORT,
                                 "port busy (access denied): another program has it open; "
                                 "close it (serial monitor, another espload, an IDE) and retry");
        return eli_port_fail(p, EL_E_PORT, "%s", win_text(e, msg, sizeof msg));
    }
    w->h = h;
    w->rd_timeout = w->wr_timeout = MAXDWORD - 1;
    p->impl = w;
    rc = apply_dcb(p, cfg->baud, true);
    if (!rc)
        rc = set_timeouts(p, 0, 1000);
    if (!rc && !PurgeComm(h, PURGE_RXCLEAR | PURGE_RXABORT | PURGE_TXCLEAR | PURGE_TXABORT))
        rc = fail_last(p, EL_E_IO, "cannot clear the port buffers");
    if (!rc) {
        DWORD st;
        w->has_lines = GetCommModemStatus(h, &st) != 0;
    }
    if (rc) {
        CloseHandle(h);
        free(w);
        p->impl = NULL;
        if (rc == EL_E_UNSUPPORTED)
            rc = EL_E_PORT;
    }
    return rc;
}

static void win_close(struct el_port *p)
{
    struct win_port *w = wp(p);

    if (!w)
        return;
    CloseHandle(w->h);
    free(w);
    p->impl = NULL;
}

/* Bytes waiting in the driver's input queue; -1 if the driver cannot tell. */
static long queued(HANDLE h)
{
    COMSTAT cs;
    DWORD errs;

    if (!ClearCommError(h, &errs, &cs))
        return -1;
    return (long)cs.cbInQue;
}

static int win_read(struct el_port *p, void *buf, size_t len, unsigned timeout_ms)
{
    struct win_port *w = wp(p);

    if (w->rpos == w->rlen) {
        DWORD got = 0, more = 0;
        long q = queued(w->h);
        int rc;

        if (q <= 0) {
            /* nothing queued: wait for one byte (returns as soon as it is there) */
            rc = set_timeouts(p, timeout_ms >= MAXDWORD - 1 ? MAXDWORD - 2 : timeout_ms,
                              w->wr_timeout);
            if (rc)
                return rc;
            if (!ReadFile(w->h, w->buf, 1, &got, NULL))
                return fail_last(p, EL_E_IO, "serial read failed (device unplugged?)");
            if (got == 0)
                return 0;
            q = queued(w->h);
        }
        if (q > 0) {
            /* take what is queued without waiting */
            DWORD want = (DWORD)q < SER_BUF - got ? (DWORD)q : SER_BUF - got;
            rc = set_timeouts(p, 0, w->wr_timeout);
            if (rc)
                return rc;
            if (!ReadFile(w->h, w->buf + got, want, &more, NULL))
                return fail_last(p, EL_E_IO, "serial read failed (device unplugged?)");
        }
        if (got + more == 0)
            return 0;
        w->rpos = 0;
        w->rlen = got + more;
    }
    if (len > w->rlen - w->rpos)
        len = w->rlen - w->rpos;
    memcpy(buf, w->buf + w->rpos, len);
    w->rpos += len;
    return (int)len;
}

static int win_write(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms)
{
    struct win_port *w = wp(p);
    const uint8_t *b = buf;
    int rc = set_timeouts(p, w->rd_timeout, timeout_ms >= MAXDWORD - 1 ? MAXDWORD - 2 : timeout_ms);

    if (rc)
        return rc;
    while (len) {
        DWORD chunk = len > 0x10000 ? 0x10000 : (DWORD)len, put = 0;
        if (!WriteFile(w->h, b, chunk, &put, NULL))
            return fail_last(p, EL_E_IO, "serial write failed (device unplugged?)");
        if (put == 0)
            return eli_port_fail(p, EL_E_TIMEOUT,
                                 "serial write stalled for %u ms; is the device gone?", timeout_ms);
        b += put;
        len -= put;
    }
    return EL_OK;
}

static int win_flush_input(struct el_port *p)
{
    struct win_port *w = wp(p);

    w->rpos = w->rlen = 0;
    if (!PurgeComm(w->h, PURGE_RXCLEAR | PURGE_RXABORT))
        return fail_last(p, EL_E_IO, "cannot flush input");
    return EL_OK;
}

static int win_drain(struct el_port *p)
{
    if (!FlushFileBuffers(wp(p)->h))
        return fail_last(p, EL_E_IO, "cannot drain output");
    return EL_OK;
}

static int win_set_baud(struct el_port *p, unsigned baud)
{
    return apply_dcb(p, baud, false);
}

static int win_set_lines(struct el_port *p, int dtr, int rts)
{
    struct win_port *w = wp(p);

    if (!w->has_lines)
        return eli_port_fail(p, EL_E_UNSUPPORTED,
                             "this port has no DTR/RTS lines (the driver cannot report modem "
                             "status); reset the chip by hand");
    if (dtr >= 0 && !EscapeCommFunction(w->h, dtr ? SETDTR : CLRDTR))
        return fail_last(p, EL_E_IO, "cannot set DTR");
    if (rts >= 0 && !EscapeCommFunction(w->h, rts ? SETRTS : CLRRTS))
        return fail_last(p, EL_E_IO, "cannot set RTS");
    return EL_OK;
}

/* Parses "USB\VID_303A&PID_1001&..." */
static bool parse_hwid(const char *id, uint16_t *vid, uint16_t *pid)
{
    const char *v = strstr(id, "VID_"), *d = strstr(id, "PID_");

    if (!v || !d)
        return false;
    *vid = (uint16_t)strtoul(v + 4, NULL, 16);
    *pid = (uint16_t)strtoul(d + 4, NULL, 16);
    return true;
}

static int win_usb_ids(const struct el_port *p, uint16_t *vid, uint16_t *pid)
{
    HDEVINFO set = SetupDiGetClassDevsA(&GUID_DEVCLASS_PORTS, NULL, NULL, DIGCF_PRESENT);
    SP_DEVINFO_DATA dev = {.cbSize = sizeof dev};
    int rc = EL_E_UNSUPPORTED;

    if (set == INVALID_HANDLE_VALUE)
        return EL_E_UNSUPPORTED;
    for (DWORD i = 0; rc != EL_OK && SetupDiEnumDeviceInfo(set, i, &dev); i++) {
        char name[64] = "", ids[512] = "";
        DWORD type, size = sizeof name - 1;
        HKEY key = SetupDiOpenDevRegKey(set, &dev, DICS_FLAG_GLOBAL, 0, DIREG_DEV, KEY_READ);
        if (key == INVALID_HANDLE_VALUE)
            continue;
        if (RegQueryValueExA(key, "PortName", NULL, &type, (LPBYTE)name, &size) != ERROR_SUCCESS)
            name[0] = '\0';
        RegCloseKey(key);
        if (_stricmp(name, wp(p)->com) != 0)
            continue;
        if (SetupDiGetDeviceRegistryPropertyA(set, &dev, SPDRP_HARDWAREID, NULL, (PBYTE)ids,
                                              sizeof ids - 2, NULL) &&
            parse_hwid(ids, vid, pid))
            rc = EL_OK;
        else
            break;
    }
    SetupDiDestroyDeviceInfoList(set);
    return rc;
}

const struct eli_port_ops eli_serial_ops = {
    .kind = "serial",
    .open = win_open,
    .close = win_close,
    .read = win_read,
    .write = win_write,
    .flush_input = win_flush_input,
    .drain = win_drain,
    .set_baud = win_set_baud,
    .set_lines = win_set_lines,
    .usb_ids = win_usb_ids,
};
