/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The integer arena and the metadata pool, alone (no kernel): unit tests, and a differential
 * test against a plain array of taken flags with first-fit computed the obvious way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <keel/arena.h>
#include <keel/debug.h>
#include <keel/meta.h>

/* Regions the grow hook handed out; a pool never gives memory back, so each test frees them
 * in its teardown once the pool is gone. */
static void *regions[256];
static size_t num_regions;

static keel_err_t grow_malloc(void *ctx, size_t min_bytes, void **mem, size_t *bytes)
{
    size_t *budget = ctx;
    if (budget != NULL) {
        if (*budget < min_bytes) {
            return KEEL_ENOMETA;
        }
        *budget -= min_bytes;
    }
    if (num_regions == sizeof(regions) / sizeof(regions[0])) {
        return KEEL_ENOMETA;
    }
    *mem = calloc(1, min_bytes);
    *bytes = min_bytes;
    regions[num_regions++] = *mem;
    return *mem != NULL ? KEEL_OK : KEEL_ENOMETA;
}

static int free_regions(void **state)
{
    (void)state;
    while (num_regions > 0) {
        free(regions[--num_regions]);
    }
    return 0;
}

static keel_storage_t malloc_storage(size_t *budget)
{
    keel_storage_t s = {.mem = NULL, .bytes = 0, .grow = grow_malloc, .grow_ctx = budget};
    return s;
}

static void arena_check(const keel_arena_t *a)
{
    const char *what = NULL;
    if (keel_arena_check(a, &what) != 0) {
        fail_msg("arena invariant: %s", what);
    }
}

static void meta_reserve_take_put(void **state)
{
    (void)state;
    static uint8_t region[1000];
    keel_storage_t s = {.mem = region, .bytes = sizeof(region)};
    keel_meta_t m;
    keel_meta_init(&m, 40, &s); /* rounded to 48 */
    size_t avail = keel_meta_available(&m);
    assert_true(avail >= 19 && avail <= 20);
    assert_int_equal(keel_meta_reserve(&m, avail + 1), KEEL_ENOMETA); /* no grow hook */
    assert_int_equal(keel_meta_reserve(&m, avail), KEEL_OK);
    void *recs[20];
    for (size_t i = 0; i < avail; i++) {
        recs[i] = keel_meta_take(&m);
        memset(recs[i], 0xab, 40);
    }
    assert_int_equal(keel_meta_available(&m), 0);
    keel_meta_put(&m, recs[3]);
    assert_int_equal(keel_meta_available(&m), 1);
    uint8_t *again = keel_meta_take(&m);
    assert_ptr_equal(again, recs[3]);
    for (int i = 0; i < 40; i++) {
        assert_int_equal(again[i], 0); /* taken records are zeroed */
    }
}

static void meta_grows_through_the_hook(void **state)
{
    (void)state;
    size_t budget = 4096;
    keel_storage_t s = malloc_storage(&budget);
    keel_meta_t m;
    keel_meta_init(&m, 64, &s);
    assert_int_equal(keel_meta_reserve(&m, 10), KEEL_OK);
    assert_true(keel_meta_available(&m) >= 10);
    assert_int_equal(keel_meta_reserve(&m, 1000), KEEL_ENOMETA); /* budget exhausted */
    assert_true(keel_meta_available(&m) >= 10);                  /* nothing lost */
}

static void arena_first_fit_runs_stay_in_one_span(void **state)
{
    (void)state;
    keel_arena_t a;
    keel_storage_t s = malloc_storage(NULL);
    assert_int_equal(keel_arena_init(&a, 6, 4, &s), KEEL_OK);
    assert_int_equal(keel_arena_add_span(&a, 0, 10, 64), KEEL_OK); /* [10, 64) */
    assert_int_equal(keel_arena_add_span(&a, 2, 128, 192), KEEL_OK);
    assert_int_equal(keel_arena_add_span(&a, 2, 128, 192), KEEL_EEXIST);
    assert_int_equal(keel_arena_free_count(&a), 54 + 64);
    uint64_t first;
    assert_int_equal(keel_arena_alloc(&a, 1, &first), KEEL_OK);
    assert_int_equal(first, 10);
    assert_int_equal(keel_arena_alloc(&a, 60, &first), KEEL_OK); /* does not fit in span 0 */
    assert_int_equal(first, 128);
    assert_int_equal(keel_arena_alloc(&a, 53, &first), KEEL_OK);
    assert_int_equal(first, 11);
    assert_int_equal(keel_arena_alloc(&a, 5, &first), KEEL_ENOSLOT);
    assert_int_equal(keel_arena_alloc(&a, 4, &first), KEEL_OK);
    assert_int_equal(first, 188);
    assert_int_equal(keel_arena_alloc(&a, 65, &first), KEEL_EINVAL);
    keel_arena_free(&a, 20, 5);
    keel_arena_free(&a, 25, 5); /* coalesces with the previous run */
    assert_int_equal(keel_arena_alloc(&a, 10, &first), KEEL_OK);
    assert_int_equal(first, 20);
    assert_int_equal(keel_arena_alloc_at(&a, 40, 2), KEEL_EBUSY);
    keel_arena_free(&a, 40, 2);
    assert_true(keel_arena_is_free(&a, 40, 2));
    assert_int_equal(keel_arena_alloc_at(&a, 40, 2), KEEL_OK);
    assert_true(keel_arena_is_taken(&a, 40, 2));
    assert_false(keel_arena_is_free(&a, 64, 1)); /* span 1 is absent */
    arena_check(&a);
}

static void arena_next_fit_delays_reuse(void **state)
{
    (void)state;
    keel_arena_t a;
    keel_storage_t s = malloc_storage(NULL);
    assert_int_equal(keel_arena_init(&a, 6, 1, &s), KEEL_OK);
    assert_int_equal(keel_arena_add_span(&a, 0, 0, 64), KEEL_OK);
    keel_arena_set_next_fit(&a, true);
    uint64_t x, y;
    assert_int_equal(keel_arena_alloc(&a, 1, &x), KEEL_OK);
    keel_arena_free(&a, x, 1);
    assert_int_equal(keel_arena_alloc(&a, 1, &y), KEEL_OK);
    assert_int_not_equal(x, y); /* not reused at once */
    for (int i = 0; i < 62; i++) {
        assert_int_equal(keel_arena_alloc(&a, 1, &y), KEEL_OK);
    }
    assert_int_equal(keel_arena_alloc(&a, 1, &y), KEEL_OK); /* wrapped around */
    assert_int_equal(y, x);
    arena_check(&a);
}

static jmp_buf panic_jb;

static void panic_to_test(const char *file, int line, const char *message)
{
    (void)file;
    (void)line;
    (void)message;
    longjmp(panic_jb, 1);
}

static void arena_double_free_is_loud(void **state)
{
    (void)state;
    keel_arena_t a;
    keel_storage_t s = malloc_storage(NULL);
    assert_int_equal(keel_arena_init(&a, 6, 1, &s), KEEL_OK);
    assert_int_equal(keel_arena_add_span(&a, 0, 0, 64), KEEL_OK);
    uint64_t x;
    assert_int_equal(keel_arena_alloc(&a, 3, &x), KEEL_OK);
    keel_arena_free(&a, x, 3);
    keel_set_panic(panic_to_test);
    int panicked = setjmp(panic_jb);
    if (!panicked) {
        keel_arena_free(&a, x, 1);
    }
    keel_set_panic(NULL);
    assert_true(panicked);
}

/* ---- Differential test -------------------------------------------------------------------- */

enum { REF_SPAN_BITS = 7, REF_SPANS = 16, REF_N = REF_SPANS << REF_SPAN_BITS };

struct ref {
    bool present[REF_SPANS];
    bool taken[REF_N];
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static bool ref_run_free(const struct ref *r, size_t first, size_t n)
{
    size_t span = first >> REF_SPAN_BITS;
    if (!r->present[span] || ((first + n - 1) >> REF_SPAN_BITS) != span) {
        return false;
    }
    for (size_t i = first; i < first + n; i++) {
        if (r->taken[i]) {
            return false;
        }
    }
    return true;
}

static size_t ref_first_fit(const struct ref *r, size_t n)
{
    for (size_t i = 0; i + n <= REF_N; i++) {
        if (ref_run_free(r, i, n)) {
            return i;
        }
    }
    return (size_t)-1;
}

static void run_differential(uint64_t seed, size_t steps)
{
    rng_state = seed;
    keel_arena_t a;
    keel_storage_t s = malloc_storage(NULL);
    struct ref *r = calloc(1, sizeof(*r));
    assert_int_equal(keel_arena_init(&a, REF_SPAN_BITS, REF_SPANS, &s), KEEL_OK);
    struct {
        uint64_t first;
        size_t n;
    } live[4096];
    size_t nlive = 0;
    for (size_t step = 0; step < steps; step++) {
        uint64_t op = rnd() % 100;
        if (op < 3) {
            size_t span = rnd() % REF_SPANS;
            size_t lo = rnd() % 8, hi = (1u << REF_SPAN_BITS) - rnd() % 8;
            uint64_t base = (uint64_t)span << REF_SPAN_BITS;
            keel_err_t err = keel_arena_add_span(&a, span, base + lo, base + hi);
            assert_int_equal(err, r->present[span] ? KEEL_EEXIST : KEEL_OK);
            if (!r->present[span]) {
                r->present[span] = true;
                for (size_t i = 0; i < (1u << REF_SPAN_BITS); i++) {
                    r->taken[base + i] = i < lo || i >= hi;
                }
            }
        } else if (op < 55 && nlive < 4096) {
            size_t n = (rnd() % 4 == 0) ? 1 + rnd() % (1u << REF_SPAN_BITS) : 1 + rnd() % 8;
            uint64_t first;
            keel_err_t err = keel_arena_alloc(&a, n, &first);
            size_t expect = ref_first_fit(r, n);
            if (expect == (size_t)-1) {
                assert_int_equal(err, KEEL_ENOSLOT);
            } else {
                assert_int_equal(err, KEEL_OK);
                assert_int_equal(first, expect);
                for (size_t i = 0; i < n; i++) {
                    r->taken[first + i] = true;
                }
                live[nlive].first = first;
                live[nlive++].n = n;
            }
        } else if (op < 65 && nlive < 4096) {
            size_t n = 1 + rnd() % 4;
            uint64_t first = rnd() % REF_N;
            keel_err_t err = keel_arena_alloc_at(&a, first, n);
            if (!r->present[first >> REF_SPAN_BITS] ||
                ((first + n - 1) >> REF_SPAN_BITS) != (first >> REF_SPAN_BITS)) {
                assert_int_equal(err, KEEL_EINVAL);
            } else if (ref_run_free(r, first, n)) {
                assert_int_equal(err, KEEL_OK);
                for (size_t i = 0; i < n; i++) {
                    r->taken[first + i] = true;
                }
                live[nlive].first = first;
                live[nlive++].n = n;
            } else {
                assert_int_equal(err, KEEL_EBUSY);
            }
        } else if (nlive > 0) {
            size_t k = rnd() % nlive;
            keel_arena_free(&a, live[k].first, live[k].n);
            for (size_t i = 0; i < live[k].n; i++) {
                r->taken[live[k].first + i] = false;
            }
            live[k] = live[--nlive];
        }
        uint64_t free = 0;
        for (size_t i = 0; i < REF_N; i++) {
            free += r->present[i >> REF_SPAN_BITS] && !r->taken[i];
        }
        assert_int_equal(keel_arena_free_count(&a), free);
        if (step % 64 == 0) {
            arena_check(&a);
        }
    }
    arena_check(&a);
    free(r);
}

static void arena_matches_reference(void **state)
{
    (void)state;
    const char *env = getenv("KEEL_SEED");
    uint64_t seeds[] = {1, 0x9e3779b97f4a7c15ull, 42, 2026};
    if (env != NULL) {
        seeds[0] = strtoull(env, NULL, 0);
    }
    for (size_t i = 0; i < (env != NULL ? 1 : sizeof(seeds) / sizeof(seeds[0])); i++) {
        print_message("arena differential: seed %#llx\n", (unsigned long long)seeds[i]);
        run_differential(seeds[i], 50000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(meta_reserve_take_put, free_regions),
        cmocka_unit_test_teardown(meta_grows_through_the_hook, free_regions),
        cmocka_unit_test_teardown(arena_first_fit_runs_stay_in_one_span, free_regions),
        cmocka_unit_test_teardown(arena_next_fit_delays_reuse, free_regions),
        cmocka_unit_test_teardown(arena_double_free_is_loud, free_regions),
        cmocka_unit_test_teardown(arena_matches_reference, free_regions),
    };
    return cmocka_run_group_tests_name("unit.arena", tests, NULL, free_regions);
}
