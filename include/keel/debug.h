/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/debug.h — what Keel does when a caller breaks a contract.
 *
 * A double free, a foreign pointer or a record used after it was given back is a bug in the
 * caller, not an error to handle: Keel stops loudly. By default it executes a trap
 * instruction (the root task faults, which seL4 reports); a program can install a hook that
 * prints the message first. The hook must not return.
 */
#pragma once

typedef void (*keel_panic_fn)(const char *file, int line, const char *message);

/* Install the panic hook (NULL restores the default trap). */
void keel_set_panic(keel_panic_fn fn);
