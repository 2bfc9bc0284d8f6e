/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <sel4/types.h>: libsel4's basic types and constants in one header, as libsel4 has it: the
 * configuration (<autoconf.h>), integer and CPtr types, object types, errors, constants, and
 * the value types with their helpers (message info, rights, cap data, IPC buffer). It also
 * gives seL4_NilData, the "no badge, no guard" cap data word, and the typedefs libsel4 declares
 * here for every configuration (seL4_SchedContext, seL4_SchedControl and seL4_Time exist on
 * non-MCS too, though nothing of the model takes them). <sel4/sel4.h> includes it.
 */
#pragma once

#include <autoconf.h>
#include <sel4/simple_types.h>
#include <sel4/objecttype.h>
#include <sel4/errors.h>
#include <sel4/constants.h>
#include <sel4/shared_types.h>

typedef seL4_CPtr seL4_SchedContext;
typedef seL4_CPtr seL4_SchedControl;

typedef seL4_Uint64 seL4_Time;

#define seL4_NilData 0
