/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pure structures under the caches and frame pools: the treap (against a sorted array)
 * and the buddy bitmaps (against a plain bitmap of units, for millions of operations: no
 * request is refused while an aligned free run exists, and nothing handed out overlaps).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "core/fbuddy.h"
#include <keel/treap.h>

static uint64_t rng = 1;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t seed_or(uint64_t fallback)
{
    const char *env = getenv("KEEL_SEED");
    return env != NULL ? strtoull(env, NULL, 0) : fallback;
}

/* ---- Treap ----------------------------------------------------------------------------------- */

static void treap_matches_a_sorted_array(void **state)
{
    (void)state;
    enum { N = 2000 };
    static keel_tnode_t nodes[N];
    static bool in[N];
    keel_treap_t t;
    keel_treap_init(&t);
    rng = seed_or(77);
    memset(in, 0, sizeof(in));
    for (int step = 0; step < 200000; step++) {
        size_t i = rnd() % N;
        if (in[i]) {
            keel_treap_remove(&t, &nodes[i]);
            in[i] = false;
        } else {
            keel_treap_insert(&t, &nodes[i], (uint64_t)i * 10);
            in[i] = true;
        }
        /* floor(x) is the largest present key <= x */
        uint64_t x = rnd() % (N * 10 + 20);
        keel_tnode_t *f = keel_treap_floor(&t, x);
        long expect = -1;
        for (long k = (long)(x / 10 < N ? x / 10 : N - 1); k >= 0; k--) {
            if (in[k]) {
                expect = k;
                break;
            }
        }
        if (expect < 0) {
            assert_null(f);
        } else {
            assert_non_null(f);
            assert_int_equal(f->key, (uint64_t)expect * 10);
        }
        if (step % 1000 == 0) {
            assert_int_equal(keel_treap_check(&t), 0);
            size_t count = 0;
            uint64_t prev = 0;
            for (keel_tnode_t *n = keel_treap_first(&t); n != NULL; n = keel_treap_next(&t, n)) {
                assert_true(count == 0 || n->key > prev);
                prev = n->key;
                count++;
            }
            assert_int_equal(count, t.count);
        }
    }
}

/* ---- Buddy bitmaps -------------------------------------------------------------------------- */

enum { ORDER = 10, UNITS = 1 << ORDER };

static bool ref_taken[UNITS];

static bool ref_free(uint32_t off, unsigned k)
{
    for (uint32_t u = off; u < off + (1u << k); u++) {
        if (ref_taken[u]) {
            return false;
        }
    }
    return true;
}

static bool ref_any_aligned_free(unsigned k)
{
    for (uint32_t off = 0; off < UNITS; off += 1u << k) {
        if (ref_free(off, k)) {
            return true;
        }
    }
    return false;
}

static void buddy_matches_a_unit_bitmap(void **state)
{
    (void)state;
    static uint64_t mem[64];
    assert_true(keel_fbuddy_words(ORDER) <= 64);
    keel_fbuddy_t b;
    keel_fbuddy_init(&b, ORDER, mem, true);
    memset(ref_taken, 0, sizeof(ref_taken));
    struct {
        uint32_t off;
        unsigned k;
    } live[UNITS];
    size_t nlive = 0, refused = 0, cycles = 0;
    uint64_t steps = 2000000;
    rng = seed_or(0x1234);
    for (uint64_t step = 0; step < steps; step++) {
        uint64_t op = rnd() % 100;
        if (op == 0) {
            /* A full-pool cycle: take everything, give it all back (CapBuddy's failure). */
            while (nlive > 0) {
                nlive--;
                keel_fbuddy_free(&b, live[nlive].off, live[nlive].k);
                for (uint32_t u = 0; u < (1u << live[nlive].k); u++) {
                    ref_taken[live[nlive].off + u] = false;
                }
            }
            uint32_t off;
            assert_true(keel_fbuddy_alloc(&b, ORDER, &off));
            assert_int_equal(off, 0);
            keel_fbuddy_free(&b, 0, ORDER);
            cycles++;
        } else if (op < 50) {
            unsigned k = (unsigned)(rnd() % 4 == 0 ? rnd() % (ORDER + 1) : rnd() % 4);
            uint32_t off;
            bool ok = keel_fbuddy_alloc(&b, k, &off);
            assert_int_equal(ok, ref_any_aligned_free(k)); /* no stranding, no invention */
            if (!ok) {
                refused++;
                continue;
            }
            assert_int_equal(off & ((1u << k) - 1), 0);
            assert_true(ref_free(off, k));
            for (uint32_t u = 0; u < (1u << k); u++) {
                ref_taken[off + u] = true;
            }
            live[nlive].off = off;
            live[nlive++].k = k;
        } else if (op < 60) {
            unsigned k = (unsigned)(rnd() % 4);
            uint32_t off = (uint32_t)(rnd() % UNITS) & ~((1u << k) - 1);
            bool ok = keel_fbuddy_alloc_at(&b, off, k);
            assert_int_equal(ok, ref_free(off, k));
            if (ok) {
                for (uint32_t u = 0; u < (1u << k); u++) {
                    ref_taken[off + u] = true;
                }
                live[nlive].off = off;
                live[nlive++].k = k;
            }
        } else if (nlive > 0) {
            size_t i = rnd() % nlive;
            keel_fbuddy_free(&b, live[i].off, live[i].k);
            for (uint32_t u = 0; u < (1u << live[i].k); u++) {
                ref_taken[live[i].off + u] = false;
            }
            live[i] = live[--nlive];
        }
        uint64_t free_units = 0;
        if (step % 4096 == 0) {
            for (uint32_t u = 0; u < UNITS; u++) {
                free_units += !ref_taken[u];
            }
            assert_int_equal(keel_fbuddy_free_units(&b), free_units);
            assert_int_equal(keel_fbuddy_check(&b), 0);
        }
    }
    print_message("buddy: %llu operations, %zu refusals (each checked: no aligned free run), "
                  "%zu full-pool cycles\n",
                  (unsigned long long)steps, refused, cycles);
    assert_true(refused > 0 && cycles > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(treap_matches_a_sorted_array),
        cmocka_unit_test(buddy_matches_a_unit_bitmap),
    };
    return cmocka_run_group_tests_name("unit.structures", tests, NULL, NULL);
}
