/* SPDX-License-Identifier: MIT */
#ifndef EL_TESTS_MOCK_PORT_H
#define EL_TESTS_MOCK_PORT_H
/*
 * A scripted port for loader tests: queue bytes or replies for the host to read, capture
 * everything the host writes (decoded into frames), record modem-line changes, and run an
 * optional responder that is called with every complete request frame the host sends.
 * Time is virtual: a read with nothing queued returns 0 at once and adds its timeout to the
 * clock; sleeps add to the clock. No real waiting anywhere.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct el_port;
struct mock_port;

/* Called for every frame the host writes (unescaped payload). May queue replies. */
typedef void (*mock_responder)(struct mock_port *m, const uint8_t *frame, size_t len, void *user);

struct mock_port *mock_port_new(void);
/* The el_port on this mock (owned by the mock; do not el_port_close it). */
struct el_port *mock_port_port(struct mock_port *m);
void mock_port_free(struct mock_port *m);

void mock_port_set_responder(struct mock_port *m, mock_responder fn, void *user);
void mock_port_set_has_lines(struct mock_port *m, bool has_lines);
void mock_port_set_kind(struct mock_port *m, const char *kind); /* "serial" default */
void mock_port_set_usb_jtag(struct mock_port *m, bool on);

/* Queue raw bytes for the host. */
void mock_port_queue_raw(struct mock_port *m, const void *data, size_t len);
/* Queue one SLIP frame with payload. */
void mock_port_queue_frame(struct mock_port *m, const uint8_t *payload, size_t len);
/* Queue a response frame: 01 op len value data. */
void mock_port_queue_reply(struct mock_port *m, uint8_t op, uint32_t value, const uint8_t *data,
                           size_t len);
/* Queue bytes to be released when the host next deasserts RTS (EN released: boot text). */
void mock_port_queue_on_reset(struct mock_port *m, const void *data, size_t len);

/* Captured host frames. */
size_t mock_port_tx_count(const struct mock_port *m);
const uint8_t *mock_port_tx_frame(const struct mock_port *m, size_t i, size_t *len);
/* Number of captured frames with opcode op (requests only). */
size_t mock_port_tx_count_op(const struct mock_port *m, uint8_t op);
/* Index of the n-th (0-based) request with opcode op, or (size_t)-1. */
size_t mock_port_tx_find_op(const struct mock_port *m, uint8_t op, size_t nth);
void mock_port_tx_clear(struct mock_port *m);

/* Line changes as a string of steps "D1 R0 ..." (U for both). */
const char *mock_port_lines_log(const struct mock_port *m);
uint64_t mock_port_clock_ms(const struct mock_port *m);
unsigned mock_port_baud(const struct mock_port *m);
size_t mock_port_pending_rx(const struct mock_port *m);
unsigned mock_port_flushes(const struct mock_port *m);

#endif

/* ---- a small fake loader behind the mock (for flow tests) ---- */
struct mock_dev {
    bool stub;      /* answers as a stub (2 status bytes, SYNC value 0) */
    uint32_t magic; /* READ_REG 0x40001000 */
    int secinfo;    /* 0: ROM "invalid message" (other op, repeated), 1: 20-byte reply,
                       2: same-op status 01 05 */
    uint32_t secinfo_chip_id;
    uint32_t regs_addr[64], regs_val[64];
    size_t n_regs;
    uint8_t *flash;
    size_t flash_size;
    bool corrupt_md5;    /* report a wrong MD5 */
    bool ohai;           /* send OHAI after MEM_END and become a stub */
    int fail_op;         /* opcode answered with a failure status (-1 none) */
    unsigned fail_count; /* how many times (0 = always) */
    uint8_t fail_status[2];
    unsigned drop_op_count; /* drop replies to fail_op instead of failing */
    /* state */
    bool defl;
    uint32_t begin_addr, begin_size, written;
    void *z; /* z_stream while inflating */
    uint32_t read_addr, read_len, read_sent;
    uint8_t read_md5_ctx[128];
    size_t n_requests;
};
/* Installs the fake device as the responder. dev must outlive the mock. */
void mock_dev_attach(struct mock_port *m, struct mock_dev *dev);
void mock_dev_init(struct mock_dev *dev, size_t flash_size);
void mock_dev_release(struct mock_dev *dev);
void mock_dev_set_reg(struct mock_dev *dev, uint32_t addr, uint32_t val);
