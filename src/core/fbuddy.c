/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Buddy bitmaps (core/fbuddy.h). Block i of order o covers units [i << o, (i + 1) << o); its
 * buddy is block i ^ 1 of the same order; its parent is block i >> 1 of order o + 1.
 * Invariant: the set bits are the maximal free blocks: they do not overlap, and no set bit's
 * buddy is set (it would have merged).
 */
#include "core/fbuddy.h"

#include "core/assert.h"

static size_t words_at(unsigned order, unsigned o)
{
    return ((size_t)1 << (order - o)) / 64 + (((size_t)1 << (order - o)) % 64 != 0);
}

size_t keel_fbuddy_words(unsigned order)
{
    size_t n = 0;
    for (unsigned o = 0; o <= order; o++) {
        n += words_at(order, o);
    }
    return n;
}

static uint64_t *level(const keel_fbuddy_t *b, unsigned o)
{
    return b->bits + b->at[o];
}

static bool test(const keel_fbuddy_t *b, unsigned o, uint64_t i)
{
    return (level(b, o)[i / 64] >> (i % 64)) & 1;
}

static void set(keel_fbuddy_t *b, unsigned o, uint64_t i)
{
    level(b, o)[i / 64] |= 1ull << (i % 64);
    b->count[o]++;
}

static void clear(keel_fbuddy_t *b, unsigned o, uint64_t i)
{
    level(b, o)[i / 64] &= ~(1ull << (i % 64));
    b->count[o]--;
}

void keel_fbuddy_init(keel_fbuddy_t *b, unsigned order, uint64_t *mem, bool free)
{
    KEEL_ASSERT(order <= KEEL_FBUDDY_MAX_ORDER, "keel_fbuddy: order too large");
    b->order = order;
    b->bits = mem;
    for (size_t w = 0; w < keel_fbuddy_words(order); w++) {
        mem[w] = 0;
    }
    uint32_t at = 0;
    for (unsigned o = 0; o <= order; o++) {
        b->count[o] = 0;
        b->at[o] = at;
        at += (uint32_t)words_at(order, o);
    }
    if (free) {
        set(b, order, 0);
    }
}

/* Split free block (o, i) down to order k toward unit `target`; returns the block's index. */
static uint64_t split_toward(keel_fbuddy_t *b, unsigned o, uint64_t i, unsigned k, uint32_t target)
{
    clear(b, o, i);
    while (o > k) {
        o--;
        uint64_t lo = i * 2;
        uint64_t half = ((uint64_t)target >> o) & 1;
        set(b, o, lo + (half ^ 1)); /* the other half stays free */
        i = lo + half;
    }
    return i;
}

bool keel_fbuddy_alloc(keel_fbuddy_t *b, unsigned k, uint32_t *offset)
{
    for (unsigned o = k; o <= b->order && o <= KEEL_FBUDDY_MAX_ORDER; o++) {
        if (b->count[o] == 0) {
            continue;
        }
        const uint64_t *bits = level(b, o);
        for (size_t w = 0;; w++) {
            if (bits[w] != 0) {
                uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(bits[w]);
                uint64_t got = split_toward(b, o, i, k, (uint32_t)(i << o));
                *offset = (uint32_t)(got << k);
                return true;
            }
        }
    }
    return false;
}

bool keel_fbuddy_alloc_at(keel_fbuddy_t *b, uint32_t offset, unsigned k)
{
    if (k > b->order || (offset & ((1u << k) - 1)) != 0 || offset >= (1u << b->order)) {
        return false;
    }
    for (unsigned o = k; o <= b->order; o++) {
        uint64_t i = offset >> o;
        if (test(b, o, i)) {
            (void)split_toward(b, o, i, k, offset);
            return true;
        }
    }
    return false;
}

bool keel_fbuddy_is_free(const keel_fbuddy_t *b, uint32_t offset, unsigned k)
{
    /* Free iff a free block of order >= k covers it, or every part of it is free below k. */
    for (unsigned o = k; o <= b->order; o++) {
        if (test(b, o, offset >> o)) {
            return true;
        }
    }
    if (k == 0) {
        return false;
    }
    return keel_fbuddy_is_free(b, offset, k - 1) &&
           keel_fbuddy_is_free(b, offset + (1u << (k - 1)), k - 1);
}

/* Whether any unit of [offset, offset + 2^k) is in a free block. */
static bool any_free(const keel_fbuddy_t *b, uint32_t offset, unsigned k)
{
    for (unsigned o = k; o <= b->order; o++) {
        if (test(b, o, offset >> o)) {
            return true;
        }
    }
    for (unsigned o = 0; o < k; o++) {
        uint64_t first = offset >> o, n = (uint64_t)1 << (k - o);
        for (uint64_t i = first; i < first + n; i++) {
            if ((i % 64) == 0 && i + 64 <= first + n) {
                if (level(b, o)[i / 64] != 0) {
                    return true;
                }
                i += 63;
            } else if (test(b, o, i)) {
                return true;
            }
        }
    }
    return false;
}

void keel_fbuddy_free(keel_fbuddy_t *b, uint32_t offset, unsigned k)
{
    KEEL_ASSERT(k <= b->order && (offset & ((1u << k) - 1)) == 0 && offset < (1u << b->order),
                "keel_fbuddy_free: not a block");
    KEEL_ASSERT(!any_free(b, offset, k), "keel_fbuddy_free: run not taken (double free?)");
    uint64_t i = offset >> k;
    unsigned o = k;
    while (o < b->order && test(b, o, i ^ 1)) {
        clear(b, o, i ^ 1);
        i >>= 1;
        o++;
    }
    set(b, o, i);
}

int keel_fbuddy_largest(const keel_fbuddy_t *b)
{
    for (unsigned o = b->order + 1; o-- > 0;) {
        if (o <= KEEL_FBUDDY_MAX_ORDER && b->count[o] > 0) {
            return (int)o;
        }
    }
    return -1;
}

uint64_t keel_fbuddy_free_units(const keel_fbuddy_t *b)
{
    uint64_t n = 0;
    for (unsigned o = 0; o <= b->order && o <= KEEL_FBUDDY_MAX_ORDER; o++) {
        n += (uint64_t)b->count[o] << o;
    }
    return n;
}

int keel_fbuddy_check(const keel_fbuddy_t *b)
{
    for (unsigned o = 0; o <= b->order && o <= KEEL_FBUDDY_MAX_ORDER; o++) {
        uint64_t n = (uint64_t)1 << (b->order - o), set_bits = 0;
        for (uint64_t i = 0; i < n; i++) {
            if (!test(b, o, i)) {
                continue;
            }
            set_bits++;
            if (o < b->order && test(b, o, i ^ 1)) {
                return -1; /* should have merged */
            }
            for (unsigned a = o + 1; a <= b->order; a++) {
                if (test(b, a, i >> (a - o))) {
                    return -1; /* inside a larger free block */
                }
            }
        }
        if (set_bits != b->count[o]) {
            return -1;
        }
    }
    return 0;
}
