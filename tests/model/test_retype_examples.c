/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The worked examples of sel4-semantics §5.6, one test per step, on a fresh 4 KiB RAM untyped
 * of the default world (U, at 0x1ffcb000, whose watermark starts full as every boot untyped's
 * does). Steps 2-4 continue from the earlier steps, so their tests replay those first.
 *
 * The spec numbers destination slots 100, 200, 300 in an empty root CNode. In the default world
 * those slots hold the root task's image frames, so the examples use the same offsets from the
 * first empty slot E: slot "100" is E + 100.
 */
#include "conf.h"

#define BASE 0x1ffcb000ul

static seL4_BootInfo *bi;
static seL4_CPtr u, e;

static int setup(void **state)
{
    (void)state;
    bi = model_test_boot(NULL);
    u = conf_untyped_at(bi, BASE);
    e = bi->empty.start;
    /* Fresh: full watermark, no children. */
    keel_model_cap_info info = conf_cap(u);
    assert_int_equal(info.size_bits, 12);
    assert_false(info.device);
    assert_int_equal(info.watermark, 4096);
    assert_false(info.has_children);
    return 0;
}

static seL4_CPtr slot(seL4_Word n)
{
    return e + n;
}

/* U is unchanged by a failing step: full watermark, no children, nothing zeroed. */
static void expect_untouched(uint64_t zeroed_before)
{
    keel_model_cap_info info = conf_cap(u);
    assert_int_equal(info.watermark, 4096);
    assert_false(info.has_children);
    assert_int_equal(conf_bytes_zeroed(), zeroed_before);
}

/* 1: Retype(U, Endpoint, 0, root, 0, 0, 100, 3). */
static void do_step1(void)
{
    size_t eps = keel_model_object_count(seL4_EndpointObject);
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, CONF_ROOT, 0, 0, slot(100), 3));
    /* No children: reset, which zeroes all of it since the watermark started full. */
    assert_int_equal(conf_bytes_zeroed() - z, 4096);
    for (seL4_Word i = 0; i < 3; i++) {
        keel_model_cap_info ep = conf_cap(slot(100 + i));
        assert_int_equal(ep.type, KEEL_MODEL_CAP_ENDPOINT);
        assert_int_equal(ep.paddr, BASE + 16 * i);
        assert_true(ep.original);
        assert_int_equal(ep.badge, 0);
        assert_int_equal(ep.rights, seL4_AllRights.words[0]);
    }
    assert_int_equal(conf_cap(u).watermark, 48);
    EXPECT_CHILDREN(u, false, slot(102), slot(101), slot(100));
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps + 3);
}

/* 2: Retype(U, TCB, 0, root, 0, 0, 200, 1). */
static void do_step2(void)
{
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_TCBObject, 0, CONF_ROOT, 0, 0, slot(200), 1));
    assert_int_equal(conf_bytes_zeroed(), z); /* children: no reset */
    keel_model_cap_info tcb = conf_cap(slot(200));
    assert_int_equal(tcb.type, KEEL_MODEL_CAP_TCB);
    assert_int_equal(tcb.paddr, BASE + 2048); /* 48 aligned up to 2048 */
    assert_int_equal(tcb.size_bits, seL4_TCBBits);
    assert_int_equal(conf_cap(u).watermark, 4096); /* freeIndex 256: full */
    EXPECT_CHILDREN(u, false, slot(200), slot(102), slot(101), slot(100));
}

/* 3: Retype(U, Endpoint, ..., 300, 1). */
static void do_step3(void)
{
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, CONF_ROOT, 0, 0, slot(300), 1),
                   seL4_NotEnoughMemory, 0);
    assert_true(conf_is_empty(slot(300)));
    assert_int_equal(conf_cap(u).watermark, 4096);
}

static void step1_three_endpoints(void **state)
{
    (void)state;
    do_step1();
}

static void step2_tcb_aligned(void **state)
{
    (void)state;
    do_step1();
    do_step2();
}

static void step3_not_enough_memory(void **state)
{
    (void)state;
    do_step1();
    do_step2();
    do_step3();
}

/* 4: Revoke(root, U's slot, 64) then Retype(U, Endpoint, ..., 300, 1). */
static void step4_revoke_then_reset(void **state)
{
    (void)state;
    do_step1();
    do_step2();
    do_step3();
    size_t eps = keel_model_object_count(seL4_EndpointObject);
    size_t tcbs = keel_model_object_count(seL4_TCBObject);
    EXPECT_OK(seL4_CNode_Revoke(CONF_ROOT, u, 64));
    EXPECT_NO_CHILDREN(u);
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps - 3);
    assert_int_equal(keel_model_object_count(seL4_TCBObject), tcbs - 1);
    assert_int_equal(conf_cap(u).watermark, 4096); /* revoke leaves the watermark */
    for (seL4_Word s = 100; s <= 300; s += 100) {
        assert_true(conf_is_empty(slot(s)));
    }
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, CONF_ROOT, 0, 0, slot(300), 1));
    assert_int_equal(conf_bytes_zeroed() - z, 4096); /* zero [0, 4096) */
    assert_int_equal(conf_cap(slot(300)).paddr, BASE);
    assert_int_equal(conf_cap(u).watermark, 16);
    assert_true(keel_model_phys_is_zero(BASE, 4096));
}

static void step5_zero_objects(void **state)
{
    (void)state;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, CONF_ROOT, 0, 0, slot(100), 0),
                   seL4_RangeError, 1, 256);
    expect_untouched(z);
}

static void step6_offset_past_the_end(void **state)
{
    (void)state;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, CONF_ROOT, 0, 0, 4096, 1),
                   seL4_RangeError, 0, 4095);
    expect_untouched(z);
}

static void step7_window_past_the_end(void **state)
{
    (void)state;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, CONF_ROOT, 0, 0, 4090, 10),
                   seL4_RangeError, 1, 6);
    expect_untouched(z);
}

static void step8_untyped_too_small(void **state)
{
    (void)state;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_UntypedObject, 3, CONF_ROOT, 0, 0, slot(100), 1),
                   seL4_InvalidArgument, 1);
    expect_untouched(z);
}

static void step9_cnode_too_big(void **state)
{
    (void)state;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_CapTableObject, 43, CONF_ROOT, 0, 0, slot(100), 1),
                   seL4_RangeError, 0, 47);
    expect_untouched(z);
}

static void step10_invalid_type(void **state)
{
    (void)state;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, 12, 0, CONF_ROOT, 0, 0, slot(100), 1),
                   seL4_InvalidArgument, 0);
    expect_untouched(z);
}

static void step11_size_bits_64(void **state)
{
    (void)state;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_TCBObject, 64, CONF_ROOT, 0, 0, slot(100), 1),
                   seL4_RangeError, 0, 47);
    expect_untouched(z);
}

static void step12_occupied_slot(void **state)
{
    (void)state;
    EXPECT_OK(seL4_CNode_Copy(CONF_ROOT, slot(101), 64, CONF_ROOT, seL4_CapInitThreadCNode, 64,
                              seL4_AllRights));
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, CONF_ROOT, 0, 0, slot(100), 3),
               seL4_DeleteFirst);
    expect_untouched(z);
    assert_true(conf_is_empty(slot(100)));
    assert_true(conf_is_empty(slot(102)));
}

static void step13_root_names_an_empty_slot(void **state)
{
    (void)state;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, slot(50), 0, 0, slot(100), 1),
                   seL4_FailedLookup, 0, seL4_MissingCapability, 0);
    expect_untouched(z);
}

static void step14_depth_12_guard_mismatch(void **state)
{
    (void)state;
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, CONF_ROOT,
                                       seL4_CapInitThreadCNode, 12, slot(100), 1),
                   seL4_FailedLookup, 0, seL4_GuardMismatch, 12, 0, 52);
    expect_untouched(z);
}

static void step15_device_untyped(void **state)
{
    (void)state;
    seL4_CPtr dev = conf_untyped_at(bi, 0xfec01000ul);
    keel_model_cap_info info = conf_cap(dev);
    assert_true(info.device);
    assert_int_equal(info.size_bits, 12);
    uint64_t z = conf_bytes_zeroed();
    EXPECT_ERR_MRS(seL4_Untyped_Retype(dev, seL4_EndpointObject, 0, CONF_ROOT, 0, 0, slot(100), 1),
                   seL4_InvalidArgument, 1);
    EXPECT_OK(seL4_Untyped_Retype(dev, seL4_X86_4K, 0, CONF_ROOT, 0, 0, slot(100), 1));
    assert_int_equal(conf_bytes_zeroed(), z); /* device memory is never zeroed */
    seL4_X86_Page_GetAddress_t a = seL4_X86_Page_GetAddress(slot(100));
    assert_int_equal(a.error, seL4_NoError);
    assert_int_equal(a.paddr, 0xfec01000ul);
    assert_true(conf_cap(slot(100)).device);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(step1_three_endpoints, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step2_tcb_aligned, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step3_not_enough_memory, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step4_revoke_then_reset, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step5_zero_objects, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step6_offset_past_the_end, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step7_window_past_the_end, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step8_untyped_too_small, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step9_cnode_too_big, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step10_invalid_type, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step11_size_bits_64, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step12_occupied_slot, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step13_root_names_an_empty_slot, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step14_depth_12_guard_mismatch, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(step15_device_untyped, setup, conf_teardown),
    };
    return cmocka_run_group_tests_name("model.retype_examples", tests, NULL, NULL);
}
