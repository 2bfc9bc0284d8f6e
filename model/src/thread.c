/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The thread layer as far as a world with one thread needs it: the root thread is the host
 * thread that booted the world, it is always the current thread, and entering the kernel is
 * taking the big lock. IPC between threads, scheduling and fault delivery to fault endpoints
 * are the model's thread layer (sel4-semantics §8, §11).
 */
#include <stdlib.h>

#include "kernel.h"

void threads_boot(struct tcb *root)
{
    ks.current = root;
    host_self = root;
}

void threads_shutdown(void)
{
    ks.current = NULL;
    host_self = NULL;
}

void kernel_enter(struct tcb *t)
{
    kernel_lock();
    if (!ks.booted) {
        kernel_unlock();
        model_panic("seL4 call after the world was shut down");
    }
    if (t != ks.current) {
        kernel_unlock();
        model_panic("thread '%s' entered the kernel but is not the running thread", t->name);
    }
}

void kernel_exit(struct tcb *t)
{
    if (t->state != TS_RUNNING && t == ks.root_tcb) {
        kernel_unlock();
        model_panic("the root thread stopped (its TCB was deleted or suspended) and no other "
                    "thread can run");
    }
    kernel_unlock();
}

void thread_yield(struct tcb *t)
{
    (void)t; /* the only thread keeps the CPU */
}

bool thread_deliver_cap_fault(struct tcb *t, word_t cptr, bool in_recv,
                              const struct lookup_fault *lf)
{
    (void)cptr;
    (void)in_recv;
    (void)lf;
    struct cte *handler;
    struct lookup_fault handler_lf;
    if (!lookup_slot(t, t->fault_ep, &handler, &handler_lf) ||
        handler->cap.type != KEEL_MODEL_CAP_ENDPOINT) {
        return false;
    }
    model_panic("thread '%s' has a fault endpoint: fault delivery comes with the thread layer",
                t->name);
}

void thread_stopped_by_fault(void)
{
    model_panic("a fault hook returned for the root thread, which has no fault handler and "
                "cannot continue; the hook must not return");
}

void ipc_send(struct invocation *inv, struct syscall_regs *r, seL4_Syscall_ID sys)
{
    (void)r;
    (void)sys;
    model_panic("thread '%s' sent on a %s cap: IPC comes with the model's thread layer",
                inv->thread->name, keel_model_cap_type_name(inv->cap.type));
}

void ipc_recv(struct tcb *t, struct cte *slot, struct cap cap, struct syscall_regs *r,
              bool blocking)
{
    (void)slot;
    (void)r;
    (void)blocking;
    model_panic("thread '%s' received on a %s cap: IPC comes with the model's thread layer",
                t->name, keel_model_cap_type_name(cap.type));
}

void ipc_reply(struct tcb *t, struct syscall_regs *r)
{
    (void)r;
    if (t->slots[TCB_CALLER].cap.type != KEEL_MODEL_CAP_NULL) {
        model_panic("reply caps come with the model's thread layer");
    }
}

void finalise_endpoint(struct endpoint *ep)
{
    (void)ep; /* no thread can be queued on it in a one-thread world */
}

void finalise_notification(struct notification *n)
{
    n->bound = NULL;
}

void endpoint_cancel_badged_sends(struct endpoint *ep, word_t badge)
{
    (void)ep;
    (void)badge; /* no sender can be queued in a one-thread world */
}
