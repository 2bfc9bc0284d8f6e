/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Scheduling on the model (sel4-semantics §11.1): one CPU, strict priority, where woken and
 * restarted threads go in their ready queue, Yield, Resume/Suspend of blocked threads, the
 * end of a thread function, deadlock reports, and worlds ended with threads still blocked.
 */
#include <sched.h>
#include <string.h>
#include <signal.h>

#include "thread_test.h"

static seL4_CPtr ntfn, ep;

static void say(seL4_Word arg)
{
    tt_log("thread %lu", (unsigned long)arg);
}

static void say_and_signal(seL4_Word arg)
{
    tt_log("thread %lu", (unsigned long)arg);
    seL4_Signal(ntfn);
}

static void lower_priority_runs_only_when_root_blocks(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr a = tt_thread("a", say_and_signal, 1, 100);
    seL4_Yield(); /* the root thread (255) is still the highest: it goes on */
    tt_log("root");
    assert_int_equal(tt_state(a), KEEL_MODEL_THREAD_RESTART);
    (void)tt_wait(ntfn);
    tt_log("root again");
    assert_string_equal(tt_transcript(), "root\nthread 1\nroot again\n");
    /* Preempted right after its signal: runnable, its function not finished. */
    assert_int_equal(tt_state(a), KEEL_MODEL_THREAD_RUNNING);
    keel_model_counters c;
    keel_model_counters_get(&c);
    assert_int_equal(c.threads_started, 1);
    keel_model_shutdown();
}

static void higher_priority_preempts_at_once(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    /* The root thread drops to 100: a thread of 200 made runnable runs inside the call. */
    assert_int_equal(seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, 100),
                     seL4_NoError);
    tt_log("root before");
    tt_thread("hi", say, 2, 200);
    tt_log("root after");
    /* An equal-priority thread does not preempt: it runs when the root thread yields. */
    tt_thread("eq", say, 3, 100);
    tt_log("root yields");
    seL4_Yield();
    tt_log("root back");
    assert_string_equal(tt_transcript(), "root before\nthread 2\nroot after\nroot yields\n"
                                         "thread 3\nroot back\n");
    keel_model_shutdown();
}

static void raising_priority_preempts(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr t = tt_thread("t", say, 4, 10);
    tt_log("root");
    assert_int_equal(seL4_TCB_SetPriority(t, seL4_CapInitThreadTCB, 255), seL4_NoError);
    tt_log("root after");
    /* 255 = the root's priority: the raised thread waits behind the running root thread. */
    assert_string_equal(tt_transcript(), "root\nroot after\n");
    assert_int_equal(seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, 254),
                     seL4_NoError);
    assert_string_equal(tt_transcript(), "root\nroot after\nthread 4\n");
    keel_model_shutdown();
}

/* Resumed one after another at one priority: the last one runs first (head of the queue). */
static void restarted_threads_go_to_the_head(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    for (seL4_Word i = 1; i <= 4; i++) {
        tt_thread("worker", i == 1 ? say_and_signal : say, i, 100);
    }
    (void)tt_wait(ntfn);
    assert_string_equal(tt_transcript(), "thread 4\nthread 3\nthread 2\nthread 1\n");
    keel_model_shutdown();
}

static void wait_then_say(seL4_Word arg)
{
    seL4_Word badge;
    seL4_Wait((seL4_CPtr)arg, &badge);
    tt_log("woken by %lu", (unsigned long)badge);
    seL4_Signal(ntfn);
}

/* Woken by signals while the root thread (higher) runs on: each goes to the head. */
static void woken_threads_go_to_the_head(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr n[3];
    seL4_CPtr t[3];
    for (int i = 0; i < 3; i++) {
        n[i] = tt_new(seL4_NotificationObject, 0);
        t[i] = tt_thread("waiter", wait_then_say, n[i], 100);
    }
    seL4_Yield(); /* nothing: the root thread is alone at 255 */
    seL4_CPtr blocker = tt_new(seL4_NotificationObject, 0);
    /* Let them block: the root thread waits on a notification a low thread signals. */
    seL4_CPtr last = tt_thread("last", say_and_signal, 9, 1);
    (void)last;
    (void)tt_wait(ntfn);
    tt_log_reset();
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tt_state(t[i]), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
    }
    for (int i = 0; i < 3; i++) {
        seL4_CPtr badged = tt_mint(n[i], seL4_AllRights, (seL4_Word)i + 1);
        seL4_Signal(badged);
    }
    tt_log("root signalled all");
    for (int i = 0; i < 3; i++) {
        (void)tt_wait(ntfn);
    }
    (void)blocker;
    assert_string_equal(tt_transcript(), "root signalled all\nwoken by 3\nwoken by 2\n"
                                         "woken by 1\n");
    keel_model_shutdown();
}

static void signal_then_say(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    seL4_Wait(ep, &badge); /* ep is a notification here */
    tt_log("waiter woke");
}

/* Woken by a running thread of equal priority: the waker goes on (no preemption); where the
 * woken thread goes in the queue is equal_priority_wake_goes_behind_ready_threads. */
static void equal_priority_wake_lets_the_waker_go_on(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    ep = tt_new(seL4_NotificationObject, 0);
    assert_int_equal(seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, 100),
                     seL4_NoError);
    seL4_CPtr w = tt_thread("waiter", signal_then_say, 0, 100);
    seL4_Yield(); /* the waiter runs and blocks */
    assert_int_equal(tt_state(w), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
    seL4_Signal(ep);
    tt_log("root goes on");
    seL4_Yield();
    tt_log("root back");
    assert_string_equal(tt_transcript(), "root goes on\nwaiter woke\nroot back\n");
    keel_model_shutdown();
}

static void yield_loop(seL4_Word arg)
{
    for (int i = 1; i <= 3; i++) {
        tt_log("%c%d", (char)arg, i);
        seL4_Yield();
    }
    if (arg == 'a') {
        seL4_Signal(ntfn);
    }
}

static void yield_rotates_equal_priorities(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    tt_thread("a", yield_loop, 'a', 50);
    tt_thread("b", yield_loop, 'b', 50);
    tt_thread("c", yield_loop, 'c', 50);
    (void)tt_wait(ntfn);
    assert_string_equal(tt_transcript(), "c1\nb1\na1\nc2\nb2\na2\nc3\nb3\na3\n");
    keel_model_counters c;
    keel_model_counters_get(&c);
    assert_true(c.context_switches >= 9);
    keel_model_shutdown();
}

static void recv_and_log(seL4_Word arg)
{
    seL4_Word badge;
    seL4_Recv(ep, &badge);
    tt_log("%lu got %lu", (unsigned long)arg, (unsigned long)seL4_GetMR(0));
}

/* Resume of a thread blocked in Recv cancels it; it re-executes Recv and queues at the back. */
static void resume_cancels_blocking_and_requeues(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr t1 = tt_thread("t1", recv_and_log, 1, 100);
    seL4_CPtr t2 = tt_thread("t2", recv_and_log, 2, 100);
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn); /* t2 then t1 ran (head insertion) and blocked: queue t2, t1 */
    tt_log_reset();
    assert_int_equal(tt_state(t1), KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE);
    /* Resume of a blocked thread: stopped, so its receive is cancelled and re-executed. */
    assert_int_equal(seL4_TCB_Resume(t2), seL4_NoError);
    assert_int_equal(tt_state(t2), KEEL_MODEL_THREAD_RESTART);
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn); /* t2 re-executes its Recv: the queue is now t1, t2 */
    tt_log_reset();
    assert_int_equal(tt_state(t2), KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE);
    seL4_SetMR(0, 10);
    seL4_Send(ep, seL4_MessageInfo_new(0, 0, 0, 1));
    seL4_SetMR(0, 20);
    seL4_Send(ep, seL4_MessageInfo_new(0, 0, 0, 1));
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn);
    /* t1 was first in the queue and got 10; both were woken while the root thread ran, the
     * last woken at the head, so t2 runs first. */
    assert_string_equal(tt_transcript(), "2 got 20\n1 got 10\nthread 0\n");
    /* Resume of a thread that is not stopped does nothing. */
    seL4_CPtr r = tt_thread_new("ready", 100, 0);
    tt_thread_start(r, say, 5);
    assert_int_equal(seL4_TCB_Resume(r), seL4_NoError);
    assert_int_equal(tt_state(r), KEEL_MODEL_THREAD_RESTART);
    keel_model_shutdown();
}

static void suspend_blocked_thread_leaves_the_queue(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr t = tt_thread("t", recv_and_log, 1, 100);
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE);
    assert_int_equal(seL4_TCB_Suspend(t), seL4_NoError);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_INACTIVE);
    /* The endpoint is idle again: a non-blocking send is dropped. */
    seL4_SetMR(0, 1);
    seL4_NBSend(ep, seL4_MessageInfo_new(0, 0, 0, 1));
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_INACTIVE);
    assert_string_equal(tt_transcript(), "thread 0\n");
    keel_model_shutdown();
}

static void send_word(seL4_Word arg)
{
    /* arg: the cap to send through, then a byte: the word */
    seL4_SetMR(0, arg & 0xff);
    seL4_Send(arg >> 8, seL4_MessageInfo_new(0, 0, 0, 1));
    tt_log("sender %lu returned", (unsigned long)(arg & 0xff));
}

/* Suspend of the middle one of three queued senders takes it out of the middle of the queue;
 * resumed, it re-executes its Send and queues at the back. */
static void suspend_and_resume_a_queued_sender(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr t[3];
    for (seL4_Word i = 0; i < 3; i++) {
        seL4_CPtr b = tt_mint(ep, seL4_AllRights, i + 1);
        t[i] = tt_thread("sender", send_word, (b << 8) | (10 + i), 100);
        tt_let_others_run(); /* it queues before the next one exists */
        assert_int_equal(tt_state(t[i]), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    }
    assert_int_equal(seL4_TCB_Suspend(t[1]), seL4_NoError);
    assert_int_equal(tt_state(t[1]), KEEL_MODEL_THREAD_INACTIVE);
    seL4_Word badge;
    (void)seL4_Recv(ep, &badge);
    assert_int_equal(badge, 1);
    assert_int_equal(seL4_GetMR(0), 10);
    assert_int_equal(seL4_TCB_Resume(t[1]), seL4_NoError);
    assert_int_equal(tt_state(t[1]), KEEL_MODEL_THREAD_RESTART);
    tt_let_others_run();
    assert_int_equal(tt_state(t[1]), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    (void)seL4_Recv(ep, &badge);
    assert_int_equal(badge, 3);
    assert_int_equal(seL4_GetMR(0), 12);
    (void)seL4_Recv(ep, &badge);
    assert_int_equal(badge, 2);
    assert_int_equal(seL4_GetMR(0), 11);
    badge = 99;
    (void)seL4_NBRecv(ep, &badge); /* the queue is empty */
    assert_int_equal(badge, 0);
    tt_let_others_run();
    assert_string_equal(tt_transcript(),
                        "sender 10 returned\nsender 11 returned\nsender 12 returned\n");
    MODEL_CHECK();
    keel_model_shutdown();
}

static void wait_and_log(seL4_Word arg)
{
    seL4_Word badge;
    seL4_Wait(ntfn, &badge);
    tt_log("waiter %lu woke with %lu", (unsigned long)arg, (unsigned long)badge);
}

/* §8.4 cancelSignal: suspending a waiter takes it out of the queue; the notification is Idle
 * once nobody waits. Resumed, the waiter re-executes its Wait. */
static void suspend_and_resume_a_notification_waiter(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr b4 = tt_mint(ntfn, seL4_AllRights, 4);
    seL4_CPtr b8 = tt_mint(ntfn, seL4_AllRights, 8);
    seL4_CPtr b16 = tt_mint(ntfn, seL4_AllRights, 16);
    seL4_CPtr w1 = tt_thread("w1", wait_and_log, 1, 100);
    tt_let_others_run();
    assert_int_equal(tt_state(w1), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
    /* The only waiter: the notification becomes Idle, so a signal makes it Active. */
    assert_int_equal(seL4_TCB_Suspend(w1), seL4_NoError);
    assert_int_equal(tt_state(w1), KEEL_MODEL_THREAD_INACTIVE);
    seL4_Signal(b4);
    assert_int_equal(tt_state(w1), KEEL_MODEL_THREAD_INACTIVE);
    seL4_Word badge = 0;
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 4);
    (void)seL4_Poll(ntfn, &badge);
    assert_int_equal(badge, 0);
    /* Resumed, it waits again, and a signal wakes it. */
    assert_int_equal(seL4_TCB_Resume(w1), seL4_NoError);
    tt_let_others_run();
    assert_int_equal(tt_state(w1), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
    seL4_Signal(b8);
    tt_let_others_run();
    assert_string_equal(tt_transcript(), "waiter 1 woke with 8\n");
    /* The first of two waiters: the other stays queued (Waiting) and gets the next signal. */
    tt_log_reset();
    seL4_CPtr w2 = tt_thread("w2", wait_and_log, 2, 100);
    tt_let_others_run();
    seL4_CPtr w3 = tt_thread("w3", wait_and_log, 3, 100);
    tt_let_others_run();
    assert_int_equal(seL4_TCB_Suspend(w2), seL4_NoError);
    seL4_Signal(b16);
    assert_int_equal(tt_state(w3), KEEL_MODEL_THREAD_RUNNING);
    assert_int_equal(tt_state(w2), KEEL_MODEL_THREAD_INACTIVE);
    tt_let_others_run();
    assert_string_equal(tt_transcript(), "waiter 3 woke with 16\n");
    (void)seL4_Poll(ntfn, &badge); /* Idle again: nobody waits */
    assert_int_equal(badge, 0);
    MODEL_CHECK();
    keel_model_shutdown();
}

static seL4_CPtr self_tcb;

static void suspend_self(seL4_Word arg)
{
    tt_log("before suspend %lu", (unsigned long)arg);
    seL4_TCB_Suspend(self_tcb);
    tt_log("after suspend");
}

/* A thread that suspends itself re-executes the Suspend when resumed (restart PC). */
static void self_suspend_is_re_executed(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    self_tcb = tt_thread("self", suspend_self, 1, 100);
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn);
    assert_int_equal(tt_state(self_tcb), KEEL_MODEL_THREAD_INACTIVE);
    assert_int_equal(seL4_TCB_Resume(self_tcb), seL4_NoError);
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn);
    assert_int_equal(tt_state(self_tcb), KEEL_MODEL_THREAD_INACTIVE);
    assert_string_equal(tt_transcript(), "before suspend 1\nthread 0\nthread 0\n");
    /* Rewriting rip starts it afresh (the model's stand-in for moving past the syscall). */
    tt_log_reset();
    tt_thread_start(self_tcb, say, 7);
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn);
    assert_string_equal(tt_transcript(), "thread 7\nthread 0\n");
    keel_model_shutdown();
}

static seL4_CPtr n4;

static void signal_then_log(seL4_Word arg)
{
    (void)arg;
    seL4_Signal(n4); /* wakes the root thread, which preempts this one right here */
    tt_log("after the signal");
    seL4_Signal(ntfn);
}

/* Suspended while Running (preempted after its syscall finished), a thread resumes after the
 * syscall instead of re-executing it (the kernel's updateRestartPC). */
static void suspended_while_running_goes_on_after_its_syscall(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr n = tt_new(seL4_NotificationObject, 0);
    n4 = tt_mint(n, seL4_AllRights, 4);
    seL4_CPtr t = tt_thread("t", signal_then_log, 0, 100);
    seL4_Word badge;
    seL4_Wait(n, &badge);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_RUNNING);
    assert_int_equal(seL4_TCB_Suspend(t), seL4_NoError);
    assert_int_equal(seL4_TCB_Resume(t), seL4_NoError);
    (void)tt_wait(ntfn);
    assert_string_equal(tt_transcript(), "after the signal\n");
    /* Its Signal was not sent twice. */
    (void)seL4_Poll(n, &badge);
    assert_int_equal(badge, 0);
    keel_model_shutdown();
}

static int runs;

static void count_runs(seL4_Word arg)
{
    (void)arg;
    runs++;
}

/* Returning from the thread function stops the thread; Resume runs the function again. */
static void returning_stops_the_thread(void **state)
{
    (void)state;
    tt_boot();
    runs = 0;
    seL4_CPtr t = tt_thread("t", count_runs, 0, 255);
    seL4_Yield();
    assert_int_equal(runs, 1);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_INACTIVE);
    assert_int_equal(seL4_TCB_Resume(t), seL4_NoError);
    seL4_Yield();
    assert_int_equal(runs, 2);
    keel_model_shutdown();
}

/* A deadlock is reported with every thread and its state, and the program aborts. */
static void deadlock(void)
{
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr t = tt_thread("stuck", recv_and_log, 1, 10);
    (void)t;
    seL4_Word badge;
    seL4_Recv(ep, &badge); /* both now wait on ep: nobody can run */
}

static void deadlock_is_reported_loudly(void **state)
{
    (void)state;
    char out[4096];
    assert_int_equal(tt_run_dying(deadlock, out, sizeof(out)), SIGABRT);
    assert_non_null(strstr(out, "deadlock"));
    assert_non_null(strstr(out, "'rootserver'"));
    assert_non_null(strstr(out, "'stuck'"));
    assert_non_null(strstr(out, "blocked on receive on the endpoint"));
}

static seL4_CPtr block_ntfn, call_ep;

static void block_forever(seL4_Word arg)
{
    seL4_Word badge;
    switch (arg % 3) {
    case 0:
        seL4_Recv(ep, &badge);
        break;
    case 1:
        seL4_Wait(block_ntfn, &badge);
        break;
    default:
        seL4_Call(call_ep, seL4_MessageInfo_new(0, 0, 0, 0));
        break;
    }
    T_CHECK(false);
}

/* Shutdown stops and joins threads blocked anywhere; a world boots again after it. */
static void shutdown_ends_blocked_threads_and_boots_again(void **state)
{
    (void)state;
    for (int round = 0; round < 3; round++) {
        tt_boot();
        ep = tt_new(seL4_EndpointObject, 0);
        call_ep = tt_new(seL4_EndpointObject, 0);
        block_ntfn = tt_new(seL4_NotificationObject, 0);
        ntfn = tt_new(seL4_NotificationObject, 0);
        for (seL4_Word i = 0; i < 30; i++) {
            tt_thread("blocked", block_forever, i, 100 + i % 5);
        }
        tt_thread("go", say_and_signal, 0, 1);
        (void)tt_wait(ntfn);
        keel_model_counters c;
        keel_model_counters_get(&c);
        assert_int_equal(c.threads_started, 31);
        TT_CHECKS();
        MODEL_CHECK();
        keel_model_shutdown();
    }
}

/* Deleting a blocked thread's TCB ends its host thread; the world goes on. */
static void deleting_a_blocked_thread(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr t = tt_thread("victim", recv_and_log, 1, 100);
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, t, 64), seL4_NoError);
    assert_int_equal(tt_state(t), -1);
    /* The endpoint's queue lost it: a non-blocking send finds nobody. */
    seL4_NBSend(ep, seL4_MessageInfo_new(0, 0, 0, 0));
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn);
    assert_string_equal(tt_transcript(), "thread 0\nthread 0\n");
    MODEL_CHECK();
    keel_model_shutdown();
}

static seL4_CPtr own_tcb;

static void delete_own_tcb(seL4_Word arg)
{
    tt_log("deleting myself");
    seL4_Signal(ntfn);
    seL4_CNode_Delete(seL4_CapInitThreadCNode, own_tcb, 64);
    tt_log("still here"); /* never */
    (void)arg;
}

/* A thread that deletes its own TCB ends there; its host thread leaves. */
static void deleting_ones_own_tcb(void **state)
{
    (void)state;
    tt_boot();
    ntfn = tt_new(seL4_NotificationObject, 0);
    own_tcb = tt_thread("suicidal", delete_own_tcb, 0, 100);
    (void)tt_wait(ntfn);
    tt_thread("go", say_and_signal, 0, 1);
    (void)tt_wait(ntfn);
    assert_int_equal(tt_state(own_tcb), -1);
    assert_string_equal(tt_transcript(), "deleting myself\nthread 0\n");
    MODEL_CHECK();
    keel_model_shutdown();
}

/* keel_model_config.pin_host_cpu: the world runs on one host CPU; shutdown gives the booting
 * thread its affinity back. Scheduling is the same. */
static void pinned_world(void **state)
{
    (void)state;
    cpu_set_t before, during, after;
    assert_int_equal(sched_getaffinity(0, sizeof(before), &before), 0);
    keel_model_config config = {.pin_host_cpu = true};
    tt_boot_with(&config);
    assert_int_equal(sched_getaffinity(0, sizeof(during), &during), 0);
    assert_int_equal(CPU_COUNT(&during), 1);
    ntfn = tt_new(seL4_NotificationObject, 0);
    for (seL4_Word i = 1; i <= 3; i++) {
        tt_thread("worker", i == 1 ? say_and_signal : say, i, 100);
    }
    (void)tt_wait(ntfn);
    assert_string_equal(tt_transcript(), "thread 3\nthread 2\nthread 1\n");
    keel_model_shutdown();
    assert_int_equal(sched_getaffinity(0, sizeof(after), &after), 0);
    assert_true(CPU_EQUAL(&before, &after));
}

/* Woken by a running thread of equal priority: to the tail, behind a thread already ready at
 * that priority, and the waker goes on (§11.1). */
static void equal_priority_wake_goes_behind_ready_threads(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_NotificationObject, 0); /* a notification, for signal_then_say */
    assert_int_equal(seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, 100),
                     seL4_NoError);
    seL4_CPtr w = tt_thread("waiter", signal_then_say, 0, 100);
    seL4_Yield(); /* the waiter runs and blocks */
    assert_int_equal(tt_state(w), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
    seL4_CPtr x = tt_thread("ready", say, 7, 100);
    assert_int_equal(tt_state(x), KEEL_MODEL_THREAD_RESTART); /* ready, not run yet */
    seL4_Signal(ep);
    tt_log("root goes on");
    seL4_Yield();
    tt_log("root back");
    /* At the head, the waiter would have run before the ready thread. */
    assert_string_equal(tt_transcript(), "root goes on\nthread 7\nwaiter woke\nroot back\n");
    keel_model_shutdown();
}

/* Resumed by a running thread of equal priority: to the head of its queue (restart enqueues
 * it there before the scheduler sees it), and the resumer goes on (§11.1). */
static void equal_priority_resume_goes_to_the_head(void **state)
{
    (void)state;
    tt_boot();
    assert_int_equal(seL4_TCB_SetPriority(seL4_CapInitThreadTCB, seL4_CapInitThreadTCB, 100),
                     seL4_NoError);
    tt_thread("x", say, 1, 100);
    tt_log("root after x");
    tt_thread("y", say, 2, 100);
    tt_log("root after y");
    seL4_Yield();
    tt_log("root back");
    /* At the tail, x would have run first. */
    assert_string_equal(tt_transcript(),
                        "root after x\nroot after y\nthread 2\nthread 1\nroot back\n");
    keel_model_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lower_priority_runs_only_when_root_blocks),
        cmocka_unit_test(higher_priority_preempts_at_once),
        cmocka_unit_test(raising_priority_preempts),
        cmocka_unit_test(restarted_threads_go_to_the_head),
        cmocka_unit_test(woken_threads_go_to_the_head),
        cmocka_unit_test(equal_priority_wake_lets_the_waker_go_on),
        cmocka_unit_test(yield_rotates_equal_priorities),
        cmocka_unit_test(resume_cancels_blocking_and_requeues),
        cmocka_unit_test(suspend_blocked_thread_leaves_the_queue),
        cmocka_unit_test(suspend_and_resume_a_queued_sender),
        cmocka_unit_test(suspend_and_resume_a_notification_waiter),
        cmocka_unit_test(self_suspend_is_re_executed),
        cmocka_unit_test(suspended_while_running_goes_on_after_its_syscall),
        cmocka_unit_test(returning_stops_the_thread),
        cmocka_unit_test(deadlock_is_reported_loudly),
        cmocka_unit_test(shutdown_ends_blocked_threads_and_boots_again),
        cmocka_unit_test(deleting_a_blocked_thread),
        cmocka_unit_test(deleting_ones_own_tcb),
        cmocka_unit_test(pinned_world),
        cmocka_unit_test(equal_priority_wake_goes_behind_ready_threads),
        cmocka_unit_test(equal_priority_resume_goes_to_the_head),
    };
    return cmocka_run_group_tests_name("threads.sched", tests, NULL, NULL);
}
