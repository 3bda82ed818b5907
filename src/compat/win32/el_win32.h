/* SPDX-License-Identifier: MIT */
#ifndef EL_COMPAT_EL_WIN32_H
#define EL_COMPAT_EL_WIN32_H
/*
 * Forced into every Windows (MinGW-w64, msvcrt) compilation unit by CMakeLists.txt: the few
 * C library functions espload uses that msvcrt lacks (memmem, strcasestr, timespec_get).
 * Nothing here is compiled on other systems.
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#ifndef _UCRT
#ifndef TIME_UTC
#define TIME_UTC 1
#endif
/* msvcrt has no timespec_get: wall-clock time from GetSystemTimeAsFileTime (100 ns units since
 * 1601), declared here to keep <windows.h> out of every file */
struct _FILETIME;
__declspec(dllimport) void __stdcall GetSystemTimeAsFileTime(struct _FILETIME *ft);
static inline int timespec_get(struct timespec *ts, int base)
{
    unsigned long ft[2]; /* dwLowDateTime, dwHighDateTime (32-bit longs on Windows) */
    unsigned long long t;

    if (base != TIME_UTC)
        return 0;
    GetSystemTimeAsFileTime((struct _FILETIME *)ft);
    t = ((unsigned long long)ft[1] << 32) | ft[0];
    t -= 116444736000000000ULL; /* 1601 -> 1970 */
    ts->tv_sec = (time_t)(t / 10000000ULL);
    ts->tv_nsec = (long)(t % 10000000ULL) * 100;
    return base;
}
#endif

static inline void *el_win32_memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
    const unsigned char *h = hay;

    if (nlen == 0)
        return (void *)hay;
    for (size_t i = 0; nlen <= hlen && i <= hlen - nlen; i++)
        if (h[i] == *(const unsigned char *)needle && memcmp(h + i, needle, nlen) == 0)
            return (void *)(h + i);
    return NULL;
}
#define memmem el_win32_memmem

static inline char *el_win32_strcasestr(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++) {
        size_t i = 0;
        while (i < n && hay[i] &&
               tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n)
            return (char *)hay;
    }
    return n == 0 ? (char *)hay : NULL;
}
#define strcasestr el_win32_strcasestr

#endif
