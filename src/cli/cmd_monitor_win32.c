/* SPDX-License-Identifier: MIT */
/*
 * The monitor's console on Windows: raw console input (no line input, no echo, no Ctrl-C
 * processing so it reaches the device) through the console API, restored at exit and on
 * console close events. Piped stdin is read with PeekNamedPipe so it never blocks.
 */
#include <windows.h>

#include <stdlib.h>

#include "cli/cmd_monitor.h"

static HANDLE h_in;
static DWORD saved_mode;
static volatile LONG mode_saved;
static volatile LONG stop_requested;
static bool is_console;
static bool handlers_installed;

static void restore_now(void)
{
    if (InterlockedExchange(&mode_saved, 0))
        SetConsoleMode(h_in, saved_mode);
}

void mon_console_restore(void)
{
    restore_now();
}

static BOOL WINAPI on_ctrl(DWORD type)
{
    (void)type;
    restore_now();
    InterlockedExchange(&stop_requested, 1);
    return TRUE;
}

int mon_console_init(bool *interactive)
{
    *interactive = false;
    InterlockedExchange(&stop_requested, 0);
    h_in = GetStdHandle(STD_INPUT_HANDLE);
    if (!handlers_installed) {
        SetConsoleCtrlHandler(on_ctrl, TRUE);
        atexit(restore_now);
        handlers_installed = true;
    }
    DWORD mode;
    is_console = h_in != INVALID_HANDLE_VALUE && GetConsoleMode(h_in, &mode);
    if (!is_console)
        return 0;
    saved_mode = mode;
    InterlockedExchange(&mode_saved, 1);
    DWORD raw = mode & ~(DWORD)(ENABLE_LINE_INPUT | ENABLE_ECHO_INPUT | ENABLE_PROCESSED_INPUT);
    if (!SetConsoleMode(h_in, raw)) {
        InterlockedExchange(&mode_saved, 0);
        return -1;
    }
    *interactive = true;
    return 0;
}

int mon_console_read(unsigned char *buf, size_t cap, unsigned wait_ms)
{
    if (is_console) {
        if (WaitForSingleObject(h_in, wait_ms) != WAIT_OBJECT_0)
            return 0;
        size_t n = 0;
        while (n < cap) {
            DWORD avail = 0;
            if (!GetNumberOfConsoleInputEvents(h_in, &avail) || avail == 0)
                break;
            INPUT_RECORD rec;
            DWORD got = 0;
            if (!ReadConsoleInputA(h_in, &rec, 1, &got) || got == 0)
                break;
            if (rec.EventType == KEY_EVENT && rec.Event.KeyEvent.bKeyDown &&
                rec.Event.KeyEvent.uChar.AsciiChar)
                buf[n++] = (unsigned char)rec.Event.KeyEvent.uChar.AsciiChar;
        }
        return (int)n;
    }
    DWORD avail = 0;
    if (!PeekNamedPipe(h_in, NULL, 0, NULL, &avail, NULL)) {
        /* a file: read it directly */
        DWORD got = 0;
        if (!ReadFile(h_in, buf, (DWORD)cap, &got, NULL) || got == 0)
            return -1;
        return (int)got;
    }
    if (avail == 0) {
        Sleep(wait_ms);
        return 0;
    }
    DWORD got = 0;
    if (!ReadFile(h_in, buf, avail < cap ? avail : (DWORD)cap, &got, NULL))
        return -1;
    return (int)got;
}

bool mon_console_interrupted(void)
{
    return stop_requested != 0;
}

bool mon_stdin_is_tty(void)
{
    DWORD mode;
    HANDLE h = GetStdHandle(STD_INPUT_HANDLE);
    return h != INVALID_HANDLE_VALUE && GetConsoleMode(h, &mode);
}

void mon_wallclock(long long *sec, int *ms)
{
    FILETIME ft;
    GetSystemTimeAsFileTime(&ft);
    unsigned long long t = ((unsigned long long)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
    t /= 10000; /* ms since 1601 */
    t -= 11644473600000ULL;
    *sec = (long long)(t / 1000);
    *ms = (int)(t % 1000);
}
