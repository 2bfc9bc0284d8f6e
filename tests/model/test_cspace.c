/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CSpace addressing (sel4-semantics §3): the guarded-page-table walk, its lookup-failure
 * details for CNode-operation lookups (§3.2), the root CNode's guard (§3.3), and CSpaces of
 * several levels built from retyped CNodes whose caps carry guards, addressed both as CNode
 * operations address slots (root, index, depth) and as invoked CPtrs (full 64-bit depth,
 * after making such a CSpace the root thread's own with TCB_SetSpace).
 */
#include "conf.h"

static seL4_BootInfo *bi;
static seL4_CPtr u, e, ep;

static int setup(void **state)
{
    (void)state;
    bi = conf_boot(&u, &e); /* u: 64 KiB of RAM */
    ep = e + 200;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, ep, 1));
    return 0;
}

static void root_cnode_guard(void **state)
{
    (void)state;
    /* Radix 12, guard size 52, guard 0: a CPtr below 4096 at depth 64 names its slot. */
    keel_model_cap_info root = conf_cap(CONF_ROOT);
    assert_int_equal(root.radix, 12);
    assert_int_equal(root.guard_size, 52);
    assert_int_equal(root.guard, 0);
    assert_int_equal(conf_cap(ep).type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(conf_cap(4095).type, KEEL_MODEL_CAP_NULL);
    /* Any of bits 12..63 set: guard mismatch, for invoked CPtrs and CNode operations alike. */
    for (unsigned bit = 12; bit < 64; bit++) {
        keel_model_cap_info info;
        assert_int_equal(keel_model_cap(ep | (1ul << bit), &info), -1);
        EXPECT_ERR_MRS(
            seL4_CNode_Copy(CONF_ROOT, e | (1ul << bit), 64, CONF_ROOT, ep, 64, seL4_AllRights),
            seL4_FailedLookup, 0, seL4_GuardMismatch, 64, 0, 52);
        EXPECT_ERR_MRS(conf_copy(e, ep | (1ul << bit), seL4_AllRights), seL4_FailedLookup, 1,
                       seL4_GuardMismatch, 64, 0, 52);
    }
    /* Every depth, on slot 0: below 52 the guard does not fit (bitsLeft = depth); from 52 to
     * 63 the guard fits but guard + radix does not (bitsFound 64); 64 resolves; 0 and above
     * 64 are range errors. */
    for (unsigned d = 0; d < 256; d++) {
        seL4_Error err = seL4_CNode_Delete(CONF_ROOT, 0, (seL4_Uint8)d);
        if (d == 0 || d > 64) {
            EXPECT_ERR(err, seL4_RangeError);
            EXPECT_MRS(1, 64);
        } else if (d < 52) {
            EXPECT_ERR(err, seL4_FailedLookup);
            EXPECT_MRS(0, seL4_GuardMismatch, d, 0, 52);
        } else if (d < 64) {
            EXPECT_ERR(err, seL4_FailedLookup);
            EXPECT_MRS(0, seL4_DepthMismatch, d, 64);
        } else {
            EXPECT_OK(err);
        }
    }
    /* With depth 60 a non-zero index shifts into the guard bits. */
    EXPECT_ERR_MRS(seL4_CNode_Delete(CONF_ROOT, 1u << 8, 60), seL4_FailedLookup, 0,
                   seL4_GuardMismatch, 60, 0, 52);
}

static void remaining_bits_are_a_depth_mismatch(void **state)
{
    (void)state;
    /* R: the root CNode with guard 0, so it resolves 12 bits. Looking up 16 bits stops at a
     * slot that holds no CNode with 4 bits left: DepthMismatch, bitsFound 0 (§3.2 row 4). */
    seL4_CPtr r = e;
    EXPECT_OK(conf_mint(r, CONF_ROOT, seL4_AllRights, 0));
    assert_int_equal(conf_cap(r).guard_size, 0);
    EXPECT_ERR_MRS(seL4_CNode_Copy(CONF_ROOT, e + 1, 64, r, ep << 4, 16, seL4_AllRights),
                   seL4_FailedLookup, 1, seL4_DepthMismatch, 4, 0);
    EXPECT_ERR_MRS(seL4_CNode_Copy(r, (e + 1) << 4, 16, CONF_ROOT, ep, 64, seL4_AllRights),
                   seL4_FailedLookup, 0, seL4_DepthMismatch, 4, 0);
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, r, (e + 1) << 4, 16, 0, 1),
                   seL4_FailedLookup, 0, seL4_DepthMismatch, 4, 0);
    /* Exactly 12 bits name the slot. */
    EXPECT_OK(seL4_CNode_Copy(CONF_ROOT, e + 1, 64, r, ep, 12, seL4_AllRights));
    EXPECT_OK(seL4_CNode_Copy(r, e + 2, 12, CONF_ROOT, ep, 64, seL4_AllRights));
    assert_int_equal(conf_cap(e + 2).type, KEEL_MODEL_CAP_ENDPOINT);
    /* Fewer than 12: depth mismatch with bitsFound = radix. */
    EXPECT_ERR_MRS(seL4_CNode_Delete(r, 3, 8), seL4_FailedLookup, 0, seL4_DepthMismatch, 8, 12);
    /* The root of a lookup that is not a CNode at all: InvalidRoot, with either depth. */
    EXPECT_ERR_MRS(seL4_CNode_Copy(CONF_ROOT, e + 3, 64, ep, 0, 64, seL4_AllRights),
                   seL4_FailedLookup, 1, seL4_InvalidRoot);
    EXPECT_ERR_MRS(seL4_CNode_Copy(CONF_ROOT, e + 3, 64, u, 0, 0, seL4_AllRights),
                   seL4_FailedLookup, 1, seL4_InvalidRoot);
}

/*
 * Two levels: C2 (radix 4, 16 slots) in root slot S; S' a copy of it with a 4-bit guard 0x5;
 * R the root CNode with no guard. Through R and S' a slot of C2 is 12 + 4 + 4 = 20 bits:
 * (S' << 8) | (0x5 << 4) | j.
 */
struct two_level {
    seL4_CPtr s, s_guarded, r;
};

static struct two_level build_two_level(void)
{
    struct two_level t = {.s = e + 10, .s_guarded = e + 11, .r = e + 12};
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 4, t.s, 1));
    EXPECT_OK(conf_mint(t.s_guarded, t.s, seL4_AllRights, seL4_CNode_CapData_new(5, 4).words[0]));
    EXPECT_OK(conf_mint(t.r, CONF_ROOT, seL4_AllRights, 0));
    return t;
}

static seL4_Word via_guarded(const struct two_level *t, seL4_Word j)
{
    return (t->s_guarded << 8) | (5u << 4) | j;
}

static void two_level_cnode_operations(void **state)
{
    (void)state;
    struct two_level t = build_two_level();
    keel_model_cap_info in;
    /* Through R and the guarded cap: 20 bits. */
    EXPECT_OK(seL4_CNode_Copy(t.r, via_guarded(&t, 3), 20, CONF_ROOT, ep, 64, seL4_AllRights));
    assert_int_equal(keel_model_cap_at(t.s, 3, 4, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(keel_model_cap_at(t.r, via_guarded(&t, 3), 20, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_ENDPOINT);
    /* Through R and the unguarded cap: 16 bits. */
    assert_int_equal(keel_model_cap_at(t.r, (t.s << 4) | 3, 16, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_ENDPOINT);
    EXPECT_OK(seL4_CNode_Move(t.r, (t.s << 4) | 4, 16, t.r, via_guarded(&t, 3), 20));
    assert_int_equal(keel_model_cap_at(t.s, 4, 4, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_ENDPOINT);
    /* A wrong guard at the second level: bitsLeft 8, the cap's guard, its size. */
    EXPECT_ERR_MRS(seL4_CNode_Delete(t.r, (t.s_guarded << 8) | (6u << 4) | 4, 20),
                   seL4_FailedLookup, 0, seL4_GuardMismatch, 8, 5, 4);
    /* Too few bits for the second level: guard fits, guard + radix does not. */
    EXPECT_ERR_MRS(seL4_CNode_Delete(t.r, (t.s_guarded << 4) | 5, 16), seL4_FailedLookup, 0,
                   seL4_DepthMismatch, 4, 8);
    EXPECT_ERR_MRS(seL4_CNode_Delete(t.r, (t.s_guarded << 2) | 1, 14), seL4_FailedLookup, 0,
                   seL4_GuardMismatch, 2, 5, 4);
    /* 12 bits name the slot holding the CNode cap; the lookup does not descend. */
    keel_model_cap_info held;
    assert_int_equal(keel_model_cap_at(t.r, t.s_guarded, 12, &held), 0);
    assert_int_equal(held.type, KEEL_MODEL_CAP_CNODE);
    assert_int_equal(held.guard, 5);
    /* The guarded cap as the invoked CNode: 8 bits address its slots. */
    EXPECT_OK(seL4_CNode_Copy(t.s_guarded, (5u << 4) | 9, 8, CONF_ROOT, ep, 64, seL4_AllRights));
    assert_int_equal(keel_model_cap_at(t.s, 9, 4, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_ENDPOINT);
    EXPECT_ERR_MRS(seL4_CNode_Delete(t.s_guarded, 5, 4), seL4_FailedLookup, 0, seL4_DepthMismatch,
                   4, 8);
    EXPECT_ERR_MRS(seL4_CNode_Delete(t.s_guarded, 6, 4), seL4_FailedLookup, 0, seL4_GuardMismatch,
                   4, 5, 4);
    EXPECT_ERR_MRS(seL4_CNode_Delete(t.s_guarded, (6u << 4) | 9, 8), seL4_FailedLookup, 0,
                   seL4_GuardMismatch, 8, 5, 4);
    /* Retype into C2, naming it through R at depth 12. */
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_NotificationObject, 0, t.r, t.s_guarded, 12, 10, 2));
    assert_int_equal(keel_model_cap_at(t.s, 11, 4, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_NOTIFICATION);
    /* Three levels: C3 (radix 2) in C2[13]; its slot m is 12 + 8 + 2 = 22 bits away. */
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_CapTableObject, 2, CONF_ROOT, t.s, 64, 13, 1));
    seL4_Word c3_slot2 = (via_guarded(&t, 13) << 2) | 2;
    EXPECT_OK(seL4_CNode_Copy(t.r, c3_slot2, 22, CONF_ROOT, ep, 64, seL4_CanRead));
    assert_int_equal(keel_model_cap_at(t.r, c3_slot2, 22, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(in.rights, seL4_CanRead.words[0]);
    /* One bit more: the walk ends at C3's slot (an endpoint) with a bit to spare. */
    EXPECT_ERR_MRS(seL4_CNode_Delete(t.r, c3_slot2 << 1, 23), seL4_FailedLookup, 0,
                   seL4_DepthMismatch, 1, 0);
    MODEL_CHECK();
}

static void guard_and_radix_beyond_64(void **state)
{
    (void)state;
    struct two_level t = build_two_level();
    seL4_Word too_big = seL4_CNode_CapData_new(0, 61).words[0]; /* 61 + 4 > 64 */
    seL4_Word fits = seL4_CNode_CapData_new(0, 60).words[0];
    EXPECT_ERR(conf_mint(e, t.s, seL4_AllRights, too_big), seL4_IllegalOperation);
    EXPECT_ERR(conf_mutate(e, t.s_guarded, too_big), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(e, too_big, t.s, 0, t.s_guarded), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(e, 0, t.s, too_big, t.s_guarded), seL4_IllegalOperation);
    EXPECT_OK(conf_mint(e, t.s, seL4_AllRights, fits));
    assert_int_equal(conf_cap(e).guard_size, 60);
}

/* ---- Invoked CPtrs through two levels (TCB_SetSpace on the root thread) ---------------------- */

static void full_depth_cptrs_through_two_levels(void **state)
{
    (void)state;
    struct two_level t = build_two_level();
    /* An untyped V in C2[7], made through the root (depth 64 names slot S). */
    EXPECT_OK(seL4_Untyped_Retype(u, seL4_UntypedObject, 10, CONF_ROOT, t.s, 64, 7, 1));
    /* A copy of C2 whose guard cannot fit in what is left after the first level. */
    seL4_CPtr s_long = e + 13;
    EXPECT_OK(conf_mint(s_long, t.s, seL4_AllRights, seL4_CNode_CapData_new(0, 5).words[0]));
    /* A full-depth lookup descends into every CNode cap while bits are left, so a CNode cap
     * can be named (as an extra cap) only where the bits run out exactly: at the second level.
     * C2[14] holds the root CNode's cap, C2[12] C2's own. */
    EXPECT_OK(seL4_CNode_Copy(t.s, 14, 4, CONF_ROOT, CONF_ROOT, 64, seL4_AllRights));
    EXPECT_OK(seL4_CNode_Copy(t.s, 12, 4, CONF_ROOT, t.s, 64, seL4_AllRights));

    /* Root CSpace: the root CNode with a 44-bit guard, so 12 + 44 = 56 bits and 8 are left
     * for a second level. From here on, root slot k is CPtr k << 8. */
    EXPECT_OK(seL4_TCB_SetSpace(seL4_CapInitThreadTCB, 0, CONF_ROOT,
                                seL4_CNode_CapData_new(0, 44).words[0], seL4_CapInitThreadVSpace,
                                0));
#define ROOT(k) ((seL4_CPtr)(k) << 8)
    seL4_CPtr root_cnode = via_guarded(&t, 14), c2 = via_guarded(&t, 12);
    assert_int_equal(conf_cap(root_cnode).type, KEEL_MODEL_CAP_CNODE);
    assert_int_equal(conf_cap(root_cnode).radix, 12);
    assert_int_equal(conf_cap(ROOT(ep)).type, KEEL_MODEL_CAP_ENDPOINT);
    /* Old-style CPtrs below 256 land in slot 0 with 8 bits to spare (allowed at full depth). */
    assert_int_equal(conf_cap(seL4_CapInitThreadTCB).type, KEEL_MODEL_CAP_NULL);
    /* The root CNode's own slot now descends into a cap whose guard (52) cannot fit. */
    keel_model_cap_info in;
    assert_int_equal(keel_model_cap(ROOT(CONF_ROOT), &in), -1);

    /* V through the guarded second level, and through the unguarded one (4 bits to spare). */
    seL4_CPtr v = via_guarded(&t, 7);
    assert_int_equal(conf_cap(v).type, KEEL_MODEL_CAP_UNTYPED);
    EXPECT_OK(seL4_Untyped_Retype(v, seL4_EndpointObject, 0, root_cnode, 0, 0, e + 20, 1));
    assert_int_equal(conf_cap(ROOT(e + 20)).type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(conf_cap(ROOT(e + 20)).paddr, conf_cap(v).paddr);
    seL4_CPtr v_plain = ROOT(t.s) | (7u << 4) | 0xf;
    EXPECT_OK(seL4_Untyped_Retype(v_plain, seL4_EndpointObject, 0, root_cnode, 0, 0, e + 21, 1));
    assert_int_equal(conf_cap(ROOT(e + 21)).paddr, conf_cap(v).paddr + 16);
    /* Extra caps are full-depth lookups too: C2 as the Retype root. */
    EXPECT_OK(seL4_Untyped_Retype(v, seL4_EndpointObject, 0, c2, 0, 0, 8, 1));
    assert_int_equal(keel_model_cap_at(c2, 8, 4, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_ENDPOINT);

    /* keel_model_cdt_children() names children by CPtrs of the current CSpace: each one
     * resolves to the child (V's three endpoints: in C2[8], and root slots e+21, e+20). */
    keel_model_slot kids[4];
    assert_int_equal(keel_model_cdt_children(v, false, kids, 4), 3);
    seL4_Word want_paddr[] = {conf_cap(v).paddr + 32, conf_cap(v).paddr + 16, conf_cap(v).paddr};
    for (int i = 0; i < 3; i++) {
        assert_int_not_equal(kids[i].cptr, 0);
        keel_model_cap_info kid = conf_cap(kids[i].cptr);
        assert_int_equal(kid.type, KEEL_MODEL_CAP_ENDPOINT);
        assert_int_equal(kid.paddr, want_paddr[i]);
    }
    assert_int_equal(kids[0].index, 8);
    assert_int_equal(kids[0].container, conf_cap(c2).paddr);
    assert_false(kids[0].in_tcb);
    assert_int_equal(kids[1].cptr, ROOT(e + 21));

    /* Lookup failures of the invoked CPtr are cap faults with the resolution's details. */
    seL4_CPtr wrong_guard = ROOT(t.s_guarded) | (6u << 4) | 7;
    EXPECT_CAP_FAULT(
        seL4_Untyped_Retype(wrong_guard, seL4_EndpointObject, 0, root_cnode, 0, 0, e + 22, 1));
    assert_int_equal(model_test_last_fault.cptr, wrong_guard);
    assert_false(model_test_last_fault.in_recv_phase);
    assert_int_equal(model_test_last_fault.lookup[0], seL4_GuardMismatch);
    assert_int_equal(model_test_last_fault.lookup[1], 8);
    assert_int_equal(model_test_last_fault.lookup[2], 5);
    assert_int_equal(model_test_last_fault.lookup[3], 4);
    seL4_CPtr too_deep = ROOT(s_long);
    EXPECT_CAP_FAULT(seL4_CNode_Delete(too_deep, 0, 64));
    assert_int_equal(model_test_last_fault.cptr, too_deep);
    assert_int_equal(model_test_last_fault.lookup[0], seL4_DepthMismatch);
    assert_int_equal(model_test_last_fault.lookup[1], 8);
    assert_int_equal(model_test_last_fault.lookup[2], 9);
    EXPECT_CAP_FAULT(seL4_CNode_Delete(1ul << 60, 0, 64));
    assert_int_equal(model_test_last_fault.lookup[0], seL4_GuardMismatch);
    assert_int_equal(model_test_last_fault.lookup[1], 64);
    assert_int_equal(model_test_last_fault.lookup[2], 0);
    assert_int_equal(model_test_last_fault.lookup[3], 44);
    assert_true(conf_is_empty(ROOT(e + 22)));

    /* Back to the boot CSpace. */
    EXPECT_OK(seL4_TCB_SetSpace(ROOT(seL4_CapInitThreadTCB), 0, root_cnode,
                                seL4_CNode_CapData_new(0, 52).words[0],
                                ROOT(seL4_CapInitThreadVSpace), 0));
#undef ROOT
    assert_int_equal(conf_cap(ep).type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(conf_cap(e + 20).type, KEEL_MODEL_CAP_ENDPOINT);
    EXPECT_OK(conf_revoke(u));
    MODEL_CHECK();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(root_cnode_guard, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(remaining_bits_are_a_depth_mismatch, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(two_level_cnode_operations, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(guard_and_radix_beyond_64, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(full_depth_cptrs_through_two_levels, setup, conf_teardown),
    };
    return cmocka_run_group_tests_name("model.cspace", tests, NULL, NULL);
}
