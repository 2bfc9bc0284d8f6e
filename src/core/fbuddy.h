/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A binary buddy allocator over 2^order units, as bitmaps (one per block size; a set bit is a
 * free block of that size). Coalescing is eager, which is what makes it strand nothing: if
 * 2^k aligned units are all free, a free block of size >= 2^k covers them, so alloc(k) finds
 * them. Merging here is bitmap work, not a kernel call. Costs: O(order + 2^(order-k)/64) to
 * find the lowest free block, O(order) to split or merge. Storage: keel_fbuddy_words(order)
 * 64-bit words from the caller (about 2^(order+1) bits).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEEL_FBUDDY_MAX_ORDER 20

typedef struct keel_fbuddy {
    unsigned order;
    uint32_t count[KEEL_FBUDDY_MAX_ORDER + 1]; /* free blocks of each size */
    uint32_t at[KEEL_FBUDDY_MAX_ORDER + 1];    /* word offset of each size's bitmap */
    uint64_t *bits;                            /* the bitmaps, order 0 first */
} keel_fbuddy_t;

/* Words of storage a buddy over 2^order units needs. */
size_t keel_fbuddy_words(unsigned order);

/* Start with every unit free (or every unit taken). `mem` holds keel_fbuddy_words(order). */
void keel_fbuddy_init(keel_fbuddy_t *b, unsigned order, uint64_t *mem, bool free);

/* Take the lowest free aligned run of 2^k units among the smallest free blocks that fit. */
bool keel_fbuddy_alloc(keel_fbuddy_t *b, unsigned k, uint32_t *offset);

/* Take the run [offset, offset + 2^k) (offset aligned to 2^k) if all of it is free. */
bool keel_fbuddy_alloc_at(keel_fbuddy_t *b, uint32_t offset, unsigned k);

/* Give back a run that was taken (loud failure if any of it is free). */
void keel_fbuddy_free(keel_fbuddy_t *b, uint32_t offset, unsigned k);

/* Whether every unit of [offset, offset + 2^k) is free. */
bool keel_fbuddy_is_free(const keel_fbuddy_t *b, uint32_t offset, unsigned k);

/* The largest free block's order, or -1 when nothing is free. */
int keel_fbuddy_largest(const keel_fbuddy_t *b);

/* Free units. */
uint64_t keel_fbuddy_free_units(const keel_fbuddy_t *b);

/* Verify: counts match bitmaps, no free block has a free buddy, no two free blocks overlap. */
int keel_fbuddy_check(const keel_fbuddy_t *b);
