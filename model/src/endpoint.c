/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Endpoints and reply caps (sel4-semantics §8.1, §8.2; non-MCS).
 *
 * State machine. An endpoint is Idle, Send (a FIFO queue of blocked senders) or Recv (a FIFO
 * queue of blocked receivers); the queue is never mixed and an empty queue means Idle. A send
 * meeting a waiting receiver transfers at once (transfer.c) and wakes it; otherwise a blocking
 * send queues (remembering badge, Grant, GrantReply and whether it was a Call) and NBSend drops
 * the message. A receive takes the first queued sender, or queues, or (NBRecv) returns badge
 * 0. An active bound notification is delivered instead of the endpoint's message.
 *
 * Calls and replies. A Call that transfers through a cap with Grant or GrantReply leaves the
 * caller BlockedOnReply and puts a reply cap, a CDT child of the caller's master reply cap
 * (made at its first Resume), in the receiver's caller slot; without either right the caller
 * becomes Inactive; a Send never waits for a reply, even from a thread with a stale fault record
 * (that rule is MCS's). Reply (and the first half of ReplyRecv) uses the caller slot; a saved reply
 * cap is used by Send/Call on it. A receive first deletes an unsaved reply cap. Replying to a
 * thread stopped by a fault restarts it instead of transferring (fault.c).
 *
 * Invariants: a thread is in an endpoint queue iff it is BlockedOnSend/BlockedOnReceive with
 * blocked_on = that endpoint; a non-master reply cap exists only while its caller is
 * BlockedOnReply, and it is the CDT successor of the caller's master reply cap; the caller slot
 * of a thread blocked in a receive is empty.
 */
#include "kernel.h"

/* ---- Queues (endpoints and notifications): FIFO, linked through q_next/q_prev ---------------- */

void tcb_queue_append(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    t->q_next = NULL;
    t->q_prev = *tail;
    if (*tail != NULL) {
        (*tail)->q_next = t;
    } else {
        *head = t;
    }
    *tail = t;
}

void tcb_queue_remove(struct tcb **head, struct tcb **tail, struct tcb *t)
{
    if (t->q_prev != NULL) {
        t->q_prev->q_next = t->q_next;
    } else {
        *head = t->q_next;
    }
    if (t->q_next != NULL) {
        t->q_next->q_prev = t->q_prev;
    } else {
        *tail = t->q_prev;
    }
    t->q_next = t->q_prev = NULL;
}

static void ep_remove(struct endpoint *ep, struct tcb *t)
{
    tcb_queue_remove(&ep->head, &ep->tail, t);
    if (ep->head == NULL) {
        ep->state = EP_IDLE;
    }
}

/* ---- Reply caps ------------------------------------------------------------------------------ */

static struct cap reply_cap(struct tcb *caller, bool master, bool grant)
{
    struct cap c = cap_null();
    c.type = KEEL_MODEL_CAP_REPLY;
    c.obj = &caller->hdr;
    c.flags = master ? CAPF_MASTER : 0;
    c.rights = grant ? RIGHT_GRANT : 0;
    return c;
}

void setup_reply_master(struct tcb *t)
{
    struct cte *slot = &t->slots[TCB_REPLY];
    if (cap_is_null(slot->cap)) {
        cte_insert_root(slot, reply_cap(t, true, true));
    }
}

static void setup_caller_cap(struct tcb *sender, struct tcb *receiver, bool can_grant)
{
    set_thread_state(sender, TS_BLOCKED_ON_REPLY);
    struct cte *master = &sender->slots[TCB_REPLY];
    struct cte *caller = &receiver->slots[TCB_CALLER];
    if (master->cap.type != KEEL_MODEL_CAP_REPLY || !cap_is_null(caller->cap)) {
        kernel_unlock();
        model_panic("model invariant broken: '%s' calls without a master reply cap, or '%s' "
                    "already holds a reply cap",
                    sender->name, receiver->name);
    }
    cte_insert(reply_cap(sender, false, can_grant), master, caller);
}

/* The reply cap waiting on a thread BlockedOnReply, if it still exists. */
static struct cte *outstanding_reply(struct tcb *t)
{
    struct cte *next = t->slots[TCB_REPLY].next;
    if (next != NULL && next->cap.type == KEEL_MODEL_CAP_REPLY && next->cap.obj == &t->hdr &&
        !(next->cap.flags & CAPF_MASTER)) {
        return next;
    }
    return NULL;
}

static void do_reply_transfer(struct tcb *sender, struct tcb *receiver, struct cte *slot,
                              bool grant)
{
    if (receiver->state != TS_BLOCKED_ON_REPLY) {
        kernel_unlock();
        model_panic("model invariant broken: a reply cap to '%s', which is not waiting for a "
                    "reply",
                    receiver->name);
    }
    if (receiver->fault.type == seL4_Fault_NullFault) {
        do_ipc_transfer(sender, NULL, 0, grant, receiver);
        cte_delete(slot);
        set_thread_state(receiver, TS_RUNNING);
        possible_switch_to(receiver);
    } else {
        cte_delete(slot);
        bool restart = handle_fault_reply(receiver, sender);
        receiver->fault.type = seL4_Fault_NullFault;
        if (restart) {
            set_thread_state(receiver, TS_RESTART);
            possible_switch_to(receiver);
        } else {
            set_thread_state(receiver, TS_INACTIVE);
        }
    }
}

void ipc_reply(struct tcb *t)
{
    struct cte *slot = &t->slots[TCB_CALLER];
    struct cap c = slot->cap;
    if (c.type == KEEL_MODEL_CAP_REPLY && !(c.flags & CAPF_MASTER)) {
        do_reply_transfer(t, (struct tcb *)c.obj, slot, (c.rights & RIGHT_GRANT) != 0);
    }
    /* An empty caller slot: nothing happens. */
}

void tcb_save_caller(struct tcb *t, struct cte *dest)
{
    struct cte *caller = &t->slots[TCB_CALLER];
    if (caller->cap.type == KEEL_MODEL_CAP_REPLY) {
        cte_move(caller->cap, caller, dest);
    }
}

/* ---- Send and receive ------------------------------------------------------------------------ */

void send_ipc(bool blocking, bool call, word_t badge, bool grant, bool grant_reply, struct tcb *t,
              struct endpoint *ep)
{
    if (ep->state != EP_RECV) {
        if (blocking) {
            t->state = TS_BLOCKED_ON_SEND;
            t->blocked_on = &ep->hdr;
            t->blocked_badge = badge;
            t->blocked_grant = grant;
            t->blocked_grant_reply = grant_reply;
            t->blocked_is_call = call;
            schedule_tcb(t);
            tcb_queue_append(&ep->head, &ep->tail, t);
            ep->state = EP_SEND;
        }
        return; /* NBSend with nobody waiting: the message is dropped */
    }
    struct tcb *dest = ep->head;
    ep_remove(ep, dest);
    do_ipc_transfer(t, ep, badge, grant, dest);
    bool reply_grant = dest->blocked_grant;
    set_thread_state(dest, TS_RUNNING);
    possible_switch_to(dest);
    if (call) {
        if (grant || grant_reply) {
            setup_caller_cap(t, dest, reply_grant);
        } else {
            set_thread_state(t, TS_INACTIVE);
        }
    }
}

static void receive_ipc(struct tcb *t, struct cap cap, bool blocking)
{
    struct endpoint *ep = (struct endpoint *)cap.obj;
    bool cap_grant = (cap.rights & RIGHT_GRANT) != 0;
    if (t->bound != NULL && t->bound->state == NTFN_ACTIVE) {
        complete_signal(t->bound, t);
        return;
    }
    if (ep->state != EP_SEND) {
        if (blocking) {
            t->state = TS_BLOCKED_ON_RECEIVE;
            t->blocked_on = &ep->hdr;
            t->blocked_grant = cap_grant;
            schedule_tcb(t);
            tcb_queue_append(&ep->head, &ep->tail, t);
            ep->state = EP_RECV;
        } else {
            t->sr.cptr_or_badge = 0; /* doNBRecvFailedTransfer: only the badge is defined */
        }
        return;
    }
    struct tcb *sender = ep->head;
    ep_remove(ep, sender);
    bool grant = sender->blocked_grant;
    bool grant_reply = sender->blocked_grant_reply;
    do_ipc_transfer(sender, ep, sender->blocked_badge, grant, t);
    /* Non-MCS looks at the call flag only (a fault is always sent as a Call). A stale fault
     * record does not make a Send wait for a reply: that "or a pending fault" rule is MCS's. */
    if (sender->blocked_is_call) {
        if (grant || grant_reply) {
            setup_caller_cap(sender, t, cap_grant);
        } else {
            set_thread_state(sender, TS_INACTIVE);
        }
    } else {
        set_thread_state(sender, TS_RUNNING);
        possible_switch_to(sender);
    }
}

seL4_Error ipc_invoke(struct invocation *inv, struct kerr *e)
{
    struct cap c = inv->cap;
    switch ((keel_model_cap_type)c.type) {
    case KEEL_MODEL_CAP_ENDPOINT:
        if (!(c.rights & RIGHT_WRITE)) {
            return kerr_invalid_capability(e, 0);
        }
        send_ipc(inv->is_blocking, inv->is_call, c.word, (c.rights & RIGHT_GRANT) != 0,
                 (c.rights & RIGHT_GRANT_REPLY) != 0, inv->thread, (struct endpoint *)c.obj);
        return seL4_NoError;
    case KEEL_MODEL_CAP_NOTIFICATION:
        if (!(c.rights & RIGHT_WRITE)) {
            return kerr_invalid_capability(e, 0);
        }
        send_signal((struct notification *)c.obj, c.word);
        return seL4_NoError;
    default: /* reply */
        if (c.flags & CAPF_MASTER) {
            return kerr_invalid_capability(e, 0);
        }
        do_reply_transfer(inv->thread, (struct tcb *)c.obj, inv->slot,
                          (c.rights & RIGHT_GRANT) != 0);
        return seL4_NoError;
    }
}

void ipc_recv(struct tcb *t, struct cte *slot, struct cap cap, struct syscall_regs *r,
              bool blocking)
{
    (void)slot;
    struct lookup_fault missing = {.type = seL4_MissingCapability, .bits_left = 0};
    const char *name = t->sysno == seL4_SysReplyRecv ? "seL4_ReplyRecv"
                       : blocking                    ? "seL4_Recv"
                                                     : "seL4_NBRecv";
    switch ((keel_model_cap_type)cap.type) {
    case KEEL_MODEL_CAP_ENDPOINT:
        if (!(cap.rights & RIGHT_READ)) {
            break;
        }
        cte_delete(&t->slots[TCB_CALLER]); /* an unsaved reply cap is lost */
        receive_ipc(t, cap, blocking);
        return;
    case KEEL_MODEL_CAP_NOTIFICATION: {
        struct notification *n = (struct notification *)cap.obj;
        if (!(cap.rights & RIGHT_READ) || (n->bound != NULL && n->bound != t)) {
            break;
        }
        receive_signal(t, cap, blocking);
        return;
    }
    default:
        break;
    }
    cap_fault(t, name, r->cptr_or_badge, true, &missing);
}

/* ---- Cancelling ------------------------------------------------------------------------------ */

void cancel_ipc(struct tcb *t)
{
    switch (t->state) {
    case TS_BLOCKED_ON_SEND:
    case TS_BLOCKED_ON_RECEIVE:
        ep_remove((struct endpoint *)t->blocked_on, t);
        set_thread_state(t, TS_INACTIVE);
        break;
    case TS_BLOCKED_ON_NOTIFICATION:
        cancel_signal(t, (struct notification *)t->blocked_on);
        break;
    case TS_BLOCKED_ON_REPLY: {
        t->fault.type = seL4_Fault_NullFault;
        struct cte *reply = outstanding_reply(t);
        if (reply != NULL) {
            cte_delete(reply);
        }
        break;
    }
    default:
        break;
    }
}

/* cancelAllIPC: every queued thread restarts (head of its ready queue), in queue order. */
void finalise_endpoint(struct endpoint *ep)
{
    struct tcb *t = ep->head;
    if (t == NULL) {
        return;
    }
    ep->state = EP_IDLE;
    ep->head = ep->tail = NULL;
    restart_queue(t);
}

void endpoint_cancel_badged_sends(struct endpoint *ep, word_t badge)
{
    if (ep->state != EP_SEND) {
        return;
    }
    struct tcb *t = ep->head;
    while (t != NULL) {
        struct tcb *next = t->q_next;
        if (t->blocked_badge == badge) {
            ep_remove(ep, t);
            set_thread_state(t, TS_RESTART);
            sched_enqueue(t);
        }
        t = next;
    }
    reschedule_required();
}

/* ---- The fastpath (counted only) ------------------------------------------------------------- */

/*
 * The conditions of the kernel's fastpath_call / fastpath_reply_recv, checked at entry: a
 * message of at most 4 words and no extra caps, no pending fault, and for a Call an endpoint
 * cap with Send and Grant or GrantReply whose endpoint has a receiver waiting that has a valid
 * VSpace and may run at once (priority not below the caller's, or the highest ready); for a
 * ReplyRecv an endpoint cap with Receive, no active bound notification, no sender waiting, a
 * reply cap in the caller slot whose caller has no fault, a valid VSpace and the highest ready
 * priority. The model takes the same (slow) path either way.
 */
bool fastpath_would_take(struct tcb *t, seL4_Syscall_ID sys)
{
    seL4_MessageInfo_t info = {{t->sr.info}};
    if (seL4_MessageInfo_get_length(info) > seL4_FastMessageRegisters ||
        seL4_MessageInfo_get_extraCaps(info) != 0 || t->fault.type != seL4_Fault_NullFault) {
        return false;
    }
    struct cte *slot;
    struct lookup_fault lf;
    if (!lookup_slot(t, t->sr.cptr_or_badge, &slot, &lf) ||
        slot->cap.type != KEEL_MODEL_CAP_ENDPOINT) {
        return false;
    }
    struct cap c = slot->cap;
    struct endpoint *ep = (struct endpoint *)c.obj;
    if (sys == seL4_SysCall) {
        if (!(c.rights & RIGHT_WRITE) || ep->state != EP_RECV) {
            return false;
        }
        struct tcb *dest = ep->head;
        return is_valid_vtable_root(dest->slots[TCB_VTABLE].cap) &&
               !(dest->priority < t->priority && !is_highest_prio(dest->priority)) &&
               (c.rights & (RIGHT_GRANT | RIGHT_GRANT_REPLY)) != 0;
    }
    if (!(c.rights & RIGHT_READ) || (t->bound != NULL && t->bound->state == NTFN_ACTIVE) ||
        ep->state == EP_SEND) {
        return false;
    }
    struct cap rc = t->slots[TCB_CALLER].cap;
    if (rc.type != KEEL_MODEL_CAP_REPLY || (rc.flags & CAPF_MASTER)) {
        return false;
    }
    struct tcb *caller = (struct tcb *)rc.obj;
    return caller->fault.type == seL4_Fault_NullFault &&
           is_valid_vtable_root(caller->slots[TCB_VTABLE].cap) && is_highest_prio(caller->priority);
}
