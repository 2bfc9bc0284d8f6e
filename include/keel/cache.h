/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/cache.h — object caches: kernel objects of one type, made in slabs and reused.
 *
 * After Bonwick's slab allocator. A slab is one untyped block from keel_ut and one run of
 * consecutive slots from keel_cslot; its N objects are retyped at once, 256 per kernel call,
 * so object i's cap is slot first + i and its physical address base + i·size. A freed object
 * stays made and is handed out again with no kernel call, unless it needs resetting first
 * (below). A slab whose objects are all free can be given back: one revoke of its untyped
 * deletes every object, and its block and slots return to the layers below. The untyped
 * allocator asks caches to give back empty slabs before it refuses a request.
 *
 * Slab size policy: N = 1024 objects (4 retypes), halved while a slab would exceed 16 MiB
 * (so 1024 for objects up to 16 KiB, 256 for 64 KiB, 64 for 256 KiB, 8 for 2 MiB frames,
 * 1 for objects of 16 MiB and more); a PML4 has a slab of its own (below). A cold cache costs
 * at most 1/64 kernel call per object for objects up to 64 KiB (N >= 256: the retypes, plus
 * about one untyped split per slab); larger objects cost about 1/8 call per MiB.
 * keel_cache_config_t.objs_per_slab overrides the policy.
 *
 * What freeing costs, by type (kernel calls), and what the next owner gets:
 *   endpoint, CNode           0  as left (a CNode must be empty: its owner deleted its caps)
 *   notification              1  seL4_Poll: idle with word 0, as new
 *   untyped                   1  revoke: whatever was made from it goes
 *   TCB                       4  suspend, unbind its notification, zero its registers (one
 *                                WriteRegisters: all 0 but rflags 0x202, as new), priority and
 *                                MCP 0 (SetSchedParams, the TCB its own authority)
 *   frame                     1  unmap; its bytes are scrubbed before reuse
 *   page table, PD, PDPT      1  unmap, which also zeroes the table: unmapped and empty
 *   PML4                      1  destroyed (below)
 * plus 1 for a revoke when the caller says copies or derived caps may exist
 * (KEEL_CACHE_REVOKE): without it, an owner's copies would reach the next owner's object.
 *
 * What no reset covers. A notification still bound to a TCB, or with threads waiting on it,
 * cannot be reset through its own cap (seL4 has no notification-side unbind, and only the
 * bound thread may poll it): its owner unbinds it through the TCB (seL4_TCB_UnbindNotification,
 * or by freeing the TCB to its cache) or frees it with KEEL_CACHE_DESTROY. The same holds for
 * an endpoint that threads may still be blocked on. A TCB keeps its CSpace and VSpace roots,
 * IPC buffer and fault endpoint: the kernel can replace them (with a CNode and a VSpace root
 * that has an ASID) but not clear them, so the new owner must Configure a TCB before it
 * resumes it, and an owner whose spaces must not be reachable through a thread it no longer
 * controls frees the TCB with KEEL_CACHE_DESTROY (or reconfigures it first). Nor can FPU state
 * be written through the kernel's API; KEEL_CACHE_DESTROY for a TCB whose FPU state is secret.
 *
 * A PML4 keeps its ASID, and with it whatever is mapped in it, until its last cap is deleted:
 * there is no other way to take an ASID away. So a freed PML4 is always destroyed (as with
 * KEEL_CACHE_DESTROY), and each PML4 has a slab of its own: freeing it is one revoke of its
 * slab's block, and the next allocation retypes that block again (1 call; the kernel zeroes
 * it). That costs allocman's figures per PML4 (an untyped block, ~3 slots, ~240 bytes) but no
 * memory waits for other PML4s of a shared slab to be freed.
 *
 * KEEL_CACHE_DESTROY deletes the object instead of keeping it (revoke + delete, or one revoke
 * of the slab's block if it is the slab's last object not destroyed); its memory comes back
 * when the slab is given back or remade in place, which happens once none of its objects is
 * in use and the cache needs objects. A destroyed object is no longer the cache's
 * (keel_cache_owns is false) and cannot be freed again.
 *
 * Constructors and destructors. The constructor runs once for each object the kernel makes:
 * for a new slab, and again for every object of a slab remade in place; its error gives the
 * slab back (if the kernel refuses that, the slab is kept and finished before its first use).
 * The destructor runs exactly once for each constructed object, right after the kernel step
 * that destroyed it succeeded (a KEEL_CACHE_DESTROY free, a slab given back or remade): the
 * object's slot is then empty, so a destructor releases what the constructor took outside the
 * object (its arguments identify the object; they must not be invoked). A failed kernel step
 * runs no destructor, and its retry runs it once. A free's reset (above) returns the parts of
 * an object it names to the kernel's initial state, so a constructor should set up only what
 * the reset leaves (for frames, the scrub zeroes the bytes).
 *
 * Kernel calls in the statistics: every call the cache makes, and every call the untyped and
 * slot allocators make while making its slabs (splits, collapses, leaf CNodes, and revokes of
 * frame pools those allocators reclaim to make room). A slab given back is revoked by the
 * cache itself, and counted once, by its cache, also when the untyped allocator reclaims it
 * for another allocator.
 *
 * Metadata per slab: a record of 104 bytes and two bitmaps (three for frames) of N bits:
 * 0.36 byte per object for 1024 objects (0.48 for frames).
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
    /* Optional: called once for each object the kernel makes (it may configure the object;
     * an error gives the slab back), and once after each constructed object is destroyed
     * (the object is gone: its arguments are for the caller's bookkeeping). See above. */
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
    size_t meta_bytes;     /* storage held */
    size_t meta_used;      /* of which in slab records */
    uint64_t kernel_calls; /* the cache's and the lower layers' for its slabs (above) */
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
    bool constructing; /* a constructor is running: the reclaimer stays out */
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

/* Whether the object came from this cache and has not been destroyed. */
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
