/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Notifications (sel4-semantics §8.4).
 *
 * State machine. Idle; Waiting (a FIFO queue of threads blocked in Wait); Active (holds a
 * word). Signal with badge b: Idle -> Active with word b, unless the notification is bound to
 * a thread blocked in an endpoint receive, which is woken with badge b (its receive is
 * cancelled) while the notification stays Idle; Waiting -> the first waiter wakes with badge b
 * (not OR-ed), Idle once nobody waits; Active -> word |= b. Wait: Active -> returns the word,
 * Idle; otherwise blocks (Poll returns badge 0). The state, not the word, decides: a signal
 * with badge 0 makes an Idle notification Active with word 0.
 *
 * Binding. A bound notification belongs to one TCB: only it may wait on it, and an Active
 * bound notification is delivered to that thread's endpoint receive instead of a message
 * (completeSignal: only the badge register is written; message info and MRs are left as the
 * thread passed them, which is unspecified on the kernel). Deleting the notification's last
 * cap unbinds it and restarts its waiters.
 *
 * Invariants: a thread is in the queue iff it is BlockedOnNotification on it; a non-empty
 * queue means Waiting; n->bound and t->bound point at each other or are both NULL.
 */
#include "kernel.h"

void send_signal(struct notification *n, word_t badge)
{
    switch (n->state) {
    case NTFN_IDLE: {
        struct tcb *t = n->bound;
        if (t != NULL && t->state == TS_BLOCKED_ON_RECEIVE) {
            cancel_ipc(t);
            set_thread_state(t, TS_RUNNING);
            t->sr.cptr_or_badge = badge;
            possible_switch_to(t);
        } else {
            /* Also when the bound thread waits for a reply: it is not woken. */
            n->state = NTFN_ACTIVE;
            n->word = badge;
        }
        break;
    }
    case NTFN_WAITING: {
        struct tcb *t = n->head;
        tcb_queue_remove(&n->head, &n->tail, t);
        if (n->head == NULL) {
            n->state = NTFN_IDLE;
        }
        set_thread_state(t, TS_RUNNING);
        t->sr.cptr_or_badge = badge;
        possible_switch_to(t);
        break;
    }
    case NTFN_ACTIVE:
        n->word |= badge;
        break;
    }
}

void receive_signal(struct tcb *t, struct cap cap, bool blocking)
{
    struct notification *n = (struct notification *)cap.obj;
    if (n->state == NTFN_ACTIVE) {
        t->sr.cptr_or_badge = n->word;
        n->state = NTFN_IDLE;
        return;
    }
    if (!blocking) {
        t->sr.cptr_or_badge = 0;
        return;
    }
    t->state = TS_BLOCKED_ON_NOTIFICATION;
    t->blocked_on = &n->hdr;
    schedule_tcb(t);
    tcb_queue_append(&n->head, &n->tail, t);
    n->state = NTFN_WAITING;
}

void complete_signal(struct notification *n, struct tcb *t)
{
    t->sr.cptr_or_badge = n->word;
    n->state = NTFN_IDLE;
}

void cancel_signal(struct tcb *t, struct notification *n)
{
    tcb_queue_remove(&n->head, &n->tail, t);
    if (n->head == NULL) {
        n->state = NTFN_IDLE;
    }
    set_thread_state(t, TS_INACTIVE);
}

void bind_notification(struct tcb *t, struct notification *n)
{
    n->bound = t;
    t->bound = n;
}

void unbind_notification(struct tcb *t)
{
    if (t->bound != NULL) {
        t->bound->bound = NULL;
        t->bound = NULL;
    }
}

/* The last cap is gone: unbind, and restart every waiter (head of its ready queue). */
void finalise_notification(struct notification *n)
{
    if (n->bound != NULL) {
        unbind_notification(n->bound);
    }
    if (n->state != NTFN_WAITING) {
        return;
    }
    struct tcb *t = n->head;
    n->state = NTFN_IDLE;
    n->head = n->tail = NULL;
    restart_queue(t);
}
