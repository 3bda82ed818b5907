/* SPDX-License-Identifier: MIT */
/*
 * Weak fallbacks for commands implemented in other files of src/cli (cmd_image.c,
 * cmd_monitor.c, cmd_doctor.c). A real definition overrides them at link time; until it
 * exists the command reports that it is not available and exits with EXIT_UNSUPPORTED.
 */
#include <stdio.h>

#include "cli/cli_int.h"

static int not_yet(const char *what)
{
    cli_fatal("the %s command is not available in this build yet; use esptool's for now", what);
    return EXIT_UNSUPPORTED;
}

#define FALLBACK(fn, what)                                                                         \
    __attribute__((weak)) int fn(struct cli_ctx *ctx, int argc, char **argv)                       \
    {                                                                                              \
        (void)ctx;                                                                                 \
        (void)argc;                                                                                \
        (void)argv;                                                                                \
        return not_yet(what);                                                                      \
    }

FALLBACK(cmd_image_info, "image_info")
FALLBACK(cmd_elf2image, "elf2image")
FALLBACK(cmd_merge_bin, "merge_bin")
FALLBACK(cmd_partition_table, "partition_table")
FALLBACK(cmd_monitor, "monitor")
FALLBACK(cmd_doctor, "doctor")

__attribute__((weak)) int cli_monitor_run(struct cli_ctx *ctx, struct el_port *port,
                                          bool verdict_only)
{
    (void)ctx;
    (void)port;
    (void)verdict_only;
    return not_yet("monitor");
}
