/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CNode invocations (sel4-semantics §6.1-§6.3): the common prefix C1-C3, then Copy, Mint, Move
 * and Mutate, Rotate, Delete, Revoke, CancelBadgedSends and SaveCaller, each check with its
 * error and detail words and in its order (pairs of violations get the earlier error), and
 * the effect of each operation on slots and on the derivation tree. Truncated messages are
 * hand-made seL4_Call messages.
 */
#include "conf.h"

static seL4_BootInfo *bi;
static seL4_CPtr u, e, ep, ntfn;

static int setup(void **state)
{
    (void)state;
    bi = model_test_boot(NULL);
    u = conf_untyped_at(bi, 0x1ffcc000ul); /* 16 KiB of RAM */
    e = bi->empty.start;
    /* Slots e+100.. hold objects the tests use as sources. */
    ep = e + 100;
    ntfn = e + 101;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, ep, 1));
    EXPECT_OK(conf_retype(u, seL4_NotificationObject, 0, ntfn, 1));
    return 0;
}

static const seL4_Word cnode_labels[] = {CNodeRevoke, CNodeDelete, CNodeCancelBadgedSends,
                                         CNodeCopy,   CNodeMint,   CNodeMove,
                                         CNodeMutate, CNodeRotate, CNodeSaveCaller};

/* A CNode call as the stubs pack it (§2.10), with every word and cap given. */
struct ccall {
    seL4_Word label, length, extra;
    seL4_Word w[8];
    seL4_CPtr caps[2];
};

static seL4_Error ccall_do(const struct ccall *c, seL4_Word *reply_len)
{
    return conf_call(CONF_ROOT, c->label, c->w, 8, c->length, c->caps, 2, c->extra, reply_len);
}

/* The stub's own message for each label, addressing dest, src (and pivot for Rotate). */
static struct ccall ccall_for(seL4_Word label, seL4_CPtr dest, seL4_CPtr src, seL4_CPtr pivot)
{
    struct ccall c;
    memset(&c, 0, sizeof(c));
    c.label = label;
    c.w[0] = dest;
    c.w[1] = 64;
    c.caps[0] = CONF_ROOT;
    c.caps[1] = CONF_ROOT;
    switch (label) {
    case CNodeCopy:
    case CNodeMint:
    case CNodeMove:
    case CNodeMutate:
        c.w[2] = src;
        c.w[3] = 64;
        c.w[4] = label == CNodeMutate ? 0 : seL4_AllRights.words[0];
        c.w[5] = 0;
        c.length = label == CNodeCopy ? 5 : label == CNodeMint ? 6 : label == CNodeMove ? 4 : 5;
        c.extra = 1;
        break;
    case CNodeRotate:
        c.w[2] = 0;
        c.w[3] = pivot;
        c.w[4] = 64;
        c.w[5] = 0;
        c.w[6] = src;
        c.w[7] = 64;
        c.length = 8;
        c.extra = 2;
        break;
    default:
        c.length = 2;
        c.extra = 0;
        break;
    }
    return c;
}

static void expect_call_fails(const char *file, int line, const struct ccall *c, seL4_Error code,
                              const seL4_Word *mrs, size_t n)
{
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    char what[64];
    (void)snprintf(what, sizeof(what), "CNode invocation (label %lu)", c->label);
    seL4_Word len = 99;
    seL4_Error err = ccall_do(c, &len);
    conf_expect_error(file, line, what, err, code);
    conf_expect_mrs(file, line, what, mrs, n);
    if (len != n) {
        fail_msg("%s:%d: %s: reply length %lu, expected %zu", file, line, what, len, n);
    }
    model_test_leak_check(&snap, file, line);
}

#define EXPECT_CALL_FAILS(c, code, ...)                                                            \
    do {                                                                                           \
        const seL4_Word mrs_[] = {__VA_ARGS__};                                                    \
        expect_call_fails(__FILE__, __LINE__, (c), (code), mrs_, CONF_ARRAY_LEN(mrs_));            \
    } while (0)
#define EXPECT_CALL_FAILS_NO_MRS(c, code)                                                          \
    expect_call_fails(__FILE__, __LINE__, (c), (code), NULL, 0)

/* ---- C1-C3: the common prefix ---------------------------------------------------------------- */

static void c1_label_outside_cnode_range(void **state)
{
    (void)state;
    static const seL4_Word bad[] = {InvalidInvocation,  UntypedRetype, TCBSetSpace, TCBSetFlags,
                                    IRQIssueIRQHandler, DomainSetSet,  X86PageMap,  1000};
    for (size_t i = 0; i < CONF_ARRAY_LEN(bad); i++) {
        struct ccall c = ccall_for(CNodeCopy, e, ep, 0);
        c.label = bad[i];
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_IllegalOperation);
        /* Before the length check. */
        c.length = 0;
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_IllegalOperation);
    }
}

static void c2_length_below_two(void **state)
{
    (void)state;
    for (size_t i = 0; i < CONF_ARRAY_LEN(cnode_labels); i++) {
        for (seL4_Word len = 0; len < 2; len++) {
            struct ccall c = ccall_for(cnode_labels[i], e, ep, ntfn);
            c.length = len;
            c.w[1] = 0; /* a bad depth too: the length is checked first */
            EXPECT_CALL_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
        }
    }
}

static void c3_destination_lookup(void **state)
{
    (void)state;
    for (size_t i = 0; i < CONF_ARRAY_LEN(cnode_labels); i++) {
        seL4_Word label = cnode_labels[i];
        struct ccall c = ccall_for(label, e, ep, ntfn);
        c.w[1] = 0;
        EXPECT_CALL_FAILS(&c, seL4_RangeError, 1, 64);
        c.w[1] = 65;
        EXPECT_CALL_FAILS(&c, seL4_RangeError, 1, 64);
        c.w[1] = 64;
        c.w[0] = 1ul << 20;
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 0, seL4_GuardMismatch, 64, 0, 52);
        c.w[0] = e;
        c.w[1] = 12;
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 0, seL4_GuardMismatch, 12, 0, 52);
        c.w[1] = 60;
        c.w[0] = 3;
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 0, seL4_DepthMismatch, 60, 64);
        /* Before the operation's own checks: a short message with a bad destination. */
        if (c.length > 2) {
            c = ccall_for(label, e, ep, ntfn);
            c.length = 2;
            c.extra = 0;
            c.w[1] = 0;
            EXPECT_CALL_FAILS(&c, seL4_RangeError, 1, 64);
        }
    }
}

/* ---- §6.1: Copy, Mint, Move, Mutate ---------------------------------------------------------- */

static const seL4_Word copy_labels[] = {CNodeCopy, CNodeMint, CNodeMove, CNodeMutate};

static void copy_family_truncated(void **state)
{
    (void)state;
    seL4_CPtr occupied = e + 1;
    EXPECT_OK(conf_copy(occupied, ntfn, seL4_AllRights));
    for (size_t i = 0; i < CONF_ARRAY_LEN(copy_labels); i++) {
        struct ccall c = ccall_for(copy_labels[i], e, ep, 0);
        c.length = 3;
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
        c.length = 4;
        c.extra = 0;
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
        /* Before DeleteFirst. */
        c = ccall_for(copy_labels[i], occupied, ep, 0);
        c.length = 3;
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
    }
}

static void copy_family_destination_not_empty(void **state)
{
    (void)state;
    seL4_CPtr occupied = e + 1;
    EXPECT_OK(conf_copy(occupied, ntfn, seL4_AllRights));
    for (size_t i = 0; i < CONF_ARRAY_LEN(copy_labels); i++) {
        struct ccall c = ccall_for(copy_labels[i], occupied, ep, 0);
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_DeleteFirst);
        /* Before the source lookup, the empty-source check and the per-operation length. */
        c.caps[0] = ep;
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_DeleteFirst);
        c = ccall_for(copy_labels[i], occupied, e + 2, 0);
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_DeleteFirst);
        c.length = 4;
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_DeleteFirst);
    }
    /* Moving or copying a cap to its own slot: the destination is not empty (§13.4). */
    EXPECT_ERR(conf_move(ep, ep), seL4_DeleteFirst);
    EXPECT_ERR(conf_mutate(ep, ep, 0), seL4_DeleteFirst);
    EXPECT_ERR(conf_copy(ep, ep, seL4_AllRights), seL4_DeleteFirst);
    EXPECT_ERR(conf_mint(ep, ep, seL4_AllRights, 1), seL4_DeleteFirst);
}

static void copy_family_source_lookup(void **state)
{
    (void)state;
    for (size_t i = 0; i < CONF_ARRAY_LEN(copy_labels); i++) {
        struct ccall c = ccall_for(copy_labels[i], e, ep, 0);
        /* The root is not a CNode: wasSource = 1, InvalidRoot. Checked before the depth. */
        c.caps[0] = ep;
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_InvalidRoot);
        c.w[3] = 0;
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_InvalidRoot);
        c.caps[0] = e + 50; /* an empty slot as the root */
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_InvalidRoot);
        c.caps[0] = CONF_ROOT;
        EXPECT_CALL_FAILS(&c, seL4_RangeError, 1, 64);
        c.w[3] = 65;
        EXPECT_CALL_FAILS(&c, seL4_RangeError, 1, 64);
        c.w[3] = 64;
        c.w[2] = 1ul << 30;
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_GuardMismatch, 64, 0, 52);
        c.w[2] = ep;
        c.w[3] = 63;
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_DepthMismatch, 63, 64);
        /* Before the empty-source check and the per-operation length. */
        c.w[2] = e + 50;
        c.length = 4;
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_DepthMismatch, 63, 64);
    }
}

static void copy_family_source_empty(void **state)
{
    (void)state;
    for (size_t i = 0; i < CONF_ARRAY_LEN(copy_labels); i++) {
        struct ccall c = ccall_for(copy_labels[i], e, e + 50, 0);
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_MissingCapability, 64);
        /* Before the per-operation length check. */
        c.length = 4;
        EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_MissingCapability, 64);
    }
    /* Move to the same slot when that slot is empty: the source is empty. */
    EXPECT_ERR_MRS(conf_move(e, e), seL4_FailedLookup, 1, seL4_MissingCapability, 64);
}

static void copy_family_operation_length(void **state)
{
    (void)state;
    struct ccall c = ccall_for(CNodeCopy, e, ep, 0);
    c.length = 4;
    EXPECT_CALL_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
    c = ccall_for(CNodeMint, e, ep, 0);
    c.length = 5;
    EXPECT_CALL_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
    c = ccall_for(CNodeMutate, e, e + 1, 0);
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, e + 1, 1));
    c.length = 4;
    EXPECT_CALL_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
    /* Move needs no more than 4 words. */
    c = ccall_for(CNodeMove, e, e + 1, 0);
    seL4_Word len = 99;
    EXPECT_OK(ccall_do(&c, &len));
    assert_int_equal(len, 0);
    assert_int_equal(conf_cap(e).type, KEEL_MODEL_CAP_FRAME);
    assert_true(conf_is_empty(e + 1));
}

static void copy_family_empty_result(void **state)
{
    (void)state;
    /* IRQControl and IOPortControl derive to nothing: Copy and Mint fail; Move does not derive. */
    EXPECT_ERR(conf_copy(e, seL4_CapIRQControl, seL4_AllRights), seL4_IllegalOperation);
    EXPECT_ERR(conf_mint(e, seL4_CapIRQControl, seL4_AllRights, 0), seL4_IllegalOperation);
    EXPECT_ERR(conf_copy(e, seL4_CapIOPortControl, seL4_AllRights), seL4_IllegalOperation);
    assert_true(conf_is_empty(e));
    EXPECT_OK(conf_move(e, seL4_CapIRQControl));
    assert_int_equal(conf_cap(e).type, KEEL_MODEL_CAP_IRQ_CONTROL);
    EXPECT_OK(conf_mutate(seL4_CapIRQControl, e, 0x1234));
    assert_int_equal(conf_cap(seL4_CapIRQControl).type, KEEL_MODEL_CAP_IRQ_CONTROL);
    assert_true(conf_cap(seL4_CapIRQControl).original);
}

static void copy_and_mint_effects(void **state)
{
    (void)state;
    seL4_CPtr b = e, c = e + 1, d = e + 2, x = e + 3;
    EXPECT_OK(conf_copy(b, ep, seL4_CapRights_new(0, 1, 1, 0)));
    keel_model_cap_info info = conf_cap(b);
    assert_int_equal(info.type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(info.paddr, conf_cap(ep).paddr);
    assert_int_equal(info.rights, seL4_CapRights_new(0, 1, 1, 0).words[0]);
    assert_false(info.original);
    assert_int_equal(info.badge, 0);
    /* Mint with badge 0 behaves like Copy: not original (the badge did not change). */
    EXPECT_OK(conf_mint(c, ep, seL4_AllRights, 0));
    assert_false(conf_cap(c).original);
    assert_int_equal(conf_cap(c).badge, 0);
    EXPECT_CHILDREN(ep, false, c, b);
    /* A non-zero badge makes an original; a full 64-bit badge is kept whole. */
    EXPECT_OK(conf_mint(d, ep, seL4_AllRights, ~0ul));
    assert_true(conf_cap(d).original);
    assert_int_equal(conf_cap(d).badge, ~0ul);
    EXPECT_CHILDREN(ep, false, d, c, b);
    /* Minting from the badge-0 copy c: c is unbadged, so it can be badged; the new cap is
     * original and becomes c's sibling. */
    EXPECT_OK(conf_mint(x, c, seL4_AllRights, 7));
    assert_true(conf_cap(x).original);
    assert_int_equal(conf_cap(x).badge, 7);
    EXPECT_CHILDREN(ep, false, d, c, x, b);
    EXPECT_NO_CHILDREN(c);
    /* A successful hand-made call replies with label 0, length 0. */
    struct ccall cc = ccall_for(CNodeCopy, e + 4, ep, 0);
    seL4_Word len = 99;
    EXPECT_OK(ccall_do(&cc, &len));
    assert_int_equal(len, 0);
}

static void move_and_mutate_effects(void **state)
{
    (void)state;
    seL4_CPtr b = e, m = e + 1, cn = e + 2, cn2 = e + 3, f = e + 4, f2 = e + 5;
    EXPECT_OK(conf_copy(b, ep, seL4_AllRights));
    /* Move keeps the original flag and the CDT position; the source becomes empty. */
    EXPECT_OK(conf_move(m, ep));
    assert_true(conf_is_empty(ep));
    assert_true(conf_cap(m).original);
    EXPECT_CHILDREN(m, false, b);
    EXPECT_CHILDREN(u, false, ntfn, m);
    EXPECT_OK(conf_move(ep, b));
    assert_false(conf_cap(ep).original);
    EXPECT_CHILDREN(m, false, ep);

    /* Mutate sets a CNode's guard (preserve = true works on CNodes) and keeps CDT position. */
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 2, cn, 1));
    EXPECT_OK(conf_mutate(cn2, cn, seL4_CNode_CapData_new(0x1ab, 8).words[0]));
    keel_model_cap_info info = conf_cap(cn2);
    assert_int_equal(info.type, KEEL_MODEL_CAP_CNODE);
    assert_int_equal(info.guard_size, 8);
    assert_int_equal(info.guard, 0xab); /* only guardSize bits are kept */
    assert_int_equal(info.radix, 2);
    assert_true(info.original);
    EXPECT_CHILDREN(u, false, cn2, ntfn, m);
    /* guardSize + radix = 64 is fine, 65 is not. */
    EXPECT_OK(conf_mutate(cn, cn2, seL4_CNode_CapData_new(0, 62).words[0]));
    assert_int_equal(conf_cap(cn).guard_size, 62);
    EXPECT_ERR(conf_mutate(cn2, cn, seL4_CNode_CapData_new(0, 63).words[0]), seL4_IllegalOperation);
    assert_int_equal(conf_cap(cn).guard_size, 62);
    /* Mutate with data 0 clears the guard. */
    EXPECT_OK(conf_mutate(cn2, cn, 0));
    assert_int_equal(conf_cap(cn2).guard_size, 0);

    /* Other types ignore the data word and simply move; there is no rights masking. */
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, f, 1));
    EXPECT_OK(conf_copy(f2, f, seL4_CanRead));
    EXPECT_OK(conf_mutate(e + 6, f2, ~0ul));
    assert_int_equal(conf_cap(e + 6).rights, KEEL_MODEL_VM_READ_ONLY);
    assert_false(conf_cap(e + 6).original);
    EXPECT_CHILDREN(f, false, e + 6);
    EXPECT_OK(conf_mutate(e + 7, u, 12345));
    assert_int_equal(conf_cap(e + 7).type, KEEL_MODEL_CAP_UNTYPED);
    assert_int_equal(conf_cap(e + 7).paddr, 0x1ffcc000ul);
    EXPECT_OK(conf_move(u, e + 7));

    /* Endpoints and notifications cannot be mutated at all, whatever the data (§4.4). */
    EXPECT_ERR(conf_mutate(e + 8, m, 0), seL4_IllegalOperation);
    EXPECT_ERR(conf_mutate(e + 8, ntfn, 5), seL4_IllegalOperation);
    EXPECT_ERR(conf_mutate(e + 8, ep, 0), seL4_IllegalOperation);
    assert_true(conf_is_empty(e + 8));
}

static void copy_of_untyped_sets_source_full(void **state)
{
    (void)state;
    seL4_CPtr u4k = conf_untyped_at(bi, 0x1ffcb000ul);
    seL4_CPtr u2 = e, u3 = e + 1, obj = e + 2;
    EXPECT_OK(conf_retype(u4k, seL4_EndpointObject, 0, obj, 1));
    EXPECT_OK(conf_revoke(u4k));
    assert_int_equal(conf_cap(u4k).watermark, 16);
    /* §6.4: Copy U->U2 when U has no children: U2 is a child of U, U's watermark is full. */
    EXPECT_OK(conf_copy(u2, u4k, seL4_NoRights));
    keel_model_cap_info src = conf_cap(u4k), cpy = conf_cap(u2);
    assert_int_equal(src.watermark, 4096);
    assert_int_equal(cpy.watermark, 16);
    assert_true(cpy.original); /* untyped copies are always original */
    assert_int_equal(cpy.paddr, src.paddr);
    assert_int_equal(cpy.size_bits, src.size_bits);
    EXPECT_CHILDREN(u4k, false, u2);
    EXPECT_ERR_MRS(conf_retype(u4k, seL4_EndpointObject, 0, obj, 1), seL4_NotEnoughMemory, 0);
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(conf_retype(u2, seL4_EndpointObject, 0, obj, 1));
    assert_int_equal(conf_bytes_zeroed() - z, 256);
    assert_int_equal(conf_cap(obj).paddr, 0x1ffcb000ul);
    EXPECT_CHILDREN(u4k, false, u2);
    EXPECT_CHILDREN(u4k, true, u2, obj);
    /* Copy U->U3 while U has children: RevokeFirst; the same for U2 and for Mint. */
    EXPECT_ERR(conf_copy(u3, u4k, seL4_AllRights), seL4_RevokeFirst);
    EXPECT_ERR(conf_copy(u3, u2, seL4_AllRights), seL4_RevokeFirst);
    EXPECT_ERR(conf_mint(u3, u2, seL4_AllRights, 1), seL4_RevokeFirst);
    /* Mint of an untyped without children also freezes the source. */
    EXPECT_OK(conf_revoke(u4k));
    EXPECT_OK(seL4_Untyped_Retype(u4k, seL4_UntypedObject, 10, CONF_ROOT, 0, 0, u2, 1));
    assert_int_equal(conf_cap(u4k).watermark, 1024);
    EXPECT_OK(conf_mint(u3, u2, seL4_AllRights, 0xffff));
    assert_int_equal(conf_cap(u2).watermark, 1024);
    assert_int_equal(conf_cap(u3).watermark, 0);
    assert_int_equal(conf_cap(u3).size_bits, 10);
    EXPECT_CHILDREN(u2, false, u3);
    /* Move is not a copy: nothing is frozen. */
    EXPECT_OK(conf_move(e + 3, u3));
    assert_int_equal(conf_cap(e + 3).watermark, 0);
}

/* ---- §6.2: Rotate ---------------------------------------------------------------------------- */

static void rotate_truncated(void **state)
{
    (void)state;
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, e + 1, 2));
    struct ccall c = ccall_for(CNodeRotate, e, e + 1, e + 2);
    for (seL4_Word len = 2; len < 8; len++) {
        c.length = len;
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
    }
    c.length = 8;
    for (seL4_Word extra = 0; extra < 2; extra++) {
        c.extra = extra;
        EXPECT_CALL_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
    }
    c.extra = 2;
    EXPECT_OK(ccall_do(&c, NULL));
}

static void rotate_lookups(void **state)
{
    (void)state;
    seL4_CPtr s = e + 1, p = e + 2, d = e;
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, s, 2));
    /* The source lookup (extra cap 1, w6, w7) comes before the pivot lookup (cap 0, w3, w4). */
    struct ccall c = ccall_for(CNodeRotate, d, s, p);
    c.caps[1] = ep;
    c.w[4] = 0;
    EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_InvalidRoot);
    c = ccall_for(CNodeRotate, d, s, p);
    c.w[7] = 0;
    c.caps[0] = ep;
    EXPECT_CALL_FAILS(&c, seL4_RangeError, 1, 64);
    /* Pivot lookup failures also report wasSource = 1. */
    c = ccall_for(CNodeRotate, d, s, p);
    c.caps[0] = ep;
    EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_InvalidRoot);
    c.caps[0] = CONF_ROOT;
    c.w[4] = 0;
    EXPECT_CALL_FAILS(&c, seL4_RangeError, 1, 64);
    c.w[4] = 64;
    c.w[3] = 1ul << 40;
    EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_GuardMismatch, 64, 0, 52);
    c = ccall_for(CNodeRotate, d, s, p);
    c.w[6] = 1ul << 40;
    EXPECT_CALL_FAILS(&c, seL4_FailedLookup, 1, seL4_GuardMismatch, 64, 0, 52);
}

static void rotate_slot_checks(void **state)
{
    (void)state;
    seL4_CPtr s = e + 1, p = e + 2, d = e, other = e + 3, empty = e + 4, empty2 = e + 5;
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, s, 3)); /* s, p, other hold frames */
    /* Pivot = source or pivot = destination: IllegalOperation, before every slot check. */
    EXPECT_ERR(conf_rotate(d, 0, s, 0, s), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(d, 0, d, 0, s), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(other, 0, s, 0, s), seL4_IllegalOperation);     /* dest occupied */
    EXPECT_ERR(conf_rotate(d, 0, empty, 0, empty), seL4_IllegalOperation); /* src empty */
    EXPECT_ERR(conf_rotate(s, 0, s, 0, s), seL4_IllegalOperation);
    /* Destination occupied (and not the source): DeleteFirst, before the empty checks. */
    EXPECT_ERR(conf_rotate(other, 0, p, 0, s), seL4_DeleteFirst);
    EXPECT_ERR(conf_rotate(other, 0, empty2, 0, empty), seL4_DeleteFirst);
    /* Source empty: wasSource 1; checked before the pivot. */
    EXPECT_ERR_MRS(conf_rotate(d, 0, p, 0, empty), seL4_FailedLookup, 1, seL4_MissingCapability,
                   64);
    EXPECT_ERR_MRS(conf_rotate(d, 0, empty2, 0, empty), seL4_FailedLookup, 1,
                   seL4_MissingCapability, 64);
    /* Pivot empty: wasSource 0 (§6.2 row 10), bitsLeft = pivot_depth; but a pivot that fails
     * to resolve is a source-like lookup (wasSource 1). */
    EXPECT_ERR_MRS(conf_rotate(d, 0, empty, 0, s), seL4_FailedLookup, 0, seL4_MissingCapability,
                   64);
    EXPECT_ERR_MRS(
        seL4_CNode_Rotate(CONF_ROOT, d, 64, 0, CONF_ROOT, empty & 0xff, 8, 0, CONF_ROOT, s, 64),
        seL4_FailedLookup, 1, seL4_GuardMismatch, 8, 0, 52);
    /* Before the cap-data check: pivot empty and the source an endpoint. */
    EXPECT_ERR_MRS(conf_rotate(d, 0, empty, 0, ep), seL4_FailedLookup, 0, seL4_MissingCapability,
                   64);
    assert_true(conf_is_empty(d));
}

static void rotate_cap_data(void **state)
{
    (void)state;
    seL4_CPtr f = e + 1, d = e, cn = e + 2;
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, f, 1));
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 2, cn, 1));
    /* Endpoint and notification caps cannot take part, badged or not, with any data. */
    EXPECT_ERR(conf_rotate(d, 0, f, 0, ep), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(d, 0, ep, 0, f), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(d, 0, f, 0, ntfn), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(d, 0, ntfn, 0, f), seL4_IllegalOperation);
    /* A guard that does not fit (guardSize + radix > 64) on either moving cap. */
    seL4_Word bad = seL4_CNode_CapData_new(0, 63).words[0];
    EXPECT_ERR(conf_rotate(d, bad, cn, 0, f), seL4_IllegalOperation);
    EXPECT_ERR(conf_rotate(d, 0, f, bad, cn), seL4_IllegalOperation);
    assert_true(conf_is_empty(d));
    assert_int_equal(conf_cap(f).type, KEEL_MODEL_CAP_FRAME);
}

static void rotate_three_slots(void **state)
{
    (void)state;
    seL4_CPtr a = e, b = e + 1, d = e + 2;
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 2, a, 2)); /* order: u, b, a */
    seL4_Word pa = conf_cap(a).paddr, pb = conf_cap(b).paddr;
    /* dest_badge goes with the cap moving pivot -> dest, pivot_badge with src -> pivot. */
    EXPECT_OK(conf_rotate(d, seL4_CNode_CapData_new(3, 2).words[0], b,
                          seL4_CNode_CapData_new(1, 5).words[0], a));
    assert_true(conf_is_empty(a));
    keel_model_cap_info cd = conf_cap(d), cb = conf_cap(b);
    assert_int_equal(cd.paddr, pb);
    assert_int_equal(cd.guard, 3);
    assert_int_equal(cd.guard_size, 2);
    assert_int_equal(cb.paddr, pa);
    assert_int_equal(cb.guard, 1);
    assert_int_equal(cb.guard_size, 5);
    assert_true(cd.original);
    assert_true(cb.original);
    /* Each cap keeps its place in derivation order. */
    EXPECT_CHILDREN(u, false, d, b, ntfn, ep);
    MODEL_CHECK();
}

static void rotate_swap(void **state)
{
    (void)state;
    seL4_CPtr a = e, b = e + 1, c = e + 2;
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, a, 2)); /* order: u, b, a */
    EXPECT_OK(conf_copy(c, a, seL4_CanRead));        /* child of a */
    seL4_Word pa = conf_cap(a).paddr, pb = conf_cap(b).paddr;
    /* Source = destination: the source and pivot caps swap, with their CDT positions,
     * original flags and children. */
    EXPECT_OK(conf_rotate(a, 0, b, 0, a));
    assert_int_equal(conf_cap(a).paddr, pb);
    assert_int_equal(conf_cap(b).paddr, pa);
    assert_true(conf_cap(a).original);
    assert_true(conf_cap(b).original);
    EXPECT_CHILDREN(u, false, a, b, ntfn, ep);
    EXPECT_CHILDREN(b, false, c);
    EXPECT_NO_CHILDREN(a);
    /* A non-original and an original swap their flags with them. */
    EXPECT_OK(conf_rotate(c, 0, b, 0, c));
    assert_true(conf_cap(c).original);
    assert_false(conf_cap(b).original);
    assert_int_equal(conf_cap(c).paddr, pa);
    EXPECT_CHILDREN(c, false, b);
    EXPECT_CHILDREN(u, false, a, c, ntfn, ep);
    MODEL_CHECK();
}

/* ---- §6.3: Delete, Revoke, CancelBadgedSends, SaveCaller ------------------------------------- */

static void delete_and_revoke_trivial_cases(void **state)
{
    (void)state;
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    EXPECT_OK(conf_delete(e));
    EXPECT_OK(conf_revoke(e));
    /* A non-original cap has no children: revoke does nothing. */
    EXPECT_OK(conf_copy(e, ep, seL4_AllRights));
    EXPECT_OK(conf_copy(e + 1, e, seL4_AllRights)); /* a sibling of e, not its child */
    EXPECT_NO_CHILDREN(e);
    EXPECT_OK(conf_revoke(e));
    assert_false(conf_is_empty(e));
    assert_false(conf_is_empty(e + 1));
    EXPECT_OK(conf_delete(e));
    EXPECT_OK(conf_delete(e + 1));
    LEAK_CHECK(&snap);
    /* Both report the destination lookup's errors. */
    EXPECT_ERR_MRS(seL4_CNode_Delete(CONF_ROOT, e, 0), seL4_RangeError, 1, 64);
    EXPECT_ERR_MRS(seL4_CNode_Revoke(CONF_ROOT, e, 65), seL4_RangeError, 1, 64);
}

static void cancel_badged_sends_needs_all_rights(void **state)
{
    (void)state;
    seL4_CPtr s = e;
    EXPECT_OK(seL4_CNode_CancelBadgedSends(CONF_ROOT, ep, 64)); /* unbadged: nothing to do */
    EXPECT_OK(conf_mint(s, ep, seL4_AllRights, 9));
    EXPECT_OK(seL4_CNode_CancelBadgedSends(CONF_ROOT, s, 64));
    for (seL4_Word missing = 0; missing < 4; missing++) {
        seL4_CPtr c = e + 1 + missing;
        EXPECT_OK(conf_copy(c, s, (seL4_CapRights_t){{0xful & ~(1ul << missing)}}));
        EXPECT_ERR(seL4_CNode_CancelBadgedSends(CONF_ROOT, c, 64), seL4_IllegalOperation);
    }
    EXPECT_ERR(seL4_CNode_CancelBadgedSends(CONF_ROOT, ntfn, 64), seL4_IllegalOperation);
    EXPECT_ERR(seL4_CNode_CancelBadgedSends(CONF_ROOT, e + 50, 64), seL4_IllegalOperation);
    EXPECT_ERR(seL4_CNode_CancelBadgedSends(CONF_ROOT, u, 64), seL4_IllegalOperation);
    EXPECT_ERR(seL4_CNode_CancelBadgedSends(CONF_ROOT, CONF_ROOT, 64), seL4_IllegalOperation);
    EXPECT_ERR_MRS(seL4_CNode_CancelBadgedSends(CONF_ROOT, s, 0), seL4_RangeError, 1, 64);
}

static void save_caller(void **state)
{
    (void)state;
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    /* The root thread has no caller: SaveCaller succeeds and does nothing. */
    EXPECT_OK(seL4_CNode_SaveCaller(CONF_ROOT, e, 64));
    assert_true(conf_is_empty(e));
    LEAK_CHECK(&snap);
    /* The destination must be empty. */
    EXPECT_ERR(seL4_CNode_SaveCaller(CONF_ROOT, ep, 64), seL4_DeleteFirst);
    EXPECT_ERR_MRS(seL4_CNode_SaveCaller(CONF_ROOT, 1ul << 20, 64), seL4_FailedLookup, 0,
                   seL4_GuardMismatch, 64, 0, 52);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(c1_label_outside_cnode_range, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(c2_length_below_two, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(c3_destination_lookup, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(copy_family_truncated, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(copy_family_destination_not_empty, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(copy_family_source_lookup, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(copy_family_source_empty, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(copy_family_operation_length, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(copy_family_empty_result, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(copy_and_mint_effects, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(move_and_mutate_effects, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(copy_of_untyped_sets_source_full, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(rotate_truncated, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(rotate_lookups, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(rotate_slot_checks, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(rotate_cap_data, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(rotate_three_slots, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(rotate_swap, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(delete_and_revoke_trivial_cases, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(cancel_badged_sends_needs_all_rights, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(save_caller, setup, conf_teardown),
    };
    return cmocka_run_group_tests_name("model.cnode", tests, NULL, NULL);
}
