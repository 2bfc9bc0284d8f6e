/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The model's libsel4: the subset of libsel4's interface Keel and its tests use, with the same
 * names, types and signatures for x86_64 non-MCS. Code that includes <sel4/sel4.h> and uses
 * only this subset builds unchanged against real libsel4 and against the model.
 */
#pragma once

#include <sel4/types.h>
#include <sel4/faults.h>
#include <sel4/invocation.h>
#include <sel4/bootinfo.h>
#include <sel4/functions.h>
#include <sel4/syscalls.h>
#include <sel4/sel4_client.h>
