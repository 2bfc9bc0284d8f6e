/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Object caches on the model: slab sizing and arithmetic, kernel calls per operation (cold
 * and warm), revoke and destroy on free, reaping under memory pressure, constructors, and
 * fail-at-N loops; then a differential test against a set of live objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/cache.h>

#include "alloc_test.h"

static void cache_check(const keel_cache_t *c)
{
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    if (keel_cache_check(c, &kv, &what) != 0) {
        fail_msg("keel_cache_check(%s): %s", c->name, what);
    }
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void make_cache(keel_cache_t *c, const char *name, seL4_Word type, seL4_Word size_bits)
{
    keel_cache_config_t cfg = {.name = name, .type = type, .size_bits = size_bits};
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cache_init(c, &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
}

static uint64_t calls(void)
{
    return keel_model_invocations();
}

static void endpoints_come_in_slabs_of_1024(void **state)
{
    (void)state;
    keel_cache_t c;
    make_cache(&c, "endpoints", seL4_EndpointObject, 0);
    static keel_cache_obj_t o[2048];
    uint64_t before = calls();
    assert_int_equal(keel_cache_alloc(&c, 0, &o[0]), KEEL_OK);
    uint64_t cold = calls() - before;
    /* One 16 KiB block (an exact free boot untyped: no split), four retypes of 256. */
    assert_int_equal(cold, 4);
    before = calls();
    for (int i = 1; i < 1024; i++) {
        assert_int_equal(keel_cache_alloc(&c, 0, &o[i]), KEEL_OK);
        /* Object i is slot first + i at base + 16 i. */
        assert_int_equal(o[i].cptr, o[0].cptr + (seL4_CPtr)i);
        assert_int_equal(o[i].paddr, o[0].paddr + 16u * (unsigned)i);
    }
    assert_int_equal(calls() - before, 0); /* warm: no kernel call */
    keel_model_cap_info info;
    keel_model_cap(o[1023].cptr, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(info.paddr, o[1023].paddr);
    /* The 1025th needs a second slab. */
    assert_int_equal(keel_cache_alloc(&c, 0, &o[1024]), KEEL_OK);
    keel_cache_stats_t st;
    keel_cache_stats(&c, &st);
    assert_int_equal(st.slabs, 2);
    assert_int_equal(st.live, 1025);
    assert_int_equal(st.free, 1023);
    /* A slab record and two 1024-bit maps per 1024 endpoints: well under a byte each. */
    assert_true(st.meta_used > 0 && st.meta_used < 2 * 1024);
    /* Freeing with nothing to reset: no kernel call, and the object comes straight back. */
    before = calls();
    assert_int_equal(keel_cache_free(&c, o[7].cptr, 0), KEEL_OK);
    assert_int_equal(calls() - before, 0);
    keel_cache_obj_t again;
    assert_int_equal(keel_cache_alloc(&c, 0, &again), KEEL_OK);
    assert_int_equal(calls() - before, 0);
    assert_int_equal(again.cptr, o[7].cptr);
    cache_check(&c);
    for (int i = 0; i <= 1024; i++) {
        assert_int_equal(keel_cache_free(&c, o[i].cptr, 0), KEEL_OK);
    }
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void slab_sizes_follow_the_policy(void **state)
{
    (void)state;
    static const struct {
        seL4_Word type, size_bits;
        uint64_t objects;
    } expect[] = {
        {seL4_EndpointObject, 0, 1024},    /* 16 B each: at least 16 KiB */
        {seL4_NotificationObject, 0, 512}, /* 32 B each */
        {seL4_CapTableObject, 4, 256},     /* 512 B each: 128 KiB slabs */
        {seL4_CapTableObject, 12, 128},    /* 128 KiB each: 16 MiB slabs */
        {seL4_UntypedObject, 16, 256},     /* 64 KiB: 16 MiB */
        {seL4_UntypedObject, 18, 64},      /* 256 KiB: 16 MiB */
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        keel_cache_t c;
        make_cache(&c, "policy", expect[i].type, expect[i].size_bits);
        keel_cache_obj_t o;
        assert_int_equal(keel_cache_alloc(&c, 0, &o), KEEL_OK);
        keel_cache_stats_t st;
        keel_cache_stats(&c, &st);
        assert_int_equal(st.slots, expect[i].objects);
        assert_int_equal(keel_cache_free(&c, o.cptr, 0), KEEL_OK);
        assert_int_equal(keel_cache_fini(&c), KEEL_OK);
    }
    keel_cache_t bad;
    keel_cache_config_t cfg = {.type = seL4_ObjectTypeCount};
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cache_init(&bad, &aw.ut, &aw.cs, &cfg, &s), KEEL_EINVAL);
    cfg = (keel_cache_config_t){.type = seL4_EndpointObject, .objs_per_slab = 100};
    assert_int_equal(keel_cache_init(&bad, &aw.ut, &aw.cs, &cfg, &s), KEEL_EINVAL);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void revoke_and_destroy(void **state)
{
    (void)state;
    keel_cache_t c;
    make_cache(&c, "endpoints", seL4_EndpointObject, 0);
    keel_cache_obj_t a, b;
    assert_int_equal(keel_cache_alloc(&c, 0, &a), KEEL_OK);
    assert_int_equal(keel_cache_alloc(&c, 0, &b), KEEL_OK);
    /* The owner hands out a badged copy; freeing with REVOKE deletes it (1 call). */
    seL4_CPtr copy;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &copy), KEEL_OK);
    assert_int_equal(seL4_CNode_Mint(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs),
                                     keel_cslot_root(&aw.cs), a.cptr, keel_cslot_depth(&aw.cs),
                                     seL4_AllRights, 42),
                     seL4_NoError);
    uint64_t before = calls();
    assert_int_equal(keel_cache_free(&c, a.cptr, KEEL_CACHE_REVOKE), KEEL_OK);
    assert_int_equal(calls() - before, 1);
    keel_model_cap_info info;
    keel_model_cap(copy, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);
    keel_cslot_free(&aw.cs, copy);
    /* Destroying deletes the endpoint itself: revoke + delete. */
    size_t eps = keel_model_object_count(seL4_EndpointObject);
    before = calls();
    assert_int_equal(keel_cache_free(&c, b.cptr, KEEL_CACHE_DESTROY), KEEL_OK);
    assert_int_equal(calls() - before, 2);
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps - 1);
    keel_cache_stats_t st;
    keel_cache_stats(&c, &st);
    assert_int_equal(st.dead, 1);
    assert_int_equal(st.empty_slabs, 1);
    cache_check(&c);
    /* The dead object's memory comes back with its slab. */
    assert_int_equal(keel_cache_reap(&c), 1);
    keel_cache_stats(&c, &st);
    assert_int_equal(st.slabs, 0);
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps - 1024);
    TEST_PANIC(keel_cache_free(&c, b.cptr, 0)); /* gone with its slab */
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void contract_violations_are_loud(void **state)
{
    (void)state;
    keel_cache_t c;
    make_cache(&c, "endpoints", seL4_EndpointObject, 0);
    keel_cache_obj_t a;
    assert_int_equal(keel_cache_alloc(&c, 0, &a), KEEL_OK);
    assert_true(keel_cache_owns(&c, a.cptr));
    assert_false(keel_cache_owns(&c, seL4_CapInitThreadTCB));
    assert_int_equal(keel_cache_fini(&c), KEEL_EBUSY);
    assert_int_equal(keel_cache_free(&c, a.cptr, 0), KEEL_OK);
    TEST_PANIC(keel_cache_free(&c, a.cptr, 0));
    TEST_PANIC(keel_cache_free(&c, seL4_CapInitThreadTCB, 0));
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
}

/* Untypeds: freeing revokes whatever the owner made. */
static void untyped_objects_are_revoked_on_free(void **state)
{
    (void)state;
    keel_cache_t c;
    make_cache(&c, "64k untypeds", seL4_UntypedObject, 16);
    keel_cache_obj_t u;
    assert_int_equal(keel_cache_alloc(&c, 0, &u), KEEL_OK);
    seL4_CPtr first;
    assert_int_equal(keel_cslot_alloc_range(&aw.cs, 10, &first), KEEL_OK);
    keel_slot_dest_t d;
    keel_cslot_dest(&aw.cs, first, &d);
    assert_int_equal(seL4_Untyped_Retype(u.cptr, seL4_NotificationObject, 0, d.root, d.index,
                                         d.depth, d.offset, 10),
                     seL4_NoError);
    size_t n = keel_model_object_count(seL4_NotificationObject);
    uint64_t before = calls();
    assert_int_equal(keel_cache_free(&c, u.cptr, 0), KEEL_OK);
    assert_int_equal(calls() - before, 1);
    assert_int_equal(keel_model_object_count(seL4_NotificationObject), n - 10);
    keel_cslot_free_range(&aw.cs, first, 10);
    cache_check(&c);
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
}

static int ctor_calls, dtor_calls, ctor_fail_at;

static keel_err_t count_ctor(void *ctx, seL4_CPtr obj, uint64_t paddr)
{
    (void)ctx;
    (void)obj;
    (void)paddr;
    return ++ctor_calls == ctor_fail_at ? KEEL_ENOMEM : KEEL_OK;
}

static void count_dtor(void *ctx, seL4_CPtr obj, uint64_t paddr)
{
    (void)ctx;
    (void)obj;
    (void)paddr;
    dtor_calls++;
}

static void constructors_and_destructors(void **state)
{
    (void)state;
    keel_cache_t c;
    keel_cache_config_t cfg = {.name = "ntfn",
                               .type = seL4_NotificationObject,
                               .objs_per_slab = 64,
                               .ctor = count_ctor,
                               .dtor = count_dtor};
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cache_init(&c, &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
    ctor_calls = dtor_calls = 0;
    ctor_fail_at = 10;
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    keel_cache_obj_t o;
    assert_int_equal(keel_cache_alloc(&c, 0, &o), KEEL_ENOMEM); /* the 10th ctor fails */
    assert_int_equal(dtor_calls, 9);                            /* the 9 made are undone */
    keel_ut_compact(&aw.ut);
    LEAK_CHECK(&snap);
    ctor_calls = dtor_calls = 0;
    ctor_fail_at = -1;
    assert_int_equal(keel_cache_alloc(&c, 0, &o), KEEL_OK);
    assert_int_equal(ctor_calls, 64);
    assert_int_equal(keel_cache_free(&c, o.cptr, 0), KEEL_OK);
    assert_int_equal(keel_cache_alloc(&c, 0, &o), KEEL_OK);
    assert_int_equal(ctor_calls, 64); /* reuse constructs nothing */
    assert_int_equal(keel_cache_free(&c, o.cptr, 0), KEEL_OK);
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
    assert_int_equal(dtor_calls, 64);
}

static void empty_slabs_are_reaped_under_pressure(void **state)
{
    (void)state;
    keel_cache_t c;
    make_cache(&c, "cnodes", seL4_CapTableObject, 10); /* 32 KiB each: 64 per 2 MiB slab */
    keel_cache_obj_t o[64];
    for (int i = 0; i < 64; i++) {
        assert_int_equal(keel_cache_alloc(&c, 0, &o[i]), KEEL_OK);
    }
    for (int i = 0; i < 64; i++) {
        assert_int_equal(keel_cache_free(&c, o[i].cptr, 0), KEEL_OK);
    }
    keel_cache_stats_t st;
    keel_cache_stats(&c, &st);
    assert_int_equal(st.empty_slabs, 1);
    /* Take all other RAM (with the cache's reclaimer out of the way), so that the next
     * request can only be met by the cache's empty slab. */
    keel_ut_remove_reclaimer(&aw.ut, &c.reclaimer);
    keel_ut_block_t b;
    for (unsigned bits = 27; bits >= 12; bits--) {
        while (keel_ut_alloc(&aw.ut, bits, 0, &b) == KEEL_OK) {
        }
    }
    keel_cache_stats(&c, &st);
    assert_int_equal(st.slabs, 1);
    assert_int_equal(keel_ut_alloc(&aw.ut, 20, 0, &b), KEEL_ENOMEM);
    keel_ut_add_reclaimer(&aw.ut, &c.reclaimer);
    assert_int_equal(keel_ut_alloc(&aw.ut, 20, 0, &b), KEEL_OK); /* via the reclaimer */
    keel_cache_stats(&c, &st);
    assert_int_equal(st.slabs, 0);
    assert_int_equal(st.slabs_given_back, 1);
    cache_check(&c);
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
}

/* ---- Fail-at-N ------------------------------------------------------------------------------ */

static keel_cache_t fc;
static keel_cache_obj_t held;
static seL4_Word fc_type;

static void boot_with_cache(void)
{
    alloc_world_boot(NULL);
    keel_cache_config_t cfg = {.name = "fail-at-n", .type = fc_type};
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cache_init(&fc, &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
}

static void prep_one(void)
{
    assert_int_equal(keel_cache_alloc(&fc, 0, &held), KEEL_OK);
}

static void prep_one_back(void)
{
    prep_one();
    assert_int_equal(keel_cache_free(&fc, held.cptr, 0), KEEL_OK);
}

static keel_err_t op_cold_alloc(void)
{
    return keel_cache_alloc(&fc, 0, &held);
}

static keel_err_t op_free(void)
{
    return keel_cache_free(&fc, held.cptr, 0);
}

static keel_err_t op_free_revoke(void)
{
    return keel_cache_free(&fc, held.cptr, KEEL_CACHE_REVOKE);
}

static keel_err_t op_free_destroy(void)
{
    return keel_cache_free(&fc, held.cptr, KEEL_CACHE_DESTROY);
}

static keel_err_t op_reap(void)
{
    return keel_cache_reap(&fc) == 1 ? KEEL_OK : KEEL_EKERNEL;
}

static void check_fc(void)
{
    cache_check(&fc);
}

static void fail_at_n_every_operation(void **state)
{
    (void)state;
    static const struct {
        fail_at_n_case_t c;
        seL4_Word type;
        uint64_t calls;
    } cases[] = {
        {{.name = "alloc, cold (1024 endpoints: 4 retypes)", .op = op_cold_alloc},
         seL4_EndpointObject,
         4},
        {{.name = "alloc, cold (512 notifications: 2 retypes)", .op = op_cold_alloc},
         seL4_NotificationObject,
         2},
        {{.name = "free with revoke", .prep = prep_one, .op = op_free_revoke},
         seL4_EndpointObject,
         1},
        {{.name = "free with destroy", .prep = prep_one, .op = op_free_destroy},
         seL4_EndpointObject,
         2},
        {{.name = "reap", .prep = prep_one_back, .op = op_reap}, seL4_EndpointObject, 1},
        /* Objects reset at free: a failed reset leaves the object the caller's, to retry. */
        {{.name = "free a TCB (suspend, unbind)", .prep = prep_one, .op = op_free},
         seL4_TCBObject,
         2},
        {{.name = "free a TCB with revoke", .prep = prep_one, .op = op_free_revoke},
         seL4_TCBObject,
         3},
        {{.name = "free a frame (unmap)", .prep = prep_one, .op = op_free}, seL4_X86_4K, 1},
        {{.name = "free a page table (unmap)", .prep = prep_one, .op = op_free},
         seL4_X86_PageTableObject,
         1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fail_at_n_case_t c = cases[i].c;
        fc_type = cases[i].type;
        c.boot = boot_with_cache;
        c.check = check_fc;
        c.compact = true;
        assert_int_equal(fail_at_n(&c), cases[i].calls);
    }
    alloc_world_boot(NULL);
}

/* ---- Differential test ---------------------------------------------------------------------- */

static void random_operations_match_a_set_of_live_objects(void **state)
{
    (void)state;
    enum { CACHES = 3, MAX = 3000 };
    static keel_cache_t caches[CACHES];
    static const seL4_Word types[CACHES] = {seL4_EndpointObject, seL4_NotificationObject,
                                            seL4_CapTableObject};
    static struct {
        seL4_CPtr cptr;
        uint64_t paddr;
        int cache;
    } live[MAX];
    size_t nlive = 0;
    for (int i = 0; i < CACHES; i++) {
        keel_cache_config_t cfg = {
            .name = "prop", .type = types[i], .size_bits = 3, .objs_per_slab = i == 2 ? 16 : 0};
        keel_storage_t s = test_storage();
        assert_int_equal(keel_cache_init(&caches[i], &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
    }
    uint64_t rng = test_seed(0xcafe);
    size_t destroyed = 0, reaped = 0;
    for (int step = 0; step < 40000; step++) {
        uint64_t op = test_rng(&rng) % 100;
        int ci = (int)(test_rng(&rng) % CACHES);
        if (op < 50 && nlive < MAX) {
            keel_cache_obj_t o;
            assert_int_equal(keel_cache_alloc(&caches[ci], 0, &o), KEEL_OK);
            for (size_t k = 0; k < nlive; k++) {
                assert_true(live[k].cptr != o.cptr && live[k].paddr != o.paddr);
            }
            assert_true(keel_cache_owns(&caches[ci], o.cptr));
            live[nlive].cptr = o.cptr;
            live[nlive].paddr = o.paddr;
            live[nlive++].cache = ci;
        } else if (op < 97 && nlive > 0) {
            size_t k = test_rng(&rng) % nlive;
            unsigned flags = test_rng(&rng) % 10 == 0  ? KEEL_CACHE_DESTROY
                             : test_rng(&rng) % 4 == 0 ? KEEL_CACHE_REVOKE
                                                       : 0;
            destroyed += flags == KEEL_CACHE_DESTROY;
            assert_int_equal(keel_cache_free(&caches[live[k].cache], live[k].cptr, flags), KEEL_OK);
            live[k] = live[--nlive];
        } else {
            reaped += keel_cache_reap(&caches[ci]);
        }
        uint64_t total = 0;
        for (int i = 0; i < CACHES; i++) {
            const char *what = NULL;
            if (keel_cache_check(&caches[i], NULL, &what) != 0) {
                fail_msg("step %d: %s", step, what);
            }
            total += caches[i].live;
        }
        assert_int_equal(total, nlive);
        if (step % 2000 == 0) {
            for (int i = 0; i < CACHES; i++) {
                cache_check(&caches[i]);
            }
        }
    }
    print_message("caches: 40000 steps, %zu destroyed, %zu slabs reaped\n", destroyed, reaped);
    assert_true(destroyed > 0 && reaped > 0);
    while (nlive > 0) {
        nlive--;
        assert_int_equal(keel_cache_free(&caches[live[nlive].cache], live[nlive].cptr, 0), KEEL_OK);
    }
    for (int i = 0; i < CACHES; i++) {
        cache_check(&caches[i]);
        assert_int_equal(keel_cache_fini(&caches[i]), KEEL_OK);
    }
    keel_ut_compact(&aw.ut);
    keel_ut_stats_t st;
    keel_ut_stats(&aw.ut, &st);
    keel_cslot_stats_t cst;
    keel_cslot_stats(&aw.cs, &cst);
    /* Everything went back but the CNodes the CSpace grew by, which it keeps. */
    uint64_t cnodes = (cst.two_level ? 1u << 17 : 0) + ((uint64_t)cst.leaves << 17);
    assert_int_equal(st.ram_used, cnodes);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(endpoints_come_in_slabs_of_1024, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(slab_sizes_follow_the_policy, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(revoke_and_destroy, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(contract_violations_are_loud, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(untyped_objects_are_revoked_on_free, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(constructors_and_destructors, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(empty_slabs_are_reaped_under_pressure, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(fail_at_n_every_operation, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(random_operations_match_a_set_of_live_objects,
                                        alloc_world_setup, alloc_world_teardown),
    };
    return cmocka_run_group_tests_name("alloc.cache", tests, NULL, NULL);
}
