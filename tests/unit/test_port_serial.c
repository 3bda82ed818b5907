/* SPDX-License-Identifier: MIT */
/* serial_posix.c on a pseudo-terminal pair, plus the dispatcher's error messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "espload/err.h"
#include "espload/port.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct pty_pair {
    int master, slave;
    char name[128];
};

static void pty_open(struct pty_pair *pp)
{
    struct termios t;

    assert_int_equal(openpty(&pp->master, &pp->slave, pp->name, NULL, NULL), 0);
    /* the slave starts cooked; the port must make it raw */
    assert_int_equal(tcgetattr(pp->slave, &t), 0);
    assert_true(t.c_lflag & ICANON);
}

static void pty_close(struct pty_pair *pp)
{
    if (pp->master >= 0)
        close(pp->master);
    if (pp->slave >= 0)
        close(pp->slave);
}

static struct el_port *open_ok(const char *name, bool no_lock)
{
    struct el_port_cfg cfg = {.baud = 115200, .no_lock = no_lock};
    struct el_port *p = NULL;
    char err[512];
    int rc = el_port_open(&p, name, &cfg, err, sizeof err);

    if (rc != EL_OK)
        fail_msg("open %s: %d %s", name, rc, err);
    assert_non_null(p);
    return p;
}

static void portser_raw_mode_and_data(void **state)
{
    struct pty_pair pp;
    struct el_port *p;
    struct termios t;
    uint8_t buf[64];
    const uint8_t all[] = {0x00, 0x03, 0x0a, 0x0d, 0x11, 0x13, 0x7f, 0xc0, 0xdb, 0xff};

    pty_open(&pp);
    p = open_ok(pp.name, false);
    assert_string_equal(el_port_kind(p), "serial");
    assert_string_equal(el_port_name(p), pp.name);
    assert_int_equal(el_port_get_baud(p), 115200);
    assert_int_equal(tcgetattr(pp.slave, &t), 0);
    assert_false(t.c_lflag & (ICANON | ECHO | ISIG));
    assert_false(t.c_iflag & (IXON | IXOFF | ICRNL));
    assert_false(t.c_oflag & OPOST);
    assert_int_equal(t.c_cflag & CSIZE, CS8);
    assert_false(t.c_cflag & (PARENB | CSTOPB | CRTSCTS));
    assert_int_equal(cfgetospeed(&t), B115200);

    /* port -> master: every byte value passes unchanged */
    assert_int_equal(el_port_write(p, all, sizeof all, 1000), EL_OK);
    assert_int_equal(el_port_drain(p), EL_OK);
    {
        size_t got = 0;
        while (got < sizeof all) {
            ssize_t n = read(pp.master, buf + got, sizeof buf - got);
            assert_true(n > 0);
            got += (size_t)n;
        }
        assert_int_equal(got, sizeof all);
        assert_memory_equal(buf, all, sizeof all);
    }
    /* master -> port: read returns as soon as bytes are there, in buffered chunks */
    assert_int_equal(write(pp.master, all, sizeof all), (ssize_t)sizeof all);
    {
        size_t got = 0;
        while (got < sizeof all) {
            int n = el_port_read(p, buf + got, 3, 1000);
            assert_true(n > 0 && n <= 3);
            got += (size_t)n;
        }
        assert_memory_equal(buf, all, sizeof all);
    }
    /* nothing there: 0 after the timeout */
    assert_int_equal(el_port_read(p, buf, sizeof buf, 20), 0);
    assert_int_equal(el_port_read(p, buf, sizeof buf, 0), 0);

    /* flush_input drops what is waiting */
    assert_int_equal(write(pp.master, "xyz", 3), 3);
    usleep(20000);
    assert_int_equal(el_port_flush_input(p), EL_OK);
    assert_int_equal(el_port_read(p, buf, sizeof buf, 20), 0);
    el_port_close(p);
    pty_close(&pp);
}

static void portser_baud(void **state)
{
    struct pty_pair pp;
    struct el_port *p;
    struct termios t;

    pty_open(&pp);
    p = open_ok(pp.name, false);
    assert_int_equal(el_port_set_baud(p, 921600), EL_OK);
    assert_int_equal(el_port_get_baud(p), 921600);
    /* the master side sees the slave's settings: that is how the simulator's pty learns the
     * host's baud rate */
    assert_int_equal(tcgetattr(pp.master, &t), 0);
    assert_int_equal(cfgetospeed(&t), B921600);
    assert_int_equal(el_port_set_baud(p, 230400), EL_OK);
    assert_int_equal(tcgetattr(pp.master, &t), 0);
    assert_int_equal(cfgetospeed(&t), B230400);
    /* a rate without a Bxxx constant goes through termios2 */
    assert_int_equal(el_port_set_baud(p, 1234567), EL_OK);
    assert_int_equal(el_port_get_baud(p), 1234567);
    assert_int_equal(el_port_set_baud(p, 0), EL_E_ARG);
    assert_int_equal(el_port_get_baud(p), 1234567);
    el_port_close(p);
    pty_close(&pp);
}

static void portser_no_lines_on_pty(void **state)
{
    struct pty_pair pp;
    struct el_port *p;
    uint16_t vid = 1, pid = 1;

    pty_open(&pp);
    p = open_ok(pp.name, false);
    assert_false(el_port_has_lines(p));
    assert_int_equal(el_port_set_lines(p, 1, 0), EL_E_UNSUPPORTED);
    assert_non_null(strstr(el_port_errmsg(p), "DTR/RTS"));
    assert_int_equal(el_port_usb_ids(p, &vid, &pid), EL_E_UNSUPPORTED);
    assert_int_equal(vid, 0);
    assert_int_equal(pid, 0);
    assert_false(el_port_is_usb_jtag(p));
    assert_null(el_port_sim_device(p));
    el_port_close(p);
    pty_close(&pp);
}

static void portser_lock(void **state)
{
    struct pty_pair pp;
    struct el_port *p, *q = (struct el_port *)1;
    struct el_port_cfg cfg = {.baud = 115200};
    char err[512], want[64];

    pty_open(&pp);
    p = open_ok(pp.name, false);
    assert_int_equal(el_port_open(&q, pp.name, &cfg, err, sizeof err), EL_E_PORT);
    assert_null(q);
    assert_non_null(strstr(err, "cannot open '"));
    assert_non_null(strstr(err, "port busy"));
    /* the holder is named: this very process */
    snprintf(want, sizeof want, "pid %ld (", (long)getpid());
    if (!strstr(err, want))
        fail_msg("holder not named: %s", err);
    el_port_close(p);
    /* released on close */
    p = open_ok(pp.name, false);
    el_port_close(p);
    pty_close(&pp);
}

static void portser_hangup(void **state)
{
    struct pty_pair pp;
    struct el_port *p;
    uint8_t buf[8];
    int rc;

    pty_open(&pp);
    p = open_ok(pp.name, false);
    close(pp.master);
    pp.master = -1;
    rc = el_port_read(p, buf, sizeof buf, 500);
    assert_int_equal(rc, EL_E_IO);
    assert_true(strlen(el_port_errmsg(p)) > 0);
    el_port_close(p);
    pty_close(&pp);
}

static void portser_errors(void **state)
{
    struct el_port *p = (struct el_port *)1;
    char err[512], path[64];
    int fd;

    assert_int_equal(el_port_open(&p, "/dev/ttyUSB_no_such_port9", NULL, err, sizeof err),
                     EL_E_PORT);
    assert_null(p);
    assert_non_null(strstr(err, "cannot open '/dev/ttyUSB_no_such_port9': no such port; check the "
                                "cable and `espload --port` name (available: "));

    assert_int_equal(el_port_open(&p, "/dev/null", NULL, err, sizeof err), EL_E_PORT);
    assert_non_null(strstr(err, "not a serial port"));

    snprintf(path, sizeof path, "/tmp/el-portser-XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(el_port_open(&p, path, NULL, err, sizeof err), EL_E_PORT);
    assert_non_null(strstr(err, "not a serial port"));
    unlink(path);

    assert_int_equal(el_port_open(&p, "", NULL, err, sizeof err), EL_E_ARG);
    assert_int_equal(el_port_open(&p, NULL, NULL, err, sizeof err), EL_E_ARG);
    assert_int_equal(el_port_open(&p, "ftp://x:1", NULL, err, sizeof err), EL_E_ARG);
    assert_non_null(strstr(err, "unknown port scheme"));
    /* a tiny error buffer is fine */
    assert_int_equal(el_port_open(&p, "/dev/nonexistent_x", NULL, err, 8), EL_E_PORT);
    assert_int_equal(strlen(err), 7);
    /* NULL ports are handled */
    el_port_close(NULL);
    assert_int_equal(el_port_read(NULL, err, 1, 0), EL_E_ARG);
    assert_false(el_port_has_lines(NULL));
    assert_string_equal(el_port_errmsg(NULL), "no port");
}

static void portser_permission(void **state)
{
    struct pty_pair pp;
    struct el_port *p = NULL;
    char err[512];
    pid_t child;
    int status;

    if (geteuid() != 0)
        skip();
    /* as an unprivileged user, a root-owned 0600 tty gives EACCES */
    pty_open(&pp);
    assert_int_equal(chmod(pp.name, 0600), 0);
    assert_int_equal(chown(pp.name, 0, 0), 0);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int rc;
        if (setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        rc = el_port_open(&p, pp.name, NULL, err, sizeof err);
        _exit(rc == EL_E_PORT && strstr(err, "permission denied") && strstr(err, "usermod -aG")
                  ? 0
                  : 1);
    }
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    pty_close(&pp);
}

static void portser_list(void **state)
{
    char **names = (char **)1;
    size_t n = 99;

    assert_int_equal(el_port_list(&names, &n), EL_OK);
    assert_non_null(names);
    for (size_t i = 0; i < n; i++)
        assert_non_null(names[i]);
    assert_null(names[n]);
    el_port_list_free(names);
    el_port_list_free(NULL);
    assert_int_equal(el_port_list(NULL, &n), EL_E_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(portser_raw_mode_and_data),
        cmocka_unit_test(portser_baud),
        cmocka_unit_test(portser_no_lines_on_pty),
        cmocka_unit_test(portser_lock),
        cmocka_unit_test(portser_hangup),
        cmocka_unit_test(portser_errors),
        cmocka_unit_test(portser_permission),
        cmocka_unit_test(portser_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
