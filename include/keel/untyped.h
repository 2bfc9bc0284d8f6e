/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/untyped.h — a buddy allocator over the untyped memory seL4 gives the root task.
 *
 * Every boot untyped is the root of a binary tree of blocks. A block is free, handed out
 * (used), or split into two halves. Splitting is one Untyped_Retype that makes both halves
 * into two consecutive slots; a whole free subtree goes back to being one block with one
 * Revoke of its top, which deletes every cap below it. A handed-out block is (cptr, paddr,
 * size_bits): the caller may retype anything from it; freeing it revokes it, so nothing
 * derived from it survives into the next owner's hands.
 *
 * Coalescing is deferred. Freeing does not merge buddies at once: the kernel resets (zeroes)
 * an untyped whose children are all gone on its next retype, so merging eagerly would re-zero
 * the merged block every time it is split again (a 4 KiB alloc/free cycle under a 128 MiB
 * boot untyped would zero 128 MiB). Instead a subtree that has become entirely free stays as
 * it is, still counted as one free block of its size, and is collapsed with one Revoke only
 * when a request needs a block of exactly that size (or by keel_ut_compact). Requests never
 * fail while a free block of the size, or a collapsible subtree of it, exists.
 *
 * Policy: an exact free block first (no kernel call), then an exact collapsible subtree
 * (1 call), then the smallest larger free block split down (1 call per level); among blocks
 * of one size, the lowest address. Small requests are thus carved from the small end and big
 * blocks stay whole. RAM and device memory are separate trees; device memory is given out
 * only on explicit request (KEEL_UT_DEVICE, or keel_ut_alloc_at).
 *
 * The tree is also the physical address map: each node carries the set of block sizes free
 * below it (two 64-bit masks), so finding the lowest free block of a size, finding the block
 * that covers a physical address, and allocating at a physical address are all one descent
 * from a root: O(log2(root size)) nodes, after O(#roots) (at most 230) to pick the root.
 *
 * Metadata: nodes are allocated in pairs (the two halves of a split), 2 x 56 bytes, from the
 * caller's storage. A tree with U used blocks and no free subtrees holds at most
 * 1 + 2·U·D nodes (D = root size bits - block size bits): every split node lies on the path
 * from its root to a used block. Free subtrees hold nodes until collapsed; keel_ut_compact()
 * gives all of them back, and an allocation short of nodes or slots compacts and tries again,
 * so what an allocation can count on is the bound for the used blocks alone. Slots: one per
 * non-root node (from keel_cslot).
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

#define KEEL_UT_MAX_ROOTS CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS
#define KEEL_UT_ORDERS    (seL4_MaxUntypedBits + 1)

/* keel_ut_alloc flags */
#define KEEL_UT_DEVICE 1u /* a block of device memory instead of RAM */
/* keel_ut_free flags */
#define KEEL_UT_NO_DERIVED 2u /* the caller made nothing from the block: skip the revoke */

/* A block handed out. */
typedef struct keel_ut_block {
    seL4_CPtr cptr;
    uint64_t paddr;
    unsigned size_bits;
    bool device;
} keel_ut_block_t;

/* One node of a block tree (private). */
typedef struct keel_ut_node {
    uint64_t paddr;
    seL4_CPtr cptr;
    struct keel_ut_node *parent;
    struct keel_ut_node *child; /* split: the lower half; child + 1 is the upper half */
    uint64_t free_mask;         /* sizes (bit = size_bits) of free blocks in this subtree */
    uint64_t coll_mask;         /* sizes of entirely free split subtrees in this subtree */
    uint8_t size_bits;
    uint8_t state; /* KEEL_UT_FREE, KEEL_UT_USED, KEEL_UT_SPLIT */
    uint8_t device;
} keel_ut_node_t;

enum { KEEL_UT_FREE = 0, KEEL_UT_USED = 1, KEEL_UT_SPLIT = 2 };

/*
 * Called when a request would fail for lack of memory: give back what you can (e.g. a cache's
 * empty slabs) and return true if anything was freed. Hooks are tried in the order added.
 */
typedef struct keel_ut_reclaimer {
    bool (*reclaim)(void *ctx, unsigned size_bits);
    void *ctx;
    struct keel_ut_reclaimer *next;
} keel_ut_reclaimer_t;

typedef struct keel_ut_stats {
    uint64_t free_bytes[KEEL_UT_ORDERS];     /* RAM: in free blocks of each size */
    uint64_t used_bytes[KEEL_UT_ORDERS];     /* RAM: in used blocks of each size */
    uint64_t dev_free_bytes[KEEL_UT_ORDERS]; /* device memory: the same */
    uint64_t dev_used_bytes[KEEL_UT_ORDERS];
    uint64_t ram_free, ram_used, dev_free, dev_used;
    unsigned largest_free_bits; /* RAM: largest free block or collapsible subtree */
    uint64_t used_blocks;
    uint64_t nodes;    /* live tree nodes (excluding roots) */
    size_t meta_bytes; /* storage the allocator holds */
    uint64_t kernel_calls, retypes, revokes;
} keel_ut_stats_t;

/* Fields private. */
typedef struct keel_ut {
    keel_cslot_t *cs;
    keel_meta_t meta;
    keel_kstat_t kstat;
    uint64_t retypes, revokes;
    size_t num_ram, num_dev;
    keel_ut_node_t *ram[KEEL_UT_MAX_ROOTS]; /* roots, sorted by address */
    keel_ut_node_t *dev[KEEL_UT_MAX_ROOTS];
    keel_ut_node_t roots[KEEL_UT_MAX_ROOTS];
    keel_ut_reclaimer_t *reclaimers;
    uint64_t free_blocks[2][KEEL_UT_ORDERS]; /* [device][size_bits] */
    uint64_t used_blocks[2][KEEL_UT_ORDERS];
    uint64_t nodes;
} keel_ut_t;

/*
 * Take the untypeds BootInfo lists, with slots from `cs` (which may then grow the CSpace with
 * CNodes from this allocator). Node pairs come from `storage`.
 */
keel_err_t keel_ut_init(keel_ut_t *ut, const seL4_BootInfo *bi, keel_cslot_t *cs,
                        const keel_storage_t *storage);

/* A free block of 2^size_bits bytes (seL4_MinUntypedBits..seL4_MaxUntypedBits). */
keel_err_t keel_ut_alloc(keel_ut_t *ut, unsigned size_bits, unsigned flags, keel_ut_block_t *out);

/*
 * The block of 2^size_bits bytes at physical address paddr (RAM or device), which must be
 * aligned to its size within its boot untyped. KEEL_EBUSY if any of it is in use,
 * KEEL_ENOENT if no boot untyped covers it, KEEL_EINVAL if misaligned.
 */
keel_err_t keel_ut_alloc_at(keel_ut_t *ut, uint64_t paddr, unsigned size_bits,
                            keel_ut_block_t *out);

/* Give a block back (revoking it first, unless KEEL_UT_NO_DERIVED). */
keel_err_t keel_ut_free(keel_ut_t *ut, const keel_ut_block_t *block, unsigned flags);

/*
 * The block covering physical address paddr: a used or free block (its state in *state), or
 * KEEL_ENOENT if no boot untyped covers paddr.
 */
keel_err_t keel_ut_find(const keel_ut_t *ut, uint64_t paddr, keel_ut_block_t *out, int *state);

/*
 * Collapse every entirely free subtree (one Revoke each); returns the number collapsed. A
 * subtree whose revoke fails stays as it was: free, usable, collapsed by a later call.
 */
size_t keel_ut_compact(keel_ut_t *ut);

void keel_ut_add_reclaimer(keel_ut_t *ut, keel_ut_reclaimer_t *r);
void keel_ut_remove_reclaimer(keel_ut_t *ut, keel_ut_reclaimer_t *r);

void keel_ut_stats(const keel_ut_t *ut, keel_ut_stats_t *out);

/*
 * Verify the invariants: tree shape (halves cover their parent exactly), masks, counts, slots
 * taken in the cslot arena, and with a kernel view that each node's cap is an untyped of the
 * node's address, size and kind, split nodes have children and free blocks have none.
 */
int keel_ut_check(const keel_ut_t *ut, const keel_kview_t *kview, const char **what);
