/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frame pools on the model: pool making (4 retypes of 256 at the kernel's default fan-out),
 * contiguity and alignment, the CapBuddy failure cases (whole-pool cycles, stranding), zeroing
 * with and without a scrubber, alloc_at, reaping, fail-at-N, and a differential test against
 * a bitmap per pool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/fpool.h>

#include "alloc_test.h"

static keel_fpool_t fp;
static uint64_t scrub_calls;

/* A scrubber that zeroes physical memory directly, as a DMA engine would. */
static keel_err_t phys_scrub(void *ctx, seL4_CPtr frame, uint64_t paddr, unsigned size_bits)
{
    (void)ctx;
    (void)frame;
    memset(keel_model_phys(paddr, 1ull << size_bits), 0, 1ull << size_bits);
    scrub_calls++;
    return KEEL_OK;
}

static const keel_scrub_t scrubber = {.scrub = phys_scrub};

static void boot(bool with_scrubber)
{
    alloc_world_boot(NULL);
    keel_storage_t s = test_storage();
    keel_fpool_config_t cfg = {.scrub = with_scrubber ? &scrubber : NULL};
    assert_int_equal(keel_fpool_init(&fp, &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
    scrub_calls = 0;
}

static void boot_scrubbed(void)
{
    boot(true);
}

static void boot_unscrubbed(void)
{
    boot(false);
}

static int setup(void **state)
{
    (void)state;
    boot(true);
    return 0;
}

static void fpool_check(void)
{
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    if (keel_fpool_check(&fp, &kv, &what) != 0) {
        fail_msg("keel_fpool_check: %s", what);
    }
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void assert_run(const keel_fpool_run_t *r, unsigned k)
{
    assert_int_equal(r->count, 1u << k);
    assert_int_equal(r->paddr & ((1ull << (k + 12)) - 1), 0);
    for (uint32_t i = 0; i<r->count; i += r->count> 8 ? r->count / 8 : 1) {
        seL4_X86_Page_GetAddress_t ga = seL4_X86_Page_GetAddress(r->first + i);
        assert_int_equal(ga.error, 0);
        assert_int_equal(ga.paddr, r->paddr + ((uint64_t)i << 12));
    }
}

static void a_pool_is_1024_frames_in_4_retypes(void **state)
{
    (void)state;
    keel_fpool_run_t r;
    uint64_t before = keel_model_invocations();
    assert_int_equal(keel_fpool_alloc(&fp, 0, 0, &r), KEEL_OK);
    /* A 4 MiB block (the boot untyped at 0x400000 fits exactly) and 4 retypes of 256. */
    assert_int_equal(keel_model_invocations() - before, 4);
    assert_int_equal(r.paddr, 0x400000);
    assert_run(&r, 0);
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.pools, 1);
    assert_int_equal(st.frames, 1024);
    assert_int_equal(st.frames_used, 1);
    assert_true(st.meta_bytes > 0);
    /* Every other size comes from the same pool with no kernel call. */
    keel_fpool_run_t runs[10];
    for (unsigned k = 0; k < 9; k++) {
        before = keel_model_invocations();
        assert_int_equal(keel_fpool_alloc(&fp, k, 0, &runs[k]), KEEL_OK);
        assert_int_equal(keel_model_invocations() - before, 0);
        assert_run(&runs[k], k);
    }
    assert_true(keel_fpool_is_from_pool(&fp, runs[3].first + 7));
    assert_false(keel_fpool_is_from_pool(&fp, seL4_CapInitThreadTCB));
    for (unsigned k = 0; k < 9; k++) {
        assert_int_equal(keel_fpool_free(&fp, runs[k].first, k, 0), KEEL_OK);
    }
    assert_int_equal(keel_fpool_free(&fp, r.first, 0, 0), KEEL_OK);
    assert_int_equal(keel_fpool_alloc(&fp, 11, 0, &r), KEEL_EINVAL);
    fpool_check();
}

static void whole_pool_cycles_strand_nothing(void **state)
{
    (void)state;
    keel_fpool_run_t whole, small[1024];
    /* CapBuddy's failure: after taking and giving back a whole pool in single frames, only
     * 32 of 1024 frames stay usable. Here the whole pool comes back every time. */
    for (int cycle = 0; cycle < 3; cycle++) {
        for (int i = 0; i < 1024; i++) {
            assert_int_equal(keel_fpool_alloc(&fp, 0, 0, &small[i]), KEEL_OK);
        }
        for (int i = 0; i < 1024; i++) {
            assert_int_equal(keel_fpool_free(&fp, small[(i * 389) % 1024].first, 0, 0), KEEL_OK);
        }
        uint64_t before = keel_model_invocations();
        assert_int_equal(keel_fpool_alloc(&fp, 10, KEEL_FPOOL_DIRTY_OK, &whole), KEEL_OK);
        assert_int_equal(keel_model_invocations() - before, 0);
        assert_int_equal(keel_fpool_free(&fp, whole.first, 10, 0), KEEL_OK);
    }
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.pools, 1);
    assert_int_equal(st.largest_free_bits, 10);
    fpool_check();
}

static void frames_come_zeroed_to_every_owner(void **state)
{
    (void)state;
    keel_fpool_run_t r, again;
    assert_int_equal(keel_fpool_alloc(&fp, 2, 0, &r), KEEL_OK);
    assert_int_equal(scrub_calls, 0); /* new frames are zero: nothing to scrub */
    assert_true(keel_model_phys_is_zero(r.paddr, 4 << 12));
    memset(keel_model_phys(r.paddr, 4 << 12), 0xa5, 4 << 12);
    assert_int_equal(keel_fpool_free(&fp, r.first, 2, 0), KEEL_OK);
    assert_int_equal(keel_fpool_alloc(&fp, 2, 0, &again), KEEL_OK);
    assert_int_equal(again.paddr, r.paddr);
    assert_int_equal(scrub_calls, 4); /* each dirty frame once */
    assert_true(keel_model_phys_is_zero(again.paddr, 4 << 12));
    /* An owner that will overwrite the frames can have them dirty. */
    memset(keel_model_phys(again.paddr, 4 << 12), 0x5a, 4 << 12);
    assert_int_equal(keel_fpool_free(&fp, again.first, 2, 0), KEEL_OK);
    assert_int_equal(keel_fpool_alloc(&fp, 2, KEEL_FPOOL_DIRTY_OK, &again), KEEL_OK);
    assert_int_equal(scrub_calls, 4);
    assert_int_equal(keel_fpool_free(&fp, again.first, 2, 0), KEEL_OK);
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.scrubbed_bytes, 4 << 12);
    fpool_check();
}

static void without_a_scrubber_the_kernel_zeroes(void **state)
{
    (void)state;
    alloc_world_shutdown();
    boot(false);
    keel_fpool_run_t r;
    assert_int_equal(keel_fpool_alloc(&fp, 10, 0, &r), KEEL_OK);
    memset(keel_model_phys(r.paddr, 1 << 22), 0x77, 1 << 22);
    assert_int_equal(keel_fpool_free(&fp, r.first, 10, 0), KEEL_OK);
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.frames_held, 1024); /* dirty, out of circulation */
    keel_model_counters c0, c1;
    keel_model_counters_get(&c0);
    uint64_t before = keel_model_invocations();
    assert_int_equal(keel_fpool_alloc(&fp, 0, 0, &r), KEEL_OK);
    /* The pool was remade in place: 1 revoke + 4 retypes, and the kernel zeroed 4 MiB. */
    assert_int_equal(keel_model_invocations() - before, 5);
    keel_model_counters_get(&c1);
    assert_int_equal(c1.bytes_zeroed - c0.bytes_zeroed, 1 << 22);
    assert_true(keel_model_phys_is_zero(r.paddr, 1 << 22));
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.remade, 1);
    assert_int_equal(st.frames_held, 0);
    assert_int_equal(st.pools, 1);
    assert_int_equal(keel_fpool_free(&fp, r.first, 0, 0), KEEL_OK);
    fpool_check();
}

static void frames_at_a_physical_address(void **state)
{
    (void)state;
    keel_fpool_run_t r, s;
    /* No pool covers 0x1000000 yet: one is made at the 4 MiB block containing it. */
    assert_int_equal(keel_fpool_alloc_at(&fp, 0x1123000, 0, 0, &r), KEEL_OK);
    assert_int_equal(r.paddr, 0x1123000);
    assert_run(&r, 0);
    assert_int_equal(keel_fpool_alloc_at(&fp, 0x1120000, 2, 0, &s), KEEL_EBUSY);
    assert_int_equal(keel_fpool_alloc_at(&fp, 0x1124000, 2, 0, &s), KEEL_OK);
    assert_int_equal(keel_fpool_alloc_at(&fp, 0x1126000, 2, 0, &s), KEEL_EINVAL);
    assert_int_equal(keel_fpool_alloc_at(&fp, 0x900000, 0, 0, &s), KEEL_ENOENT); /* kernel's */
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.pools, 1);
    fpool_check();
}

static void copies_are_revoked_on_request(void **state)
{
    (void)state;
    keel_fpool_run_t r;
    assert_int_equal(keel_fpool_alloc(&fp, 1, 0, &r), KEEL_OK);
    seL4_CPtr copy;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &copy), KEEL_OK);
    assert_int_equal(seL4_CNode_Copy(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs),
                                     keel_cslot_root(&aw.cs), r.first + 1, keel_cslot_depth(&aw.cs),
                                     seL4_AllRights),
                     seL4_NoError);
    uint64_t before = keel_model_invocations();
    assert_int_equal(keel_fpool_free(&fp, r.first, 1, KEEL_FPOOL_REVOKE), KEEL_OK);
    assert_int_equal(keel_model_invocations() - before, 2);
    keel_model_cap_info info;
    keel_model_cap(copy, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);
    keel_cslot_free(&aw.cs, copy);
    TEST_PANIC(keel_fpool_free(&fp, r.first, 1, 0)); /* double free */
    fpool_check();
}

static void free_pools_go_back_under_pressure(void **state)
{
    (void)state;
    keel_fpool_run_t r;
    assert_int_equal(keel_fpool_alloc(&fp, 10, 0, &r), KEEL_OK);
    assert_int_equal(keel_fpool_free(&fp, r.first, 10, 0), KEEL_OK);
    keel_ut_remove_reclaimer(&aw.ut, &fp.reclaimer);
    keel_ut_block_t b;
    for (unsigned bits = 27; bits >= 12; bits--) {
        while (keel_ut_alloc(&aw.ut, bits, 0, &b) == KEEL_OK) {
        }
    }
    assert_int_equal(keel_ut_alloc(&aw.ut, 22, 0, &b), KEEL_ENOMEM);
    keel_ut_add_reclaimer(&aw.ut, &fp.reclaimer);
    assert_int_equal(keel_ut_alloc(&aw.ut, 22, 0, &b), KEEL_OK);
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.pools, 0);
    assert_int_equal(st.given_back, 1);
    fpool_check();
}

/* ---- Fail-at-N ------------------------------------------------------------------------------ */

static keel_fpool_run_t held;

static void prep_run(void)
{
    assert_int_equal(keel_fpool_alloc(&fp, 3, 0, &held), KEEL_OK);
}

static void prep_pool_back(void)
{
    assert_int_equal(keel_fpool_alloc(&fp, 10, 0, &held), KEEL_OK);
    assert_int_equal(keel_fpool_free(&fp, held.first, 10, 0), KEEL_OK);
}

static keel_err_t op_new_pool(void)
{
    return keel_fpool_alloc(&fp, 3, 0, &held);
}

static keel_err_t op_new_pool_at(void)
{
    return keel_fpool_alloc_at(&fp, 0x10000000 + (5 << 22), 0, 0, &held);
}

static keel_err_t op_free_revoke(void)
{
    return keel_fpool_free(&fp, held.first, 3, KEEL_FPOOL_REVOKE);
}

static keel_err_t op_reap(void)
{
    return keel_fpool_reap(&fp) == 1 ? KEEL_OK : KEEL_EKERNEL;
}

static keel_err_t op_remake(void)
{
    return keel_fpool_alloc(&fp, 0, 0, &held);
}

static void fail_at_n_every_operation(void **state)
{
    (void)state;
    static const struct {
        fail_at_n_case_t c;
        uint64_t calls;
    } cases[] = {
        {{.name = "alloc making a pool", .boot = boot_scrubbed, .op = op_new_pool}, 4},
        {{.name = "alloc_at making a pool (with splits)",
          .boot = boot_scrubbed,
          .op = op_new_pool_at},
         9},
        {{.name = "free with revoke",
          .boot = boot_scrubbed,
          .prep = prep_run,
          .op = op_free_revoke},
         8},
        {{.name = "reap", .boot = boot_scrubbed, .prep = prep_pool_back, .op = op_reap}, 1},
        /* A failed remake gives its pool back whole: that changes the world, rightly. */
        {{.name = "alloc remaking a pool",
          .boot = boot_unscrubbed,
          .prep = prep_pool_back,
          .op = op_remake,
          .changes_world = true},
         5},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fail_at_n_case_t c = cases[i].c;
        c.check = fpool_check;
        c.compact = true;
        assert_int_equal(fail_at_n(&c), cases[i].calls);
    }
    boot(true);
}

/* ---- Differential test against a bitmap per pool --------------------------------------------- */

enum { MAX_RUNS = 4096 };

static struct {
    seL4_CPtr first;
    uint64_t paddr;
    unsigned k;
} live[MAX_RUNS];
static size_t nlive;

/* Taken frames by physical address, in 4 KiB units of the first 512 MiB. */
static uint8_t taken[1u << 17];

static bool ref_run_free(uint64_t paddr, unsigned k)
{
    for (uint64_t f = paddr >> 12; f < (paddr >> 12) + (1u << k); f++) {
        if (taken[f]) {
            return false;
        }
    }
    return true;
}

/* Whether some existing pool has an aligned free run of 2^k frames. */
static bool ref_pool_has_run(unsigned k)
{
    for (keel_tnode_t *n = keel_treap_first(&fp.by_paddr); n != NULL;
         n = keel_treap_next(&fp.by_paddr, n)) {
        uint64_t base = n->key;
        for (uint64_t off = 0; off < (1ull << 22); off += 1ull << (k + 12)) {
            if (ref_run_free(base + off, k)) {
                return true;
            }
        }
    }
    return false;
}

static void mark(uint64_t paddr, unsigned k, uint8_t v)
{
    for (uint64_t f = paddr >> 12; f < (paddr >> 12) + (1u << k); f++) {
        taken[f] = v;
    }
}

static void random_operations_match_a_bitmap(void **state)
{
    (void)state;
    memset(taken, 0, sizeof(taken));
    nlive = 0;
    uint64_t rng = test_seed(0xf00d);
    size_t new_pools = 0, reused = 0, refused = 0;
    for (int step = 0; step < 60000; step++) {
        uint64_t op = test_rng(&rng) % 100;
        if (op < 45 && nlive < MAX_RUNS) {
            unsigned k = test_rng(&rng) % 5 == 0 ? (unsigned)(test_rng(&rng) % 11)
                                                 : (unsigned)(test_rng(&rng) % 3);
            bool fits = ref_pool_has_run(k);
            uint64_t pools = fp.pools;
            keel_fpool_run_t r;
            keel_err_t err = keel_fpool_alloc(&fp, k, test_rng(&rng) % 2, &r);
            if (err == KEEL_ENOMEM) {
                assert_false(fits); /* refused only with no fitting run in any pool */
                assert_int_equal(fp.pools, pools);
                refused++;
                continue;
            }
            assert_int_equal(err, KEEL_OK);
            /* No stranding: an existing pool is used whenever one has a fitting run. */
            assert_int_equal(fp.pools, pools + (fits ? 0 : 1));
            new_pools += !fits;
            reused += fits;
            assert_true(ref_run_free(r.paddr, k));
            assert_int_equal(r.paddr & ((1ull << (k + 12)) - 1), 0);
            mark(r.paddr, k, 1);
            live[nlive].first = r.first;
            live[nlive].paddr = r.paddr;
            live[nlive++].k = k;
        } else if (op < 55 && nlive < MAX_RUNS && fp.pools > 0) {
            /* alloc_at inside a random existing pool */
            keel_tnode_t *n = keel_treap_first(&fp.by_paddr);
            for (uint64_t skip = test_rng(&rng) % fp.pools; skip > 0; skip--) {
                n = keel_treap_next(&fp.by_paddr, n);
            }
            unsigned k = (unsigned)(test_rng(&rng) % 3);
            uint64_t paddr = n->key + ((test_rng(&rng) % (1024u >> k)) << (k + 12));
            keel_fpool_run_t r;
            keel_err_t err = keel_fpool_alloc_at(&fp, paddr, k, 0, &r);
            if (ref_run_free(paddr, k)) {
                assert_int_equal(err, KEEL_OK);
                mark(paddr, k, 1);
                live[nlive].first = r.first;
                live[nlive].paddr = r.paddr;
                live[nlive++].k = k;
            } else {
                assert_int_equal(err, KEEL_EBUSY);
            }
        } else if (op < 98 && nlive > 0) {
            size_t i = test_rng(&rng) % nlive;
            assert_int_equal(keel_fpool_free(&fp, live[i].first, live[i].k, 0), KEEL_OK);
            mark(live[i].paddr, live[i].k, 0);
            live[i] = live[--nlive];
        } else {
            keel_fpool_reap(&fp);
        }
        const char *what = NULL;
        if (step % 16 == 0 && keel_fpool_check(&fp, NULL, &what) != 0) {
            fail_msg("step %d: %s", step, what);
        }
        if (step % 4000 == 0) {
            fpool_check();
        }
    }
    print_message("pools: 60000 steps, %zu requests met by existing pools, %zu needed a new "
                  "pool and %zu were refused for want of RAM (each checked: no existing pool had "
                  "a fitting run), %llu pools now\n",
                  reused, new_pools, refused, (unsigned long long)fp.pools);
    assert_true(new_pools > 0 && refused > 0);
    while (nlive > 0) {
        nlive--;
        assert_int_equal(keel_fpool_free(&fp, live[nlive].first, live[nlive].k, 0), KEEL_OK);
    }
    assert_int_equal(keel_fpool_fini(&fp), KEEL_OK);
    fpool_check();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_pool_is_1024_frames_in_4_retypes, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(whole_pool_cycles_strand_nothing, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(frames_come_zeroed_to_every_owner, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(without_a_scrubber_the_kernel_zeroes, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(frames_at_a_physical_address, setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(copies_are_revoked_on_request, setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(free_pools_go_back_under_pressure, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(fail_at_n_every_operation, setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(random_operations_match_a_bitmap, setup,
                                        alloc_world_teardown),
    };
    return cmocka_run_group_tests_name("alloc.fpool", tests, NULL, NULL);
}
