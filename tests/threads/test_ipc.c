/* SPDX-License-Identifier: BSD-2-Clause */
/* IPC (sel4-semantics §8). */
#include "thread_test.h"

static seL4_CPtr ep;

static void echo_server(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_Recv(ep, &badge);
    for (;;) {
        seL4_Word n = seL4_MessageInfo_get_length(info);
        tt_log("server got %lu words badge %lu", (unsigned long)n, (unsigned long)badge);
        for (seL4_Word i = 0; i < n; i++) {
            seL4_SetMR((int)i, seL4_GetMR((int)i) + 1);
        }
        info = seL4_ReplyRecv(ep, seL4_MessageInfo_new(7, 0, 0, n), &badge);
    }
}

static void call_and_reply(void **state)
{
    (void)state;
    tt_boot();
    ep = tt_new(seL4_EndpointObject, 0);
    tt_thread("server", echo_server, 0, 100);
    seL4_SetMR(0, 41);
    seL4_MessageInfo_t info = seL4_Call(ep, seL4_MessageInfo_new(3, 0, 0, 1));
    assert_int_equal(seL4_MessageInfo_get_label(info), 7);
    assert_int_equal(seL4_MessageInfo_get_length(info), 1);
    assert_int_equal(seL4_GetMR(0), 42);
    assert_string_equal(tt_transcript(), "server got 1 words badge 0\n");
    TT_CHECKS();
    MODEL_CHECK();
    keel_model_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(call_and_reply),
    };
    return cmocka_run_group_tests_name("threads.ipc", tests, NULL, NULL);
}
