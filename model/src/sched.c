/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scheduler: one CPU, strict priority, and the kernel's own bookkeeping of who runs next
 * (sel4-semantics §11.1, non-MCS).
 *
 * Algorithm. There is one ready queue per priority (256) and a bitmap of the non-empty ones.
 * The running thread (ks.current) is not in a queue while it runs. A kernel entry never
 * switches threads on the spot: operations that make a thread runnable record a scheduler
 * action, and schedule() acts on it once, when the entry ends:
 *
 *   - SCHED_RESUME_CURRENT: nothing changed; the current thread goes on.
 *   - SCHED_SWITCH_TO(candidate): one thread was woken (possible_switch_to). If it cannot
 *     preempt (lower priority than the current thread and not the highest ready priority) it
 *     goes to the HEAD of its queue; if it has the current thread's priority and the current
 *     thread can go on, it goes to the TAIL and the current thread keeps the CPU; otherwise it
 *     runs and the current thread goes to the head of its queue.
 *   - SCHED_CHOOSE_NEW: more than one thing changed (or the current thread blocked): the
 *     current thread, if still runnable, goes to the head of its queue and the head of the
 *     highest non-empty queue runs.
 *
 * Threads restarted by Resume or by cancelled IPC (endpoint/notification deletion,
 * CancelBadgedSends) are put at the head of their queue too, so when several threads of one
 * priority are made runnable in turn the last one runs first, as §11.1 observed. Yield moves
 * the current thread to the tail of its queue.
 *
 * Invariants: a thread is in a ready queue iff t->queued; queued threads are runnable (Running
 * or Restart); ks.current is never queued except transiently inside schedule(); the candidate
 * of SCHED_SWITCH_TO is runnable. What is not modelled: timer ticks and time slices (host
 * threads switch only at kernel entries), domains (one), and SMP.
 */
#include "kernel.h"

bool thread_is_runnable(const struct tcb *t)
{
    return t->state == TS_RUNNING || t->state == TS_RESTART;
}

bool thread_is_stopped(const struct tcb *t)
{
    switch (t->state) {
    case TS_INACTIVE:
    case TS_BLOCKED_ON_RECEIVE:
    case TS_BLOCKED_ON_SEND:
    case TS_BLOCKED_ON_NOTIFICATION:
    case TS_BLOCKED_ON_REPLY:
        return true;
    default:
        return false;
    }
}

/* ---- Ready queues ---------------------------------------------------------------------------- */

static void bitmap_set(unsigned prio)
{
    ks.ready_bitmap[prio / 64] |= BIT(prio % 64);
}

static void bitmap_clear(unsigned prio)
{
    ks.ready_bitmap[prio / 64] &= ~BIT(prio % 64);
}

/* The highest priority with a ready thread, or -1. */
static int highest_ready(void)
{
    for (int w = (int)(sizeof(ks.ready_bitmap) / sizeof(ks.ready_bitmap[0])) - 1; w >= 0; w--) {
        if (ks.ready_bitmap[w] != 0) {
            return w * 64 + 63 - __builtin_clzll(ks.ready_bitmap[w]);
        }
    }
    return -1;
}

bool is_highest_prio(word_t prio)
{
    int h = highest_ready();
    return h < 0 || prio >= (word_t)h;
}

void restart_queue(struct tcb *head)
{
    for (struct tcb *t = head, *next; t != NULL; t = next) {
        next = t->q_next;
        t->q_next = t->q_prev = NULL;
        set_thread_state(t, TS_RESTART);
        sched_enqueue(t);
    }
    reschedule_required();
}

void sched_enqueue(struct tcb *t)
{
    if (t->queued) {
        return;
    }
    unsigned p = t->priority;
    t->run_prev = NULL;
    t->run_next = ks.ready[p].head;
    if (ks.ready[p].head != NULL) {
        ks.ready[p].head->run_prev = t;
    } else {
        ks.ready[p].tail = t;
        bitmap_set(p);
    }
    ks.ready[p].head = t;
    t->queued = true;
}

void sched_append(struct tcb *t)
{
    if (t->queued) {
        return;
    }
    unsigned p = t->priority;
    t->run_next = NULL;
    t->run_prev = ks.ready[p].tail;
    if (ks.ready[p].tail != NULL) {
        ks.ready[p].tail->run_next = t;
    } else {
        ks.ready[p].head = t;
        bitmap_set(p);
    }
    ks.ready[p].tail = t;
    t->queued = true;
}

void sched_dequeue(struct tcb *t)
{
    if (!t->queued) {
        return;
    }
    unsigned p = t->priority;
    if (t->run_prev != NULL) {
        t->run_prev->run_next = t->run_next;
    } else {
        ks.ready[p].head = t->run_next;
    }
    if (t->run_next != NULL) {
        t->run_next->run_prev = t->run_prev;
    } else {
        ks.ready[p].tail = t->run_prev;
    }
    if (ks.ready[p].head == NULL) {
        bitmap_clear(p);
    }
    t->run_next = t->run_prev = NULL;
    t->queued = false;
}

/* ---- Scheduler actions ----------------------------------------------------------------------- */

void reschedule_required(void)
{
    if (ks.action == SCHED_SWITCH_TO && thread_is_runnable(ks.candidate)) {
        sched_enqueue(ks.candidate);
    }
    ks.action = SCHED_CHOOSE_NEW;
    ks.candidate = NULL;
}

void possible_switch_to(struct tcb *t)
{
    if (ks.action != SCHED_RESUME_CURRENT) {
        /* Too many threads want special treatment: use the queues. */
        reschedule_required();
        sched_enqueue(t);
    } else {
        ks.action = SCHED_SWITCH_TO;
        ks.candidate = t;
    }
}

void schedule_tcb(struct tcb *t)
{
    if (t == ks.current && ks.action == SCHED_RESUME_CURRENT && !thread_is_runnable(t)) {
        reschedule_required();
    }
}

void set_thread_state(struct tcb *t, enum thread_state s)
{
    t->state = s;
    schedule_tcb(t);
}

static void switch_to_thread(struct tcb *t)
{
    sched_dequeue(t);
    if (ks.current != t) {
        ks.counters.context_switches++;
    }
    ks.current = t;
}

static void choose_thread(void)
{
    int p = highest_ready();
    if (p < 0) {
        ks.current = NULL; /* the idle thread: with no interrupts nothing can ever wake */
        return;
    }
    switch_to_thread(ks.ready[p].head);
}

void schedule(void)
{
    if (ks.action != SCHED_RESUME_CURRENT) {
        struct tcb *cur = ks.current;
        bool was_runnable = cur != NULL && thread_is_runnable(cur);
        if (was_runnable) {
            sched_enqueue(cur);
        }
        struct tcb *c = ks.candidate;
        if (ks.action == SCHED_CHOOSE_NEW || !thread_is_runnable(c)) {
            choose_thread();
        } else {
            /* As the kernel: do not look at the bitmap when the candidate outranks the
             * current thread (that is what the fastpath does too). */
            bool fastfail = cur == NULL || c->priority < cur->priority;
            if (fastfail && !is_highest_prio(c->priority)) {
                sched_enqueue(c);
                choose_thread();
            } else if (was_runnable && c->priority == cur->priority) {
                /* The current thread, at the head, runs on; the candidate waits its turn. */
                sched_append(c);
                choose_thread();
            } else {
                switch_to_thread(c);
            }
        }
    }
    ks.action = SCHED_RESUME_CURRENT;
    ks.candidate = NULL;
}

/* ---- Thread control -------------------------------------------------------------------------- */

void thread_suspend(struct tcb *t)
{
    cancel_ipc(t);
    /* updateRestartPC: a Running thread that is not the invoker has finished its syscall (the
     * invoker itself would be in Restart on the kernel, so it re-executes). */
    if (t->state == TS_RUNNING && t != ks.current) {
        t->restart_after_syscall = true;
    }
    set_thread_state(t, TS_INACTIVE);
    sched_dequeue(t);
    if (ks.candidate == t) {
        ks.action = SCHED_CHOOSE_NEW;
        ks.candidate = NULL;
    }
}

void thread_restart(struct tcb *t)
{
    if (!thread_is_stopped(t)) {
        return;
    }
    cancel_ipc(t);
    setup_reply_master(t);
    set_thread_state(t, TS_RESTART);
    sched_enqueue(t);
    possible_switch_to(t);
}

void thread_set_priority(struct tcb *t, word_t prio)
{
    sched_dequeue(t);
    t->priority = (uint8_t)prio;
    if (thread_is_runnable(t)) {
        if (t == ks.current) {
            reschedule_required();
        } else {
            possible_switch_to(t);
        }
    }
}

void thread_yield(struct tcb *t)
{
    sched_dequeue(t);
    sched_append(t);
    reschedule_required();
}
