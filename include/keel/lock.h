/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/lock.h — a sleeping lock for seL4 threads: a C11 atomic counter and a notification.
 *
 * The counter holds the number of threads that hold or want the lock. Taking it when the
 * counter was 0 costs one atomic operation and no kernel call; otherwise the thread waits on
 * the notification, and the holder signals it on release when someone wants the lock
 * ("benaphore"). A spin lock would be wrong here: on one CPU without preemption (the model;
 * seL4 with a long time slice) a spinning thread keeps the CPU from the holder forever. The
 * notification acts as a binary semaphore, which is enough: a signal is sent only by a
 * releasing holder while the counter says someone is coming, and the next holder consumes it
 * before it can release, so two signals never meet in the notification word.
 *
 * Correct on SMP: acquiring is an acquire operation and releasing a release operation on the
 * counter, and the kernel orders a signal before the wait it ends. With ntfn = 0 the lock is
 * for one thread's use only (contention is a contract violation).
 */
#pragma once

#include <stdatomic.h>
#include <stdint.h>

#include <sel4/sel4.h>

typedef struct keel_lock {
    _Atomic uint32_t count; /* holder + waiters */
    _Atomic uint64_t waits; /* acquisitions that had to sleep (statistics) */
    seL4_CPtr ntfn;         /* a notification cap with Read and Write (0: no contention) */
} keel_lock_t;

/* Make a free lock that sleeps on notification `ntfn`. */
void keel_lock_init(keel_lock_t *l, seL4_CPtr ntfn);

/* Take the lock, sleeping while another thread holds it; the caller's message registers are
 * left as they were. */
void keel_lock_acquire(keel_lock_t *l);

/* Give the lock back, waking one waiter if there is one. */
void keel_lock_release(keel_lock_t *l);
