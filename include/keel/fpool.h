/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/fpool.h — frame pools: physically contiguous runs of 4 KiB frames.
 *
 * A pool is one block of 2^P frames (default P = 10: 4 MiB) from keel_ut, retyped into 2^P
 * consecutive slots in 2^P / 256 kernel calls (the kernel's default fan-out; nothing here
 * needs it raised). Inside a pool a binary buddy over the frames hands out aligned runs of
 * 2^k frames as (first cap, count, paddr) with no kernel call; coalescing there is eager,
 * since merging bitmaps costs nothing, so no request is refused while an aligned free run of
 * its size exists in some pool (CapBuddy strands such runs). Pools are kept in bins by their
 * largest free run, so a request takes the pool whose largest run fits it best.
 *
 * Zeroing. Frames of a new pool are zero already (the kernel zeroes an untyped when it resets
 * it, and keeps memory above an untyped's watermark zero), so they are handed out as they are.
 * A frame that comes back is dirty. With a scrubber (keel/scrub.h) it is free again at once
 * and scrubbed when it is next handed out: a frame never reused is never zeroed by Keel, and no
 * byte is zeroed twice. Without one it is held back until every frame of its pool is back;
 * then the pool is remade in place (one revoke, 2^P/256 retypes: the kernel zeroes it) or
 * given back. Either way every new owner gets zeroed frames, unless it asks for dirty ones
 * (KEEL_FPOOL_DIRTY_OK: it will overwrite them). A frame whose scrub fails is held too (the
 * allocation fails; the frame is not offered again until its pool is remade or given back).
 *
 * Mappings. A frame must not reach its next owner still mapped into its old owner's address
 * space, and the kernel has no call that tells whether a frame cap is mapped; so free unmaps
 * every frame of the run (1 kernel call per frame; unmapping an unmapped frame is harmless),
 * unless the caller vouches that none is mapped (KEEL_FPOOL_UNMAPPED: no call). A caller that
 * vouches wrongly is still caught by the window scrubber, which unmaps a frame it cannot map
 * (keel/scrub.h), but not when the frames go out unscrubbed.
 *
 * A pool whose frames are all back is given back to keel_ut (one revoke) under memory
 * pressure (the untyped allocator's reclaimer) or by keel_fpool_reap().
 *
 * Physical addresses are 64-bit throughout. Metadata per pool: a record and bitmaps,
 * 752 bytes for P = 10 (0.018% of the pool's 4 MiB).
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

#define KEEL_FPOOL_MAX_BITS 12 /* 4096 frames (16 MiB) per pool at most */

/* keel_fpool_alloc flags */
#define KEEL_FPOOL_DIRTY_OK 1u /* the frames need not be zeroed */
/* keel_fpool_free flags */
#define KEEL_FPOOL_UNMAP    2u /* unmap each frame first (1 call per frame): the default */
#define KEEL_FPOOL_REVOKE   4u /* revoke each frame's cap first: copies exist (1 call each) */
#define KEEL_FPOOL_UNMAPPED 8u /* the caller vouches that no frame of the run is mapped */

typedef struct keel_fpool_config {
    unsigned pool_bits;        /* P: log2 frames per pool, 1..KEEL_FPOOL_MAX_BITS; 0 means 10 */
    const keel_scrub_t *scrub; /* NULL: dirty frames wait for their pool to be remade */
} keel_fpool_config_t;

/* A run of 2^k frames: caps first .. first + count - 1, at paddr .. paddr + count * 4 KiB. */
typedef struct keel_fpool_run {
    seL4_CPtr first;
    uint32_t count;
    uint64_t paddr;
} keel_fpool_run_t;

typedef struct keel_fpool_stats {
    uint64_t pools;
    uint64_t frames, frames_used, frames_free, frames_held; /* held: dirty, awaiting a remake */
    uint64_t free_runs[KEEL_FPOOL_MAX_BITS + 1];            /* free blocks of 2^k frames */
    int largest_free_bits;                                  /* -1: none */
    uint64_t scrubbed_bytes;                                /* zeroed by the scrubber */
    uint64_t remade, given_back;                            /* pools */
    uint64_t kernel_calls;
    size_t meta_bytes; /* storage held */
    size_t meta_used;  /* of which in pool records */
} keel_fpool_stats_t;

struct keel_link; /* private */

/* Fields private. */
typedef struct keel_fpool {
    keel_ut_t *ut;
    keel_cslot_t *cs;
    unsigned pool_bits;
    size_t dirty_at; /* in a pool's words: its dirty bitmap, after the buddy's */
    const keel_scrub_t *scrub;
    keel_meta_t meta;
    keel_kstat_t kstat;
    keel_treap_t by_slot, by_paddr;
    struct keel_link *bins[KEEL_FPOOL_MAX_BITS + 2]; /* pools by largest free run; last: none */
    uint64_t free_runs[KEEL_FPOOL_MAX_BITS + 1];     /* free blocks of 2^k frames, all pools */
    uint64_t pools, used, held, scrubbed, remade, given_back;
    keel_ut_reclaimer_t reclaimer;
} keel_fpool_t;

keel_err_t keel_fpool_init(keel_fpool_t *fp, keel_ut_t *ut, keel_cslot_t *cs,
                           const keel_fpool_config_t *config, const keel_storage_t *storage);

/* Give every pool back; every frame must be back (KEEL_EBUSY otherwise). */
keel_err_t keel_fpool_fini(keel_fpool_t *fp);

/* 2^k physically contiguous frames, aligned to their size (0 <= k <= P). */
keel_err_t keel_fpool_alloc(keel_fpool_t *fp, unsigned k, unsigned flags, keel_fpool_run_t *out);

/*
 * The 2^k frames at physical address paddr (aligned to 2^k frames), from the pool that covers
 * it, made if there is none (its block must then be free in keel_ut: KEEL_EBUSY otherwise;
 * nothing is reclaimed from caches or other pools to make room, since a reclaimer cannot be asked
 * for one particular block). KEEL_EBUSY if a frame of the run is in use, or held dirty in a pool
 * with frames in use; a pool with none in use whose held frames are in the way is remade first,
 * as keel_fpool_alloc would.
 */
keel_err_t keel_fpool_alloc_at(keel_fpool_t *fp, uint64_t paddr, unsigned k, unsigned flags,
                               keel_fpool_run_t *out);

/*
 * Give back a run handed out by alloc (first cap and k as handed out): each frame is unmapped
 * first (1 call per frame) unless KEEL_FPOOL_UNMAPPED, and its cap revoked first with
 * KEEL_FPOOL_REVOKE. On KEEL_EKERNEL the run stays the caller's (some frames perhaps unmapped).
 * KEEL_EINVAL for unknown flags, or KEEL_FPOOL_UNMAP with KEEL_FPOOL_UNMAPPED.
 */
keel_err_t keel_fpool_free(keel_fpool_t *fp, seL4_CPtr first, unsigned k, unsigned flags);

/* Whether a frame cap is one of this allocator's pools'. */
bool keel_fpool_is_from_pool(const keel_fpool_t *fp, seL4_CPtr frame);

/* Give back every pool whose frames are all back (one revoke each); returns how many. */
size_t keel_fpool_reap(keel_fpool_t *fp);

/* O(P): the counts are kept as the pools change. */
void keel_fpool_stats(const keel_fpool_t *fp, keel_fpool_stats_t *out);

/*
 * Verify: each pool's buddy, counts and bins; slots taken; with a kernel view, every frame cap
 * at the slot and address the arithmetic gives, each pool's untyped in place.
 */
int keel_fpool_check(const keel_fpool_t *fp, const keel_kview_t *kview, const char **what);
