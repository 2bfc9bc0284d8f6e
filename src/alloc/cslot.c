/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Capability slots (keel/cslot.h): an integer arena whose spans are CNodes, and the growth
 * of the CSpace from one level to two.
 *
 * Span 0 is the boot CNode's empty region; span k >= 1 is leaf CNode k, in top slot k. The
 * arena's span size is the leaf size 2^L, so a run never crosses a CNode and is one retype
 * destination.
 *
 * Growing needs a block from the untyped allocator, which needs slot pairs for its splits.
 * While growing, slot requests are served from a reserve of pairs set aside beforehand, so
 * the recursion ends: growth never waits for growth. The reserve is refilled from the arena
 * afterwards. Every growth step is validate, reserve, commit: records and slots first, then
 * kernel calls, each failure undoing exactly what came before it.
 */
#include <keel/cslot.h>
#include <keel/untyped.h>

#include "core/assert.h"
#include "kernel/kcall.h"

#define DEFAULT_RADIX 12u

static seL4_CPtr reserve_pop(keel_cslot_t *cs)
{
    return cs->reserve[--cs->num_reserve];
}

/* Top the reserve up from the arena (it only comes short when the arena is exhausted). */
static void refill_reserve(keel_cslot_t *cs)
{
    while (cs->num_reserve < KEEL_CSLOT_RESERVE) {
        uint64_t first;
        if (keel_arena_alloc(&cs->arena, 2, &first) != KEEL_OK) {
            return;
        }
        cs->reserve[cs->num_reserve++] = first;
    }
}

keel_err_t keel_cslot_init(keel_cslot_t *cs, const seL4_BootInfo *bi,
                           const keel_cslot_config_t *config, const keel_storage_t *storage)
{
    keel_cslot_config_t defaults = {0};
    if (config == NULL) {
        config = &defaults;
    }
    cs->boot_radix = (unsigned)bi->initThreadCNodeSizeBits;
    cs->top_radix = config->top_radix != 0 ? config->top_radix : DEFAULT_RADIX;
    cs->leaf_radix = config->leaf_radix != 0          ? config->leaf_radix
                     : cs->boot_radix > DEFAULT_RADIX ? cs->boot_radix
                                                      : DEFAULT_RADIX;
    if (cs->leaf_radix < cs->boot_radix || cs->leaf_radix > KEEL_ARENA_MAX_SPAN_BITS ||
        cs->top_radix > 24 || cs->top_radix + cs->leaf_radix > seL4_WordBits ||
        bi->empty.end > (1ull << cs->boot_radix)) {
        return KEEL_EINVAL;
    }
    cs->tcb = config->tcb != 0 ? config->tcb : seL4_CapInitThreadTCB;
    cs->vspace = config->vspace != 0 ? config->vspace : seL4_CapInitThreadVSpace;
    cs->fault_ep = config->fault_ep;
    cs->kstat = (keel_kstat_t){0};
    cs->ut = NULL;
    cs->two_level = false;
    cs->growing = false;
    cs->top = seL4_CapNull;
    cs->next_leaf = 1;
    cs->num_reserve = 0;
    cs->taken = 0;
    keel_err_t err =
        keel_arena_init(&cs->arena, cs->leaf_radix, (size_t)1 << cs->top_radix, storage);
    if (err != KEEL_OK) {
        return err;
    }
    err = keel_arena_add_span(&cs->arena, 0, bi->empty.start, bi->empty.end);
    if (err != KEEL_OK) {
        return err;
    }
    keel_arena_set_next_fit(&cs->arena, config->next_fit);
    refill_reserve(cs);
    return cs->num_reserve == KEEL_CSLOT_RESERVE ? KEEL_OK : KEEL_ENOSLOT;
}

void keel_cslot_attach(keel_cslot_t *cs, struct keel_ut *ut)
{
    cs->ut = ut;
}

seL4_CNode keel_cslot_root(const keel_cslot_t *cs)
{
    return cs->two_level ? cs->top : seL4_CapInitThreadCNode;
}

seL4_Uint8 keel_cslot_depth(const keel_cslot_t *cs)
{
    return (seL4_Uint8)(cs->two_level ? cs->top_radix + cs->leaf_radix : seL4_WordBits);
}

/* The guard that makes the top CNode resolve a full 64-bit CPtr in T + L bits. */
static seL4_Word top_guard(const keel_cslot_t *cs)
{
    return seL4_CNode_CapData_new(0, seL4_WordBits - cs->top_radix - cs->leaf_radix).words[0];
}

void keel_cslot_cspace(const keel_cslot_t *cs, seL4_CNode *root, seL4_Word *root_data)
{
    if (!cs->two_level) {
        *root = seL4_CapInitThreadCNode; /* its cap already has the guard it needs */
        *root_data = 0;
        return;
    }
    *root = cs->top;
    *root_data = top_guard(cs);
}

void keel_cslot_dest(const keel_cslot_t *cs, seL4_CPtr first, keel_slot_dest_t *dest)
{
    if (!cs->two_level) {
        *dest = (keel_slot_dest_t){seL4_CapInitThreadCNode, 0, 0, first};
        return;
    }
    dest->root = cs->top;
    dest->index = first >> cs->leaf_radix;
    dest->depth = cs->top_radix;
    dest->offset = first & ((1ull << cs->leaf_radix) - 1);
}

/*
 * Make the CSpace two-level (see keel/cslot.h): a top CNode in a boot CNode slot, the boot
 * CNode guarded into its slot 0, and the thread's CSpace root switched to it. 3 kernel calls.
 */
static keel_err_t make_two_level(keel_cslot_t *cs)
{
    keel_ut_block_t top;
    keel_err_t err = keel_ut_alloc(cs->ut, cs->top_radix + seL4_SlotBits, 0, &top);
    if (err != KEEL_OK) {
        return err;
    }
    if (cs->num_reserve == 0) {
        (void)keel_ut_free(cs->ut, &top, KEEL_UT_NO_DERIVED);
        return KEEL_ENOSLOT;
    }
    seL4_CPtr slot = reserve_pop(cs);
    keel_arena_free(&cs->arena, slot + 1, 1);
    seL4_Word boot_guard = seL4_CNode_CapData_new(0, cs->leaf_radix - cs->boot_radix).words[0];
    if (kc_retype(&cs->kstat, top.cptr, seL4_CapTableObject, cs->top_radix, seL4_CapInitThreadCNode,
                  0, 0, slot, 1) != seL4_NoError) {
        (void)keel_ut_free(cs->ut, &top, KEEL_UT_NO_DERIVED);
        keel_arena_free(&cs->arena, slot, 1);
        return KEEL_EKERNEL;
    }
    if (kc_mint(&cs->kstat, slot, 0, (seL4_Uint8)cs->top_radix, seL4_CapInitThreadCNode,
                seL4_CapInitThreadCNode, seL4_WordBits, seL4_AllRights,
                boot_guard) != seL4_NoError ||
        kc_set_space(&cs->kstat, cs->tcb, cs->fault_ep, slot, top_guard(cs), cs->vspace, 0) !=
            seL4_NoError) {
        /* Revoking the block deletes the top CNode and what was minted into it. */
        (void)keel_ut_free(cs->ut, &top, 0);
        keel_arena_free(&cs->arena, slot, 1);
        return KEEL_EKERNEL;
    }
    cs->two_level = true;
    cs->top = slot;
    cs->top_block = top.cptr;
    cs->top_paddr = top.paddr;
    cs->taken++; /* the top CNode's slot is the allocator's own */
    return KEEL_OK;
}

/*
 * Undo make_two_level (when the first leaf could not be made, so that a failed growth
 * changes nothing): the thread's CSpace root goes back to the boot CNode and the top CNode's
 * memory back to the untyped allocator. If the kernel refuses, the CSpace stays two-level,
 * which is as valid.
 */
static void undo_two_level(keel_cslot_t *cs)
{
    if (kc_set_space(&cs->kstat, cs->tcb, cs->fault_ep, seL4_CapInitThreadCNode, 0, cs->vspace,
                     0) != seL4_NoError) {
        return;
    }
    cs->two_level = false;
    keel_ut_block_t top = {cs->top_block, cs->top_paddr, cs->top_radix + seL4_SlotBits, false};
    (void)keel_ut_free(cs->ut, &top, 0);
    keel_arena_free(&cs->arena, cs->top, 1);
    cs->taken--;
    cs->top = seL4_CapNull;
}

/* Add one leaf CNode (and first make the CSpace two-level if it is not). */
static keel_err_t grow(keel_cslot_t *cs)
{
    KEEL_ASSERT(!cs->growing, "keel_cslot: growth re-entered");
    if (cs->next_leaf >= ((size_t)1 << cs->top_radix)) {
        return KEEL_ENOSLOT;
    }
    keel_err_t err = keel_meta_reserve(&cs->arena.meta, 1);
    if (err != KEEL_OK) {
        return err;
    }
    cs->growing = true;
    bool converted = false;
    if (!cs->two_level) {
        err = make_two_level(cs);
        converted = err == KEEL_OK;
    }
    if (err == KEEL_OK) {
        keel_ut_block_t leaf;
        err = keel_ut_alloc(cs->ut, cs->leaf_radix + seL4_SlotBits, 0, &leaf);
        if (err == KEEL_OK) {
            if (kc_retype(&cs->kstat, leaf.cptr, seL4_CapTableObject, cs->leaf_radix, cs->top, 0, 0,
                          cs->next_leaf, 1) == seL4_NoError) {
                uint64_t base = (uint64_t)cs->next_leaf << cs->leaf_radix;
                err = keel_arena_add_span(&cs->arena, cs->next_leaf, base,
                                          base + (1ull << cs->leaf_radix));
                KEEL_ASSERT(err == KEEL_OK, "keel_cslot: reserved span record missing");
                cs->next_leaf++;
            } else {
                (void)keel_ut_free(cs->ut, &leaf, KEEL_UT_NO_DERIVED);
                err = KEEL_EKERNEL;
            }
        }
        if (err != KEEL_OK && converted) {
            undo_two_level(cs);
        }
    }
    cs->growing = false;
    refill_reserve(cs);
    return err;
}

keel_err_t keel_cslot_two_level(keel_cslot_t *cs)
{
    if (cs->two_level) {
        return KEEL_OK;
    }
    if (cs->ut == NULL) {
        return KEEL_ENOMEM;
    }
    KEEL_ASSERT(!cs->growing, "keel_cslot: growth re-entered");
    cs->growing = true; /* the untyped allocator's splits come from the reserve */
    keel_err_t err = make_two_level(cs);
    cs->growing = false;
    refill_reserve(cs);
    return err;
}

keel_err_t keel_cslot_alloc_range(keel_cslot_t *cs, size_t n, seL4_CPtr *first)
{
    if (n == 0 || n > (1ull << cs->leaf_radix)) {
        return KEEL_EINVAL;
    }
    if (cs->growing) {
        /* The untyped allocator, splitting for this growth: serve it from the reserve. */
        if (n > 2 || cs->num_reserve == 0) {
            return KEEL_ENOSLOT;
        }
        *first = reserve_pop(cs);
        if (n == 1) {
            keel_arena_free(&cs->arena, *first + 1, 1);
        }
        cs->taken += n;
        return KEEL_OK;
    }
    uint64_t at;
    keel_err_t err = keel_arena_alloc(&cs->arena, n, &at);
    if (err == KEEL_ENOSLOT && cs->ut != NULL) {
        err = grow(cs);
        if (err == KEEL_OK) {
            err = keel_arena_alloc(&cs->arena, n, &at);
        }
    }
    if (err != KEEL_OK) {
        return err;
    }
    *first = at;
    cs->taken += n;
    return KEEL_OK;
}

keel_err_t keel_cslot_alloc(keel_cslot_t *cs, seL4_CPtr *slot)
{
    return keel_cslot_alloc_range(cs, 1, slot);
}

void keel_cslot_free_range(keel_cslot_t *cs, seL4_CPtr first, size_t n)
{
    KEEL_ASSERT(n <= cs->taken, "keel_cslot_free: more slots than were handed out");
    keel_arena_free(&cs->arena, first, n);
    cs->taken -= n;
}

void keel_cslot_free(keel_cslot_t *cs, seL4_CPtr slot)
{
    keel_cslot_free_range(cs, slot, 1);
}

void keel_cslot_stats(const keel_cslot_t *cs, keel_cslot_stats_t *out)
{
    out->slots_free = keel_arena_free_count(&cs->arena);
    out->slots_taken = cs->taken;
    out->slots_total = cs->arena.total;
    out->leaves = cs->next_leaf - 1;
    out->two_level = cs->two_level;
    out->meta_bytes = keel_arena_meta_bytes(&cs->arena);
    out->kernel_calls = cs->kstat.calls;
}

int keel_cslot_check(const keel_cslot_t *cs, const keel_kview_t *kview, const char **what)
{
    if (keel_arena_check(&cs->arena, what) != 0) {
        return -1;
    }
    for (size_t i = 0; i < cs->num_reserve; i++) {
        if (!keel_arena_is_taken(&cs->arena, cs->reserve[i], 2)) {
            *what = "a reserved slot pair is not taken in the arena";
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (cs->reserve[j] == cs->reserve[i]) {
                *what = "a slot pair is reserved twice";
                return -1;
            }
        }
    }
    if (cs->taken + 2 * cs->num_reserve + keel_arena_free_count(&cs->arena) != cs->arena.total) {
        *what = "taken + reserved + free slots do not add up to the slots there are";
        return -1;
    }
    if (kview == NULL) {
        return 0;
    }
    keel_cap_view_t v;
    if (cs->two_level &&
        (!kview->cap(kview->ctx, cs->top, &v) || !v.cnode || v.size_bits != cs->top_radix)) {
        *what = "the top CNode is not where the layout says";
        return -1;
    }
    for (size_t k = 1; kview->cap_at != NULL && k < cs->next_leaf; k++) { /* leaf k: top slot k */
        if (!kview->cap_at(kview->ctx, cs->top, k, cs->top_radix, &v) || !v.cnode ||
            v.size_bits != cs->leaf_radix) {
            *what = "a leaf CNode is not where the layout says";
            return -1;
        }
    }
    const keel_arena_t *a = &cs->arena;
    for (size_t s = 0; s < a->max_spans; s++) {
        const keel_arena_span_t *span = a->spans[s];
        if (span == NULL) {
            continue;
        }
        for (size_t i = 0; i < ((size_t)1 << a->span_bits); i++) {
            if ((span->bits[i / 64] >> (i % 64)) & 1) {
                continue;
            }
            seL4_CPtr slot = ((seL4_CPtr)s << a->span_bits) + i;
            if (!kview->cap(kview->ctx, slot, &v) || v.present) {
                *what = "a free slot is not empty in the kernel";
                return -1;
            }
        }
    }
    return 0;
}
