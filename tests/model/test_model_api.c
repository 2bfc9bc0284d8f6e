/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The model's own API (<keel/model.h>): fault injection, counters, cap and object counts,
 * snapshots and leak checks, the invariant checker, physical memory access, and booting,
 * re-booting and shutting down worlds other than the default one.
 */
/* As seL4 user code often starts: the configuration, then libsel4's types header. */
#include <autoconf.h>
#include <sel4/types.h>

#include <sel4runtime.h>

#include "conf.h"

#if !defined(CONFIG_ARCH_X86) || !defined(CONFIG_ARCH_X86_64) || !defined(CONFIG_PLAT_PC99) ||     \
    defined(CONFIG_KERNEL_MCS) || defined(CONFIG_PRINTING) || defined(CONFIG_DEBUG_BUILD) ||       \
    CONFIG_WORD_SIZE != 64 || CONFIG_MAX_NUM_NODES != 1
#error "<autoconf.h> does not describe the configuration the model implements"
#endif

static seL4_BootInfo *bi;
static seL4_CPtr u, e;

static int setup(void **state)
{
    (void)state;
    bi = conf_boot(&u, &e); /* u: 64 KiB of RAM */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    keel_model_inject_clear();
    if (keel_model_bootinfo() != NULL) {
        MODEL_CHECK();
    }
    keel_model_shutdown();
    return 0;
}

static keel_model_counters counters(void)
{
    keel_model_counters c;
    keel_model_counters_get(&c);
    return c;
}

/* ---- Fault injection ------------------------------------------------------------------------- */

static void inject_nth_invocation(void **state)
{
    (void)state;
    keel_model_inject_fail(3, KEEL_MODEL_ANY_LABEL, seL4_NotEnoughMemory);
    assert_false(keel_model_inject_fired());
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    EXPECT_OK(conf_copy(e + 1, e, seL4_AllRights));
    assert_false(keel_model_inject_fired());
    /* The third fails, with no effect at all. */
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    keel_model_cap_info before = conf_cap(u);
    keel_model_counters c0 = counters();
    EXPECT_ERR_MRS(conf_retype(u, seL4_EndpointObject, 0, e + 2, 1), seL4_NotEnoughMemory, 0);
    assert_true(keel_model_inject_fired());
    LEAK_CHECK(&snap);
    assert_true(conf_is_empty(e + 2));
    assert_int_equal(conf_cap(u).watermark, before.watermark);
    keel_model_counters c1 = counters();
    assert_int_equal(c1.invocations, c0.invocations + 1);
    assert_int_equal(c1.errors, c0.errors + 1);
    assert_int_equal(c1.by_label[UntypedRetype], c0.by_label[UntypedRetype] + 1);
    /* One-shot: the next one works, and it still reads as fired. */
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e + 2, 1));
    assert_true(keel_model_inject_fired());
    /* nth = 0 disarms; clearing resets "fired". */
    keel_model_inject_fail(0, KEEL_MODEL_ANY_LABEL, seL4_IllegalOperation);
    EXPECT_OK(conf_delete(e + 2));
    assert_false(keel_model_inject_fired());
    keel_model_inject_fail(1, KEEL_MODEL_ANY_LABEL, seL4_IllegalOperation);
    keel_model_inject_clear();
    assert_false(keel_model_inject_fired());
    EXPECT_OK(conf_delete(e + 1));
}

static void inject_by_label(void **state)
{
    (void)state;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    keel_model_inject_fail(2, CNodeCopy, seL4_DeleteFirst);
    EXPECT_OK(conf_copy(e + 1, e, seL4_AllRights)); /* the first Copy */
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e + 2, 1));
    EXPECT_OK(conf_mint(e + 3, e, seL4_AllRights, 1));
    EXPECT_OK(conf_delete(e + 3));
    assert_false(keel_model_inject_fired());
    EXPECT_ERR(conf_copy(e + 3, e, seL4_AllRights), seL4_DeleteFirst); /* the second */
    assert_true(keel_model_inject_fired());
    assert_true(conf_is_empty(e + 3));
    EXPECT_OK(conf_copy(e + 3, e, seL4_AllRights));
    /* Re-arming replaces the armed failure. */
    keel_model_inject_fail(1, CNodeCopy, seL4_DeleteFirst);
    keel_model_inject_fail(1, CNodeDelete, seL4_RevokeFirst);
    EXPECT_OK(conf_copy(e + 4, e, seL4_AllRights));
    EXPECT_ERR(conf_delete(e + 4), seL4_RevokeFirst);
    assert_false(conf_is_empty(e + 4));
    EXPECT_OK(conf_delete(e + 4));
}

static void inject_details_and_send(void **state)
{
    (void)state;
    /* Each injected error carries detail words of its kind (reply length as the kernel's). */
    static const struct {
        seL4_Error err;
        seL4_Word len;
        seL4_Word mrs[2];
    } kinds[] = {
        {seL4_InvalidArgument, 1, {0}},  {seL4_InvalidCapability, 1, {0}},
        {seL4_IllegalOperation, 0, {0}}, {seL4_RangeError, 2, {0, 0}},
        {seL4_AlignmentError, 0, {0}},   {seL4_FailedLookup, 2, {0, seL4_InvalidRoot}},
        {seL4_TruncatedMessage, 0, {0}}, {seL4_DeleteFirst, 0, {0}},
        {seL4_RevokeFirst, 0, {0}},      {seL4_NotEnoughMemory, 1, {0}},
    };
    for (size_t i = 0; i < CONF_ARRAY_LEN(kinds); i++) {
        keel_model_inject_fail(1, KEEL_MODEL_ANY_LABEL, kinds[i].err);
        seL4_Word len = 99;
        const seL4_Word w[] = {e, 64};
        seL4_SetMR(0, 0x5555);
        seL4_SetMR(1, 0x5555);
        EXPECT_ERR(conf_call(CONF_ROOT, CNodeRevoke, w, 2, 2, NULL, 0, 0, &len), kinds[i].err);
        assert_int_equal(len, kinds[i].len);
        conf_expect_mrs(__FILE__, __LINE__, "injected failure", kinds[i].mrs, kinds[i].len);
    }
    /* An injected failure replaces an invocation made with Send too: silently, no effect. */
    keel_model_inject_fail(1, UntypedRetype, seL4_NotEnoughMemory);
    seL4_SetMR(0, seL4_EndpointObject);
    seL4_SetMR(1, 0);
    seL4_SetMR(2, 0);
    seL4_SetMR(3, 0);
    seL4_SetMR(4, e);
    seL4_SetMR(5, 1);
    seL4_SetCap(0, CONF_ROOT);
    seL4_Send(u, seL4_MessageInfo_new(UntypedRetype, 0, 1, 6));
    assert_true(keel_model_inject_fired());
    assert_true(conf_is_empty(e));
    /* A cap fault is not an invocation: it does not use up the armed failure. */
    keel_model_inject_fail(1, KEEL_MODEL_ANY_LABEL, seL4_IllegalOperation);
    EXPECT_CAP_FAULT(seL4_CNode_Delete(1ul << 40, 0, 64));
    assert_false(keel_model_inject_fired());
    EXPECT_ERR(conf_delete(e), seL4_IllegalOperation);
    assert_true(keel_model_inject_fired());
}

/* ---- Counters -------------------------------------------------------------------------------- */

static void counters_per_label(void **state)
{
    (void)state;
    keel_model_counters_reset();
    keel_model_counters c = counters();
    assert_int_equal(c.invocations, 0);
    assert_int_equal(keel_model_invocations(), 0);
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 3)); /* 3 objects; zeroes 64 KiB */
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, e + 3, 2));     /* 2 objects */
    EXPECT_ERR(conf_retype(u, seL4_TCBObject, 0, e, 1), seL4_DeleteFirst);
    EXPECT_OK(conf_copy(e + 5, e, seL4_AllRights));
    EXPECT_OK(conf_mint(e + 6, e, seL4_AllRights, 3));
    EXPECT_OK(conf_move(e + 7, e + 6));
    EXPECT_OK(conf_delete(e + 5));
    EXPECT_OK(conf_revoke(u)); /* 5 objects + the moved mint = 6 caps */
    (void)seL4_X86_Page_GetAddress(seL4_CapInitThreadIPCBuffer);
    seL4_NBSend(1ul << 30, seL4_MessageInfo_new(0, 0, 0, 0));
    c = counters();
    assert_int_equal(c.by_label[UntypedRetype], 3);
    assert_int_equal(c.by_label[CNodeCopy], 1);
    assert_int_equal(c.by_label[CNodeMint], 1);
    assert_int_equal(c.by_label[CNodeMove], 1);
    assert_int_equal(c.by_label[CNodeDelete], 1);
    assert_int_equal(c.by_label[CNodeRevoke], 1);
    assert_int_equal(c.by_label[X86PageGetAddress], 1);
    assert_int_equal(c.by_label[CNodeRotate], 0);
    assert_int_equal(c.invocations, 9);
    assert_int_equal(keel_model_invocations(), 9);
    assert_int_equal(c.errors, 1);
    assert_int_equal(c.syscalls[-seL4_SysCall - 1], 9);
    assert_int_equal(c.syscalls[-seL4_SysNBSend - 1], 1);
    assert_int_equal(c.syscalls[-seL4_SysSend - 1], 0);
    assert_int_equal(c.objects_created, 5);
    assert_int_equal(c.caps_deleted, 7);
    assert_int_equal(c.bytes_zeroed, 65536);
    assert_int_equal(c.faults, 0);
    assert_int_equal(c.ipc_messages, 0);
    assert_int_equal(c.fastpath, 0);
    keel_model_counters_reset();
    c = counters();
    assert_int_equal(c.invocations + c.errors + c.bytes_zeroed + c.objects_created, 0);
    assert_int_equal(c.by_label[UntypedRetype], 0);
}

/* ---- Counts, snapshots, leaks, invariants ---------------------------------------------------- */

static void cap_and_object_counts(void **state)
{
    (void)state;
    /* After boot: the boot caps, the 1045 image frames plus BootInfo, extra BootInfo and IPC
     * buffer frames, one TCB, CNode and PML4, and the untypeds. */
    assert_int_equal(keel_model_object_count(seL4_X86_4K), 1045 + 3);
    assert_int_equal(keel_model_object_count(seL4_TCBObject), 1);
    assert_int_equal(keel_model_object_count(seL4_CapTableObject), 1);
    assert_int_equal(keel_model_object_count(seL4_X64_PML4Object), 1);
    assert_int_equal(keel_model_object_count(seL4_X86_PageTableObject), 3);
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), 0);
    assert_int_equal(keel_model_object_count(seL4_UntypedObject),
                     bi->untyped.end - bi->untyped.start);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_UNTYPED),
                     bi->untyped.end - bi->untyped.start);
    /* The root TCB's own copies count: the CNode, PML4 and IPC buffer caps are there twice. */
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_CNODE), 2);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_PML4), 2);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_FRAME), 1045 + 3 + 1);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_TCB), 1);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_IRQ_CONTROL), 1);
    /* Null is not a kind of cap. */
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_NULL), 0);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_TYPE_COUNT), 0);
    assert_int_equal(keel_model_object_count(seL4_ObjectTypeCount), 0);

    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 3));
    EXPECT_OK(conf_copy(e + 3, e, seL4_AllRights));
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), 4);
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), 3);
    EXPECT_ERR(conf_copy(e + 4, u, seL4_AllRights), seL4_RevokeFirst);
    EXPECT_OK(conf_revoke(u));
    EXPECT_OK(conf_copy(e + 4, u, seL4_AllRights));
    assert_int_equal(keel_model_object_count(seL4_UntypedObject),
                     bi->untyped.end - bi->untyped.start + 1);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_NULL), 0);
}

static void snapshot_and_leak_check(void **state)
{
    (void)state;
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    char msg[512];
    assert_int_equal(keel_model_leak_check(&snap, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    EXPECT_OK(conf_copy(e + 1, seL4_CapInitThreadTCB, seL4_AllRights));
    assert_int_equal(keel_model_leak_check(&snap, msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "endpoint caps: 0 before, 1 now"));
    assert_non_null(strstr(msg, "endpoint objects: 0 before, 1 now"));
    assert_non_null(strstr(msg, "tcb caps: 1 before, 2 now"));
    assert_null(strstr(msg, "null"));
    assert_null(strstr(msg, "tcb objects"));
    /* A short buffer is cut, and still terminated. */
    char tiny[8];
    assert_int_equal(keel_model_leak_check(&snap, tiny, sizeof(tiny)), -1);
    assert_true(strlen(tiny) < sizeof(tiny));
    assert_int_equal(keel_model_leak_check(&snap, NULL, 0), -1);
    EXPECT_OK(conf_delete(e + 1));
    EXPECT_OK(conf_revoke(u));
    assert_int_equal(keel_model_leak_check(&snap, msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
}

static void check_reports_a_broken_world(void **state)
{
    (void)state;
    char msg[256];
    assert_int_equal(keel_model_check(msg, sizeof(msg)), 0);
    assert_string_equal(msg, "");
    assert_int_equal(keel_model_check(NULL, 0), 0);
    /* Bytes above a RAM untyped's watermark must be zero: write one behind the model's back. */
    EXPECT_OK(conf_retype(u, seL4_UntypedObject, 12, e, 1));
    seL4_Word child = conf_cap(e).paddr;
    uint8_t *p = keel_model_phys(child + 4000, 1);
    assert_non_null(p);
    *p = 1;
    assert_int_equal(keel_model_check(msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "above its watermark"));
    assert_false(keel_model_phys_is_zero(child, 4096));
    /* Retyping from the child zeroes nothing (its watermark is 0), so it stays broken; the
     * parent's reset after a revoke repairs it. */
    EXPECT_OK(conf_revoke(u));
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    assert_true(keel_model_phys_is_zero(child, 4096));
    assert_int_equal(keel_model_check(msg, sizeof(msg)), 0);
}

static void physical_memory(void **state)
{
    (void)state;
    /* RAM and device memory of the map are accessible; holes in it are not. */
    assert_non_null(keel_model_phys(0x1ffd0000ul, 65536));
    assert_non_null(keel_model_phys(0xfec01000ul, 4096));
    assert_null(keel_model_phys(0xfec00000ul, 4096)); /* the IOAPIC page the kernel keeps */
    assert_null(keel_model_phys(0xfee00000ul, 1));    /* the local APIC page */
    assert_null(keel_model_phys(1ul << 47, 1));
    assert_null(keel_model_phys(0x1ffd0000ul, 0x100000)); /* runs past the end of RAM */
    /* Two views of one physical page share bytes. */
    uint8_t *a = keel_model_phys(0x1ffd0000ul, 4096), *b = keel_model_phys(0x1ffd0800ul, 16);
    a[0x800] = 0x77;
    assert_int_equal(b[0], 0x77);
    a[0x800] = 0;
    /* The boot frames hold what the model put there: the BootInfo and the IPC buffer. */
    keel_model_cap_info bif = conf_cap(seL4_CapBootInfoFrame);
    assert_ptr_equal(keel_model_phys(bif.paddr, sizeof(seL4_BootInfo)), bi);
    keel_model_cap_info ipc = conf_cap(seL4_CapInitThreadIPCBuffer);
    assert_ptr_equal(keel_model_phys(ipc.paddr, sizeof(seL4_IPCBuffer)), seL4_GetIPCBuffer());
    assert_true(keel_model_phys_is_zero(0x1ffd0000ul, 65536));
    /* A device range crossing a 1 GiB window still has one pointer, sharing bytes with the
     * pointers to its pages on either side. */
    uint8_t *across = keel_model_phys(0x3ffff000ul, 0x2000);
    assert_non_null(across);
    uint8_t *below = keel_model_phys(0x3ffff000ul, 0x1000),
            *above = keel_model_phys(0x40000000ul, 0x1000);
    across[0xfff] = 0x11;
    across[0x1000] = 0x22;
    assert_int_equal(below[0xfff], 0x11);
    assert_int_equal(above[0], 0x22);
    assert_ptr_equal(keel_model_phys(0x3ffff800ul, 0x1000), across + 0x800); /* reused */
}

static void leak_check_counts_asid_pools(void **state)
{
    (void)state;
    seL4_CPtr ut = conf_untyped_at(bi, 0x1ffcb000ul); /* 4 KiB, as an ASID pool needs */
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    assert_int_equal(snap.asid_pools, 1); /* the root task's */
    EXPECT_OK(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, ut, CONF_ROOT, e, 64));
    char msg[256];
    assert_int_equal(keel_model_leak_check(&snap, msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "ASID pools: 1 before, 2 now"));
    EXPECT_OK(seL4_CNode_Delete(CONF_ROOT, e, 64));
    LEAK_CHECK(&snap);
}

static void inspection_edge_cases(void **state)
{
    (void)state;
    keel_model_cap_info info;
    memset(&info, 0xab, sizeof(info));
    keel_model_cap_info copy = info;
    assert_int_equal(keel_model_cap(1ul << 20, &info), -1);
    assert_memory_equal(&info, &copy, sizeof(info)); /* untouched */
    assert_int_equal(keel_model_cap_at(CONF_ROOT, e, 0, &info), -1);
    assert_int_equal(keel_model_cap_at(CONF_ROOT, e, 65, &info), -1);
    assert_int_equal(keel_model_cap_at(u, 0, 64, &info), -1); /* not a CNode */
    assert_int_equal(keel_model_cap_at(CONF_ROOT, u, 64, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_UNTYPED);
    assert_int_equal(keel_model_cdt_children(e, false, NULL, 0), 0);
    assert_int_equal(keel_model_cdt_children(1ul << 20, true, NULL, 0), 0);
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 5));
    keel_model_slot two[2];
    assert_int_equal(keel_model_cdt_children(u, false, two, 2), 5);
    assert_int_equal(two[0].cptr, e + 4);
    assert_int_equal(two[1].cptr, e + 3);
    assert_false(two[0].in_tcb);
    assert_int_equal(two[0].index, e + 4);
    assert_int_equal(two[0].container, conf_cap(CONF_ROOT).paddr);
    assert_string_equal(keel_model_cap_type_name(KEEL_MODEL_CAP_UNTYPED), "untyped");
    assert_string_equal(keel_model_cap_type_name(KEEL_MODEL_CAP_IO_PORT), "io_port");
    assert_string_equal(keel_model_cap_type_name(KEEL_MODEL_CAP_TYPE_COUNT), "invalid");
}

/* ---- Worlds ---------------------------------------------------------------------------------- */

/* Every untyped lies in one region of the right kind, and none overlap. */
static void check_untypeds_against(const seL4_BootInfo *b, const keel_model_region *regions,
                                   size_t n)
{
    size_t count = b->untyped.end - b->untyped.start;
    for (size_t i = 0; i < count; i++) {
        const seL4_UntypedDesc *d = &b->untypedList[i];
        uint64_t start = d->paddr, end = d->paddr + (1ul << d->sizeBits);
        bool inside = false;
        for (size_t r = 0; r < n; r++) {
            if (start >= regions[r].start && end <= regions[r].end) {
                assert_int_equal(d->isDevice, regions[r].device);
                inside = true;
            }
        }
        assert_true(inside);
        for (size_t j = 0; j < i; j++) {
            const seL4_UntypedDesc *o = &b->untypedList[j];
            assert_true(end <= o->paddr || o->paddr + (1ul << o->sizeBits) <= start);
        }
        keel_model_cap_info info = conf_cap(b->untyped.start + i);
        assert_int_equal(info.paddr, d->paddr);
        assert_int_equal(info.watermark, 1ul << d->sizeBits);
    }
}

/* The first RAM untyped of at least 2^bits bytes. */
static seL4_CPtr ram_untyped(const seL4_BootInfo *b, unsigned bits)
{
    for (seL4_Word i = 0; i < b->untyped.end - b->untyped.start; i++) {
        if (!b->untypedList[i].isDevice && b->untypedList[i].sizeBits >= bits) {
            return b->untyped.start + i;
        }
    }
    fail_msg("no RAM untyped of 2^%u bytes", bits);
    return 0;
}

static void other_worlds(void **state)
{
    (void)state;
    static const uint64_t sizes[] = {64ul << 20, 1ul << 30, 3ul << 30, 8ul << 30};
    for (size_t i = 0; i < CONF_ARRAY_LEN(sizes); i++) {
        keel_model_config config = {.ram_bytes = sizes[i]};
        seL4_BootInfo *b = model_test_boot(&config);
        uint64_t ram = 0, high = 0;
        for (seL4_Word k = 0; k < b->untyped.end - b->untyped.start; k++) {
            if (!b->untypedList[k].isDevice) {
                ram += 1ul << b->untypedList[k].sizeBits;
                if (b->untypedList[k].paddr >= (4ul << 30)) {
                    high += 1ul << b->untypedList[k].sizeBits;
                }
            }
        }
        /* Less than the RAM (the first MiB, the BIOS's 128 KiB, the kernel's), not much. */
        assert_true(ram < sizes[i] && ram > sizes[i] - (16ul << 20));
        assert_int_equal(high, sizes[i] > (3ul << 30) ? sizes[i] - (3ul << 30) : 0);
        seL4_CPtr big = ram_untyped(b, 21);
        EXPECT_OK(conf_retype(big, seL4_X86_LargePageObject, 0, b->empty.start, 1));
        MODEL_CHECK();
    }
    /* Another root CNode radix. */
    keel_model_config small = {.cnode_radix = 11};
    seL4_BootInfo *b = model_test_boot(&small);
    assert_int_equal(b->initThreadCNodeSizeBits, 11);
    assert_int_equal(b->empty.end, 2048);
    assert_int_equal(conf_cap(CONF_ROOT).guard_size, 53);
    EXPECT_ERR_MRS(conf_retype(ram_untyped(b, 12), seL4_EndpointObject, 0, 2048, 1),
                   seL4_RangeError, 0, 2047);
    EXPECT_OK(conf_retype(ram_untyped(b, 12), seL4_EndpointObject, 0, 2047, 1));
    MODEL_CHECK();
}

static void explicit_memory_map(void **state)
{
    (void)state;
    static const keel_model_region map[] = {
        {0x00100000ul, 0x04000000ul, false}, /* 63 MiB of RAM */
        {0x04000000ul, 0x08000000ul, true},  /* 64 MiB of device memory */
        {0x10000000ul, 0x10003000ul, false}, /* 12 KiB of RAM: 8 KiB + 4 KiB */
        {0x10003010ul, 0x10003020ul, true},  /* 16 bytes of device memory */
    };
    keel_model_config config = {.regions = map, .num_regions = CONF_ARRAY_LEN(map)};
    seL4_BootInfo *b = model_test_boot(&config);
    check_untypeds_against(b, map, CONF_ARRAY_LEN(map));
    /* Device untypeds come first (in address order), then RAM. */
    const seL4_UntypedDesc *d = b->untypedList;
    assert_int_equal(d[0].paddr, 0x04000000ul);
    assert_int_equal(d[0].sizeBits, 26);
    assert_true(d[0].isDevice);
    assert_int_equal(d[1].paddr, 0x10003010ul);
    assert_int_equal(d[1].sizeBits, 4);
    assert_true(d[1].isDevice);
    assert_false(d[2].isDevice);
    seL4_Word n = b->untyped.end - b->untyped.start;
    assert_int_equal(d[n - 2].paddr, 0x10000000ul);
    assert_int_equal(d[n - 2].sizeBits, 13);
    assert_int_equal(d[n - 1].paddr, 0x10002000ul);
    assert_int_equal(d[n - 1].sizeBits, 12);
    /* All usable: every RAM untyped retypes (its first retype zeroes all of it). */
    for (seL4_Word i = 2; i < n; i++) {
        uint64_t z = conf_bytes_zeroed();
        EXPECT_OK(conf_retype(b->untyped.start + i, seL4_UntypedObject, 4, b->empty.start + i, 1));
        assert_int_equal(conf_bytes_zeroed() - z, 1ul << d[i].sizeBits);
    }
    EXPECT_OK(conf_retype(b->untyped.start + 1, seL4_UntypedObject, 4, b->empty.start + 1, 1));
    MODEL_CHECK();
}

static void bootinfo_fields(void **state)
{
    (void)state;
    /* §9.2 fields the qemu recording does not show. */
    assert_int_equal(bi->extraLen, 4096);
    assert_int_equal(bi->numIOPTLevels, ~0ul); /* no IOMMU */
    assert_int_equal(bi->nodeID, 0);
    assert_int_equal(bi->numNodes, 1);
    assert_int_equal(bi->initThreadDomain, 0);
    assert_int_equal(bi->sharedFrames.start, bi->sharedFrames.end);
    assert_int_equal(bi->ioSpaceCaps.start, bi->ioSpaceCaps.end);
    assert_int_equal(bi->extraBIPages.end - bi->extraBIPages.start, 1);
    assert_int_equal(bi->userImageFrames.end - bi->userImageFrames.start, 1045);
    assert_int_equal(bi->userImagePaging.end - bi->userImagePaging.start, 5);
    /* The extra BootInfo frame starts with a padding header covering all of it. */
    keel_model_cap_info x = conf_cap(bi->extraBIPages.start);
    assert_int_equal(x.type, KEEL_MODEL_CAP_FRAME);
    const seL4_BootInfoHeader *h = keel_model_phys(x.paddr, sizeof(*h));
    assert_non_null(h);
    assert_int_equal(h->id, SEL4_BOOTINFO_HEADER_PADDING);
    assert_int_equal(h->len, bi->extraLen);
    /* The image: consecutive frames mapped at consecutive addresses from 0x400000. */
    keel_model_cap_info first = conf_cap(bi->userImageFrames.start);
    for (seL4_Word i = 0; i < 1045; i++) {
        keel_model_cap_info f = conf_cap(bi->userImageFrames.start + i);
        assert_true(f.mapped);
        assert_int_equal(f.vaddr, 0x400000 + 4096 * i);
        assert_int_equal(f.paddr, first.paddr + 4096 * i);
        assert_int_equal(f.rights, KEEL_MODEL_VM_READ_WRITE);
        assert_false(f.device);
    }
    /* The untyped list: exactly `untyped` entries, each 16 B .. 2^47 B; the rest zero. */
    seL4_Word n = bi->untyped.end - bi->untyped.start;
    for (seL4_Word i = 0; i < CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (i < n) {
            assert_true(d->sizeBits >= seL4_MinUntypedBits && d->sizeBits <= seL4_MaxUntypedBits);
        } else {
            assert_int_equal(d->paddr | d->sizeBits | d->isDevice, 0);
        }
    }
    /* Slot 8 (IOSpace) and the SMMU/SC/SMC slots are empty without those features. */
    assert_true(conf_is_empty(seL4_CapIOSpace));
    assert_int_equal(conf_cap(seL4_CapInitThreadASIDPool).type, KEEL_MODEL_CAP_ASID_POOL);
    assert_int_equal(conf_cap(seL4_CapInitThreadVSpace).asid, 1);
}

/* <autoconf.h> and <sel4/types.h> agree with the rest of libsel4 and with the world. */
static void configuration_and_types_headers(void **state)
{
    (void)state;
    assert_int_equal(seL4_UntypedRetypeMaxObjects, CONFIG_RETYPE_FAN_OUT_LIMIT);
    assert_int_equal(seL4_MaxPrio, CONFIG_NUM_PRIORITIES - 1);
    assert_int_equal(seL4_WordBits, CONFIG_WORD_SIZE);
    assert_int_equal(CONF_ARRAY_LEN(bi->untypedList), CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS);
    assert_int_equal(bi->initThreadCNodeSizeBits, CONFIG_ROOT_CNODE_SIZE_BITS);
    /* seL4_NilData as cap data: no badge on an endpoint, no guard on a CNode. */
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    EXPECT_OK(conf_mint(e + 1, e, seL4_AllRights, seL4_NilData));
    assert_int_equal(conf_cap(e + 1).badge, 0);
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 4, e + 2, 1));
    EXPECT_OK(conf_mint(e + 3, e + 2, seL4_AllRights, seL4_NilData));
    keel_model_cap_info cn = conf_cap(e + 3);
    assert_int_equal(cn.guard_size, 0);
    assert_int_equal(cn.guard, 0);
    seL4_Time t = 0;
    seL4_SchedContext sc = seL4_CapNull;
    assert_int_equal(t + sc, 0);
}

static void reboot_and_shutdown(void **state)
{
    (void)state;
    size_t frames = keel_model_object_count(seL4_X86_4K);
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, e, 4));
    uint8_t *p = keel_model_phys(conf_cap(e).paddr, 1);
    *p = 9;
    keel_model_inject_fail(5, KEEL_MODEL_ANY_LABEL, seL4_IllegalOperation);
    /* A re-boot replaces the world: fresh counts, counters, memory and injection. */
    seL4_BootInfo *b = model_test_boot(NULL);
    assert_int_equal(b->empty.start, e);
    assert_int_equal(keel_model_object_count(seL4_X86_4K), frames);
    assert_true(conf_is_empty(e));
    assert_int_equal(keel_model_invocations(), 0);
    assert_false(keel_model_inject_fired());
    assert_true(keel_model_phys_is_zero(0x1ffd0000ul, 65536));
    assert_int_equal(conf_cap(u).watermark, 65536);
    MODEL_CHECK();
    /* Shutdown: no world; idempotent; booting again works (sel4runtime_bootinfo boots the
     * default world on demand). */
    keel_model_shutdown();
    assert_null(keel_model_bootinfo());
    assert_null(seL4_GetIPCBuffer());
    keel_model_shutdown();
    b = sel4runtime_bootinfo();
    assert_non_null(b);
    assert_ptr_equal(keel_model_bootinfo(), b);
    assert_ptr_equal(seL4_GetIPCBuffer(), b->ipcBuffer);
    keel_model_set_fault_hook(NULL, NULL);
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(inject_nth_invocation, setup, teardown),
        cmocka_unit_test_setup_teardown(inject_by_label, setup, teardown),
        cmocka_unit_test_setup_teardown(inject_details_and_send, setup, teardown),
        cmocka_unit_test_setup_teardown(counters_per_label, setup, teardown),
        cmocka_unit_test_setup_teardown(cap_and_object_counts, setup, teardown),
        cmocka_unit_test_setup_teardown(snapshot_and_leak_check, setup, teardown),
        cmocka_unit_test_setup_teardown(check_reports_a_broken_world, setup, teardown),
        cmocka_unit_test_setup_teardown(physical_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(leak_check_counts_asid_pools, setup, teardown),
        cmocka_unit_test_setup_teardown(inspection_edge_cases, setup, teardown),
        cmocka_unit_test_setup_teardown(other_worlds, setup, teardown),
        cmocka_unit_test_setup_teardown(explicit_memory_map, setup, teardown),
        cmocka_unit_test_setup_teardown(bootinfo_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(configuration_and_types_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(reboot_and_shutdown, setup, teardown),
    };
    return cmocka_run_group_tests_name("model.model_api", tests, NULL, NULL);
}
