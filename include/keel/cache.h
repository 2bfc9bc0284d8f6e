/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/cache.h — object caches: kernel objects of one type, made in slabs and reused.
 *
 * After Bonwick's slab allocator. A slab is one untyped block from keel_ut and one run of
 * consecutive slots from keel_cslot; its N objects are retyped at once, 256 per kernel call,
 * so object i's cap is slot first + i and its physical address base + i·size. A freed object
 * stays constructed and is handed out again with no kernel call, unless it needs resetting
 * first (below). A slab whose objects are all free can be given back: one revoke of its
 * untyped deletes every object, and its block and slots return to the layers below. The
 * untyped allocator asks caches to give back empty slabs before it refuses a request.
 *
 * Slab size policy: N = 256 objects (one retype); more for tiny objects, so that a slab is at
 * least 16 KiB (1024 endpoints in 4 retypes) and its record stays a small share; fewer when a
 * slab would exceed 16 MiB, but never fewer than 64 unless a single object is larger than
 * 256 KiB. A cold cache thus costs at most 1/64 kernel call per object for every object of
 * 256 KiB or less (keel_cache_config_t.objs_per_slab overrides).
 *
 * What freeing costs, by type (kernel calls):
 *   endpoint, notification, CNode      0   (a CNode must be empty: its owner deleted its caps)
 *   untyped                            1   revoke (whatever was made from it goes)
 *   TCB                                2   suspend, unbind its notification
 *   frame                              1   unmap; its bytes are scrubbed before reuse
 *   page table, page directory, PDPT   1   unmap (which zeroes the table)
 *   PML4                               0   (its owner must have unmapped everything in it)
 * plus 1 for a revoke when the caller says copies or derived caps may exist
 * (KEEL_CACHE_REVOKE). KEEL_CACHE_DESTROY deletes the object instead of keeping it (its memory
 * comes back when its slab is given back): for an object in a state the kernel cannot reset,
 * e.g. an endpoint that threads may still be blocked on.
 *
 * Metadata per slab: a record of about 130 bytes and two bitmaps (three for frames) of N bits:
 * 0.4 byte per object for 1024 endpoints, 0.8 for 256 larger objects.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>

#include <keel/cslot.h>
#include <keel/error.h>
#include <keel/kview.h>
#include <keel/meta.h>
#include <keel/scrub.h>
#include <keel/treap.h>
#include <keel/untyped.h>

/* keel_cache_free flags */
#define KEEL_CACHE_REVOKE  1u /* copies or derived caps may exist: revoke the object's cap first */
#define KEEL_CACHE_DESTROY 2u /* delete the object; do not reuse it */
/* keel_cache_alloc flags */
#define KEEL_CACHE_DIRTY_OK 1u /* a frame need not be zeroed (its new owner overwrites it) */

typedef struct keel_cache_obj {
    seL4_CPtr cptr;
    uint64_t paddr;
} keel_cache_obj_t;

typedef struct keel_cache_config {
    const char *name;
    seL4_Word type;         /* seL4 object type */
    seL4_Word size_bits;    /* CNodes: radix; untypeds: log2 bytes; otherwise ignored */
    unsigned objs_per_slab; /* 0: the policy above */
    /* Optional: called once for each object made (it may configure the object; an error
     * undoes the slab), and once before each object is destroyed. */
    keel_err_t (*ctor)(void *ctx, seL4_CPtr obj, uint64_t paddr);
    void (*dtor)(void *ctx, seL4_CPtr obj, uint64_t paddr);
    void *ctx;
    /* Frames: how freed frames are zeroed before reuse. NULL: they are not reused until
     * their slab is given back (the kernel zeroes them then). */
    const keel_scrub_t *scrub;
} keel_cache_config_t;

struct keel_link; /* private */

typedef struct keel_cache_stats {
    uint64_t live, free, dead, dirty; /* objects */
    uint64_t slabs, empty_slabs;
    uint64_t bytes; /* memory in slabs */
    uint64_t slots;
    size_t meta_bytes; /* storage held */
    size_t meta_used;  /* of which in slab records */
    uint64_t kernel_calls;
    uint64_t allocs, frees, slabs_made, slabs_given_back;
} keel_cache_stats_t;

/* Fields private. */
typedef struct keel_cache {
    const char *name;
    keel_ut_t *ut;
    keel_cslot_t *cs;
    seL4_Word type, size_bits;
    unsigned obj_bits;  /* log2 object size */
    unsigned slab_bits; /* log2 objects per slab */
    keel_err_t (*ctor)(void *, seL4_CPtr, uint64_t);
    void (*dtor)(void *, seL4_CPtr, uint64_t);
    void *ctx;
    const keel_scrub_t *scrub;
    keel_meta_t meta;
    keel_kstat_t kstat;
    keel_treap_t slabs;
    struct keel_link *partial, *full, *empty; /* slabs: some in use and some free, all in use,
                                                 none in use */
    uint64_t live;
    uint64_t allocs, frees, slabs_made, slabs_given_back;
    keel_ut_reclaimer_t reclaimer;
} keel_cache_t;

/* A cache of objects of one type; it registers a reclaimer with `ut`. */
keel_err_t keel_cache_init(keel_cache_t *c, keel_ut_t *ut, keel_cslot_t *cs,
                           const keel_cache_config_t *config, const keel_storage_t *storage);

/* Give everything back; every object must be free (KEEL_EBUSY otherwise). */
keel_err_t keel_cache_fini(keel_cache_t *c);

/* An object: from a slab with free objects (no kernel call), or from a new slab. */
keel_err_t keel_cache_alloc(keel_cache_t *c, unsigned flags, keel_cache_obj_t *out);

/* Give an object back (flags above). Its cap must be in its slot, as handed out. */
keel_err_t keel_cache_free(keel_cache_t *c, seL4_CPtr obj, unsigned flags);

/* Whether the object came from this cache. */
bool keel_cache_owns(const keel_cache_t *c, seL4_CPtr obj);

/* Give back every empty slab (one revoke each); returns how many. */
size_t keel_cache_reap(keel_cache_t *c);

void keel_cache_stats(const keel_cache_t *c, keel_cache_stats_t *out);

/*
 * Verify: slab lists and counts agree with the bitmaps, slabs are in the index, their slots
 * are taken; with a kernel view, every object's cap is where the arithmetic puts it, free
 * objects' caps have no children, dead objects' slots are empty.
 */
int keel_cache_check(const keel_cache_t *c, const keel_kview_t *kview, const char **what);
