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

/* A world whose slot allocator has no untyped allocator to grow with. */
static void boot_without_ut(void)
{
    aw.bi = model_test_boot(NULL);
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cslot_init(&aw.cs, aw.bi, NULL, &s), KEEL_OK);
}

static const uint64_t boot_free = 4096 - 1158 - 2 * KEEL_CSLOT_RESERVE;

static void boot_region_runs_and_frees(void **state)
{
    (void)state;
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    assert_int_equal(st.slots_total, 4096 - 1158);
    assert_int_equal(st.slots_free, boot_free);
    assert_false(st.two_level);
    assert_int_equal(keel_cslot_root(&aw.cs), seL4_CapInitThreadCNode);
    assert_int_equal(keel_cslot_depth(&aw.cs), 64);
    seL4_CPtr a, run;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &a), KEEL_OK);
    assert_true(a >= aw.bi->empty.start && a < aw.bi->empty.end);
    assert_int_equal(keel_cslot_alloc_range(&aw.cs, 256, &run), KEEL_OK);
    assert_true(run >= aw.bi->empty.start && run + 256 <= aw.bi->empty.end);
    /* The run really is a retype destination: 256 endpoints land in it. */
    keel_ut_block_t blk;
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &blk), KEEL_OK);
    test_retype_into(&aw.cs, blk.cptr, seL4_EndpointObject, run, 256);
    keel_model_cap_info info;
    keel_model_cap(run + 255, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(keel_cslot_alloc_range(&aw.cs, 0, &run), KEEL_EINVAL);
    assert_int_equal(keel_cslot_alloc_range(&aw.cs, 4097, &run), KEEL_EINVAL);
    assert_int_equal(keel_ut_free(&aw.ut, &blk, 0), KEEL_OK);
    keel_cslot_free_range(&aw.cs, run, 256);
    keel_cslot_free(&aw.cs, a);
    keel_cslot_stats(&aw.cs, &st);
    assert_int_equal(st.slots_taken, 0);
    assert_int_equal(st.slots_free, boot_free);
    TEST_PANIC(keel_cslot_free(&aw.cs, a)); /* double free */
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void next_fit_delays_reuse(void **state)
{
    (void)state;
    alloc_world_shutdown();
    keel_cslot_config_t config = {.next_fit = true};
    alloc_world_boot(&config);
    seL4_CPtr a, b;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &a), KEEL_OK);
    keel_cslot_free(&aw.cs, a);
    assert_int_equal(keel_cslot_alloc(&aw.cs, &b), KEEL_OK);
    assert_int_not_equal(a, b);
    keel_cslot_free(&aw.cs, b);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void no_growth_without_memory(void **state)
{
    (void)state;
    alloc_world_shutdown();
    boot_without_ut();
    seL4_CPtr s;
    for (uint64_t i = 0; i < boot_free; i++) {
        assert_int_equal(keel_cslot_alloc(&aw.cs, &s), KEEL_OK);
    }
    assert_int_equal(keel_cslot_alloc(&aw.cs, &s), KEEL_ENOSLOT);
    ALLOC_CHECK(NULL, &aw.cs);
}

static void growth_makes_two_levels_and_keeps_cptrs(void **state)
{
    (void)state;
    /* A cap made before growth, in a boot slot. */
    seL4_CPtr early;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &early), KEEL_OK);
    keel_ut_block_t blk;
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &blk), KEEL_OK);
    test_retype_into(&aw.cs, blk.cptr, seL4_NotificationObject, early, 1);
    /* Use up the boot region; the next slot needs a leaf. */
    seL4_CPtr s;
    for (uint64_t i = 1; i < boot_free; i++) {
        assert_int_equal(keel_cslot_alloc(&aw.cs, &s), KEEL_OK);
    }
    uint64_t before = aw.cs.kstat.calls + aw.ut.kstat.calls;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &s), KEEL_OK);
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    assert_true(st.two_level);
    assert_int_equal(st.leaves, 1);
    /* First fit may hand out a boot slot freed by the growth itself; leaf 1 comes next. */
    while (s >> 12 == 0) {
        assert_int_equal(keel_cslot_alloc(&aw.cs, &s), KEEL_OK);
    }
    assert_int_equal(s >> 12, 1);
    /* Two-level setup (3) and one leaf (1), plus the splits for their memory. */
    assert_int_equal(aw.cs.kstat.calls, 4);
    print_message("first growth: %llu kernel calls in all\n",
                  (unsigned long long)(aw.cs.kstat.calls + aw.ut.kstat.calls - before));
    /* Every CPtr from before still names the same cap. */
    keel_model_cap_info info;
    keel_model_cap(early, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NOTIFICATION);
    keel_model_cap(seL4_CapInitThreadTCB, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_TCB);
    keel_model_cap(aw.bi->untyped.start, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_UNTYPED);
    /* The new slot works as an invocation target, a retype destination and a CNode-op slot. */
    test_retype_into(&aw.cs, blk.cptr, seL4_EndpointObject, s, 1);
    keel_model_cap(s, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ENDPOINT);
    seL4_CPtr copy;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &copy), KEEL_OK);
    assert_int_equal(seL4_CNode_Copy(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs),
                                     keel_cslot_root(&aw.cs), early, keel_cslot_depth(&aw.cs),
                                     seL4_AllRights),
                     seL4_NoError);
    keel_model_cap(copy, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NOTIFICATION);
    assert_int_equal(seL4_CNode_Delete(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs)),
                     seL4_NoError);
    assert_int_equal(keel_ut_free(&aw.ut, &blk, 0), KEEL_OK);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void a_million_live_caps(void **state)
{
    (void)state;
    enum { RUNS = 4096, PER_RUN = 256 }; /* 2^20 endpoints, 256 per 4 KiB block */
    static seL4_CPtr runs[RUNS];
    static keel_ut_block_t blocks[RUNS];
    size_t eps = keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT);
    for (size_t i = 0; i < RUNS; i++) {
        assert_int_equal(keel_cslot_alloc_range(&aw.cs, PER_RUN, &runs[i]), KEEL_OK);
        assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &blocks[i]), KEEL_OK);
        test_retype_into(&aw.cs, blocks[i].cptr, seL4_EndpointObject, runs[i], PER_RUN);
    }
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps + (1u << 20));
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    print_message("2^20 endpoints: %zu leaves, %llu slots in all, %zu metadata bytes "
                  "(%.3f per slot)\n",
                  st.leaves, (unsigned long long)st.slots_total, st.meta_bytes,
                  (double)st.meta_bytes / (double)st.slots_total);
    assert_true(st.meta_bytes < st.slots_total / 4); /* the bitmap: an eighth of a byte each */
    keel_model_cap_info info;
    keel_model_cap(runs[RUNS - 1] + PER_RUN - 1, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ENDPOINT);
    ALLOC_CHECK(&aw.ut, &aw.cs);
    for (size_t i = 0; i < RUNS; i++) {
        assert_int_equal(keel_ut_free(&aw.ut, &blocks[i], 0), KEEL_OK);
        keel_cslot_free_range(&aw.cs, runs[i], PER_RUN);
    }
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void check_catches_a_cap_in_a_free_slot(void **state)
{
    (void)state;
    seL4_CPtr s;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &s), KEEL_OK);
    keel_cslot_free(&aw.cs, s);
    /* Put a cap in the freed slot behind the allocator's back. */
    assert_int_equal(seL4_CNode_Copy(seL4_CapInitThreadCNode, s, 64, seL4_CapInitThreadCNode,
                                     seL4_CapInitThreadTCB, 64, seL4_AllRights),
                     seL4_NoError);
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    assert_int_equal(keel_cslot_check(&aw.cs, &kv, &what), -1);
    assert_non_null(what);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, s, 64), seL4_NoError);
    assert_int_equal(keel_cslot_check(&aw.cs, &kv, &what), 0);
}

/* A leaf CNode taken out from under the allocator is seen, even when the leaf is full. */
static void check_catches_a_missing_leaf(void **state)
{
    (void)state;
    seL4_CPtr s;
    do {
        assert_int_equal(keel_cslot_alloc(&aw.cs, &s), KEEL_OK);
    } while (s >> aw.cs.leaf_radix == 0); /* the first slot of leaf 1 */
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    assert_int_equal(keel_cslot_check(&aw.cs, &kv, &what), 0);
    assert_int_equal(seL4_CNode_Delete(aw.cs.top, 1, (seL4_Uint8)aw.cs.top_radix), seL4_NoError);
    assert_int_equal(keel_cslot_check(&aw.cs, &kv, &what), -1);
    assert_string_equal(what, "a leaf CNode is not where the layout says");
    alloc_world_shutdown(); /* the world is broken: boot a fresh one for the teardown */
    alloc_world_boot(NULL);
}

/* The default leaf radix follows a boot CNode larger than 2^12 slots. */
static void default_layout_fits_a_large_boot_cnode(void **state)
{
    (void)state;
    alloc_world_shutdown();
    keel_model_config mc = {.cnode_radix = 16};
    aw.bi = model_test_boot(&mc);
    keel_storage_t st = test_storage();
    assert_int_equal(keel_cslot_init(&aw.cs, aw.bi, NULL, &st), KEEL_OK);
    assert_int_equal(aw.cs.leaf_radix, 16);
    assert_int_equal(keel_ut_init(&aw.ut, aw.bi, &aw.cs, &st), KEEL_OK);
    keel_cslot_stats_t cst;
    keel_cslot_stats(&aw.cs, &cst);
    for (uint64_t i = 0; i <= cst.slots_free; i++) { /* one past the boot region: a leaf */
        seL4_CPtr s;
        assert_int_equal(keel_cslot_alloc(&aw.cs, &s), KEEL_OK);
    }
    keel_cslot_stats(&aw.cs, &cst);
    assert_int_equal(cst.leaves, 1);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

/*
 * A root task that will start threads sharing its CSpace converts it first; the root that
 * keel_cslot_cspace() gives such a thread then resolves slots of leaves made later, and those
 * of the boot region. The thread's view is a CNode cap minted with that guard data, used as
 * the root of a full-depth lookup (what the kernel does with a TCB's CSpace root).
 */
static void early_two_level_is_shared_with_later_threads(void **state)
{
    (void)state;
    seL4_CNode root;
    seL4_Word data;
    keel_cslot_cspace(&aw.cs, &root, &data);
    assert_int_equal(root, seL4_CapInitThreadCNode);
    assert_int_equal(data, 0);
    uint64_t before = aw.cs.kstat.calls;
    assert_int_equal(keel_cslot_two_level(&aw.cs), KEEL_OK);
    assert_int_equal(aw.cs.kstat.calls - before, 3);
    assert_int_equal(keel_cslot_two_level(&aw.cs), KEEL_OK); /* already: nothing */
    assert_int_equal(aw.cs.kstat.calls - before, 3);
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    assert_true(st.two_level);
    assert_int_equal(st.leaves, 0);
    ALLOC_CHECK(&aw.ut, &aw.cs);

    /* The thread's root: the top CNode with the guard keel_cslot_cspace names. */
    keel_cslot_cspace(&aw.cs, &root, &data);
    assert_int_not_equal(root, seL4_CapInitThreadCNode);
    seL4_CPtr thread_root;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &thread_root), KEEL_OK);
    assert_int_equal(seL4_CNode_Mint(keel_cslot_root(&aw.cs), thread_root, keel_cslot_depth(&aw.cs),
                                     keel_cslot_root(&aw.cs), root, keel_cslot_depth(&aw.cs),
                                     seL4_AllRights, data),
                     seL4_NoError);
    /* Fill the boot region so that the next slot is in a leaf made now. */
    seL4_CPtr s = 0;
    while (s >> aw.cs.leaf_radix == 0) {
        assert_int_equal(keel_cslot_alloc(&aw.cs, &s), KEEL_OK);
    }
    keel_cslot_stats(&aw.cs, &st);
    assert_int_equal(st.leaves, 1);
    keel_ut_block_t blk;
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &blk), KEEL_OK);
    test_retype_into(&aw.cs, blk.cptr, seL4_EndpointObject, s, 1);
    /* Through the thread's root, the leaf's slot and a boot slot name the root task's caps. */
    seL4_CPtr copy;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &copy), KEEL_OK);
    const seL4_CPtr named[] = {s, seL4_CapInitThreadTCB};
    const int types[] = {KEEL_MODEL_CAP_ENDPOINT, KEEL_MODEL_CAP_TCB};
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(seL4_CNode_Copy(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs),
                                         thread_root, named[i], seL4_WordBits, seL4_AllRights),
                         seL4_NoError);
        keel_model_cap_info info;
        keel_model_cap(copy, &info);
        assert_int_equal(info.type, types[i]);
        assert_int_equal(seL4_CNode_Delete(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs)),
                         seL4_NoError);
    }
    assert_int_equal(
        seL4_CNode_Delete(keel_cslot_root(&aw.cs), thread_root, keel_cslot_depth(&aw.cs)),
        seL4_NoError);
    assert_int_equal(keel_ut_free(&aw.ut, &blk, 0), KEEL_OK);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

/* Fail every kernel call of the first growth (two-level setup and a leaf) in turn. */

static seL4_CPtr grown;

static void boot_and_fill_the_boot_region(void)
{
    alloc_world_boot(NULL);
    for (uint64_t i = 0; i < boot_free; i++) {
        assert_int_equal(keel_cslot_alloc(&aw.cs, &grown), KEEL_OK);
    }
}

static keel_err_t op_grow(void)
{
    return keel_cslot_alloc(&aw.cs, &grown);
}

static void check(void)
{
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void no_leaf_yet(void)
{
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    assert_int_equal(st.leaves, 0);
    assert_false(st.two_level); /* a failed first growth undoes the two-level conversion */
}

static void fail_at_n_growth(void **state)
{
    (void)state;
    /* A failed leaf retype leaves the split that made its block: compact to compare. */
    fail_at_n_case_t c = {.name = "first growth",
                          .boot = boot_and_fill_the_boot_region,
                          .op = op_grow,
                          .check = check,
                          .after_failure = no_leaf_yet,
                          .compact = true};
    assert_int_equal(fail_at_n(&c), 5);
    alloc_world_boot(NULL);
}

/* Fail every kernel call of the explicit two-level conversion, and of a later growth. */

static void boot_and_fill_the_first_leaf(void)
{
    boot_and_fill_the_boot_region();
    keel_cslot_stats_t st;
    do {
        assert_int_equal(keel_cslot_alloc(&aw.cs, &grown), KEEL_OK);
        keel_cslot_stats(&aw.cs, &st);
    } while (st.slots_free > 0);
    assert_int_equal(st.leaves, 1);
}

static keel_err_t op_two_level(void)
{
    return keel_cslot_two_level(&aw.cs);
}

static void still_one_level(void)
{
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    assert_false(st.two_level);
}

static void one_leaf(void)
{
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    assert_int_equal(st.leaves, 1);
}

static void boot_default(void)
{
    alloc_world_boot(NULL);
}

static void fail_at_n_conversion_and_later_growth(void **state)
{
    (void)state;
    fail_at_n_case_t conversion = {.name = "two_level",
                                   .boot = boot_default,
                                   .op = op_two_level,
                                   .check = check,
                                   .after_failure = still_one_level};
    assert_int_equal(fail_at_n(&conversion), 3);
    fail_at_n_case_t second = {.name = "second growth",
                               .boot = boot_and_fill_the_first_leaf,
                               .op = op_grow,
                               .check = check,
                               .after_failure = one_leaf,
                               .compact = true};
    assert_true(fail_at_n(&second) >= 1); /* a leaf retype, and splits if no block is free */
    alloc_world_boot(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(boot_region_runs_and_frees, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(next_fit_delays_reuse, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(no_growth_without_memory, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(growth_makes_two_levels_and_keeps_cptrs, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(early_two_level_is_shared_with_later_threads,
                                        alloc_world_setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(a_million_live_caps, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(check_catches_a_cap_in_a_free_slot, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(check_catches_a_missing_leaf, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(default_layout_fits_a_large_boot_cnode, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(fail_at_n_growth, alloc_world_setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(fail_at_n_conversion_and_later_growth, alloc_world_setup,
                                        alloc_world_teardown),
    };
    return cmocka_run_group_tests_name("alloc.cslot", tests, NULL, NULL);
}
