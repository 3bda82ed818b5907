/* SPDX-License-Identifier: MIT */
/* placeholder until the device model lands */
typedef int elsim_placeholder_t;
