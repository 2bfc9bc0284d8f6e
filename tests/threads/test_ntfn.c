/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Notifications on the model (sel4-semantics §8.4, §11.1): the Idle/Waiting/Active state
 * machine, badge OR-ing, Poll, rights, binding and its checks in order, a bound notification
 * waking an endpoint receive, and deletion with waiters.
 */
#include "thread_test.h"

static seL4_CPtr ntfn, ep, done;

static void state_machine_on_one_thread(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr b1 = tt_mint(ntfn, seL4_AllRights, 1);
    seL4_CPtr b4 = tt_mint(ntfn, seL4_AllRights, 4);
    seL4_Word badge = 99;
    /* Idle: Poll returns 0. */
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 0);
    /* Idle -> Active (word 1); Active ORs (5); Wait returns the word and goes Idle. */
    seL4_Signal(b1);
    seL4_Signal(b4);
    seL4_Wait(ntfn, &badge);
    assert_int_equal(badge, 5);
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 0);
    /* The state decides, not the word: a badge-0 signal makes Wait return at once. */
    seL4_Signal(ntfn);
    badge = 99;
    seL4_Wait(ntfn, &badge);
    assert_int_equal(badge, 0);
    /* Poll on Active takes the word. */
    seL4_Signal(b4);
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 4);
    /* Send and Call on a notification signal; Call gets an empty reply. */
    seL4_Send(b1, seL4_MessageInfo_new(0, 0, 0, 0));
    seL4_MessageInfo_t r = seL4_Call(b4, seL4_MessageInfo_new(5, 0, 0, 2));
    assert_int_equal(seL4_MessageInfo_get_label(r), 0);
    assert_int_equal(seL4_MessageInfo_get_length(r), 0);
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 5);
    keel_model_shutdown();
}

static void rights_of_notification_caps(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr recv_only = tt_mint(ntfn, seL4_CanRead, 0);
    seL4_CPtr send_only = tt_mint(ntfn, seL4_CanWrite, 0);
    /* Without Send: InvalidCapability(0) for Call, nothing for Send. */
    seL4_MessageInfo_t r = seL4_Call(recv_only, seL4_MessageInfo_new(0, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_InvalidCapability);
    assert_int_equal(seL4_GetMR(0), 0);
    seL4_Signal(recv_only);
    seL4_Word badge = 99;
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 0); /* still Idle */
    /* Without Receive: Wait and Poll are cap faults (MissingCapability, 0 bits, receive). */
    seL4_Signal(send_only);
    EXPECT_CAP_FAULT(seL4_Wait(send_only, &badge));
    assert_true(model_test_last_fault.in_recv_phase);
    assert_int_equal(model_test_last_fault.cptr, send_only);
    assert_int_equal(model_test_last_fault.lookup[0], seL4_MissingCapability);
    assert_int_equal(model_test_last_fault.lookup[1], 0);
    EXPECT_CAP_FAULT(seL4_Poll(send_only, &badge));
    /* A Recv on something that is neither an endpoint nor a notification faults too. */
    EXPECT_CAP_FAULT(seL4_Recv(seL4_CapInitThreadTCB, &badge));
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 0);
    keel_model_shutdown();
}

static void waiter(seL4_Word arg)
{
    seL4_Word badge;
    seL4_Wait(ntfn, &badge);
    tt_log("waiter %lu woke with %lu", (unsigned long)arg, (unsigned long)badge);
    seL4_Signal(done);
}

/* Waiting: a signal wakes the first waiter (FIFO) with its badge, not OR-ed. */
static void waiters_are_woken_in_order(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr w1 = tt_thread("w1", waiter, 1, 100);
    tt_let_others_run();
    seL4_CPtr w2 = tt_thread("w2", waiter, 2, 200);
    tt_let_others_run();
    seL4_CPtr b2 = tt_mint(ntfn, seL4_AllRights, 2);
    seL4_CPtr b8 = tt_mint(ntfn, seL4_AllRights, 8);
    seL4_Signal(b2);
    assert_int_equal(tt_state(w1), KEEL_MODEL_THREAD_RUNNING);
    assert_int_equal(tt_state(w2), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
    seL4_Signal(b8);
    (void)tt_wait(done);
    (void)tt_wait(done);
    /* w2 has the higher priority, so it logs first, but w1 was first in the queue. */
    assert_string_equal(tt_transcript(), "waiter 2 woke with 8\nwaiter 1 woke with 2\n");
    /* Nobody waits now: the notification is Idle. */
    seL4_Word badge = 99;
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 0);
    keel_model_shutdown();
}

static seL4_CPtr self, go, sender_tcb;

static void bound_receiver(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_Recv(ep, &badge);
    tt_log("recv badge %lu len %lu", (unsigned long)badge,
           (unsigned long)seL4_MessageInfo_get_length(info));
    seL4_Word after = 99;
    (void)seL4_Poll(ntfn, &after);
    tt_log("poll after %lu", (unsigned long)after);
    /* ReplyRecv woken by the notification: message info and MR0 are what was passed in. */
    seL4_Word mr0 = 42;
    info =
        seL4_ReplyRecvWithMRs(ep, seL4_MessageInfo_new(3, 0, 0, 1), &badge, &mr0, NULL, NULL, NULL);
    tt_log("replyrecv badge %lu label %lu len %lu mr0 %lu", (unsigned long)badge,
           (unsigned long)seL4_MessageInfo_get_label(info),
           (unsigned long)seL4_MessageInfo_get_length(info), (unsigned long)mr0);
    /* Wait (elsewhere) until a sender is queued on ep and the notification is Active. */
    seL4_Wait(go, &badge);
    /* An active bound notification wins over a queued sender, which stays queued. */
    info = seL4_Recv(ep, &badge);
    tt_log("recv with sender queued: badge %lu", (unsigned long)badge);
    T_CHECK(tt_state(sender_tcb) == KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    info = seL4_Recv(ep, &badge);
    tt_log("then the sender: badge %lu mr0 %lu", (unsigned long)badge,
           (unsigned long)seL4_GetMR(0));
    seL4_Signal(done);
}

static void queued_sender(seL4_Word arg)
{
    seL4_SetMR(0, 55);
    seL4_Send(arg, seL4_MessageInfo_new(0, 0, 0, 1));
}

static void bound_notification_wakes_endpoint_receive(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    go = tt_new(seL4_NotificationObject, 0);
    self = tt_thread_new("bound", 100, 0);
    assert_int_equal(seL4_TCB_BindNotification(self, ntfn), seL4_NoError);
    tt_thread_start(self, bound_receiver, 0);
    tt_let_others_run();
    assert_int_equal(tt_state(self), KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE);
    /* Idle and bound to a thread in an endpoint receive: that thread wakes, still Idle. */
    seL4_Signal(tt_mint(ntfn, seL4_AllRights, 6));
    assert_int_equal(tt_state(self), KEEL_MODEL_THREAD_RUNNING);
    tt_let_others_run();
    assert_int_equal(tt_state(self), KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE); /* in ReplyRecv */
    seL4_Signal(tt_mint(ntfn, seL4_AllRights, 9));
    tt_let_others_run();
    assert_int_equal(tt_state(self), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
    /* A sender queues, the notification goes Active (1 | 16), then the receiver goes on. */
    sender_tcb = tt_thread("sender", queued_sender, tt_mint(ep, seL4_AllRights, 3), 150);
    tt_let_others_run();
    assert_int_equal(tt_state(sender_tcb), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    seL4_Signal(tt_mint(ntfn, seL4_AllRights, 1));
    seL4_Signal(tt_mint(ntfn, seL4_AllRights, 16));
    seL4_Signal(go);
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "recv badge 6 len 0\n"
                                         "poll after 0\n"
                                         "replyrecv badge 9 label 3 len 1 mr0 42\n"
                                         "recv with sender queued: badge 17\n"
                                         "then the sender: badge 3 mr0 55\n");
    TT_CHECKS();
    keel_model_shutdown();
}

static void bind_checks_in_order(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr n2 = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr t = tt_thread_new("t", 100, 0);
    seL4_CPtr u = tt_thread_new("u", 100, 0);
    /* No extra cap: TruncatedMessage (before any other check, even on a bound TCB). */
    seL4_MessageInfo_t r = seL4_Call(t, seL4_MessageInfo_new(TCBBindNotification, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_TruncatedMessage);
    /* Not a notification; no Receive right. */
    assert_int_equal(seL4_TCB_BindNotification(t, seL4_CapInitThreadTCB), seL4_IllegalOperation);
    assert_int_equal(seL4_TCB_BindNotification(t, tt_mint(ntfn, seL4_CanWrite, 0)),
                     seL4_IllegalOperation);
    /* Bound. Then: the TCB is already bound; the notification is already bound. */
    assert_int_equal(seL4_TCB_BindNotification(t, ntfn), seL4_NoError);
    r = seL4_Call(t, seL4_MessageInfo_new(TCBBindNotification, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_TruncatedMessage);
    assert_int_equal(seL4_TCB_BindNotification(t, n2), seL4_IllegalOperation);
    assert_int_equal(seL4_TCB_BindNotification(u, ntfn), seL4_IllegalOperation);
    /* Only the bound thread may wait on it. */
    seL4_Word badge;
    EXPECT_CAP_FAULT(seL4_Poll(ntfn, &badge));
    /* Unbind; unbinding again is IllegalOperation. */
    assert_int_equal(seL4_TCB_UnbindNotification(t), seL4_NoError);
    assert_int_equal(seL4_TCB_UnbindNotification(t), seL4_IllegalOperation);
    (void)seL4_Poll(ntfn, &badge); /* unbound: anyone may */
    /* A notification with waiters cannot be bound. */
    done = tt_new(seL4_NotificationObject, 0);
    tt_thread("w", waiter, 1, 100);
    tt_let_others_run();
    assert_int_equal(seL4_TCB_BindNotification(u, ntfn), seL4_IllegalOperation);
    seL4_Signal(ntfn);
    (void)tt_wait(done);
    assert_int_equal(seL4_TCB_BindNotification(u, ntfn), seL4_NoError);
    keel_model_shutdown();
}

static void bound_caller_is_not_woken(seL4_Word arg)
{
    (void)arg;
    (void)seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, 0));
    tt_log("call returned");
    seL4_Signal(done);
}

/* A bound thread waiting for a reply is not woken: the notification goes Active. */
static void bound_thread_in_call_is_not_woken(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr t = tt_thread_new("caller", 100, 0);
    assert_int_equal(seL4_TCB_BindNotification(t, ntfn), seL4_NoError);
    tt_thread_start(t, bound_caller_is_not_woken, 0);
    seL4_Word badge;
    (void)seL4_Recv(ep, &badge);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);
    seL4_Signal(tt_mint(ntfn, seL4_AllRights, 3));
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);
    seL4_Reply(seL4_MessageInfo_new(0, 0, 0, 0));
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "call returned\n");
    /* The signal is still there for its next receive: unbind and poll it from here. */
    assert_int_equal(seL4_TCB_UnbindNotification(t), seL4_NoError);
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 3);
    keel_model_shutdown();
}

static void wait_then_fault(seL4_Word arg)
{
    seL4_Word badge;
    seL4_Wait(arg, &badge);
    T_CHECK(false);
}

/* Deleting a notification: waiters restart (and re-execute their Wait), the TCB is unbound. */
static void deleting_a_notification(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr fault_ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr bound = tt_thread_new("bound", 100, 0);
    assert_int_equal(seL4_TCB_BindNotification(bound, ntfn), seL4_NoError);
    assert_int_equal(seL4_TCB_UnbindNotification(bound), seL4_NoError);
    seL4_CPtr w = tt_thread_new("w", 100, fault_ep);
    tt_thread_start(w, wait_then_fault, ntfn);
    tt_let_others_run();
    assert_int_equal(seL4_TCB_BindNotification(bound, tt_new(seL4_NotificationObject, 0)),
                     seL4_NoError);
    assert_int_equal(tt_state(w), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, ntfn, 64), seL4_NoError);
    assert_int_equal(tt_state(w), KEEL_MODEL_THREAD_RESTART);
    seL4_Word badge;
    seL4_MessageInfo_t f = seL4_Recv(fault_ep, &badge);
    assert_int_equal(seL4_MessageInfo_get_label(f), seL4_Fault_CapFault);
    assert_int_equal(seL4_GetMR(seL4_CapFault_Addr), ntfn);
    assert_int_equal(seL4_GetMR(seL4_CapFault_InRecvPhase), 1);
    /* Deleting a bound notification unbinds its TCB. */
    seL4_CPtr n3 = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr t3 = tt_thread_new("t3", 100, 0);
    assert_int_equal(seL4_TCB_BindNotification(t3, n3), seL4_NoError);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, n3, 64), seL4_NoError);
    assert_int_equal(seL4_TCB_UnbindNotification(t3), seL4_IllegalOperation);
    TT_CHECKS();
    MODEL_CHECK();
    keel_model_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(state_machine_on_one_thread),
        cmocka_unit_test(rights_of_notification_caps),
        cmocka_unit_test(waiters_are_woken_in_order),
        cmocka_unit_test(bound_notification_wakes_endpoint_receive),
        cmocka_unit_test(bind_checks_in_order),
        cmocka_unit_test(bound_thread_in_call_is_not_woken),
        cmocka_unit_test(deleting_a_notification),
    };
    return cmocka_run_group_tests_name("threads.ntfn", tests, NULL, NULL);
}
