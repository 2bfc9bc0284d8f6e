/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The slot allocator on the model: the boot region, runs, next fit, growth to a two-level
 * CSpace that keeps every existing CPtr valid, 2^20 live caps, and fail-at-N through growth.
 */
#include <stdio.h>
#include <string.h>

#include <keel/cslot.h>
#include <keel/untyped.h>

#include "alloc_test.h"

struct world {
    seL4_BootInfo *bi;
    keel_cslot_t cs;
    keel_ut_t ut;
};

static struct world w;

static void boot(const keel_cslot_config_t *config, bool with_ut)
{
    w.bi = model_test_boot(NULL);
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cslot_init(&w.cs, w.bi, config, &s), KEEL_OK);
    if (with_ut) {
        assert_int_equal(keel_ut_init(&w.ut, w.bi, &w.cs, &s), KEEL_OK);
    }
}

static int setup(void **state)
{
    (void)state;
    boot(NULL, true);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    keel_model_shutdown();
    test_storage_release();
    return 0;
}

static const uint64_t boot_free = 4096 - 1158 - 2 * KEEL_CSLOT_RESERVE;

static void boot_region_runs_and_frees(void **state)
{
    (void)state;
    keel_cslot_stats_t st;
    keel_cslot_stats(&w.cs, &st);
    assert_int_equal(st.slots_total, 4096 - 1158);
    assert_int_equal(st.slots_free, boot_free);
    assert_false(st.two_level);
    assert_int_equal(keel_cslot_root(&w.cs), seL4_CapInitThreadCNode);
    assert_int_equal(keel_cslot_depth(&w.cs), 64);
    seL4_CPtr a, run;
    assert_int_equal(keel_cslot_alloc(&w.cs, &a), KEEL_OK);
    assert_true(a >= w.bi->empty.start && a < w.bi->empty.end);
    assert_int_equal(keel_cslot_alloc_range(&w.cs, 256, &run), KEEL_OK);
    assert_true(run >= w.bi->empty.start && run + 256 <= w.bi->empty.end);
    /* The run really is a retype destination: 256 endpoints land in it. */
    keel_ut_block_t blk;
    assert_int_equal(keel_ut_alloc(&w.ut, 12, 0, &blk), KEEL_OK);
    keel_slot_dest_t d;
    keel_cslot_dest(&w.cs, run, &d);
    assert_int_equal(seL4_Untyped_Retype(blk.cptr, seL4_EndpointObject, 0, d.root, d.index,
                                         d.depth, d.offset, 256),
                     seL4_NoError);
    keel_model_cap_info info;
    keel_model_cap(run + 255, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(keel_cslot_alloc_range(&w.cs, 0, &run), KEEL_EINVAL);
    assert_int_equal(keel_cslot_alloc_range(&w.cs, 4097, &run), KEEL_EINVAL);
    assert_int_equal(keel_ut_free(&w.ut, &blk, 0), KEEL_OK);
    keel_cslot_free_range(&w.cs, run, 256);
    keel_cslot_free(&w.cs, a);
    keel_cslot_stats(&w.cs, &st);
    assert_int_equal(st.slots_taken, 0);
    assert_int_equal(st.slots_free, boot_free);
    TEST_PANIC(keel_cslot_free(&w.cs, a)); /* double free */
    ALLOC_CHECK(&w.ut, &w.cs);
}

static void next_fit_delays_reuse(void **state)
{
    (void)state;
    keel_model_shutdown();
    test_storage_release();
    keel_cslot_config_t config = {.next_fit = true};
    boot(&config, true);
    seL4_CPtr a, b;
    assert_int_equal(keel_cslot_alloc(&w.cs, &a), KEEL_OK);
    keel_cslot_free(&w.cs, a);
    assert_int_equal(keel_cslot_alloc(&w.cs, &b), KEEL_OK);
    assert_int_not_equal(a, b);
    keel_cslot_free(&w.cs, b);
    ALLOC_CHECK(&w.ut, &w.cs);
}

static void no_growth_without_memory(void **state)
{
    (void)state;
    keel_model_shutdown();
    test_storage_release();
    boot(NULL, false);
    seL4_CPtr s;
    for (uint64_t i = 0; i < boot_free; i++) {
        assert_int_equal(keel_cslot_alloc(&w.cs, &s), KEEL_OK);
    }
    assert_int_equal(keel_cslot_alloc(&w.cs, &s), KEEL_ENOSLOT);
    ALLOC_CHECK(NULL, &w.cs);
}

static void growth_makes_two_levels_and_keeps_cptrs(void **state)
{
    (void)state;
    /* A cap made before growth, in a boot slot. */
    seL4_CPtr early;
    assert_int_equal(keel_cslot_alloc(&w.cs, &early), KEEL_OK);
    keel_ut_block_t blk;
    assert_int_equal(keel_ut_alloc(&w.ut, 12, 0, &blk), KEEL_OK);
    keel_slot_dest_t d;
    keel_cslot_dest(&w.cs, early, &d);
    assert_int_equal(seL4_Untyped_Retype(blk.cptr, seL4_NotificationObject, 0, d.root, d.index,
                                         d.depth, d.offset, 1),
                     seL4_NoError);
    /* Use up the boot region; the next slot needs a leaf. */
    seL4_CPtr s;
    for (uint64_t i = 1; i < boot_free; i++) {
        assert_int_equal(keel_cslot_alloc(&w.cs, &s), KEEL_OK);
    }
    uint64_t before = w.cs.kstat.calls + w.ut.kstat.calls;
    assert_int_equal(keel_cslot_alloc(&w.cs, &s), KEEL_OK);
    keel_cslot_stats_t st;
    keel_cslot_stats(&w.cs, &st);
    assert_true(st.two_level);
    assert_int_equal(st.leaves, 1);
    /* First fit may hand out a boot slot freed by the growth itself; leaf 1 comes next. */
    while (s >> 12 == 0) {
        assert_int_equal(keel_cslot_alloc(&w.cs, &s), KEEL_OK);
    }
    assert_int_equal(s >> 12, 1);
    /* Two-level setup (3) and one leaf (1), plus the splits for their memory. */
    assert_int_equal(w.cs.kstat.calls, 4);
    print_message("first growth: %llu kernel calls in all\n",
                  (unsigned long long)(w.cs.kstat.calls + w.ut.kstat.calls - before));
    /* Every CPtr from before still names the same cap. */
    keel_model_cap_info info;
    keel_model_cap(early, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NOTIFICATION);
    keel_model_cap(seL4_CapInitThreadTCB, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_TCB);
    keel_model_cap(w.bi->untyped.start, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_UNTYPED);
    /* The new slot works as an invocation target, a retype destination and a CNode-op slot. */
    keel_cslot_dest(&w.cs, s, &d);
    assert_int_equal(seL4_Untyped_Retype(blk.cptr, seL4_EndpointObject, 0, d.root, d.index,
                                         d.depth, d.offset, 1),
                     seL4_NoError);
    keel_model_cap(s, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ENDPOINT);
    seL4_CPtr copy;
    assert_int_equal(keel_cslot_alloc(&w.cs, &copy), KEEL_OK);
    assert_int_equal(seL4_CNode_Copy(keel_cslot_root(&w.cs), copy, keel_cslot_depth(&w.cs),
                                     keel_cslot_root(&w.cs), early, keel_cslot_depth(&w.cs),
                                     seL4_AllRights),
                     seL4_NoError);
    keel_model_cap(copy, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NOTIFICATION);
    assert_int_equal(seL4_CNode_Delete(keel_cslot_root(&w.cs), copy, keel_cslot_depth(&w.cs)),
                     seL4_NoError);
    assert_int_equal(keel_ut_free(&w.ut, &blk, 0), KEEL_OK);
    ALLOC_CHECK(&w.ut, &w.cs);
}

static void a_million_live_caps(void **state)
{
    (void)state;
    enum { RUNS = 4096, PER_RUN = 256 }; /* 2^20 endpoints, 256 per 4 KiB block */
    static seL4_CPtr runs[RUNS];
    static keel_ut_block_t blocks[RUNS];
    size_t eps = keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT);
    for (size_t i = 0; i < RUNS; i++) {
        assert_int_equal(keel_cslot_alloc_range(&w.cs, PER_RUN, &runs[i]), KEEL_OK);
        assert_int_equal(keel_ut_alloc(&w.ut, 12, 0, &blocks[i]), KEEL_OK);
        keel_slot_dest_t d;
        keel_cslot_dest(&w.cs, runs[i], &d);
        assert_int_equal(seL4_Untyped_Retype(blocks[i].cptr, seL4_EndpointObject, 0, d.root,
                                             d.index, d.depth, d.offset, PER_RUN),
                         seL4_NoError);
    }
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps + (1u << 20));
    keel_cslot_stats_t st;
    keel_cslot_stats(&w.cs, &st);
    print_message("2^20 endpoints: %zu leaves, %llu slots in all, %zu metadata bytes "
                  "(%.3f per slot)\n",
                  st.leaves, (unsigned long long)st.slots_total, st.meta_bytes,
                  (double)st.meta_bytes / (double)st.slots_total);
    assert_true(st.meta_bytes < st.slots_total / 4); /* the bitmap: an eighth of a byte each */
    keel_model_cap_info info;
    keel_model_cap(runs[RUNS - 1] + PER_RUN - 1, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ENDPOINT);
    ALLOC_CHECK(&w.ut, &w.cs);
    for (size_t i = 0; i < RUNS; i++) {
        assert_int_equal(keel_ut_free(&w.ut, &blocks[i], 0), KEEL_OK);
        keel_cslot_free_range(&w.cs, runs[i], PER_RUN);
    }
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps);
    ALLOC_CHECK(&w.ut, &w.cs);
}

static void check_catches_a_cap_in_a_free_slot(void **state)
{
    (void)state;
    seL4_CPtr s;
    assert_int_equal(keel_cslot_alloc(&w.cs, &s), KEEL_OK);
    keel_cslot_free(&w.cs, s);
    /* Put a cap in the freed slot behind the allocator's back. */
    assert_int_equal(seL4_CNode_Copy(seL4_CapInitThreadCNode, s, 64, seL4_CapInitThreadCNode,
                                     seL4_CapInitThreadTCB, 64, seL4_AllRights),
                     seL4_NoError);
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    assert_int_equal(keel_cslot_check(&w.cs, &kv, &what), -1);
    assert_non_null(what);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, s, 64), seL4_NoError);
    assert_int_equal(keel_cslot_check(&w.cs, &kv, &what), 0);
}

/* Fail every kernel call of the first growth (two-level setup and a leaf) in turn. */
static void fail_at_n_growth(void **state)
{
    (void)state;
    keel_model_shutdown();
    test_storage_release();
    for (uint64_t n = 1;; n++) {
        boot(NULL, true);
        seL4_CPtr s;
        for (uint64_t i = 0; i < boot_free; i++) {
            assert_int_equal(keel_cslot_alloc(&w.cs, &s), KEEL_OK);
        }
        keel_model_snapshot snap;
        keel_model_snapshot_take(&snap);
        keel_model_inject_fail(n, KEEL_MODEL_ANY_LABEL, seL4_NotEnoughMemory);
        keel_err_t err = keel_cslot_alloc(&w.cs, &s);
        bool fired = keel_model_inject_fired();
        keel_model_inject_clear();
        if (!fired) {
            assert_int_equal(err, KEEL_OK);
            ALLOC_CHECK(&w.ut, &w.cs);
            print_message("growth succeeds with %llu kernel calls\n", (unsigned long long)(n - 1));
            break;
        }
        assert_int_equal(err, KEEL_EKERNEL);
        keel_cslot_stats_t st;
        keel_cslot_stats(&w.cs, &st);
        assert_int_equal(st.leaves, 0);
        /* Splits undone by the allocator may leave free subtrees: collapse them and compare. */
        keel_ut_compact(&w.ut);
        LEAK_CHECK(&snap);
        ALLOC_CHECK(&w.ut, &w.cs);
        assert_int_equal(keel_cslot_alloc(&w.cs, &s), KEEL_OK); /* usable: grows now */
        ALLOC_CHECK(&w.ut, &w.cs);
        keel_model_shutdown();
        test_storage_release();
    }
    keel_model_shutdown();
    test_storage_release();
    boot(NULL, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(boot_region_runs_and_frees, setup, teardown),
        cmocka_unit_test_setup_teardown(next_fit_delays_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(no_growth_without_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(growth_makes_two_levels_and_keeps_cptrs, setup, teardown),
        cmocka_unit_test_setup_teardown(a_million_live_caps, setup, teardown),
        cmocka_unit_test_setup_teardown(check_catches_a_cap_in_a_free_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(fail_at_n_growth, setup, teardown),
    };
    return cmocka_run_group_tests_name("alloc.cslot", tests, NULL, NULL);
}
