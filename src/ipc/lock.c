/* SPDX-License-Identifier: BSD-2-Clause */
/* The sleeping lock (keel/lock.h): the protocol and why it is correct are in the header. */
#include <keel/lock.h>

#include <stddef.h>

#include "core/assert.h"

void keel_lock_init(keel_lock_t *l, seL4_CPtr ntfn)
{
    atomic_init(&l->count, 0);
    atomic_init(&l->waits, 0);
    l->ntfn = ntfn;
}

void keel_lock_acquire(keel_lock_t *l)
{
    if (atomic_fetch_add_explicit(&l->count, 1, memory_order_acquire) == 0) {
        return;
    }
    KEEL_ASSERT(l->ntfn != 0, "keel_lock: contention on a lock without a notification");
    atomic_fetch_add_explicit(&l->waits, 1, memory_order_relaxed);
    /* Not seL4_Wait: libsel4 copies MR0..MR3 back into the IPC buffer after a receive, and a
     * server takes its lock with the request still in its message registers. The kernel
     * writes only the badge when it delivers a signal. */
    seL4_Word badge;
    (void)seL4_RecvWithMRs(l->ntfn, &badge, NULL, NULL, NULL, NULL);
    /* The releasing holder's release and the signal order its writes before this point. */
    atomic_thread_fence(memory_order_acquire);
}

void keel_lock_release(keel_lock_t *l)
{
    if (atomic_fetch_sub_explicit(&l->count, 1, memory_order_release) > 1) {
        seL4_Signal(l->ntfn);
    }
}
