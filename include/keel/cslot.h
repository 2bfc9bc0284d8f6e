/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/cslot.h — capability slots for a root task.
 *
 * A slot is an integer: the CPtr that names it at full depth in the root thread's CSpace.
 * keel_cslot hands out single slots and runs of consecutive slots inside one CNode (a batch
 * retype needs them), takes them back, and grows the CSpace when it runs short.
 *
 * CSpace layout. At first the slots are BootInfo's empty region of the boot CNode. The first
 * time that is not enough, the CSpace becomes two-level (3 kernel calls): a new top CNode of
 * 2^T slots whose slot 0 holds the boot CNode (guarded so that every CPtr below 2^root_radix
 * still names the same slot), and the root thread's CSpace root is switched to it
 * (TCB_SetSpace) with a guard of 64 - T - L bits. Leaf CNodes of 2^L slots are then retyped
 * straight into top slots 1, 2, ... (1 kernel call each), and slot i of leaf k is CPtr
 * (k << L) | i. Capacity: (2^T - 1) · 2^L slots plus the boot region; the defaults T = L = 12
 * give 2^24 (16.7 million). Leaves are never given back.
 *
 * Growth needs untyped memory, and the untyped allocator needs slots for its splits; a reserve
 * of slots is kept aside so that growing can always finish (KEEL_CSLOT_RESERVE).
 *
 * Bounds: 1/8 byte of metadata per slot (a bitmap), plus 8 bytes per possible leaf; alloc is
 * O(leaves/64 + 2^L/64) word operations, free O(n/64 + 1).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>

#include <keel/arena.h>
#include <keel/error.h>
#include <keel/kview.h>
#include <keel/meta.h>

struct keel_ut;

/*
 * Slot pairs kept for growing the CSpace: a CNode block of 2^(L+5) bytes split down from a root
 * of up to 2^47 bytes needs 42 - L pairs (30 for L = 12); 64 covers that chain twice (a growth
 * inside a growth's reservation) for L >= 10.
 */
#define KEEL_CSLOT_RESERVE 64

typedef struct keel_cslot_config {
    unsigned top_radix;  /* T: log2 slots of the top CNode; 0 means 12 */
    unsigned leaf_radix; /* L: log2 slots per leaf CNode, >= the boot CNode's radix; 0 means
                            12, or the boot CNode's radix if larger */
    bool next_fit;       /* debug: delay the reuse of freed slots a full cycle */
    seL4_CPtr tcb;       /* the thread whose CSpace root growth switches; 0: the root thread */
    seL4_CPtr vspace;    /* its VSpace root (for TCB_SetSpace); 0: the root task's */
    seL4_Word fault_ep;  /* the fault endpoint CPtr TCB_SetSpace installs (default none) */
} keel_cslot_config_t;

/* Where to retype objects into a run of slots (the arguments Untyped_Retype wants). */
typedef struct keel_slot_dest {
    seL4_CNode root;
    seL4_Word index;
    seL4_Word depth;
    seL4_Word offset;
} keel_slot_dest_t;

typedef struct keel_cslot_stats {
    uint64_t slots_free;  /* free, excluding the reserve */
    uint64_t slots_taken; /* handed out (and the one holding the top CNode's cap) */
    uint64_t slots_total; /* in the boot region and all leaves */
    size_t leaves;        /* leaf CNodes created */
    bool two_level;
    size_t meta_bytes;
    uint64_t kernel_calls;
} keel_cslot_stats_t;

/* Fields private. */
typedef struct keel_cslot {
    keel_arena_t arena;
    keel_kstat_t kstat;
    struct keel_ut *ut; /* where growth gets CNode memory; NULL: no growth */
    unsigned boot_radix, top_radix, leaf_radix;
    seL4_CPtr tcb, vspace;
    seL4_Word fault_ep;
    bool two_level;
    bool growing;
    seL4_CPtr top;       /* the top CNode's cap, in the boot CNode (two-level only) */
    seL4_CPtr top_block; /* ... and the untyped block it was made from */
    uint64_t top_paddr;
    size_t next_leaf;                      /* the next top slot to put a leaf in */
    seL4_CPtr reserve[KEEL_CSLOT_RESERVE]; /* first slots of reserved pairs */
    size_t num_reserve;
    uint64_t taken; /* handed out to callers (excludes the reserve) */
} keel_cslot_t;

/*
 * Start with BootInfo's empty region of the boot CNode. `config` may be NULL (defaults).
 * KEEL_ENOMETA if `storage` cannot hold the index arrays, KEEL_EINVAL for a bad layout.
 */
keel_err_t keel_cslot_init(keel_cslot_t *cs, const seL4_BootInfo *bi,
                           const keel_cslot_config_t *config, const keel_storage_t *storage);

/* Let the CSpace grow, with CNode memory from `ut` (keel_ut_init does this for its cslot). */
void keel_cslot_attach(keel_cslot_t *cs, struct keel_ut *ut);

/* One free slot. KEEL_ENOSLOT if none and the CSpace cannot grow. */
keel_err_t keel_cslot_alloc(keel_cslot_t *cs, seL4_CPtr *slot);

/* n consecutive free slots of one CNode (1 <= n <= 2^L). */
keel_err_t keel_cslot_alloc_range(keel_cslot_t *cs, size_t n, seL4_CPtr *first);

/* Give back slots; they must be empty (the caller deleted their caps) and handed out. */
void keel_cslot_free(keel_cslot_t *cs, seL4_CPtr slot);
void keel_cslot_free_range(keel_cslot_t *cs, seL4_CPtr first, size_t n);

/* The CNode cap and depth with which CNode operations (Revoke, Delete, Copy ...) name slots. */
seL4_CNode keel_cslot_root(const keel_cslot_t *cs);
seL4_Uint8 keel_cslot_depth(const keel_cslot_t *cs);

/*
 * The CSpace root a new thread needs to share the root thread's CSpace (so that every slot
 * keel_cslot hands out names the same cap in it), as TCB_Configure/SetSpace take it: a CNode
 * cap and the guard data to apply.
 *
 * Growth switches only the configured thread's root (config.tcb) to the top CNode; a thread
 * given the boot CNode before that keeps seeing the boot region only. A root task that starts
 * threads sharing its CSpace should therefore call keel_cslot_two_level() first: from then on
 * the root is the top CNode, and every leaf made later appears in every thread that shares it.
 */
void keel_cslot_cspace(const keel_cslot_t *cs, seL4_CNode *root, seL4_Word *root_data);

/*
 * Make the CSpace two-level now rather than at the first growth (3 kernel calls; nothing if it
 * already is). KEEL_ENOMEM / KEEL_ENOSLOT / KEEL_EKERNEL leave it as it was.
 */
keel_err_t keel_cslot_two_level(keel_cslot_t *cs);

/* The Untyped_Retype destination for a run of slots that keel_cslot handed out. */
void keel_cslot_dest(const keel_cslot_t *cs, seL4_CPtr first, keel_slot_dest_t *dest);

void keel_cslot_stats(const keel_cslot_t *cs, keel_cslot_stats_t *out);

/*
 * Verify the invariants: the arena's, the reserve's (pairs taken and distinct), the counts,
 * and with a kernel view that every free slot is empty and the top and leaf CNodes are where
 * the layout says. 0, or -1 with *what describing the first violation.
 */
int keel_cslot_check(const keel_cslot_t *cs, const keel_kview_t *kview, const char **what);
