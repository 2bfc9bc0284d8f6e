/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frame pools (keel/fpool.h).
 *
 * A pool is a slab run of 2^P 4 KiB frames plus a buddy over them (core/fbuddy.h) and a dirty
 * bitmap. A frame is used (handed out), free (in the buddy) or held (back, dirty, out of the
 * buddy until its pool is remade: without a scrubber, or after its scrub failed). With a
 * scrubber, dirty frames are free and carry their dirty bit until they are scrubbed on the way
 * out.
 *
 * Pools are in two treaps (by first slot, to find a freed run's pool; by physical address, for
 * alloc_at) and in one bin by their largest free run (bins[P + 1]: nothing free). A request for
 * 2^k frames takes a pool from the lowest non-empty bin >= k.
 *
 * Invariants (keel_fpool_check): used + free + held = 2^P per pool; held frames are dirty and
 * not free; a pool is in the bin of its largest free run; the global counts (frames used and
 * held, free blocks of each size) are the sums over the pools. Every change to a pool's buddy
 * is bracketed by pool_begin and pool_end, which keep the free-block totals and the bins.
 */
#include <keel/fpool.h>

#include "alloc/slab.h"
#include "core/assert.h"
#include "core/fbuddy.h"
#include "core/list.h"
#include "kernel/kcall.h"

#define DEFAULT_POOL_BITS 10u

typedef struct keel_fpool_pool {
    keel_tnode_t by_slot; /* first: a by_slot node is the pool */
    keel_tnode_t by_paddr;
    keel_link_t link; /* in its bin */
    struct slab_run run;
    keel_fbuddy_t buddy;
    uint32_t used, held;
    unsigned bin;
    uint64_t words[]; /* buddy bitmaps, then the dirty bitmap */
} keel_fpool_pool_t;

static size_t frames(const keel_fpool_t *fp)
{
    return (size_t)1 << fp->pool_bits;
}

static size_t dirty_words(const keel_fpool_t *fp)
{
    return (frames(fp) + 63) / 64;
}

static uint64_t *dirty_bits(const keel_fpool_t *fp, keel_fpool_pool_t *p)
{
    return p->words + fp->dirty_at;
}

static bool is_dirty(const keel_fpool_t *fp, keel_fpool_pool_t *p, uint32_t i)
{
    return (dirty_bits(fp, p)[i / 64] >> (i % 64)) & 1;
}

static void set_dirty(const keel_fpool_t *fp, keel_fpool_pool_t *p, uint32_t i, bool on)
{
    uint64_t *d = dirty_bits(fp, p);
    if (on) {
        d[i / 64] |= 1ull << (i % 64);
    } else {
        d[i / 64] &= ~(1ull << (i % 64));
    }
}

static keel_fpool_pool_t *of_paddr_node(keel_tnode_t *n)
{
    return (keel_fpool_pool_t *)((uint8_t *)n - offsetof(keel_fpool_pool_t, by_paddr));
}

/* ---- Bins ------------------------------------------------------------------------------------ */

static unsigned bin_of(const keel_fpool_t *fp, const keel_fpool_pool_t *p)
{
    int largest = keel_fbuddy_largest(&p->buddy);
    return largest < 0 ? fp->pool_bits + 1 : (unsigned)largest;
}

static keel_fpool_pool_t *pool_of_link(keel_link_t *l)
{
    return l != NULL ? KEEL_CONTAINER(l, keel_fpool_pool_t, link) : NULL;
}

static void bin_remove(keel_fpool_t *fp, keel_fpool_pool_t *p)
{
    keel_list_remove(&fp->bins[p->bin], &p->link);
}

static void bin_add(keel_fpool_t *fp, keel_fpool_pool_t *p)
{
    p->bin = bin_of(fp, p);
    keel_list_push(&fp->bins[p->bin], &p->link);
}

static void rebin(keel_fpool_t *fp, keel_fpool_pool_t *p)
{
    if (bin_of(fp, p) != p->bin) {
        bin_remove(fp, p);
        bin_add(fp, p);
    }
}

/* Add a pool's free blocks to the totals, or take them out. */
static void count_free_runs(keel_fpool_t *fp, const keel_fpool_pool_t *p, bool add)
{
    for (unsigned o = 0; o <= fp->pool_bits; o++) {
        if (add) {
            fp->free_runs[o] += p->buddy.count[o];
        } else {
            fp->free_runs[o] -= p->buddy.count[o];
        }
    }
}

/* Before a pool's buddy changes. */
static void pool_begin(keel_fpool_t *fp, keel_fpool_pool_t *p)
{
    count_free_runs(fp, p, false);
}

/* After: the totals and the pool's bin follow its buddy. */
static void pool_end(keel_fpool_t *fp, keel_fpool_pool_t *p)
{
    count_free_runs(fp, p, true);
    rebin(fp, p);
}

/* ---- Pools ---------------------------------------------------------------------------------- */

static size_t pool_record_size(const keel_fpool_t *fp)
{
    return sizeof(keel_fpool_pool_t) + (fp->dirty_at + dirty_words(fp)) * sizeof(uint64_t);
}

static keel_err_t pool_make(keel_fpool_t *fp, bool at, uint64_t paddr, keel_fpool_pool_t **out)
{
    keel_err_t err = keel_meta_reserve(&fp->meta, 1);
    if (err != KEEL_OK) {
        return err;
    }
    struct slab_run run;
    err = slab_run_make(fp->ut, fp->cs, &fp->kstat, seL4_X86_4K, 0, seL4_PageBits,
                        (uint32_t)frames(fp), at, paddr, &run);
    if (err != KEEL_OK) {
        return err;
    }
    keel_fpool_pool_t *p = keel_meta_take(&fp->meta);
    p->run = run;
    keel_fbuddy_init(&p->buddy, fp->pool_bits, p->words, true);
    keel_treap_insert(&fp->by_slot, &p->by_slot, run.first);
    keel_treap_insert(&fp->by_paddr, &p->by_paddr, run.block.paddr);
    bin_add(fp, p);
    count_free_runs(fp, p, true);
    fp->pools++;
    *out = p;
    return KEEL_OK;
}

static keel_err_t pool_give_back(keel_fpool_t *fp, keel_fpool_pool_t *p)
{
    KEEL_ASSERT(p->used == 0, "keel_fpool: giving back a pool in use");
    keel_err_t err = slab_run_unmake(fp->ut, fp->cs, &p->run);
    if (err != KEEL_OK) {
        return err;
    }
    count_free_runs(fp, p, false);
    bin_remove(fp, p);
    keel_treap_remove(&fp->by_slot, &p->by_slot);
    keel_treap_remove(&fp->by_paddr, &p->by_paddr);
    fp->held -= p->held;
    fp->pools--;
    fp->given_back++;
    keel_meta_put(&fp->meta, p);
    return KEEL_OK;
}

/* Make a pool's frames again in place: the kernel zeroes them; held frames are free again. */
static keel_err_t pool_remake(keel_fpool_t *fp, keel_fpool_pool_t *p)
{
    KEEL_ASSERT(p->used == 0, "keel_fpool: remaking a pool in use");
    keel_err_t err = slab_run_remake(fp->cs, &fp->kstat, seL4_X86_4K, 0, &p->run);
    if (err != KEEL_OK) {
        /* The frames may be half made again: the pool cannot stay. */
        (void)pool_give_back(fp, p);
        return err;
    }
    fp->held -= p->held;
    p->held = 0;
    pool_begin(fp, p);
    keel_fbuddy_init(&p->buddy, fp->pool_bits, p->words, true);
    for (size_t w = 0; w < dirty_words(fp); w++) {
        dirty_bits(fp, p)[w] = 0;
    }
    pool_end(fp, p);
    fp->remade++;
    return KEEL_OK;
}

static bool reclaim(void *ctx, unsigned size_bits)
{
    (void)size_bits;
    return keel_fpool_reap(ctx) > 0;
}

/* ---- Public operations ----------------------------------------------------------------------- */

keel_err_t keel_fpool_init(keel_fpool_t *fp, keel_ut_t *ut, keel_cslot_t *cs,
                           const keel_fpool_config_t *config, const keel_storage_t *storage)
{
    unsigned bits =
        config != NULL && config->pool_bits != 0 ? config->pool_bits : DEFAULT_POOL_BITS;
    if (bits > KEEL_FPOOL_MAX_BITS || bits > cs->leaf_radix) {
        return KEEL_EINVAL;
    }
    fp->ut = ut;
    fp->cs = cs;
    fp->pool_bits = bits;
    fp->dirty_at = keel_fbuddy_words(bits);
    fp->scrub = config != NULL ? config->scrub : NULL;
    fp->kstat = (keel_kstat_t){0};
    keel_treap_init(&fp->by_slot);
    keel_treap_init(&fp->by_paddr);
    for (size_t i = 0; i < sizeof(fp->bins) / sizeof(fp->bins[0]); i++) {
        fp->bins[i] = NULL;
    }
    for (size_t o = 0; o < sizeof(fp->free_runs) / sizeof(fp->free_runs[0]); o++) {
        fp->free_runs[o] = 0;
    }
    fp->pools = fp->used = fp->held = fp->scrubbed = fp->remade = fp->given_back = 0;
    keel_meta_init(&fp->meta, pool_record_size(fp), storage);
    fp->reclaimer = (keel_ut_reclaimer_t){.reclaim = reclaim, .ctx = fp};
    keel_ut_add_reclaimer(ut, &fp->reclaimer);
    return KEEL_OK;
}

keel_err_t keel_fpool_fini(keel_fpool_t *fp)
{
    if (fp->used != 0) {
        return KEEL_EBUSY;
    }
    keel_fpool_reap(fp);
    if (fp->pools != 0) {
        return KEEL_EKERNEL;
    }
    keel_ut_remove_reclaimer(fp->ut, &fp->reclaimer);
    return KEEL_OK;
}

/*
 * Hand out [offset, offset + 2^k) of a pool the buddy has just given (within pool_begin and
 * pool_end): scrub what is dirty. A frame whose scrub fails is held, out of the buddy, so the
 * next allocation does not meet it again; the rest of the run goes back (what was scrubbed,
 * clean).
 */
static keel_err_t hand_out(keel_fpool_t *fp, keel_fpool_pool_t *p, uint32_t offset, unsigned k,
                           unsigned flags, keel_fpool_run_t *out)
{
    uint32_t n = 1u << k;
    for (uint32_t i = offset; i < offset + n; i++) {
        if (!is_dirty(fp, p, i)) {
            continue;
        }
        if (!(flags & KEEL_FPOOL_DIRTY_OK)) {
            keel_err_t err = fp->scrub->scrub(fp->scrub->ctx, p->run.first + i,
                                              p->run.block.paddr + ((uint64_t)i << seL4_PageBits),
                                              seL4_PageBits);
            if (err != KEEL_OK) {
                for (unsigned o = 0; o < k; o++) { /* the run but frame i, in k aligned blocks */
                    keel_fbuddy_free(&p->buddy, ((i >> o) ^ 1u) << o, o);
                }
                p->held++;
                fp->held++;
                pool_end(fp, p);
                return err;
            }
            fp->scrubbed += 1u << seL4_PageBits;
        }
        set_dirty(fp, p, i, false);
    }
    p->used += n;
    fp->used += n;
    pool_end(fp, p);
    out->first = p->run.first + offset;
    out->count = n;
    out->paddr = p->run.block.paddr + ((uint64_t)offset << seL4_PageBits);
    return KEEL_OK;
}

/* The pool to take 2^k frames from: best fit by largest free run; a remade or new one else. */
static keel_err_t pool_for(keel_fpool_t *fp, unsigned k, keel_fpool_pool_t **out)
{
    for (unsigned b = k; b <= fp->pool_bits; b++) {
        if (fp->bins[b] != NULL) {
            *out = pool_of_link(fp->bins[b]);
            return KEEL_OK;
        }
    }
    /* Nothing free fits: a pool with no frame in use but some held dirty (all of them, or some
     * whose scrub failed, beside free runs too small) is remade. */
    for (unsigned b = fp->pool_bits + 1; b != k; b = b == fp->pool_bits + 1 ? 0 : b + 1) {
        for (keel_link_t *l = fp->bins[b]; l != NULL; l = l->next) {
            keel_fpool_pool_t *p = pool_of_link(l);
            if (p->used == 0 && p->held > 0) {
                *out = p;
                return pool_remake(fp, p);
            }
        }
    }
    return pool_make(fp, false, 0, out);
}

keel_err_t keel_fpool_alloc(keel_fpool_t *fp, unsigned k, unsigned flags, keel_fpool_run_t *out)
{
    if (k > fp->pool_bits || (flags & ~KEEL_FPOOL_DIRTY_OK) != 0) {
        return KEEL_EINVAL;
    }
    keel_fpool_pool_t *p;
    keel_err_t err = pool_for(fp, k, &p);
    if (err != KEEL_OK) {
        return err;
    }
    uint32_t offset;
    pool_begin(fp, p);
    bool ok = keel_fbuddy_alloc(&p->buddy, k, &offset);
    KEEL_ASSERT(ok, "keel_fpool: a pool in the wrong bin");
    return hand_out(fp, p, offset, k, flags, out);
}

keel_err_t keel_fpool_alloc_at(keel_fpool_t *fp, uint64_t paddr, unsigned k, unsigned flags,
                               keel_fpool_run_t *out)
{
    uint64_t pool_bytes = (uint64_t)frames(fp) << seL4_PageBits;
    if (k > fp->pool_bits || (paddr & (((uint64_t)1 << (k + seL4_PageBits)) - 1)) != 0 ||
        (flags & ~KEEL_FPOOL_DIRTY_OK) != 0) {
        return KEEL_EINVAL;
    }
    keel_fpool_pool_t *p = NULL;
    keel_tnode_t *n = keel_treap_floor(&fp->by_paddr, paddr);
    if (n != NULL && paddr - of_paddr_node(n)->run.block.paddr < pool_bytes) {
        p = of_paddr_node(n);
    } else {
        keel_err_t err = pool_make(fp, true, paddr & ~(pool_bytes - 1), &p);
        if (err != KEEL_OK) {
            return err;
        }
    }
    uint32_t offset = (uint32_t)((paddr - p->run.block.paddr) >> seL4_PageBits);
    if (!keel_fbuddy_is_free(&p->buddy, offset, k)) {
        /* In use, or held dirty: a pool with nothing in use is remade (the kernel zeroes it),
         * as alloc would remake it; held frames of a pool in use must wait. */
        if (p->used != 0) {
            return KEEL_EBUSY;
        }
        keel_err_t err = pool_remake(fp, p);
        if (err != KEEL_OK) {
            return err;
        }
    }
    pool_begin(fp, p);
    bool ok = keel_fbuddy_alloc_at(&p->buddy, offset, k);
    KEEL_ASSERT(ok, "keel_fpool: a free run the buddy would not give");
    return hand_out(fp, p, offset, k, flags, out);
}

keel_err_t keel_fpool_free(keel_fpool_t *fp, seL4_CPtr first, unsigned k, unsigned flags)
{
    if ((flags & ~(KEEL_FPOOL_UNMAP | KEEL_FPOOL_REVOKE | KEEL_FPOOL_UNMAPPED)) != 0 ||
        ((flags & KEEL_FPOOL_UNMAP) && (flags & KEEL_FPOOL_UNMAPPED))) {
        return KEEL_EINVAL;
    }
    keel_tnode_t *n = keel_treap_floor(&fp->by_slot, first);
    keel_fpool_pool_t *p = (keel_fpool_pool_t *)n;
    KEEL_ASSERT(p != NULL && first - p->run.first < frames(fp) && k <= fp->pool_bits &&
                    ((first - p->run.first) & ((1u << k) - 1)) == 0 &&
                    first - p->run.first + (1u << k) <= frames(fp),
                "keel_fpool_free: not a run of this allocator");
    uint32_t offset = (uint32_t)(first - p->run.first);
    uint32_t count = 1u << k;
    for (uint32_t i = offset; i < offset + count; i++) {
        KEEL_ASSERT(!is_dirty(fp, p, i) && !keel_fbuddy_is_free(&p->buddy, i, 0),
                    "keel_fpool_free: frame not in use (double free?)");
    }
    /* Copies first (their mappings go with them), then the frame's own mapping: no way to ask
     * the kernel whether there is one, and an unmapped frame unmaps at no harm. */
    seL4_CNode root = keel_cslot_root(fp->cs);
    seL4_Uint8 depth = keel_cslot_depth(fp->cs);
    bool revoke = (flags & KEEL_FPOOL_REVOKE) != 0, unmap = (flags & KEEL_FPOOL_UNMAPPED) == 0;
    for (uint32_t i = 0; i < count && (revoke || unmap); i++) {
        if (revoke && kc_revoke(&fp->kstat, root, first + i, depth) != seL4_NoError) {
            return KEEL_EKERNEL;
        }
        if (unmap && kc_page_unmap(&fp->kstat, first + i) != seL4_NoError) {
            return KEEL_EKERNEL;
        }
    }
    for (uint32_t i = offset; i < offset + count; i++) {
        set_dirty(fp, p, i, true);
    }
    p->used -= count;
    fp->used -= count;
    if (fp->scrub != NULL) {
        pool_begin(fp, p);
        keel_fbuddy_free(&p->buddy, offset, k);
        pool_end(fp, p);
    } else {
        p->held += count;
        fp->held += count;
    }
    return KEEL_OK;
}

bool keel_fpool_is_from_pool(const keel_fpool_t *fp, seL4_CPtr frame)
{
    keel_tnode_t *n = keel_treap_floor(&fp->by_slot, frame);
    return n != NULL && frame - ((keel_fpool_pool_t *)n)->run.first < frames(fp);
}

size_t keel_fpool_reap(keel_fpool_t *fp)
{
    size_t n = 0;
    for (unsigned b = 0; b <= fp->pool_bits + 1; b++) {
        keel_link_t *l = fp->bins[b];
        while (l != NULL) {
            keel_link_t *next = l->next;
            keel_fpool_pool_t *p = pool_of_link(l);
            if (p->used == 0 && pool_give_back(fp, p) == KEEL_OK) {
                n++;
            }
            l = next;
        }
    }
    return n;
}

void keel_fpool_stats(const keel_fpool_t *fp, keel_fpool_stats_t *out)
{
    *out = (keel_fpool_stats_t){.largest_free_bits = -1};
    for (unsigned o = 0; o <= fp->pool_bits; o++) {
        out->free_runs[o] = fp->free_runs[o];
        out->frames_free += fp->free_runs[o] << o;
        if (fp->free_runs[o] > 0) {
            out->largest_free_bits = (int)o;
        }
    }
    out->pools = fp->pools;
    out->frames = fp->pools << fp->pool_bits;
    out->frames_used = fp->used;
    out->frames_held = fp->held;
    out->scrubbed_bytes = fp->scrubbed;
    out->remade = fp->remade;
    out->given_back = fp->given_back;
    out->kernel_calls = fp->kstat.calls;
    out->meta_bytes = fp->meta.bytes_given;
    out->meta_used = fp->meta.live * fp->meta.rec_size;
}

int keel_fpool_check(const keel_fpool_t *fp, const keel_kview_t *kview, const char **what)
{
    if (keel_treap_check(&fp->by_slot) != 0 || keel_treap_check(&fp->by_paddr) != 0 ||
        fp->by_slot.count != fp->pools || fp->by_paddr.count != fp->pools) {
        *what = "the pool indexes are broken";
        return -1;
    }
    uint64_t used = 0, held = 0, binned = 0, runs[KEEL_FPOOL_MAX_BITS + 1] = {0};
    for (unsigned b = 0; b <= fp->pool_bits + 1; b++) {
        for (keel_link_t *l = fp->bins[b]; l != NULL; l = l->next) {
            const keel_fpool_pool_t *p = pool_of_link(l);
            binned++;
            if (p->bin != b || bin_of(fp, p) != b) {
                *what = "a pool is in the wrong bin";
                return -1;
            }
        }
    }
    if (binned != fp->pools) {
        *what = "pools in bins differ from pools in the index";
        return -1;
    }
    for (keel_tnode_t *n = keel_treap_first(&fp->by_slot); n != NULL;
         n = keel_treap_next(&fp->by_slot, n)) {
        keel_fpool_pool_t *p = (keel_fpool_pool_t *)n;
        if (keel_fbuddy_check(&p->buddy) != 0) {
            *what = "a pool's buddy is broken";
            return -1;
        }
        uint32_t free_frames = 0, dirty_held = 0;
        for (uint32_t i = 0; i < frames(fp); i++) {
            bool free = keel_fbuddy_is_free(&p->buddy, i, 0);
            free_frames += free;
            if (is_dirty(fp, p, i) && !free) {
                dirty_held++;
            }
            if (is_dirty(fp, p, i) && free && fp->scrub == NULL) {
                *what = "a dirty frame is free without a scrubber";
                return -1;
            }
        }
        if (dirty_held != p->held || p->used + free_frames + p->held != frames(fp)) {
            *what = "a pool's used, free and held frames do not add up";
            return -1;
        }
        used += p->used;
        held += p->held;
        for (unsigned o = 0; o <= fp->pool_bits; o++) {
            runs[o] += p->buddy.count[o];
        }
        if (!keel_arena_is_taken(&fp->cs->arena, p->run.first, p->run.count)) {
            *what = "a pool's slots are not taken in the slot allocator";
            return -1;
        }
        if (kview == NULL) {
            continue;
        }
        keel_cap_view_t v;
        if (!kview->cap(kview->ctx, p->run.block.cptr, &v) || !v.untyped ||
            v.paddr != p->run.block.paddr || !v.has_children) {
            *what = "a pool's untyped is not where its record says";
            return -1;
        }
        for (uint32_t i = 0; i < frames(fp); i++) {
            if (!kview->cap(kview->ctx, p->run.first + i, &v) || !v.frame ||
                v.paddr != p->run.block.paddr + ((uint64_t)i << seL4_PageBits)) {
                *what = "a frame's cap is not where the pool's arithmetic puts it";
                return -1;
            }
        }
    }
    if (used != fp->used || held != fp->held) {
        *what = "the global frame counts differ from the pools'";
        return -1;
    }
    for (unsigned o = 0; o <= fp->pool_bits; o++) {
        if (runs[o] != fp->free_runs[o]) {
            *what = "the free-run totals differ from the pools' buddies";
            return -1;
        }
    }
    return 0;
}
