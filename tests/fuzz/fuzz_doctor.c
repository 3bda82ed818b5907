/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the boot-log doctor: arbitrary bytes, fed in arbitrary chunks, must
 * never crash, hang or grow memory, and the results must stay consistent. The first byte
 * picks the chunk size so split lines, split escape sequences and split CRLF get covered.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "espload/doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = (size_t)data[0] % 61 + 1;
    static const char *const chips[] = {NULL, "esp32", "esp32s3", "esp32c3", "nonsense"};
    struct el_doctor_cfg cfg = {.chip = chips[data[0] % 5],
                                .has_psram = (data[0] >> 3) % 3 - 1,
                                .flash_encryption = (data[0] >> 5) % 3 - 1,
                                .secure_boot = -1};
    data++;
    size--;
    struct el_doctor *d = NULL;
    if (el_doctor_new(&d, &cfg) != 0)
        abort();
    for (size_t i = 0; i < size; i += chunk)
        el_doctor_feed(d, data + i, size - i < chunk ? size - i : chunk);
    el_doctor_finish(d);

    const struct el_doc_finding *f;
    size_t n = el_doctor_findings(d, &f);
    if (n == 0 || n > EL_DOC_CODE_COUNT)
        abort(); /* there is always a verdict, at most one finding per code */
    uint32_t seen = 0;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)f[i].code >= EL_DOC_CODE_COUNT || (seen & (1u << f[i].code)))
            abort();
        seen |= 1u << f[i].code;
        if (strnlen(f[i].what, sizeof f[i].what) == sizeof f[i].what ||
            strnlen(f[i].evidence, sizeof f[i].evidence) == sizeof f[i].evidence)
            abort();
    }
    if (el_doctor_healthy(d) && f[0].code != EL_DOC_BOOT_OK && f[0].code != EL_DOC_MICROPYTHON_REPL)
        abort();
    const struct el_doc_panic *p = el_doctor_panic(d);
    if (p->n_bt > EL_DOC_BT_MAX)
        abort();
    if (el_doctor_info(d)->bytes != size)
        abort();
    char *t = el_doctor_report(d, EL_DOC_TEXT, NULL);
    char *j = el_doctor_report(d, EL_DOC_JSON, NULL);
    if (!t || !j)
        abort();
    free(t);
    free(j);
    el_doctor_free(d);
    return 0;
}
