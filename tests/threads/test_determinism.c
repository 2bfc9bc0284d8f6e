/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Determinism (sel4-semantics §11.1): a scenario with threads at several priorities, Call and
 * ReplyRecv, Send, notifications (bound and not), Yield, Suspend and Resume, run 20 times in
 * fresh worlds, prints the same transcript every time.
 */
#include <stdlib.h>
#include <string.h>

#include "thread_test.h"

enum { CLIENT_CALLS = 6, RUNS = 20 };

static seL4_CPtr ep, log_ep, tick, bound_ntfn, done, worker_tcb;

static void server(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_Recv(ep, &badge);
    for (;;) {
        seL4_Word n = seL4_MessageInfo_get_length(info);
        seL4_Word sum = 0;
        for (seL4_Word i = 0; i < n; i++) {
            sum += seL4_GetMR((int)i);
        }
        tt_log("server: badge %lu label %lu sum %lu", (unsigned long)badge,
               (unsigned long)seL4_MessageInfo_get_label(info), (unsigned long)sum);
        seL4_SetMR(0, sum);
        info = seL4_ReplyRecv(ep, seL4_MessageInfo_new(0, 0, 0, 1), &badge);
    }
}

static void client(seL4_Word cap)
{
    for (seL4_Word i = 0; i < CLIENT_CALLS; i++) {
        seL4_Word n = 1 + (i * 3) % 7; /* 1..7 words: registers and buffer */
        for (seL4_Word k = 0; k < n; k++) {
            seL4_SetMR((int)k, cap * 100 + i + k);
        }
        seL4_MessageInfo_t r = seL4_Call(cap, seL4_MessageInfo_new(i, 0, 0, n));
        tt_log("client %lu: call %lu -> %lu", (unsigned long)cap, (unsigned long)i,
               (unsigned long)seL4_GetMR(0));
        (void)r;
        if (i % 2 == 0) {
            seL4_Signal(tick);
        }
        seL4_Yield();
    }
    seL4_Signal(done);
}

/* Bound to bound_ntfn: receives messages on log_ep and signals in between. */
static void watcher(seL4_Word arg)
{
    (void)arg;
    for (int i = 0; i < 12; i++) { /* each tick: a signal, then a message */
        seL4_Word badge;
        seL4_MessageInfo_t info = seL4_Recv(log_ep, &badge);
        tt_log("watcher: badge %lx len %lu", (unsigned long)badge,
               (unsigned long)seL4_MessageInfo_get_length(info));
    }
    seL4_Signal(done);
}

static void ticker(seL4_Word arg)
{
    for (int i = 0; i < 6; i++) {
        seL4_Word badge;
        seL4_Wait(tick, &badge);
        tt_log("ticker %lu: tick", (unsigned long)arg);
        seL4_Signal(bound_ntfn);
        seL4_SetMR(0, (seL4_Word)i);
        seL4_Send(log_ep, seL4_MessageInfo_new(0, 0, 0, 1));
    }
    seL4_Signal(done);
}

static void worker(seL4_Word arg)
{
    for (int i = 0;; i++) {
        tt_log("worker %lu: step %d", (unsigned long)arg, i);
        seL4_Yield();
    }
}

static void manager(seL4_Word arg)
{
    (void)arg;
    for (int i = 0; i < 3; i++) {
        seL4_TCB_Suspend(worker_tcb);
        tt_log("manager: suspended the worker");
        seL4_Yield();
        seL4_TCB_Resume(worker_tcb);
        tt_log("manager: resumed the worker");
        seL4_Yield();
    }
    seL4_TCB_Suspend(worker_tcb);
    seL4_Signal(done);
}

static char *run_scenario(void)
{
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    log_ep = tt_new(seL4_EndpointObject, 0);
    tick = tt_new(seL4_NotificationObject, 0);
    bound_ntfn = tt_new(seL4_NotificationObject, 0);
    done = tt_new(seL4_NotificationObject, 0);
    tt_thread("server", server, 0, 150);
    seL4_CPtr w = tt_thread_new("watcher", 140, 0);
    assert_int_equal(seL4_TCB_BindNotification(w, bound_ntfn), seL4_NoError);
    tt_thread_start(w, watcher, 0);
    tt_thread("ticker", ticker, 1, 130);
    for (seL4_Word b = 1; b <= 3; b++) {
        seL4_CPtr cap = tt_mint(ep, seL4_AllRights, b);
        tt_thread("client", client, cap, b == 3 ? 120 : 100);
    }
    worker_tcb = tt_thread("worker", worker, 7, 90);
    tt_thread("manager", manager, 0, 90);
    /* Three clients, the ticker, the watcher and the manager signal done. */
    for (int i = 0; i < 6; i++) {
        seL4_Word badge;
        seL4_Wait(done, &badge);
        tt_log("root: done %d", i);
        MODEL_CHECK(); /* queues, bindings and ready queues mid-scenario */
    }
    keel_model_counters c;
    keel_model_counters_get(&c);
    tt_log("switches %lu messages %lu", (unsigned long)c.context_switches,
           (unsigned long)c.ipc_messages);
    TT_CHECKS();
    char *out = strdup(tt_transcript());
    keel_model_shutdown();
    return out;
}

static void same_transcript_every_run(void **state)
{
    (void)state;
    char *first = run_scenario();
    /* Non-trivial: every client call, the ticks and the watcher's messages are there. */
    size_t lines = 0;
    for (const char *p = first; *p != '\0'; p++) {
        lines += *p == '\n';
    }
    assert_true(lines > 60);
    assert_non_null(strstr(first, ": call 5 -> "));
    assert_non_null(strstr(first, "watcher: badge"));
    assert_non_null(strstr(first, "manager: resumed the worker"));
    for (int run = 1; run < RUNS; run++) {
        char *again = run_scenario();
        if (strcmp(first, again) != 0) {
            print_error("run %d differs:\n--- first ---\n%s\n--- run %d ---\n%s\n", run, first, run,
                        again);
            fail();
        }
        free(again);
    }
    free(first);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_transcript_every_run),
    };
    return cmocka_run_group_tests_name("threads.determinism", tests, NULL, NULL);
}
