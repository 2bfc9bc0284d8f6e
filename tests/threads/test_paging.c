/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64 paging on the model (sel4-semantics §10): every check of Page Map (§10.2) and of
 * PT/PD/PDPT Map (§10.3) in order with its details (calls breaking two rows get the earlier
 * row's error), the silent 4K replacement, rights masking,
 * Unmap, ASIDControl/ASIDPool, frames shared between mappings, and the root VSpace's frames
 * mapped into the host at their vaddr.
 */
#include <stdlib.h>
#include <string.h>

#include "thread_test.h"

#define PAGE  (1ull << 12)
#define LARGE (1ull << 21)
#define HUGE  (1ull << 30)

static seL4_CPtr new_vspace(void)
{
    seL4_CPtr pml4 = tt_new(seL4_X64_PML4Object, 0);
    assert_int_equal(seL4_X86_ASIDPool_Assign(seL4_CapInitThreadASIDPool, pml4), seL4_NoError);
    return pml4;
}

static seL4_Error map_table(seL4_Word type, seL4_CPtr vs, seL4_Word va, seL4_CPtr *out)
{
    seL4_CPtr t = tt_new(type, 0);
    if (out != NULL) {
        *out = t;
    }
    switch (type) {
    case seL4_X86_PDPTObject:
        return seL4_X86_PDPT_Map(t, vs, va, seL4_X86_Default_VMAttributes);
    case seL4_X86_PageDirectoryObject:
        return seL4_X86_PageDirectory_Map(t, vs, va, seL4_X86_Default_VMAttributes);
    default:
        return seL4_X86_PageTable_Map(t, vs, va, seL4_X86_Default_VMAttributes);
    }
}

static void expect_missing(seL4_Error err, seL4_Word bits)
{
    assert_int_equal(err, seL4_FailedLookup);
    assert_int_equal(MR(0), 0);
    assert_int_equal(MR(1), seL4_MissingCapability);
    assert_int_equal(MR(2), bits);
    assert_int_equal(seL4_MappingFailedLookupLevel(), bits);
}

/* A 1 GiB frame (device memory: the default world's RAM has no 1 GiB untyped). */
static seL4_CPtr huge_frame(void)
{
    return tt_new_from(model_test_untyped(tt_bi, 32, true), seL4_X64_HugePageObject, 0);
}

static seL4_Error map_page(seL4_CPtr frame, seL4_CPtr vs, seL4_Word va)
{
    return seL4_X86_Page_Map(frame, vs, va, seL4_ReadWrite, seL4_X86_Default_VMAttributes);
}

/* §10.2, every row, for 4K, 2M and 1G frames. */
static void page_map_checks_in_order(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr vs = new_vspace();
    seL4_CPtr vs2 = new_vspace();
    seL4_CPtr f = tt_new(seL4_X86_4K, 0);
    seL4_Word va = 0x10000000000ull;

    /* 1: too short, or no extra cap. */
    seL4_SetCap(0, vs);
    seL4_MessageInfo_t r = seL4_Call(f, seL4_MessageInfo_new(X86PageMap, 0, 1, 2));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_TruncatedMessage);
    r = seL4_Call(f, seL4_MessageInfo_new(X86PageMap, 0, 0, 3));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_TruncatedMessage);
    /* 2: not a valid VSpace root (not a PML4, or a PML4 without an ASID). */
    assert_int_equal(map_page(f, seL4_CapInitThreadCNode, va), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    seL4_CPtr no_asid = tt_new(seL4_X64_PML4Object, 0);
    assert_int_equal(map_page(f, no_asid, va), seL4_InvalidCapability);
    /* 3d: not mapped, vaddr beyond the user range. */
    assert_int_equal(map_page(f, vs, 0x800000000000ull), seL4_InvalidArgument);
    assert_int_equal(MR(0), 0);
    assert_int_equal(map_page(f, vs, 0x7ffffffff000ull), seL4_InvalidArgument);
    /* 6: alignment (checked after the VSpace); 7: the missing levels, 39 / 30 / 21. */
    assert_int_equal(map_page(f, vs, va + 0x800), seL4_AlignmentError);
    expect_missing(map_page(f, vs, va), 39);
    assert_int_equal(map_table(seL4_X86_PDPTObject, vs, va, NULL), seL4_NoError);
    expect_missing(map_page(f, vs, va), 30);
    expect_missing(map_page(tt_new(seL4_X86_LargePageObject, 0), vs, va), 30); /* 2M: no PD */
    seL4_CPtr huge = huge_frame();
    assert_int_equal(map_page(huge, vs, va + HUGE), seL4_NoError);
    expect_missing(map_page(f, vs, va + HUGE), 30); /* a 1G page where the PD would be */
    assert_int_equal(map_table(seL4_X86_PageDirectoryObject, vs, va, NULL), seL4_NoError);
    expect_missing(map_page(f, vs, va), 21);
    seL4_CPtr large = tt_new(seL4_X86_LargePageObject, 0);
    assert_int_equal(map_page(large, vs, va + LARGE), seL4_NoError);
    expect_missing(map_page(f, vs, va + LARGE), 21); /* a 2M page where the PT would be */
    assert_int_equal(map_table(seL4_X86_PageTableObject, vs, va, NULL), seL4_NoError);
    assert_int_equal(map_page(f, vs, va), seL4_NoError);
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(f, &info), 0);
    assert_true(info.mapped);
    assert_int_equal(info.vaddr, va);
    /* 3a: mapped, other VSpace; 3c: mapped, other vaddr; same vaddr: allowed (rights). */
    assert_int_equal(map_page(f, vs2, va), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    assert_int_equal(map_page(f, vs, va + PAGE), seL4_InvalidArgument);
    assert_int_equal(MR(0), 0);
    assert_int_equal(seL4_X86_Page_Map(f, vs, va, seL4_CanRead, 0), seL4_NoError);
    /* Large and huge pages: alignment, and a table where the page would go is DeleteFirst. */
    seL4_CPtr large2 = tt_new(seL4_X86_LargePageObject, 0);
    assert_int_equal(map_page(large2, vs, va + LARGE + PAGE), seL4_AlignmentError);
    assert_int_equal(map_page(large2, vs, va), seL4_DeleteFirst); /* the PT is there */
    expect_missing(map_page(large2, vs2, va), 39);
    seL4_CPtr huge2 = huge_frame();
    assert_int_equal(map_page(huge2, vs, va), seL4_DeleteFirst); /* the PD is there */
    expect_missing(map_page(huge2, vs2, va), 39);
    assert_int_equal(map_page(huge2, vs, va + HUGE + LARGE), seL4_AlignmentError);
    /* The quirk: over an existing mapping of the same size, the new page silently replaces. */
    seL4_CPtr g = tt_new(seL4_X86_4K, 0);
    assert_int_equal(map_page(g, vs, va), seL4_NoError);
    assert_int_equal(map_page(large2, vs, va + LARGE), seL4_NoError);
    assert_int_equal(map_page(huge2, vs, va + HUGE), seL4_NoError);
    /* Unmapping the replaced frame does not touch the new one: the entry is not its own. */
    assert_int_equal(seL4_X86_Page_Unmap(f), seL4_NoError);
    assert_int_equal(keel_model_cap(f, &info), 0);
    assert_false(info.mapped);
    assert_int_equal(map_page(g, vs, va), seL4_NoError);    /* still g's: remap allowed */
    assert_int_equal(seL4_X86_Page_Unmap(f), seL4_NoError); /* unmapping twice: fine */
    /* Unknown label; the PML4 takes no invocations. */
    r = seL4_Call(f, seL4_MessageInfo_new(X86PageTableMap, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_IllegalOperation);
    r = seL4_Call(vs, seL4_MessageInfo_new(X86PageMap, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_IllegalOperation);
    MODEL_CHECK();
    keel_model_shutdown();
}

/* §10.2 rows 4 and 5: the ASID is gone, or now names another PML4. */
static void stale_asids(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr ut = tt_new(seL4_UntypedObject, 12);
    seL4_CPtr pool = tt_slot();
    assert_int_equal(
        seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, seL4_CapInitThreadCNode, pool, 64),
        seL4_NoError);
    seL4_CPtr a = tt_new(seL4_X64_PML4Object, 0);
    assert_int_equal(seL4_X86_ASIDPool_Assign(pool, a), seL4_NoError);
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(a, &info), 0);
    assert_int_equal(info.asid, 512); /* pool 1, and ASID 512 is usable */
    seL4_CPtr f = tt_new(seL4_X86_4K, 0);
    seL4_CPtr pt = tt_new(seL4_X86_PageTableObject, 0);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, pool, 64), seL4_NoError);
    assert_int_equal(map_page(f, a, 0x1000), seL4_FailedLookup);
    assert_int_equal(MR(0), 0);
    assert_int_equal(MR(1), seL4_InvalidRoot);
    assert_int_equal(seL4_X86_PageTable_Map(pt, a, 0, 0), seL4_FailedLookup);
    assert_int_equal(MR(1), seL4_InvalidRoot);
    /* A new pool in the same place: ASID 512 now belongs to another PML4. */
    assert_int_equal(
        seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, seL4_CapInitThreadCNode, pool, 64),
        seL4_NoError);
    seL4_CPtr b = tt_new(seL4_X64_PML4Object, 0);
    assert_int_equal(seL4_X86_ASIDPool_Assign(pool, b), seL4_NoError);
    assert_int_equal(keel_model_cap(b, &info), 0);
    assert_int_equal(info.asid, 512);
    assert_int_equal(map_page(f, a, 0x1000), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    assert_int_equal(seL4_X86_PageTable_Map(pt, a, 0, 0), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    MODEL_CHECK();
    keel_model_shutdown();
}

/* When a call breaks two rows of §10.2 or §10.3, the earlier row's error is the one returned. */
static void checks_between_rows(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr vs = new_vspace();
    seL4_CPtr ut = tt_new(seL4_UntypedObject, 12);
    seL4_CPtr pool = tt_slot();
    assert_int_equal(
        seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, seL4_CapInitThreadCNode, pool, 64),
        seL4_NoError);
    seL4_CPtr stale = tt_new(seL4_X64_PML4Object, 0);
    assert_int_equal(seL4_X86_ASIDPool_Assign(pool, stale), seL4_NoError);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, pool, 64), seL4_NoError);
    seL4_CPtr f = tt_new(seL4_X86_4K, 0);
    seL4_Word top = 0x900000000000ull; /* beyond the user range */

    /* §10.2: row 2 (invalid root) before 3d (vaddr); 3d before 4 (stale ASID); 4 before 6
     * (alignment). */
    assert_int_equal(map_page(f, seL4_CapInitThreadCNode, top), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    assert_int_equal(map_page(f, stale, top), seL4_InvalidArgument);
    assert_int_equal(MR(0), 0);
    assert_int_equal(map_page(f, stale, 0x1800), seL4_FailedLookup);
    assert_int_equal(MR(0), 0);
    assert_int_equal(MR(1), seL4_InvalidRoot);

    /* §10.3 for PD and PDPT as for PT: row 7 (vaddr) before 8 (stale ASID), then 8 itself. */
    seL4_CPtr pd = tt_new(seL4_X86_PageDirectoryObject, 0);
    seL4_CPtr pdpt = tt_new(seL4_X86_PDPTObject, 0);
    assert_int_equal(seL4_X86_PageDirectory_Map(pd, vs, 0x800000000000ull, 0),
                     seL4_InvalidArgument);
    assert_int_equal(MR(0), 0);
    assert_int_equal(seL4_X86_PDPT_Map(pdpt, vs, 0x800000000000ull, 0), seL4_InvalidArgument);
    assert_int_equal(MR(0), 0);
    assert_int_equal(seL4_X86_PageDirectory_Map(pd, stale, top, 0), seL4_InvalidArgument);
    assert_int_equal(MR(0), 0);
    assert_int_equal(seL4_X86_PDPT_Map(pdpt, stale, top, 0), seL4_InvalidArgument);
    assert_int_equal(MR(0), 0);
    assert_int_equal(seL4_X86_PageDirectory_Map(pd, stale, 0, 0), seL4_FailedLookup);
    assert_int_equal(MR(1), seL4_InvalidRoot);
    assert_int_equal(seL4_X86_PDPT_Map(pdpt, stale, 0, 0), seL4_FailedLookup);
    assert_int_equal(MR(1), seL4_InvalidRoot);
    /* ... and the ASID now naming another PML4: InvalidCapability (1). */
    assert_int_equal(
        seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, seL4_CapInitThreadCNode, pool, 64),
        seL4_NoError);
    seL4_CPtr other = tt_new(seL4_X64_PML4Object, 0);
    assert_int_equal(seL4_X86_ASIDPool_Assign(pool, other), seL4_NoError);
    assert_int_equal(seL4_X86_PageDirectory_Map(pd, stale, 0, 0), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    assert_int_equal(seL4_X86_PDPT_Map(pdpt, stale, 0, 0), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);

    /* §10.3: a table already mapped (row 4, detail 0) given an invalid root (row 6, detail 1). */
    assert_int_equal(seL4_X86_PDPT_Map(pdpt, vs, 0, 0), seL4_NoError);
    assert_int_equal(seL4_X86_PDPT_Map(pdpt, pd, 0, 0), seL4_InvalidCapability);
    assert_int_equal(MR(0), 0);
    assert_int_equal(seL4_X86_PageDirectory_Map(pd, vs, 0, 0), seL4_NoError);
    assert_int_equal(seL4_X86_PageDirectory_Map(pd, seL4_CapInitThreadCNode, top, 0),
                     seL4_InvalidCapability);
    assert_int_equal(MR(0), 0);
    /* Not mapped, the same call gets row 6's detail. */
    seL4_CPtr pd2 = tt_new(seL4_X86_PageDirectoryObject, 0);
    assert_int_equal(seL4_X86_PageDirectory_Map(pd2, seL4_CapInitThreadCNode, top, 0),
                     seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    MODEL_CHECK();
    keel_model_shutdown();
}

/* §10.3: PT / PD / PDPT Map and Unmap. */
static void table_map_checks_in_order(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr vs = new_vspace();
    seL4_Word va = 0x20000000000ull;
    seL4_CPtr pt = tt_new(seL4_X86_PageTableObject, 0);
    seL4_CPtr pd = tt_new(seL4_X86_PageDirectoryObject, 0);
    seL4_CPtr pdpt = tt_new(seL4_X86_PDPTObject, 0);
    /* 2: another type's label; 3: too short / no cap. */
    seL4_MessageInfo_t r = seL4_Call(pt, seL4_MessageInfo_new(X86PageDirectoryMap, 0, 0, 2));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_IllegalOperation);
    seL4_SetCap(0, vs);
    r = seL4_Call(pt, seL4_MessageInfo_new(X86PageTableMap, 0, 1, 1));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_TruncatedMessage);
    /* 6: not a VSpace root; 7: above the user range; 9: the parent levels missing. */
    assert_int_equal(seL4_X86_PageTable_Map(pt, pd, va, 0), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    assert_int_equal(seL4_X86_PageTable_Map(pt, vs, 0x800000000000ull, 0), seL4_InvalidArgument);
    assert_int_equal(MR(0), 0);
    expect_missing(seL4_X86_PageTable_Map(pt, vs, va, 0), 39);
    expect_missing(seL4_X86_PageDirectory_Map(pd, vs, va, 0), 39);
    /* 5: the vaddr is rounded down to what the parent entry covers (no alignment error). */
    assert_int_equal(seL4_X86_PDPT_Map(pdpt, vs, va + 0x12345678, 0), seL4_NoError);
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(pdpt, &info), 0);
    assert_int_equal(info.vaddr, va);
    expect_missing(seL4_X86_PageTable_Map(pt, vs, va, 0), 30);
    assert_int_equal(seL4_X86_PageDirectory_Map(pd, vs, va + 0x1234, 0), seL4_NoError);
    assert_int_equal(seL4_X86_PageTable_Map(pt, vs, va + LARGE + 0x1234, 0), seL4_NoError);
    assert_int_equal(keel_model_cap(pt, &info), 0);
    assert_int_equal(info.vaddr, va + LARGE);
    /* 4: already mapped. */
    assert_int_equal(seL4_X86_PageTable_Map(pt, vs, va + 4 * LARGE, 0), seL4_InvalidCapability);
    assert_int_equal(MR(0), 0);
    /* 10: the entry is taken: by a table, or by a page of that level. */
    assert_int_equal(map_table(seL4_X86_PDPTObject, vs, va, NULL), seL4_DeleteFirst);
    assert_int_equal(map_table(seL4_X86_PageDirectoryObject, vs, va, NULL), seL4_DeleteFirst);
    assert_int_equal(map_table(seL4_X86_PageTableObject, vs, va + LARGE, NULL), seL4_DeleteFirst);
    seL4_CPtr large = tt_new(seL4_X86_LargePageObject, 0);
    assert_int_equal(map_page(large, vs, va + 2 * LARGE), seL4_NoError);
    assert_int_equal(map_table(seL4_X86_PageTableObject, vs, va + 2 * LARGE, NULL),
                     seL4_DeleteFirst);
    seL4_CPtr huge = huge_frame();
    assert_int_equal(map_page(huge, vs, va + HUGE), seL4_NoError);
    assert_int_equal(map_table(seL4_X86_PageDirectoryObject, vs, va + HUGE, NULL),
                     seL4_DeleteFirst);
    /* Unmap: only the final cap; it clears the entry, zeroes the table, and the frames in it
     * are unreachable (their Unmap then does nothing). */
    seL4_CPtr f = tt_new(seL4_X86_4K, 0);
    assert_int_equal(map_page(f, vs, va + LARGE), seL4_NoError);
    seL4_CPtr pt_copy = tt_mint(pt, seL4_AllRights, 0);
    assert_int_equal(seL4_X86_PageTable_Unmap(pt), seL4_RevokeFirst);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, pt_copy, 64), seL4_NoError);
    keel_model_counters c0, c1;
    keel_model_counters_get(&c0);
    assert_int_equal(seL4_X86_PageTable_Unmap(pt), seL4_NoError);
    keel_model_counters_get(&c1);
    assert_int_equal(c1.bytes_zeroed - c0.bytes_zeroed, 4096);
    assert_int_equal(keel_model_cap(pt, &info), 0);
    assert_false(info.mapped);
    expect_missing(map_page(tt_new(seL4_X86_4K, 0), vs, va + LARGE), 21);
    assert_int_equal(seL4_X86_Page_Unmap(f), seL4_NoError);
    /* Mapped again elsewhere, it is empty. */
    assert_int_equal(seL4_X86_PageTable_Map(pt, vs, va, 0), seL4_NoError);
    assert_int_equal(map_page(tt_new(seL4_X86_4K, 0), vs, va + 5 * PAGE), seL4_NoError);
    assert_int_equal(seL4_X86_PageDirectory_Unmap(pd), seL4_NoError);
    assert_int_equal(seL4_X86_PDPT_Unmap(pdpt), seL4_NoError);
    expect_missing(map_table(seL4_X86_PageDirectoryObject, vs, va, NULL), 39);
    /* A PDPT at the root: the PML4 entry taken is DeleteFirst. */
    assert_int_equal(seL4_X86_PDPT_Map(pdpt, vs, va, 0), seL4_NoError);
    assert_int_equal(map_table(seL4_X86_PDPTObject, vs, va, NULL), seL4_DeleteFirst);
    MODEL_CHECK();
    keel_model_shutdown();
}

static void asid_control_and_pools(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr big = tt_new(seL4_UntypedObject, 16);
    seL4_CPtr ut = tt_new_from(big, seL4_UntypedObject, 12);
    seL4_CPtr dev = model_test_untyped(tt_bi, 12, true);
    seL4_CPtr cn = seL4_CapInitThreadCNode;
    seL4_CPtr slot = tt_slot();
    /* Label, length, caps. */
    seL4_MessageInfo_t r =
        seL4_Call(seL4_CapASIDControl, seL4_MessageInfo_new(X86PageMap, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_IllegalOperation);
    seL4_SetCap(0, ut);
    r = seL4_Call(seL4_CapASIDControl, seL4_MessageInfo_new(X86ASIDControlMakePool, 0, 1, 2));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_TruncatedMessage);
    /* The untyped: exactly 4K, not device, an untyped; then no children. */
    assert_int_equal(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, big, cn, slot, 64),
                     seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    assert_int_equal(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, dev, cn, slot, 64),
                     seL4_InvalidCapability);
    assert_int_equal(
        seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, seL4_CapInitThreadTCB, cn, slot, 64),
        seL4_InvalidCapability);
    seL4_CPtr child = tt_new_from(ut, seL4_EndpointObject, 0);
    assert_int_equal(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, cn, slot, 64),
                     seL4_RevokeFirst);
    assert_int_equal(seL4_CNode_Delete(cn, child, 64), seL4_NoError);
    /* The destination: a lookup error, an occupied slot. */
    assert_int_equal(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, cn, slot, 0),
                     seL4_RangeError);
    assert_int_equal(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, cn, ut, 64),
                     seL4_DeleteFirst);
    assert_int_equal(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, cn, slot, 64),
                     seL4_NoError);
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(slot, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ASID_POOL);
    assert_int_equal(keel_model_cap(ut, &info), 0);
    assert_true(info.has_children);
    assert_int_equal(info.watermark, 4096); /* used up */
    /* Pools 1..7 can be made; the ninth pool is DeleteFirst. */
    for (int i = 2; i < 8; i++) {
        seL4_CPtr u = tt_new_from(big, seL4_UntypedObject, 12);
        assert_int_equal(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, u, cn, tt_slot(), 64),
                         seL4_NoError);
    }
    seL4_CPtr u9 = tt_new_from(big, seL4_UntypedObject, 12);
    assert_int_equal(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, u9, cn, tt_slot(), 64),
                     seL4_DeleteFirst);
    /* Assign: label, no cap, not a PML4 / already has an ASID, a full pool. */
    r = seL4_Call(slot, seL4_MessageInfo_new(X86PageMap, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_IllegalOperation);
    r = seL4_Call(slot, seL4_MessageInfo_new(X86ASIDPoolAssign, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(r), seL4_TruncatedMessage);
    assert_int_equal(seL4_X86_ASIDPool_Assign(slot, ut), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    assert_int_equal(seL4_X86_ASIDPool_Assign(slot, seL4_CapInitThreadVSpace),
                     seL4_InvalidCapability);
    /* 512 PML4s fill pool 1 (ASIDs 512..1023); the 513th is DeleteFirst. */
    seL4_CPtr first = tt_bi->empty.start + 1000;
    seL4_CPtr pml4s = tt_new(seL4_UntypedObject, 21);
    for (seL4_Word i = 0; i < 512; i += 256) {
        assert_int_equal(
            seL4_Untyped_Retype(pml4s, seL4_X64_PML4Object, 0, cn, 0, 0, first + i, 256),
            seL4_NoError);
    }
    for (seL4_Word i = 0; i < 512; i++) {
        assert_int_equal(seL4_X86_ASIDPool_Assign(slot, first + i), seL4_NoError);
    }
    assert_int_equal(keel_model_cap(first + 511, &info), 0);
    assert_int_equal(info.asid, 1023);
    seL4_CPtr extra = tt_new(seL4_X64_PML4Object, 0);
    assert_int_equal(seL4_X86_ASIDPool_Assign(slot, extra), seL4_DeleteFirst);
    /* Deleting a PML4 frees its ASID for the next one. */
    assert_int_equal(seL4_CNode_Delete(cn, first + 7, 64), seL4_NoError);
    assert_int_equal(seL4_X86_ASIDPool_Assign(slot, extra), seL4_NoError);
    assert_int_equal(keel_model_cap(extra, &info), 0);
    assert_int_equal(info.asid, 519);
    MODEL_CHECK();
    keel_model_shutdown();
}

/* ---- Host mappings of the root VSpace ------------------------------------------------------- */

/* The permissions of the host mapping containing addr ("rw-s", "---p", ...), from the kernel. */
static void host_perms(const void *addr, char perms[5])
{
    FILE *f = fopen("/proc/self/maps", "r");
    assert_non_null(f);
    char line[512];
    strcpy(perms, "none");
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long lo, hi;
        char p[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, p) == 3 && (unsigned long)(uintptr_t)addr >= lo &&
            (unsigned long)(uintptr_t)addr < hi) {
            memcpy(perms, p, 5);
            break;
        }
    }
    fclose(f);
}

static void root_vspace_frames_are_host_memory(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr vs = seL4_CapInitThreadVSpace;
    uint8_t *base = keel_model_host_range(4 * LARGE, 21);
    tt_map_tables((seL4_Word)(uintptr_t)base, 4 * LARGE);
    seL4_CPtr f = tt_new(seL4_X86_4K, 0);
    seL4_X86_Page_GetAddress_t pa = seL4_X86_Page_GetAddress(f);
    uint8_t *phys = keel_model_phys(pa.paddr, PAGE);
    /* Mapped read-write at its vaddr: the host reads and writes the frame's bytes. */
    assert_int_equal(map_page(f, vs, (seL4_Word)(uintptr_t)base), seL4_NoError);
    char perms[5];
    host_perms(base, perms);
    assert_string_equal(perms, "rw-s");
    base[0] = 0x5a;
    assert_int_equal(phys[0], 0x5a);
    phys[1] = 0xa5;
    assert_int_equal(base[1], 0xa5);
    /* A second mapping of the same frame (another cap) shares the bytes. */
    seL4_CPtr f2 = tt_mint(f, seL4_AllRights, 0);
    uint8_t *second = base + 3 * PAGE;
    assert_int_equal(map_page(f2, vs, (seL4_Word)(uintptr_t)second), seL4_NoError);
    assert_int_equal(second[0], 0x5a);
    second[2] = 7;
    assert_int_equal(base[2], 7);
    /* Rights: read-only maps read-only; no Read maps nothing accessible. */
    assert_int_equal(seL4_X86_Page_Map(f, vs, (seL4_Word)(uintptr_t)base, seL4_CanRead, 0),
                     seL4_NoError);
    host_perms(base, perms);
    assert_string_equal(perms, "r--s");
    assert_int_equal(seL4_X86_Page_Map(f, vs, (seL4_Word)(uintptr_t)base, seL4_CanWrite, 0),
                     seL4_NoError);
    host_perms(base, perms);
    assert_string_equal(perms, "---s");
    /* A read-only frame cap stays read-only whatever is asked. */
    seL4_CPtr ro = tt_slot();
    assert_int_equal(seL4_CNode_Copy(seL4_CapInitThreadCNode, ro, 64, seL4_CapInitThreadCNode, f,
                                     64, seL4_CanRead),
                     seL4_NoError);
    uint8_t *third = base + 5 * PAGE;
    assert_int_equal(map_page(ro, vs, (seL4_Word)(uintptr_t)third), seL4_NoError);
    host_perms(third, perms);
    assert_string_equal(perms, "r--s");
    assert_int_equal(third[2], 7);
    /* Unmapping removes the host mapping: the range is reserved again, inaccessible. */
    assert_int_equal(seL4_X86_Page_Unmap(f2), seL4_NoError);
    host_perms(second, perms);
    assert_string_equal(perms, "---p");
    /* Mapped in another VSpace, a frame is not host-mapped (only the root VSpace is the host's). */
    keel_model_cap_info info;
    seL4_CPtr other = new_vspace();
    seL4_Word sva = (seL4_Word)(uintptr_t)second;
    assert_int_equal(map_table(seL4_X86_PDPTObject, other, sva, NULL), seL4_NoError);
    assert_int_equal(map_table(seL4_X86_PageDirectoryObject, other, sva, NULL), seL4_NoError);
    assert_int_equal(map_table(seL4_X86_PageTableObject, other, sva, NULL), seL4_NoError);
    assert_int_equal(map_page(f2, other, sva), seL4_NoError);
    host_perms(second, perms);
    assert_string_equal(perms, "---p");
    /* Mapped in `other`, f2 is the frame the root VSpace shows at `third` (through ro): one
     * physical page, so bytes written to f2's frame appear there and back. */
    seL4_X86_Page_GetAddress_t pa2 = seL4_X86_Page_GetAddress(f2);
    assert_int_equal(pa2.error, seL4_NoError);
    assert_int_equal(pa2.paddr, pa.paddr);
    uint8_t *in_other = keel_model_phys(pa2.paddr, PAGE);
    assert_int_equal(in_other[2], 7);
    in_other[3] = 0x33;
    assert_int_equal(third[3], 0x33);
    assert_int_equal(keel_model_cap(f2, &info), 0);
    assert_true(info.mapped);
    assert_int_equal(info.vaddr, sva);
    /* The 4K replacement quirk in the host: the new frame's bytes appear at the address. */
    seL4_CPtr g = tt_new(seL4_X86_4K, 0);
    assert_int_equal(map_page(g, vs, (seL4_Word)(uintptr_t)third), seL4_NoError);
    assert_int_equal(third[2], 0);
    assert_int_equal(seL4_X86_Page_Unmap(ro), seL4_NoError); /* not its entry any more */
    host_perms(third, perms);
    assert_string_equal(perms, "rw-s");
    /* Deleting the frame cap unmaps it too; deleting a page table unmaps what it held. */
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, g, 64), seL4_NoError);
    host_perms(third, perms);
    assert_string_equal(perms, "---p");
    /* A 2M page where tt_map_tables put a page table: DeleteFirst. */
    seL4_CPtr l = tt_new(seL4_X86_LargePageObject, 0);
    assert_int_equal(map_page(l, vs, (seL4_Word)(uintptr_t)(base + 2 * LARGE)), seL4_DeleteFirst);
    /* Shutdown removes every host mapping. */
    assert_int_equal(map_page(tt_new(seL4_X86_4K, 0), vs, (seL4_Word)(uintptr_t)base + PAGE),
                     seL4_NoError);
    host_perms(base + PAGE, perms);
    assert_string_equal(perms, "rw-s");
    keel_model_shutdown();
    host_perms(base + PAGE, perms);
    assert_string_equal(perms, "---p");
}

static void large_pages_and_table_deletion_in_the_host(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr vs = seL4_CapInitThreadVSpace;
    uint8_t *base = keel_model_host_range(2 * HUGE, 30);
    seL4_Word va = (seL4_Word)(uintptr_t)base;
    seL4_CPtr pdpt, pd, pt;
    /* The boot image's PDPT holds PML4 entry 0 (below 512 GiB); the host arena lies far above,
     * so this 1 GiB-aligned range's PML4 entry is free and the PDPT is ours. */
    assert_int_not_equal(va >> 39, 0);
    assert_int_equal(map_table(seL4_X86_PDPTObject, vs, va, &pdpt), seL4_NoError);
    assert_int_equal(map_table(seL4_X86_PageDirectoryObject, vs, va, &pd), seL4_NoError);
    /* A 2M page, host-mapped whole. */
    seL4_CPtr l = tt_new(seL4_X86_LargePageObject, 0);
    assert_int_equal(map_page(l, vs, va), seL4_NoError);
    base[LARGE - 1] = 3;
    seL4_X86_Page_GetAddress_t pa = seL4_X86_Page_GetAddress(l);
    assert_int_equal(*(uint8_t *)keel_model_phys(pa.paddr + LARGE - 1, 1), 3);
    /* A page table with a frame; deleting the PD above them unmaps them from the host. */
    assert_int_equal(map_table(seL4_X86_PageTableObject, vs, va + LARGE, &pt), seL4_NoError);
    seL4_CPtr f = tt_new(seL4_X86_4K, 0);
    assert_int_equal(map_page(f, vs, va + LARGE), seL4_NoError);
    base[LARGE] = 9;
    char perms[5];
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, pd, 64), seL4_NoError);
    host_perms(base, perms);
    assert_string_equal(perms, "---p");
    host_perms(base + LARGE, perms);
    assert_string_equal(perms, "---p");
    /* The frames' caps still say mapped (stale); unmapping them does nothing. */
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(f, &info), 0);
    assert_true(info.mapped);
    assert_int_equal(seL4_X86_Page_Unmap(f), seL4_NoError);
    /* A 1G (device) page in the PDPT; unmapping the PDPT takes it out of the host. */
    seL4_CPtr h = huge_frame();
    assert_int_equal(map_page(h, vs, va + HUGE), seL4_NoError);
    base[HUGE + 5] = 1;
    host_perms(base + HUGE + 4096, perms);
    assert_string_equal(perms, "rw-s");
    assert_int_equal(seL4_X86_PDPT_Unmap(pdpt), seL4_NoError);
    host_perms(base + HUGE, perms);
    assert_string_equal(perms, "---p");
    MODEL_CHECK();
    keel_model_shutdown();
}

static seL4_CPtr done;
static seL4_IPCBuffer *seen;

static void report(seL4_Word arg)
{
    (void)arg;
    seen = seL4_GetIPCBuffer();
    seL4_Signal(done);
}

/* An IPC buffer frame mapped in the root VSpace: the thread's buffer is its vaddr. */
static void ipc_buffer_at_its_vaddr(void **state)
{
    (void)state;
    tt_boot();
    done = tt_new(seL4_NotificationObject, 0);
    uint8_t *base = keel_model_host_range(PAGE, 12);
    seL4_Word va = (seL4_Word)(uintptr_t)base;
    tt_map_tables(va, PAGE);
    seL4_CPtr frame = tt_new(seL4_X86_4K, 0);
    assert_int_equal(map_page(frame, seL4_CapInitThreadVSpace, va), seL4_NoError);
    seL4_CPtr t = tt_new(seL4_TCBObject, 0);
    assert_int_equal(seL4_TCB_Configure(t, 0, seL4_CapInitThreadCNode, 0, seL4_CapInitThreadVSpace,
                                        0, va + 0x400, frame),
                     seL4_NoError);
    assert_int_equal(seL4_TCB_SetPriority(t, seL4_CapInitThreadTCB, 100), seL4_NoError);
    tt_thread_start(t, report, 0);
    seL4_Word badge;
    seL4_Wait(done, &badge);
    assert_ptr_equal(seen, base + 0x400);
    keel_model_shutdown();
}

/* Mapping a root-VSpace frame where the host already has something aborts loudly. */
static int host_global = 1;

static void map_over_a_host_global(void)
{
    tt_boot();
    seL4_Word va = (seL4_Word)(uintptr_t)&host_global & ~(PAGE - 1);
    tt_map_tables(va, PAGE);
    (void)map_page(tt_new(seL4_X86_4K, 0), seL4_CapInitThreadVSpace, va);
}

static void host_address_in_use_aborts(void **state)
{
    (void)state;
    char out[2048];
    assert_int_not_equal(tt_run_dying(map_over_a_host_global, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "already uses that address"));
    assert_int_equal(host_global, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(page_map_checks_in_order),
        cmocka_unit_test(stale_asids),
        cmocka_unit_test(checks_between_rows),
        cmocka_unit_test(table_map_checks_in_order),
        cmocka_unit_test(asid_control_and_pools),
        cmocka_unit_test(root_vspace_frames_are_host_memory),
        cmocka_unit_test(large_pages_and_table_deletion_in_the_host),
        cmocka_unit_test(ipc_buffer_at_its_vaddr),
        cmocka_unit_test(host_address_in_use_aborts),
    };
    return cmocka_run_group_tests_name("threads.paging", tests, NULL, NULL);
}
