/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Object lifetimes: delete and revoke (sel4-semantics §4.6) and what deleting the last cap does
 * to an object (§7.2): final and non-final deletes, CNodes destroyed with everything inside
 * them (nested, and cyclic), revoke order and its effect on counts and watermarks.
 *
 * Revoke order is also seen without the model's CDT walk (keel_model_cdt_children walks the same
 * list revoke does): threads blocked on endpoints are restarted as each endpoint is destroyed,
 * each at the head of the ready queue (§11.1), so the order they run in afterwards is the
 * reverse of the order the endpoints went.
 */
#include "conf.h"
#include "thread_test.h"

static seL4_BootInfo *bi;
static seL4_CPtr u, w2, e;

static int setup(void **state)
{
    (void)state;
    bi = conf_boot(&u, &e);                 /* u: 64 KiB of RAM */
    w2 = conf_untyped_at(bi, 0x1ffcc000ul); /* 16 KiB */
    return 0;
}

static size_t objects(seL4_Word type)
{
    return keel_model_object_count(type);
}

static void final_and_non_final_deletes(void **state)
{
    (void)state;
    static const struct {
        seL4_Word type, size_bits;
        keel_model_cap_type cap;
    } kinds[] = {
        {seL4_EndpointObject, 0, KEEL_MODEL_CAP_ENDPOINT},
        {seL4_NotificationObject, 0, KEEL_MODEL_CAP_NOTIFICATION},
        {seL4_CapTableObject, 2, KEEL_MODEL_CAP_CNODE},
        {seL4_TCBObject, 0, KEEL_MODEL_CAP_TCB},
        {seL4_X86_4K, 0, KEEL_MODEL_CAP_FRAME},
        {seL4_X86_LargePageObject, 0, KEEL_MODEL_CAP_FRAME},
    };
    seL4_CPtr big = conf_untyped_at(bi, 0x01000000ul); /* 16 MiB, for the large page */
    for (size_t k = 0; k < CONF_ARRAY_LEN(kinds); k++) {
        seL4_CPtr src = kinds[k].type == seL4_X86_LargePageObject ? big : u;
        size_t n0 = objects(kinds[k].type), c0 = keel_model_cap_count(kinds[k].cap);
        EXPECT_OK(conf_retype(src, kinds[k].type, kinds[k].size_bits, e, 2));
        assert_int_equal(objects(kinds[k].type), n0 + 2);
        EXPECT_OK(conf_copy(e + 2, e, seL4_AllRights));
        EXPECT_OK(conf_mint(e + 3, e, seL4_AllRights, 0));
        EXPECT_OK(conf_copy(e + 4, e + 2, seL4_CanRead));
        assert_int_equal(keel_model_cap_count(kinds[k].cap), c0 + 5);
        /* The copies and the original go one by one; the object lives until the last. */
        seL4_CPtr order[] = {e + 3, e, e + 4};
        for (size_t i = 0; i < CONF_ARRAY_LEN(order); i++) {
            EXPECT_OK(conf_delete(order[i]));
            assert_int_equal(objects(kinds[k].type), n0 + 2);
        }
        EXPECT_OK(conf_delete(e + 2));
        assert_int_equal(objects(kinds[k].type), n0 + 1);
        /* The other object of the batch is untouched. */
        EXPECT_OK(conf_delete(e + 1));
        assert_int_equal(objects(kinds[k].type), n0);
        assert_int_equal(keel_model_cap_count(kinds[k].cap), c0);
        MODEL_CHECK();
        EXPECT_OK(conf_revoke(src));
    }
    /* Paging structures that cannot be copied: their one cap is final. */
    static const seL4_Word paging[] = {seL4_X86_PageTableObject, seL4_X86_PageDirectoryObject,
                                       seL4_X86_PDPTObject, seL4_X64_PML4Object};
    for (size_t k = 0; k < CONF_ARRAY_LEN(paging); k++) {
        size_t n0 = objects(paging[k]);
        EXPECT_OK(conf_retype(u, paging[k], 0, e, 1));
        assert_int_equal(objects(paging[k]), n0 + 1);
        EXPECT_OK(conf_delete(e));
        assert_int_equal(objects(paging[k]), n0);
    }
}

static void delete_and_revoke_keep_watermarks(void **state)
{
    (void)state;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 4));
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, e + 4, 2));
    seL4_Word wm = conf_cap(u).watermark;
    assert_int_equal(wm, 3 * 4096);
    EXPECT_OK(conf_delete(e + 4));
    EXPECT_OK(conf_delete(e + 1));
    assert_int_equal(conf_cap(u).watermark, wm);
    EXPECT_OK(conf_revoke(u));
    assert_int_equal(conf_cap(u).watermark, wm);
}

static void revoke_deletes_descendants_newest_first(void **state)
{
    (void)state;
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    seL4_CPtr s = e;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, s, 3));     /* e..e+2 */
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 3, s + 3, 1)); /* e+3 */
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, s + 4, 2));         /* e+4, e+5 */
    EXPECT_OK(conf_mint(s + 6, s + 1, seL4_AllRights, 8));       /* child of e+1 */
    EXPECT_OK(conf_copy(s + 7, s + 6, seL4_AllRights));          /* child of e+6 */
    EXPECT_OK(conf_copy(s + 8, s + 4, seL4_CanRead));            /* child of e+4 */
    EXPECT_CHILDREN(u, false, s + 5, s + 4, s + 3, s + 2, s + 1, s);
    EXPECT_CHILDREN(u, true, s + 5, s + 4, s + 8, s + 3, s + 2, s + 1, s + 6, s + 7, s);
    keel_model_counters c0, c1;
    keel_model_counters_get(&c0);
    EXPECT_OK(conf_revoke(u));
    keel_model_counters_get(&c1);
    assert_int_equal(c1.caps_deleted - c0.caps_deleted, 9);
    EXPECT_NO_CHILDREN(u);
    for (seL4_CPtr i = s; i <= s + 8; i++) {
        assert_true(conf_is_empty(i));
    }
    LEAK_CHECK(&snap);
    /* Revoke of an empty slot, or of a cap with no children, does nothing. */
    keel_model_counters_get(&c0);
    EXPECT_OK(conf_revoke(u));
    EXPECT_OK(conf_revoke(e + 100));
    keel_model_counters_get(&c1);
    assert_int_equal(c1.caps_deleted, c0.caps_deleted);
}

static void revoke_of_a_non_original_is_a_no_op(void **state)
{
    (void)state;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    EXPECT_OK(conf_copy(e + 1, e, seL4_AllRights));
    EXPECT_OK(conf_copy(e + 2, e + 1, seL4_AllRights));
    EXPECT_OK(conf_copy(e + 3, e + 1, seL4_AllRights));
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    EXPECT_OK(conf_revoke(e + 1));
    LEAK_CHECK(&snap);
    EXPECT_CHILDREN(e, false, e + 1, e + 3, e + 2);
    /* The original's revoke takes all three. */
    EXPECT_OK(conf_revoke(e));
    EXPECT_NO_CHILDREN(e);
    assert_false(conf_is_empty(e));
}

static void revoke_takes_untyped_copies_and_their_objects(void **state)
{
    (void)state;
    EXPECT_OK(conf_copy(e, u, seL4_AllRights));
    EXPECT_OK(conf_retype(e, seL4_EndpointObject, 0, e + 1, 2));
    EXPECT_OK(conf_copy(e + 3, e + 1, seL4_AllRights));
    size_t eps = objects(seL4_EndpointObject);
    EXPECT_OK(conf_revoke(u));
    assert_true(conf_is_empty(e));
    assert_true(conf_is_empty(e + 1));
    assert_true(conf_is_empty(e + 3));
    assert_int_equal(objects(seL4_EndpointObject), eps - 2);
}

/*
 * C1 (radix 3) in the root; C2 (radix 2) in C1[5]; C3 (radix 2) in C2[1]; objects in all
 * three. Slots inside are addressed through the CNode caps themselves (root = C1, a depth
 * that covers the levels on the way), as a root task addresses a CSpace it built.
 */
static void nested_cnodes_are_destroyed_recursively(void **state)
{
    (void)state;
    seL4_CPtr c1 = e, ep = e + 1;
    EXPECT_OK(conf_retype(w2, seL4_EndpointObject, 0, ep, 1));
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    size_t cnodes = objects(seL4_CapTableObject), eps = objects(seL4_EndpointObject);

    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 3, c1, 1));
    /* C2 into C1[5]: the destination CNode is C1 itself (node_depth 0 with root = C1). */
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_CapTableObject, 2, c1, 0, 0, 5, 1));
    /* C3 into C2[1]: look C2 up in C1 (index 5, depth 3). */
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_CapTableObject, 2, c1, 5, 3, 1, 1));
    /* Objects: endpoints in C1[0..2], a notification in C2[0], a frame and a TCB in C3, a
     * copy of an outside endpoint in C3[2]. */
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, c1, 0, 0, 0, 3));
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_NotificationObject, 0, c1, 5, 3, 0, 1));
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_X86_4K, 0, c1, (5 << 2) | 1, 5, 0, 1));
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_TCBObject, 0, c1, (5 << 2) | 1, 5, 3, 1));
    EXPECT_OK(seL4_CNode_Copy(c1, (5 << 4) | (1 << 2) | 2, 7, CONF_ROOT, ep, 64, seL4_AllRights));
    /* An untyped V (made in the root, with a child endpoint in C1[7]) moved into C2[3]. */
    seL4_CPtr v = e + 3;
    EXPECT_OK(conf_retype(u, seL4_UntypedObject, 8, v, 1));
    EXPECT_OK(seL4_Untyped_Retype(v, seL4_EndpointObject, 0, c1, 0, 0, 7, 1));
    EXPECT_OK(seL4_CNode_Move(c1, (5 << 2) | 3, 5, CONF_ROOT, v, 64));
    assert_true(conf_is_empty(v));
    keel_model_cap_info in;
    assert_int_equal(keel_model_cap_at(c1, (5 << 4) | (1 << 2) | 2, 7, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(keel_model_cap_at(c1, (5 << 4) | (1 << 2) | 3, 7, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_TCB);
    assert_int_equal(keel_model_cap_at(c1, (5 << 2) | 3, 5, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_UNTYPED);
    assert_int_equal(objects(seL4_CapTableObject), cnodes + 3);
    assert_int_equal(objects(seL4_EndpointObject), eps + 4);
    MODEL_CHECK();

    /* A copy of C1 exists: deleting one cap is not final, nothing inside is touched. */
    EXPECT_OK(conf_copy(e + 2, c1, seL4_AllRights));
    EXPECT_OK(conf_delete(c1));
    assert_int_equal(objects(seL4_CapTableObject), cnodes + 3);
    assert_int_equal(objects(seL4_EndpointObject), eps + 4);
    /* The last cap: C1, C2, C3 and everything in them go; the outside endpoint survives
     * (only a copy of its cap was inside). */
    EXPECT_OK(conf_delete(e + 2));
    assert_int_equal(objects(seL4_CapTableObject), cnodes);
    assert_int_equal(objects(seL4_EndpointObject), eps);
    assert_false(conf_is_empty(ep));
    EXPECT_NO_CHILDREN(ep);
    EXPECT_NO_CHILDREN(u);
    LEAK_CHECK(&snap);
}

static void a_cnode_holding_a_final_cap(void **state)
{
    (void)state;
    /* Revoking U destroys C (from U), and with it the only cap to an endpoint made from
     * another untyped W: that endpoint is destroyed and W is left without children. */
    seL4_CPtr c = e, ep = e + 1;
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 2, c, 1));
    EXPECT_OK(conf_retype(w2, seL4_EndpointObject, 0, ep, 1));
    seL4_Word w2_wm = conf_cap(w2).watermark;
    EXPECT_OK(seL4_CNode_Move(c, 3, 2, CONF_ROOT, ep, 64));
    assert_true(conf_is_empty(ep));
    EXPECT_CHILDREN(w2, true, 0); /* a child outside the root CNode has no CPtr here */
    size_t eps = objects(seL4_EndpointObject);
    EXPECT_OK(conf_revoke(u));
    assert_int_equal(objects(seL4_EndpointObject), eps - 1);
    EXPECT_NO_CHILDREN(w2);
    assert_int_equal(conf_cap(w2).watermark, w2_wm);
}

static void unreachable_cycles_are_cleaned_by_revoke(void **state)
{
    (void)state;
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    size_t cnodes = objects(seL4_CapTableObject);
    seL4_CPtr c = e, d = e + 1, s = e + 2;
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 2, c, 2)); /* c, d */
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, c, 0, 0, 1, 1));
    /* C's only cap into D[0]; then D's only cap into C[0], naming C[0] through D. */
    EXPECT_OK(seL4_CNode_Move(d, 0, 2, CONF_ROOT, c, 64));
    EXPECT_OK(seL4_CNode_Move(d, 0, 4, CONF_ROOT, d, 64));
    assert_true(conf_is_empty(c));
    assert_true(conf_is_empty(d));
    /* Unreachable from the root, but alive: as on the kernel, deleting caps elsewhere does
     * not free them. */
    assert_int_equal(objects(seL4_CapTableObject), cnodes + 2);
    /* A CNode whose only cap is inside itself. */
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 1, s, 1));
    EXPECT_OK(seL4_CNode_Move(s, 1, 1, CONF_ROOT, s, 64));
    assert_true(conf_is_empty(s));
    assert_int_equal(objects(seL4_CapTableObject), cnodes + 3);
    MODEL_CHECK();
    /* Revoking the untyped reaches all of them through the derivation tree. */
    EXPECT_OK(conf_revoke(u));
    assert_int_equal(objects(seL4_CapTableObject), cnodes);
    EXPECT_NO_CHILDREN(u);
    LEAK_CHECK(&snap);
}

static void deleting_inside_a_cnode(void **state)
{
    (void)state;
    seL4_CPtr c = e;
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 4, c, 1));
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_TCBObject, 0, c, 0, 0, 9, 1));
    size_t tcbs = objects(seL4_TCBObject);
    EXPECT_OK(seL4_CNode_Copy(CONF_ROOT, e + 1, 64, c, 9, 4, seL4_AllRights));
    EXPECT_OK(seL4_CNode_Delete(c, 9, 4));
    assert_int_equal(objects(seL4_TCBObject), tcbs);
    EXPECT_OK(conf_delete(e + 1));
    assert_int_equal(objects(seL4_TCBObject), tcbs - 1);
}

static seL4_CPtr sender_ep[4];

static void send_then_say(seL4_Word i)
{
    /* Blocks (nobody receives); restarted when the endpoint goes, the Send finds an empty
     * slot, is thrown away, and returns. */
    seL4_Send(sender_ep[i], seL4_MessageInfo_new(0, 0, 0, 0));
    tt_log("%c", (char)('a' + i));
}

static void revoke_order_seen_through_restarted_senders(void **state)
{
    (void)state;
    tt_boot();
    /* U's derivation list: U, d, V, c, b, a (V an untyped retyped from U after a, c and b
     * from V, d last). Revoke deletes d, V (not final for anything), c, b, a. */
    seL4_CPtr U = tt_new(seL4_UntypedObject, 12);
    sender_ep[0] = tt_new_from(U, seL4_EndpointObject, 0);
    seL4_CPtr V = tt_new_from(U, seL4_UntypedObject, 8);
    sender_ep[1] = tt_new_from(V, seL4_EndpointObject, 0);
    sender_ep[2] = tt_new_from(V, seL4_EndpointObject, 0);
    sender_ep[3] = tt_new_from(U, seL4_EndpointObject, 0);
    EXPECT_CHILDREN(U, true, sender_ep[3], V, sender_ep[2], sender_ep[1], sender_ep[0]);
    seL4_CPtr t[4];
    for (seL4_Word i = 0; i < 4; i++) {
        t[i] = tt_thread("sender", send_then_say, i, 100);
    }
    tt_let_others_run();
    for (int i = 0; i < 4; i++) {
        assert_int_equal(tt_state(t[i]), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    }
    EXPECT_OK(conf_revoke(U));
    for (int i = 0; i < 4; i++) {
        assert_int_equal(tt_state(t[i]), KEEL_MODEL_THREAD_RESTART);
    }
    assert_string_equal(tt_transcript(), "");
    tt_let_others_run();
    /* Destroyed d, c, b, a: restarted at the head in that order, so they run a, b, c, d. */
    assert_string_equal(tt_transcript(), "a\nb\nc\nd\n");
    MODEL_CHECK();
    keel_model_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(final_and_non_final_deletes, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(delete_and_revoke_keep_watermarks, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(revoke_deletes_descendants_newest_first, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(revoke_of_a_non_original_is_a_no_op, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(revoke_takes_untyped_copies_and_their_objects, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(nested_cnodes_are_destroyed_recursively, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(a_cnode_holding_a_final_cap, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(unreachable_cycles_are_cleaned_by_revoke, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(deleting_inside_a_cnode, setup, conf_teardown),
        cmocka_unit_test(revoke_order_seen_through_restarted_senders),
    };
    return cmocka_run_group_tests_name("model.objects", tests, NULL, NULL);
}
