/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Object caches (keel/cache.h).
 *
 * Each slab is a slab run (alloc/slab.h) plus bitmaps over its objects: free (handed out with
 * no kernel call), dead (destroyed, memory back with the slab) and, for frames, dirty (free but
 * holding a previous owner's bytes). An object that is none of these is in use. With a
 * constructor, the objects of index below `built` that are not dead are constructed; a slab is
 * finished (built = count) before any of its objects is handed out. Slabs are on one of three
 * lists by what they can give and whether they are in use:
 *   partial  some objects in use, some can be handed out
 *   full     some objects in use, none can be handed out
 *   empty    no object in use (can be given back)
 * and in a treap by first slot, which maps a freed cap to its slab in O(log slabs).
 * Allocation prefers partial slabs, so empty ones stay empty and can be reaped.
 */
#include <keel/cache.h>

#include "alloc/slab.h"
#include "core/assert.h"
#include "core/list.h"
#include "kernel/kcall.h"

#define SLAB_BITS      10            /* 1024 objects (4 retypes of 256) */
#define SLAB_BYTES_CAP (16ull << 20) /* fewer objects while a slab would be larger */
#define PML4_SLAB_BITS 0             /* one: a freed PML4 is destroyed and remade (cache.h) */
#define MAX_SLAB_BITS  12            /* 4096 objects: a slot run stays inside one leaf CNode */

typedef struct keel_cache_slab {
    keel_tnode_t node;
    keel_link_t link; /* on partial, full or empty */
    struct slab_run run;
    uint32_t free, dead, dirty; /* objects in each state */
    uint32_t built;             /* objects below this index (and not dead) are constructed */
    uint64_t bits[];            /* free bits, dead bits, dirty bits */
} keel_cache_slab_t;

static size_t words(const keel_cache_t *c)
{
    return ((size_t)1 << c->slab_bits) / 64 + (c->slab_bits < 6);
}

static uint64_t *bitmap(keel_cache_slab_t *s, const keel_cache_t *c, int which)
{
    return s->bits + (size_t)which * words(c);
}

enum { FREE_BITS, DEAD_BITS, DIRTY_BITS };

static bool bit_get(const uint64_t *b, uint32_t i)
{
    return (b[i / 64] >> (i % 64)) & 1;
}

static void bit_put(uint64_t *b, uint32_t i, bool on)
{
    if (on) {
        b[i / 64] |= 1ull << (i % 64);
    } else {
        b[i / 64] &= ~(1ull << (i % 64));
    }
}

static bool is_frame(seL4_Word type)
{
    return type == seL4_X86_4K || type == seL4_X86_LargePageObject ||
           type == seL4_X64_HugePageObject;
}

/* log2 of an object's size, or 0 for a type the cache cannot hold. */
static unsigned object_bits(seL4_Word type, seL4_Word size_bits)
{
    switch (type) {
    case seL4_UntypedObject:
        return size_bits >= seL4_MinUntypedBits && size_bits <= seL4_MaxUntypedBits
                   ? (unsigned)size_bits
                   : 0;
    case seL4_TCBObject:
        return seL4_TCBBits;
    case seL4_EndpointObject:
        return seL4_EndpointBits;
    case seL4_NotificationObject:
        return seL4_NotificationBits;
    case seL4_CapTableObject:
        return size_bits >= 1 && size_bits + seL4_SlotBits <= seL4_MaxUntypedBits
                   ? (unsigned)size_bits + seL4_SlotBits
                   : 0;
    case seL4_X86_4K:
        return seL4_PageBits;
    case seL4_X86_LargePageObject:
        return seL4_LargePageBits;
    case seL4_X64_HugePageObject:
        return seL4_HugePageBits;
    case seL4_X86_PageTableObject:
    case seL4_X86_PageDirectoryObject:
    case seL4_X86_PDPTObject:
    case seL4_X64_PML4Object:
        return seL4_PageTableBits;
    default:
        return 0;
    }
}

/* ---- Lists ---------------------------------------------------------------------------------- */

static uint32_t in_use(const keel_cache_t *c, const keel_cache_slab_t *s)
{
    (void)c;
    return s->run.count - s->free - s->dead - s->dirty;
}

static uint32_t can_give(const keel_cache_t *c, const keel_cache_slab_t *s)
{
    return s->free + (c->scrub != NULL ? s->dirty : 0);
}

enum slab_list { SLAB_EMPTY, SLAB_PARTIAL, SLAB_FULL };

/* The list a slab belongs on, by its counts. */
static enum slab_list list_of(const keel_cache_t *c, const keel_cache_slab_t *s)
{
    if (in_use(c, s) == 0) {
        return SLAB_EMPTY;
    }
    return can_give(c, s) > 0 ? SLAB_PARTIAL : SLAB_FULL;
}

static keel_cache_slab_t *slab_of_link(keel_link_t *l)
{
    return l != NULL ? KEEL_CONTAINER(l, keel_cache_slab_t, link) : NULL;
}

static keel_link_t **list_for(keel_cache_t *c, const keel_cache_slab_t *s)
{
    switch (list_of(c, s)) {
    case SLAB_EMPTY:
        return &c->empty;
    case SLAB_PARTIAL:
        return &c->partial;
    default:
        return &c->full;
    }
}

/* Run `change` on a slab's counts, moving it to the list its new counts call for. */
#define RELIST(c, s, change)                                                                       \
    do {                                                                                           \
        keel_link_t **from_ = list_for((c), (s));                                                  \
        change;                                                                                    \
        keel_link_t **to_ = list_for((c), (s));                                                    \
        if (from_ != to_) {                                                                        \
            keel_list_remove(from_, &(s)->link);                                                   \
            keel_list_push(to_, &(s)->link);                                                       \
        }                                                                                          \
    } while (0)

/* ---- Slabs ---------------------------------------------------------------------------------- */

static size_t slab_record_size(const keel_cache_t *c)
{
    return sizeof(keel_cache_slab_t) + (is_frame(c->type) ? 3 : 2) * words(c) * sizeof(uint64_t);
}

static uint64_t obj_paddr(const keel_cache_t *c, const keel_cache_slab_t *s, uint32_t i)
{
    return s->run.block.paddr + ((uint64_t)i << c->obj_bits);
}

/* The lower layers' (untyped and slot allocators') counts when an operation began. */
struct lower_mark {
    uint64_t ut_calls, ut_errors, cs_calls, cs_errors;
};

static struct lower_mark lower_mark(const keel_cache_t *c)
{
    return (struct lower_mark){c->ut->kstat.calls, c->ut->kstat.errors, c->cs->kstat.calls,
                               c->cs->kstat.errors};
}

/* Count the lower layers' calls since `m` as the cache's own, and their last error. */
static void count_lower(keel_cache_t *c, const struct lower_mark *m)
{
    c->kstat.calls += c->ut->kstat.calls - m->ut_calls + c->cs->kstat.calls - m->cs_calls;
    c->kstat.errors += c->ut->kstat.errors - m->ut_errors + c->cs->kstat.errors - m->cs_errors;
    if (c->cs->kstat.errors != m->cs_errors) {
        c->kstat.last = c->cs->kstat.last;
    }
    if (c->ut->kstat.errors != m->ut_errors) {
        c->kstat.last = c->ut->kstat.last;
    }
}

static bool constructed(const keel_cache_t *c, keel_cache_slab_t *s, uint32_t i)
{
    return i < s->built && !bit_get(bitmap(s, c, DEAD_BITS), i);
}

/* The destructor for every constructed object of a slab whose objects the kernel has just
 * destroyed; nothing of the slab is constructed afterwards. */
static void destructed_all(keel_cache_t *c, keel_cache_slab_t *s)
{
    if (c->dtor != NULL) {
        for (uint32_t i = 0; i < s->built; i++) {
            if (constructed(c, s, i)) {
                c->dtor(c->ctx, s->run.first + i, obj_paddr(c, s, i));
            }
        }
    }
    s->built = 0;
}

/* Give back an empty slab; KEEL_EKERNEL if the kernel refused (nothing changed). */
static keel_err_t slab_give_back(keel_cache_t *c, keel_cache_slab_t *s)
{
    KEEL_ASSERT(in_use(c, s) == 0, "keel_cache: giving back a slab in use");
    /* A slab whose objects are all dead has no children: nothing to revoke. */
    if (s->dead < s->run.count && slab_run_revoke(c->cs, &c->kstat, &s->run) != KEEL_OK) {
        return KEEL_EKERNEL;
    }
    destructed_all(c, s);
    slab_run_release(c->ut, c->cs, &s->run);
    keel_list_remove(&c->empty, &s->link);
    keel_treap_remove(&c->slabs, &s->node);
    keel_meta_put(&c->meta, s);
    c->slabs_given_back++;
    return KEEL_OK;
}

/*
 * Construct a slab's objects not constructed yet. On a constructor's error the slab stays as
 * far as it got, and is given back if the kernel lets it (or finished on its next use).
 */
static keel_err_t slab_finish(keel_cache_t *c, keel_cache_slab_t *s)
{
    /* A constructor that allocates may make the untyped allocator reclaim: not this slab. */
    c->constructing = true;
    keel_err_t err = KEEL_OK;
    for (; s->built < s->run.count; s->built++) {
        uint32_t i = s->built;
        if (c->ctor == NULL || bit_get(bitmap(s, c, DEAD_BITS), i)) {
            continue;
        }
        err = c->ctor(c->ctx, s->run.first + i, obj_paddr(c, s, i));
        if (err != KEEL_OK) {
            break;
        }
    }
    c->constructing = false;
    if (err != KEEL_OK) {
        (void)slab_give_back(c, s);
    }
    return err;
}

static keel_err_t slab_make(keel_cache_t *c, keel_cache_slab_t **out)
{
    keel_err_t err = keel_meta_reserve(&c->meta, 1);
    if (err != KEEL_OK) {
        return err;
    }
    struct slab_run run;
    struct lower_mark m = lower_mark(c);
    err = slab_run_make(c->ut, c->cs, &c->kstat, c->type, c->size_bits, c->obj_bits,
                        1u << c->slab_bits, false, 0, &run);
    count_lower(c, &m);
    if (err != KEEL_OK) {
        return err;
    }
    keel_cache_slab_t *s = keel_meta_take(&c->meta);
    s->run = run;
    s->free = run.count;
    for (uint32_t i = 0; i < run.count; i++) {
        bit_put(bitmap(s, c, FREE_BITS), i, true);
    }
    keel_treap_insert(&c->slabs, &s->node, run.first);
    keel_list_push(&c->empty, &s->link);
    c->slabs_made++;
    *out = s;
    return KEEL_OK;
}

static bool reclaim(void *ctx, unsigned size_bits)
{
    (void)size_bits;
    keel_cache_t *c = ctx;
    return !c->constructing && keel_cache_reap(c) > 0;
}

/* ---- Public operations ----------------------------------------------------------------------- */

keel_err_t keel_cache_init(keel_cache_t *c, keel_ut_t *ut, keel_cslot_t *cs,
                           const keel_cache_config_t *config, const keel_storage_t *storage)
{
    unsigned obj_bits = object_bits(config->type, config->size_bits);
    if (obj_bits == 0 || (config->objs_per_slab & (config->objs_per_slab - 1)) != 0 ||
        config->objs_per_slab > (1u << MAX_SLAB_BITS)) {
        return KEEL_EINVAL;
    }
    c->name = config->name != NULL ? config->name : "cache";
    c->ut = ut;
    c->cs = cs;
    c->type = config->type;
    c->size_bits = config->size_bits;
    c->obj_bits = obj_bits;
    if (config->objs_per_slab != 0) {
        c->slab_bits = (unsigned)__builtin_ctz(config->objs_per_slab);
    } else {
        /* 1024 objects (4 retypes), halved while a slab would exceed 16 MiB; a PML4, which is
         * destroyed at free, in a slab of its own (cache.h). */
        unsigned bits = config->type == seL4_X64_PML4Object ? PML4_SLAB_BITS : SLAB_BITS;
        while (bits > 0 && (1ull << (bits + obj_bits)) > SLAB_BYTES_CAP) {
            bits--;
        }
        c->slab_bits = bits;
    }
    if (c->obj_bits + c->slab_bits > seL4_MaxUntypedBits || c->slab_bits > cs->leaf_radix) {
        return KEEL_EINVAL;
    }
    c->ctor = config->ctor;
    c->dtor = config->dtor;
    c->ctx = config->ctx;
    c->scrub = is_frame(config->type) ? config->scrub : NULL;
    c->kstat = (keel_kstat_t){0};
    keel_treap_init(&c->slabs);
    c->partial = c->full = c->empty = NULL;
    c->live = c->allocs = c->frees = c->slabs_made = c->slabs_given_back = 0;
    c->constructing = false;
    keel_meta_init(&c->meta, slab_record_size(c), storage);
    c->reclaimer = (keel_ut_reclaimer_t){.reclaim = reclaim, .ctx = c};
    keel_ut_add_reclaimer(ut, &c->reclaimer);
    return KEEL_OK;
}

keel_err_t keel_cache_fini(keel_cache_t *c)
{
    if (c->live != 0) {
        return KEEL_EBUSY;
    }
    while (c->empty != NULL) {
        keel_err_t err = slab_give_back(c, slab_of_link(c->empty));
        if (err != KEEL_OK) {
            return err;
        }
    }
    keel_ut_remove_reclaimer(c->ut, &c->reclaimer);
    return KEEL_OK;
}

static uint32_t first_set(const uint64_t *b, size_t nwords)
{
    for (size_t w = 0; w < nwords; w++) {
        if (b[w] != 0) {
            return (uint32_t)(w * 64 + (unsigned)__builtin_ctzll(b[w]));
        }
    }
    return UINT32_MAX;
}

/*
 * An empty slab with nothing to hand out (dirty frames without a scrubber, destroyed objects):
 * make its objects again in place (one revoke, one retype per 256; the kernel zeroes the
 * block) instead of taking more memory. If a retype fails, the objects not made are dead and
 * come back with the slab's next remake.
 */
static keel_err_t slab_remake(keel_cache_t *c, keel_cache_slab_t *s)
{
    if (s->dead < s->run.count && slab_run_revoke(c->cs, &c->kstat, &s->run) != KEEL_OK) {
        return KEEL_EKERNEL;
    }
    destructed_all(c, s);
    for (uint32_t i = 0; i < s->run.count; i++) {
        bit_put(bitmap(s, c, FREE_BITS), i, false);
        bit_put(bitmap(s, c, DEAD_BITS), i, true);
        if (is_frame(c->type)) {
            bit_put(bitmap(s, c, DIRTY_BITS), i, false);
        }
    }
    s->free = s->dirty = 0;
    s->dead = s->run.count;
    uint32_t made;
    keel_err_t err = slab_run_retype(c->cs, &c->kstat, c->type, c->size_bits, &s->run, &made);
    for (uint32_t i = 0; i < made; i++) {
        bit_put(bitmap(s, c, DEAD_BITS), i, false);
        bit_put(bitmap(s, c, FREE_BITS), i, true);
    }
    s->dead -= made;
    s->free = made;
    return err;
}

/* The slab the next object comes from (made or remade if need be). */
static keel_err_t slab_to_use(keel_cache_t *c, keel_cache_slab_t **out)
{
    if (c->partial != NULL) {
        *out = slab_of_link(c->partial);
        return KEEL_OK;
    }
    for (keel_link_t *l = c->empty; l != NULL; l = l->next) {
        if (can_give(c, slab_of_link(l)) > 0) {
            *out = slab_of_link(l);
            return KEEL_OK;
        }
    }
    if (c->empty != NULL) {
        *out = slab_of_link(c->empty);
        return slab_remake(c, *out);
    }
    return slab_make(c, out);
}

/* The slab the next object comes from, its objects constructed. */
static keel_err_t slab_ready(keel_cache_t *c, keel_cache_slab_t **out)
{
    keel_cache_slab_t *s = NULL;
    keel_err_t err = slab_to_use(c, &s);
    if (err != KEEL_OK) {
        return err;
    }
    KEEL_ASSERT(s != NULL, "keel_cache: no slab");
    if (s->built < s->run.count) {
        err = slab_finish(c, s);
    }
    *out = s;
    return err;
}

keel_err_t keel_cache_alloc(keel_cache_t *c, unsigned flags, keel_cache_obj_t *out)
{
    keel_cache_slab_t *s;
    keel_err_t err = slab_ready(c, &s);
    if (err != KEEL_OK) {
        return err;
    }
    uint32_t i = first_set(bitmap(s, c, FREE_BITS), words(c));
    bool dirty = false;
    if (i == UINT32_MAX) {
        i = first_set(bitmap(s, c, DIRTY_BITS), words(c));
        dirty = true;
        KEEL_ASSERT(i != UINT32_MAX, "keel_cache: a slab on the wrong list");
        if (!(flags & KEEL_CACHE_DIRTY_OK)) {
            err = c->scrub->scrub(c->scrub->ctx, s->run.first + i, obj_paddr(c, s, i), c->obj_bits);
            if (err != KEEL_OK) {
                return err;
            }
        }
    }
    RELIST(c, s, {
        if (dirty) {
            bit_put(bitmap(s, c, DIRTY_BITS), i, false);
            s->dirty--;
        } else {
            bit_put(bitmap(s, c, FREE_BITS), i, false);
            s->free--;
        }
    });
    c->live++;
    c->allocs++;
    out->cptr = s->run.first + i;
    out->paddr = obj_paddr(c, s, i);
    return KEEL_OK;
}

static keel_cache_slab_t *slab_of(const keel_cache_t *c, seL4_CPtr obj, uint32_t *index)
{
    keel_tnode_t *n = keel_treap_floor(&c->slabs, obj);
    if (n == NULL) {
        return NULL;
    }
    keel_cache_slab_t *s = (keel_cache_slab_t *)n; /* the node is the first member */
    if (obj - s->run.first >= s->run.count) {
        return NULL;
    }
    *index = (uint32_t)(obj - s->run.first);
    return s;
}

bool keel_cache_owns(const keel_cache_t *c, seL4_CPtr obj)
{
    uint32_t i;
    keel_cache_slab_t *s = slab_of(c, obj, &i);
    return s != NULL && !bit_get(bitmap(s, c, DEAD_BITS), i);
}

/* What the kernel must do before an object of this type can go to a new owner. */
static keel_err_t reset(keel_cache_t *c, seL4_CPtr obj)
{
    seL4_CNode root = keel_cslot_root(c->cs);
    seL4_Uint8 depth = keel_cslot_depth(c->cs);
    switch (c->type) {
    case seL4_UntypedObject:
        return kc_revoke(&c->kstat, root, obj, depth) == seL4_NoError ? KEEL_OK : KEEL_EKERNEL;
    case seL4_NotificationObject:
        /* An active notification's word goes back to 0 (idle); an idle one stays so. */
        (void)kc_poll(&c->kstat, obj);
        return KEEL_OK;
    case seL4_TCBObject: {
        if (kc_tcb_suspend(&c->kstat, obj) != seL4_NoError) {
            return KEEL_EKERNEL;
        }
        /* Not bound is IllegalOperation, which is fine: there is nothing to undo. */
        seL4_Error err = kc_tcb_unbind(&c->kstat, obj);
        if (err != seL4_NoError && err != seL4_IllegalOperation) {
            return KEEL_EKERNEL;
        }
        /* Registers as a new TCB's; priority and MCP 0 (the TCB is its own authority: 0 is
         * within anyone's MCP). */
        return kc_tcb_zero_registers(&c->kstat, obj) == seL4_NoError &&
                       kc_tcb_set_sched_params(&c->kstat, obj, obj, 0, 0) == seL4_NoError
                   ? KEEL_OK
                   : KEEL_EKERNEL;
    }
    case seL4_X86_4K:
    case seL4_X86_LargePageObject:
    case seL4_X64_HugePageObject:
        return kc_page_unmap(&c->kstat, obj) == seL4_NoError ? KEEL_OK : KEEL_EKERNEL;
    case seL4_X86_PageTableObject:
    case seL4_X86_PageDirectoryObject:
    case seL4_X86_PDPTObject:
        return kc_table_unmap(&c->kstat, c->type, obj) == seL4_NoError ? KEEL_OK : KEEL_EKERNEL;
    default:
        return KEEL_OK;
    }
}

keel_err_t keel_cache_free(keel_cache_t *c, seL4_CPtr obj, unsigned flags)
{
    uint32_t i;
    keel_cache_slab_t *s = slab_of(c, obj, &i);
    KEEL_ASSERT(s != NULL, "keel_cache_free: not an object of this cache");
    KEEL_ASSERT(!bit_get(bitmap(s, c, FREE_BITS), i) && !bit_get(bitmap(s, c, DEAD_BITS), i) &&
                    !(is_frame(c->type) && bit_get(bitmap(s, c, DIRTY_BITS), i)),
                "keel_cache_free: object not in use (double free?)");
    seL4_CNode root = keel_cslot_root(c->cs);
    seL4_Uint8 depth = keel_cslot_depth(c->cs);
    if (c->type == seL4_X64_PML4Object) {
        flags |= KEEL_CACHE_DESTROY; /* only deleting its caps takes a PML4's ASID away */
    }
    if (flags & KEEL_CACHE_DESTROY) {
        /* The last object of its slab not yet destroyed goes, copies and all, with one revoke
         * of the slab's block; any other with a revoke of its cap and a delete. */
        if (s->dead + 1 == s->run.count) {
            if (slab_run_revoke(c->cs, &c->kstat, &s->run) != KEEL_OK) {
                return KEEL_EKERNEL;
            }
        } else if (kc_revoke(&c->kstat, root, obj, depth) != seL4_NoError ||
                   kc_delete(&c->kstat, root, obj, depth) != seL4_NoError) {
            return KEEL_EKERNEL;
        }
        if (c->dtor != NULL) {
            c->dtor(c->ctx, obj, obj_paddr(c, s, i));
        }
        RELIST(c, s, {
            bit_put(bitmap(s, c, DEAD_BITS), i, true);
            s->dead++;
        });
    } else {
        if ((flags & KEEL_CACHE_REVOKE) && kc_revoke(&c->kstat, root, obj, depth) != seL4_NoError) {
            return KEEL_EKERNEL;
        }
        keel_err_t err = reset(c, obj);
        if (err != KEEL_OK) {
            return err;
        }
        bool dirty = is_frame(c->type);
        RELIST(c, s, {
            bit_put(bitmap(s, c, dirty ? DIRTY_BITS : FREE_BITS), i, true);
            if (dirty) {
                s->dirty++;
            } else {
                s->free++;
            }
        });
    }
    c->live--;
    c->frees++;
    return KEEL_OK;
}

size_t keel_cache_reap(keel_cache_t *c)
{
    size_t n = 0;
    while (c->empty != NULL && slab_give_back(c, slab_of_link(c->empty)) == KEEL_OK) {
        n++;
    }
    return n;
}

void keel_cache_stats(const keel_cache_t *c, keel_cache_stats_t *out)
{
    *out = (keel_cache_stats_t){0};
    for (keel_tnode_t *n = keel_treap_first(&c->slabs); n != NULL;
         n = keel_treap_next(&c->slabs, n)) {
        const keel_cache_slab_t *s = (const keel_cache_slab_t *)n;
        out->free += s->free;
        out->dead += s->dead;
        out->dirty += s->dirty;
        out->slabs++;
        out->empty_slabs += in_use(c, s) == 0;
        out->bytes += 1ull << s->run.block.size_bits;
        out->slots += s->run.count;
    }
    out->live = c->live;
    out->meta_bytes = c->meta.bytes_given;
    out->meta_used = c->meta.live * c->meta.rec_size;
    out->kernel_calls = c->kstat.calls;
    out->allocs = c->allocs;
    out->frees = c->frees;
    out->slabs_made = c->slabs_made;
    out->slabs_given_back = c->slabs_given_back;
}

/* ---- Invariants ----------------------------------------------------------------------------- */

static bool on_list(const keel_link_t *head, const keel_cache_slab_t *s)
{
    for (; head != NULL; head = head->next) {
        if (head == &s->link) {
            return true;
        }
    }
    return false;
}

int keel_cache_check(const keel_cache_t *c, const keel_kview_t *kview, const char **what)
{
    if (keel_treap_check(&c->slabs) != 0) {
        *what = "the slab index is broken";
        return -1;
    }
    uint64_t live = 0;
    size_t listed =
        keel_list_length(c->partial) + keel_list_length(c->full) + keel_list_length(c->empty);
    if (listed != c->slabs.count) {
        *what = "slabs on the lists differ from slabs in the index";
        return -1;
    }
    for (keel_tnode_t *n = keel_treap_first(&c->slabs); n != NULL;
         n = keel_treap_next(&c->slabs, n)) {
        keel_cache_slab_t *s = (keel_cache_slab_t *)n;
        uint32_t counts[3] = {0, 0, 0};
        for (uint32_t i = 0; i < s->run.count; i++) {
            int states = 0;
            for (int b = 0; b < (is_frame(c->type) ? 3 : 2); b++) {
                if (bit_get(bitmap(s, c, b), i)) {
                    counts[b]++;
                    states++;
                }
            }
            if (states > 1) {
                *what = "an object is in two states at once";
                return -1;
            }
        }
        if (counts[FREE_BITS] != s->free || counts[DEAD_BITS] != s->dead ||
            counts[DIRTY_BITS] != s->dirty) {
            *what = "a slab's counts differ from its bitmaps";
            return -1;
        }
        if (s->built > s->run.count || (in_use(c, s) > 0 && s->built < s->run.count) ||
            (c->ctor == NULL && s->built != 0 && s->built != s->run.count)) {
            *what = "a slab in use has objects not constructed";
            return -1;
        }
        const keel_link_t *heads[] = {c->empty, c->partial, c->full};
        if (!on_list(heads[list_of(c, s)], s)) {
            *what = "a slab is on the wrong list";
            return -1;
        }
        if (!keel_arena_is_taken(&c->cs->arena, s->run.first, s->run.count)) {
            *what = "a slab's slots are not taken in the slot allocator";
            return -1;
        }
        live += in_use(c, s);
        if (kview == NULL) {
            continue;
        }
        keel_cap_view_t v;
        if (!kview->cap(kview->ctx, s->run.block.cptr, &v) || !v.untyped ||
            v.paddr != s->run.block.paddr || v.has_children != (s->dead < s->run.count)) {
            *what = "a slab's untyped is not where its record says";
            return -1;
        }
        for (uint32_t i = 0; i < s->run.count; i++) {
            bool dead = bit_get(bitmap(s, c, DEAD_BITS), i);
            if (!kview->cap(kview->ctx, s->run.first + i, &v) || v.present == dead ||
                (!dead && v.paddr != obj_paddr(c, s, i))) {
                *what = "an object's cap is not where the slab's arithmetic puts it";
                return -1;
            }
            if (bit_get(bitmap(s, c, FREE_BITS), i) && v.has_children) {
                *what = "a free object's cap has children";
                return -1;
            }
        }
    }
    if (live != c->live) {
        *what = "the cache's live count differs from its slabs";
        return -1;
    }
    return 0;
}
