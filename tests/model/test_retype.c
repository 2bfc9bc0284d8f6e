/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seL4_Untyped_Retype's checks (sel4-semantics §5.2): every row with its exact error and
 * detail words, and the order of the rows: a call that violates two checks gets the earlier
 * one's error. The order is tested exhaustively: every pair of compatible violations from a
 * table of one violation per row (or per way of violating a row).
 *
 * The default world; U is the 4 KiB RAM untyped at 0x1ffcb000, D the 4 KiB device untyped at
 * 0xfec01000, E the first empty slot.
 */
#include "conf.h"

#define U4K_PADDR   0x1ffcb000ul
#define DEV4K_PADDR 0xfec01000ul

struct world {
    seL4_BootInfo *bi;
    seL4_CPtr u, dev, e;
};

static struct world w;

static int setup(void **state)
{
    (void)state;
    w.bi = model_test_boot(NULL);
    w.u = conf_untyped_at(w.bi, U4K_PADDR);
    w.dev = conf_untyped_at(w.bi, DEV4K_PADDR);
    w.e = w.bi->empty.start;
    return 0;
}

/* A retype as a hand-made message, so that label, length and extra caps can be wrong too. */
struct rcall {
    seL4_CPtr ut;
    seL4_Word label, length, extra;
    seL4_CPtr root;
    seL4_Word type, size_bits, index, depth, offset, n;
};

static struct rcall rcall_default(seL4_CPtr ut, seL4_Word type, seL4_Word size_bits,
                                  seL4_CPtr offset, seL4_Word n)
{
    struct rcall c = {.ut = ut,
                      .label = UntypedRetype,
                      .length = 6,
                      .extra = 1,
                      .root = CONF_ROOT,
                      .type = type,
                      .size_bits = size_bits,
                      .index = 0,
                      .depth = 0,
                      .offset = offset,
                      .n = n};
    return c;
}

static seL4_Error rcall_do(const struct rcall *c, seL4_Word *reply_len)
{
    const seL4_Word words[] = {c->type, c->size_bits, c->index, c->depth, c->offset, c->n};
    return conf_call(c->ut, c->label, words, CONF_ARRAY_LEN(words), c->length, &c->root, 1,
                     c->extra, reply_len);
}

/* The call fails with `code`, detail words mrs[0..n), reply length n, and changes nothing. */
static void expect_retype_fails(const char *file, int line, const struct rcall *c, seL4_Error code,
                                const seL4_Word *mrs, size_t n)
{
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    keel_model_cap_info before = conf_cap(c->ut);
    seL4_Word len = 0;
    seL4_Error err = rcall_do(c, &len);
    conf_expect_error(file, line, "Untyped_Retype", err, code);
    conf_expect_mrs(file, line, "Untyped_Retype", mrs, n);
    if (len != n) {
        fail_msg("%s:%d: error reply length %lu, expected %zu", file, line, len, n);
    }
    keel_model_cap_info after = conf_cap(c->ut);
    if (after.watermark != before.watermark || after.has_children != before.has_children) {
        fail_msg("%s:%d: a failed retype changed the untyped", file, line);
    }
    model_test_leak_check(&snap, file, line);
}

#define EXPECT_RETYPE_FAILS(c, code, ...)                                                          \
    do {                                                                                           \
        const seL4_Word mrs_[] = {__VA_ARGS__};                                                    \
        expect_retype_fails(__FILE__, __LINE__, (c), (code), mrs_, CONF_ARRAY_LEN(mrs_));          \
    } while (0)
#define EXPECT_RETYPE_FAILS_NO_MRS(c, code)                                                        \
    expect_retype_fails(__FILE__, __LINE__, (c), (code), NULL, 0)

/* ---- Row 1: the label ------------------------------------------------------------------------ */

static void row1_label_not_retype(void **state)
{
    (void)state;
    struct rcall c = rcall_default(w.u, seL4_EndpointObject, 0, w.e, 1);
    c.label = InvalidInvocation;
    EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_IllegalOperation);
    c.label = CNodeRevoke;
    EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_IllegalOperation);
    c.label = X86PageGetAddress;
    EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_IllegalOperation);
    /* Before the length check: a wrong label with an empty message. */
    c.length = 0;
    c.extra = 0;
    EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_IllegalOperation);
    assert_true(conf_is_empty(w.e));

    /* A cap of another type decodes the Retype label with its own decoder, which rejects it. */
    struct rcall other = rcall_default(CONF_ROOT, seL4_EndpointObject, 0, w.e, 1);
    EXPECT_ERR(rcall_do(&other, NULL), seL4_IllegalOperation);
    other.ut = seL4_CapInitThreadVSpace; /* PML4 */
    EXPECT_ERR(rcall_do(&other, NULL), seL4_IllegalOperation);
    other.ut = seL4_CapInitThreadIPCBuffer; /* frame */
    EXPECT_ERR(rcall_do(&other, NULL), seL4_IllegalOperation);
    /* An empty invoked slot is the generic dispatcher's InvalidCapability (§13.5). */
    other.ut = w.e + 10;
    EXPECT_ERR_MRS(rcall_do(&other, NULL), seL4_InvalidCapability, 0);
    assert_true(conf_is_empty(w.e));
}

/* ---- Row 2: message length and the root cap -------------------------------------------------- */

static void row2_truncated(void **state)
{
    (void)state;
    struct rcall c = rcall_default(w.u, seL4_EndpointObject, 0, w.e, 1);
    for (seL4_Word len = 0; len < 6; len++) {
        c.length = len;
        EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
    }
    c.length = 6;
    c.extra = 0;
    EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
    /* Before the type check. */
    c.type = seL4_ObjectTypeCount;
    EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_TruncatedMessage);
    /* The same hand-made message, complete, works; a longer one too. */
    c = rcall_default(w.u, seL4_EndpointObject, 0, w.e, 1);
    c.length = 7;
    seL4_Word len = 99;
    EXPECT_OK(rcall_do(&c, &len));
    assert_int_equal(len, 0);
    assert_int_equal(conf_cap(w.e).type, KEEL_MODEL_CAP_ENDPOINT);
}

/* ---- Row 3: the type ------------------------------------------------------------------------- */

static void row3_invalid_type(void **state)
{
    (void)state;
    static const seL4_Word bad[] = {seL4_ObjectTypeCount,
                                    seL4_ObjectTypeCount + 1,
                                    seL4_X86_IOPageTableObject,
                                    seL4_X86_VCPUObject,
                                    seL4_X86_EPTPML4Object,
                                    0xfffffffeul,
                                    ~0ul,
                                    1ul << 63};
    for (size_t i = 0; i < CONF_ARRAY_LEN(bad); i++) {
        struct rcall c = rcall_default(w.u, bad[i], 0, w.e, 1);
        EXPECT_RETYPE_FAILS(&c, seL4_InvalidArgument, 0);
        /* Before the size check. */
        c.size_bits = 64;
        EXPECT_RETYPE_FAILS(&c, seL4_InvalidArgument, 0);
    }
    /* The last valid type works. */
    EXPECT_OK(conf_retype(w.u, seL4_ObjectTypeCount - 1, 0, w.e, 1));
}

/* ---- Row 4: size_bits and the object size ---------------------------------------------------- */

static void row4_size_range(void **state)
{
    (void)state;
    static const struct {
        seL4_Word type, size_bits;
    } bad[] = {
        {seL4_EndpointObject, 64}, {seL4_EndpointObject, 1ul << 63}, {seL4_TCBObject, 64},
        {seL4_X86_4K, 64},         {seL4_UntypedObject, 48},         {seL4_UntypedObject, 63},
        {seL4_UntypedObject, 64},  {seL4_CapTableObject, 43},        {seL4_CapTableObject, 59},
        {seL4_CapTableObject, 64}, {seL4_X64_HugePageObject, 1000},
    };
    for (size_t i = 0; i < CONF_ARRAY_LEN(bad); i++) {
        struct rcall c = rcall_default(w.u, bad[i].type, bad[i].size_bits, w.e, 1);
        EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 0, seL4_MaxUntypedBits);
    }
    /* At the limits the size check passes and the memory check (row 15) is what fails. */
    struct rcall c = rcall_default(w.u, seL4_UntypedObject, 47, w.e, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4096);
    c = rcall_default(w.u, seL4_CapTableObject, 42, w.e, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4096);
    /* Fixed-size types ignore size_bits below 64. */
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 63, w.e, 1));
    keel_model_cap_info ep = conf_cap(w.e);
    assert_int_equal(ep.type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(ep.size_bits, seL4_EndpointBits);
    assert_int_equal(conf_cap(w.u).watermark, 16);
}

/* ---- Rows 5 and 6: type-specific minimums ---------------------------------------------------- */

/* Row 7 (a SchedContext smaller than 2^7 bytes) is MCS-only. The model is non-MCS, whose object
 * types have no SchedContext (the number MCS gives it, 5, is seL4_X86_PDPTObject here), so the
 * row cannot be reached and has no test, here or in the order table below. */

static void row5_cnode_radix_zero(void **state)
{
    (void)state;
    struct rcall c = rcall_default(w.u, seL4_CapTableObject, 0, w.e, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_InvalidArgument, 1);
    EXPECT_OK(conf_retype(w.u, seL4_CapTableObject, 1, w.e, 1));
    keel_model_cap_info cn = conf_cap(w.e);
    assert_int_equal(cn.type, KEEL_MODEL_CAP_CNODE);
    assert_int_equal(cn.radix, 1);
    assert_int_equal(cn.size_bits, 1 + seL4_SlotBits);
    assert_int_equal(cn.guard_size, 0);
    assert_int_equal(cn.guard, 0);
}

static void row6_untyped_too_small(void **state)
{
    (void)state;
    for (seL4_Word bits = 0; bits < seL4_MinUntypedBits; bits++) {
        struct rcall c = rcall_default(w.u, seL4_UntypedObject, bits, w.e, 1);
        EXPECT_RETYPE_FAILS(&c, seL4_InvalidArgument, 1);
    }
    EXPECT_OK(conf_retype(w.u, seL4_UntypedObject, seL4_MinUntypedBits, w.e, 1));
    keel_model_cap_info ut = conf_cap(w.e);
    assert_int_equal(ut.type, KEEL_MODEL_CAP_UNTYPED);
    assert_int_equal(ut.size_bits, 4);
    assert_int_equal(ut.watermark, 0);
}

/* ---- Rows 8 and 9: the destination CNode ----------------------------------------------------- */

static void row8_destination_lookup(void **state)
{
    (void)state;
    seL4_CPtr ep = w.e + 20;
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, ep, 1));

    /* node_depth 0: the root cap itself, node_index ignored, no range check. */
    struct rcall c = rcall_default(w.u, seL4_EndpointObject, 0, w.e, 1);
    c.index = 1ul << 40;
    EXPECT_OK(rcall_do(&c, NULL));
    assert_int_equal(conf_cap(w.e).type, KEEL_MODEL_CAP_ENDPOINT);

    c = rcall_default(w.u, seL4_EndpointObject, 0, w.e + 1, 1);
    c.index = seL4_CapInitThreadCNode;
    for (seL4_Word depth = 65; depth < 300; depth += 50) {
        c.depth = depth;
        EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 64);
    }
    /* Guard mismatch: a CPtr with bits above the root's radix set, and depth 12 (§5.6 14). */
    c.depth = 64;
    c.index = 1ul << 20;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_GuardMismatch, 64, 0, 52);
    c.depth = 12;
    c.index = seL4_CapInitThreadCNode;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_GuardMismatch, 12, 0, 52);
    /* Depth mismatch: the guard fits in 60 bits but guard + radix does not. */
    c.depth = 60;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_DepthMismatch, 60, 64);
    /* Invalid root: the root extra cap is not a CNode (an endpoint, an empty slot). */
    c.depth = 64;
    c.root = ep;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_InvalidRoot);
    c.root = w.e + 30;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_InvalidRoot);
    /* Lookup errors come before the window checks (rows 10-13). */
    c.root = CONF_ROOT;
    c.depth = 65;
    c.offset = 5000;
    c.n = 0;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 64);

    /* A lookup that succeeds: the root CNode's own slot (2) and a retyped CNode. */
    c = rcall_default(w.u, seL4_EndpointObject, 0, w.e + 1, 1);
    c.index = seL4_CapInitThreadCNode;
    c.depth = 64;
    EXPECT_OK(rcall_do(&c, NULL));
    assert_int_equal(conf_cap(w.e + 1).type, KEEL_MODEL_CAP_ENDPOINT);
    seL4_CPtr cn = w.e + 2;
    EXPECT_OK(conf_retype(w.u, seL4_CapTableObject, 4, cn, 1));
    c = rcall_default(w.u, seL4_NotificationObject, 0, 15, 1);
    c.index = cn;
    c.depth = 64;
    EXPECT_OK(rcall_do(&c, NULL));
    keel_model_cap_info in;
    assert_int_equal(keel_model_cap_at(cn, 15, 4, &in), 0);
    assert_int_equal(in.type, KEEL_MODEL_CAP_NOTIFICATION);
    assert_true(conf_is_empty(15)); /* not the root's slot 15 */
}

static void row9_destination_not_a_cnode(void **state)
{
    (void)state;
    seL4_CPtr ep = w.e + 20;
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, ep, 1));
    struct rcall c = rcall_default(w.u, seL4_EndpointObject, 0, w.e, 1);
    /* A target lookup that finds an endpoint, or an empty slot: bitsLeft = node_depth. */
    c.depth = 64;
    c.index = ep;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_MissingCapability, 64);
    c.index = w.e + 21;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_MissingCapability, 64);
    c.index = w.u; /* an untyped */
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_MissingCapability, 64);
    /* node_depth 0 with a root that is not a CNode: bitsLeft = 0 (§5.6 13). */
    c.depth = 0;
    c.root = w.e + 21;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_MissingCapability, 0);
    c.root = ep;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_MissingCapability, 0);
    c.root = seL4_CapInitThreadTCB;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_MissingCapability, 0);
    /* Before the window checks. */
    c.offset = 1ul << 50;
    c.n = 1000;
    EXPECT_RETYPE_FAILS(&c, seL4_FailedLookup, 0, seL4_MissingCapability, 0);
}

/* ---- Rows 10-12: the slot window ------------------------------------------------------------- */

static void row10_offset_range(void **state)
{
    (void)state;
    struct rcall c = rcall_default(w.u, seL4_EndpointObject, 0, 4096, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 0, 4095);
    c.offset = ~0ul;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 0, 4095);
    /* Before the count check. */
    c.n = 0;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 0, 4095);
    /* In a radix-4 CNode the last offset is 15. */
    seL4_CPtr cn = w.e;
    EXPECT_OK(conf_retype(w.u, seL4_CapTableObject, 4, cn, 1));
    c = rcall_default(w.u, seL4_EndpointObject, 0, 16, 1);
    c.index = cn;
    c.depth = 64;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 0, 15);
    c.offset = 15;
    EXPECT_OK(rcall_do(&c, NULL));
}

static void row11_count_range(void **state)
{
    (void)state;
    struct rcall c = rcall_default(w.u, seL4_EndpointObject, 0, w.e, 0);
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 256);
    c.n = 257;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 256);
    c.n = ~0ul;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 256);
    /* Before the window-fits check: 257 objects at 4090 is (1, 256), not (1, 6). */
    c.n = 257;
    c.offset = 4090;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 256);
    /* 256 is allowed: 256 endpoints fill a 4 KiB untyped exactly (into a radix-8 CNode made
     * from another untyped). */
    seL4_CPtr cn = w.e;
    seL4_CPtr u16k = conf_untyped_at(w.bi, 0x1ffcc000ul);
    EXPECT_OK(conf_retype(u16k, seL4_CapTableObject, 8, cn, 1));
    c = rcall_default(w.u, seL4_EndpointObject, 0, 0, 256);
    c.index = cn;
    c.depth = 64;
    EXPECT_OK(rcall_do(&c, NULL));
    keel_model_cap_info u = conf_cap(w.u);
    assert_int_equal(u.watermark, 4096);
    keel_model_cap_info last;
    assert_int_equal(keel_model_cap_at(cn, 255, 8, &last), 0);
    assert_int_equal(last.type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(last.paddr, U4K_PADDR + 255 * 16);
}

static void row12_window_fits(void **state)
{
    (void)state;
    struct rcall c = rcall_default(w.u, seL4_EndpointObject, 0, 4090, 10);
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 6);
    c.offset = 4095;
    c.n = 2;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 1);
    /* Before the empty-slot check: slot 4094 occupied, 3 objects at 4094. */
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, 4094, 1));
    c.offset = 4094;
    c.n = 3;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 2);
    /* Exactly fitting at the end works. */
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, 4095, 1));
    /* In a radix-4 CNode: 7 objects at offset 10 is (1, 6); 6 fit. */
    seL4_CPtr cn = w.e;
    EXPECT_OK(conf_retype(w.u, seL4_CapTableObject, 4, cn, 1));
    c = rcall_default(w.u, seL4_EndpointObject, 0, 10, 7);
    c.index = cn;
    c.depth = 64;
    EXPECT_RETYPE_FAILS(&c, seL4_RangeError, 1, 6);
    c.n = 6;
    EXPECT_OK(rcall_do(&c, NULL));
}

/* ---- Row 13: the destination slots must be empty --------------------------------------------- */

static void row13_slots_not_empty(void **state)
{
    (void)state;
    seL4_CPtr base = w.e + 10;
    seL4_CPtr filler = w.e;
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, filler, 1));
    /* Any occupied slot of the window (first, middle, last) stops the call. The kernel checks
     * them in increasing order; DeleteFirst carries no detail words, so which one it found
     * is not observable. */
    for (seL4_CPtr occupied = base; occupied < base + 4; occupied++) {
        EXPECT_OK(conf_move(occupied, filler));
        struct rcall c = rcall_default(w.u, seL4_EndpointObject, 0, base, 4);
        EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_DeleteFirst);
        /* Before the memory check and the device check. */
        c.n = 4;
        c.type = seL4_TCBObject;
        EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_DeleteFirst);
        c.ut = w.dev;
        c.type = seL4_EndpointObject;
        EXPECT_RETYPE_FAILS_NO_MRS(&c, seL4_DeleteFirst);
        EXPECT_OK(conf_move(filler, occupied));
        for (seL4_CPtr s = base; s < base + 4; s++) {
            assert_true(conf_is_empty(s));
        }
    }
    /* An occupied slot just outside the window does not matter. */
    EXPECT_OK(conf_move(base + 4, filler));
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, base, 4));
}

/* ---- Row 14: the reset decision -------------------------------------------------------------- */

static void row14_reset_decision(void **state)
{
    (void)state;
    seL4_CPtr a = w.e, b = w.e + 1, c = w.e + 2, d = w.e + 3, u2 = w.e + 4;
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, a, 1));
    assert_int_equal(conf_cap(a).paddr, U4K_PADDR);
    /* Children: continue at the watermark. */
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, b, 1));
    assert_int_equal(conf_cap(b).paddr, U4K_PADDR + 16);
    EXPECT_OK(conf_delete(b));
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, c, 1));
    assert_int_equal(conf_cap(c).paddr, U4K_PADDR + 32);
    /* No children: reset (zero what was used, rounded up to 256 bytes) and start at 0. */
    EXPECT_OK(conf_revoke(w.u));
    assert_int_equal(conf_cap(w.u).watermark, 48);
    uint64_t z = conf_bytes_zeroed();
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, d, 1));
    assert_int_equal(conf_bytes_zeroed() - z, 256);
    assert_int_equal(conf_cap(d).paddr, U4K_PADDR);
    assert_int_equal(conf_cap(w.u).watermark, 16);
    /* A copy of the untyped is a child too: no reset, and the copy made the source full. */
    EXPECT_OK(conf_revoke(w.u));
    EXPECT_OK(conf_copy(u2, w.u, seL4_AllRights));
    struct rcall r = rcall_default(w.u, seL4_EndpointObject, 0, d, 1);
    EXPECT_RETYPE_FAILS(&r, seL4_NotEnoughMemory, 0);
    EXPECT_OK(conf_delete(u2));
    z = conf_bytes_zeroed();
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, d, 1));
    assert_int_equal(conf_bytes_zeroed() - z, 4096);
    assert_int_equal(conf_cap(d).paddr, U4K_PADDR);
}

/* ---- Row 15: free memory --------------------------------------------------------------------- */

static void row15_not_enough_memory(void **state)
{
    (void)state;
    seL4_CPtr s = w.e;
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, s++, 1)); /* watermark 16 */
    /* Bytes free are counted from the watermark, before alignment: 4080. */
    struct rcall c = rcall_default(w.u, seL4_TCBObject, 0, s, 2);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4080);
    c = rcall_default(w.u, seL4_X86_4K, 0, s, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4080);
    c = rcall_default(w.u, seL4_X86_LargePageObject, 0, s, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4080);
    c = rcall_default(w.u, seL4_EndpointObject, 0, s, 256);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4080);
    /* One TCB fits (4080 >> 11 = 1): it lands at 2048 and the padding is lost. */
    EXPECT_OK(conf_retype(w.u, seL4_TCBObject, 0, s, 1));
    assert_int_equal(conf_cap(s++).paddr, U4K_PADDR + 2048);
    assert_int_equal(conf_cap(w.u).watermark, 4096);
    c = rcall_default(w.u, seL4_EndpointObject, 0, s, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 0);
    /* Without children the count starts at 0, not at the (full) watermark; a failed retype
     * does not reset. */
    EXPECT_OK(conf_revoke(w.u));
    uint64_t z = conf_bytes_zeroed();
    c = rcall_default(w.u, seL4_X86_4K, 0, s, 2);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4096);
    c = rcall_default(w.u, seL4_UntypedObject, 13, s, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4096);
    assert_int_equal(conf_bytes_zeroed(), z);
    assert_int_equal(conf_cap(w.u).watermark, 4096);
    EXPECT_OK(conf_retype(w.u, seL4_X86_4K, 0, s, 1));
    assert_int_equal(conf_cap(s).paddr, U4K_PADDR);
}

/* ---- Row 16: device memory ------------------------------------------------------------------- */

static void row16_device_restriction(void **state)
{
    (void)state;
    static const seL4_Word not_allowed[][2] = {
        {seL4_TCBObject, 0},           {seL4_EndpointObject, 0},
        {seL4_NotificationObject, 0},  {seL4_CapTableObject, 1},
        {seL4_X86_PDPTObject, 0},      {seL4_X64_PML4Object, 0},
        {seL4_X86_PageTableObject, 0}, {seL4_X86_PageDirectoryObject, 0},
    };
    for (size_t i = 0; i < CONF_ARRAY_LEN(not_allowed); i++) {
        struct rcall c = rcall_default(w.dev, not_allowed[i][0], not_allowed[i][1], w.e, 1);
        EXPECT_RETYPE_FAILS(&c, seL4_InvalidArgument, 1);
    }
    /* The memory check comes first: too much on device memory is NotEnoughMemory. */
    struct rcall c = rcall_default(w.dev, seL4_TCBObject, 0, w.e, 3);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4096);
    c = rcall_default(w.dev, seL4_X86_LargePageObject, 0, w.e, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_NotEnoughMemory, 4096);
    /* Untypeds and frames are allowed, and inherit the device flag. */
    EXPECT_OK(conf_retype(w.dev, seL4_UntypedObject, 11, w.e, 1));
    keel_model_cap_info child = conf_cap(w.e);
    assert_true(child.device);
    assert_int_equal(child.paddr, DEV4K_PADDR);
    c = rcall_default(w.e, seL4_EndpointObject, 0, w.e + 1, 1);
    EXPECT_RETYPE_FAILS(&c, seL4_InvalidArgument, 1);
    EXPECT_OK(conf_retype(w.e, seL4_UntypedObject, 4, w.e + 1, 1));
    assert_true(conf_cap(w.e + 1).device);
    EXPECT_OK(conf_revoke(w.dev));
    EXPECT_OK(conf_retype(w.dev, seL4_X86_4K, 0, w.e, 1));
    keel_model_cap_info f = conf_cap(w.e);
    assert_int_equal(f.type, KEEL_MODEL_CAP_FRAME);
    assert_true(f.device);
    assert_int_equal(f.rights, KEEL_MODEL_VM_READ_WRITE);
    /* Large and huge device frames from big enough device untypeds. */
    seL4_CPtr dev2m = conf_untyped_at(w.bi, 0xffc00000ul);
    EXPECT_OK(conf_retype(dev2m, seL4_X86_LargePageObject, 0, w.e + 1, 1));
    assert_true(conf_cap(w.e + 1).device);
    assert_int_equal(conf_cap(w.e + 1).size_bits, seL4_LargePageBits);
    seL4_CPtr dev1g = conf_untyped_at(w.bi, 0x40000000ul);
    EXPECT_OK(conf_retype(dev1g, seL4_X64_HugePageObject, 0, w.e + 2, 1));
    assert_true(conf_cap(w.e + 2).device);
    assert_int_equal(conf_cap(w.e + 2).size_bits, seL4_HugePageBits);
    seL4_X86_Page_GetAddress_t a = seL4_X86_Page_GetAddress(w.e + 2);
    assert_int_equal(a.error, seL4_NoError);
    assert_int_equal(a.paddr, 0x40000000ul);
}

/* ---- Order: every pair of violations --------------------------------------------------------- */

enum field {
    F_LABEL = 1 << 0,
    F_LENGTH = 1 << 1,
    F_EXTRA = 1 << 2,
    F_TYPE = 1 << 3,
    F_SIZE = 1 << 4,
    F_DEST = 1 << 5,
    F_OFFSET = 1 << 6,
    F_COUNT = 1 << 7,
    F_OCCUPIED = 1 << 8,
    F_FULL = 1 << 9,
    F_DEVICE = 1 << 10,
};

struct violation {
    const char *name;
    unsigned fields;
    seL4_Error error;
    unsigned nmrs;
    seL4_Word mrs[5];
};

/* In the order of the rows of §5.2 (row 7 is MCS-only; rows 14 and 17 are not checks). */
static const struct violation violations[] = {
    {"1 label", F_LABEL, seL4_IllegalOperation, 0, {0}},
    {"2 length", F_LENGTH, seL4_TruncatedMessage, 0, {0}},
    {"2 no root cap", F_EXTRA, seL4_TruncatedMessage, 0, {0}},
    {"3 type", F_TYPE, seL4_InvalidArgument, 1, {0}},
    {"4 size_bits", F_SIZE, seL4_RangeError, 2, {0, 47}},
    {"5 CNode radix 0", F_TYPE | F_SIZE, seL4_InvalidArgument, 1, {1}},
    {"6 untyped < 16 B", F_TYPE | F_SIZE, seL4_InvalidArgument, 1, {1}},
    {"8 depth > 64", F_DEST, seL4_RangeError, 2, {1, 64}},
    {"8 guard mismatch", F_DEST, seL4_FailedLookup, 5, {0, seL4_GuardMismatch, 64, 0, 52}},
    {"9 not a CNode", F_DEST, seL4_FailedLookup, 3, {0, seL4_MissingCapability, 64}},
    {"10 offset", F_OFFSET, seL4_RangeError, 2, {0, 4095}},
    {"11 count 0", F_COUNT, seL4_RangeError, 2, {1, 256}},
    {"11 count 257", F_COUNT, seL4_RangeError, 2, {1, 256}},
    {"12 window", F_OFFSET | F_COUNT, seL4_RangeError, 2, {1, 1}},
    {"13 occupied", F_OCCUPIED, seL4_DeleteFirst, 0, {0}},
    {"15 memory", F_FULL, seL4_NotEnoughMemory, 1, {0}},
    {"16 device", F_DEVICE, seL4_InvalidArgument, 1, {1}},
};

struct order_world {
    seL4_CPtr u, u_full, dev, dev_full, ep, occupant, base;
};

static void apply(size_t v, struct rcall *c, bool *full, bool *device, bool *occupied,
                  const struct order_world *o)
{
    switch (v) {
    case 0:
        c->label = CNodeCopy;
        break;
    case 1:
        c->length = 5;
        break;
    case 2:
        c->extra = 0;
        break;
    case 3:
        c->type = seL4_ObjectTypeCount;
        break;
    case 4:
        c->size_bits = 64;
        break;
    case 5:
        c->type = seL4_CapTableObject;
        c->size_bits = 0;
        break;
    case 6:
        c->type = seL4_UntypedObject;
        c->size_bits = 3;
        break;
    case 7:
        c->depth = 65;
        c->index = CONF_ROOT;
        break;
    case 8:
        c->depth = 64;
        c->index = 1ul << 20;
        break;
    case 9:
        c->depth = 64;
        c->index = o->ep;
        break;
    case 10:
        c->offset = 4096;
        break;
    case 11:
        c->n = 0;
        break;
    case 12:
        c->n = 257;
        break;
    case 13:
        c->offset = 4095;
        c->n = 2;
        break;
    case 14:
        *occupied = true;
        break;
    case 15:
        *full = true;
        break;
    case 16:
        *device = true;
        break;
    default:
        fail_msg("no violation %zu", v);
    }
}

static void run_combination(const struct order_world *o, const size_t *vs, size_t nv)
{
    struct rcall c = rcall_default(0, seL4_EndpointObject, 0, o->base, 1);
    bool full = false, device = false, occupied = false;
    for (size_t i = 0; i < nv; i++) {
        apply(vs[i], &c, &full, &device, &occupied, o);
    }
    c.ut = device ? (full ? o->dev_full : o->dev) : (full ? o->u_full : o->u);
    if (occupied) {
        EXPECT_OK(conf_move(o->base, o->occupant));
    }
    const struct violation *first = &violations[vs[0]];
    char what[128];
    (void)snprintf(what, sizeof(what), "retype violating [%s]%s%s%s", first->name,
                   nv > 1 ? " and [" : "", nv > 1 ? violations[vs[1]].name : "", nv > 1 ? "]" : "");
    keel_model_snapshot snap;
    keel_model_snapshot_take(&snap);
    seL4_Word len = 0;
    seL4_Error err = rcall_do(&c, &len);
    conf_expect_error(__FILE__, __LINE__, what, err, first->error);
    conf_expect_mrs(__FILE__, __LINE__, what, first->mrs, first->nmrs);
    if (len != first->nmrs) {
        fail_msg("%s: reply length %lu, expected %u", what, len, first->nmrs);
    }
    LEAK_CHECK(&snap);
    if (occupied) {
        EXPECT_OK(conf_move(o->occupant, o->base));
    }
}

static void order_of_all_pairs(void **state)
{
    (void)state;
    struct order_world o;
    seL4_CPtr s = w.e + 100;
    o.u = w.u;
    o.dev = w.dev;
    o.u_full = conf_untyped_at(w.bi, 0x1ffca800ul); /* 2 KiB */
    o.dev_full = conf_untyped_at(w.bi, 0xfee01000ul);
    o.ep = s++;
    o.occupant = s++;
    o.base = w.e;
    /* A full untyped with children: one that holds exactly one object of its size. */
    EXPECT_OK(conf_retype(o.u_full, seL4_UntypedObject, 11, s++, 1));
    EXPECT_OK(conf_retype(o.dev_full, seL4_X86_4K, 0, s++, 1));
    EXPECT_OK(conf_retype(conf_untyped_at(w.bi, 0x1ffcc000ul), seL4_EndpointObject, 0, o.ep, 1));
    EXPECT_OK(conf_copy(o.occupant, o.ep, seL4_AllRights));

    size_t n = CONF_ARRAY_LEN(violations), pairs = 0;
    for (size_t a = 0; a < n; a++) {
        run_combination(&o, &a, 1);
        for (size_t b = a + 1; b < n; b++) {
            if (violations[a].fields & violations[b].fields) {
                continue;
            }
            size_t vs[2] = {a, b};
            run_combination(&o, vs, 2);
            pairs++;
        }
    }
    print_message("%zu violations, %zu pairs\n", n, pairs);
    assert_true(pairs > 100);
    /* And with none, the same call works. */
    EXPECT_OK(conf_retype(w.u, seL4_EndpointObject, 0, o.base, 1));
    MODEL_CHECK();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(row1_label_not_retype, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row2_truncated, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row3_invalid_type, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row4_size_range, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row5_cnode_radix_zero, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row6_untyped_too_small, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row8_destination_lookup, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row9_destination_not_a_cnode, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row10_offset_range, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row11_count_range, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row12_window_fits, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row13_slots_not_empty, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row14_reset_decision, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row15_not_enough_memory, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(row16_device_restriction, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(order_of_all_pairs, setup, conf_teardown),
    };
    return cmocka_run_group_tests_name("model.retype", tests, NULL, NULL);
}
