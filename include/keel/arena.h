/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/arena.h — an arena of integers: hands out single integers and contiguous runs.
 *
 * The integers are grouped in spans of 2^span_bits consecutive values (span i covers
 * [i << span_bits, (i + 1) << span_bits)); spans are added as they come into existence and a
 * run never crosses a span. Keel's slot allocator uses one span per CNode, so a run is a set
 * of consecutive slots of one CNode, which is what a batch retype needs.
 *
 * Representation: one bit per integer (1 = taken), so the arena's metadata is 1/8 byte per
 * integer however fragmented it gets, and freeing coalesces by construction. Bounds: alloc of
 * one integer is O(max_spans/64 + 2^span_bits/64) word operations; a run of n is
 * O(spans tried · 2^span_bits/64); free is O(n/64 + 1). First fit by default (lowest integer);
 * next fit on request, which delays the reuse of freed integers for a full cycle so that
 * stale-slot bugs surface.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/error.h>
#include <keel/meta.h>

#define KEEL_ARENA_MIN_SPAN_BITS 6
#define KEEL_ARENA_MAX_SPAN_BITS 24

typedef struct keel_arena_span {
    uint64_t free;   /* integers free in this span */
    uint64_t bits[]; /* 2^span_bits bits, 1 = taken */
} keel_arena_span_t;

/* Fields private. */
typedef struct keel_arena {
    unsigned span_bits;
    size_t max_spans;
    keel_arena_span_t **spans; /* by span index; NULL = absent */
    uint64_t *has_free;        /* one bit per span index: present and not full */
    size_t num_spans;
    uint64_t total; /* integers in all spans (taken or free) */
    uint64_t free;
    bool next_fit;
    uint64_t cursor;  /* next fit: the next search starts here */
    keel_meta_t meta; /* span records */
} keel_arena_t;

/*
 * An empty arena for spans of 2^span_bits integers with indices [0, max_spans). Its index
 * arrays (max_spans words and bits) and its spans come from `storage`.
 */
keel_err_t keel_arena_init(keel_arena_t *a, unsigned span_bits, size_t max_spans,
                           const keel_storage_t *storage);

/*
 * Add span `index`, with the integers [first, end) of it free and the rest of the span taken
 * for good (end - first may be 0). KEEL_EEXIST if present, KEEL_ENOMETA without storage.
 */
keel_err_t keel_arena_add_span(keel_arena_t *a, size_t index, uint64_t first, uint64_t end);

/* Whether span `index` exists. */
bool keel_arena_has_span(const keel_arena_t *a, size_t index);

/*
 * Take a run of n consecutive free integers (1 <= n <= 2^span_bits) inside one span; the
 * lowest such run (first fit) or the next one after the previous allocation (next fit).
 * KEEL_ENOSLOT when there is none, KEEL_EINVAL for a bad n.
 */
keel_err_t keel_arena_alloc(keel_arena_t *a, size_t n, uint64_t *first);

/* Take exactly [first, first + n) if all of it is free (same span); KEEL_EBUSY if not. */
keel_err_t keel_arena_alloc_at(keel_arena_t *a, uint64_t first, size_t n);

/* Give back a run; every integer in it must be taken (a double free is a loud failure). */
void keel_arena_free(keel_arena_t *a, uint64_t first, size_t n);

/* Whether every integer of [first, first + n) is free / taken (false outside any span). */
bool keel_arena_is_free(const keel_arena_t *a, uint64_t first, size_t n);
bool keel_arena_is_taken(const keel_arena_t *a, uint64_t first, size_t n);

void keel_arena_set_next_fit(keel_arena_t *a, bool on);

static inline uint64_t keel_arena_free_count(const keel_arena_t *a)
{
    return a->free;
}

/* Metadata bytes the arena holds (index arrays and spans). */
size_t keel_arena_meta_bytes(const keel_arena_t *a);

/* Verify the arena's invariants; 0, or -1 (with *what set to a description). */
int keel_arena_check(const keel_arena_t *a, const char **what);
