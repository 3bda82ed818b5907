/* SPDX-License-Identifier: MIT */
#ifndef EL_DOCTOR_DOCTOR_INT_H
#define EL_DOCTOR_DOCTOR_INT_H
/* Cross-file internals of src/doctor. */
#include "espload/doctor.h"

/* Display name of the chip the caller told the doctor about ("" when none). */
const char *eli_doctor_cfg_chip(const struct el_doctor *d);

#endif
