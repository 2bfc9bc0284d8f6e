/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What retype does to memory: the reset and its zeroing (sel4-semantics §5.3), placement at the
 * aligned watermark (§5.4), alignment on the kernel's internal address rather than the
 * physical one (§5.1 "Correction"), and device memory (§7.1). Bytes are written and read
 * through keel_model_phys(), which is the memory frames hold.
 */
#include "conf.h"

#define U4K   0x1ffcb000ul
#define U16K  0x1ffcc000ul
#define U64K  0x1ffd0000ul
#define U128M 0x08000000ul
#define DEV4K 0xfec01000ul
#define DEV45 0x0000408000000000ul /* 2^45 bytes of device memory, internal address 2^46 */

static seL4_BootInfo *bi;
static seL4_CPtr e;

static int setup(void **state)
{
    (void)state;
    bi = model_test_boot(NULL);
    e = bi->empty.start;
    return 0;
}

static void fill(uint64_t paddr, size_t len, uint8_t v)
{
    uint8_t *p = keel_model_phys(paddr, len);
    assert_non_null(p);
    memset(p, v, len);
}

static bool all_bytes(uint64_t paddr, size_t len, uint8_t v)
{
    const uint8_t *p = keel_model_phys(paddr, len);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

static seL4_Word frame_paddr(seL4_CPtr frame)
{
    seL4_X86_Page_GetAddress_t a = seL4_X86_Page_GetAddress(frame);
    assert_int_equal(a.error, seL4_NoError);
    return a.paddr;
}

/* ---- §5.3: the reset ------------------------------------------------------------------------- */

static void reset_zeroes_what_was_written(void **state)
{
    (void)state;
    seL4_CPtr u = conf_untyped_at(bi, U64K);
    seL4_CPtr f = e, ep = e + 1;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, ep, 1));
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, f, 1));
    assert_int_equal(conf_bytes_zeroed() - z, 65536); /* the first retype: all of it */
    seL4_Word pa = frame_paddr(f);
    assert_int_equal(pa, U64K + 4096);
    assert_true(keel_model_phys_is_zero(pa, 4096));
    fill(pa, 4096, 0xa5);
    MODEL_CHECK(); /* written bytes are below the watermark: fine */

    /* Delete and revoke never zero memory and never move the watermark. */
    EXPECT_OK(conf_delete(f));
    assert_true(all_bytes(pa, 4096, 0xa5));
    z = conf_bytes_zeroed();
    EXPECT_OK(conf_revoke(u));
    assert_int_equal(conf_bytes_zeroed(), z);
    assert_true(all_bytes(pa, 4096, 0xa5));
    assert_int_equal(conf_cap(u).watermark, 8192);

    /* The next retype resets: the bytes read back zero. */
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, f, 1));
    assert_int_equal(conf_bytes_zeroed() - z, 8192);
    assert_int_equal(frame_paddr(f), U64K);
    assert_true(all_bytes(pa, 4096, 0));
    assert_true(keel_model_phys_is_zero(U64K, 65536));
}

static void reset_zeroes_used_part_rounded_to_256(void **state)
{
    (void)state;
    seL4_CPtr u = conf_untyped_at(bi, U16K);
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    EXPECT_OK(conf_revoke(u));
    static const struct {
        seL4_Word type, size_bits, n;
        seL4_Word watermark, zeroed;
    } cases[] = {
        {seL4_EndpointObject, 0, 1, 16, 256},      {seL4_EndpointObject, 0, 16, 256, 256},
        {seL4_EndpointObject, 0, 17, 272, 512},    {seL4_EndpointObject, 0, 19, 304, 512},
        {seL4_NotificationObject, 0, 8, 256, 256}, {seL4_CapTableObject, 3, 1, 256, 256},
        {seL4_CapTableObject, 4, 1, 512, 512},     {seL4_TCBObject, 0, 1, 2048, 2048},
        {seL4_X86_4K, 0, 3, 12288, 12288},         {seL4_UntypedObject, 5, 1, 32, 256},
        {seL4_UntypedObject, 14, 1, 16384, 16384},
    };
    for (size_t i = 0; i < CONF_ARRAY_LEN(cases); i++) {
        /* The watermark the previous case left is zeroed by this retype's reset. */
        seL4_Word before = conf_cap(u).watermark;
        uint64_t z = conf_bytes_zeroed();
        EXPECT_OK(conf_retype(u, cases[i].type, cases[i].size_bits, e, cases[i].n));
        assert_int_equal(conf_bytes_zeroed() - z, (before + 255) & ~255ul);
        assert_int_equal(conf_cap(u).watermark, cases[i].watermark);
        EXPECT_OK(conf_revoke(u));
        z = conf_bytes_zeroed();
        EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
        assert_int_equal(conf_bytes_zeroed() - z, cases[i].zeroed);
        EXPECT_OK(conf_revoke(u));
    }
}

static void small_untyped_is_zeroed_whole(void **state)
{
    (void)state;
    seL4_CPtr u = conf_untyped_at(bi, U4K);
    seL4_CPtr v = e, obj = e + 1;
    static const seL4_Word sizes[] = {4, 5, 6, 7, 8, 9};
    for (size_t i = 0; i < CONF_ARRAY_LEN(sizes); i++) {
        EXPECT_OK(conf_retype(u, seL4_UntypedObject, sizes[i], v, 1));
        keel_model_cap_info info = conf_cap(v);
        assert_int_equal(info.watermark, 0);
        /* A fresh untyped has watermark 0: nothing to zero. */
        uint64_t z = conf_bytes_zeroed();
        EXPECT_OK(conf_retype(v, seL4_EndpointObject, 0, obj, 1));
        assert_int_equal(conf_bytes_zeroed(), z);
        EXPECT_OK(conf_revoke(v));
        z = conf_bytes_zeroed();
        EXPECT_OK(conf_retype(v, seL4_EndpointObject, 0, obj, 1));
        /* Below 256 bytes the whole block is zeroed; from 256 up, the used 16 rounded to 256. */
        seL4_Word want = sizes[i] < 8 ? (1ul << sizes[i]) : 256;
        assert_int_equal(conf_bytes_zeroed() - z, want);
        EXPECT_OK(conf_revoke(u));
    }
}

static void device_memory_is_never_zeroed(void **state)
{
    (void)state;
    seL4_CPtr dev = conf_untyped_at(bi, DEV4K);
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(conf_retype(dev, seL4_X86_4K, 0, e, 1)); /* full watermark: reset, no zeroing */
    assert_int_equal(conf_bytes_zeroed(), z);
    fill(DEV4K, 4096, 0x3c);
    EXPECT_OK(conf_revoke(dev));
    EXPECT_OK(conf_retype(dev, seL4_X86_4K, 0, e, 1));
    assert_int_equal(conf_bytes_zeroed(), z);
    assert_int_equal(conf_cap(dev).watermark, 4096);
    assert_true(all_bytes(DEV4K, 4096, 0x3c)); /* a device frame's contents are left alone */
    /* Nor is a device child untyped. */
    EXPECT_OK(conf_revoke(dev));
    EXPECT_OK(conf_retype(dev, seL4_UntypedObject, 7, e, 1));
    EXPECT_OK(conf_retype(e, seL4_UntypedObject, 4, e + 1, 1));
    EXPECT_OK(conf_revoke(e));
    EXPECT_OK(conf_retype(e, seL4_UntypedObject, 4, e + 1, 1));
    assert_int_equal(conf_bytes_zeroed(), z);
    assert_true(all_bytes(DEV4K, 128, 0x3c));
}

static void boot_untyped_first_retype_zeroes_all(void **state)
{
    (void)state;
    seL4_CPtr big = conf_untyped_at(bi, U128M);
    keel_model_cap_info info = conf_cap(big);
    assert_int_equal(info.watermark, 1ul << 27); /* boot untypeds start full (§5.1) */
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(conf_retype(big, seL4_EndpointObject, 0, e, 1));
    assert_int_equal(conf_bytes_zeroed() - z, 1ul << 27);
    assert_int_equal(conf_cap(big).watermark, 16);
    assert_true(keel_model_phys_is_zero(U128M, 1ul << 27));
    /* A big device untyped: the watermark goes to 0 but nothing is zeroed. */
    seL4_CPtr dev = conf_untyped_at(bi, DEV45);
    z = conf_bytes_zeroed();
    EXPECT_OK(conf_retype(dev, seL4_X86_4K, 0, e + 1, 1));
    assert_int_equal(conf_bytes_zeroed(), z);
    assert_int_equal(conf_cap(dev).watermark, 4096);
}

static void new_objects_are_zero_without_reset(void **state)
{
    (void)state;
    /* With children there is no reset, and new objects come from above the watermark, which
     * is zero: written bytes of a deleted frame below the watermark are not reused. */
    seL4_CPtr u = conf_untyped_at(bi, U16K);
    seL4_CPtr keep = e, f1 = e + 1, f2 = e + 2;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, keep, 1));
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, f1, 1));
    seL4_Word p1 = frame_paddr(f1);
    fill(p1, 4096, 0xff);
    EXPECT_OK(conf_delete(f1));
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, f2, 1));
    seL4_Word p2 = frame_paddr(f2);
    assert_int_equal(p2, p1 + 4096);
    assert_true(keel_model_phys_is_zero(p2, 4096));
    assert_true(all_bytes(p1, 4096, 0xff));
    /* The invariant keel_model_check() holds: every byte above the watermark is zero. Break it
     * behind the model's back and the check sees it. */
    MODEL_CHECK();
    fill(U16K + 16384 - 1, 1, 1);
    char msg[256];
    assert_int_equal(keel_model_check(msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "above its watermark"));
    fill(U16K + 16384 - 1, 1, 0);
}

/* ---- §5.4: placement ------------------------------------------------------------------------- */

static void objects_aligned_to_their_size(void **state)
{
    (void)state;
    seL4_CPtr u = conf_untyped_at(bi, U4K);
    static const struct {
        seL4_Word type, size_bits, offset, watermark;
    } steps[] = {
        {seL4_EndpointObject, 0, 0, 16},    {seL4_NotificationObject, 0, 32, 64},
        {seL4_CapTableObject, 1, 64, 128},  {seL4_CapTableObject, 2, 128, 256},
        {seL4_EndpointObject, 0, 256, 272}, {seL4_UntypedObject, 9, 512, 1024},
        {seL4_TCBObject, 0, 2048, 4096},
    };
    for (size_t i = 0; i < CONF_ARRAY_LEN(steps); i++) {
        EXPECT_OK(conf_retype(u, steps[i].type, steps[i].size_bits, e + i, 1));
        assert_int_equal(conf_cap(e + i).paddr, U4K + steps[i].offset);
        assert_int_equal(conf_cap(u).watermark, steps[i].watermark);
    }
    /* Padding skipped for alignment is lost until the next reset. */
    EXPECT_ERR_MRS(conf_retype(u, seL4_EndpointObject, 0, e + 20, 1), seL4_NotEnoughMemory, 0);
    MODEL_CHECK();
}

static void batches_are_contiguous(void **state)
{
    (void)state;
    seL4_CPtr u = conf_untyped_at(bi, U16K);
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 5));
    EXPECT_OK(conf_retype(u, seL4_NotificationObject, 0, e + 5, 3));
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, e + 8, 3));
    for (seL4_Word i = 0; i < 5; i++) {
        assert_int_equal(conf_cap(e + i).paddr, U16K + 16 * i);
    }
    for (seL4_Word i = 0; i < 3; i++) {
        assert_int_equal(conf_cap(e + 5 + i).paddr, U16K + 96 + 32 * i); /* 80 aligned to 96 */
        assert_int_equal(frame_paddr(e + 8 + i), U16K + 4096 * (i + 1));
    }
    assert_int_equal(conf_cap(u).watermark, 16384);
    /* Derivation order: the newest batch first, each batch in reverse slot order. */
    EXPECT_CHILDREN(u, false, e + 10, e + 9, e + 8, e + 7, e + 6, e + 5, e + 4, e + 3, e + 2, e + 1,
                    e);
}

/* ---- §5.1: alignment on the kernel's address ------------------------------------------------- */

static void alignment_uses_the_internal_address(void **state)
{
    (void)state;
    /* The boot carving worked on internal addresses too: this 2^46 untyped starts at physical
     * 2^39 (internal 0), and the next one at a physical address aligned only to 2^39. */
    seL4_CPtr dev46 = conf_untyped_at(bi, 0x0000008000000000ul);
    assert_int_equal(conf_cap(dev46).size_bits, 46);
    seL4_CPtr dev = conf_untyped_at(bi, DEV45);
    keel_model_cap_info info = conf_cap(dev);
    assert_int_equal(info.size_bits, 45);
    assert_true(info.device);
    assert_int_not_equal(DEV45 % (1ul << 45), 0);

    EXPECT_OK(conf_retype(dev, seL4_X86_4K, 0, e, 1));
    assert_int_equal(frame_paddr(e), DEV45);
    /* A 2^40 untyped lands where the internal address (2^46 + 4096 rounded up) is aligned:
     * offset 2^40, not the physically aligned offset 2^39. */
    EXPECT_OK(conf_retype(dev, seL4_UntypedObject, 40, e + 1, 1));
    keel_model_cap_info big = conf_cap(e + 1);
    assert_int_equal(big.paddr, DEV45 + (1ul << 40));
    assert_int_equal(big.size_bits, 40);
    assert_true(big.device);
    assert_int_equal(conf_cap(dev).watermark, 1ul << 41);
    /* Objects up to 2^39 align the same either way. */
    EXPECT_OK(conf_retype(dev, seL4_UntypedObject, 39, e + 2, 1));
    assert_int_equal(conf_cap(e + 2).paddr, DEV45 + (1ul << 41));
    /* Inside the 2^40 child, alignment is again on the internal address. */
    EXPECT_OK(conf_retype(e + 1, seL4_X86_LargePageObject, 0, e + 3, 1));
    EXPECT_OK(conf_retype(e + 1, seL4_UntypedObject, 39, e + 4, 1));
    assert_int_equal(conf_cap(e + 4).paddr, DEV45 + (1ul << 40) + (1ul << 39));
    /* Bytes free count from the watermark before alignment, and the end of the untyped is
     * aligned to every size that fits, so the count is exact. */
    seL4_Word free_bytes = (1ul << 45) - (1ul << 41) - (1ul << 39);
    EXPECT_ERR_MRS(seL4_Untyped_Retype(dev, seL4_UntypedObject, 44, CONF_ROOT, 0, 0, e + 5, 2),
                   seL4_NotEnoughMemory, free_bytes);
    EXPECT_OK(conf_retype(dev, seL4_UntypedObject, 43, e + 5, 1));
    assert_int_equal(conf_cap(e + 5).paddr, DEV45 + (1ul << 43));
    MODEL_CHECK();
}

static void ram_alignment_is_physical(void **state)
{
    (void)state;
    seL4_CPtr big = conf_untyped_at(bi, U128M);
    EXPECT_OK(conf_retype(big, seL4_X86_4K, 0, e, 1));
    EXPECT_OK(conf_retype(big, seL4_X86_LargePageObject, 0, e + 1, 2));
    assert_int_equal(frame_paddr(e + 1), U128M + (1ul << 21));
    assert_int_equal(frame_paddr(e + 2), U128M + (2ul << 21));
    EXPECT_OK(conf_retype(big, seL4_UntypedObject, 26, e + 3, 1));
    assert_int_equal(conf_cap(e + 3).paddr, U128M + (1ul << 26));
    assert_int_equal(conf_cap(big).watermark, 1ul << 27);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(reset_zeroes_what_was_written, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(reset_zeroes_used_part_rounded_to_256, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(small_untyped_is_zeroed_whole, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(device_memory_is_never_zeroed, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(boot_untyped_first_retype_zeroes_all, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(new_objects_are_zero_without_reset, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(objects_aligned_to_their_size, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(batches_are_contiguous, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(alignment_uses_the_internal_address, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(ram_alignment_is_physical, setup, conf_teardown),
    };
    return cmocka_run_group_tests_name("model.untyped_memory", tests, NULL, NULL);
}
