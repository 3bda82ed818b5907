/* SPDX-License-Identifier: MIT */
/* placeholder: the port dispatcher lands with the port layer */
typedef int el_port_placeholder_t;
