/* SPDX-License-Identifier: MIT */
/* The espload command table and global options (src/cli/main.c): sorting, v4 and v5
 * spellings, global options, environment defaults, and usage errors. The commands are
 * replaced by recorders so nothing talks to a device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#define EL_CLI_NO_MAIN 1
#include "cli/cli_exit.c"
#include "cli/cli_opts.c"
#include "cli/cli_out.c"
#include "cli/cli_config.c"
#include "cli/cli_session.c"
#include "cli/cli_util.c"
#include "cli/main.c"

/* what the last recorded command saw */
static struct {
    int calls;
    char name[64];
    struct cli_opts opts;
    char port[256], chip[32], before[32], after[32];
    int argc;
    char argv1[64];
} rec;

static int recorder(struct cli_ctx *ctx, int argc, char **argv)
{
    rec.calls++;
    snprintf(rec.name, sizeof(rec.name), "%s", ctx->cmd->name);
    rec.opts = *cli_get_opts(ctx);
    snprintf(rec.port, sizeof(rec.port), "%s", rec.opts.port ? rec.opts.port : "(null)");
    snprintf(rec.chip, sizeof(rec.chip), "%s", rec.opts.chip);
    snprintf(rec.before, sizeof(rec.before), "%s", rec.opts.before);
    snprintf(rec.after, sizeof(rec.after), "%s", rec.opts.after);
    rec.argc = argc;
    snprintf(rec.argv1, sizeof(rec.argv1), "%s", argc > 1 ? argv[1] : "");
    return 0;
}

#define REC(fn)                                                                                    \
    int fn(struct cli_ctx *ctx, int argc, char **argv)                                             \
    {                                                                                              \
        return recorder(ctx, argc, argv);                                                          \
    }
REC(cmd_chip_id)
REC(cmd_dump_mem)
REC(cmd_erase_flash)
REC(cmd_erase_region)
REC(cmd_flash_id)
REC(cmd_get_security_info)
REC(cmd_load_ram)
REC(cmd_read_flash)
REC(cmd_read_flash_sfdp)
REC(cmd_read_flash_status)
REC(cmd_read_mac)
REC(cmd_read_mem)
REC(cmd_run)
REC(cmd_verify_flash)
REC(cmd_write_flash)
REC(cmd_write_flash_status)
REC(cmd_write_mem)
REC(cmd_image_info)
REC(cmd_elf2image)
REC(cmd_merge_bin)
REC(cmd_partition_table)
REC(cmd_monitor)
REC(cmd_doctor)

int cli_monitor_run(struct cli_ctx *ctx, struct el_port *port, bool verdict_only)
{
    (void)ctx;
    (void)port;
    (void)verdict_only;
    return 0;
}

static int run(const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "espload";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    memset(&rec, 0, sizeof(rec));
    return cli_main(argc, argv);
}

static void clear_env(void)
{
    static const char *const vars[] = {"ESPTOOL_PORT",
                                       "ESPTOOL_BAUD",
                                       "ESPTOOL_CHIP",
                                       "ESPTOOL_BEFORE",
                                       "ESPTOOL_AFTER",
                                       "ESPTOOL_CONNECT_ATTEMPTS",
                                       "ESPLOAD_STUB_DIR",
                                       "ESPTOOL_OPEN_PORT_ATTEMPTS",
                                       NULL};
    for (size_t i = 0; vars[i]; i++)
        unsetenv(vars[i]);
}

static void test_cli_table_sorted(void **state)
{
    (void)state;
    assert_true(cli_n_commands > 20);
    for (size_t i = 1; i < cli_n_commands; i++) {
        if (strcmp(cli_commands[i - 1].name, cli_commands[i].name) >= 0)
            fail_msg("commands[] not sorted at %s / %s", cli_commands[i - 1].name,
                     cli_commands[i].name);
    }
    for (size_t i = 0; i < cli_n_commands; i++) {
        assert_non_null(cli_commands[i].fn);
        assert_non_null(cli_commands[i].summary);
        assert_null(strchr(cli_commands[i].name, '_'));
        assert_ptr_equal(cli_find_command(cli_commands[i].name), &cli_commands[i]);
    }
}

static void test_cli_table_spellings(void **state)
{
    (void)state;
    /* every command of esptool v4.8 (underscores) and v5.3 (dashes) that espload provides */
    static const char *const v4[] = {"load_ram",
                                     "dump_mem",
                                     "read_mem",
                                     "write_mem",
                                     "write_flash",
                                     "run",
                                     "image_info",
                                     "elf2image",
                                     "read_mac",
                                     "chip_id",
                                     "flash_id",
                                     "read_flash_status",
                                     "write_flash_status",
                                     "read_flash",
                                     "verify_flash",
                                     "erase_flash",
                                     "erase_region",
                                     "read_flash_sfdp",
                                     "merge_bin",
                                     "get_security_info",
                                     "version",
                                     NULL};
    static const char *const v5[] = {"load-ram",
                                     "dump-mem",
                                     "read-mem",
                                     "write-mem",
                                     "write-flash",
                                     "run",
                                     "image-info",
                                     "elf2image",
                                     "read-mac",
                                     "chip-id",
                                     "flash-id",
                                     "read-flash-status",
                                     "write-flash-status",
                                     "read-flash",
                                     "verify-flash",
                                     "erase-flash",
                                     "erase-region",
                                     "read-flash-sfdp",
                                     "merge-bin",
                                     "get-security-info",
                                     "version",
                                     NULL};
    for (size_t i = 0; v4[i]; i++) {
        const struct cli_cmd *a = cli_find_command(v4[i]), *b = cli_find_command(v5[i]);
        if (!a || !b)
            fail_msg("%s / %s does not resolve", v4[i], v5[i]);
        assert_ptr_equal(a, b);
    }
    assert_null(cli_find_command("write_flashx"));
    assert_null(cli_find_command(""));
    assert_null(cli_find_command("WRITE_FLASH"));
    assert_non_null(cli_find_command("monitor"));
    assert_non_null(cli_find_command("doctor"));
    assert_non_null(cli_find_command("partition_table"));
}

static void test_cli_table_dispatch(void **state)
{
    (void)state;
    clear_env();
    const char *a1[] = {"--chip",        "ESP32",   "--port",        "sim://esp32", "--before",
                        "default_reset", "--after", "no_reset_stub", "-b",          "921600",
                        "write_flash",   "-z",      "0x1000",        "x.bin",       NULL};
    assert_int_equal(run(a1), 0);
    assert_int_equal(rec.calls, 1);
    assert_string_equal(rec.name, "write-flash");
    assert_string_equal(rec.chip, "esp32");
    assert_string_equal(rec.port, "sim://esp32");
    assert_string_equal(rec.before, "default-reset");
    assert_string_equal(rec.after, "no-reset-stub");
    assert_int_equal(rec.opts.baud, 921600);
    assert_int_equal(rec.argc, 4);
    assert_string_equal(rec.argv1, "-z");

    const char *a2[] = {
        "-c", "esp32-s3",   "-p",         "/dev/x",  "--no-stub", "-t", "--connect-attempts",
        "0",  "--stub-dir", "/tmp/stubs", "chip-id", NULL};
    assert_int_equal(run(a2), 0);
    assert_string_equal(rec.name, "chip-id");
    assert_string_equal(rec.chip, "esp32s3");
    assert_true(rec.opts.no_stub);
    assert_true(rec.opts.trace);
    assert_int_equal(rec.opts.connect_attempts, 0);
    assert_string_equal(rec.opts.stub_dir, "/tmp/stubs");
    assert_int_equal(rec.opts.baud, 115200);
    assert_string_equal(rec.chip, "esp32s3");

    /* defaults */
    const char *a3[] = {"read_mac", NULL};
    assert_int_equal(run(a3), 0);
    assert_string_equal(rec.chip, "auto");
    assert_string_equal(rec.port, "(null)");
    assert_string_equal(rec.before, "default-reset");
    assert_string_equal(rec.after, "hard-reset");
    assert_int_equal(rec.opts.connect_attempts, 7);
    assert_false(rec.opts.no_stub);
}

static void test_cli_table_env(void **state)
{
    (void)state;
    clear_env();
    setenv("ESPTOOL_PORT", "socket://127.0.0.1:1", 1);
    setenv("ESPTOOL_BAUD", "460800", 1);
    setenv("ESPTOOL_CHIP", "esp32c3", 1);
    setenv("ESPTOOL_BEFORE", "no_reset", 1);
    setenv("ESPTOOL_AFTER", "soft-reset", 1);
    setenv("ESPTOOL_CONNECT_ATTEMPTS", "3", 1);
    setenv("ESPLOAD_STUB_DIR", "/opt/stubs", 1);
    const char *a1[] = {"flash_id", NULL};
    assert_int_equal(run(a1), 0);
    assert_string_equal(rec.port, "socket://127.0.0.1:1");
    assert_int_equal(rec.opts.baud, 460800);
    assert_string_equal(rec.chip, "esp32c3");
    assert_string_equal(rec.before, "no-reset");
    assert_string_equal(rec.after, "soft-reset");
    assert_int_equal(rec.opts.connect_attempts, 3);
    assert_string_equal(rec.opts.stub_dir, "/opt/stubs");
    /* options win over the environment */
    const char *a2[] = {"-p", "/dev/ttyUSB0", "-b", "115200", "--chip", "auto", "flash_id", NULL};
    assert_int_equal(run(a2), 0);
    assert_string_equal(rec.port, "/dev/ttyUSB0");
    assert_int_equal(rec.opts.baud, 115200);
    assert_string_equal(rec.chip, "auto");
    /* a bad environment value is a usage error naming it, and no command runs */
    setenv("ESPTOOL_BAUD", "fast", 1);
    assert_int_equal(run(a1), EXIT_USAGE);
    assert_int_equal(rec.calls, 0);
    clear_env();
    setenv("ESPTOOL_BEFORE", "sometimes", 1);
    assert_int_equal(run(a1), EXIT_USAGE);
    assert_int_equal(rec.calls, 0);
    clear_env();
}

static void test_cli_table_errors(void **state)
{
    (void)state;
    clear_env();
    const char *a1[] = {"frobnicate", NULL};
    assert_int_equal(run(a1), EXIT_USAGE);
    const char *a2[] = {"--chip", "esp99", "chip_id", NULL};
    assert_int_equal(run(a2), EXIT_USAGE);
    assert_int_equal(rec.calls, 0);
    const char *a3[] = {"--chip", "esp8266", "chip_id", NULL};
    assert_int_equal(run(a3), EXIT_UNSUPPORTED);
    const char *a4[] = {"--before", "now", "chip_id", NULL};
    assert_int_equal(run(a4), EXIT_USAGE);
    const char *a5[] = {"--after", "hard-reset-twice", "chip_id", NULL};
    assert_int_equal(run(a5), EXIT_USAGE);
    const char *a6[] = {"--baud", "0", "chip_id", NULL};
    assert_int_equal(run(a6), EXIT_USAGE);
    const char *a7[] = {"--port-filter", "colour=red", "chip_id", NULL};
    assert_int_equal(run(a7), EXIT_USAGE);
    const char *a8[] = {"--verbose", "--silent", "chip_id", NULL};
    assert_int_equal(run(a8), EXIT_USAGE);
    const char *a9[] = {"--bogus", "chip_id", NULL};
    assert_int_equal(run(a9), EXIT_USAGE);
    const char *a10[] = {NULL}; /* no command: help, failure like esptool */
    assert_int_equal(run(a10), EXIT_FAILURE_OTHER);
    assert_int_equal(rec.calls, 0);
    const char *a11[] = {"-v", NULL}; /* -v alone: version */
    assert_int_equal(run(a11), 0);
    const char *a12[] = {"--version", NULL};
    assert_int_equal(run(a12), 0);
    const char *a13[] = {"--port-filter", "vid=0x303a", "--port-filter",
                         "name=USB",      "chip_id",    NULL};
    assert_int_equal(run(a13), 0);
    assert_int_equal(rec.calls, 1);
    const char *a14[] = {"--override-vddsdio", "chip_id", NULL}; /* value is optional */
    assert_int_equal(run(a14), 0);
    assert_int_equal(rec.calls, 1);
}

static void test_cli_table_file_args(void **state)
{
    (void)state;
    clear_env();
    char path[] = "/tmp/el-cli-args.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "--chip esp32 --port \"sim://esp32?flash-size=4MB\"\nwrite_flash -z\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char at[64];
    snprintf(at, sizeof(at), "@%s", path);
    const char *a1[] = {at, "0x1000", "f.bin", NULL};
    assert_int_equal(run(a1), 0);
    assert_string_equal(rec.name, "write-flash");
    assert_string_equal(rec.port, "sim://esp32?flash-size=4MB");
    assert_int_equal(rec.argc, 4);
    unlink(path);
    const char *a2[] = {"@/nonexistent/args", NULL};
    assert_int_equal(run(a2), EXIT_INPUT);
}

static void test_cli_table_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(cli_exit_from_err(EL_OK), EXIT_OK);
    assert_int_equal(cli_exit_from_err(EL_E_ARG), EXIT_USAGE);
    assert_int_equal(cli_exit_from_err(EL_E_FORMAT), EXIT_INPUT);
    assert_int_equal(cli_exit_from_err(EL_E_PORT), EXIT_PORT);
    assert_int_equal(cli_exit_from_err(EL_E_CONNECT), EXIT_CONNECT);
    assert_int_equal(cli_exit_from_err(EL_E_CHIP), EXIT_CHIP);
    assert_int_equal(cli_exit_from_err(EL_E_TIMEOUT), EXIT_DEVICE);
    assert_int_equal(cli_exit_from_err(EL_E_DEVICE), EXIT_DEVICE);
    assert_int_equal(cli_exit_from_err(EL_E_PROTO), EXIT_DEVICE);
    assert_int_equal(cli_exit_from_err(EL_E_IO), EXIT_DEVICE);
    assert_int_equal(cli_exit_from_err(EL_E_VERIFY), EXIT_VERIFY);
    assert_int_equal(cli_exit_from_err(EL_E_REFUSED), EXIT_REFUSED);
    assert_int_equal(cli_exit_from_err(EL_E_UNSUPPORTED), EXIT_UNSUPPORTED);
    assert_int_equal(cli_exit_from_err(EL_E_SIZE), EXIT_SIZE);
    assert_int_equal(cli_exit_from_err(EL_E_INTERRUPTED), EXIT_INTERRUPTED);
    assert_int_equal(cli_exit_from_err(EL_E_NOMEM), EXIT_FAILURE_OTHER);
    assert_int_equal(cli_exit_from_err(-999), EXIT_FAILURE_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_table_sorted),     cmocka_unit_test(test_cli_table_spellings),
        cmocka_unit_test(test_cli_table_dispatch),   cmocka_unit_test(test_cli_table_env),
        cmocka_unit_test(test_cli_table_errors),     cmocka_unit_test(test_cli_table_file_args),
        cmocka_unit_test(test_cli_table_exit_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
