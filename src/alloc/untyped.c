/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The untyped buddy allocator (keel/untyped.h).
 *
 * State. Each boot untyped roots a binary tree. A node is FREE (a block nobody holds, whose
 * cap has no children), USED (handed out) or SPLIT (its cap has exactly two children: the
 * halves, in consecutive slots, described by a pair of nodes). free_mask and coll_mask of a
 * node are the sizes of the FREE blocks and of the entirely-free SPLIT nodes ("collapsible")
 * in its subtree, itself included; they are recomputed on the path to the root after every
 * change (update_up), so a search reads them instead of scanning lists.
 *
 * Operations, each validate -> reserve -> commit:
 *   plan      pick the node to use (pure: no state changes, no kernel calls);
 *   reserve   take the slot pairs and node pairs the plan needs (taking slots may grow the
 *             CSpace, which allocates from this allocator: so plan again afterwards, until the
 *             reservation covers the plan);
 *   commit    make the kernel calls; a failing split undoes the splits before it with one
 *             Revoke of the first node split, leaving the tree exactly as it was.
 *
 * Bounds: a plan is O(#roots + depth); a split chain is one retype per level; collapsing a
 * subtree of m nodes is one Revoke plus O(m) bookkeeping.
 */
#include <keel/untyped.h>

#include "core/assert.h"
#include "kernel/kcall.h"

#define NO_ORDER  0xffu
#define MAX_DEPTH (seL4_MaxUntypedBits - seL4_MinUntypedBits + 1)

typedef struct keel_ut_pair {
    keel_ut_node_t half[2];
} keel_ut_pair_t;

static uint64_t bit(unsigned order)
{
    return 1ull << order;
}

static bool is_collapsible(const keel_ut_node_t *n)
{
    return n->state == KEEL_UT_SPLIT && (n->coll_mask & bit(n->size_bits));
}

/* ---- Masks and counters -------------------------------------------------------------------- */

static void recompute(keel_ut_node_t *n)
{
    switch (n->state) {
    case KEEL_UT_FREE:
        n->free_mask = bit(n->size_bits);
        n->coll_mask = 0;
        break;
    case KEEL_UT_USED:
        n->free_mask = n->coll_mask = 0;
        break;
    default: {
        const keel_ut_node_t *lo = &n->child[0], *hi = &n->child[1];
        n->free_mask = lo->free_mask | hi->free_mask;
        n->coll_mask = lo->coll_mask | hi->coll_mask;
        if ((lo->state == KEEL_UT_FREE || is_collapsible(lo)) &&
            (hi->state == KEEL_UT_FREE || is_collapsible(hi))) {
            n->coll_mask |= bit(n->size_bits);
        }
        break;
    }
    }
}

static void update_up(keel_ut_node_t *n)
{
    for (; n != NULL; n = n->parent) {
        recompute(n);
    }
}

/* Add (+1) or remove (-1) a node in the per-size counts of free and used blocks. */
static void count(keel_ut_t *ut, const keel_ut_node_t *n, int delta)
{
    if (n->state == KEEL_UT_FREE) {
        ut->free_blocks[n->device][n->size_bits] += (uint64_t)(int64_t)delta;
    } else if (n->state == KEEL_UT_USED) {
        ut->used_blocks[n->device][n->size_bits] += (uint64_t)(int64_t)delta;
    }
}

static void set_state(keel_ut_t *ut, keel_ut_node_t *n, uint8_t state)
{
    count(ut, n, -1);
    n->state = state;
    count(ut, n, +1);
}

/* ---- Finding nodes ------------------------------------------------------------------------- */

/* The lowest-addressed node of size `order` whose bit is set in the chosen mask. */
static keel_ut_node_t *lowest(keel_ut_node_t *const *roots, size_t num, unsigned order,
                              bool collapsible)
{
    for (size_t i = 0; i < num; i++) {
        keel_ut_node_t *n = roots[i];
        uint64_t mask = collapsible ? n->coll_mask : n->free_mask;
        if (!(mask & bit(order))) {
            continue;
        }
        while (n->size_bits > order) {
            keel_ut_node_t *lo = &n->child[0];
            n = ((collapsible ? lo->coll_mask : lo->free_mask) & bit(order)) ? lo : &n->child[1];
        }
        return n;
    }
    return NULL;
}

/* The root covering [paddr, paddr + 2^order), RAM or device; NULL if none. */
static keel_ut_node_t *root_covering(const keel_ut_t *ut, uint64_t paddr, unsigned order)
{
    for (int kind = 0; kind < 2; kind++) {
        keel_ut_node_t *const *roots = kind ? ut->dev : ut->ram;
        size_t lo = 0, hi = kind ? ut->num_dev : ut->num_ram;
        while (lo < hi) { /* the last root starting at or below paddr */
            size_t mid = (lo + hi) / 2;
            if (roots[mid]->paddr <= paddr) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        if (lo > 0) {
            keel_ut_node_t *r = roots[lo - 1];
            if (paddr - r->paddr < bit(r->size_bits) && order <= r->size_bits &&
                paddr - r->paddr <= bit(r->size_bits) - bit(order)) {
                return r;
            }
        }
    }
    return NULL;
}

static keel_ut_node_t *half_containing(keel_ut_node_t *n, uint64_t paddr)
{
    return &n->child[(paddr - n->paddr) >> (n->size_bits - 1) ? 1 : 0];
}

/* ---- Plans ---------------------------------------------------------------------------------- */

enum plan_kind { PLAN_TAKE, PLAN_COLLAPSE, PLAN_SPLIT };

struct plan {
    enum plan_kind kind;
    keel_ut_node_t *node; /* the block taken or collapsed, or the first node split */
    unsigned order;       /* the size wanted */
    unsigned splits;
    bool at; /* split toward `paddr` instead of toward low addresses */
    uint64_t paddr;
};

static keel_err_t plan_alloc(keel_ut_t *ut, unsigned order, bool device, struct plan *p)
{
    keel_ut_node_t *const *roots = device ? ut->dev : ut->ram;
    size_t num = device ? ut->num_dev : ut->num_ram;
    uint64_t free_mask = 0, coll_mask = 0;
    for (size_t i = 0; i < num; i++) {
        free_mask |= roots[i]->free_mask;
        coll_mask |= roots[i]->coll_mask;
    }
    *p = (struct plan){.order = order};
    if (free_mask & bit(order)) {
        p->kind = PLAN_TAKE;
        p->node = lowest(roots, num, order, false);
    } else if (coll_mask & bit(order)) {
        p->kind = PLAN_COLLAPSE;
        p->node = lowest(roots, num, order, true);
    } else {
        uint64_t larger = free_mask & ~(bit(order + 1) - 1);
        if (larger == 0) {
            return KEEL_ENOMEM;
        }
        unsigned from = (unsigned)__builtin_ctzll(larger);
        p->kind = PLAN_SPLIT;
        p->node = lowest(roots, num, from, false);
        p->splits = from - order;
    }
    return KEEL_OK;
}

static keel_err_t plan_alloc_at(keel_ut_t *ut, uint64_t paddr, unsigned order, struct plan *p)
{
    keel_ut_node_t *n = root_covering(ut, paddr, order);
    if (n == NULL) {
        return KEEL_ENOENT;
    }
    if ((paddr - n->paddr) & (bit(order) - 1)) {
        return KEEL_EINVAL;
    }
    while (n->size_bits > order && n->state == KEEL_UT_SPLIT) {
        n = half_containing(n, paddr);
    }
    *p = (struct plan){.node = n, .order = order, .at = true, .paddr = paddr};
    if (n->state == KEEL_UT_USED) {
        return KEEL_EBUSY;
    }
    if (n->size_bits > order) {
        p->kind = PLAN_SPLIT; /* a free block larger than wanted */
        p->splits = n->size_bits - order;
    } else if (n->state == KEEL_UT_FREE) {
        p->kind = PLAN_TAKE;
    } else if (is_collapsible(n)) {
        p->kind = PLAN_COLLAPSE;
    } else {
        return KEEL_EBUSY;
    }
    return KEEL_OK;
}

/* ---- Reservations --------------------------------------------------------------------------- */

struct pairs {
    seL4_CPtr first[MAX_DEPTH];
    unsigned n, used;
};

static void release_pairs(keel_ut_t *ut, struct pairs *held)
{
    while (held->n > held->used) {
        keel_cslot_free_range(ut->cs, held->first[--held->n], 2);
    }
}

/*
 * Plan, and hold the slot pairs the plan needs. Taking slots may grow the CSpace, which
 * allocates from this allocator and can change the tree: plan again until the pairs held
 * cover the plan.
 */
static keel_err_t plan_and_reserve(keel_ut_t *ut, bool at, uint64_t paddr, unsigned order,
                                   bool device, struct plan *p, struct pairs *held)
{
    for (;;) {
        keel_err_t err = at ? plan_alloc_at(ut, paddr, order, p) : plan_alloc(ut, order, device, p);
        if (err != KEEL_OK) {
            release_pairs(ut, held);
            return err;
        }
        if (held->n >= p->splits) {
            break;
        }
        err = keel_cslot_alloc_range(ut->cs, 2, &held->first[held->n]);
        if (err != KEEL_OK) {
            release_pairs(ut, held);
            return err;
        }
        held->n++;
    }
    keel_err_t err = keel_meta_reserve(&ut->meta, p->splits);
    if (err != KEEL_OK) {
        release_pairs(ut, held);
    }
    return err;
}

/* ---- Commit ------------------------------------------------------------------------------- */

static seL4_Error revoke(keel_ut_t *ut, seL4_CPtr cptr)
{
    ut->revokes++;
    return kc_revoke(&ut->kstat, keel_cslot_root(ut->cs), cptr, keel_cslot_depth(ut->cs));
}

/* Forget a SPLIT node's subtree after its cap was revoked: it becomes one FREE block. */
static void release_subtree(keel_ut_t *ut, keel_ut_node_t *n)
{
    keel_ut_node_t *stack[MAX_DEPTH + 1];
    size_t depth = 0;
    stack[depth++] = n;
    while (depth > 0) {
        keel_ut_node_t *s = stack[--depth];
        if (s->state != KEEL_UT_SPLIT) {
            continue;
        }
        keel_ut_node_t *pair = s->child;
        for (int i = 0; i < 2; i++) {
            KEEL_ASSERT(pair[i].state != KEEL_UT_USED, "keel_ut: collapsing a used block");
            if (pair[i].state == KEEL_UT_SPLIT) {
                stack[depth++] = &pair[i];
            }
            count(ut, &pair[i], -1);
        }
        keel_cslot_free_range(ut->cs, pair[0].cptr, 2);
        keel_meta_put(&ut->meta, pair);
        ut->nodes -= 2;
        s->child = NULL;
    }
    set_state(ut, n, KEEL_UT_FREE);
    update_up(n);
}

/* Split a FREE node into two FREE halves, in the slot pair at `first`. */
static seL4_Error split(keel_ut_t *ut, keel_ut_node_t *n, seL4_CPtr first)
{
    keel_slot_dest_t d;
    keel_cslot_dest(ut->cs, first, &d);
    ut->retypes++;
    seL4_Error err = kc_retype(&ut->kstat, n->cptr, seL4_UntypedObject, n->size_bits - 1u, d.root,
                               d.index, d.depth, d.offset, 2);
    if (err != seL4_NoError) {
        return err;
    }
    keel_ut_pair_t *pair = keel_meta_take(&ut->meta);
    ut->nodes += 2;
    for (int i = 0; i < 2; i++) {
        keel_ut_node_t *h = &pair->half[i];
        h->paddr = n->paddr + ((uint64_t)i << (n->size_bits - 1));
        h->cptr = first + (seL4_CPtr)i;
        h->parent = n;
        h->size_bits = (uint8_t)(n->size_bits - 1);
        h->device = n->device;
        h->state = KEEL_UT_FREE;
        count(ut, h, +1);
        recompute(h);
    }
    set_state(ut, n, KEEL_UT_SPLIT);
    n->child = pair->half;
    return seL4_NoError;
}

static keel_err_t commit(keel_ut_t *ut, const struct plan *p, struct pairs *held,
                         keel_ut_block_t *out)
{
    keel_ut_node_t *n = p->node;
    if (p->kind == PLAN_COLLAPSE) {
        if (revoke(ut, n->cptr) != seL4_NoError) {
            return KEEL_EKERNEL;
        }
        release_subtree(ut, n);
    } else if (p->kind == PLAN_SPLIT) {
        for (unsigned i = 0; i < p->splits; i++) {
            if (split(ut, n, held->first[held->used]) != seL4_NoError) {
                /* Undo the splits made so far: one revoke of the first node split. */
                if (i > 0 && revoke(ut, p->node->cptr) == seL4_NoError) {
                    release_subtree(ut, p->node);
                } else {
                    update_up(n);
                }
                return KEEL_EKERNEL;
            }
            held->used++;
            n = p->at ? half_containing(n, p->paddr) : &n->child[0];
        }
    }
    set_state(ut, n, KEEL_UT_USED);
    update_up(n);
    *out = (keel_ut_block_t){n->cptr, n->paddr, n->size_bits, n->device};
    return KEEL_OK;
}

static keel_err_t alloc(keel_ut_t *ut, bool at, uint64_t paddr, unsigned order, bool device,
                        keel_ut_block_t *out)
{
    struct plan p;
    struct pairs held = {.n = 0, .used = 0};
    keel_err_t err = plan_and_reserve(ut, at, paddr, order, device, &p, &held);
    if ((err == KEEL_ENOMETA || err == KEEL_ENOSLOT) && keel_ut_compact(ut) > 0) {
        /* Free subtrees hold node pairs and slots: give them back and try again. */
        err = plan_and_reserve(ut, at, paddr, order, device, &p, &held);
    }
    if (err != KEEL_OK) {
        return err;
    }
    err = commit(ut, &p, &held, out);
    release_pairs(ut, &held);
    return err;
}

/* ---- Public operations ----------------------------------------------------------------------- */

keel_err_t keel_ut_init(keel_ut_t *ut, const seL4_BootInfo *bi, keel_cslot_t *cs,
                        const keel_storage_t *storage)
{
    ut->cs = cs;
    ut->kstat = (keel_kstat_t){0};
    ut->retypes = ut->revokes = 0;
    ut->num_ram = ut->num_dev = 0;
    ut->reclaimers = NULL;
    ut->nodes = 0;
    for (int d = 0; d < 2; d++) {
        for (int o = 0; o < KEEL_UT_ORDERS; o++) {
            ut->free_blocks[d][o] = ut->used_blocks[d][o] = 0;
        }
    }
    keel_meta_init(&ut->meta, sizeof(keel_ut_pair_t), storage);
    size_t num_roots = bi->untyped.end - bi->untyped.start;
    if (num_roots > KEEL_UT_MAX_ROOTS) {
        return KEEL_EINVAL;
    }
    for (size_t i = 0; i < num_roots; i++) {
        const seL4_UntypedDesc *desc = &bi->untypedList[i];
        keel_ut_node_t *r = &ut->roots[i];
        *r = (keel_ut_node_t){.paddr = desc->paddr,
                              .cptr = bi->untyped.start + i,
                              .size_bits = desc->sizeBits,
                              .device = desc->isDevice ? 1 : 0,
                              .state = KEEL_UT_FREE};
        count(ut, r, +1);
        recompute(r);
        /* Insert into its kind's list, kept sorted by address. */
        keel_ut_node_t **list = r->device ? ut->dev : ut->ram;
        size_t *num = r->device ? &ut->num_dev : &ut->num_ram;
        size_t j = (*num)++;
        for (; j > 0 && list[j - 1]->paddr > r->paddr; j--) {
            list[j] = list[j - 1];
        }
        list[j] = r;
    }
    keel_cslot_attach(cs, ut);
    return KEEL_OK;
}

keel_err_t keel_ut_alloc(keel_ut_t *ut, unsigned size_bits, unsigned flags, keel_ut_block_t *out)
{
    if (size_bits < seL4_MinUntypedBits || size_bits > seL4_MaxUntypedBits ||
        (flags & ~KEEL_UT_DEVICE) != 0) {
        return KEEL_EINVAL;
    }
    bool device = (flags & KEEL_UT_DEVICE) != 0;
    keel_err_t err = alloc(ut, false, 0, size_bits, device, out);
    for (keel_ut_reclaimer_t *r = ut->reclaimers; err == KEEL_ENOMEM && r != NULL; r = r->next) {
        if (r->reclaim(r->ctx, size_bits)) {
            err = alloc(ut, false, 0, size_bits, device, out);
        }
    }
    return err;
}

keel_err_t keel_ut_alloc_at(keel_ut_t *ut, uint64_t paddr, unsigned size_bits, keel_ut_block_t *out)
{
    if (size_bits < seL4_MinUntypedBits || size_bits > seL4_MaxUntypedBits) {
        return KEEL_EINVAL;
    }
    return alloc(ut, true, paddr, size_bits, false, out);
}

/* The node of exactly this block, or NULL. */
static keel_ut_node_t *node_of(const keel_ut_t *ut, uint64_t paddr, unsigned size_bits)
{
    keel_ut_node_t *n = root_covering(ut, paddr, size_bits);
    if (n == NULL || ((paddr - n->paddr) & (bit(size_bits) - 1))) {
        return NULL;
    }
    while (n->size_bits > size_bits && n->state == KEEL_UT_SPLIT) {
        n = half_containing(n, paddr);
    }
    return n->size_bits == size_bits ? n : NULL;
}

keel_err_t keel_ut_free(keel_ut_t *ut, const keel_ut_block_t *block, unsigned flags)
{
    keel_ut_node_t *n = node_of(ut, block->paddr, block->size_bits);
    KEEL_ASSERT(n != NULL && n->state == KEEL_UT_USED && n->cptr == block->cptr,
                "keel_ut_free: not a block this allocator handed out (double free?)");
    if (!(flags & KEEL_UT_NO_DERIVED) && revoke(ut, n->cptr) != seL4_NoError) {
        return KEEL_EKERNEL;
    }
    set_state(ut, n, KEEL_UT_FREE);
    update_up(n);
    return KEEL_OK;
}

keel_err_t keel_ut_find(const keel_ut_t *ut, uint64_t paddr, keel_ut_block_t *out, int *state)
{
    keel_ut_node_t *n = root_covering(ut, paddr, 0); /* any byte of a root */
    if (n == NULL) {
        return KEEL_ENOENT;
    }
    while (n->state == KEEL_UT_SPLIT) {
        n = half_containing(n, paddr);
    }
    *out = (keel_ut_block_t){n->cptr, n->paddr, n->size_bits, n->device};
    *state = n->state;
    return KEEL_OK;
}

size_t keel_ut_compact(keel_ut_t *ut)
{
    size_t collapsed = 0;
    for (int kind = 0; kind < 2; kind++) {
        keel_ut_node_t *const *roots = kind ? ut->dev : ut->ram;
        size_t num = kind ? ut->num_dev : ut->num_ram;
        for (size_t i = 0; i < num; i++) {
            /* Depth-first; a collapsible node is collapsed whole, its subtree not visited. */
            keel_ut_node_t *stack[MAX_DEPTH + 1];
            size_t depth = 0;
            stack[depth++] = roots[i];
            while (depth > 0) {
                keel_ut_node_t *n = stack[--depth];
                if (n->state != KEEL_UT_SPLIT) {
                    continue;
                }
                if (is_collapsible(n)) {
                    if (revoke(ut, n->cptr) == seL4_NoError) {
                        release_subtree(ut, n);
                        collapsed++;
                    }
                    continue;
                }
                stack[depth++] = &n->child[1];
                stack[depth++] = &n->child[0];
            }
        }
    }
    return collapsed;
}

void keel_ut_add_reclaimer(keel_ut_t *ut, keel_ut_reclaimer_t *r)
{
    keel_ut_reclaimer_t **at = &ut->reclaimers;
    while (*at != NULL) {
        at = &(*at)->next;
    }
    r->next = NULL;
    *at = r;
}

void keel_ut_remove_reclaimer(keel_ut_t *ut, keel_ut_reclaimer_t *r)
{
    for (keel_ut_reclaimer_t **at = &ut->reclaimers; *at != NULL; at = &(*at)->next) {
        if (*at == r) {
            *at = r->next;
            return;
        }
    }
}

void keel_ut_stats(const keel_ut_t *ut, keel_ut_stats_t *out)
{
    *out = (keel_ut_stats_t){0};
    uint64_t coll = 0, free_ram = 0;
    for (size_t i = 0; i < ut->num_ram; i++) {
        coll |= ut->ram[i]->coll_mask;
        free_ram |= ut->ram[i]->free_mask;
    }
    for (unsigned o = 0; o < KEEL_UT_ORDERS; o++) {
        out->free_bytes[o] = ut->free_blocks[0][o] << o;
        out->used_bytes[o] = ut->used_blocks[0][o] << o;
        out->ram_free += out->free_bytes[o];
        out->ram_used += out->used_bytes[o];
        out->dev_free_bytes[o] = ut->free_blocks[1][o] << o;
        out->dev_used_bytes[o] = ut->used_blocks[1][o] << o;
        out->dev_free += out->dev_free_bytes[o];
        out->dev_used += out->dev_used_bytes[o];
        out->used_blocks += ut->used_blocks[0][o] + ut->used_blocks[1][o];
    }
    uint64_t all = coll | free_ram;
    out->largest_free_bits = all == 0 ? 0 : 63u - (unsigned)__builtin_clzll(all);
    out->nodes = ut->nodes;
    out->meta_bytes = ut->meta.bytes_given;
    out->kernel_calls = ut->kstat.calls;
    out->retypes = ut->retypes;
    out->revokes = ut->revokes;
}

/* ---- Invariants ----------------------------------------------------------------------------- */

static int check_node(const keel_ut_t *ut, const keel_ut_node_t *n, const keel_kview_t *kview,
                      uint64_t *counts, const char **what)
{
    uint64_t want_free = n->free_mask, want_coll = n->coll_mask;
    keel_ut_node_t copy = *n;
    recompute(&copy);
    if (copy.free_mask != want_free || copy.coll_mask != want_coll) {
        *what = "a node's size masks are stale";
        return -1;
    }
    if (n->state > KEEL_UT_SPLIT) {
        *what = "a node has an invalid state";
        return -1;
    }
    if (n->state != KEEL_UT_SPLIT) {
        counts[n->state * 2 + n->device] += bit(n->size_bits);
    }
    if (n->state == KEEL_UT_SPLIT) {
        for (int i = 0; i < 2; i++) {
            const keel_ut_node_t *h = &n->child[i];
            if (h->parent != n || h->size_bits + 1 != n->size_bits || h->device != n->device ||
                h->paddr != n->paddr + ((uint64_t)i << h->size_bits) ||
                h->cptr != n->child[0].cptr + (seL4_CPtr)i) {
                *what = "a split node's halves do not cover it exactly";
                return -1;
            }
        }
        if (!keel_arena_is_taken(&ut->cs->arena, n->child[0].cptr, 2)) {
            *what = "the slots of a node pair are not taken in the slot allocator";
            return -1;
        }
    }
    if (kview != NULL) {
        keel_cap_view_t v;
        if (!kview->cap(kview->ctx, n->cptr, &v) || !v.untyped || v.paddr != n->paddr ||
            v.size_bits != n->size_bits || v.device != (n->device != 0)) {
            *what = "a node's cap is not the untyped it describes";
            return -1;
        }
        if (n->state == KEEL_UT_SPLIT && !v.has_children) {
            *what = "a split node's cap has no children";
            return -1;
        }
        if (n->state == KEEL_UT_FREE && v.has_children) {
            *what = "a free block's cap still has children";
            return -1;
        }
    }
    return 0;
}

int keel_ut_check(const keel_ut_t *ut, const keel_kview_t *kview, const char **what)
{
    uint64_t counts[4] = {0}; /* [state * 2 + device] bytes, FREE and USED */
    uint64_t nodes = 0;
    for (int kind = 0; kind < 2; kind++) {
        keel_ut_node_t *const *roots = kind ? ut->dev : ut->ram;
        size_t num = kind ? ut->num_dev : ut->num_ram;
        for (size_t i = 0; i < num; i++) {
            if (i > 0 && roots[i - 1]->paddr >= roots[i]->paddr) {
                *what = "roots are not sorted by address";
                return -1;
            }
            if (roots[i]->device != kind || roots[i]->parent != NULL) {
                *what = "a root is in the wrong list";
                return -1;
            }
            const keel_ut_node_t *stack[2 * MAX_DEPTH + 2];
            size_t depth = 0;
            stack[depth++] = roots[i];
            while (depth > 0) {
                const keel_ut_node_t *n = stack[--depth];
                if (check_node(ut, n, kview, counts, what) != 0) {
                    return -1;
                }
                if (n->state == KEEL_UT_SPLIT) {
                    stack[depth++] = &n->child[1];
                    stack[depth++] = &n->child[0];
                    nodes += 2;
                }
            }
        }
    }
    uint64_t want[4] = {0};
    for (unsigned o = 0; o < KEEL_UT_ORDERS; o++) {
        for (int d = 0; d < 2; d++) {
            want[KEEL_UT_FREE * 2 + d] += ut->free_blocks[d][o] << o;
            want[KEEL_UT_USED * 2 + d] += ut->used_blocks[d][o] << o;
        }
    }
    for (int i = 0; i < 4; i++) {
        if (counts[i] != want[i]) {
            *what = "the per-size block counts differ from the tree";
            return -1;
        }
    }
    if (nodes != ut->nodes || ut->meta.live * 2 != nodes) {
        *what = "the node count differs from the tree";
        return -1;
    }
    return 0;
}
