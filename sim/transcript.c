/* SPDX-License-Identifier: MIT */
/*
 * Transcript: one JSON object per line for every SLIP frame in either direction, every line
 * of plain text the device prints, and device events (resets, faults, baud changes):
 *   {"t_us":123,"dir":"in","op":"SYNC","len":44,"hex":"0008..."}
 *   {"t_us":130,"dir":"out","op":"SYNC","len":12,"status":0,"error":0,"hex":"0108..."}
 *   {"t_us":0,"dir":"out","text":"waiting for download"}
 *   {"t_us":50,"event":"EN low"}
 */
#include "elsim_int.h"
#include "espload/proto.h"

#include <string.h>

int eli_tr_open(struct elsim *d)
{
    if (!d->cfg.transcript_path[0])
        return 0;
    d->transcript = fopen(d->cfg.transcript_path, "w");
    return d->transcript ? 0 : -1;
}

void eli_tr_close(struct elsim *d)
{
    if (d->transcript) {
        fclose(d->transcript);
        d->transcript = NULL;
    }
}

static void json_str(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7F)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

void eli_tr_frame(struct elsim *d, bool to_host, const uint8_t *f, size_t n, uint64_t t)
{
    FILE *o = d->transcript;
    if (!o)
        return;
    fprintf(o, "{\"t_us\":%llu,\"dir\":\"%s\"", (unsigned long long)t, to_host ? "out" : "in");
    bool is_cmd = n >= 8 && f[0] == (to_host ? 0x01 : 0x00);
    const char *name = is_cmd ? el_op_name(f[1]) : NULL;
    if (is_cmd && name)
        fprintf(o, ",\"op\":\"%s\"", name);
    else if (is_cmd)
        fprintf(o, ",\"op\":\"0x%02x\"", f[1]);
    else
        fprintf(o, ",\"op\":null");
    fprintf(o, ",\"len\":%zu", n);
    if (is_cmd && to_host && n >= 10) {
        size_t st = d->state == ELSIM_ST_STUB ? 2 : 4;
        if (n >= 8 + st)
            fprintf(o, ",\"status\":%u,\"error\":%u", f[n - st], f[n - st + 1]);
    }
    fprintf(o, ",\"hex\":\"");
    size_t shown = n > 4096 ? 4096 : n;
    for (size_t i = 0; i < shown; i++)
        fprintf(o, "%02x", f[i]);
    fprintf(o, "%s\"}\n", shown < n ? "..." : "");
}

void eli_tr_bytes(struct elsim *d, bool to_host, const uint8_t *buf, size_t len, uint64_t t)
{
    if (!d->transcript || !to_host)
        return;
    for (size_t i = 0; i < len; i++) {
        enum el_slip_event ev = el_slip_dec_feed(&d->tr_out, buf[i]);
        if (ev == EL_SLIP_FRAME) {
            eli_tr_frame(d, true, d->tr_out.buf, d->tr_out.len, t);
        } else if (ev == EL_SLIP_NOISE) {
            char c = (char)buf[i];
            if (c == '\n' || d->tr_text_len + 1 >= sizeof(d->tr_text)) {
                size_t n = d->tr_text_len;
                while (n && d->tr_text[n - 1] == '\r')
                    n--;
                fprintf(d->transcript,
                        "{\"t_us\":%llu,\"dir\":\"out\",\"text\":", (unsigned long long)t);
                json_str(d->transcript, d->tr_text, n);
                fprintf(d->transcript, "}\n");
                d->tr_text_len = 0;
                if (c == '\n')
                    continue;
            }
            d->tr_text[d->tr_text_len++] = c;
        }
    }
}

void eli_tr_note(struct elsim *d, const char *what, uint64_t t)
{
    if (!d->transcript)
        return;
    fprintf(d->transcript, "{\"t_us\":%llu,\"event\":", (unsigned long long)t);
    json_str(d->transcript, what, strlen(what));
    fprintf(d->transcript, "}\n");
}
