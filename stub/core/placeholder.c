/* SPDX-License-Identifier: MIT */
typedef int stub_core_placeholder_t;
