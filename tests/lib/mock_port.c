/* SPDX-License-Identifier: MIT */
#include "mock_port.h"

#include "espload/err.h"
#include "espload/slip.h"
#include "loader/port_custom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static void buf_add(struct buf *b, const void *d, size_t n)
{
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 1024;
        while (nc < b->len + n)
            nc *= 2;
        b->p = realloc(b->p, nc);
        if (!b->p)
            abort();
        b->cap = nc;
    }
    memcpy(b->p + b->len, d, n);
    b->len += n;
}

struct frame {
    uint8_t *p;
    size_t len;
};

struct mock_port {
    struct el_port *port;
    struct buf rx; /* pending bytes for the host */
    size_t rx_pos;
    struct buf on_reset;
    struct frame *tx;
    size_t n_tx, cap_tx;
    uint8_t decbuf[0x10000];
    struct el_slip_dec dec;
    mock_responder fn;
    void *user;
    bool has_lines;
    bool usb_jtag;
    char kind[16];
    struct eli_port_ops ops;
    char lines[8192];
    int dtr, rts;
    uint64_t clock_ms;
    unsigned flushes;
};

static struct mock_port *M(struct el_port *p)
{
    return (struct mock_port *)p->impl;
}

static void m_close(struct el_port *p)
{
    (void)p;
}

static int m_read(struct el_port *p, void *buf, size_t len, unsigned timeout_ms)
{
    struct mock_port *m = M(p);
    size_t avail = m->rx.len - m->rx_pos;
    if (!avail) {
        m->clock_ms += timeout_ms;
        return 0;
    }
    size_t n = avail < len ? avail : len;
    memcpy(buf, m->rx.p + m->rx_pos, n);
    m->rx_pos += n;
    if (m->rx_pos == m->rx.len)
        m->rx.len = m->rx_pos = 0;
    return (int)n;
}

static int m_write(struct el_port *p, const void *buf, size_t len, unsigned timeout_ms)
{
    (void)timeout_ms;
    struct mock_port *m = M(p);
    const uint8_t *b = buf;
    for (size_t i = 0; i < len; i++) {
        if (el_slip_dec_feed(&m->dec, b[i]) != EL_SLIP_FRAME)
            continue;
        if (m->n_tx == m->cap_tx) {
            m->cap_tx = m->cap_tx ? m->cap_tx * 2 : 64;
            m->tx = realloc(m->tx, m->cap_tx * sizeof(*m->tx));
            if (!m->tx)
                abort();
        }
        struct frame f = {malloc(m->dec.len ? m->dec.len : 1), m->dec.len};
        memcpy(f.p, m->dec.buf, m->dec.len);
        m->tx[m->n_tx++] = f;
        if (m->fn)
            m->fn(m, f.p, f.len, m->user);
    }
    return EL_OK;
}

static int m_flush(struct el_port *p)
{
    struct mock_port *m = M(p);
    m->rx.len = m->rx_pos = 0;
    m->flushes++;
    return EL_OK;
}

static int m_set_baud(struct el_port *p, unsigned baud)
{
    (void)p;
    (void)baud;
    return EL_OK;
}

static int m_usb_ids(const struct el_port *p, uint16_t *vid, uint16_t *pid)
{
    const struct mock_port *m = p->impl;
    if (!m->usb_jtag)
        return EL_E_UNSUPPORTED;
    *vid = 0x303A;
    *pid = 0x1001;
    return EL_OK;
}

static void log_add(struct mock_port *m, const char *s)
{
    size_t n = strlen(m->lines);
    snprintf(m->lines + n, sizeof(m->lines) - n, "%s%s", n ? " " : "", s);
}

static int m_set_lines(struct el_port *p, int dtr, int rts)
{
    struct mock_port *m = M(p);
    if (!m->has_lines)
        return EL_E_UNSUPPORTED;
    if (dtr < 0 && rts < 0)
        return EL_OK; /* probe */
    char s[32];
    if (dtr >= 0 && rts >= 0)
        snprintf(s, sizeof(s), "U%d,%d", dtr, rts);
    else if (dtr >= 0)
        snprintf(s, sizeof(s), "D%d", dtr);
    else
        snprintf(s, sizeof(s), "R%d", rts);
    log_add(m, s);
    int old_rts = m->rts;
    if (dtr >= 0)
        m->dtr = dtr;
    if (rts >= 0)
        m->rts = rts;
    if (old_rts == 1 && m->rts == 0 && m->on_reset.len) {
        m->rx.len = m->rx_pos = 0; /* a reset loses what was pending */
        buf_add(&m->rx, m->on_reset.p, m->on_reset.len);
    }
    return EL_OK;
}

static void m_sleep(struct el_port *p, unsigned ms)
{
    struct mock_port *m = M(p);
    char s[24];
    snprintf(s, sizeof(s), "W%u", ms);
    if (ms >= 50 || m->dtr || m->rts)
        log_add(m, s);
    m->clock_ms += ms;
}

struct mock_port *mock_port_new(void)
{
    struct mock_port *m = calloc(1, sizeof(*m));
    if (!m)
        abort();
    m->has_lines = true;
    snprintf(m->kind, sizeof(m->kind), "serial");
    m->ops = (struct eli_port_ops){
        .kind = m->kind,
        .close = m_close,
        .read = m_read,
        .write = m_write,
        .flush_input = m_flush,
        .set_baud = m_set_baud,
        .set_lines = m_set_lines,
        .sleep_ms = m_sleep,
        .usb_ids = m_usb_ids,
    };
    el_slip_dec_init(&m->dec, m->decbuf, sizeof(m->decbuf));
    if (el_port_open_custom(&m->port, &m->ops, m, "mock", 115200) != EL_OK)
        abort();
    return m;
}

struct el_port *mock_port_port(struct mock_port *m)
{
    return m->port;
}

void mock_port_free(struct mock_port *m)
{
    if (!m)
        return;
    el_port_close(m->port);
    for (size_t i = 0; i < m->n_tx; i++)
        free(m->tx[i].p);
    free(m->tx);
    free(m->rx.p);
    free(m->on_reset.p);
    free(m);
}

void mock_port_set_responder(struct mock_port *m, mock_responder fn, void *user)
{
    m->fn = fn;
    m->user = user;
}

void mock_port_set_has_lines(struct mock_port *m, bool has_lines)
{
    m->has_lines = has_lines;
}

void mock_port_set_kind(struct mock_port *m, const char *kind)
{
    snprintf(m->kind, sizeof(m->kind), "%s", kind);
}

void mock_port_set_usb_jtag(struct mock_port *m, bool on)
{
    m->usb_jtag = on;
}

void mock_port_queue_raw(struct mock_port *m, const void *data, size_t len)
{
    buf_add(&m->rx, data, len);
}

void mock_port_queue_frame(struct mock_port *m, const uint8_t *payload, size_t len)
{
    size_t cap = el_slip_max_encoded(len);
    uint8_t *tmp = malloc(cap);
    size_t n = el_slip_encode(payload, len, tmp, cap);
    buf_add(&m->rx, tmp, n);
    free(tmp);
}

void mock_port_queue_reply(struct mock_port *m, uint8_t op, uint32_t value, const uint8_t *data,
                           size_t len)
{
    uint8_t *pkt = malloc(8 + len);
    pkt[0] = 1;
    pkt[1] = op;
    pkt[2] = (uint8_t)len;
    pkt[3] = (uint8_t)(len >> 8);
    pkt[4] = (uint8_t)value;
    pkt[5] = (uint8_t)(value >> 8);
    pkt[6] = (uint8_t)(value >> 16);
    pkt[7] = (uint8_t)(value >> 24);
    if (len)
        memcpy(pkt + 8, data, len);
    mock_port_queue_frame(m, pkt, 8 + len);
    free(pkt);
}

void mock_port_queue_on_reset(struct mock_port *m, const void *data, size_t len)
{
    m->on_reset.len = 0;
    buf_add(&m->on_reset, data, len);
}

size_t mock_port_tx_count(const struct mock_port *m)
{
    return m->n_tx;
}

const uint8_t *mock_port_tx_frame(const struct mock_port *m, size_t i, size_t *len)
{
    if (i >= m->n_tx) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = m->tx[i].len;
    return m->tx[i].p;
}

size_t mock_port_tx_count_op(const struct mock_port *m, uint8_t op)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_tx; i++)
        if (m->tx[i].len >= 8 && m->tx[i].p[0] == 0 && m->tx[i].p[1] == op)
            n++;
    return n;
}

size_t mock_port_tx_find_op(const struct mock_port *m, uint8_t op, size_t nth)
{
    for (size_t i = 0; i < m->n_tx; i++)
        if (m->tx[i].len >= 8 && m->tx[i].p[0] == 0 && m->tx[i].p[1] == op && nth-- == 0)
            return i;
    return (size_t)-1;
}

void mock_port_tx_clear(struct mock_port *m)
{
    for (size_t i = 0; i < m->n_tx; i++)
        free(m->tx[i].p);
    m->n_tx = 0;
}

const char *mock_port_lines_log(const struct mock_port *m)
{
    return m->lines;
}

uint64_t mock_port_clock_ms(const struct mock_port *m)
{
    return m->clock_ms;
}

unsigned mock_port_baud(const struct mock_port *m)
{
    return m->port->baud;
}

size_t mock_port_pending_rx(const struct mock_port *m)
{
    return m->rx.len - m->rx_pos;
}

unsigned mock_port_flushes(const struct mock_port *m)
{
    return m->flushes;
}

/* ---------------------------------------------------------------------------------- */
/* fake device                                                                          */

#include <md5.h>
#include <zlib.h>

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

void mock_dev_init(struct mock_dev *dev, size_t flash_size)
{
    memset(dev, 0, sizeof(*dev));
    dev->magic = 0x00F01D83;
    dev->fail_op = -1;
    dev->flash_size = flash_size;
    dev->flash = malloc(flash_size ? flash_size : 1);
    memset(dev->flash, 0xFF, flash_size);
}

void mock_dev_release(struct mock_dev *dev)
{
    free(dev->flash);
    if (dev->z) {
        inflateEnd(dev->z);
        free(dev->z);
    }
    dev->flash = NULL;
}

void mock_dev_set_reg(struct mock_dev *dev, uint32_t addr, uint32_t val)
{
    for (size_t i = 0; i < dev->n_regs; i++)
        if (dev->regs_addr[i] == addr) {
            dev->regs_val[i] = val;
            return;
        }
    if (dev->n_regs < 64) {
        dev->regs_addr[dev->n_regs] = addr;
        dev->regs_val[dev->n_regs++] = val;
    }
}

static void dev_reply(struct mock_port *m, struct mock_dev *d, uint8_t op, uint32_t value,
                      const uint8_t *payload, size_t n, uint8_t st, uint8_t err)
{
    uint8_t buf[256];
    size_t sl = d->stub ? 2 : 4;
    if (n + sl > sizeof(buf))
        abort();
    if (n)
        memcpy(buf, payload, n);
    memset(buf + n, 0, sl);
    buf[n] = st;
    buf[n + 1] = err;
    mock_port_queue_reply(m, op, value, buf, n + sl);
}

static void flash_write(struct mock_dev *d, uint32_t addr, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n && addr + i < d->flash_size; i++)
        d->flash[addr + i] &= p[i]; /* NOR: writes only clear bits */
}

static void flash_erase(struct mock_dev *d, uint32_t addr, uint32_t n)
{
    uint32_t s = addr & ~0xFFFu, e = (addr + n + 0xFFF) & ~0xFFFu;
    for (uint32_t a = s; a < e && a < d->flash_size; a++)
        d->flash[a] = 0xFF;
}

static void dev_respond(struct mock_port *m, const uint8_t *f, size_t n, void *user)
{
    struct mock_dev *d = user;
    d->n_requests++;
    if (n == 4 && d->read_len) {
        /* READ_FLASH ACK: send the next packet or the digest */
        if (d->read_sent >= d->read_len)
            return;
        uint32_t chunk = d->read_len - d->read_sent < 0x1000 ? d->read_len - d->read_sent : 0x1000;
        mock_port_queue_frame(m, d->flash + d->read_addr + d->read_sent, chunk);
        d->read_sent += chunk;
        if (d->read_sent >= d->read_len) {
            uint8_t dg[16];
            MD5_CTX c;
            MD5Init(&c);
            MD5Update(&c, d->flash + d->read_addr, d->read_len);
            MD5Final(dg, &c);
            mock_port_queue_frame(m, dg, 16);
            d->read_len = 0;
        }
        return;
    }
    if (n < 8 || f[0] != 0)
        return;
    uint8_t op = f[1];
    const uint8_t *data = f + 8;
    size_t dl = n - 8;
    if (d->fail_op == op) {
        bool fail = true;
        if (d->fail_count) {
            d->fail_count--;
            if (!d->fail_count)
                d->fail_op = -1;
        }
        if (fail) {
            if (d->drop_op_count)
                return;
            dev_reply(m, d, op, 0, NULL, 0, d->fail_status[0], d->fail_status[1]);
            return;
        }
    }
    switch (op) {
    case 0x08: /* SYNC */
        for (int i = 0; i < 8; i++)
            dev_reply(m, d, op, d->stub ? 0 : 0x20120707u, NULL, 0, 0, 0);
        return;
    case 0x0A: { /* READ_REG */
        uint32_t a = le32(data), v = 0;
        if (a == 0x40001000u)
            v = d->magic;
        for (size_t i = 0; i < d->n_regs; i++)
            if (d->regs_addr[i] == a)
                v = d->regs_val[i];
        dev_reply(m, d, op, v, NULL, 0, 0, 0);
        return;
    }
    case 0x14: /* GET_SECURITY_INFO */
        if (d->secinfo == 1) {
            uint8_t si[20] = {0};
            si[0] = 0x05; /* flags: SECURE_BOOT_EN | SECURE_DOWNLOAD_ENABLE */
            si[4] = 0x01;
            si[12] = (uint8_t)d->secinfo_chip_id;
            si[16] = 1;
            dev_reply(m, d, op, 0, si, 20, 0, 0);
        } else if (d->secinfo == 2) {
            dev_reply(m, d, op, 0, NULL, 0, 1, 5);
        } else {
            /* the ESP32 ROM's answer to an unknown opcode: error replies, repeated */
            for (int i = 0; i < 8; i++)
                dev_reply(m, d, 0, 0, NULL, 0, 1, 5);
        }
        return;
    case 0x02: /* FLASH_BEGIN */
    case 0x10: /* FLASH_DEFL_BEGIN */
        d->begin_size = le32(data);
        d->begin_addr = le32(data + 12);
        d->written = 0;
        d->defl = op == 0x10;
        if (!d->stub || op == 0x02)
            flash_erase(d, d->begin_addr, d->begin_size);
        else
            flash_erase(d, d->begin_addr, d->begin_size);
        if (d->defl) {
            if (d->z) {
                inflateEnd(d->z);
                free(d->z);
            }
            d->z = calloc(1, sizeof(z_stream));
            inflateInit((z_stream *)d->z);
        }
        dev_reply(m, d, op, 0, NULL, 0, 0, 0);
        return;
    case 0x03: /* FLASH_DATA */
        flash_write(d, d->begin_addr + d->written, data + 16, dl - 16);
        d->written += (uint32_t)(dl - 16);
        dev_reply(m, d, op, 0, NULL, 0, 0, 0);
        return;
    case 0x11: { /* FLASH_DEFL_DATA */
        z_stream *z = d->z;
        uint8_t out[0x10000];
        z->next_in = (Bytef *)(uintptr_t)(data + 16);
        z->avail_in = (uInt)(dl - 16);
        for (;;) {
            z->next_out = out;
            z->avail_out = sizeof(out);
            int zr = inflate(z, Z_NO_FLUSH);
            size_t got = sizeof(out) - z->avail_out;
            flash_write(d, d->begin_addr + d->written, out, got);
            d->written += (uint32_t)got;
            if (zr != Z_OK || z->avail_in == 0)
                break;
        }
        dev_reply(m, d, op, 0, NULL, 0, 0, 0);
        return;
    }
    case 0x13: { /* SPI_FLASH_MD5 */
        uint32_t a = le32(data), l = le32(data + 4);
        uint8_t dg[16];
        MD5_CTX c;
        MD5Init(&c);
        if (a + l <= d->flash_size)
            MD5Update(&c, d->flash + a, l);
        MD5Final(dg, &c);
        if (d->corrupt_md5)
            dg[0] ^= 0x55;
        if (d->stub) {
            dev_reply(m, d, op, 0, dg, 16, 0, 0);
        } else {
            char hex[33];
            for (int i = 0; i < 16; i++)
                snprintf(hex + 2 * i, 3, "%02x", dg[i]);
            dev_reply(m, d, op, 0, (const uint8_t *)hex, 32, 0, 0);
        }
        return;
    }
    case 0x0E: { /* READ_FLASH_SLOW */
        uint32_t a = le32(data), l = le32(data + 4);
        uint8_t blk[64];
        memset(blk, 0, sizeof(blk));
        if (l <= 64 && a + l <= d->flash_size)
            memcpy(blk, d->flash + a, l);
        dev_reply(m, d, op, 0, blk, 64, 0, 0);
        return;
    }
    case 0xD2: /* READ_FLASH */
        d->read_addr = le32(data);
        d->read_len = le32(data + 4);
        d->read_sent = 0;
        dev_reply(m, d, op, 0, NULL, 0, 0, 0);
        if (d->read_len) {
            uint32_t chunk = d->read_len < 0x1000 ? d->read_len : 0x1000;
            mock_port_queue_frame(m, d->flash + d->read_addr, chunk);
            d->read_sent = chunk;
            if (d->read_sent >= d->read_len) {
                uint8_t dg[16];
                MD5_CTX c;
                MD5Init(&c);
                MD5Update(&c, d->flash + d->read_addr, d->read_len);
                MD5Final(dg, &c);
                mock_port_queue_frame(m, dg, 16);
                d->read_len = 0;
            }
        }
        return;
    case 0xD0: /* ERASE_FLASH */
        memset(d->flash, 0xFF, d->flash_size);
        dev_reply(m, d, op, 0, NULL, 0, 0, 0);
        return;
    case 0xD1: /* ERASE_REGION */
        flash_erase(d, le32(data), le32(data + 4));
        dev_reply(m, d, op, 0, NULL, 0, 0, 0);
        return;
    case 0x06: /* MEM_END */
        dev_reply(m, d, op, 0, NULL, 0, 0, 0);
        if (d->ohai) {
            d->stub = true;
            mock_port_queue_frame(m, (const uint8_t *)"OHAI", 4);
        }
        return;
    default: /* everything else: success */
        dev_reply(m, d, op, 0, NULL, 0, 0, 0);
        return;
    }
}

void mock_dev_attach(struct mock_port *m, struct mock_dev *dev)
{
    mock_port_set_responder(m, dev_respond, dev);
}
