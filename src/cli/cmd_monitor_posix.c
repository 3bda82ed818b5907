/* SPDX-License-Identifier: MIT */
/*
 * The monitor's console on POSIX: raw mode with termios (no echo, no line editing, no
 * signals from keys, so Ctrl-C and Ctrl-D reach the device), restored on every exit path:
 * normal return, exit() (atexit), and SIGINT/SIGTERM/SIGHUP/SIGQUIT (the handler restores
 * the terminal with async-signal-safe calls and re-raises or flags the stop).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_monitor.h"

/* Process-wide terminal state: the CLI owns the terminal (the library never touches it). */
static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;
static volatile sig_atomic_t stop_requested;
static bool handlers_installed;
static struct sigaction old_int, old_term, old_hup, old_quit;

static void restore_now(void)
{
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
        tio_saved = 0;
    }
}

void mon_console_restore(void)
{
    restore_now();
}

static void on_signal(int sig)
{
    restore_now(); /* tcsetattr is async-signal-safe */
    stop_requested = 1;
    if (sig == SIGQUIT) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

static void install_handlers(void)
{
    if (handlers_installed)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);
    sigaction(SIGQUIT, &sa, &old_quit);
    atexit(restore_now);
    handlers_installed = true;
}

int mon_console_init(bool *interactive)
{
    *interactive = false;
    stop_requested = 0;
    install_handlers();
    if (!isatty(STDIN_FILENO))
        return 0;
    struct termios t;
    if (tcgetattr(STDIN_FILENO, &t) != 0)
        return -1;
    saved_tio = t;
    tio_saved = 1;
    t.c_iflag &= (tcflag_t) ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= (tcflag_t) ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t.c_cflag &= (tcflag_t) ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    /* keep OPOST: our own "\n" still becomes "\r\n" on the screen */
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t) != 0) {
        tio_saved = 0;
        return -1;
    }
    *interactive = true;
    return 0;
}

int mon_console_read(unsigned char *buf, size_t cap, unsigned wait_ms)
{
    struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
    int r = poll(&pfd, 1, (int)wait_ms);
    if (r <= 0)
        return 0;
    if (pfd.revents & (POLLIN | POLLHUP)) {
        ssize_t n = read(STDIN_FILENO, buf, cap);
        if (n > 0)
            return (int)n;
        if (n == 0)
            return -1;
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    }
    if (pfd.revents & (POLLERR | POLLNVAL))
        return -1;
    return 0;
}

bool mon_console_interrupted(void)
{
    return stop_requested != 0;
}

bool mon_stdin_is_tty(void)
{
    return isatty(STDIN_FILENO) != 0;
}

void mon_wallclock(long long *sec, int *ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *sec = (long long)ts.tv_sec;
    *ms = (int)(ts.tv_nsec / 1000000);
}
