/* SPDX-License-Identifier: BSD-2-Clause */
/* Scheduling (sel4-semantics §11.1). */
#include "thread_test.h"

static void say(seL4_Word arg)
{
    tt_log("thread %lu", (unsigned long)arg);
}

static void lower_priority_runs_when_root_blocks(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr ep = tt_new(seL4_EndpointObject, 0);
    tt_thread("a", say, 1, 100);
    tt_log("root");
    assert_string_equal(tt_transcript(), "root\n");
    (void)ep;
    seL4_Yield();
    assert_string_equal(tt_transcript(), "root\n");
    keel_model_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lower_priority_runs_when_root_blocks),
    };
    return cmocka_run_group_tests_name("threads.sched", tests, NULL, NULL);
}
