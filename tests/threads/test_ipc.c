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
    };
    return cmocka_run_group_tests_name("threads.ipc", tests, NULL, NULL);
}
