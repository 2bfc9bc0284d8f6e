/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The capability derivation tree (sel4-semantics §4.5): the CNode/CDT test vectors of §6.4,
 * one test per row (each replays the rows before it), the derived facts listed in §4.5, the
 * first-badged rule when a badged original is deleted, and the boot-time roots (§9.1).
 *
 * U is the 4 KiB RAM untyped at 0x1ffcb000; A is an endpoint retyped from it; the other caps
 * of the vectors are named as in the spec.
 */
#include "conf.h"

#define BASE 0x1ffcb000ul

static seL4_BootInfo *bi;
static seL4_CPtr U, A, B, C, D, E, X, Y, R0, R1, U2, U3;

static int setup(void **state)
{
    (void)state;
    bi = model_test_boot(NULL);
    U = conf_untyped_at(bi, BASE);
    seL4_CPtr s = bi->empty.start;
    A = s++;
    B = s++;
    C = s++;
    D = s++;
    E = s++;
    X = s++;
    Y = s++;
    R0 = s++;
    R1 = s++;
    U2 = s++;
    U3 = s++;
    EXPECT_OK(conf_retype(U, seL4_EndpointObject, 0, A, 1));
    assert_true(conf_cap(A).original);
    EXPECT_CHILDREN(U, false, A);
    return 0;
}

/* ---- §6.4, row by row ------------------------------------------------------------------------ */

static void row1(void)
{
    /* Copy A->B: B is a child of A, not original. */
    EXPECT_OK(conf_copy(B, A, seL4_AllRights));
    assert_false(conf_cap(B).original);
    EXPECT_CHILDREN(A, false, B);
}

static void row2(void)
{
    /* Copy B->E: E is a sibling of B (parent A); children of non-originals are never made. */
    EXPECT_OK(conf_copy(E, B, seL4_AllRights));
    assert_false(conf_cap(E).original);
    EXPECT_CHILDREN(A, false, B, E);
    EXPECT_NO_CHILDREN(B);
}

static void row3(void)
{
    /* Mint A->C badge 5: C is original and a child of A. */
    EXPECT_OK(conf_mint(C, A, seL4_AllRights, 5));
    keel_model_cap_info c = conf_cap(C);
    assert_true(c.original);
    assert_int_equal(c.badge, 5);
    EXPECT_CHILDREN(A, false, C, B, E);
}

static void row4(void)
{
    /* Copy C->D, rights masked to Write: D is a child of C, badge 5, Send only. */
    EXPECT_OK(conf_copy(D, C, seL4_CanWrite));
    keel_model_cap_info d = conf_cap(D);
    assert_false(d.original);
    assert_int_equal(d.badge, 5);
    assert_int_equal(d.rights, seL4_CanWrite.words[0]);
    EXPECT_CHILDREN(C, false, D);
    EXPECT_CHILDREN(A, false, C, B, E);
    EXPECT_CHILDREN(A, true, C, D, B, E);
}

static void row5(void)
{
    /* Mint C->X badge 6: C is already badged. */
    EXPECT_ERR(conf_mint(X, C, seL4_AllRights, 6), seL4_IllegalOperation);
    EXPECT_ERR(conf_mint(X, C, seL4_AllRights, 0), seL4_IllegalOperation);
    EXPECT_ERR(conf_mint(X, D, seL4_AllRights, 6), seL4_IllegalOperation);
    assert_true(conf_is_empty(X));
}

static void row6(void)
{
    /* Mutate A->Y, any data: an endpoint cap. */
    EXPECT_ERR(conf_mutate(Y, A, 0), seL4_IllegalOperation);
    EXPECT_ERR(conf_mutate(Y, A, 77), seL4_IllegalOperation);
    assert_true(conf_is_empty(Y));
    assert_false(conf_is_empty(A));
}

static void row7(void)
{
    /* Rotate involving C, as source or as pivot. */
    /* (With an empty pivot, the empty-pivot check comes first.) */
    EXPECT_ERR_MRS(conf_rotate(Y, 0, X, 0, C), seL4_FailedLookup, 0, seL4_MissingCapability, 64);
    EXPECT_OK(conf_retype(conf_untyped_at(bi, 0x1ffcc000ul), seL4_X86_4K, 0, X, 1));
    EXPECT_ERR(conf_rotate(Y, 0, X, 0, C), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(Y, 0, C, 0, X), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(C, 0, X, 0, C), seL4_IllegalOperation);
    EXPECT_OK(conf_delete(X));
    assert_int_equal(conf_cap(C).badge, 5);
}

static void row8(void)
{
    /* Revoke C: deletes D only; the endpoint survives (not final). */
    size_t eps = keel_model_object_count(seL4_EndpointObject);
    EXPECT_OK(conf_revoke(C));
    assert_true(conf_is_empty(D));
    assert_false(conf_is_empty(C));
    EXPECT_NO_CHILDREN(C);
    EXPECT_CHILDREN(A, true, C, B, E);
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps);
}

static void row9(void)
{
    /* Delete A: only A's slot is emptied (not final); B, C, E now have parent U. */
    size_t eps = keel_model_object_count(seL4_EndpointObject);
    EXPECT_OK(conf_delete(A));
    assert_true(conf_is_empty(A));
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps);
    EXPECT_CHILDREN(U, false, C, B, E);
}

static void row10(void)
{
    /* Retype from U: no reset (U still has children). */
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(seL4_Untyped_Retype(U, seL4_EndpointObject, 0, CONF_ROOT, 0, 0, R0, 2));
    assert_int_equal(conf_bytes_zeroed(), z);
    assert_int_equal(conf_cap(R0).paddr, BASE + 16);
    assert_int_equal(conf_cap(R1).paddr, BASE + 32);
    EXPECT_CHILDREN(U, false, R1, R0, C, B, E);
}

static void row11(void)
{
    /* Revoke U: the caps of the last retype (newest first), then C, B, E; the last of C, B,
     * E is final and destroys A's endpoint. The watermark stays. */
    EXPECT_CHILDREN(U, true, R1, R0, C, B, E);
    size_t eps = keel_model_object_count(seL4_EndpointObject);
    keel_model_counters before, after;
    keel_model_counters_get(&before);
    EXPECT_OK(conf_revoke(U));
    keel_model_counters_get(&after);
    assert_int_equal(after.caps_deleted - before.caps_deleted, 5);
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps - 3);
    EXPECT_NO_CHILDREN(U);
    seL4_CPtr gone[] = {R1, R0, C, B, E};
    for (size_t i = 0; i < CONF_ARRAY_LEN(gone); i++) {
        assert_true(conf_is_empty(gone[i]));
    }
    assert_int_equal(conf_cap(U).watermark, 48);
}

static void row12(void)
{
    /* Copy U->U2 with no children: U2 is U's child, U is full; Retype on U fails, on U2
     * resets and works. */
    EXPECT_OK(conf_copy(U2, U, seL4_AllRights));
    EXPECT_CHILDREN(U, false, U2);
    assert_int_equal(conf_cap(U).watermark, 4096);
    assert_int_equal(conf_cap(U2).watermark, 48);
    EXPECT_ERR_MRS(conf_retype(U, seL4_EndpointObject, 0, A, 1), seL4_NotEnoughMemory, 0);
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(conf_retype(U2, seL4_EndpointObject, 0, A, 1));
    assert_int_equal(conf_bytes_zeroed() - z, 256);
    assert_int_equal(conf_cap(A).paddr, BASE);
    EXPECT_CHILDREN(U2, false, A);
    EXPECT_CHILDREN(U, true, U2, A);
}

static void row13(void)
{
    /* Copy U->U3 while U has children: RevokeFirst. */
    EXPECT_ERR(conf_copy(U3, U, seL4_AllRights), seL4_RevokeFirst);
    EXPECT_ERR(conf_copy(U3, U2, seL4_AllRights), seL4_RevokeFirst);
    assert_true(conf_is_empty(U3));
}

typedef void (*row_fn)(void);
static const row_fn rows[] = {row1, row2, row3,  row4,  row5,  row6, row7,
                              row8, row9, row10, row11, row12, row13};

static void run_rows(size_t n)
{
    for (size_t i = 0; i < n; i++) {
        rows[i]();
        MODEL_CHECK();
    }
}

#define ROW_TEST(n)                                                                                \
    static void vector_row##n(void **state)                                                        \
    {                                                                                              \
        (void)state;                                                                               \
        run_rows(n);                                                                               \
    }
ROW_TEST(1)
ROW_TEST(2)
ROW_TEST(3)
ROW_TEST(4)
ROW_TEST(5)
ROW_TEST(6)
ROW_TEST(7)
ROW_TEST(8)
ROW_TEST(9)
ROW_TEST(10)
ROW_TEST(11)
ROW_TEST(12)
ROW_TEST(13)

/* ---- §4.5: derived facts --------------------------------------------------------------------- */

static void copies_of_badged_caps(void **state)
{
    (void)state;
    /* Copies of an original badged cap that keep the badge are its children; copies of a
     * non-original badged cap are its siblings. */
    EXPECT_OK(conf_mint(C, A, seL4_AllRights, 5));
    EXPECT_OK(conf_copy(D, C, seL4_AllRights));
    EXPECT_OK(conf_copy(E, D, seL4_AllRights));
    EXPECT_CHILDREN(C, false, D, E);
    EXPECT_NO_CHILDREN(D);
    EXPECT_CHILDREN(A, false, C);
    /* Notifications follow the same rules. */
    seL4_CPtr n = X, nb = Y, nc = R0;
    EXPECT_OK(conf_retype(conf_untyped_at(bi, 0x1ffcc000ul), seL4_NotificationObject, 0, n, 1));
    EXPECT_OK(conf_mint(nb, n, seL4_AllRights, 0x80));
    EXPECT_OK(conf_copy(nc, nb, seL4_AllRights));
    assert_true(conf_cap(nb).original);
    assert_false(conf_cap(nc).original);
    assert_int_equal(conf_cap(nc).badge, 0x80);
    EXPECT_CHILDREN(n, false, nb);
    EXPECT_CHILDREN(nb, false, nc);
    /* Copying an untyped always gives a child, and it is original. */
    EXPECT_OK(conf_revoke(U));
    EXPECT_OK(conf_copy(U2, U, seL4_NoRights));
    assert_true(conf_cap(U2).original);
    EXPECT_CHILDREN(U, false, U2);
}

static void deleting_a_badged_original_keeps_badges_apart(void **state)
{
    (void)state;
    /* A unbadged; S1, S2 badge-5 originals minted from it; D a copy of S1. Deleting S1 must
     * not make S2 D's parent: D's parent becomes A (the first-badged bit moves up). */
    seL4_CPtr S1 = B, S2 = C;
    EXPECT_OK(conf_mint(S1, A, seL4_AllRights, 5));
    EXPECT_OK(conf_mint(S2, A, seL4_AllRights, 5));
    EXPECT_OK(conf_copy(D, S1, seL4_AllRights));
    EXPECT_CHILDREN(A, false, S2, S1);
    EXPECT_CHILDREN(S1, false, D);
    EXPECT_NO_CHILDREN(S2);
    EXPECT_OK(conf_delete(S1));
    EXPECT_CHILDREN(A, false, S2, D);
    EXPECT_NO_CHILDREN(S2);
    /* So revoking S2 leaves D alone; revoking A takes both. */
    EXPECT_OK(conf_revoke(S2));
    assert_false(conf_is_empty(D));
    EXPECT_OK(conf_revoke(A));
    assert_true(conf_is_empty(D));
    assert_true(conf_is_empty(S2));
    MODEL_CHECK();
}

static void descendants_in_pre_order(void **state)
{
    (void)state;
    seL4_CPtr F = R0, F2 = R1;
    EXPECT_OK(conf_retype(U, seL4_CapTableObject, 2, F, 1)); /* U, F, A */
    EXPECT_OK(conf_copy(B, A, seL4_AllRights));              /* A, B */
    EXPECT_OK(conf_mint(C, A, seL4_AllRights, 3));           /* A, C, B */
    EXPECT_OK(conf_copy(D, C, seL4_AllRights));              /* C, D, B */
    EXPECT_OK(conf_copy(F2, F, seL4_AllRights));             /* F, F2 */
    EXPECT_CHILDREN(U, false, F, A);
    EXPECT_CHILDREN(U, true, F, F2, A, C, D, B);
    EXPECT_CHILDREN(A, false, C, B);
    EXPECT_CHILDREN(A, true, C, D, B);
    EXPECT_CHILDREN(F, false, F2);
    /* A cap moved keeps its place; a deleted cap's children take its place. */
    EXPECT_OK(conf_move(X, C));
    EXPECT_CHILDREN(U, true, F, F2, A, X, D, B);
    EXPECT_OK(conf_delete(X));
    EXPECT_CHILDREN(A, false, D, B);
    EXPECT_OK(conf_delete(A));
    EXPECT_CHILDREN(U, false, F, D, B);
}

static void deleting_a_root_orphans_its_children(void **state)
{
    (void)state;
    /* A boot untyped is a CDT root: deleting it leaves its children parentless, alive. */
    size_t eps = keel_model_object_count(seL4_EndpointObject);
    EXPECT_OK(conf_copy(B, A, seL4_AllRights));
    EXPECT_OK(conf_delete(U));
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps);
    assert_true(conf_cap(A).original);
    EXPECT_CHILDREN(A, false, B);
    EXPECT_OK(conf_delete(A));
    EXPECT_OK(conf_delete(B));
    assert_int_equal(keel_model_object_count(seL4_EndpointObject), eps - 1);
}

static void untyped_child_deleted(void **state)
{
    (void)state;
    /* An untyped's children become its parent's children when it is deleted (§7.2). */
    seL4_CPtr big = conf_untyped_at(bi, 0x1ffd0000ul);
    seL4_CPtr v = X;
    EXPECT_OK(conf_retype(big, seL4_UntypedObject, 12, v, 1));
    EXPECT_OK(conf_retype(v, seL4_EndpointObject, 0, R0, 2));
    EXPECT_CHILDREN(big, false, v);
    EXPECT_OK(conf_delete(v));
    EXPECT_CHILDREN(big, false, R1, R0);
    EXPECT_OK(conf_revoke(big));
    assert_true(conf_is_empty(R0));
    assert_true(conf_is_empty(R1));
}

static void boot_caps_are_roots(void **state)
{
    (void)state;
    /* §9.1: all boot caps are original roots; the root TCB's own CSpace, VSpace and IPC buffer
     * caps are children of slots 2, 3 and 10. */
    static const seL4_CPtr with_tcb_child[] = {seL4_CapInitThreadCNode, seL4_CapInitThreadVSpace,
                                               seL4_CapInitThreadIPCBuffer};
    for (size_t i = 0; i < CONF_ARRAY_LEN(with_tcb_child); i++) {
        keel_model_slot slots[4];
        assert_int_equal(keel_model_cdt_children(with_tcb_child[i], true, slots, 4), 1);
        assert_true(slots[0].in_tcb);
        assert_int_equal(slots[0].cptr, 0);
        assert_true(conf_cap(with_tcb_child[i]).original);
    }
    static const seL4_CPtr childless[] = {seL4_CapInitThreadTCB, seL4_CapIRQControl,
                                          seL4_CapASIDControl,   seL4_CapInitThreadASIDPool,
                                          seL4_CapIOPortControl, seL4_CapBootInfoFrame,
                                          seL4_CapDomain};
    for (size_t i = 0; i < CONF_ARRAY_LEN(childless); i++) {
        EXPECT_NO_CHILDREN(childless[i]);
        assert_true(conf_cap(childless[i]).original);
    }
    for (seL4_CPtr s = bi->userImagePaging.start; s < bi->userImageFrames.end; s++) {
        EXPECT_NO_CHILDREN(s);
        assert_true(conf_cap(s).original);
    }
    for (seL4_CPtr s = bi->untyped.start; s < bi->untyped.end; s++) {
        assert_true(conf_cap(s).original);
        if (s != U) {
            EXPECT_NO_CHILDREN(s);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(vector_row1, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row2, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row3, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row4, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row5, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row6, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row7, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row8, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row9, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row10, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row11, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row12, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(vector_row13, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(copies_of_badged_caps, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(deleting_a_badged_original_keeps_badges_apart, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(descendants_in_pre_order, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(deleting_a_root_orphans_its_children, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(untyped_child_deleted, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(boot_caps_are_roots, setup, conf_teardown),
    };
    return cmocka_run_group_tests_name("model.cdt", tests, NULL, NULL);
}
