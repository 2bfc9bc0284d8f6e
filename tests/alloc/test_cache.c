/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Object caches on the model: slab sizing and arithmetic, kernel calls per operation (cold
 * and warm, and the caches' own count of them), revoke and destroy on free, what a new owner
 * finds in a reused notification, TCB or PML4, reaping under memory pressure, constructors and
 * destructors (each exactly once per object made), and fail-at-N loops; then a differential
 * test against a set of live objects.
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

/* seL4_Poll calls so far (system calls, which keel_model_invocations does not count). */
static uint64_t polls(void)
{
    keel_model_counters mc;
    keel_model_counters_get(&mc);
    return mc.syscalls[-seL4_SysNBRecv - 1];
}

/*
 * Constructor and destructor hooks that keep the set of constructed objects (by physical
 * address): constructing an object twice, or destroying one not constructed, fails the test.
 */
enum { HOOK_BITS = 17, HOOK_SLOTS = 1 << HOOK_BITS };
static uint64_t hook_set[HOOK_SLOTS]; /* paddr + 1, or 0 */
static uint64_t hook_constructed, hook_ctors, hook_dtors, hook_fail_at;

static size_t hook_home(uint64_t key)
{
    return (size_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - HOOK_BITS));
}

static bool hook_find(uint64_t key, size_t *at)
{
    for (size_t i = hook_home(key);; i = (i + 1) & (HOOK_SLOTS - 1)) {
        if (hook_set[i] == key || hook_set[i] == 0) {
            *at = i;
            return hook_set[i] == key;
        }
    }
}

static void hooks_reset(void)
{
    memset(hook_set, 0, sizeof(hook_set));
    hook_constructed = hook_ctors = hook_dtors = hook_fail_at = 0;
}

static keel_err_t set_ctor(void *ctx, seL4_CPtr obj, uint64_t paddr)
{
    (void)ctx;
    (void)obj;
    if (++hook_ctors == hook_fail_at) {
        return KEEL_ENOMEM;
    }
    size_t at;
    if (hook_find(paddr + 1, &at)) {
        fail_msg("object at %#llx constructed twice", (unsigned long long)paddr);
    }
    assert_true(hook_constructed < HOOK_SLOTS / 2);
    hook_set[at] = paddr + 1;
    hook_constructed++;
    return KEEL_OK;
}

static void set_dtor(void *ctx, seL4_CPtr obj, uint64_t paddr)
{
    (void)ctx;
    hook_dtors++;
    size_t i;
    if (!hook_find(paddr + 1, &i)) {
        fail_msg("object at %#llx destroyed but not constructed (twice?)",
                 (unsigned long long)paddr);
    }
    /* The kernel has destroyed the object before its destructor runs. */
    keel_model_cap_info info;
    if (keel_model_cap(obj, &info) == 0 && info.type != KEEL_MODEL_CAP_NULL &&
        info.paddr == paddr) {
        fail_msg("destructor of the object at %#llx ran while its cap exists",
                 (unsigned long long)paddr);
    }
    /* Remove with backward shifting, so that probes stay short. */
    for (size_t j = (i + 1) & (HOOK_SLOTS - 1); hook_set[j] != 0; j = (j + 1) & (HOOK_SLOTS - 1)) {
        size_t h = hook_home(hook_set[j]);
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (!stays) {
            hook_set[i] = hook_set[j];
            i = j;
        }
    }
    hook_set[i] = 0;
    hook_constructed--;
}

static void hooked_cache(keel_cache_t *c, seL4_Word type, unsigned per_slab,
                         const keel_scrub_t *scrub)
{
    keel_cache_config_t cfg = {.name = "hooked",
                               .type = type,
                               .objs_per_slab = per_slab,
                               .ctor = set_ctor,
                               .dtor = set_dtor,
                               .scrub = scrub};
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cache_init(c, &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
}

/* Every object of the cache that exists is constructed (after a successful operation). */
static void assert_all_constructed(const keel_cache_t *c)
{
    keel_cache_stats_t st;
    keel_cache_stats(c, &st);
    assert_int_equal(hook_constructed, st.live + st.free + st.dirty);
}

/* A scrubber that zeroes through the model's view of physical memory. */
static keel_err_t phys_scrub(void *ctx, seL4_CPtr frame, uint64_t paddr, unsigned size_bits)
{
    (void)ctx;
    (void)frame;
    memset(keel_model_phys(paddr, 1ull << size_bits), 0, 1ull << size_bits);
    return KEEL_OK;
}

static const keel_scrub_t phys_scrubber = {.scrub = phys_scrub};

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
        {seL4_EndpointObject, 0, 1024},     /* 16 B each: 16 KiB slabs */
        {seL4_NotificationObject, 0, 1024}, /* 32 B each */
        {seL4_CapTableObject, 4, 1024},     /* 512 B each: 512 KiB slabs */
        {seL4_TCBObject, 0, 1024},          /* 2 KiB: 2 MiB */
        {seL4_X86_4K, 0, 1024},             /* 4 KiB: 4 MiB */
        {seL4_UntypedObject, 14, 1024},     /* 16 KiB: 16 MiB, the largest with 1024 */
        {seL4_CapTableObject, 12, 128},     /* 128 KiB each: 16 MiB slabs */
        {seL4_UntypedObject, 16, 256},      /* 64 KiB: 16 MiB */
        {seL4_UntypedObject, 18, 64},       /* 256 KiB: 16 MiB */
        {seL4_X86_LargePageObject, 0, 8},   /* 2 MiB: 16 MiB */
        {seL4_UntypedObject, 25, 1},        /* 32 MiB: one per slab */
        {seL4_X64_PML4Object, 0, 1},        /* destroyed at free: one per slab */
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
    assert_false(keel_cache_owns(&c, b.cptr)); /* it is gone */
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

/* ---- What a new owner finds ----------------------------------------------------------------- */

/* A badged copy of `obj` (the owner's own). */
static seL4_CPtr badged_copy(seL4_CPtr obj, seL4_Word badge)
{
    seL4_CPtr copy;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &copy), KEEL_OK);
    assert_int_equal(seL4_CNode_Mint(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs),
                                     keel_cslot_root(&aw.cs), obj, keel_cslot_depth(&aw.cs),
                                     seL4_AllRights, badge),
                     seL4_NoError);
    return copy;
}

static void drop_copy(seL4_CPtr copy)
{
    assert_int_equal(seL4_CNode_Delete(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs)),
                     seL4_NoError);
    keel_cslot_free(&aw.cs, copy);
}

static void notifications_come_back_idle(void **state)
{
    (void)state;
    keel_cache_t c;
    make_cache(&c, "notifications", seL4_NotificationObject, 0);
    static const unsigned flags[] = {0, KEEL_CACHE_REVOKE};
    for (size_t k = 0; k < 2; k++) {
        keel_cache_obj_t n;
        assert_int_equal(keel_cache_alloc(&c, 0, &n), KEEL_OK);
        /* The first owner signals through a badged copy and frees the notification active. */
        seL4_CPtr copy = badged_copy(n.cptr, 0x5ec);
        seL4_Signal(copy);
        if (flags[k] == 0) {
            drop_copy(copy);
        }
        keel_cache_stats_t st0, st1;
        keel_cache_stats(&c, &st0);
        uint64_t p0 = polls();
        assert_int_equal(keel_cache_free(&c, n.cptr, flags[k]), KEEL_OK);
        assert_int_equal(polls() - p0, 1); /* one seL4_Poll resets it */
        keel_cache_stats(&c, &st1);
        assert_int_equal(st1.kernel_calls - st0.kernel_calls, flags[k] == 0 ? 1 : 2);
        if (flags[k] != 0) {
            keel_cslot_free(&aw.cs, copy); /* revoked with the free */
        }
        /* The next owner gets the same notification, idle with word 0, as a new one. */
        keel_cache_obj_t again;
        assert_int_equal(keel_cache_alloc(&c, 0, &again), KEEL_OK);
        assert_int_equal(again.cptr, n.cptr);
        seL4_Word badge = 1;
        seL4_Poll(again.cptr, &badge);
        assert_int_equal(badge, 0);
        assert_int_equal(keel_cache_free(&c, again.cptr, 0), KEEL_OK);
    }
    /* A notification still bound to a thread cannot be reset through its own cap (and only
     * the bound thread may poll it): the owner unbinds it through the TCB, or frees it with
     * KEEL_CACHE_DESTROY, whose delete unbinds it. */
    keel_cache_t tcbs;
    make_cache(&tcbs, "TCBs", seL4_TCBObject, 0);
    keel_cache_obj_t t, n, m;
    assert_int_equal(keel_cache_alloc(&tcbs, 0, &t), KEEL_OK);
    assert_int_equal(keel_cache_alloc(&c, 0, &n), KEEL_OK);
    assert_int_equal(keel_cache_alloc(&c, 0, &m), KEEL_OK);
    assert_int_equal(seL4_TCB_BindNotification(t.cptr, n.cptr), seL4_NoError);
    assert_int_equal(keel_cache_free(&c, n.cptr, KEEL_CACHE_DESTROY), KEEL_OK);
    assert_int_equal(seL4_TCB_BindNotification(t.cptr, m.cptr), seL4_NoError); /* unbound */
    assert_int_equal(keel_cache_free(&tcbs, t.cptr, 0), KEEL_OK);              /* unbinds m */
    assert_int_equal(keel_cache_free(&c, m.cptr, 0), KEEL_OK);
    cache_check(&c);
    cache_check(&tcbs);
    assert_int_equal(keel_cache_fini(&tcbs), KEEL_OK);
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
}

static void tcbs_come_back_with_zero_registers_and_no_priority(void **state)
{
    (void)state;
    keel_cache_t c;
    make_cache(&c, "TCBs", seL4_TCBObject, 0);
    keel_cache_obj_t other;
    assert_int_equal(keel_cache_alloc(&c, 0, &other), KEEL_OK);
    static const unsigned flags[] = {0, KEEL_CACHE_REVOKE};
    for (size_t k = 0; k < 2; k++) {
        keel_cache_obj_t t;
        assert_int_equal(keel_cache_alloc(&c, 0, &t), KEEL_OK);
        /* The first owner's thread state: registers, TLS base, priorities. */
        seL4_UserContext regs = {0};
        regs.rip = 0x401000;
        regs.rsp = 0x7fff0000;
        regs.rax = 0x5ec;
        regs.r15 = 0x5ec5ec;
        regs.fs_base = 0x500000;
        assert_int_equal(seL4_TCB_WriteRegisters(t.cptr, 0, 0, 20, &regs), seL4_NoError);
        assert_int_equal(seL4_TCB_SetSchedParams(t.cptr, seL4_CapInitThreadTCB, 200, 150),
                         seL4_NoError);
        uint64_t before = calls();
        assert_int_equal(keel_cache_free(&c, t.cptr, flags[k]), KEEL_OK);
        /* suspend, unbind, write registers, set priorities (+ revoke) */
        assert_int_equal(calls() - before, flags[k] == 0 ? 4 : 5);
        keel_cache_obj_t again;
        assert_int_equal(keel_cache_alloc(&c, 0, &again), KEEL_OK);
        assert_int_equal(again.cptr, t.cptr);
        /* A new TCB's registers: all zero but rflags 0x202 (sel4-semantics §11.1). */
        seL4_UserContext now;
        memset(&now, 0xff, sizeof(now));
        assert_int_equal(seL4_TCB_ReadRegisters(again.cptr, 0, 0, 20, &now), seL4_NoError);
        seL4_UserContext fresh = {0};
        fresh.rflags = 0x202;
        assert_memory_equal(&now, &fresh, sizeof(now));
        /* Its MCP is 0: as an authority it lets no thread above priority 0. */
        assert_int_equal(seL4_TCB_SetPriority(other.cptr, again.cptr, 1), seL4_RangeError);
        assert_int_equal(seL4_TCB_SetPriority(other.cptr, again.cptr, 0), seL4_NoError);
        assert_int_equal(keel_cache_free(&c, again.cptr, 0), KEEL_OK);
    }
    assert_int_equal(keel_cache_free(&c, other.cptr, 0), KEEL_OK);
    cache_check(&c);
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
}

static void pml4s_are_destroyed_at_free(void **state)
{
    (void)state;
    keel_cache_t pml4s, pdpts;
    make_cache(&pml4s, "PML4s", seL4_X64_PML4Object, 0);
    make_cache(&pdpts, "PDPTs", seL4_X86_PDPTObject, 0);
    /* More rounds than a pool has ASIDs: each free gives its PML4's ASID back. */
    for (int round = 0; round < 1100; round++) {
        keel_cache_obj_t v, p;
        assert_int_equal(keel_cache_alloc(&pml4s, 0, &v), KEEL_OK);
        /* Every PML4 handed out is as new: no ASID yet, nothing mapped in it. */
        assert_int_equal(seL4_X86_ASIDPool_Assign(seL4_CapInitThreadASIDPool, v.cptr),
                         seL4_NoError);
        assert_int_equal(keel_cache_alloc(&pdpts, 0, &p), KEEL_OK);
        assert_int_equal(seL4_X86_PDPT_Map(p.cptr, v.cptr, 0x8000000000ull, 0), seL4_NoError);
        /* A copy (the owner gave its VSpace to a thread, say) goes with it. */
        seL4_CPtr copy = badged_copy(v.cptr, 0);
        uint64_t before = calls();
        assert_int_equal(keel_cache_free(&pml4s, v.cptr, 0), KEEL_OK);
        assert_int_equal(calls() - before, 1); /* the revoke of its slab's block */
        assert_false(keel_cache_owns(&pml4s, v.cptr));
        keel_model_cap_info info;
        keel_model_cap(copy, &info);
        assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);
        keel_cslot_free(&aw.cs, copy);
        /* The PDPT mapped into it is unmapped at its own free, and maps again elsewhere. */
        assert_int_equal(keel_cache_free(&pdpts, p.cptr, 0), KEEL_OK);
        if (round % 100 == 0) {
            cache_check(&pml4s);
            cache_check(&pdpts);
        }
    }
    /* One PML4 per slab: the same slab was remade in place (1 retype) for each new owner. */
    keel_cache_stats_t st;
    keel_cache_stats(&pml4s, &st);
    assert_int_equal(st.live, 0);
    assert_int_equal(st.slabs, 1);
    assert_int_equal(st.slabs_made, 1);
    cache_check(&pml4s);
    assert_int_equal(keel_cache_fini(&pml4s), KEEL_OK);
    assert_int_equal(keel_cache_fini(&pdpts), KEEL_OK);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

/* ---- Constructors and destructors ------------------------------------------------------------ */

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

/* A slab remade in place has new objects: each is constructed again (and the old ones were
 * destroyed once each). */
static void constructors_run_again_after_a_remake(void **state)
{
    (void)state;
    hooks_reset();
    keel_cache_t c;
    hooked_cache(&c, seL4_X86_4K, 16, NULL); /* no scrubber: dirty slabs are remade */
    keel_cache_obj_t o[16];
    for (int i = 0; i < 16; i++) {
        assert_int_equal(keel_cache_alloc(&c, 0, &o[i]), KEEL_OK);
    }
    assert_int_equal(hook_ctors, 16);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(keel_cache_free(&c, o[i].cptr, 0), KEEL_OK);
    }
    keel_cache_obj_t again;
    assert_int_equal(keel_cache_alloc(&c, 0, &again), KEEL_OK); /* remakes the slab */
    assert_int_equal(hook_dtors, 16);
    assert_int_equal(hook_ctors, 32);
    assert_all_constructed(&c);
    /* Destroying one object runs its destructor once; giving the slab back runs the others'. */
    assert_int_equal(keel_cache_free(&c, again.cptr, KEEL_CACHE_DESTROY), KEEL_OK);
    assert_int_equal(hook_dtors, 17);
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
    assert_int_equal(hook_dtors, 32);
    assert_int_equal(hook_constructed, 0);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

/* A constructor's error gives its slab back; if the kernel refuses that, the slab stays with
 * the objects constructed so far, and is finished when it is next needed. */
static void a_failed_constructor_keeps_count(void **state)
{
    (void)state;
    hooks_reset();
    keel_cache_t c;
    hooked_cache(&c, seL4_EndpointObject, 64, NULL);
    hook_fail_at = 10;
    keel_model_inject_fail(1, CNodeRevoke, seL4_NotEnoughMemory);
    keel_cache_obj_t o;
    assert_int_equal(keel_cache_alloc(&c, 0, &o), KEEL_ENOMEM);
    assert_true(keel_model_inject_fired());
    keel_model_inject_clear();
    assert_int_equal(hook_constructed, 9);
    assert_int_equal(hook_dtors, 0);
    keel_cache_stats_t st;
    keel_cache_stats(&c, &st);
    assert_int_equal(st.slabs, 1);
    cache_check(&c);
    assert_int_equal(keel_cache_alloc(&c, 0, &o), KEEL_OK); /* constructs the other 55 */
    assert_int_equal(hook_ctors, 10 + 55);
    assert_all_constructed(&c);
    assert_int_equal(keel_cache_free(&c, o.cptr, 0), KEEL_OK);
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
    assert_int_equal(hook_constructed, 0);
    assert_int_equal(hook_dtors, 64);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

/* A constructor that allocates memory: the untyped allocator may reclaim empty slabs for it,
 * but not the slab whose objects are being constructed. */
static keel_ut_block_t ctor_block;
static keel_err_t ctor_block_err;

static keel_err_t allocating_ctor(void *ctx, seL4_CPtr obj, uint64_t paddr)
{
    if (hook_ctors == 0) {
        ctor_block_err = keel_ut_alloc(&aw.ut, 16, 0, &ctor_block);
        if (ctor_block_err != KEEL_OK) {
            hook_ctors++;
            return ctor_block_err;
        }
    }
    return set_ctor(ctx, obj, paddr);
}

static void a_constructor_cannot_reclaim_its_own_slab(void **state)
{
    (void)state;
    keel_cache_t c;
    keel_cache_config_t cfg = {.name = "frames",
                               .type = seL4_X86_4K,
                               .objs_per_slab = 16, /* 64 KiB */
                               .ctor = allocating_ctor,
                               .dtor = set_dtor};
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cache_init(&c, &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
    keel_cache_obj_t o[16];
    hooks_reset();
    hook_ctors = 1; /* no allocation while the slab is first made */
    for (int i = 0; i < 16; i++) {
        assert_int_equal(keel_cache_alloc(&c, 0, &o[i]), KEEL_OK);
    }
    for (int i = 0; i < 16; i++) {
        assert_int_equal(keel_cache_free(&c, o[i].cptr, 0), KEEL_OK); /* dirty: no scrubber */
    }
    /* All other RAM taken: the cache's slab is the only memory left. */
    keel_ut_remove_reclaimer(&aw.ut, &c.reclaimer);
    keel_ut_block_t b;
    for (unsigned bits = 27; bits >= 12; bits--) {
        while (keel_ut_alloc(&aw.ut, bits, 0, &b) == KEEL_OK) {
        }
    }
    keel_ut_add_reclaimer(&aw.ut, &c.reclaimer);
    hook_ctors = 0;
    /* The slab is remade and its first constructor asks for 64 KiB: there is none. */
    assert_int_equal(keel_cache_alloc(&c, 0, &o[0]), KEEL_ENOMEM);
    assert_int_equal(ctor_block_err, KEEL_ENOMEM);
    assert_int_equal(hook_constructed, 0);
    cache_check(&c);
    keel_cache_stats_t st;
    keel_cache_stats(&c, &st);
    assert_int_equal(st.slabs, 0); /* given back after the constructor's error */
    assert_int_equal(keel_cache_fini(&c), KEEL_OK);
}

/* A cache's kernel calls include those the layers below made for its slabs. */
static void cache_stats_count_every_kernel_call(void **state)
{
    (void)state;
    static const struct {
        seL4_Word type, size_bits;
    } types[] = {{seL4_TCBObject, 0},
                 {seL4_X86_4K, 0},
                 {seL4_UntypedObject, 18},
                 {seL4_CapTableObject, 10},
                 {seL4_NotificationObject, 0}};
    for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
        keel_cache_t c;
        make_cache(&c, "counted", types[k].type, types[k].size_bits);
        uint64_t before = calls() + polls();
        keel_cache_obj_t o[300];
        for (int i = 0; i < 300; i++) {
            assert_int_equal(keel_cache_alloc(&c, 0, &o[i]), KEEL_OK);
        }
        for (int i = 0; i < 300; i++) {
            assert_int_equal(keel_cache_free(&c, o[i].cptr, i % 3 == 0 ? KEEL_CACHE_DESTROY : 0),
                             KEEL_OK);
        }
        assert_int_equal(keel_cache_alloc(&c, 0, &o[0]), KEEL_OK);
        assert_int_equal(keel_cache_free(&c, o[0].cptr, 0), KEEL_OK);
        keel_cache_reap(&c);
        keel_cache_stats_t st;
        keel_cache_stats(&c, &st);
        assert_true(st.slabs_made > 0 && st.slabs == 0);
        assert_int_equal(st.kernel_calls, calls() + polls() - before);
        assert_int_equal(keel_cache_fini(&c), KEEL_OK);
    }
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void empty_slabs_are_reaped_under_pressure(void **state)
{
    (void)state;
    keel_cache_t c;
    make_cache(&c, "cnodes", seL4_CapTableObject, 10); /* 32 KiB each: 512 per 16 MiB slab */
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
static struct {
    seL4_Word type, size_bits;
    unsigned per_slab;
    bool hooks;
} fcc;

static void boot_with_cache(void)
{
    alloc_world_boot(NULL);
    hooks_reset();
    keel_cache_config_t cfg = {.name = "fail-at-n",
                               .type = fcc.type,
                               .size_bits = fcc.size_bits,
                               .objs_per_slab = fcc.per_slab,
                               .ctor = fcc.hooks ? set_ctor : NULL,
                               .dtor = fcc.hooks ? set_dtor : NULL};
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

/* A whole slab taken and given back: dirty frames (no scrubber), or destroyed objects. */
static void prep_slab_back(unsigned flags)
{
    keel_cache_obj_t o[64];
    assert_true(fcc.per_slab <= 64);
    for (unsigned i = 0; i < fcc.per_slab; i++) {
        assert_int_equal(keel_cache_alloc(&fc, 0, &o[i]), KEEL_OK);
    }
    for (unsigned i = 0; i < fcc.per_slab; i++) {
        assert_int_equal(keel_cache_free(&fc, o[i].cptr, flags), KEEL_OK);
    }
}

static void prep_slab_dirty(void)
{
    prep_slab_back(0);
}

static void prep_slab_destroyed(void)
{
    prep_slab_back(KEEL_CACHE_DESTROY);
}

/* Every free block of a slab's size taken (no kernel call): the next slab needs a split. */
static void prep_no_exact_block(void)
{
    unsigned bits = fc.obj_bits + fc.slab_bits;
    keel_ut_stats_t st;
    keel_ut_stats(&aw.ut, &st);
    for (uint64_t n = st.free_bytes[bits] >> bits; n > 0; n--) {
        keel_ut_block_t b;
        assert_int_equal(keel_ut_alloc(&aw.ut, bits, 0, &b), KEEL_OK);
    }
    keel_ut_stats(&aw.ut, &st);
    assert_int_equal(st.free_bytes[bits], 0);
}

/* Slots taken until no run of a slab's size is left where slabs have come from so far: the
 * next slab needs a new leaf CNode (and the first time, a two-level CSpace). */
static void prep_slots_short(void)
{
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    seL4_CPtr slot;
    for (uint64_t i = 0; i + 512 < st.slots_free; i++) {
        assert_int_equal(keel_cslot_alloc(&aw.cs, &slot), KEEL_OK);
    }
}

static keel_err_t op_alloc_new_leaf(void)
{
    keel_err_t err = keel_cache_alloc(&fc, 0, &held);
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    assert_true(err != KEEL_OK || (st.two_level && st.leaves == 1)); /* the slab is in it */
    return err;
}

static keel_err_t op_alloc(void)
{
    keel_err_t err = keel_cache_alloc(&fc, 0, &held);
    if (err == KEEL_OK && fcc.hooks) {
        assert_all_constructed(&fc);
    }
    return err;
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
    keel_err_t err = keel_cache_reap(&fc) == 1 ? KEEL_OK : KEEL_EKERNEL;
    if (err == KEEL_OK) {
        assert_int_equal(hook_constructed, 0);
    }
    return err;
}

static void check_fc(void)
{
    cache_check(&fc);
    /* No object is constructed that does not exist (the hooks catch any twice). */
    keel_cache_stats_t st;
    keel_cache_stats(&fc, &st);
    assert_true(hook_constructed <= st.live + st.free + st.dirty);
}

static void fail_at_n_every_operation(void **state)
{
    (void)state;
    static const struct {
        fail_at_n_case_t c;
        seL4_Word type, size_bits;
        unsigned per_slab;
        bool hooks;
        uint64_t calls;
    } cases[] = {
        {{.name = "alloc, cold (1024 endpoints: 4 retypes)", .op = op_alloc},
         seL4_EndpointObject,
         0,
         0,
         false,
         4},
        {{.name = "alloc, cold (1024 notifications: 4 retypes)", .op = op_alloc},
         seL4_NotificationObject,
         0,
         0,
         false,
         4},
        /* No free block of the slab's size: the untyped allocator splits a larger one. */
        {{.name = "alloc, cold, with a split (1024 TCBs: 1 split, 4 retypes)",
          .prep = prep_no_exact_block,
          .op = op_alloc},
         seL4_TCBObject,
         0,
         0,
         true,
         5},
        {{.name = "alloc, cold, with a split (64 x 256 KiB untypeds: 1 split, 1 retype)",
          .prep = prep_no_exact_block,
          .op = op_alloc},
         seL4_UntypedObject,
         18,
         0,
         true,
         2},
        /* A leaf CNode made for the slab stays when a later call fails (leaves are never
         * given back), so these failures may change the world. */
        {{.name = "alloc, cold, with a new leaf CNode (two-level CSpace and leaf: 4; 1 split; 4 "
                  "retypes)",
          .prep = prep_slots_short,
          .op = op_alloc_new_leaf,
          .changes_world = true},
         seL4_EndpointObject,
         0,
         0,
         true,
         9},
        {{.name = "free with revoke", .prep = prep_one, .op = op_free_revoke},
         seL4_EndpointObject,
         0,
         0,
         true,
         1},
        {{.name = "free with destroy", .prep = prep_one, .op = op_free_destroy},
         seL4_EndpointObject,
         0,
         0,
         true,
         2},
        {{.name = "reap", .prep = prep_one_back, .op = op_reap},
         seL4_EndpointObject,
         0,
         0,
         true,
         1},
        /* Objects reset at free: a failed reset leaves the object the caller's, to retry. */
        {{.name = "free a TCB (suspend, unbind, registers, priorities)",
          .prep = prep_one,
          .op = op_free},
         seL4_TCBObject,
         0,
         0,
         false,
         4},
        {{.name = "free a TCB with revoke", .prep = prep_one, .op = op_free_revoke},
         seL4_TCBObject,
         0,
         0,
         true,
         5},
        {{.name = "free a PML4 (revoke of its slab's block)", .prep = prep_one, .op = op_free},
         seL4_X64_PML4Object,
         0,
         0,
         true,
         1},
        {{.name = "free with destroy, the last object of its slab (revoke of the block)",
          .prep = prep_one,
          .op = op_free_destroy},
         seL4_EndpointObject,
         0,
         1,
         true,
         1},
        {{.name = "free a frame (unmap)", .prep = prep_one, .op = op_free},
         seL4_X86_4K,
         0,
         0,
         false,
         1},
        {{.name = "free a page table (unmap)", .prep = prep_one, .op = op_free},
         seL4_X86_PageTableObject,
         0,
         0,
         false,
         1},
        /* A slab of dirty frames (no scrubber) or destroyed PML4s remade in place: a failed
         * retype leaves its objects dead, to be made again on the next try. */
        {{.name = "alloc from a remade slab of frames (revoke, retype)",
          .prep = prep_slab_dirty,
          .op = op_alloc,
          .changes_world = true},
         seL4_X86_4K,
         0,
         16,
         true,
         2},
        {{.name = "alloc from a remade slab of PML4s (retype)",
          .prep = prep_slab_destroyed,
          .op = op_alloc,
          .changes_world = true},
         seL4_X64_PML4Object,
         0,
         16,
         true,
         1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fail_at_n_case_t c = cases[i].c;
        fcc.type = cases[i].type;
        fcc.size_bits = cases[i].size_bits;
        fcc.per_slab = cases[i].per_slab;
        fcc.hooks = cases[i].hooks;
        c.boot = boot_with_cache;
        c.check = check_fc;
        c.compact = true;
        assert_int_equal(fail_at_n(&c), cases[i].calls);
    }
    alloc_world_boot(NULL);
}

/* ---- Differential test ---------------------------------------------------------------------- */

/* What each cache of the differential test holds, and what a new owner checks. */
static const struct prop_cache {
    const char *name;
    seL4_Word type, size_bits;
    unsigned per_slab;
    bool hooks, scrub;
} prop[] = {
    {"endpoints", seL4_EndpointObject, 0, 0, false, false},
    {"notifications", seL4_NotificationObject, 0, 0, true, false},
    {"CNodes", seL4_CapTableObject, 3, 16, false, false},
    {"TCBs", seL4_TCBObject, 0, 64, true, false},
    {"frames, scrubbed", seL4_X86_4K, 0, 64, false, true},
    {"frames, remade", seL4_X86_4K, 0, 16, true, false},
    {"4 KiB untypeds", seL4_UntypedObject, 12, 32, false, false},
    {"page tables", seL4_X86_PageTableObject, 0, 64, false, false},
    {"PML4s", seL4_X64_PML4Object, 0, 16, true, false},
};

enum { PROP_CACHES = sizeof(prop) / sizeof(prop[0]), PROP_MAX = 3000, PROP_MAX_PML4 = 500 };

/* A new owner's look at an object: as new (zeroed frame, idle notification, zero registers,
 * PML4 without an ASID); then it leaves its own traces for the next owner. */
static void prop_use(const struct prop_cache *pc, const keel_cache_obj_t *o, uint64_t mark)
{
    switch (pc->type) {
    case seL4_X86_4K: {
        uint8_t *b = keel_model_phys(o->paddr, 4096);
        assert_true(keel_model_phys_is_zero(o->paddr, 4096));
        b[mark % 4096] = (uint8_t)(mark | 1);
        break;
    }
    case seL4_NotificationObject: {
        seL4_Word badge = 1;
        seL4_Poll(o->cptr, &badge);
        assert_int_equal(badge, 0);
        seL4_CPtr copy = badged_copy(o->cptr, mark | 1);
        seL4_Signal(copy);
        drop_copy(copy);
        break;
    }
    case seL4_TCBObject: {
        seL4_UserContext regs;
        assert_int_equal(seL4_TCB_ReadRegisters(o->cptr, 0, 0, 20, &regs), seL4_NoError);
        assert_int_equal(regs.rax, 0);
        assert_int_equal(regs.rip, 0);
        regs.rax = mark;
        regs.rip = 0x401000;
        assert_int_equal(seL4_TCB_WriteRegisters(o->cptr, 0, 0, 20, &regs), seL4_NoError);
        break;
    }
    case seL4_X64_PML4Object:
        assert_int_equal(seL4_X86_ASIDPool_Assign(seL4_CapInitThreadASIDPool, o->cptr),
                         seL4_NoError);
        break;
    default:
        break;
    }
}

static void random_operations_match_a_set_of_live_objects(void **state)
{
    (void)state;
    static keel_cache_t caches[PROP_CACHES];
    static struct {
        seL4_CPtr cptr;
        uint64_t paddr;
        int cache;
    } live[PROP_MAX];
    size_t nlive = 0, pml4s = 0;
    hooks_reset();
    for (int i = 0; i < (int)PROP_CACHES; i++) {
        keel_cache_config_t cfg = {.name = prop[i].name,
                                   .type = prop[i].type,
                                   .size_bits = prop[i].size_bits,
                                   .objs_per_slab = prop[i].per_slab,
                                   .ctor = prop[i].hooks ? set_ctor : NULL,
                                   .dtor = prop[i].hooks ? set_dtor : NULL,
                                   .scrub = prop[i].scrub ? &phys_scrubber : NULL};
        keel_storage_t s = test_storage();
        assert_int_equal(keel_cache_init(&caches[i], &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
    }
    uint64_t rng = test_seed(0xcafe);
    size_t destroyed = 0, reaped = 0;
    /* Kernel calls the caches made, as the model counts them: their own counts must agree. */
    uint64_t made_calls = 0;
    for (int step = 0; step < 40000; step++) {
        uint64_t op = test_rng(&rng) % 100;
        int ci = (int)(test_rng(&rng) % PROP_CACHES);
        uint64_t c0 = calls() + polls();
        if (op < 50 && nlive < PROP_MAX &&
            (prop[ci].type != seL4_X64_PML4Object || pml4s < PROP_MAX_PML4)) {
            keel_cache_obj_t o;
            assert_int_equal(keel_cache_alloc(&caches[ci], 0, &o), KEEL_OK);
            made_calls += calls() + polls() - c0;
            for (size_t k = 0; k < nlive; k++) {
                assert_true(live[k].cptr != o.cptr && live[k].paddr != o.paddr);
            }
            assert_true(keel_cache_owns(&caches[ci], o.cptr));
            prop_use(&prop[ci], &o, test_rng(&rng));
            pml4s += prop[ci].type == seL4_X64_PML4Object;
            live[nlive].cptr = o.cptr;
            live[nlive].paddr = o.paddr;
            live[nlive++].cache = ci;
        } else if (op < 97 && nlive > 0) {
            size_t k = test_rng(&rng) % nlive;
            unsigned flags = test_rng(&rng) % 10 == 0  ? KEEL_CACHE_DESTROY
                             : test_rng(&rng) % 4 == 0 ? KEEL_CACHE_REVOKE
                                                       : 0;
            const struct prop_cache *pc = &prop[live[k].cache];
            destroyed += flags == KEEL_CACHE_DESTROY || pc->type == seL4_X64_PML4Object;
            pml4s -= pc->type == seL4_X64_PML4Object;
            c0 = calls() + polls();
            assert_int_equal(keel_cache_free(&caches[live[k].cache], live[k].cptr, flags), KEEL_OK);
            made_calls += calls() + polls() - c0;
            assert_true(keel_cache_owns(&caches[live[k].cache], live[k].cptr) ==
                        (flags != KEEL_CACHE_DESTROY && pc->type != seL4_X64_PML4Object));
            live[k] = live[--nlive];
        } else {
            reaped += keel_cache_reap(&caches[ci]);
            made_calls += calls() + polls() - c0;
        }
        uint64_t total = 0, counted = 0, constructed = 0;
        for (int i = 0; i < (int)PROP_CACHES; i++) {
            const char *what = NULL;
            if (keel_cache_check(&caches[i], NULL, &what) != 0) {
                fail_msg("step %d, %s: %s", step, prop[i].name, what);
            }
            total += caches[i].live;
            keel_cache_stats_t st;
            keel_cache_stats(&caches[i], &st);
            counted += st.kernel_calls;
            if (prop[i].hooks) {
                constructed += st.live + st.free + st.dirty;
            }
        }
        assert_int_equal(total, nlive);
        assert_int_equal(counted, made_calls);
        /* Objects not constructed yet are free in a slab remade after a failure: none here. */
        assert_int_equal(hook_constructed, constructed);
        if (step % 2000 == 0) {
            for (int i = 0; i < (int)PROP_CACHES; i++) {
                cache_check(&caches[i]);
            }
        }
    }
    print_message("caches: 40000 steps, %zu destroyed, %zu slabs reaped, %llu kernel calls\n",
                  destroyed, reaped, (unsigned long long)made_calls);
    assert_true(destroyed > 0 && reaped > 0);
    while (nlive > 0) {
        nlive--;
        assert_int_equal(keel_cache_free(&caches[live[nlive].cache], live[nlive].cptr, 0), KEEL_OK);
    }
    for (int i = 0; i < (int)PROP_CACHES; i++) {
        cache_check(&caches[i]);
        assert_int_equal(keel_cache_fini(&caches[i]), KEEL_OK);
    }
    assert_int_equal(hook_constructed, 0);
    assert_int_equal(hook_ctors, hook_dtors);
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
        cmocka_unit_test_setup_teardown(notifications_come_back_idle, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(tcbs_come_back_with_zero_registers_and_no_priority,
                                        alloc_world_setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(pml4s_are_destroyed_at_free, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(constructors_and_destructors, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(constructors_run_again_after_a_remake, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(a_failed_constructor_keeps_count, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(a_constructor_cannot_reclaim_its_own_slab,
                                        alloc_world_setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(cache_stats_count_every_kernel_call, alloc_world_setup,
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
