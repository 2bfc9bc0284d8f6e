/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Reply caps, Grant/GrantReply, cap transfer and unwrapping, and what deleting an endpoint or
 * cancelling badged sends does to queued threads (sel4-semantics §8.2, §8.3, §6.3, §7.2,
 * §11.1 observed facts).
 */
#include <string.h>

#include "thread_test.h"

static seL4_CPtr ep, done;

static seL4_CPtr client_cap;
static seL4_MessageInfo_t client_reply;
static seL4_Word client_mr0;

static void client(seL4_Word arg)
{
    seL4_SetMR(0, arg);
    client_reply = seL4_Call(client_cap, seL4_MessageInfo_new(1, 0, 0, 1));
    client_mr0 = seL4_GetMR(0);
    tt_log("client %lu got label %lu len %lu mr0 %lu", (unsigned long)arg,
           (unsigned long)seL4_MessageInfo_get_label(client_reply),
           (unsigned long)seL4_MessageInfo_get_length(client_reply), (unsigned long)client_mr0);
    seL4_Signal(done);
}

/* Receive one call on the root thread (the client at 100 runs while the root waits). */
static seL4_MessageInfo_t root_receive(seL4_Word *badge)
{
    return seL4_Recv(ep, badge);
}

/* A fresh world with `ep` and `done`, and a client thread that Calls through `cap` (from
 * cap_of(ep)) with `arg`. */
static seL4_CPtr boot_with_client(seL4_CPtr (*cap_of)(seL4_CPtr ep), seL4_Word arg)
{
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    client_cap = cap_of(ep);
    return tt_thread("client", client, arg, 100);
}

static seL4_CPtr the_ep(seL4_CPtr e)
{
    return e;
}

static seL4_CPtr without_grant(seL4_CPtr e)
{
    return tt_mint(e, seL4_CapRights_new(0, 0, 1, 1), 0);
}

/* A Call through a cap without Grant or GrantReply leaves the caller Inactive, no reply cap. */
static void call_without_grant_leaves_caller_inactive(void **state)
{
    (void)state;
    seL4_CPtr c = boot_with_client(without_grant, 1);
    seL4_Word badge;
    root_receive(&badge);
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_INACTIVE);
    seL4_CPtr save = tt_slot();
    assert_int_equal(seL4_CNode_SaveCaller(seL4_CapInitThreadCNode, save, 64), seL4_NoError);
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(save, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL); /* there was no reply cap */
    seL4_Reply(seL4_MessageInfo_new(0, 0, 0, 0));     /* nothing to reply to */
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_INACTIVE);
    /* Resume makes it Call again. */
    assert_int_equal(seL4_TCB_Resume(c), seL4_NoError);
    (void)root_receive(&badge);
    assert_int_equal(seL4_GetMR(0), 1);
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_INACTIVE);
    /* GrantReply alone is enough for a reply cap. */
    client_cap = tt_mint(ep, seL4_CapRights_new(1, 0, 1, 1), 0);
    c = tt_thread("client2", client, 2, 100);
    (void)root_receive(&badge);
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);
    seL4_SetMR(0, 77);
    seL4_Reply(seL4_MessageInfo_new(4, 0, 0, 1));
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "client 2 got label 4 len 1 mr0 77\n");
    MODEL_CHECK();
    keel_model_shutdown();
}

/* The same rules with the caller queued in its Call before the receiver comes (receiveIPC
 * rather than sendIPC): without Grant or GrantReply the caller ends Inactive with no reply cap;
 * with GrantReply alone it waits for a reply through a reply cap. */
static void grant_rules_with_the_caller_queued_first(void **state)
{
    (void)state;
    seL4_CPtr c = boot_with_client(without_grant, 1);
    tt_let_others_run();
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    size_t reply_caps = keel_model_cap_count(KEEL_MODEL_CAP_REPLY); /* the two masters */
    seL4_Word badge;
    (void)seL4_Recv(ep, &badge);
    assert_int_equal(seL4_GetMR(0), 1);
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_INACTIVE);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_REPLY), reply_caps);
    seL4_CPtr save = tt_slot();
    assert_int_equal(seL4_CNode_SaveCaller(seL4_CapInitThreadCNode, save, 64), seL4_NoError);
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(save, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);

    client_cap = tt_mint(ep, seL4_CapRights_new(1, 0, 1, 1), 0);
    c = tt_thread("client2", client, 2, 100);
    tt_let_others_run();
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    reply_caps = keel_model_cap_count(KEEL_MODEL_CAP_REPLY);
    (void)seL4_Recv(ep, &badge);
    assert_int_equal(seL4_GetMR(0), 2);
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_REPLY), reply_caps + 1);
    seL4_SetMR(0, 78);
    seL4_Reply(seL4_MessageInfo_new(4, 0, 0, 1));
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "client 2 got label 4 len 1 mr0 78\n");
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_REPLY), reply_caps);
    MODEL_CHECK();
    keel_model_shutdown();
}

static void saved_reply_caps(void **state)
{
    (void)state;
    seL4_CPtr c = boot_with_client(the_ep, 5);
    seL4_Word badge;
    (void)root_receive(&badge);
    /* SaveCaller moves the reply cap out of the caller slot. */
    seL4_CPtr saved = tt_slot();
    assert_int_equal(seL4_CNode_SaveCaller(seL4_CapInitThreadCNode, saved, 64), seL4_NoError);
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(saved, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_REPLY);
    assert_false(info.original);
    /* Into an occupied slot: DeleteFirst. */
    assert_int_equal(seL4_CNode_SaveCaller(seL4_CapInitThreadCNode, saved, 64), seL4_DeleteFirst);
    /* A reply cap cannot be copied (derives to nothing). */
    assert_int_equal(seL4_CNode_Copy(seL4_CapInitThreadCNode, tt_slot(), 64,
                                     seL4_CapInitThreadCNode, saved, 64, seL4_AllRights),
                     seL4_IllegalOperation);
    /* The caller slot is empty now: Reply does nothing, the client still waits. */
    seL4_Reply(seL4_MessageInfo_new(0, 0, 0, 0));
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);
    /* A receive in between does not lose a saved reply. */
    seL4_Word b2 = 1;
    (void)seL4_NBRecv(ep, &b2);
    assert_int_equal(b2, 0);
    /* Call through the saved reply cap: the client gets the message; the invoker gets an
     * empty reply (label 0, length 0) (§11.1). */
    seL4_SetMR(0, 123);
    seL4_MessageInfo_t r = seL4_Call(saved, seL4_MessageInfo_new(9, 0, 0, 1));
    assert_int_equal(seL4_MessageInfo_get_label(r), 0);
    assert_int_equal(seL4_MessageInfo_get_length(r), 0);
    assert_int_equal(keel_model_cap(saved, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL); /* used up */
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "client 5 got label 9 len 1 mr0 123\n");
    /* Send through a saved reply cap works the same. */
    tt_log_reset();
    c = tt_thread("client", client, 6, 100);
    (void)root_receive(&badge);
    saved = tt_slot();
    assert_int_equal(seL4_CNode_SaveCaller(seL4_CapInitThreadCNode, saved, 64), seL4_NoError);
    seL4_SetMR(0, 124);
    seL4_Send(saved, seL4_MessageInfo_new(8, 0, 0, 1));
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "client 6 got label 8 len 1 mr0 124\n");
    /* A used-up reply slot is empty: Call on it is InvalidCapability(0). */
    r = seL4_Call(saved, seL4_MessageInfo_new(0, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_InvalidCapability);
    MODEL_CHECK();
    keel_model_shutdown();
}

/* A receive deletes an unsaved reply cap: the caller waits until it is resumed. */
static void unsaved_reply_is_lost_and_resume_recalls(void **state)
{
    (void)state;
    seL4_CPtr c = boot_with_client(the_ep, 7);
    seL4_Word badge;
    (void)root_receive(&badge);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_REPLY), 3); /* 2 masters + 1 */
    (void)seL4_NBRecv(ep, &badge);                                   /* deletes the reply cap */
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_REPLY), 2);
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);
    /* Resume cancels the wait for a reply: the client calls again. */
    assert_int_equal(seL4_TCB_Resume(c), seL4_NoError);
    (void)root_receive(&badge);
    assert_int_equal(seL4_GetMR(0), 7);
    /* Suspend of a client waiting for a reply deletes the server's reply cap. */
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_REPLY), 3);
    assert_int_equal(seL4_TCB_Suspend(c), seL4_NoError);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_REPLY), 2);
    seL4_Reply(seL4_MessageInfo_new(0, 0, 0, 0));
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_INACTIVE);
    MODEL_CHECK();
    keel_model_shutdown();
}

/* ---- Cap transfer ---------------------------------------------------------------------------- */

static seL4_MessageInfo_t got;
static seL4_Word got_badges[3];

static void cap_receiver(seL4_Word arg)
{
    seL4_SetCapReceivePath(seL4_CapInitThreadCNode, arg, 64);
    seL4_Word badge;
    got = seL4_Recv(ep, &badge);
    for (int i = 0; i < 3; i++) {
        got_badges[i] = seL4_GetBadge(i);
    }
    seL4_Signal(done);
}

/* Send from the root with `n` extra caps through `through`, to a receiver with slot `slot`. */
static void transfer(seL4_CPtr through, const seL4_CPtr *caps, unsigned n, seL4_CPtr slot)
{
    memset(&got, 0, sizeof(got));
    memset(got_badges, 0, sizeof(got_badges));
    tt_thread("receiver", cap_receiver, slot, 100);
    tt_let_others_run();
    for (unsigned i = 0; i < n; i++) {
        seL4_SetCap((int)i, caps[i]);
    }
    seL4_Send(through, seL4_MessageInfo_new(0, 0, n, 0));
    (void)tt_wait(done);
}

static void cap_transfer_and_unwrapping(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr n = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr n2 = tt_new(seL4_NotificationObject, 0);
    keel_model_cap_info info;

    /* With Grant: one cap goes into the receive slot, a CDT copy of the sender's. */
    seL4_CPtr slot = tt_slot();
    seL4_CPtr caps1[] = {n};
    transfer(ep, caps1, 1, slot);
    assert_int_equal(seL4_MessageInfo_get_extraCaps(got), 1);
    assert_int_equal(seL4_MessageInfo_get_capsUnwrapped(got), 0);
    assert_int_equal(keel_model_cap(slot, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NOTIFICATION);
    assert_false(info.original);

    /* Without Grant: no caps, extraCaps 0. */
    seL4_CPtr no_grant = tt_mint(ep, seL4_CapRights_new(1, 0, 1, 1), 0);
    slot = tt_slot();
    transfer(no_grant, caps1, 1, slot);
    assert_int_equal(seL4_MessageInfo_get_extraCaps(got), 0);
    assert_int_equal(keel_model_cap(slot, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);

    /* Two caps and one slot: the first is transferred, the second stops the transfer. */
    slot = tt_slot();
    seL4_CPtr caps2[] = {n, n2};
    transfer(ep, caps2, 2, slot);
    assert_int_equal(seL4_MessageInfo_get_extraCaps(got), 1);

    /* A cap to the endpoint itself is unwrapped: its badge, no slot used; then a real cap. */
    seL4_CPtr self77 = tt_mint(ep, seL4_AllRights, 77);
    slot = tt_slot();
    seL4_CPtr caps3[] = {self77, n};
    transfer(ep, caps3, 2, slot);
    assert_int_equal(seL4_MessageInfo_get_extraCaps(got), 2);
    assert_int_equal(seL4_MessageInfo_get_capsUnwrapped(got), 1);
    assert_int_equal(got_badges[0], 77);
    assert_int_equal(keel_model_cap(slot, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NOTIFICATION);

    /* No usable receive slot (occupied, or a path that does not resolve): nothing moves, the
     * message still arrives, silently. */
    seL4_CPtr caps4[] = {n};
    transfer(ep, caps4, 1, slot); /* slot is occupied now */
    assert_int_equal(seL4_MessageInfo_get_extraCaps(got), 0);
    transfer(ep, caps4, 1, 1ull << 40); /* guard mismatch in the root CNode */
    assert_int_equal(seL4_MessageInfo_get_extraCaps(got), 0);

    /* A cap that derives to nothing (an empty slot) stops the transfer. */
    seL4_CPtr empty = tt_slot();
    seL4_CPtr caps5[] = {empty, n};
    slot = tt_slot();
    transfer(ep, caps5, 2, slot);
    assert_int_equal(seL4_MessageInfo_get_extraCaps(got), 0);
    /* Unwrapped caps still count after a failed one before them is not possible: unwrapping
     * first, then the empty slot stops. */
    seL4_CPtr caps6[] = {self77, empty};
    transfer(ep, caps6, 2, slot);
    assert_int_equal(seL4_MessageInfo_get_extraCaps(got), 1);
    assert_int_equal(seL4_MessageInfo_get_capsUnwrapped(got), 1);
    /* After the cap that used the slot, caps to the endpoint are still unwrapped: bits 1, 2. */
    seL4_CPtr self78 = tt_mint(ep, seL4_AllRights, 78);
    slot = tt_slot();
    seL4_CPtr caps7[] = {n, self77, self78};
    transfer(ep, caps7, 3, slot);
    assert_int_equal(seL4_MessageInfo_get_extraCaps(got), 3);
    assert_int_equal(seL4_MessageInfo_get_capsUnwrapped(got), 6);
    assert_int_equal(got_badges[1], 77);
    assert_int_equal(got_badges[2], 78);
    assert_int_equal(keel_model_cap(slot, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NOTIFICATION);
    TT_CHECKS();
    MODEL_CHECK();
    keel_model_shutdown();
}

static seL4_CPtr late_slot;

static void send_late_cap(seL4_Word arg)
{
    (void)arg;
    seL4_SetCap(0, late_slot); /* empty when it sends: a lookup that succeeds, to nothing */
    seL4_Send(ep, seL4_MessageInfo_new(0, 0, 1, 0));
}

/* A blocked sender's extra caps are looked up at the rendezvous, not when it sent. */
static void extra_caps_looked_up_at_the_rendezvous(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    late_slot = tt_slot();
    tt_thread("sender", send_late_cap, 0, 100);
    tt_let_others_run(); /* it blocks in Send */
    seL4_CPtr n = tt_new(seL4_NotificationObject, 0);
    assert_int_equal(seL4_CNode_Copy(seL4_CapInitThreadCNode, late_slot, 64,
                                     seL4_CapInitThreadCNode, n, 64, seL4_AllRights),
                     seL4_NoError);
    seL4_CPtr slot = tt_slot();
    seL4_SetCapReceivePath(seL4_CapInitThreadCNode, slot, 64);
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_Recv(ep, &badge);
    assert_int_equal(seL4_MessageInfo_get_extraCaps(info), 1);
    keel_model_cap_info ci;
    assert_int_equal(keel_model_cap(slot, &ci), 0);
    assert_int_equal(ci.type, KEEL_MODEL_CAP_NOTIFICATION);
    MODEL_CHECK();
    keel_model_shutdown();
}

static seL4_CPtr reply_with;

static void grant_server(seL4_Word arg)
{
    seL4_Word badge;
    (void)seL4_Recv(arg, &badge);
    seL4_SetCap(0, reply_with);
    seL4_Reply(seL4_MessageInfo_new(0, 0, 1, 0));
}

/* A reply carries caps only if the server received on a cap with Grant; it never unwraps. */
static void reply_cap_grant_and_no_unwrapping(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    keel_model_cap_info info;
    /* Server receives through a cap without Grant: its reply cap cannot grant. */
    reply_with = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr recv_no_grant = tt_mint(ep, seL4_CapRights_new(0, 0, 1, 1), 0);
    tt_thread("server", grant_server, recv_no_grant, 100);
    seL4_CPtr slot = tt_slot();
    seL4_SetCapReceivePath(seL4_CapInitThreadCNode, slot, 64);
    seL4_MessageInfo_t r = seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_extraCaps(r), 0);
    assert_int_equal(keel_model_cap(slot, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);
    /* With Grant the cap arrives; a reply with a cap to the endpoint is not unwrapped. */
    reply_with = ep;
    tt_thread("server", grant_server, ep, 100);
    r = seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_extraCaps(r), 1);
    assert_int_equal(seL4_MessageInfo_get_capsUnwrapped(r), 0);
    assert_int_equal(keel_model_cap(slot, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ENDPOINT);
    MODEL_CHECK();
    keel_model_shutdown();
}

/* ---- Deleting an endpoint under waiters, CancelBadgedSends ----------------------------------- */

static seL4_CPtr fault_ep;

static void recv_on(seL4_Word cptr)
{
    seL4_Word badge;
    (void)seL4_Recv(cptr, &badge);
    T_CHECK(false); /* never gets a message */
}

static void send_on(seL4_Word cptr)
{
    seL4_Send(cptr, seL4_MessageInfo_new(0, 0, 0, 0));
    tt_log("send returned");
    seL4_Signal(done);
}

static void call_on(seL4_Word cptr)
{
    seL4_MessageInfo_t r = seL4_Call(cptr, seL4_MessageInfo_new(0, 0, 0, 0));
    tt_log("call returned label %lu len %lu mr0 %lu", (unsigned long)seL4_MessageInfo_get_label(r),
           (unsigned long)seL4_MessageInfo_get_length(r), (unsigned long)seL4_GetMR(0));
    seL4_Signal(done);
}

/* §11.1: deleting an endpoint restarts its queue; Recv then cap-faults on its empty CPtr,
 * Send just returns, Call gets InvalidCapability (label 2, length 1, MR0 0). */
static void endpoint_deletion_under_waiters(void **state)
{
    (void)state;
    tt_boot();
    done = tt_new(seL4_NotificationObject, 0);
    fault_ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr recv_ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr r = tt_thread_new("receiver", 100, fault_ep);
    tt_thread_start(r, recv_on, recv_ep);
    tt_let_others_run();
    assert_int_equal(tt_state(r), KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, recv_ep, 64), seL4_NoError);
    assert_int_equal(tt_state(r), KEEL_MODEL_THREAD_RESTART);
    seL4_Word badge;
    seL4_MessageInfo_t f = seL4_Recv(fault_ep, &badge);
    assert_int_equal(seL4_MessageInfo_get_label(f), seL4_Fault_CapFault);
    assert_int_equal(seL4_GetMR(seL4_CapFault_Addr), recv_ep);
    assert_int_equal(seL4_GetMR(seL4_CapFault_InRecvPhase), 1);
    assert_int_equal(seL4_GetMR(seL4_CapFault_LookupFailureType), seL4_MissingCapability);
    assert_int_equal(seL4_GetMR(seL4_CapFault_BitsLeft), 0);
    assert_int_equal(tt_state(r), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);

    seL4_CPtr send_ep = tt_new(seL4_EndpointObject, 0);
    tt_thread("sender", send_on, send_ep, 100);
    tt_thread("caller", call_on, send_ep, 100);
    tt_let_others_run();
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, send_ep, 64), seL4_NoError);
    (void)tt_wait(done);
    (void)tt_wait(done);
    /* Restarted in queue order (caller, sender), each at the head: the sender runs first. */
    assert_string_equal(tt_transcript(), "send returned\ncall returned label 2 len 1 mr0 0\n");
    TT_CHECKS();
    MODEL_CHECK();
    keel_model_shutdown();
}

static void badged_sender(seL4_Word arg)
{
    seL4_SetMR(0, arg & 0xff);
    seL4_Send(arg >> 8, seL4_MessageInfo_new(0, 0, 0, 1));
}

static void cancel_badged_sends(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr b1 = tt_mint(ep, seL4_AllRights, 1);
    seL4_CPtr b2 = tt_mint(ep, seL4_AllRights, 2);
    seL4_CPtr order[] = {b1, b2, b1};
    seL4_CPtr t[3];
    for (seL4_Word i = 0; i < 3; i++) {
        t[i] = tt_thread("sender", badged_sender, (order[i] << 8) | (10 + i), 100);
        tt_let_others_run();
    }
    /* Rights checks: an unbadged cap does nothing; a cap without all rights is refused. */
    seL4_CPtr weak = tt_slot();
    assert_int_equal(seL4_CNode_Copy(seL4_CapInitThreadCNode, weak, 64, seL4_CapInitThreadCNode, b1,
                                     64, seL4_CanWrite),
                     seL4_NoError);
    assert_int_equal(seL4_CNode_CancelBadgedSends(seL4_CapInitThreadCNode, weak, 64),
                     seL4_IllegalOperation);
    assert_int_equal(seL4_CNode_CancelBadgedSends(seL4_CapInitThreadCNode, ep, 64), seL4_NoError);
    assert_int_equal(tt_state(t[0]), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    /* Badge 1: senders 10 and 12 restart (and re-queue behind 11 when they run again). */
    assert_int_equal(seL4_CNode_CancelBadgedSends(seL4_CapInitThreadCNode, b1, 64), seL4_NoError);
    assert_int_equal(tt_state(t[0]), KEEL_MODEL_THREAD_RESTART);
    assert_int_equal(tt_state(t[1]), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    assert_int_equal(tt_state(t[2]), KEEL_MODEL_THREAD_RESTART);
    tt_let_others_run();
    seL4_Word got_mr[3];
    for (int i = 0; i < 3; i++) {
        seL4_Word badge;
        (void)seL4_Recv(ep, &badge);
        got_mr[i] = seL4_GetMR(0);
    }
    /* 12 was restarted last, so it re-sent first. */
    assert_int_equal(got_mr[0], 11);
    assert_int_equal(got_mr[1], 12);
    assert_int_equal(got_mr[2], 10);
    MODEL_CHECK();
    keel_model_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(call_without_grant_leaves_caller_inactive),
        cmocka_unit_test(grant_rules_with_the_caller_queued_first),
        cmocka_unit_test(saved_reply_caps),
        cmocka_unit_test(unsaved_reply_is_lost_and_resume_recalls),
        cmocka_unit_test(cap_transfer_and_unwrapping),
        cmocka_unit_test(extra_caps_looked_up_at_the_rendezvous),
        cmocka_unit_test(reply_cap_grant_and_no_unwrapping),
        cmocka_unit_test(endpoint_deletion_under_waiters),
        cmocka_unit_test(cancel_badged_sends),
    };
    return cmocka_run_group_tests_name("threads.reply", tests, NULL, NULL);
}
