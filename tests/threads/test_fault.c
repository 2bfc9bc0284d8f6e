/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Cap faults (sel4-semantics §2.3): delivered to the faulting thread's fault endpoint as a
 * seL4_Fault_CapFault message (seL4_CapFault_Msg layout), answered by a reply that restarts
 * the faulting syscall; without a usable fault endpoint the thread stops and the fault hook
 * says so.
 */
#include <signal.h>
#include <string.h>

#include "thread_test.h"

static seL4_CPtr ep, fault_ep, done;

static seL4_Word bad_cptr, extra_cptr;

static void call_bad(seL4_Word arg)
{
    (void)arg;
    seL4_MessageInfo_t r = seL4_Call(bad_cptr, seL4_MessageInfo_new(0, 0, 0, 0));
    tt_log("call returned label %lu", (unsigned long)seL4_MessageInfo_get_label(r));
    seL4_Signal(done);
}

/* The fault message, its badge, the reply cap, and the restart of the faulting syscall. */
static void cap_fault_goes_to_the_fault_endpoint(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    fault_ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr badged_fault_ep = tt_mint(fault_ep, seL4_AllRights, 0x99);
    bad_cptr = 1ull << 40; /* bits above the root CNode's 12: guard mismatch */
    seL4_CPtr t = tt_thread_new("faulter", 100, badged_fault_ep);
    tt_thread_start(t, call_bad, 0);
    seL4_Word badge;
    seL4_MessageInfo_t f = seL4_Recv(fault_ep, &badge);
    assert_int_equal(badge, 0x99);
    assert_int_equal(seL4_MessageInfo_get_label(f), seL4_Fault_CapFault);
    assert_int_equal(seL4_MessageInfo_get_length(f), 7);
    assert_int_equal(seL4_GetMR(seL4_CapFault_IP), (seL4_Word)(uintptr_t)call_bad);
    assert_int_equal(seL4_GetMR(seL4_CapFault_Addr), bad_cptr);
    assert_int_equal(seL4_GetMR(seL4_CapFault_InRecvPhase), 0);
    assert_int_equal(seL4_GetMR(seL4_CapFault_LookupFailureType), seL4_GuardMismatch);
    assert_int_equal(seL4_GetMR(seL4_CapFault_BitsLeft), 64);
    assert_int_equal(seL4_GetMR(seL4_CapFault_GuardMismatch_GuardFound), 0);
    assert_int_equal(seL4_GetMR(seL4_CapFault_GuardMismatch_BitsFound), 52);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);
    keel_model_counters c;
    keel_model_counters_get(&c);
    assert_int_equal(c.faults, 1);
    /* Replying restarts the faulting Call: it faults again. */
    seL4_Reply(seL4_MessageInfo_new(0, 0, 0, 0));
    f = seL4_Recv(fault_ep, &badge);
    assert_int_equal(seL4_MessageInfo_get_label(f), seL4_Fault_CapFault);
    /* Fix its register (the CPtr, in rdi) and reply: the restarted Call now reaches ep. */
    seL4_UserContext regs;
    assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 20, &regs), seL4_NoError);
    assert_int_equal(regs.rdi, bad_cptr);
    assert_int_equal(regs.rip, (seL4_Word)(uintptr_t)call_bad);
    regs.rdi = ep;
    assert_int_equal(seL4_TCB_WriteRegisters(t, false, 0, 20, &regs), seL4_NoError);
    seL4_Reply(seL4_MessageInfo_new(0, 0, 0, 0));
    (void)seL4_Recv(ep, &badge);
    seL4_Reply(seL4_MessageInfo_new(5, 0, 0, 0));
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "call returned label 5\n");
    TT_CHECKS();
    MODEL_CHECK();
    keel_model_shutdown();
}

static void send_with_bad_extra(seL4_Word arg)
{
    seL4_SetCap(0, extra_cptr);
    if (arg == 1) {
        seL4_NBSend(ep, seL4_MessageInfo_new(0, 0, 1, 0)); /* NBSend: no fault at all */
        tt_log("nbsend returned");
    }
    seL4_Send(ep, seL4_MessageInfo_new(0, 0, 1, 0));
    tt_log("send returned");
}

/* An extra-cap CPtr that does not resolve is a cap fault, not an error; NBSend ignores it. */
static void bad_extra_cap_faults(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    fault_ep = tt_new(seL4_EndpointObject, 0);
    extra_cptr = 1ull << 63;
    seL4_CPtr t = tt_thread_new("sender", 100, fault_ep);
    tt_thread_start(t, send_with_bad_extra, 1);
    seL4_Word badge;
    seL4_MessageInfo_t f = seL4_Recv(fault_ep, &badge);
    assert_int_equal(seL4_MessageInfo_get_label(f), seL4_Fault_CapFault);
    assert_int_equal(seL4_GetMR(seL4_CapFault_Addr), extra_cptr);
    assert_int_equal(seL4_GetMR(seL4_CapFault_InRecvPhase), 0);
    assert_string_equal(tt_transcript(), "nbsend returned\n");
    /* A fault handler that does not wait yet: the faulting thread queues on the endpoint. */
    seL4_Reply(seL4_MessageInfo_new(0, 0, 0, 0)); /* restart: it faults again */
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_RESTART);
    assert_int_equal(seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, 50),
                     seL4_NoError);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    f = seL4_Recv(fault_ep, &badge);
    assert_int_equal(seL4_GetMR(seL4_CapFault_Addr), extra_cptr);
    TT_CHECKS();
    keel_model_shutdown();
}

static void replyrecv_bad(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    (void)seL4_ReplyRecv(bad_cptr, seL4_MessageInfo_new(0, 0, 0, 0), &badge);
}

/* A receive-phase fault (ReplyRecv on a CPtr that does not resolve), to a handler with no IPC
 * buffer: the message is cut to the 4 register words. */
static seL4_MessageInfo_t handler_info;
static seL4_Word handler_mrs[4], handler_badge;

static void bufferless_handler(seL4_Word arg)
{
    (void)arg;
    handler_info = seL4_RecvWithMRs(fault_ep, &handler_badge, &handler_mrs[0], &handler_mrs[1],
                                    &handler_mrs[2], &handler_mrs[3]);
    seL4_Signal(done);
}

static void receive_phase_fault_to_bufferless_handler(void **state)
{
    (void)state;
    tt_boot();
    fault_ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    bad_cptr = 5000; /* above 4095: the root CNode's 52-bit guard does not match */
    seL4_CPtr h = tt_thread_new("handler", 200, 0);
    assert_int_equal(seL4_TCB_SetIPCBuffer(h, 0, seL4_CapNull), seL4_NoError);
    tt_thread_start(h, bufferless_handler, 0);
    seL4_CPtr t = tt_thread_new("faulter", 100, fault_ep);
    tt_thread_start(t, replyrecv_bad, 0);
    (void)tt_wait(done);
    assert_int_equal(seL4_MessageInfo_get_label(handler_info), seL4_Fault_CapFault);
    assert_int_equal(seL4_MessageInfo_get_length(handler_info), 4);
    assert_int_equal(handler_mrs[seL4_CapFault_Addr], 5000);
    assert_int_equal(handler_mrs[seL4_CapFault_InRecvPhase], 1);
    assert_int_equal(handler_mrs[seL4_CapFault_LookupFailureType], seL4_GuardMismatch);
    keel_model_shutdown();
}

static keel_model_fault hooked;
static int hook_calls;

static void recording_hook(const keel_model_fault *f, void *ctx)
{
    (void)ctx;
    hooked = *f;
    hook_calls++;
}

static void call_empty_slot_then_log(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    (void)seL4_Recv(bad_cptr, &badge);
    tt_log("resumed after the fault");
}

/* Without a usable fault endpoint (none, a non-endpoint, one without Grant/GrantReply, one
 * without Send) the thread stops: the hook is told, the thread is Inactive until resumed. */
static void double_fault_stops_the_thread(void **state)
{
    (void)state;
    tt_boot();
    keel_model_set_fault_hook(recording_hook, NULL);
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr good_cptr = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr no_grant = tt_mint(ep, seL4_CapRights_new(0, 0, 1, 1), 0);
    seL4_CPtr no_send = tt_mint(ep, seL4_CapRights_new(1, 1, 1, 0), 0);
    seL4_CPtr handlers[] = {0, seL4_CapInitThreadTCB, no_grant, no_send, 1ull << 50};
    for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++) {
        hook_calls = 0;
        bad_cptr = 1ull << 62;
        seL4_CPtr t = tt_thread_new("stopped", 100, handlers[i]);
        tt_thread_start(t, call_empty_slot_then_log, 0);
        tt_let_others_run();
        assert_int_equal(hook_calls, 1);
        assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_INACTIVE);
        assert_string_equal(hooked.thread, "stopped");
        assert_string_equal(hooked.syscall, "seL4_Recv");
        assert_int_equal(hooked.cptr, bad_cptr);
        assert_true(hooked.in_recv_phase);
        assert_int_equal(hooked.lookup[0], seL4_GuardMismatch);
        assert_non_null(strstr(hooked.message, "no usable fault handler"));
        /* Resumed with a CPtr that now works (registers rewritten), it goes on. */
        seL4_UserContext regs;
        assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 20, &regs), seL4_NoError);
        regs.rdi = good_cptr;
        assert_int_equal(seL4_TCB_WriteRegisters(t, true, 0, 20, &regs), seL4_NoError);
        seL4_Signal(good_cptr);
        tt_let_others_run();
        assert_int_equal(hook_calls, 1);
    }
    assert_string_equal(tt_transcript(), "resumed after the fault\nresumed after the fault\n"
                                         "resumed after the fault\nresumed after the fault\n"
                                         "resumed after the fault\n");
    keel_model_shutdown();
}

static seL4_CPtr stale_target;

static void send_and_log(seL4_Word arg)
{
    (void)arg;
    seL4_SetMR(0, 1234);
    seL4_Send(stale_target, seL4_MessageInfo_new(9, 0, 0, 1));
    tt_log("send returned");
}

/*
 * A fault that was never answered stays recorded in the TCB (non-MCS: only a fault reply or
 * cancelling a wait for the reply clears it). Here the fault message is queued on the fault
 * endpoint, the endpoint is deleted (the thread restarts, faults again and, with no handler
 * left, stops), and the thread is resumed at a CPtr that works. Its plain Sends then carry the
 * stale fault message (doIPCTransfer looks at the sender's fault), but they stay Sends: §8.2
 * makes the sender BlockedOnReply only "if the sender's operation was a Call" (non-MCS; the
 * "or delivering a fault" rule is MCS's), so it runs on and no reply cap is made. Both orders:
 * the receiver waiting first (sendIPC) and the sender queued first (receiveIPC).
 */
static void stale_fault_does_not_turn_a_send_into_a_call(void **state)
{
    (void)state;
    tt_boot();
    keel_model_set_fault_hook(recording_hook, NULL);
    hook_calls = 0;
    ep = tt_new(seL4_EndpointObject, 0);
    fault_ep = tt_new(seL4_EndpointObject, 0);
    stale_target = 1ull << 40; /* guard mismatch */
    seL4_CPtr t = tt_thread_new("stale", 100, fault_ep);
    tt_thread_start(t, send_and_log, 0);
    tt_let_others_run();
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_SEND); /* fault message queued */
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, fault_ep, 64), seL4_NoError);
    tt_let_others_run();
    assert_int_equal(hook_calls, 1);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_INACTIVE);
    seL4_UserContext regs;
    assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 20, &regs), seL4_NoError);
    regs.rdi = ep;
    assert_int_equal(seL4_TCB_WriteRegisters(t, true, 0, 20, &regs), seL4_NoError);
    stale_target = ep; /* for when its function runs again */

    for (int round = 0; round < 2; round++) {
        if (round == 1) {
            /* The thread function returned; run it again and let it queue in its Send. */
            assert_int_equal(seL4_TCB_Resume(t), seL4_NoError);
            tt_let_others_run();
            assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
        }
        /* Round 0: the root waits first and the restarted thread's Send finds it. */
        seL4_Word badge = 99;
        seL4_MessageInfo_t f = seL4_Recv(ep, &badge);
        assert_int_equal(badge, 0);
        assert_int_equal(seL4_MessageInfo_get_label(f), seL4_Fault_CapFault);
        assert_int_equal(seL4_MessageInfo_get_length(f), 7);
        assert_int_equal(seL4_GetMR(seL4_CapFault_Addr), 1ull << 40);
        assert_int_equal(seL4_GetMR(seL4_CapFault_InRecvPhase), 0);
        assert_int_equal(seL4_GetMR(seL4_CapFault_LookupFailureType), seL4_GuardMismatch);
        /* A Send: the sender is runnable, and the root's caller slot stays empty. */
        assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_RUNNING);
        seL4_CPtr save = tt_slot();
        assert_int_equal(seL4_CNode_SaveCaller(seL4_CapInitThreadCNode, save, 64), seL4_NoError);
        keel_model_cap_info ci;
        assert_int_equal(keel_model_cap(save, &ci), 0);
        assert_int_equal(ci.type, KEEL_MODEL_CAP_NULL);
        tt_let_others_run();
        assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_INACTIVE); /* its function returned */
    }
    assert_string_equal(tt_transcript(), "send returned\nsend returned\n");
    assert_int_equal(hook_calls, 1);
    MODEL_CHECK();
    keel_model_shutdown();
}

static void recv_on_bad_cptr(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    (void)seL4_Recv(1ull << 40, &badge);
    tt_log("not reached");
}

/* In a fresh process: a thread with no fault endpoint faults under the model's default hook. */
static void fault_under_the_default_hook(void)
{
    tt_boot();
    keel_model_set_fault_hook(NULL, NULL); /* back to the model's own */
    tt_thread("victim", recv_on_bad_cptr, 0, 100);
    tt_let_others_run();
    fprintf(stderr, "the root thread went on\n");
}

/* Without a fault endpoint and with no hook of the program's, the model stops loudly: it
 * prints what happened and aborts before any other thread runs. */
static void default_hook_stops_loudly(void **state)
{
    (void)state;
    char out[2048];
    assert_int_equal(tt_run_dying(fault_under_the_default_hook, out, sizeof(out)), SIGABRT);
    assert_non_null(strstr(out, "keel model: cap fault in thread 'victim'"));
    assert_non_null(strstr(out, "seL4_Recv on CPtr 0x10000000000"));
    assert_non_null(strstr(out, "guard mismatch"));
    assert_non_null(strstr(out, "in the receive phase"));
    assert_non_null(strstr(out, "no usable fault handler (fault endpoint CPtr 0)"));
    assert_null(strstr(out, "the root thread went on"));
}

/* The root thread without a fault handler: the test hook long-jumps out, it runs on. */
static void root_thread_cap_fault(void **state)
{
    (void)state;
    tt_boot();
    EXPECT_CAP_FAULT(seL4_Call(1ull << 30, seL4_MessageInfo_new(0, 0, 0, 0)));
    assert_int_equal(model_test_last_fault.cptr, 1ull << 30);
    assert_false(model_test_last_fault.in_recv_phase);
    EXPECT_CAP_FAULT(seL4_Send(1ull << 20, seL4_MessageInfo_new(0, 0, 0, 0)));
    assert_non_null(strstr(model_test_last_fault.message, "'rootserver'"));
    /* A receive source that does not resolve faults, for the non-blocking receive too. */
    seL4_Word badge;
    EXPECT_CAP_FAULT(seL4_NBRecv(1ull << 40, &badge));
    assert_true(model_test_last_fault.in_recv_phase);
    assert_string_equal(model_test_last_fault.syscall, "seL4_NBRecv");
    assert_int_equal(model_test_last_fault.lookup[0], seL4_GuardMismatch);
    /* NBSend never faults; an empty slot is an error, not a fault. */
    seL4_NBSend(1ull << 20, seL4_MessageInfo_new(0, 0, 0, 0));
    seL4_MessageInfo_t r = seL4_Call(4095, seL4_MessageInfo_new(0, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_InvalidCapability);
    assert_int_equal(tt_state(seL4_CapInitThreadTCB), KEEL_MODEL_THREAD_RUNNING);
    keel_model_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cap_fault_goes_to_the_fault_endpoint),
        cmocka_unit_test(bad_extra_cap_faults),
        cmocka_unit_test(receive_phase_fault_to_bufferless_handler),
        cmocka_unit_test(double_fault_stops_the_thread),
        cmocka_unit_test(root_thread_cap_fault),
        cmocka_unit_test(stale_fault_does_not_turn_a_send_into_a_call),
        cmocka_unit_test(default_hook_stops_loudly),
    };
    return cmocka_run_group_tests_name("threads.fault", tests, NULL, NULL);
}
