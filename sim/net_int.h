/* SPDX-License-Identifier: MIT */
#ifndef ELSIM_NET_INT_H
#define ELSIM_NET_INT_H
/* Helpers of the network/pty endpoints (net_*.c) that differ per operating system. */

/* The baud rate a client set on the pty whose master is master_fd (any rate, not only the
 * Bxxx constants); 0 if it cannot be read. */
unsigned eli_simnet_pty_baud(int master_fd);

#endif
