/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Endpoint IPC on the model (sel4-semantics §8.2, §8.3): Call/ReplyRecv with every message
 * length class, badges, Send vs NBSend, FIFO queues, threads without IPC buffers, the rights an
 * endpoint cap needs, and the fastpath and message counters.
 */
#include <string.h>

#include "thread_test.h"

static seL4_CPtr ep, done;

/* Adds 1 to every word, answers with label 7 and the same length; logs what it saw. */
static void echo_server(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_Recv(ep, &badge);
    for (;;) {
        seL4_Word n = seL4_MessageInfo_get_length(info);
        tt_log("label %lu len %lu badge %lu", (unsigned long)seL4_MessageInfo_get_label(info),
               (unsigned long)n, (unsigned long)badge);
        for (seL4_Word i = 0; i < n; i++) {
            seL4_SetMR((int)i, seL4_GetMR((int)i) + 1);
        }
        info = seL4_ReplyRecv(ep, seL4_MessageInfo_new(7, 0, 0, n), &badge);
    }
}

static void call_and_reply_every_length(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    tt_thread("server", echo_server, 0, 100);
    static const seL4_Word lengths[] = {0, 1, 4, 5, 120};
    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        seL4_Word n = lengths[k];
        for (seL4_Word i = 0; i < n; i++) {
            seL4_SetMR((int)i, 1000 * k + i);
        }
        seL4_MessageInfo_t info = seL4_Call(ep, seL4_MessageInfo_new(3 + k, 0, 0, n));
        assert_int_equal(seL4_MessageInfo_get_label(info), 7);
        assert_int_equal(seL4_MessageInfo_get_length(info), n);
        assert_int_equal(seL4_MessageInfo_get_extraCaps(info), 0);
        for (seL4_Word i = 0; i < n; i++) {
            assert_int_equal(seL4_GetMR((int)i), 1000 * k + i + 1);
        }
    }
    assert_string_equal(tt_transcript(), "label 3 len 0 badge 0\nlabel 4 len 1 badge 0\n"
                                         "label 5 len 4 badge 0\nlabel 6 len 5 badge 0\n"
                                         "label 7 len 120 badge 0\n");
    /* A length above 120 is cut to 120. */
    seL4_MessageInfo_t info = seL4_Call(ep, seL4_MessageInfo_new(1, 0, 0, 127));
    assert_int_equal(seL4_MessageInfo_get_length(info), 120);
    /* The WithMRs variants carry MR0..3 in registers without touching the buffer. */
    seL4_Word m0 = 10, m1 = 20, m2 = 30, m3 = 40;
    seL4_SetMR(0, 999);
    info = seL4_CallWithMRs(ep, seL4_MessageInfo_new(0, 0, 0, 3), &m0, &m1, &m2, &m3);
    assert_int_equal(seL4_MessageInfo_get_length(info), 3);
    assert_int_equal(m0, 11);
    assert_int_equal(m1, 21);
    assert_int_equal(m2, 31);
    assert_int_equal(seL4_GetMR(0), 999);
    TT_CHECKS();
    MODEL_CHECK();
    keel_model_shutdown();
}

static void badges_reach_the_receiver(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    tt_thread("server", echo_server, 0, 100);
    seL4_CPtr b5 = tt_mint(ep, seL4_AllRights, 5);
    seL4_CPtr b6 = tt_mint(ep, seL4_AllRights, 0xfeedface00000001ull);
    (void)seL4_Call(b5, seL4_MessageInfo_new(0, 0, 0, 0));
    (void)seL4_Call(b6, seL4_MessageInfo_new(0, 0, 0, 0));
    (void)seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, 0));
    assert_string_equal(tt_transcript(), "label 0 len 0 badge 5\n"
                                         "label 0 len 0 badge 18369614217784328193\n"
                                         "label 0 len 0 badge 0\n");
    keel_model_shutdown();
}

static void receive_once(seL4_Word arg)
{
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_Recv(ep, &badge);
    tt_log("%lu: len %lu mr0 %lu badge %lu", (unsigned long)arg,
           (unsigned long)seL4_MessageInfo_get_length(info), (unsigned long)seL4_GetMR(0),
           (unsigned long)badge);
    seL4_Signal(done);
}

static void send_blocks_nbsend_drops(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    /* Nobody waits: NBSend drops the message, and a receive finds nothing. */
    seL4_SetMR(0, 1);
    seL4_NBSend(ep, seL4_MessageInfo_new(0, 0, 0, 1));
    seL4_Word badge = 99;
    (void)seL4_NBRecv(ep, &badge);
    assert_int_equal(badge, 0);
    /* Send blocks until a receiver comes, then returns without waiting for a reply. */
    seL4_CPtr r = tt_thread("receiver", receive_once, 1, 100);
    seL4_SetMR(0, 2);
    seL4_Send(ep, seL4_MessageInfo_new(0, 0, 0, 1));
    assert_int_equal(tt_state(r), KEEL_MODEL_THREAD_RUNNING); /* preempted by the root */
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "1: len 1 mr0 2 badge 0\n");
    /* A receiver already waiting: NBSend delivers, with the cap's badge. */
    tt_log_reset();
    tt_thread("receiver", receive_once, 2, 100);
    /* Let it block: drop the root thread below it for a moment. */
    tt_let_others_run();
    seL4_CPtr b = tt_mint(ep, seL4_AllRights, 9);
    seL4_SetMR(0, 3);
    seL4_NBSend(b, seL4_MessageInfo_new(0, 0, 0, 1));
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "2: len 1 mr0 3 badge 9\n");
    keel_model_shutdown();
}

static void send_with_badge(seL4_Word arg)
{
    seL4_SetMR(0, arg);
    seL4_Send((seL4_CPtr)(arg >> 16), seL4_MessageInfo_new(0, 0, 0, 1));
    tt_log("sender %lu returned", (unsigned long)(arg & 0xffff));
}

/* Non-MCS endpoint queues are FIFO whatever the priorities. */
static void queues_are_fifo(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    static const seL4_Word prio[] = {100, 200, 150};
    for (seL4_Word i = 0; i < 3; i++) {
        seL4_CPtr b = tt_mint(ep, seL4_AllRights, i + 1);
        tt_thread("sender", send_with_badge, (b << 16) | (i + 1), prio[i]);
        tt_let_others_run(); /* it blocks in Send before the next one exists */
    }
    for (seL4_Word i = 0; i < 3; i++) {
        seL4_Word badge;
        (void)seL4_Recv(ep, &badge);
        assert_int_equal(badge, i + 1);
        assert_int_equal(seL4_GetMR(0) & 0xffff, i + 1);
    }
    /* Woken while the root thread ran, they run by priority once it lets them. */
    tt_let_others_run();
    assert_string_equal(tt_transcript(), "sender 2 returned\nsender 3 returned\n"
                                         "sender 1 returned\n");
    keel_model_shutdown();
}

static seL4_Word no_buffer_words[4];

static void send_without_buffer(seL4_Word arg)
{
    (void)arg;
    /* No IPC buffer: the WithMRs form, and a length of 6 with an extra cap. */
    seL4_Word m0 = 1, m1 = 2, m2 = 3, m3 = 4;
    T_CHECK(seL4_GetIPCBuffer() == NULL);
    seL4_SendWithMRs(ep, seL4_MessageInfo_new(5, 0, 1, 6), &m0, &m1, &m2, &m3);
}

static void receive_without_buffer(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_RecvWithMRs(ep, &badge, &no_buffer_words[0], &no_buffer_words[1],
                                               &no_buffer_words[2], &no_buffer_words[3]);
    tt_log("no-buffer receiver: len %lu caps %lu", (unsigned long)seL4_MessageInfo_get_length(info),
           (unsigned long)seL4_MessageInfo_get_extraCaps(info));
    seL4_Signal(done);
}

/* §8.3 and §11.1: words beyond MR3 need both buffers; no sender buffer, no caps either. */
static void threads_without_ipc_buffers(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr s = tt_thread_new("nobuf-sender", 100, 0);
    assert_int_equal(seL4_TCB_SetIPCBuffer(s, 0, seL4_CapNull), seL4_NoError);
    tt_thread_start(s, send_without_buffer, 0);
    seL4_SetCapReceivePath(seL4_CapInitThreadCNode, tt_slot(), 64);
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_Recv(ep, &badge);
    assert_int_equal(seL4_MessageInfo_get_label(info), 5);
    assert_int_equal(seL4_MessageInfo_get_length(info), 4);
    assert_int_equal(seL4_MessageInfo_get_extraCaps(info), 0);
    assert_int_equal(seL4_GetMR(3), 4);
    /* And a receiver without one. */
    seL4_CPtr r = tt_thread_new("nobuf-receiver", 100, 0);
    assert_int_equal(seL4_TCB_SetIPCBuffer(r, 0, seL4_CapNull), seL4_NoError);
    tt_thread_start(r, receive_without_buffer, 0);
    assert_int_equal(seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, 50),
                     seL4_NoError); /* the receiver blocks */
    for (int i = 0; i < 8; i++) {
        seL4_SetMR(i, 100 + (seL4_Word)i);
    }
    seL4_SetCap(0, done); /* no receiver buffer: no caps either */
    seL4_Send(ep, seL4_MessageInfo_new(0, 0, 1, 8));
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "no-buffer receiver: len 4 caps 0\n");
    assert_int_equal(no_buffer_words[3], 103);
    TT_CHECKS();
    keel_model_shutdown();
}

static void send_words(seL4_Word arg)
{
    seL4_Word m0 = arg, m1 = arg + 1, m2 = arg + 2, m3 = arg + 3;
    seL4_NBSendWithMRs(ep, seL4_MessageInfo_new(1, 0, 0, 2), &m0, &m1, &m2, &m3);
    seL4_SendWithMRs(ep, seL4_MessageInfo_new(2, 0, 0, 4), &m0, &m1, &m2, &m3);
    tt_log("sender done");
    seL4_Signal(done);
}

static void reply_with_mrs(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    (void)seL4_Recv(ep, &badge);
    seL4_Word m0 = 8, m1 = 9;
    seL4_ReplyWithMRs(seL4_MessageInfo_new(0, 0, 0, 2), &m0, &m1, NULL, NULL);
}

/* NBSend/Send/Reply WithMRs, and NBRecv taking a queued sender. */
static void with_mrs_variants_and_nbrecv(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    tt_thread("sender", send_words, 40, 100);
    seL4_Word badge = 99;
    seL4_Word r0 = 0, r1 = 0, r2 = 0, r3 = 0;
    /* The root thread waits in Recv: the NBSend finds it, then the Send queues. */
    seL4_MessageInfo_t info = seL4_RecvWithMRs(ep, &badge, &r0, &r1, &r2, &r3);
    assert_int_equal(seL4_MessageInfo_get_label(info), 1);
    assert_int_equal(seL4_MessageInfo_get_length(info), 2);
    assert_int_equal(r0, 40);
    assert_int_equal(r1, 41);
    /* Let the sender block in its Send, then take it without blocking. */
    tt_let_others_run();
    info = seL4_NBRecv(ep, &badge);
    assert_int_equal(seL4_MessageInfo_get_label(info), 2);
    assert_int_equal(seL4_MessageInfo_get_length(info), 4);
    assert_int_equal(seL4_GetMR(3), 43);
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "sender done\n");
    /* ReplyWithMRs. */
    tt_thread("server", reply_with_mrs, 0, 100);
    seL4_Word c0 = 1, c1 = 2;
    info = seL4_CallWithMRs(ep, seL4_MessageInfo_new(0, 0, 0, 2), &c0, &c1, NULL, NULL);
    assert_int_equal(seL4_MessageInfo_get_length(info), 2);
    assert_int_equal(c0, 8);
    assert_int_equal(c1, 9);
    keel_model_shutdown();
}

/* Send/Call need the Send (Write) right: InvalidCapability(0) for Call, nothing for Send. */
static void sending_needs_the_send_right(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr ro = tt_mint(ep, seL4_CanRead, 0);
    seL4_MessageInfo_t info = seL4_Call(ro, seL4_MessageInfo_new(0, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(info), seL4_InvalidCapability);
    assert_int_equal(seL4_MessageInfo_get_length(info), 1);
    assert_int_equal(seL4_GetMR(0), 0);
    seL4_Send(ro, seL4_MessageInfo_new(0, 0, 0, 0)); /* silently nothing */
    seL4_NBSend(ro, seL4_MessageInfo_new(0, 0, 0, 0));
    keel_model_shutdown();
}

/* The fastpath counter (§ docs): counted when the kernel's fastpath conditions hold. */
static void fastpath_and_message_counters(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    tt_thread("server", echo_server, 0, 100);
    keel_model_counters_reset();
    (void)seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, 1)); /* server not waiting yet: slow */
    keel_model_counters c;
    keel_model_counters_get(&c);
    assert_int_equal(c.fastpath, 1); /* only the server's ReplyRecv */
    assert_int_equal(c.ipc_messages, 2);
    keel_model_counters_reset();
    for (int i = 0; i < 10; i++) {
        (void)seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, 4));
    }
    keel_model_counters_get(&c);
    assert_int_equal(c.fastpath, 20);
    assert_int_equal(c.ipc_messages, 20);
    assert_int_equal(c.syscalls[-seL4_SysCall - 1], 10);
    assert_int_equal(c.syscalls[-seL4_SysReplyRecv - 1], 10);
    keel_model_counters_reset();
    (void)seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, 5)); /* 5 words: slow both ways */
    keel_model_counters_get(&c);
    assert_int_equal(c.fastpath, 0);
    keel_model_shutdown();
}

/* Receive needs the Receive (Read) right: without it, a cap fault in the receive phase. */
static void receiving_needs_the_receive_right(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr wo = tt_mint(ep, seL4_CanWrite, 0);
    seL4_Word badge;
    EXPECT_CAP_FAULT(seL4_Recv(wo, &badge));
    assert_string_equal(model_test_last_fault.syscall, "seL4_Recv");
    assert_int_equal(model_test_last_fault.cptr, wo);
    assert_true(model_test_last_fault.in_recv_phase);
    assert_int_equal(model_test_last_fault.lookup[0], seL4_MissingCapability);
    assert_int_equal(model_test_last_fault.lookup[1], 0); /* bitsLeft */
    EXPECT_CAP_FAULT(seL4_NBRecv(wo, &badge));
    assert_string_equal(model_test_last_fault.syscall, "seL4_NBRecv");
    assert_int_equal(model_test_last_fault.lookup[0], seL4_MissingCapability);
    keel_model_shutdown();
}

static seL4_Word sent_words;

static void send_counted_words(seL4_Word arg)
{
    (void)arg;
    for (seL4_Word i = 0; i < sent_words; i++) {
        seL4_SetMR((int)i, 500 + i);
    }
    seL4_Send(ep, seL4_MessageInfo_new(0, 0, 0, sent_words));
}

/* §8.3: only the words of the message are written; the receiver's buffer past them is not. */
static void words_past_the_length_are_left_alone(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_IPCBuffer *buf = seL4_GetIPCBuffer();
    static const seL4_Word lengths[] = {6, 2, 0};
    for (size_t k = 0; k < sizeof(lengths) / sizeof(lengths[0]); k++) {
        sent_words = lengths[k];
        tt_thread("sender", send_counted_words, 0, 100); /* writes the root's buffer */
        for (int i = 0; i < seL4_MsgMaxLength; i++) {
            buf->msg[i] = 0xdead0000 + (seL4_Word)i;
        }
        seL4_Word badge;
        seL4_MessageInfo_t info = seL4_Recv(ep, &badge);
        assert_int_equal(seL4_MessageInfo_get_length(info), sent_words);
        for (seL4_Word i = 0; i < sent_words; i++) {
            assert_int_equal(seL4_GetMR((int)i), 500 + i);
        }
        /* MR0..3 come back in registers and libsel4 stores all four (§8.5); from MR4 on,
         * every word past the length is the receiver's own. */
        for (seL4_Word i = sent_words > 4 ? sent_words : 4; i < seL4_MsgMaxLength; i++) {
            assert_int_equal(buf->msg[i], 0xdead0000 + i);
        }
    }
    keel_model_shutdown();
}

static void call_once(seL4_Word arg)
{
    (void)arg;
    (void)seL4_Call(ep, seL4_MessageInfo_new(0, 0, 0, 1));
}

/* A restarted syscall is a new kernel entry (the thread executes the syscall instruction at its
 * restart PC again): it is counted again, and checked for the fastpath like any other. */
static void restarted_syscalls_are_counted(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr c = tt_thread("caller", call_once, 0, 100);
    tt_let_others_run();
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_BLOCKED_ON_SEND); /* nobody waited: slow */
    keel_model_counters_reset();
    assert_int_equal(seL4_TCB_Resume(c), seL4_NoError); /* a Call on a TCB cap: never fast */
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_RESTART);
    seL4_Word badge;
    (void)seL4_Recv(ep, &badge); /* the caller re-executes its Call, which finds the root */
    assert_int_equal(seL4_GetMR(0), 0);
    keel_model_counters c1;
    keel_model_counters_get(&c1);
    assert_int_equal(c1.syscalls[-seL4_SysCall - 1], 2); /* Resume, the re-executed Call */
    assert_int_equal(c1.syscalls[-seL4_SysRecv - 1], 1);
    assert_int_equal(c1.fastpath, 1);
    keel_model_shutdown();
}

/* ---- The fastpath predicate, one condition at a time ---------------------------------------- */

/*
 * Each row names one condition of the kernel's fastpath (fastpath_call, fastpath_reply_recv)
 * and runs one scenario twice in a fresh world: with the condition met the one measured
 * syscall is counted (1), with it broken it is not (0); nothing else in the measured window
 * is a Call or ReplyRecv that could count.
 */
static seL4_CPtr fp_ep, fp_ntfn;
static seL4_CPtr fp_client_cap;   /* the client's first message goes through this */
static seL4_Word fp_client_words; /* with this length */
static seL4_Word fp_client_caps;  /* and this many extra caps (fp_ntfn) */
static bool fp_client_sends;      /* as a Send instead of a Call */

static void fp_client(seL4_Word arg)
{
    (void)arg;
    seL4_SetCap(0, fp_ntfn);
    seL4_MessageInfo_t info = seL4_MessageInfo_new(0, 0, fp_client_caps, fp_client_words);
    if (fp_client_sends) {
        seL4_Send(fp_client_cap, info);
    } else {
        (void)seL4_Call(fp_client_cap, info);
    }
    seL4_Send(fp_ep, seL4_MessageInfo_new(0, 0, 0, 0)); /* gets the root out of its receive */
}

/* Replies without ReplyRecv, so that only the root's Call can count. */
static void fp_server(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    (void)seL4_Recv(fp_ep, &badge);
    for (;;) {
        seL4_Reply(seL4_MessageInfo_new(0, 0, 0, 0));
        (void)seL4_Recv(fp_ep, &badge);
    }
}

static void fp_sender(seL4_Word arg)
{
    (void)arg;
    seL4_Send(fp_ep, seL4_MessageInfo_new(0, 0, 0, 0));
}

static void fp_bystander(seL4_Word arg)
{
    (void)arg; /* ready until it runs, then returns (and stops) */
}

static seL4_Word fp_count(void)
{
    keel_model_counters c;
    keel_model_counters_get(&c);
    return (seL4_Word)c.fastpath;
}

/* The measured syscall: the root's Recv, which the client's Call (or Send) ends. */
static seL4_Word fp_root_receives(void)
{
    keel_model_counters_reset();
    seL4_Word badge;
    (void)seL4_Recv(fp_ep, &badge);
    return fp_count();
}

/* The measured syscall: the root's ReplyRecv, after it took the client's Call. */
static seL4_Word fp_root_replyrecv(seL4_CPtr on, seL4_Word words, seL4_Word caps)
{
    seL4_SetCap(0, fp_ntfn);
    keel_model_counters_reset();
    seL4_Word badge;
    (void)seL4_ReplyRecv(on, seL4_MessageInfo_new(0, 0, caps, words), &badge);
    return fp_count();
}

static void fp_root_takes_a_call(void)
{
    seL4_Word badge;
    (void)seL4_Recv(fp_ep, &badge);
}

static keel_model_fault fp_hooked;

static void fp_recording_hook(const keel_model_fault *f, void *ctx)
{
    (void)ctx;
    fp_hooked = *f;
}

static void fp_bad_call(seL4_Word arg)
{
    (void)arg;
    (void)seL4_Call(1ull << 40, seL4_MessageInfo_new(0, 0, 0, 0));
}

/* A client that keeps a stale fault record (see threads.fault): its fault message is queued,
 * the fault endpoint deleted, it faults again with no handler left; then it starts afresh at
 * fp_client. */
static seL4_CPtr fp_stale_client(void)
{
    keel_model_set_fault_hook(fp_recording_hook, NULL);
    seL4_CPtr fep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr t = tt_thread_new("stale", 100, fep);
    tt_thread_start(t, fp_bad_call, 0);
    tt_let_others_run();
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, fep, 64), seL4_NoError);
    tt_let_others_run();
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_INACTIVE);
    assert_string_equal(fp_hooked.thread, "stale");
    tt_thread_start(t, fp_client, 0);
    return t;
}

/* A thread in a VSpace of its own (a PML4 with an ASID), started at fn; *pml4 its cap. */
static seL4_CPtr fp_thread_own_vspace(const char *name, void (*fn)(seL4_Word), seL4_CPtr *pml4)
{
    seL4_CPtr t = tt_thread_new(name, 100, 0);
    *pml4 = tt_new(seL4_X64_PML4Object, 0);
    assert_int_equal(seL4_X86_ASIDPool_Assign(seL4_CapInitThreadASIDPool, *pml4), seL4_NoError);
    assert_int_equal(seL4_TCB_SetSpace(t, 0, seL4_CapInitThreadCNode, 0, *pml4, 0), seL4_NoError);
    tt_thread_start(t, fn, 0);
    return t;
}

/* ---- Call rows: the client calls the root, which waits (unless a row says otherwise). ---- */

static seL4_Word fp_call_length(bool broken)
{
    fp_client_words = broken ? 5 : 4;
    tt_thread("client", fp_client, 0, 100);
    return fp_root_receives();
}

static seL4_Word fp_call_extra_cap(bool broken)
{
    fp_client_caps = broken ? 1 : 0;
    tt_thread("client", fp_client, 0, 100);
    return fp_root_receives();
}

static seL4_Word fp_call_not_an_endpoint(bool broken)
{
    fp_client_cap = broken ? fp_ntfn : fp_ep;
    tt_thread("client", fp_client, 0, 100);
    return fp_root_receives();
}

static seL4_Word fp_call_without_send(bool broken)
{
    fp_client_cap = broken ? tt_mint(fp_ep, seL4_CapRights_new(1, 1, 1, 0), 0) : fp_ep;
    tt_thread("client", fp_client, 0, 100);
    return fp_root_receives();
}

static seL4_Word fp_call_without_grant_or_grant_reply(bool broken)
{
    /* GrantReply alone is enough. */
    fp_client_cap = tt_mint(fp_ep, seL4_CapRights_new(broken ? 0 : 1, 0, 1, 1), 0);
    tt_thread("client", fp_client, 0, 100);
    return fp_root_receives();
}

static seL4_Word fp_call_nobody_waiting(bool broken)
{
    tt_thread("client", fp_client, 0, 100);
    keel_model_counters_reset();
    if (broken) {
        tt_let_others_run(); /* the client calls first and queues */
    }
    seL4_Word badge;
    (void)seL4_Recv(fp_ep, &badge);
    return fp_count();
}

static seL4_Word fp_call_caller_has_a_fault(bool broken)
{
    if (broken) {
        (void)fp_stale_client();
    } else {
        tt_thread("client", fp_client, 0, 100);
    }
    return fp_root_receives();
}

/* The root calls a server at 100: below the root, yet fast while nothing ready outranks it. */
static seL4_Word fp_call_receiver_cannot_run_at_once(bool broken)
{
    tt_thread("server", fp_server, 0, 100);
    tt_let_others_run();
    if (broken) {
        tt_thread("bystander", fp_bystander, 0, 150); /* ready, between the two */
    }
    keel_model_counters_reset();
    (void)seL4_Call(fp_ep, seL4_MessageInfo_new(0, 0, 0, 0));
    return fp_count();
}

static seL4_Word fp_call_receiver_without_vspace(bool broken)
{
    seL4_CPtr pml4;
    (void)fp_thread_own_vspace("server", fp_server, &pml4);
    tt_let_others_run();
    if (broken) {
        /* Deletes the server's copy of its VSpace cap. */
        assert_int_equal(seL4_CNode_Revoke(seL4_CapInitThreadCNode, pml4, 64), seL4_NoError);
    }
    keel_model_counters_reset();
    (void)seL4_Call(fp_ep, seL4_MessageInfo_new(0, 0, 0, 0));
    return fp_count();
}

/* ---- ReplyRecv rows: the root took the client's Call and answers with ReplyRecv. ---- */

static seL4_Word fp_replyrecv_length(bool broken)
{
    tt_thread("client", fp_client, 0, 100);
    fp_root_takes_a_call();
    return fp_root_replyrecv(fp_ep, broken ? 5 : 4, 0);
}

static seL4_Word fp_replyrecv_extra_cap(bool broken)
{
    tt_thread("client", fp_client, 0, 100);
    fp_root_takes_a_call();
    return fp_root_replyrecv(fp_ep, 0, broken ? 1 : 0);
}

static seL4_Word fp_replyrecv_not_an_endpoint(bool broken)
{
    tt_thread("client", fp_client, 0, 100);
    fp_root_takes_a_call();
    if (broken) {
        seL4_Signal(fp_ntfn); /* so that the wait returns at once */
    }
    return fp_root_replyrecv(broken ? fp_ntfn : fp_ep, 0, 0);
}

static seL4_Word fp_replyrecv_without_receive(bool broken)
{
    seL4_CPtr wo = tt_mint(fp_ep, seL4_CapRights_new(1, 1, 0, 1), 0);
    tt_thread("client", fp_client, 0, 100);
    fp_root_takes_a_call();
    if (!broken) {
        return fp_root_replyrecv(fp_ep, 0, 0);
    }
    keel_model_counters_reset();
    seL4_Word badge;
    EXPECT_CAP_FAULT(seL4_ReplyRecv(wo, seL4_MessageInfo_new(0, 0, 0, 0), &badge));
    return fp_count();
}

static seL4_Word fp_replyrecv_bound_notification_active(bool broken)
{
    assert_int_equal(seL4_TCB_BindNotification(seL4_CapInitThreadTCB, fp_ntfn), seL4_NoError);
    tt_thread("client", fp_client, 0, 100);
    fp_root_takes_a_call();
    if (broken) {
        seL4_Signal(fp_ntfn);
    }
    return fp_root_replyrecv(fp_ep, 0, 0);
}

static seL4_Word fp_replyrecv_sender_queued(bool broken)
{
    tt_thread("client", fp_client, 0, 100);
    fp_root_takes_a_call();
    if (broken) {
        tt_thread("sender", fp_sender, 0, 100);
        tt_let_others_run(); /* it queues on the endpoint */
    }
    return fp_root_replyrecv(fp_ep, 0, 0);
}

static seL4_Word fp_replyrecv_no_reply_cap(bool broken)
{
    fp_client_sends = broken; /* a Send leaves the root no reply cap */
    tt_thread("client", fp_client, 0, 100);
    fp_root_takes_a_call();
    return fp_root_replyrecv(fp_ep, 0, 0);
}

static seL4_Word fp_replyrecv_caller_has_a_fault(bool broken)
{
    /* The stale client's Call delivers its fault message; the reply restarts that Call, which
     * (5 words) is never fast itself. */
    fp_client_words = 5;
    if (broken) {
        (void)fp_stale_client();
    } else {
        tt_thread("client", fp_client, 0, 100);
    }
    fp_root_takes_a_call();
    return fp_root_replyrecv(fp_ep, 0, 0);
}

static seL4_Word fp_replyrecv_caller_without_vspace(bool broken)
{
    seL4_CPtr pml4;
    (void)fp_thread_own_vspace("client", fp_client, &pml4);
    fp_root_takes_a_call();
    if (broken) {
        assert_int_equal(seL4_CNode_Revoke(seL4_CapInitThreadCNode, pml4, 64), seL4_NoError);
    }
    return fp_root_replyrecv(fp_ep, 0, 0);
}

/* The caller at 100 counts as the highest ready priority while the root runs (the running
 * thread is not in a ready queue), but not with a thread at 150 ready. */
static seL4_Word fp_replyrecv_caller_not_highest(bool broken)
{
    tt_thread("client", fp_client, 0, 100);
    fp_root_takes_a_call();
    if (broken) {
        tt_thread("bystander", fp_bystander, 0, 150);
    }
    return fp_root_replyrecv(fp_ep, 0, 0);
}

static void fastpath_conditions_one_by_one(void **state)
{
    (void)state;
    static const struct {
        const char *condition;
        seL4_Word (*run)(bool broken);
    } rows[] = {
        {"Call: at most 4 words", fp_call_length},
        {"Call: no extra caps", fp_call_extra_cap},
        {"Call: an endpoint cap", fp_call_not_an_endpoint},
        {"Call: the cap has Send", fp_call_without_send},
        {"Call: the cap has Grant or GrantReply", fp_call_without_grant_or_grant_reply},
        {"Call: a receiver waits", fp_call_nobody_waiting},
        {"Call: the caller has no pending fault", fp_call_caller_has_a_fault},
        {"Call: the receiver may run at once", fp_call_receiver_cannot_run_at_once},
        {"Call: the receiver has a valid VSpace", fp_call_receiver_without_vspace},
        {"ReplyRecv: at most 4 words", fp_replyrecv_length},
        {"ReplyRecv: no extra caps", fp_replyrecv_extra_cap},
        {"ReplyRecv: an endpoint cap", fp_replyrecv_not_an_endpoint},
        {"ReplyRecv: the cap has Receive", fp_replyrecv_without_receive},
        {"ReplyRecv: no active bound notification", fp_replyrecv_bound_notification_active},
        {"ReplyRecv: no sender waiting", fp_replyrecv_sender_queued},
        {"ReplyRecv: a reply cap in the caller slot", fp_replyrecv_no_reply_cap},
        {"ReplyRecv: the caller has no pending fault", fp_replyrecv_caller_has_a_fault},
        {"ReplyRecv: the caller has a valid VSpace", fp_replyrecv_caller_without_vspace},
        {"ReplyRecv: the caller has the highest ready priority", fp_replyrecv_caller_not_highest},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        for (int broken = 0; broken < 2; broken++) {
            tt_boot();
            fp_ep = tt_new(seL4_EndpointObject, 0);
            fp_ntfn = tt_new(seL4_NotificationObject, 0);
            fp_client_cap = fp_ep;
            fp_client_words = 0;
            fp_client_caps = 0;
            fp_client_sends = false;
            seL4_Word counted = rows[i].run(broken != 0);
            if (counted != (broken ? 0u : 1u)) {
                fail_msg("%s, %s: fastpath counted %lu", rows[i].condition,
                         broken ? "broken" : "met", (unsigned long)counted);
            }
            keel_model_shutdown();
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(call_and_reply_every_length),
        cmocka_unit_test(badges_reach_the_receiver),
        cmocka_unit_test(send_blocks_nbsend_drops),
        cmocka_unit_test(queues_are_fifo),
        cmocka_unit_test(threads_without_ipc_buffers),
        cmocka_unit_test(with_mrs_variants_and_nbrecv),
        cmocka_unit_test(sending_needs_the_send_right),
        cmocka_unit_test(fastpath_and_message_counters),
        cmocka_unit_test(receiving_needs_the_receive_right),
        cmocka_unit_test(words_past_the_length_are_left_alone),
        cmocka_unit_test(restarted_syscalls_are_counted),
        cmocka_unit_test(fastpath_conditions_one_by_one),
    };
    return cmocka_run_group_tests_name("threads.ipc", tests, NULL, NULL);
}
