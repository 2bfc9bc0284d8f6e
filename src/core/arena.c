/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The integer arena (keel/arena.h): one bit per integer, spans of 2^span_bits integers.
 *
 * Invariants (keel_arena_check):
 *   - for every present span, `free` is the number of clear bits in it;
 *   - a span's has_free bit is set iff the span is present and free > 0;
 *   - the arena's free count is the sum of its spans'.
 * A run is searched word by word: free bits are counted up to the next taken bit, taken bits
 * are skipped with one count-trailing-ones, so a search costs O(words scanned).
 */
#include <keel/arena.h>

#include "core/assert.h"

#define NONE ((size_t)-1)

static size_t span_size(const keel_arena_t *a)
{
    return (size_t)1 << a->span_bits;
}

static size_t span_words(const keel_arena_t *a)
{
    return span_size(a) / 64;
}

static size_t index_words(size_t n)
{
    return (n + 63) / 64;
}

static unsigned ctz64(uint64_t x)
{
    return (unsigned)__builtin_ctzll(x);
}

/* Set (take) or clear (give back) bits [i, i + n) of one span. */
static void fill(uint64_t *bits, size_t i, size_t n, bool taken)
{
    while (n > 0) {
        size_t off = i & 63;
        size_t k = 64 - off < n ? 64 - off : n;
        uint64_t mask = (k == 64 ? ~0ull : ((1ull << k) - 1)) << off;
        if (taken) {
            bits[i >> 6] |= mask;
        } else {
            bits[i >> 6] &= ~mask;
        }
        i += k;
        n -= k;
    }
}

/* Whether every bit of [i, i + n) is `taken`. */
static bool all(const uint64_t *bits, size_t i, size_t n, bool taken)
{
    while (n > 0) {
        size_t off = i & 63;
        size_t k = 64 - off < n ? 64 - off : n;
        uint64_t mask = (k == 64 ? ~0ull : ((1ull << k) - 1)) << off;
        uint64_t w = bits[i >> 6] & mask;
        if (taken ? w != mask : w != 0) {
            return false;
        }
        i += k;
        n -= k;
    }
    return true;
}

/* The lowest offset >= from at which n free bits start, or NONE. */
static size_t find_run(const uint64_t *bits, size_t nbits, size_t n, size_t from)
{
    size_t run_start = from, run_len = 0, i = from;
    while (i < nbits) {
        uint64_t taken = bits[i >> 6] >> (i & 63);
        size_t avail = 64 - (i & 63);
        if (taken == 0) {
            run_len += avail;
            i += avail;
        } else {
            size_t z = ctz64(taken); /* free bits before the next taken one */
            run_len += z;
            if (run_len >= n) {
                return run_start;
            }
            uint64_t rest = ~(taken >> z); /* its low zeros are the taken run */
            size_t ones = rest == 0 ? 64 : ctz64(rest);
            i += z + ones;
            run_start = i;
            run_len = 0;
        }
        if (run_len >= n) {
            return run_start;
        }
    }
    return NONE;
}

/* The first present, non-full span with index >= from, or NONE. */
static size_t next_span(const keel_arena_t *a, size_t from)
{
    for (size_t w = from / 64; w < index_words(a->max_spans); w++) {
        uint64_t bits = a->has_free[w];
        if (w == from / 64) {
            bits &= ~0ull << (from & 63);
        }
        if (bits != 0) {
            return w * 64 + ctz64(bits);
        }
    }
    return NONE;
}

static void set_has_free(keel_arena_t *a, size_t index, bool on)
{
    if (on) {
        a->has_free[index / 64] |= 1ull << (index & 63);
    } else {
        a->has_free[index / 64] &= ~(1ull << (index & 63));
    }
}

keel_err_t keel_arena_init(keel_arena_t *a, unsigned span_bits, size_t max_spans,
                           const keel_storage_t *storage)
{
    if (span_bits < KEEL_ARENA_MIN_SPAN_BITS || span_bits > KEEL_ARENA_MAX_SPAN_BITS ||
        max_spans == 0) {
        return KEEL_EINVAL;
    }
    a->span_bits = span_bits;
    a->max_spans = max_spans;
    a->num_spans = 0;
    a->total = 0;
    a->free = 0;
    a->next_fit = false;
    a->cursor = 0;
    keel_meta_init(&a->meta, sizeof(keel_arena_span_t) + span_words(a) * sizeof(uint64_t), storage);
    a->spans = keel_meta_carve(&a->meta, max_spans * sizeof(a->spans[0]));
    a->has_free = keel_meta_carve(&a->meta, index_words(max_spans) * sizeof(uint64_t));
    if (a->spans == NULL || a->has_free == NULL) {
        return KEEL_ENOMETA;
    }
    return KEEL_OK;
}

bool keel_arena_has_span(const keel_arena_t *a, size_t index)
{
    return index < a->max_spans && a->spans[index] != NULL;
}

keel_err_t keel_arena_add_span(keel_arena_t *a, size_t index, uint64_t first, uint64_t end)
{
    uint64_t base = (uint64_t)index << a->span_bits;
    if (index >= a->max_spans || first < base || end < first || end > base + span_size(a)) {
        return KEEL_EINVAL;
    }
    if (a->spans[index] != NULL) {
        return KEEL_EEXIST;
    }
    keel_err_t err = keel_meta_reserve(&a->meta, 1);
    if (err != KEEL_OK) {
        return err;
    }
    keel_arena_span_t *s = keel_meta_take(&a->meta);
    fill(s->bits, 0, span_size(a), true);
    fill(s->bits, (size_t)(first - base), (size_t)(end - first), false);
    s->free = end - first;
    a->spans[index] = s;
    a->num_spans++;
    a->total += end - first;
    a->free += end - first;
    set_has_free(a, index, s->free > 0);
    return KEEL_OK;
}

static void take(keel_arena_t *a, size_t index, size_t off, size_t n)
{
    keel_arena_span_t *s = a->spans[index];
    fill(s->bits, off, n, true);
    s->free -= n;
    a->free -= n;
    set_has_free(a, index, s->free > 0);
    a->cursor = ((uint64_t)index << a->span_bits) + off + n;
}

/* Search spans [from_index, end) for a run, starting at offset `from_off` in the first. */
static bool search(keel_arena_t *a, size_t from_index, size_t from_off, size_t n, uint64_t *first)
{
    for (size_t i = next_span(a, from_index); i != NONE; i = next_span(a, i + 1)) {
        keel_arena_span_t *s = a->spans[i];
        if (s->free < n) {
            continue;
        }
        size_t off = find_run(s->bits, span_size(a), n, i == from_index ? from_off : 0);
        if (off != NONE) {
            take(a, i, off, n);
            *first = ((uint64_t)i << a->span_bits) + off;
            return true;
        }
    }
    return false;
}

keel_err_t keel_arena_alloc(keel_arena_t *a, size_t n, uint64_t *first)
{
    if (n == 0 || n > span_size(a)) {
        return KEEL_EINVAL;
    }
    if (n > a->free) {
        return KEEL_ENOSLOT;
    }
    if (!a->next_fit) {
        return search(a, 0, 0, n, first) ? KEEL_OK : KEEL_ENOSLOT;
    }
    size_t index = (size_t)(a->cursor >> a->span_bits);
    size_t off = (size_t)(a->cursor & (span_size(a) - 1));
    if (index >= a->max_spans) {
        index = 0;
        off = 0;
    }
    /* From the cursor to the end, then from the start (the cursor's span again, whole). */
    if (search(a, index, off, n, first) || search(a, 0, 0, n, first)) {
        return KEEL_OK;
    }
    return KEEL_ENOSLOT;
}

/* The span holding [first, first + n), with the offset of first in it; NULL if none. */
static keel_arena_span_t *span_of(const keel_arena_t *a, uint64_t first, size_t n, size_t *index,
                                  size_t *off)
{
    *index = (size_t)(first >> a->span_bits);
    *off = (size_t)(first & (span_size(a) - 1));
    if (n == 0 || *index >= a->max_spans || a->spans[*index] == NULL || n > span_size(a) - *off) {
        return NULL;
    }
    return a->spans[*index];
}

keel_err_t keel_arena_alloc_at(keel_arena_t *a, uint64_t first, size_t n)
{
    size_t index, off;
    keel_arena_span_t *s = span_of(a, first, n, &index, &off);
    if (s == NULL) {
        return KEEL_EINVAL;
    }
    if (!all(s->bits, off, n, false)) {
        return KEEL_EBUSY;
    }
    take(a, index, off, n);
    return KEEL_OK;
}

void keel_arena_free(keel_arena_t *a, uint64_t first, size_t n)
{
    size_t index, off;
    keel_arena_span_t *s = span_of(a, first, n, &index, &off);
    KEEL_ASSERT(s != NULL, "keel_arena_free: run outside every span");
    KEEL_ASSERT(all(s->bits, off, n, true), "keel_arena_free: run not taken (double free?)");
    fill(s->bits, off, n, false);
    s->free += n;
    a->free += n;
    set_has_free(a, index, true);
}

bool keel_arena_is_free(const keel_arena_t *a, uint64_t first, size_t n)
{
    size_t index, off;
    const keel_arena_span_t *s = span_of(a, first, n, &index, &off);
    return s != NULL && all(s->bits, off, n, false);
}

bool keel_arena_is_taken(const keel_arena_t *a, uint64_t first, size_t n)
{
    size_t index, off;
    const keel_arena_span_t *s = span_of(a, first, n, &index, &off);
    return s != NULL && all(s->bits, off, n, true);
}

void keel_arena_set_next_fit(keel_arena_t *a, bool on)
{
    a->next_fit = on;
}

size_t keel_arena_meta_bytes(const keel_arena_t *a)
{
    return a->meta.bytes_given;
}

int keel_arena_check(const keel_arena_t *a, const char **what)
{
    uint64_t free = 0;
    size_t spans = 0;
    for (size_t i = 0; i < a->max_spans; i++) {
        const keel_arena_span_t *s = a->spans[i];
        bool flag = (a->has_free[i / 64] >> (i & 63)) & 1;
        if (s == NULL) {
            if (flag) {
                *what = "an absent span is marked as having free integers";
                return -1;
            }
            continue;
        }
        spans++;
        uint64_t clear = 0;
        for (size_t w = 0; w < span_words(a); w++) {
            clear += (uint64_t)(64 - __builtin_popcountll(s->bits[w]));
        }
        if (clear != s->free) {
            *what = "a span's free count differs from its bitmap";
            return -1;
        }
        if (flag != (s->free > 0)) {
            *what = "a span's has-free flag is wrong";
            return -1;
        }
        free += s->free;
    }
    if (free != a->free || spans != a->num_spans) {
        *what = "the arena's totals differ from its spans";
        return -1;
    }
    return 0;
}
