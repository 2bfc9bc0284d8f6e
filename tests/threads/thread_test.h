/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Support for tests of the model's thread layer (tests/threads).
 *
 * A test boots the default world with tt_boot(), makes objects from one big RAM untyped with
 * tt_new(), makes threads in the root task's CSpace and VSpace with tt_thread(), and shuts the
 * world down. Code running in an seL4 thread other than the root thread must not use cmocka's
 * assertions (they long-jump into the root thread's stack): it uses T_CHECK(), which records a
 * failure the root thread reports with TT_CHECKS(). Threads that want to say what happened,
 * and in which order, append to the transcript with tt_log().
 */
#pragma once

#include <stdio.h>

#include "model_test.h"

extern seL4_BootInfo *tt_bi;

/* Boot the default world with the test fault hook; resets the allocator and the transcript. */
seL4_BootInfo *tt_boot(void);
/* The same with a world configuration. */
seL4_BootInfo *tt_boot_with(const keel_model_config *config);
/* A free slot of the root CNode. */
seL4_CPtr tt_slot(void);
/* One new object of `type` from the test's 128 MiB RAM untyped, in a new slot. */
seL4_CPtr tt_new(seL4_Word type, seL4_Word size_bits);
/* The same from a given untyped. */
seL4_CPtr tt_new_from(seL4_CPtr untyped, seL4_Word type, seL4_Word size_bits);
/* Mint (badge) or copy a cap into a new slot; asserts success. */
seL4_CPtr tt_mint(seL4_CPtr src, seL4_CapRights_t rights, seL4_Word badge);

/*
 * A new thread in the root CSpace and VSpace with an IPC buffer of its own (an unmapped frame:
 * the thread's __sel4_ipc_buffer points at the frame's bytes), named `name`, at priority
 * `prio`, with fault endpoint CPtr `fault_ep`. It is not started.
 */
seL4_CPtr tt_thread_new(const char *name, seL4_Word prio, seL4_CPtr fault_ep);
/* Start it: rip = fn, rdi = arg (WriteRegisters), then Resume. */
void tt_thread_start(seL4_CPtr tcb, void (*fn)(seL4_Word), seL4_Word arg);
/* Both. */
seL4_CPtr tt_thread(const char *name, void (*fn)(seL4_Word), seL4_Word arg, seL4_Word prio);
/* The calling thread waits on notification `ntfn` (returns its badge). */
seL4_Word tt_wait(seL4_CPtr ntfn);
/* The root thread dips to priority 50 and back: every runnable thread above 50 runs until it
 * blocks (or stops) before the root thread goes on. */
void tt_let_others_run(void);
/* keel_model_tcb_state() */
int tt_state(seL4_CPtr tcb);
/* The user address given to thread's IPC buffer frame (tt_thread_new). */
seL4_Word tt_ipc_vaddr(seL4_CPtr tcb);

/* The transcript: lines appended by any seL4 thread, in the order they ran. */
void tt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *tt_transcript(void);
void tt_log_reset(void);

/* Checks inside seL4 threads other than the root. */
extern int tt_failures;
extern char tt_first_failure[256];
void tt_fail(const char *file, int line, const char *what);
#define T_CHECK(c)                                                                                 \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            tt_fail(__FILE__, __LINE__, #c);                                                       \
        }                                                                                          \
    } while (0)
#define TT_CHECKS()                                                                                \
    do {                                                                                           \
        if (tt_failures != 0) {                                                                    \
            fail_msg("%d check(s) failed in seL4 threads, first: %s", tt_failures,                 \
                     tt_first_failure);                                                            \
        }                                                                                          \
    } while (0)

/* Map a host-visible range of the root VSpace: page tables for [va, va + bytes). */
void tt_map_tables(seL4_Word va, seL4_Word bytes);

/*
 * Run fn in a forked child (a fresh process, so it may boot its own world and die) with its
 * standard error captured in out (NUL-terminated). Returns the signal that ended the child,
 * or 0 if fn returned.
 */
int tt_run_dying(void (*fn)(void), char *out, size_t size);
