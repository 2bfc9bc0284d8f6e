/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The untyped buddy allocator on the model, in the recorded qemu world (whose RAM untypeds
 * are listed in tests/data/qemu-x86_64-512M-bootinfo.txt): placement policy, kernel calls per
 * operation, physical-address allocation, frees, contract checks, and fail-at-N loops.
 */
#include <stdio.h>
#include <string.h>

#include <keel/debug.h>
#include <keel/untyped.h>

#include "alloc_test.h"

static uint64_t calls(void)
{
    return aw.ut.kstat.calls + aw.cs.kstat.calls;
}

/* The block is what the kernel holds in its slot: an untyped of that address and size. */
static void assert_block(const keel_ut_block_t *b, uint64_t paddr, unsigned size_bits)
{
    assert_int_equal(b->paddr, paddr);
    assert_int_equal(b->size_bits, size_bits);
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(b->cptr, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_UNTYPED);
    assert_int_equal(info.paddr, paddr);
    assert_int_equal(info.size_bits, size_bits);
    assert_int_equal(info.device, b->device);
}

/* One object of `type` retyped from the untyped `ut` into a new slot, behind Keel's back. */
static seL4_CPtr retype_one(seL4_CPtr ut, seL4_Word type)
{
    seL4_CPtr slot;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &slot), KEEL_OK);
    test_retype_into(&aw.cs, ut, type, slot, 1);
    return slot;
}

static void starts_with_everything_bootinfo_lists(void **state)
{
    (void)state;
    keel_ut_stats_t st;
    keel_ut_stats(&aw.ut, &st);
    assert_int_equal(st.ram_free, 529061888); /* 504 MiB, as recorded */
    assert_int_equal(st.ram_used, 0);
    uint64_t dev = 0;
    for (seL4_Word i = 0; i < aw.bi->untyped.end - aw.bi->untyped.start; i++) {
        if (aw.bi->untypedList[i].isDevice) {
            dev += 1ull << aw.bi->untypedList[i].sizeBits;
        }
    }
    assert_int_equal(st.dev_free, dev);
    assert_int_equal(st.largest_free_bits, 27);
    assert_int_equal(st.nodes, 0);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void smallest_fitting_size_lowest_address(void **state)
{
    (void)state;
    keel_ut_block_t a, b, c, d;
    uint64_t before = calls();
    /* An exact free block: the 4 KiB boot untyped at 0x1ffcb000, no kernel call. */
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &a), KEEL_OK);
    assert_block(&a, 0x1ffcb000, 12);
    assert_int_equal(calls() - before, 0);
    /* The next 4 KiB: the smallest larger free block is the 16 KiB one, split twice. */
    before = calls();
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &b), KEEL_OK);
    assert_block(&b, 0x1ffcc000, 12);
    assert_int_equal(calls() - before, 2);
    /* 16 bytes: from the 2 KiB boot untyped, seven splits; the next 16 bytes are its buddy. */
    before = calls();
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &c), KEEL_OK);
    assert_block(&c, 0x1ffca800, 4);
    assert_int_equal(calls() - before, 7);
    before = calls();
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &d), KEEL_OK);
    assert_block(&d, 0x1ffca810, 4);
    assert_int_equal(calls() - before, 0);
    keel_ut_stats_t st;
    keel_ut_stats(&aw.ut, &st);
    assert_int_equal(st.ram_used, 2 * 4096 + 2 * 16);
    assert_int_equal(st.ram_free, 529061888 - st.ram_used);
    assert_int_equal(st.used_blocks, 4);
    assert_int_equal(st.retypes, 9);
    ALLOC_CHECK(&aw.ut, &aw.cs);

    /* Freeing revokes (1 call); the block is reused with none. */
    before = calls();
    assert_int_equal(keel_ut_free(&aw.ut, &c, 0), KEEL_OK);
    assert_int_equal(calls() - before, 1);
    before = calls();
    keel_ut_block_t e;
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &e), KEEL_OK);
    assert_block(&e, 0x1ffca800, 4);
    assert_int_equal(calls() - before, 0);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void free_subtrees_collapse_on_demand(void **state)
{
    (void)state;
    keel_ut_block_t a, b, big;
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &a), KEEL_OK); /* splits the 2 KiB untyped */
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &b), KEEL_OK);
    assert_int_equal(keel_ut_free(&aw.ut, &a, KEEL_UT_NO_DERIVED), KEEL_OK);
    assert_int_equal(keel_ut_free(&aw.ut, &b, KEEL_UT_NO_DERIVED), KEEL_OK);
    keel_ut_stats_t st;
    keel_ut_stats(&aw.ut, &st);
    assert_int_equal(st.nodes, 14); /* still split: coalescing is deferred */
    assert_int_equal(st.ram_free, 529061888);
    ALLOC_CHECK(&aw.ut, &aw.cs);
    /* A 2 KiB request: the whole free subtree goes back to one block with one revoke. */
    uint64_t before = calls();
    assert_int_equal(keel_ut_alloc(&aw.ut, 11, 0, &big), KEEL_OK);
    assert_block(&big, 0x1ffca800, 11);
    assert_int_equal(calls() - before, 1);
    keel_ut_stats(&aw.ut, &st);
    assert_int_equal(st.nodes, 0);
    keel_model_cap_info info;
    keel_model_cap(big.cptr, &info);
    assert_false(info.has_children);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void compact_collapses_every_free_subtree(void **state)
{
    (void)state;
    keel_ut_block_t blocks[6];
    unsigned sizes[6] = {4, 9, 12, 12, 17, 20};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(keel_ut_alloc(&aw.ut, sizes[i], 0, &blocks[i]), KEEL_OK);
    }
    for (int i = 0; i < 6; i++) {
        assert_int_equal(keel_ut_free(&aw.ut, &blocks[i], 0), KEEL_OK);
    }
    keel_ut_stats_t st;
    keel_ut_stats(&aw.ut, &st);
    assert_true(st.nodes > 0);
    size_t collapsed = keel_ut_compact(&aw.ut);
    assert_true(collapsed > 0);
    keel_ut_stats(&aw.ut, &st);
    assert_int_equal(st.nodes, 0);
    keel_cslot_stats_t cst;
    keel_cslot_stats(&aw.cs, &cst);
    assert_int_equal(cst.slots_taken, 0); /* every split's slot pair went back */
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void free_revokes_what_was_made_from_the_block(void **state)
{
    (void)state;
    keel_ut_block_t blk;
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &blk), KEEL_OK);
    seL4_CPtr first;
    assert_int_equal(keel_cslot_alloc_range(&aw.cs, 3, &first), KEEL_OK);
    keel_slot_dest_t d;
    keel_cslot_dest(&aw.cs, first, &d);
    size_t eps = keel_model_object_count(seL4_EndpointObject);
    assert_int_equal(seL4_Untyped_Retype(blk.cptr, seL4_EndpointObject, 0, d.root, d.index, d.depth,
                                         d.offset, 3),
                     seL4_NoError);
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps + 3);
    /* A checker that is asked would see the block still in use by its children. */
    assert_int_equal(keel_ut_free(&aw.ut, &blk, 0), KEEL_OK);
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps);
    keel_model_cap_info info;
    keel_model_cap(first, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);
    keel_cslot_free_range(&aw.cs, first, 3);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void physical_addresses_ram_and_device(void **state)
{
    (void)state;
    keel_ut_block_t b;
    uint64_t before = calls();
    /* A device root exactly: the 4 KiB at 0xfec01000. */
    assert_int_equal(keel_ut_alloc_at(&aw.ut, 0xfec01000, 12, &b), KEEL_OK);
    assert_true(b.device);
    assert_block(&b, 0xfec01000, 12);
    assert_int_equal(calls() - before, 0);
    /* Inside the 512 KiB device untyped at 0xfee80000: 7 splits toward the address. */
    before = calls();
    assert_int_equal(keel_ut_alloc_at(&aw.ut, 0xfee81000, 12, &b), KEEL_OK);
    assert_block(&b, 0xfee81000, 12);
    assert_int_equal(calls() - before, 7);
    /* Device memory by size, apart from RAM: two 4 KiB blocks used, the split's other halves
     * (4 KiB up to 256 KiB) free, and no RAM touched. */
    keel_ut_stats_t st;
    keel_ut_stats(&aw.ut, &st);
    assert_int_equal(st.dev_used_bytes[12], 2 * 4096);
    for (unsigned o = 12; o < 19; o++) {
        assert_true(st.dev_free_bytes[o] >= (1ull << o));
    }
    assert_int_equal(st.ram_used, 0);
    /* The bytes there are the device's: a frame retyped from the block is at the address. */
    seL4_CPtr slot = retype_one(b.cptr, seL4_X86_4K);
    seL4_X86_Page_GetAddress_t ga = seL4_X86_Page_GetAddress(slot);
    assert_int_equal(ga.error, 0);
    assert_int_equal(ga.paddr, 0xfee81000);
    /* The neighbours of a used block: a second alloc of it, or of its parent, is refused. */
    assert_int_equal(keel_ut_alloc_at(&aw.ut, 0xfee81000, 12, &b), KEEL_EBUSY);
    assert_int_equal(keel_ut_alloc_at(&aw.ut, 0xfee80000, 13, &b), KEEL_EBUSY);
    assert_int_equal(keel_ut_alloc_at(&aw.ut, 0xfee81800, 12, &b), KEEL_EINVAL);
    assert_int_equal(keel_ut_alloc_at(&aw.ut, 0xfec00000, 12, &b), KEEL_ENOENT); /* the IOAPIC */
    /* RAM by address: 1 MiB at 0x8100000 inside the 128 MiB untyped at 0x8000000. */
    before = calls();
    assert_int_equal(keel_ut_alloc_at(&aw.ut, 0x8100000, 20, &b), KEEL_OK);
    assert_false(b.device);
    assert_block(&b, 0x8100000, 20);
    assert_int_equal(calls() - before, 7);
    /* Above 2^39 device untypeds are aligned in the kernel's address space, not physically:
     * 2^40 at offset 2^40 inside the 2^45 untyped at 0x408000000000. */
    assert_int_equal(keel_ut_alloc_at(&aw.ut, 0x408000000000ull + (1ull << 40), 40, &b), KEEL_OK);
    assert_block(&b, 0x408000000000ull + (1ull << 40), 40);
    /* Device memory is given out only when asked for. */
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, KEEL_UT_DEVICE, &b), KEEL_OK);
    assert_true(b.device);
    assert_int_equal(keel_ut_alloc(&aw.ut, 30, 0, &b), KEEL_ENOMEM); /* no 1 GiB of RAM */
    assert_int_equal(keel_ut_alloc(&aw.ut, 30, KEEL_UT_DEVICE, &b), KEEL_OK);
    assert_true(b.device);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void find_maps_addresses_to_blocks(void **state)
{
    (void)state;
    keel_ut_block_t a, f;
    int st;
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &a), KEEL_OK);
    assert_int_equal(keel_ut_find(&aw.ut, a.paddr + 5, &f, &st), KEEL_OK);
    assert_int_equal(st, KEEL_UT_USED);
    assert_int_equal(f.cptr, a.cptr);
    assert_int_equal(f.size_bits, 4);
    assert_int_equal(keel_ut_find(&aw.ut, a.paddr + 16, &f, &st), KEEL_OK);
    assert_int_equal(st, KEEL_UT_FREE);
    assert_int_equal(f.paddr, a.paddr + 16);
    assert_int_equal(keel_ut_find(&aw.ut, 0x5000, &f, &st), KEEL_OK); /* the device root at 0 */
    assert_true(f.device);
    assert_int_equal(f.paddr, 0);
    assert_int_equal(f.size_bits, 20);
    assert_int_equal(keel_ut_find(&aw.ut, 0xfec00800, &f, &st), KEEL_ENOENT);
    assert_int_equal(keel_ut_find(&aw.ut, 0x900000, &f, &st), KEEL_ENOENT); /* the kernel's */
}

static void contract_violations_are_loud(void **state)
{
    (void)state;
    keel_ut_block_t a;
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &a), KEEL_OK);
    assert_int_equal(keel_ut_free(&aw.ut, &a, 0), KEEL_OK);
    TEST_PANIC(keel_ut_free(&aw.ut, &a, 0)); /* double free */
    keel_ut_block_t forged = {.cptr = 1234, .paddr = 0x1000000, .size_bits = 24};
    TEST_PANIC(keel_ut_free(&aw.ut, &forged, 0));
    assert_int_equal(keel_ut_alloc(&aw.ut, 3, 0, &a), KEEL_EINVAL);
    assert_int_equal(keel_ut_alloc(&aw.ut, 48, 0, &a), KEEL_EINVAL);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static bool reclaimed;
static keel_ut_block_t hoard;

static bool give_back(void *ctx, unsigned size_bits)
{
    keel_ut_t *ut = ctx;
    (void)size_bits;
    if (reclaimed) {
        return false;
    }
    reclaimed = true;
    return keel_ut_free(ut, &hoard, 0) == KEEL_OK;
}

static void reclaimers_run_before_out_of_memory(void **state)
{
    (void)state;
    keel_ut_block_t x;
    /* Take every RAM block of 64 MiB and up, hoarding one 128 MiB block. */
    assert_int_equal(keel_ut_alloc(&aw.ut, 27, 0, &hoard), KEEL_OK);
    while (keel_ut_alloc(&aw.ut, 26, 0, &x) == KEEL_OK) {
    }
    assert_int_equal(keel_ut_alloc(&aw.ut, 27, 0, &x), KEEL_ENOMEM);
    keel_ut_reclaimer_t r = {.reclaim = give_back, .ctx = &aw.ut};
    keel_ut_add_reclaimer(&aw.ut, &r);
    reclaimed = false;
    assert_int_equal(keel_ut_alloc(&aw.ut, 27, 0, &x), KEEL_OK);
    assert_true(reclaimed);
    assert_int_equal(x.paddr, hoard.paddr);
    assert_int_equal(keel_ut_alloc(&aw.ut, 27, 0, &x), KEEL_ENOMEM); /* nothing more to give */
    keel_ut_remove_reclaimer(&aw.ut, &r);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static void out_of_metadata_is_clean(void **state)
{
    (void)state;
    alloc_world_shutdown();
    aw.bi = model_test_boot(NULL);
    keel_storage_t cs_storage = test_storage();
    assert_int_equal(keel_cslot_init(&aw.cs, aw.bi, NULL, &cs_storage), KEEL_OK);
    keel_storage_t ut_storage = test_storage_budget(0);
    assert_int_equal(keel_ut_init(&aw.ut, aw.bi, &aw.cs, &ut_storage), KEEL_OK);
    keel_ut_block_t b;
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &b), KEEL_OK); /* an exact block: no node */
    uint64_t before = calls();
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &b), KEEL_ENOMETA);
    assert_int_equal(calls(), before); /* refused before any kernel call */
    keel_cslot_stats_t cst;
    keel_cslot_stats(&aw.cs, &cst);
    assert_int_equal(cst.slots_taken, 0);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

/* Objects made from a block the allocator holds free are seen by the check. */
static void check_catches_children_of_a_free_block(void **state)
{
    (void)state;
    keel_ut_block_t b;
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &b), KEEL_OK);
    assert_int_equal(keel_ut_free(&aw.ut, &b, KEEL_UT_NO_DERIVED), KEEL_OK);
    seL4_CPtr slot = retype_one(b.cptr, seL4_EndpointObject);
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    assert_int_equal(keel_ut_check(&aw.ut, &kv, &what), -1);
    assert_non_null(what);
    assert_int_equal(keel_ut_check(&aw.ut, NULL, &what), 0); /* Keel's own records are fine */
    assert_int_equal(seL4_CNode_Revoke(seL4_CapInitThreadCNode, b.cptr, 64), seL4_NoError);
    keel_cslot_free(&aw.cs, slot);
    assert_int_equal(keel_ut_check(&aw.ut, &kv, &what), 0);
}

/* Free subtrees keep their nodes; an allocation short of nodes collapses them and goes on. */
static void short_of_metadata_collapses_free_subtrees(void **state)
{
    (void)state;
    enum { MAX = 4096 };
    static keel_ut_block_t held[MAX];
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &held[0]), KEEL_OK); /* the pool grows once */
    test_storage_refuse();
    size_t n = 1;
    keel_err_t err;
    while ((err = keel_ut_alloc(&aw.ut, 4, 0, &held[n])) == KEEL_OK) {
        assert_true(++n < MAX);
    }
    assert_int_equal(err, KEEL_ENOMETA); /* every node pair in use */
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(keel_ut_free(&aw.ut, &held[i], 0), KEEL_OK);
    }
    keel_ut_stats_t st;
    keel_ut_stats(&aw.ut, &st);
    assert_true(st.nodes > 0); /* freed, not collapsed */
    /* The largest RAM root is untouched: 16 bytes at its base need a split per level. */
    const seL4_UntypedDesc *big = &aw.bi->untypedList[0];
    for (seL4_Word i = 0; i < aw.bi->untyped.end - aw.bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &aw.bi->untypedList[i];
        if (!d->isDevice && (big->isDevice || d->sizeBits > big->sizeBits)) {
            big = d;
        }
    }
    keel_ut_block_t b;
    assert_int_equal(keel_ut_alloc_at(&aw.ut, big->paddr, 4, &b), KEEL_OK);
    keel_ut_stats(&aw.ut, &st);
    assert_int_equal(st.nodes, 2u * (big->sizeBits - 4u)); /* only the new chain is left */
    assert_int_equal(keel_ut_free(&aw.ut, &b, 0), KEEL_OK);
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

/* ---- Fail-at-N: every kernel call of an operation, failed in turn ---------------------------- */

static keel_ut_block_t prepared, out;
static keel_ut_stats_t before_op;

static void boot_default(void)
{
    alloc_world_boot(NULL);
}

static void remember_stats(void)
{
    keel_ut_stats(&aw.ut, &before_op);
}

static void prep_free_subtree(void)
{
    keel_ut_block_t a, b;
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &a), KEEL_OK);
    assert_int_equal(keel_ut_alloc(&aw.ut, 4, 0, &b), KEEL_OK);
    assert_int_equal(keel_ut_free(&aw.ut, &a, 0), KEEL_OK);
    assert_int_equal(keel_ut_free(&aw.ut, &b, 0), KEEL_OK);
    remember_stats();
}

static void prep_block_with_children(void)
{
    assert_int_equal(keel_ut_alloc(&aw.ut, 12, 0, &prepared), KEEL_OK);
    (void)retype_one(prepared.cptr, seL4_NotificationObject);
    remember_stats();
}

static keel_err_t op_alloc_small(void)
{
    return keel_ut_alloc(&aw.ut, 4, 0, &out);
}

static keel_err_t op_alloc_collapse(void)
{
    return keel_ut_alloc(&aw.ut, 11, 0, &out);
}

static keel_err_t op_alloc_at_device(void)
{
    return keel_ut_alloc_at(&aw.ut, 0x7f8000000000ull + 0x123000, 12, &out);
}

static keel_err_t op_alloc_at_ram(void)
{
    return keel_ut_alloc_at(&aw.ut, 0x8000000 + 0x123400, 10, &out);
}

static keel_err_t op_compact(void)
{
    return keel_ut_compact(&aw.ut) == 1 ? KEEL_OK : KEEL_EKERNEL;
}

/* The boot region's slots all taken: the allocation's slot pairs grow the CSpace first. */
static void prep_full_boot_region(void)
{
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    for (uint64_t i = st.slots_free; i > 0; i--) {
        seL4_CPtr slot;
        assert_int_equal(keel_cslot_alloc(&aw.cs, &slot), KEEL_OK);
    }
    remember_stats();
}

/*
 * Growing the CSpace while reserving is kept when a later split fails: the new CNode belongs
 * to the slot allocator and serves the next request. The block it took is the only change.
 */
static void grown_but_unchanged(void)
{
    keel_ut_stats_t now;
    keel_ut_stats(&aw.ut, &now);
    keel_cslot_stats_t st;
    keel_cslot_stats(&aw.cs, &st);
    assert_int_equal(now.used_blocks, before_op.used_blocks + st.leaves + (st.two_level ? 1 : 0));
}

static keel_err_t op_free(void)
{
    return keel_ut_free(&aw.ut, &prepared, 0);
}

static void check(void)
{
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

/* A failed operation leaves the allocator's own view unchanged, too. */
static void unchanged(void)
{
    keel_ut_stats_t now;
    keel_ut_stats(&aw.ut, &now);
    assert_int_equal(now.ram_free, before_op.ram_free);
    assert_int_equal(now.dev_free, before_op.dev_free);
    assert_int_equal(now.used_blocks, before_op.used_blocks);
    assert_int_equal(aw.ut.kstat.last.error, seL4_NotEnoughMemory);
}

static void fail_at_n_every_operation(void **state)
{
    (void)state;
    static const struct {
        fail_at_n_case_t c;
        uint64_t calls;
    } cases[] = {
        {{.name = "alloc (7 splits)", .prep = remember_stats, .op = op_alloc_small}, 7},
        {{.name = "alloc (collapse)", .prep = prep_free_subtree, .op = op_alloc_collapse}, 1},
        {{.name = "alloc_at (device, 27 splits)", .prep = remember_stats, .op = op_alloc_at_device},
         27},
        {{.name = "alloc_at (RAM, 17 splits)", .prep = remember_stats, .op = op_alloc_at_ram}, 17},
        {{.name = "compact (one subtree)", .prep = prep_free_subtree, .op = op_compact}, 1},
        {{.name = "free (revoke)", .prep = prep_block_with_children, .op = op_free}, 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fail_at_n_case_t c = cases[i].c;
        c.boot = boot_default;
        c.check = check;
        c.after_failure = unchanged;
        assert_int_equal(fail_at_n(&c), cases[i].calls);
    }
    fail_at_n_case_t growing = {.name = "alloc (the CSpace grows first)",
                                .boot = boot_default,
                                .prep = prep_full_boot_region,
                                .op = op_alloc_small,
                                .check = check,
                                .after_failure = grown_but_unchanged,
                                .changes_world = true,
                                .compact = true};
    assert_true(fail_at_n(&growing) > 7); /* the growth's calls, then the 7 splits */
    alloc_world_boot(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(starts_with_everything_bootinfo_lists, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(smallest_fitting_size_lowest_address, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(free_subtrees_collapse_on_demand, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(compact_collapses_every_free_subtree, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(free_revokes_what_was_made_from_the_block,
                                        alloc_world_setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(physical_addresses_ram_and_device, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(find_maps_addresses_to_blocks, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(contract_violations_are_loud, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(reclaimers_run_before_out_of_memory, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(out_of_metadata_is_clean, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(check_catches_children_of_a_free_block, alloc_world_setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(short_of_metadata_collapses_free_subtrees,
                                        alloc_world_setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(fail_at_n_every_operation, alloc_world_setup,
                                        alloc_world_teardown),
    };
    return cmocka_run_group_tests_name("alloc.untyped", tests, NULL, NULL);
}
