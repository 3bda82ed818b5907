/* SPDX-License-Identifier: MIT */
/* Monotonic time and real sleeps on Windows. */
#include "port_os.h"

#include <windows.h>

uint64_t eli_port_now_ms(void)
{
    return (uint64_t)GetTickCount64();
}

void eli_port_real_sleep_ms(unsigned ms)
{
    Sleep(ms);
}
