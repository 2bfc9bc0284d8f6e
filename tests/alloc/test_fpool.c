/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frame pools on the model: pool making (4 retypes of 256 at the kernel's default fan-out),
 * contiguity and alignment, the CapBuddy failure cases (whole-pool cycles, stranding), zeroing
 * with and without a scrubber, mappings (unmapped at free; a frame left mapped is still
 * scrubbed; a frame that cannot be scrubbed is set aside), alloc_at, reaping, fail-at-N, and a
 * differential property test against a reference bitmap of frames.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/fpool.h>

#include "alloc_test.h"

#define PAGE  4096u
#define LARGE (2u << 20)

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

static void boot_with(const keel_scrub_t *scrub)
{
    alloc_world_boot(NULL);
    keel_storage_t s = test_storage();
    keel_fpool_config_t cfg = {.scrub = scrub};
    assert_int_equal(keel_fpool_init(&fp, &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
    scrub_calls = 0;
}

static void boot(bool with_scrubber)
{
    boot_with(with_scrubber ? &scrubber : NULL);
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

/* ---- A world with the window scrubber and an owner's address range -------------------------- */

static keel_scrub_window_t window;
static uint8_t *owner_va; /* 2 MiB of the root VSpace with its page table: the owner's mappings */

/* One paging structure of `type` at va, from a block of keel_ut, unless that level exists. */
static void map_table(seL4_Word type, seL4_Word va)
{
    keel_ut_block_t b;
    seL4_CPtr slot;
    assert_int_equal(keel_ut_alloc(&aw.ut, seL4_PageTableBits, 0, &b), KEEL_OK);
    assert_int_equal(keel_cslot_alloc(&aw.cs, &slot), KEEL_OK);
    keel_slot_dest_t d;
    keel_cslot_dest(&aw.cs, slot, &d);
    assert_int_equal(seL4_Untyped_Retype(b.cptr, type, 0, d.root, d.index, d.depth, d.offset, 1),
                     seL4_NoError);
    seL4_Error err = type == seL4_X86_PDPTObject
                         ? seL4_X86_PDPT_Map(slot, seL4_CapInitThreadVSpace, va, 0)
                     : type == seL4_X86_PageDirectoryObject
                         ? seL4_X86_PageDirectory_Map(slot, seL4_CapInitThreadVSpace, va, 0)
                         : seL4_X86_PageTable_Map(slot, seL4_CapInitThreadVSpace, va, 0);
    if (err == seL4_DeleteFirst) {
        assert_int_equal(keel_ut_free(&aw.ut, &b, 0), KEEL_OK);
        keel_cslot_free(&aw.cs, slot);
    } else {
        assert_int_equal(err, seL4_NoError);
    }
}

/* A 2 MiB-aligned host range of `bytes` (at most 2 MiB) with page tables down to 4 KiB pages. */
static uint8_t *mappable(size_t bytes)
{
    uint8_t *va = keel_model_host_range(bytes, 21);
    map_table(seL4_X86_PDPTObject, (seL4_Word)(uintptr_t)va);
    map_table(seL4_X86_PageDirectoryObject, (seL4_Word)(uintptr_t)va);
    map_table(seL4_X86_PageTableObject, (seL4_Word)(uintptr_t)va);
    return va;
}

static void boot_window(void)
{
    alloc_world_boot(NULL);
    keel_scrub_window_init(&window, seL4_CapInitThreadVSpace, (uintptr_t)mappable(PAGE));
    owner_va = mappable(LARGE);
    keel_storage_t s = test_storage();
    keel_fpool_config_t cfg = {.scrub = &window.scrub};
    assert_int_equal(keel_fpool_init(&fp, &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
}

static bool is_mapped(seL4_CPtr frame)
{
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(frame, &info), 0);
    return info.mapped;
}

/* The owner maps frame i of a run at page `page` of its range and writes to it. */
static void owner_maps(seL4_CPtr frame, unsigned page, uint8_t byte)
{
    assert_int_equal(seL4_X86_Page_Map(frame, seL4_CapInitThreadVSpace,
                                       (seL4_Word)(uintptr_t)(owner_va + page * PAGE),
                                       seL4_ReadWrite, seL4_X86_Default_VMAttributes),
                     seL4_NoError);
    memset(owner_va + page * PAGE, byte, PAGE);
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
    assert_int_equal(st.meta_used, 752); /* as keel/fpool.h says */
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

/* Without a scrubber, alloc_at remakes a pool whose held frames are in the way if none of its
 * frames is in use; with one in use it must refuse (it cannot zero one frame). */
static void alloc_at_remakes_an_idle_pool(void **state)
{
    (void)state;
    alloc_world_shutdown();
    boot(false);
    keel_fpool_run_t r, s;
    assert_int_equal(keel_fpool_alloc(&fp, 10, 0, &r), KEEL_OK);
    memset(keel_model_phys(r.paddr, 1 << 22), 0x3c, 1 << 22);
    assert_int_equal(keel_fpool_free(&fp, r.first, 10, KEEL_FPOOL_UNMAPPED), KEEL_OK);
    uint64_t before = keel_model_invocations();
    assert_int_equal(keel_fpool_alloc_at(&fp, r.paddr + 0x8000, 3, 0, &s), KEEL_OK);
    assert_int_equal(keel_model_invocations() - before, 5); /* 1 revoke + 4 retypes */
    assert_int_equal(s.paddr, r.paddr + 0x8000);
    assert_true(keel_model_phys_is_zero(s.paddr, 8 * PAGE));
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.remade, 1);
    assert_int_equal(st.frames_held, 0);
    /* Now s is in use: held frames of the same pool cannot be had. */
    assert_int_equal(keel_fpool_alloc_at(&fp, r.paddr, 0, 0, &r), KEEL_OK);
    assert_int_equal(keel_fpool_free(&fp, r.first, 0, KEEL_FPOOL_UNMAPPED), KEEL_OK);
    assert_int_equal(keel_fpool_alloc_at(&fp, r.paddr, 0, 0, &r), KEEL_EBUSY);
    assert_int_equal(keel_fpool_free(&fp, s.first, 3, KEEL_FPOOL_UNMAPPED), KEEL_OK);
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
    /* A revoke and an unmap per frame. */
    assert_int_equal(keel_fpool_free(&fp, r.first, 1, KEEL_FPOOL_REVOKE), KEEL_OK);
    assert_int_equal(keel_model_invocations() - before, 4);
    keel_model_cap_info info;
    keel_model_cap(copy, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);
    TEST_PANIC(keel_fpool_free(&fp, r.first, 1, 0)); /* double free */
    /* A caller that vouches the frames are unmapped pays only the revokes. */
    assert_int_equal(keel_fpool_alloc(&fp, 1, 0, &r), KEEL_OK);
    assert_int_equal(seL4_CNode_Copy(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs),
                                     keel_cslot_root(&aw.cs), r.first, keel_cslot_depth(&aw.cs),
                                     seL4_AllRights),
                     seL4_NoError);
    before = keel_model_invocations();
    assert_int_equal(keel_fpool_free(&fp, r.first, 1, KEEL_FPOOL_REVOKE | KEEL_FPOOL_UNMAPPED),
                     KEEL_OK);
    assert_int_equal(keel_model_invocations() - before, 2);
    keel_model_cap(copy, &info);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);
    keel_cslot_free(&aw.cs, copy);
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

/* ---- Mappings and scrub failures ------------------------------------------------------------ */

/*
 * An owner that mapped its frames frees them without a word about mappings: free unmaps them
 * (1 call per frame), so the next owner gets them unmapped and zeroed through the window, and
 * the pool goes on (a frame left mapped used to make every later scrub fail on the same frame).
 */
static void a_mapped_run_is_unmapped_at_free(void **state)
{
    (void)state;
    alloc_world_shutdown();
    boot_window();
    keel_fpool_run_t r, again;
    assert_int_equal(keel_fpool_alloc(&fp, 1, 0, &r), KEEL_OK);
    owner_maps(r.first, 0, 0x6b);
    owner_maps(r.first + 1, 1, 0x6c);
    uint64_t before = keel_model_invocations();
    assert_int_equal(keel_fpool_free(&fp, r.first, 1, 0), KEEL_OK);
    assert_int_equal(keel_model_invocations() - before, 2);
    assert_false(is_mapped(r.first));
    assert_false(is_mapped(r.first + 1));
    for (int i = 0; i < 3; i++) {
        before = keel_model_invocations();
        assert_int_equal(keel_fpool_alloc(&fp, 1, 0, &again), KEEL_OK);
        assert_int_equal(again.paddr, r.paddr);
        assert_true(keel_model_phys_is_zero(again.paddr, 2 * PAGE));
        assert_false(is_mapped(again.first));
        assert_int_equal(keel_fpool_free(&fp, again.first, 1, 0), KEEL_OK);
    }
    /* Dirty on request: still not mapped anywhere. */
    assert_int_equal(keel_fpool_alloc(&fp, 1, KEEL_FPOOL_DIRTY_OK, &again), KEEL_OK);
    assert_false(is_mapped(again.first));
    assert_false(is_mapped(again.first + 1));
    assert_int_equal(window.remapped, 0);
    /* An owner that never mapped its run says so and pays nothing. */
    before = keel_model_invocations();
    assert_int_equal(keel_fpool_free(&fp, again.first, 1, KEEL_FPOOL_UNMAPPED), KEEL_OK);
    assert_int_equal(keel_model_invocations() - before, 0);
    /* Contradictory or unknown flags. */
    assert_int_equal(keel_fpool_alloc(&fp, 0, 0, &r), KEEL_OK);
    assert_int_equal(keel_fpool_free(&fp, r.first, 0, KEEL_FPOOL_UNMAP | KEEL_FPOOL_UNMAPPED),
                     KEEL_EINVAL);
    assert_int_equal(keel_fpool_free(&fp, r.first, 0, 16), KEEL_EINVAL);
    assert_int_equal(keel_fpool_free(&fp, r.first, 0, KEEL_FPOOL_UNMAP), KEEL_OK);
    fpool_check();
}

/*
 * An owner that vouches wrongly (KEEL_FPOOL_UNMAPPED on a mapped frame): the window scrubber
 * cannot map the frame at its window (the kernel refuses a second address), so it unmaps the
 * old owner's mapping and maps again: 4 calls, and the next owner gets it zeroed and unmapped.
 */
static void the_window_scrubber_unmaps_a_frame_left_mapped(void **state)
{
    (void)state;
    alloc_world_shutdown();
    boot_window();
    keel_fpool_run_t r, again;
    assert_int_equal(keel_fpool_alloc(&fp, 0, 0, &r), KEEL_OK);
    owner_maps(r.first, 5, 0x6b);
    assert_int_equal(keel_fpool_free(&fp, r.first, 0, KEEL_FPOOL_UNMAPPED), KEEL_OK);
    assert_true(is_mapped(r.first));
    uint64_t before = keel_model_invocations();
    assert_int_equal(keel_fpool_alloc(&fp, 0, 0, &again), KEEL_OK);
    assert_int_equal(keel_model_invocations() - before, 4);
    assert_int_equal(again.first, r.first);
    assert_false(is_mapped(again.first));
    assert_true(keel_model_phys_is_zero(again.paddr, PAGE));
    assert_int_equal(window.remapped, 1);
    assert_int_equal(window.bytes, PAGE);
    assert_int_equal(keel_fpool_free(&fp, again.first, 0, 0), KEEL_OK);
    fpool_check();
}

/* A scrubber that cannot zero one particular frame. */
static seL4_CPtr unscrubbable;

static keel_err_t picky_scrub(void *ctx, seL4_CPtr frame, uint64_t paddr, unsigned size_bits)
{
    if (frame == unscrubbable) {
        return KEEL_EKERNEL;
    }
    return phys_scrub(ctx, frame, paddr, size_bits);
}

static const keel_scrub_t picky = {.scrub = picky_scrub};

/*
 * A frame that cannot be scrubbed fails its allocation once and is then held: later requests
 * get other frames (they used to meet the same frame, and fail, every time). The rest of its
 * run goes back; the pool is remade when a request needs it whole.
 */
static void a_frame_that_cannot_be_scrubbed_is_set_aside(void **state)
{
    (void)state;
    alloc_world_shutdown();
    boot_with(&picky);
    keel_fpool_run_t r, s, whole;
    assert_int_equal(keel_fpool_alloc(&fp, 3, 0, &r), KEEL_OK);
    memset(keel_model_phys(r.paddr, 8 * PAGE), 0x77, 8 * PAGE);
    assert_int_equal(keel_fpool_free(&fp, r.first, 3, 0), KEEL_OK);
    unscrubbable = r.first + 5;
    assert_int_equal(keel_fpool_alloc(&fp, 3, 0, &s), KEEL_EKERNEL);
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.frames_held, 1);
    assert_int_equal(st.frames_used, 0);
    assert_int_equal(st.frames_free, 1023);
    fpool_check();
    /* Every other frame is still to be had, zeroed; never frame 5. */
    keel_fpool_run_t got[8];
    for (int i = 0; i < 7; i++) {
        assert_int_equal(keel_fpool_alloc(&fp, 0, 0, &got[i]), KEEL_OK);
        assert_int_not_equal(got[i].first, unscrubbable);
        assert_true(keel_model_phys_is_zero(got[i].paddr, PAGE));
    }
    assert_int_equal(keel_fpool_alloc(&fp, 3, 0, &s), KEEL_OK);
    assert_false(s.paddr == r.paddr);
    for (int i = 0; i < 7; i++) {
        assert_int_equal(keel_fpool_free(&fp, got[i].first, 0, 0), KEEL_OK);
    }
    assert_int_equal(keel_fpool_free(&fp, s.first, 3, 0), KEEL_OK);
    fpool_check();
    /* A request for the whole pool: nothing fits, the pool has no frame in use: remade. */
    uint64_t before = keel_model_invocations();
    assert_int_equal(keel_fpool_alloc(&fp, 10, 0, &whole), KEEL_OK);
    assert_int_equal(keel_model_invocations() - before, 5);
    assert_int_equal(whole.paddr, r.paddr & ~((1ull << 22) - 1));
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.remade, 1);
    assert_int_equal(st.frames_held, 0);
    assert_int_equal(st.pools, 1);
    assert_true(keel_model_phys_is_zero(whole.paddr, 1 << 22));
    assert_int_equal(keel_fpool_free(&fp, whole.first, 10, 0), KEEL_OK);
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
    return keel_fpool_free(&fp, held.first, 3, KEEL_FPOOL_REVOKE | KEEL_FPOOL_UNMAPPED);
}

static keel_err_t op_reap(void)
{
    return keel_fpool_reap(&fp) == 1 ? KEEL_OK : KEEL_EKERNEL;
}

static keel_err_t op_remake(void)
{
    return keel_fpool_alloc(&fp, 0, 0, &held);
}

static keel_err_t op_remake_at(void)
{
    return keel_fpool_alloc_at(&fp, held.paddr + 0x3000, 0, 0, &held);
}

/* A run of 8 frames, each mapped by its owner. */
static void prep_mapped_run(void)
{
    assert_int_equal(keel_fpool_alloc(&fp, 3, 0, &held), KEEL_OK);
    for (unsigned i = 0; i < 8; i++) {
        owner_maps(held.first + i, i, (uint8_t)(0x10 + i));
    }
}

static keel_err_t op_free_mapped(void)
{
    keel_err_t err = keel_fpool_free(&fp, held.first, 3, 0);
    if (err == KEEL_OK) {
        for (unsigned i = 0; i < 8; i++) {
            assert_false(is_mapped(held.first + i));
        }
    }
    return err;
}

static void mapped_run_still_in_use(void)
{
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.frames_used, 8); /* a failed free leaves the run with its owner */
}

/* One dirty frame, the lowest free one, so the next alloc(0) scrubs it. */
static seL4_CPtr dirty_frame;
static bool dirty_frame_set_aside; /* after a failed scrub: the retry must take another frame */

static void prep_dirty(void)
{
    assert_int_equal(keel_fpool_alloc(&fp, 0, 0, &held), KEEL_OK);
    memset(keel_model_phys(held.paddr, PAGE), 0x5a, PAGE);
    assert_int_equal(keel_fpool_free(&fp, held.first, 0, 0), KEEL_OK);
    dirty_frame = held.first;
    dirty_frame_set_aside = false;
}

/* The same, but its owner left it mapped and vouched it was not. */
static void prep_dirty_mapped(void)
{
    assert_int_equal(keel_fpool_alloc(&fp, 0, 0, &held), KEEL_OK);
    owner_maps(held.first, 3, 0x5a);
    assert_int_equal(keel_fpool_free(&fp, held.first, 0, KEEL_FPOOL_UNMAPPED), KEEL_OK);
    dirty_frame = held.first;
    dirty_frame_set_aside = false;
}

/* The dirty frame (another one after a failed scrub), zeroed and unmapped. */
static keel_err_t op_alloc_scrubbed(void)
{
    keel_fpool_run_t r;
    keel_err_t err = keel_fpool_alloc(&fp, 0, 0, &r);
    if (err == KEEL_OK) {
        assert_true(dirty_frame_set_aside ? r.first != dirty_frame : r.first == dirty_frame);
        assert_true(keel_model_phys_is_zero(r.paddr, PAGE));
        assert_false(is_mapped(r.first));
    }
    return err;
}

/* After a failed scrub the frame is held, not free, so the retry takes another one. */
static void dirty_frame_held(void)
{
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    assert_int_equal(st.frames_held, 1);
    assert_int_equal(st.frames_used, 0);
    dirty_frame_set_aside = true;
}

/* An empty pool and no other free RAM: a request to the untyped allocator takes it back. */
static void prep_pressure(void)
{
    prep_pool_back();
    keel_ut_remove_reclaimer(&aw.ut, &fp.reclaimer);
    keel_ut_block_t b;
    for (unsigned bits = 27; bits >= 12; bits--) {
        while (keel_ut_alloc(&aw.ut, bits, 0, &b) == KEEL_OK) {
        }
    }
    keel_ut_add_reclaimer(&aw.ut, &fp.reclaimer);
}

static keel_err_t op_alloc_under_pressure(void)
{
    keel_ut_block_t b;
    keel_err_t err = keel_ut_alloc(&aw.ut, 22, 0, &b);
    if (err == KEEL_ENOMEM) {
        /* The give-back failed: the pool stays whole, and the untyped allocator, which hears
         * only that nothing was reclaimed, reports no memory; the kernel's failure it was. */
        assert_int_equal(fp.pools, 1);
        return KEEL_EKERNEL;
    }
    if (err == KEEL_OK) {
        assert_int_equal(fp.pools, 0);
        assert_int_equal(b.paddr, held.paddr);
    }
    return err;
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
        {{.name = "free of a mapped run (unmap each frame)",
          .boot = boot_window,
          .prep = prep_mapped_run,
          .op = op_free_mapped,
          .after_failure = mapped_run_still_in_use},
         8},
        {{.name = "alloc scrubbing a dirty frame through the window (map, unmap)",
          .boot = boot_window,
          .prep = prep_dirty,
          .op = op_alloc_scrubbed,
          .after_failure = dirty_frame_held},
         2},
        {{.name = "alloc scrubbing a frame left mapped (map refused, unmap, map, unmap)",
          .boot = boot_window,
          .prep = prep_dirty_mapped,
          .op = op_alloc_scrubbed,
          .after_failure = dirty_frame_held},
         4},
        {{.name = "reap", .boot = boot_scrubbed, .prep = prep_pool_back, .op = op_reap}, 1},
        {{.name = "an empty pool given back under pressure",
          .boot = boot_scrubbed,
          .prep = prep_pressure,
          .op = op_alloc_under_pressure},
         1},
        /* A failed remake gives its pool back whole: that changes the world, rightly. */
        {{.name = "alloc remaking a pool",
          .boot = boot_unscrubbed,
          .prep = prep_pool_back,
          .op = op_remake,
          .changes_world = true},
         5},
        {{.name = "alloc_at remaking a pool",
          .boot = boot_unscrubbed,
          .prep = prep_pool_back,
          .op = op_remake_at,
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

/* ---- Differential property test against a reference bitmap -------------------------------- */

/*
 * Random operations on keel_fpool, each checked against a reference kept by the test alone: a
 * state per frame (free, used, held), a dirty bit per frame (had an owner since it was last
 * zeroed), and for each pool and each block size the number of aligned blocks with no
 * frame used or held. After every operation the pool's statistics (O(P)) must equal the
 * reference's: frames used and held, and for every size the free blocks of the pools' buddies
 * (the maximal free aligned blocks of the reference: zero[o] - 2 zero[o + 1]). keel_fpool_check
 * runs every 8192 operations, and with the kernel's view every 131072.
 *
 * No stranding: a request for 2^k frames must be met from an existing pool whenever the
 * reference has an aligned free block of 2^k frames in one (no new pool, no remake, no
 * refusal); otherwise from a remade pool if one has no frame in use and some held, otherwise
 * from a new pool, or refused for want of RAM.
 *
 * Zeroing: before a run is freed its owner writes a pattern into its frames (three words of
 * each: the first, the last and one that depends on the frame; every byte in the window mode);
 * a run handed out without KEEL_FPOOL_DIRTY_OK must read zero (those words with the cheap
 * scrubber, every byte otherwise), and the frames the scrubber was given must be exactly the
 * dirty frames of the run (none zeroed twice, none missed; without a scrubber, no dirty frame
 * may be handed out at all).
 *
 * Three modes: a scrubber that zeroes the words the test writes (nothing else is ever written,
 * so the frames are entirely zero after it: the cheap way to make millions of operations); no
 * scrubber (frames held until their pool is remade: the kernel zeroes); and the window
 * scrubber, with owners that map some runs before freeing them (free unmaps them).
 */
enum { PBITS = 10, NFR = 1 << PBITS, REF_POOLS = 128, MAX_RUNS = 4096 };
enum { F_FREE, F_USED, F_HELD };
enum prop_mode { PROP_SPARSE, PROP_NONE, PROP_WINDOW };

struct ref_pool {
    bool live;
    uint32_t used;
    uint8_t state[NFR];
    bool dirty[NFR];
    uint16_t taken[2 * NFR];  /* block i of 2^o frames at (NFR >> o) + i: frames used or held */
    uint32_t zero[PBITS + 1]; /* blocks of 2^o frames with none used or held */
};

static struct ref_pool *ref;
static struct prop_state {
    enum prop_mode mode;
    uint64_t used, held, live, given_back;
    uint64_t zero[PBITS + 1]; /* over live pools */
    uint64_t rng;
    uint64_t reused, made, remade, refused, scrubbed, cycles, at_ok, at_busy, mapped;
    /* Frames the sparse scrubber was given during one operation. */
    uint64_t scrub_paddr[NFR];
    size_t nscrub;
} rt;

static struct {
    seL4_CPtr first;
    uint64_t paddr;
    unsigned k;
    int owner_page; /* window mode: its first frame mapped at this page of owner_va, or -1 */
} live[MAX_RUNS + NFR + 1];
static size_t nlive;
static bool owner_page_used[LARGE / PAGE];

static uint64_t rnd(void)
{
    return test_rng(&rt.rng);
}

static struct ref_pool *ref_of(uint64_t paddr)
{
    uint64_t i = paddr >> (PBITS + 12);
    if (i >= REF_POOLS) {
        fail_msg("a frame at %#llx, beyond the reference", (unsigned long long)paddr);
    }
    return &ref[i];
}

static uint32_t frame_of(uint64_t paddr)
{
    return (uint32_t)(paddr >> 12) & (NFR - 1);
}

static void ref_zero(struct ref_pool *r, unsigned o, int d)
{
    r->zero[o] = (uint32_t)((int64_t)r->zero[o] + d);
    if (r->live) {
        rt.zero[o] = (uint64_t)((int64_t)rt.zero[o] + d);
    }
}

/* Frames [off, off + 2^k) become taken (sign 1) or not taken (-1). */
static void ref_count(struct ref_pool *r, uint32_t off, unsigned k, int sign)
{
    uint32_t n = 1u << k;
    for (unsigned o = 0; o <= PBITS; o++) {
        uint32_t per = o <= k ? 1u << o : n;
        for (uint32_t i = off >> o; i <= (off + n - 1) >> o; i++) {
            uint16_t *t = &r->taken[(NFR >> o) + i];
            bool was_zero = *t == 0;
            if (sign < 0 && *t < per) {
                fail_msg("reference: block count below zero");
            }
            *t = (uint16_t)(sign > 0 ? *t + per : *t - per);
            if (was_zero != (*t == 0)) {
                ref_zero(r, o, was_zero ? -1 : 1);
            }
        }
    }
}

static void ref_set_live(struct ref_pool *r, bool on)
{
    if (r->live == on) {
        return;
    }
    for (unsigned o = 0; o <= PBITS; o++) {
        rt.zero[o] = on ? rt.zero[o] + r->zero[o] : rt.zero[o] - r->zero[o];
    }
    r->live = on;
    rt.live = on ? rt.live + 1 : rt.live - 1;
}

/* The kernel zeroes the pool's block (remade, or given back and made again): held frames are
 * free and every frame clean. */
static void ref_zeroed(struct ref_pool *r)
{
    if (r->used != 0) {
        fail_msg("a pool with frames in use was remade or given back");
    }
    for (uint32_t f = 0; f < NFR; f++) {
        if (r->state[f] == F_HELD) {
            r->state[f] = F_FREE;
            ref_count(r, f, 0, -1);
            rt.held--;
        }
        r->dirty[f] = false;
    }
}

/* Pools made or given back: the allocator's index says which pools exist (not what is free). */
static void ref_sync_pools(void)
{
    static bool now[REF_POOLS];
    memset(now, 0, sizeof(now));
    for (keel_tnode_t *n = keel_treap_first(&fp.by_paddr); n != NULL;
         n = keel_treap_next(&fp.by_paddr, n)) {
        assert_int_equal(n->key & ((1ull << (PBITS + 12)) - 1), 0);
        now[ref_of(n->key) - ref] = true;
    }
    for (size_t i = 0; i < REF_POOLS; i++) {
        if (ref[i].live && !now[i]) {
            ref_set_live(&ref[i], false);
            ref_zeroed(&ref[i]);
        } else if (!ref[i].live && now[i]) {
            assert_int_equal(ref[i].zero[PBITS], 1); /* entirely free and clean */
            ref_set_live(&ref[i], true);
        }
    }
    rt.given_back = fp.given_back;
}

/* Whether a live pool has no frame in use and some held (keel_fpool would remake it). */
static bool ref_remakeable(void)
{
    for (size_t i = 0; i < REF_POOLS; i++) {
        if (ref[i].live && ref[i].used == 0 && ref[i].zero[PBITS] == 0) {
            return true;
        }
    }
    return false;
}

static size_t probe(uint64_t paddr, int j)
{
    return j == 0 ? 0 : j == 1 ? PAGE - 8 : 8 * (1 + (size_t)((paddr >> 12) % 510));
}

static uint64_t read_word(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof(w));
    return w;
}

static keel_err_t sparse_scrub(void *ctx, seL4_CPtr frame, uint64_t paddr, unsigned size_bits)
{
    (void)ctx;
    (void)frame;
    assert_int_equal(size_bits, 12);
    uint8_t *b = keel_model_phys(paddr, PAGE);
    for (int j = 0; j < 3; j++) {
        memset(b + probe(paddr, j), 0, 8);
    }
    if (rt.nscrub < NFR) {
        rt.scrub_paddr[rt.nscrub] = paddr;
    }
    rt.nscrub++;
    return KEEL_OK;
}

static const keel_scrub_t sparse = {.scrub = sparse_scrub};

/* A run has just been handed out: check it against the reference, and take it there. */
static void ref_take(const keel_fpool_run_t *r, unsigned k, unsigned flags, uint64_t window0)
{
    assert_int_equal(r->count, 1u << k);
    assert_int_equal(r->paddr & ((1ull << (k + 12)) - 1), 0);
    assert_true(keel_fpool_is_from_pool(&fp, r->first + r->count - 1));
    seL4_X86_Page_GetAddress_t ga = seL4_X86_Page_GetAddress(r->first + r->count - 1);
    assert_int_equal(ga.paddr, r->paddr + ((uint64_t)(r->count - 1) << 12));
    struct ref_pool *p = ref_of(r->paddr);
    assert_true(p->live);
    uint32_t off = frame_of(r->paddr);
    uint64_t dirty = 0;
    for (uint32_t f = off; f < off + r->count; f++) {
        if (p->state[f] != F_FREE) {
            fail_msg("frame %#llx handed out, but it is %s in the reference",
                     (unsigned long long)(r->paddr + ((uint64_t)(f - off) << 12)),
                     p->state[f] == F_USED ? "in use" : "held");
        }
        p->state[f] = F_USED;
        dirty += p->dirty[f];
    }
    ref_count(p, off, k, 1);
    p->used += r->count;
    rt.used += r->count;
    /* The scrubber zeroes exactly the run's dirty frames, unless the owner takes them dirty. */
    uint64_t expect = (flags & KEEL_FPOOL_DIRTY_OK) ? 0 : dirty;
    if (rt.mode == PROP_SPARSE) {
        assert_int_equal(rt.nscrub, expect);
        for (size_t i = 0; i < rt.nscrub; i++) {
            uint64_t a = rt.scrub_paddr[i];
            assert_true(a >= r->paddr && a < r->paddr + ((uint64_t)r->count << 12));
            assert_true(p->dirty[frame_of(a)]); /* dirty, and not zeroed twice */
            p->dirty[frame_of(a)] = false;
        }
    } else if (rt.mode == PROP_WINDOW) {
        assert_int_equal(window.bytes - window0, expect * PAGE);
    } else {
        assert_int_equal(dirty, 0); /* without a scrubber, dirty frames are never free */
    }
    rt.nscrub = 0;
    rt.scrubbed += expect;
    if (flags & KEEL_FPOOL_DIRTY_OK) {
        return;
    }
    for (uint32_t i = 0; i < r->count; i++) {
        p->dirty[frame_of(r->paddr) + i] = false;
    }
    if (rt.mode != PROP_SPARSE) {
        /* Every byte (the model skips what the kernel zeroed without reading it). */
        if (!keel_model_phys_is_zero(r->paddr, (uint64_t)r->count * PAGE)) {
            fail_msg("a run at %#llx handed out with the last owner's bytes",
                     (unsigned long long)r->paddr);
        }
        if (rt.mode == PROP_WINDOW) {
            assert_false(is_mapped(r->first));
        }
        return;
    }
    const uint8_t *b = keel_model_phys(r->paddr, (size_t)r->count * PAGE);
    for (uint32_t i = 0; i < r->count; i++) {
        uint64_t a = r->paddr + ((uint64_t)i << 12);
        for (int j = 0; j < 3; j++) {
            if (read_word(b + (size_t)i * PAGE + probe(a, j)) != 0) {
                fail_msg("frame %#llx handed out with the last owner's bytes",
                         (unsigned long long)a);
            }
        }
    }
}

static void live_add(const keel_fpool_run_t *r, unsigned k)
{
    live[nlive].first = r->first;
    live[nlive].paddr = r->paddr;
    live[nlive].k = k;
    live[nlive].owner_page = -1;
    if (rt.mode == PROP_WINDOW && rnd() % 4 == 0) {
        unsigned page = (unsigned)(rnd() % (LARGE / PAGE));
        if (!owner_page_used[page]) {
            owner_page_used[page] = true;
            owner_maps(r->first, page, 0xee);
            live[nlive].owner_page = (int)page;
            rt.mapped++;
        }
    }
    nlive++;
}

/* The pool's counters before an operation. */
struct counts {
    uint64_t pools, given_back, remade;
};

static struct counts counts_now(void)
{
    return (struct counts){fp.pools, fp.given_back, fp.remade};
}

/*
 * After an allocation: was it met the way it must be? `fits`: the reference had an aligned free
 * run of its size in a pool; `remake`: else, a pool had no frame in use and some held.
 */
static void judge(struct counts b, keel_err_t err, bool fits, bool remake)
{
    uint64_t given_back = fp.given_back - b.given_back;
    uint64_t made = fp.pools + given_back - b.pools;
    bool remade = fp.remade != b.remade;
    if (err == KEEL_ENOMEM) {
        if (fits || remake) {
            fail_msg("refused while a pool had a free run of the size (or could be remade)");
        }
        assert_int_equal(made, 0);
        rt.refused++;
        return;
    }
    assert_int_equal(err, KEEL_OK);
    if (fits) {
        if (made != 0 || remade) {
            fail_msg("stranded: a pool had a free run, yet a pool was %s",
                     made ? "made" : "remade");
        }
        rt.reused++;
    } else if (remake) {
        assert_true(remade);
        assert_int_equal(made, 0);
        rt.remade++;
    } else {
        assert_false(remade);
        assert_int_equal(made, 1);
        rt.made++;
    }
    /* An idle pool is reused or remade before a pool is made, so no alloc gives one back
     * and makes one (which would leave the reference unable to tell them apart). */
    assert_false(made != 0 && given_back != 0);
}

static void prop_alloc(unsigned k, unsigned flags)
{
    bool fits = rt.zero[k] > 0, remake = !fits && ref_remakeable();
    struct counts b = counts_now();
    uint64_t w0 = window.bytes;
    keel_fpool_run_t r;
    keel_err_t err = keel_fpool_alloc(&fp, k, flags, &r);
    judge(b, err, fits, remake);
    if (fp.pools != rt.live || fp.given_back != rt.given_back) {
        ref_sync_pools();
    }
    if (err != KEEL_OK) {
        return;
    }
    if (fp.remade != b.remade) {
        ref_zeroed(ref_of(r.paddr));
    }
    ref_take(&r, k, flags, w0);
    live_add(&r, k);
}

/* alloc_at inside a live pool: refused only if a frame of the run is used, or held in a pool
 * with frames in use (held frames of an idle pool: it is remade). */
static void prop_alloc_at_inside(unsigned flags)
{
    size_t i = (size_t)(rnd() % REF_POOLS);
    while (!ref[i].live) {
        i = (i + 1) % REF_POOLS;
    }
    struct ref_pool *p = &ref[i];
    unsigned k = (unsigned)(rnd() % 4);
    uint32_t off = (uint32_t)(rnd() % (NFR >> k)) << k;
    uint64_t paddr = ((uint64_t)i << (PBITS + 12)) + ((uint64_t)off << 12);
    bool used = false, held_any = false;
    for (uint32_t f = off; f < off + (1u << k); f++) {
        used |= p->state[f] == F_USED;
        held_any |= p->state[f] == F_HELD;
    }
    bool expect = !used && (!held_any || p->used == 0);
    struct counts b = counts_now();
    uint64_t w0 = window.bytes;
    keel_fpool_run_t r;
    keel_err_t err = keel_fpool_alloc_at(&fp, paddr, k, flags, &r);
    assert_int_equal(fp.pools, b.pools);
    if (!expect) {
        assert_int_equal(err, KEEL_EBUSY);
        assert_int_equal(fp.remade, b.remade);
        rt.at_busy++;
        return;
    }
    assert_int_equal(err, KEEL_OK);
    assert_int_equal(r.paddr, paddr);
    assert_int_equal(fp.remade != b.remade, held_any);
    if (held_any) {
        ref_zeroed(p);
    }
    ref_take(&r, k, flags, w0);
    live_add(&r, k);
    rt.at_ok++;
}

/* alloc_at where no pool is: a pool is made there if keel_ut has that block free. */
static void prop_alloc_at_outside(void)
{
    size_t i = (size_t)(rnd() % REF_POOLS);
    if (ref[i].live) {
        return;
    }
    uint64_t base = (uint64_t)i << (PBITS + 12);
    keel_ut_block_t blk;
    int state;
    bool block_free = keel_ut_find(&aw.ut, base, &blk, &state) == KEEL_OK &&
                      state == KEEL_UT_FREE && blk.size_bits >= PBITS + 12;
    unsigned k = (unsigned)(rnd() % 4);
    uint64_t paddr = base + ((rnd() % (NFR >> k)) << (k + 12));
    struct counts b = counts_now();
    keel_fpool_run_t r;
    keel_err_t err = keel_fpool_alloc_at(&fp, paddr, k, 0, &r);
    if (err != KEEL_OK) {
        assert_true(err == KEEL_EBUSY || err == KEEL_ENOENT || err == KEEL_ENOMEM);
        assert_true(!block_free || err == KEEL_ENOMEM);
        assert_int_equal(fp.pools, b.pools);
        return;
    }
    assert_true(block_free);
    assert_int_equal(fp.pools, b.pools + 1);
    assert_int_equal(r.paddr, paddr);
    ref_sync_pools();
    assert_true(ref[i].live);
    ref_take(&r, k, 0, window.bytes);
    live_add(&r, k);
    rt.made++;
}

static void prop_free(size_t i)
{
    uint64_t paddr = live[i].paddr;
    uint32_t count = 1u << live[i].k;
    struct ref_pool *p = ref_of(paddr);
    uint8_t *b = keel_model_phys(paddr, (size_t)count * PAGE);
    /* Without a scrubber the frames come back zeroed by the kernel, which the model does by
     * dropping the host's pages; the pattern goes into three frames of the run (the first, the
     * last, one at random), not to make the host fault every page back in. */
    uint32_t middle = (uint32_t)(rnd() % count);
    for (uint32_t f = 0; f < count; f++) {
        uint64_t a = paddr + ((uint64_t)f << 12);
        p->dirty[frame_of(a)] = true;
        if (rt.mode == PROP_WINDOW) {
            memset(b + (size_t)f * PAGE, 0xa5, PAGE);
        } else if (rt.mode == PROP_SPARSE || f == 0 || f == count - 1 || f == middle) {
            for (int j = 0; j < 3; j++) {
                memset(b + (size_t)f * PAGE + probe(a, j), 0xa5, 8);
            }
        }
    }
    unsigned flags;
    uint64_t dice = rnd() % 64;
    if (live[i].owner_page >= 0) {
        flags = dice == 0 ? KEEL_FPOOL_REVOKE : dice == 1 ? KEEL_FPOOL_UNMAP : 0;
    } else {
        flags = dice == 0   ? KEEL_FPOOL_REVOKE | KEEL_FPOOL_UNMAPPED
                : dice == 1 ? KEEL_FPOOL_REVOKE
                : dice < 4  ? 0
                            : KEEL_FPOOL_UNMAPPED;
    }
    assert_int_equal(keel_fpool_free(&fp, live[i].first, live[i].k, flags), KEEL_OK);
    if (live[i].owner_page >= 0) {
        assert_false(is_mapped(live[i].first));
        owner_page_used[live[i].owner_page] = false;
    }
    uint32_t off = frame_of(paddr);
    for (uint32_t f = off; f < off + count; f++) {
        p->state[f] = rt.mode == PROP_NONE ? F_HELD : F_FREE;
    }
    if (rt.mode == PROP_NONE) {
        rt.held += count;
    } else {
        ref_count(p, off, live[i].k, -1);
    }
    p->used -= count;
    rt.used -= count;
    live[i] = live[--nlive];
}

static void prop_reap(void)
{
    (void)keel_fpool_reap(&fp);
    ref_sync_pools();
    for (size_t i = 0; i < REF_POOLS; i++) {
        if (ref[i].live && ref[i].used == 0) {
            fail_msg("reap left a pool with no frame in use");
        }
    }
}

/* The cheap check, after every operation: the pool's statistics against the reference. */
static void prop_check(uint64_t step)
{
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    if (st.pools != rt.live || st.frames_used != rt.used || st.frames_held != rt.held) {
        fail_msg("step %llu: pools %llu, used %llu, held %llu; the reference: %llu, %llu, %llu",
                 (unsigned long long)step, (unsigned long long)st.pools,
                 (unsigned long long)st.frames_used, (unsigned long long)st.frames_held,
                 (unsigned long long)rt.live, (unsigned long long)rt.used,
                 (unsigned long long)rt.held);
    }
    int largest = -1;
    for (unsigned o = 0; o <= PBITS; o++) {
        uint64_t maximal = rt.zero[o] - (o < PBITS ? 2 * rt.zero[o + 1] : 0);
        if (st.free_runs[o] != maximal) {
            fail_msg("step %llu: %llu free runs of 2^%u frames; the reference has %llu",
                     (unsigned long long)step, (unsigned long long)st.free_runs[o], o,
                     (unsigned long long)maximal);
        }
        largest = rt.zero[o] > 0 ? (int)o : largest;
    }
    assert_int_equal(st.largest_free_bits, largest);
    assert_int_equal(st.frames_free, (rt.live << PBITS) - rt.used - rt.held);
    const char *what = NULL;
    if (step % 16384 == 0 && keel_fpool_check(&fp, NULL, &what) != 0) {
        fail_msg("step %llu: %s", (unsigned long long)step, what);
    }
    if (step % 262144 == 0) {
        fpool_check();
    }
}

/* A whole pool's worth of single frames, freed in random order, then a whole pool. */
static uint64_t prop_cycle(uint64_t step)
{
    size_t start = nlive;
    for (int i = 0; i < NFR; i++) {
        prop_alloc(0, 0);
        prop_check(++step);
    }
    while (nlive > start) {
        prop_free(start + (size_t)(rnd() % (nlive - start)));
        prop_check(++step);
    }
    prop_alloc(PBITS, 0);
    prop_check(++step);
    if (nlive > start) {
        prop_free(start);
        prop_check(++step);
    }
    rt.cycles++;
    return step;
}

static unsigned random_k(void)
{
    uint64_t d = rnd() % 100;
    return d < 70   ? (unsigned)(rnd() % 3)
           : d < 95 ? 3 + (unsigned)(rnd() % 4)
                    : 7 + (unsigned)(rnd() % 4);
}

static void property_run(enum prop_mode mode, uint64_t steps)
{
    alloc_world_shutdown();
    switch (mode) {
    case PROP_SPARSE:
        boot_with(&sparse);
        break;
    case PROP_NONE:
        boot_with(NULL);
        break;
    case PROP_WINDOW:
        boot_window();
        break;
    }
    ref = calloc(REF_POOLS, sizeof(*ref));
    assert_non_null(ref);
    rt = (struct prop_state){.mode = mode, .rng = test_seed(0xf00d + mode)};
    for (size_t i = 0; i < REF_POOLS; i++) {
        for (unsigned o = 0; o <= PBITS; o++) {
            ref[i].zero[o] = NFR >> o;
        }
    }
    nlive = 0;
    memset(owner_page_used, 0, sizeof(owner_page_used));
    ref_sync_pools();
    for (uint64_t step = 0; step < steps;) {
        uint64_t op = rnd() % 1000;
        unsigned flags = rnd() % 8 == 0 ? KEEL_FPOOL_DIRTY_OK : 0;
        if (rnd() % 20000 == 0 && nlive + NFR + 1 <= sizeof(live) / sizeof(live[0])) {
            step = prop_cycle(step);
            continue;
        }
        /* More allocations than frees: the live runs grow to MAX_RUNS, which is more than the
         * world's RAM holds, so requests are refused too. */
        if (op < 480 && nlive < MAX_RUNS) {
            prop_alloc(random_k(), flags);
        } else if (op < 560 && nlive < MAX_RUNS && rt.live > 0) {
            prop_alloc_at_inside(flags);
        } else if (op < 570 && nlive < MAX_RUNS) {
            prop_alloc_at_outside();
        } else if (op < 999 && nlive > 0) {
            prop_free((size_t)(rnd() % nlive));
        } else {
            prop_reap();
        }
        prop_check(++step);
    }
    print_message("pools (%s): %llu operations; %llu requests met by existing pools, %llu by "
                  "remade pools, %llu by new pools, %llu refused for want of RAM, each checked "
                  "against the reference; alloc_at %llu met, %llu busy; %llu whole-pool cycles; "
                  "%llu frames scrubbed; %llu runs mapped by their owner\n",
                  mode == PROP_SPARSE ? "scrubber"
                  : mode == PROP_NONE ? "no scrubber"
                                      : "window",
                  (unsigned long long)steps, (unsigned long long)rt.reused,
                  (unsigned long long)rt.remade, (unsigned long long)rt.made,
                  (unsigned long long)rt.refused, (unsigned long long)rt.at_ok,
                  (unsigned long long)rt.at_busy, (unsigned long long)rt.cycles,
                  (unsigned long long)rt.scrubbed, (unsigned long long)rt.mapped);
    assert_true(rt.reused > 0 && rt.made > 0 && rt.at_ok > 0);
    assert_true(mode == PROP_WINDOW ||
                rt.refused > 0); /* the window mode is too short to fill RAM */
    assert_true(mode != PROP_NONE || rt.remade > 0);
    for (uint64_t step = steps; nlive > 0;) {
        prop_free((size_t)(rnd() % nlive));
        prop_check(++step);
    }
    assert_int_equal(keel_fpool_fini(&fp), KEEL_OK);
    fpool_check();
    free(ref);
    ref = NULL;
}

/* Operations per mode: millions with the cheap scrubber; sanitizer builds run half as many. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PROP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define PROP_SANITIZED 1
#endif
#endif
#ifdef PROP_SANITIZED
#define PROP_SCALE 2
#else
#define PROP_SCALE 1
#endif

/* KEEL_FPOOL_STEPS overrides the number for the scrubber mode (the others follow it). */
static uint64_t prop_steps(void)
{
    const char *env = getenv("KEEL_FPOOL_STEPS");
    if (env != NULL && *env != '\0') {
        return strtoull(env, NULL, 0);
    }
    return 2000000 / PROP_SCALE;
}

static void random_operations_with_a_scrubber(void **state)
{
    (void)state;
    property_run(PROP_SPARSE, prop_steps());
}

static void random_operations_without_a_scrubber(void **state)
{
    (void)state;
    property_run(PROP_NONE, prop_steps() / 4);
}

static void random_operations_with_the_window_and_mappings(void **state)
{
    (void)state;
    property_run(PROP_WINDOW, prop_steps() / 100);
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
        cmocka_unit_test_setup_teardown(alloc_at_remakes_an_idle_pool, setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(copies_are_revoked_on_request, setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(free_pools_go_back_under_pressure, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(a_mapped_run_is_unmapped_at_free, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(the_window_scrubber_unmaps_a_frame_left_mapped, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(a_frame_that_cannot_be_scrubbed_is_set_aside, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(fail_at_n_every_operation, setup, alloc_world_teardown),
        cmocka_unit_test_setup_teardown(random_operations_with_a_scrubber, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(random_operations_without_a_scrubber, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(random_operations_with_the_window_and_mappings, setup,
                                        alloc_world_teardown),
    };
    return cmocka_run_group_tests_name("alloc.fpool", tests, NULL, NULL);
}
