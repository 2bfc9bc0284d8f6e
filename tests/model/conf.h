/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers shared by the model's conformance tests (tests/model/test_*.c).
 *
 * Everything here drives the model as a root task drives seL4 (libsel4 calls from the root
 * thread) and observes it only through <keel/model.h>. All helpers are static inline so that a
 * test file that does not use one gets no warning.
 *
 *   EXPECT_OK(expr)                    expr returns seL4_NoError
 *   EXPECT_ERR(expr, code)             expr returns `code` (no detail words checked)
 *   EXPECT_ERR_MRS(expr, code, w...)   ... and MR0, MR1, ... are exactly w...
 *   EXPECT_MRS(w...)                   MR0, MR1, ... are exactly w...
 *   EXPECT_CHILDREN(cptr, desc, c...)  the CDT children (or descendants) of cptr, in
 *                                      derivation order, are exactly the slots c...
 *   conf_cap(cptr)                     keel_model_cap(), which must resolve
 *   conf_call(...)                     a hand-made seL4_Call (any label, length, extra caps)
 */
#pragma once

#include <stdio.h>
#include <string.h>

#include <sel4/sel4.h>

#include "model_test.h"

#define CONF_ROOT         seL4_CapInitThreadCNode
#define CONF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static inline const char *conf_error_name(seL4_Word e)
{
    static const char *const names[] = {
        "seL4_NoError",          "seL4_InvalidArgument",  "seL4_InvalidCapability",
        "seL4_IllegalOperation", "seL4_RangeError",       "seL4_AlignmentError",
        "seL4_FailedLookup",     "seL4_TruncatedMessage", "seL4_DeleteFirst",
        "seL4_RevokeFirst",      "seL4_NotEnoughMemory",
    };
    return e < CONF_ARRAY_LEN(names) ? names[e] : "(not an seL4_Error)";
}

static inline void conf_expect_error(const char *file, int line, const char *what, seL4_Word got,
                                     seL4_Word want)
{
    if (got != want) {
        fail_msg("%s:%d: %s returned %s (%lu), expected %s (%lu)", file, line, what,
                 conf_error_name(got), got, conf_error_name(want), want);
    }
}

static inline void conf_expect_mrs(const char *file, int line, const char *what,
                                   const seL4_Word *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        seL4_Word got = seL4_GetMR((int)i);
        if (got != want[i]) {
            fail_msg("%s:%d: after %s, MR%zu = %#lx (%lu), expected %#lx (%lu)", file, line, what,
                     i, got, got, want[i], want[i]);
        }
    }
}

#define EXPECT_OK(expr)                                                                            \
    conf_expect_error(__FILE__, __LINE__, #expr, (seL4_Word)(expr), seL4_NoError)
#define EXPECT_ERR(expr, code)                                                                     \
    conf_expect_error(__FILE__, __LINE__, #expr, (seL4_Word)(expr), (seL4_Word)(code))
#define EXPECT_ERR_MRS(expr, code, ...)                                                            \
    do {                                                                                           \
        conf_expect_error(__FILE__, __LINE__, #expr, (seL4_Word)(expr), (seL4_Word)(code));        \
        const seL4_Word conf_mrs_[] = {__VA_ARGS__};                                               \
        conf_expect_mrs(__FILE__, __LINE__, #expr, conf_mrs_, CONF_ARRAY_LEN(conf_mrs_));          \
    } while (0)

/* MR0, MR1, ... (as the last failing stub left them) are exactly the given words. */
#define EXPECT_MRS(...)                                                                            \
    do {                                                                                           \
        const seL4_Word conf_mrs_[] = {__VA_ARGS__};                                               \
        conf_expect_mrs(__FILE__, __LINE__, "the last call", conf_mrs_,                            \
                        CONF_ARRAY_LEN(conf_mrs_));                                                \
    } while (0)

/* keel_model_cap() of a CPtr that must resolve. */
static inline keel_model_cap_info conf_cap(seL4_CPtr cptr)
{
    keel_model_cap_info info;
    memset(&info, 0, sizeof(info));
    if (keel_model_cap(cptr, &info) != 0) {
        fail_msg("CPtr %#lx does not resolve", cptr);
    }
    return info;
}

static inline bool conf_is_empty(seL4_CPtr cptr)
{
    return conf_cap(cptr).type == KEEL_MODEL_CAP_NULL;
}

/* Retype into the root CNode at `slot` (node_depth 0: the root cap itself is the CNode). */
static inline seL4_Error conf_retype(seL4_CPtr ut, seL4_Word type, seL4_Word size_bits,
                                     seL4_CPtr slot, seL4_Word n)
{
    return seL4_Untyped_Retype(ut, type, size_bits, CONF_ROOT, 0, 0, slot, n);
}

static inline seL4_Error conf_copy(seL4_CPtr dest, seL4_CPtr src, seL4_CapRights_t rights)
{
    return seL4_CNode_Copy(CONF_ROOT, dest, seL4_WordBits, CONF_ROOT, src, seL4_WordBits, rights);
}

static inline seL4_Error conf_mint(seL4_CPtr dest, seL4_CPtr src, seL4_CapRights_t rights,
                                   seL4_Word badge)
{
    return seL4_CNode_Mint(CONF_ROOT, dest, seL4_WordBits, CONF_ROOT, src, seL4_WordBits, rights,
                           badge);
}

static inline seL4_Error conf_move(seL4_CPtr dest, seL4_CPtr src)
{
    return seL4_CNode_Move(CONF_ROOT, dest, seL4_WordBits, CONF_ROOT, src, seL4_WordBits);
}

static inline seL4_Error conf_mutate(seL4_CPtr dest, seL4_CPtr src, seL4_Word data)
{
    return seL4_CNode_Mutate(CONF_ROOT, dest, seL4_WordBits, CONF_ROOT, src, seL4_WordBits, data);
}

static inline seL4_Error conf_rotate(seL4_CPtr dest, seL4_Word dest_badge, seL4_CPtr pivot,
                                     seL4_Word pivot_badge, seL4_CPtr src)
{
    return seL4_CNode_Rotate(CONF_ROOT, dest, seL4_WordBits, dest_badge, CONF_ROOT, pivot,
                             seL4_WordBits, pivot_badge, CONF_ROOT, src, seL4_WordBits);
}

static inline seL4_Error conf_delete(seL4_CPtr slot)
{
    return seL4_CNode_Delete(CONF_ROOT, slot, seL4_WordBits);
}

static inline seL4_Error conf_revoke(seL4_CPtr slot)
{
    return seL4_CNode_Revoke(CONF_ROOT, slot, seL4_WordBits);
}

/*
 * A hand-made seL4_Call: message words w[0..nw) (MR0..MR3 travel in registers, the rest in the
 * IPC buffer), extra caps caps[0..ncaps), and a message info that claims `length` words and
 * `extra` extra caps, which need not agree with what was written. Returns the reply's label
 * (the error) and stores the reply's length in *reply_len if asked.
 */
static inline seL4_Error conf_call(seL4_CPtr dest, seL4_Word label, const seL4_Word *w, size_t nw,
                                   seL4_Word length, const seL4_CPtr *caps, size_t ncaps,
                                   seL4_Word extra, seL4_Word *reply_len)
{
    for (size_t i = 0; i < nw; i++) {
        seL4_SetMR((int)i, w[i]);
    }
    for (size_t i = 0; i < ncaps; i++) {
        seL4_SetCap((int)i, caps[i]);
    }
    seL4_MessageInfo_t reply = seL4_Call(dest, seL4_MessageInfo_new(label, 0, extra, length));
    if (reply_len != NULL) {
        *reply_len = seL4_MessageInfo_get_length(reply);
    }
    return (seL4_Error)seL4_MessageInfo_get_label(reply);
}

/* The CPtrs of the CDT children (or all descendants) of `parent`, in derivation order. */
static inline size_t conf_children(seL4_CPtr parent, bool descendants, seL4_CPtr *out, size_t max)
{
    keel_model_slot slots[512];
    size_t n = keel_model_cdt_children(parent, descendants, slots, CONF_ARRAY_LEN(slots));
    for (size_t i = 0; i < n && i < max && i < CONF_ARRAY_LEN(slots); i++) {
        out[i] = slots[i].cptr;
    }
    return n;
}

static inline void conf_expect_children(const char *file, int line, seL4_CPtr parent,
                                        bool descendants, const seL4_CPtr *want, size_t n_want)
{
    seL4_CPtr got[512];
    size_t n = conf_children(parent, descendants, got, CONF_ARRAY_LEN(got));
    bool same = n == n_want;
    for (size_t i = 0; same && i < n; i++) {
        same = got[i] == want[i];
    }
    if (!same) {
        char g[512] = "", w[512] = "";
        size_t gl = 0, wl = 0;
        for (size_t i = 0; i < n && i < 32; i++) {
            gl += (size_t)snprintf(g + gl, sizeof(g) - gl, " %lu", got[i]);
        }
        for (size_t i = 0; i < n_want && i < 32; i++) {
            wl += (size_t)snprintf(w + wl, sizeof(w) - wl, " %lu", want[i]);
        }
        fail_msg("%s:%d: %s of %lu: [%s ], expected [%s ]", file, line,
                 descendants ? "descendants" : "children", parent, g, w);
    }
}

#define EXPECT_CHILDREN(parent, descendants, ...)                                                  \
    do {                                                                                           \
        const seL4_CPtr conf_want_[] = {__VA_ARGS__};                                              \
        conf_expect_children(__FILE__, __LINE__, (parent), (descendants), conf_want_,              \
                             CONF_ARRAY_LEN(conf_want_));                                          \
    } while (0)
#define EXPECT_NO_CHILDREN(parent)                                                                 \
    conf_expect_children(__FILE__, __LINE__, (parent), false, NULL, 0)

/* Bytes zeroed by the model so far. */
static inline uint64_t conf_bytes_zeroed(void)
{
    keel_model_counters c;
    keel_model_counters_get(&c);
    return c.bytes_zeroed;
}

/* The BootInfo slot of the untyped at `paddr`, which must exist. */
static inline seL4_CPtr conf_untyped_at(const seL4_BootInfo *bi, seL4_Word paddr)
{
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (bi->untypedList[i].paddr == paddr) {
            return bi->untyped.start + i;
        }
    }
    fail_msg("no boot untyped at %#lx", paddr);
    return 0;
}

/* The start of most conformance tests: the recorded world, its 64 KiB RAM untyped at 0x1ffd0000
 * (in *u) and its first empty slot (in *e). */
static inline seL4_BootInfo *conf_boot(seL4_CPtr *u, seL4_CPtr *e)
{
    seL4_BootInfo *bi = model_test_boot(NULL);
    *u = conf_untyped_at(bi, 0x1ffd0000ul);
    *e = bi->empty.start;
    return bi;
}

/* The teardown of every conformance test: the model's invariants hold, then the world goes. */
static inline int conf_teardown(void **state)
{
    (void)state;
    MODEL_CHECK();
    keel_model_shutdown();
    return 0;
}
