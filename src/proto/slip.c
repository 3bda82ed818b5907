/* SPDX-License-Identifier: MIT */
#include "espload/slip.h"

#include <string.h>

size_t el_slip_encode(const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
    size_t o = 0;
    if (cap < 2)
        return 0;
    out[o++] = EL_SLIP_END;
    for (size_t i = 0; i < len; i++) {
        uint8_t b = payload[i];
        if (b == EL_SLIP_END || b == EL_SLIP_ESC) {
            if (o + 2 > cap - 1)
                return 0;
            out[o++] = EL_SLIP_ESC;
            out[o++] = (b == EL_SLIP_END) ? EL_SLIP_ESC_END : EL_SLIP_ESC_ESC;
        } else {
            if (o + 1 > cap - 1)
                return 0;
            out[o++] = b;
        }
    }
    out[o++] = EL_SLIP_END;
    return o;
}

void el_slip_dec_init(struct el_slip_dec *d, uint8_t *buf, size_t cap)
{
    memset(d, 0, sizeof(*d));
    d->buf = buf;
    d->cap = cap;
}

void el_slip_dec_reset(struct el_slip_dec *d)
{
    d->len = 0;
    d->in_frame = false;
    d->escape = false;
    d->overflow = false;
}

enum el_slip_event el_slip_dec_feed(struct el_slip_dec *d, uint8_t b)
{
    if (!d->in_frame) {
        if (b == EL_SLIP_END) {
            d->in_frame = true;
            d->len = 0;
            d->escape = false;
            d->overflow = false;
            return EL_SLIP_NONE;
        }
        return EL_SLIP_NOISE;
    }
    if (b == EL_SLIP_END) {
        if (d->escape) {
            /* DB C0: broken escape; treat the C0 as the start of a new frame */
            d->escape = false;
            d->len = 0;
            return EL_SLIP_BAD_ESCAPE;
        }
        if (d->overflow) {
            d->overflow = false;
            d->len = 0;
            return EL_SLIP_OVERFLOW;
        }
        if (d->len == 0)
            return EL_SLIP_NONE; /* C0 C0: stay in frame, empty frames are ignored */
        d->in_frame = false;
        return EL_SLIP_FRAME;
    }
    if (d->escape) {
        d->escape = false;
        if (b == EL_SLIP_ESC_END)
            b = EL_SLIP_END;
        else if (b == EL_SLIP_ESC_ESC)
            b = EL_SLIP_ESC;
        else {
            /* drop the rest of this frame up to the next C0 */
            d->in_frame = false;
            d->len = 0;
            return EL_SLIP_BAD_ESCAPE;
        }
    } else if (b == EL_SLIP_ESC) {
        d->escape = true;
        return EL_SLIP_NONE;
    }
    if (d->overflow)
        return EL_SLIP_NONE;
    if (d->len >= d->cap) {
        d->overflow = true;
        return EL_SLIP_NONE;
    }
    d->buf[d->len++] = b;
    return EL_SLIP_NONE;
}
