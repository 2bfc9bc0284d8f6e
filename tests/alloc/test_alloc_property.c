/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Differential property test of the allocation core: random sequences of untyped alloc,
 * alloc-at-paddr and free, and slot alloc and free, against a trivial reference (sorted sets
 * of live intervals), checked after every step. The reference decides every outcome:
 *   - an alloc returns an aligned block inside a RAM boot untyped that overlaps nothing live;
 *   - an alloc fails with KEEL_ENOMEM only if no aligned free block of the size exists
 *     anywhere (no stranding: deferred coalescing must never hide free memory);
 *   - an alloc-at succeeds exactly when the block overlaps nothing live;
 *   - slot runs are disjoint and within one CNode.
 * keel_ut_check and keel_cslot_check run every step; with the model's view of the kernel and
 * the model's own invariants every 512 steps and at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/cslot.h>
#include <keel/untyped.h>

#include "alloc_test.h"

enum { MAX_LIVE = 512, MAX_RUNS = 512 };

struct interval {
    uint64_t start, end;
};

struct ref {
    struct interval live[MAX_LIVE];   /* sorted by start */
    keel_ut_block_t blocks[MAX_LIVE]; /* same order */
    bool cnode[MAX_LIVE];             /* taken by the slot allocator for a CNode, for good */
    size_t n, ncnodes;
    size_t leaves;
    bool two_level;
    struct interval runs[MAX_RUNS]; /* slot runs, unsorted */
    size_t nruns;
    uint64_t ram_used;
};

static struct ref ref;
static struct {
    size_t allocs, enomem, at_ok, at_busy, frees, finds;
} seen;
static seL4_BootInfo *bi;
static keel_cslot_t cs;
static keel_ut_t ut;

static bool overlaps_live(uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < ref.n; i++) {
        if (ref.live[i].start < end && start < ref.live[i].end) {
            return true;
        }
    }
    return false;
}

static void ref_add(const keel_ut_block_t *b, bool cnode)
{
    assert_true(ref.n < MAX_LIVE);
    size_t i = ref.n++;
    for (; i > 0 && ref.live[i - 1].start > b->paddr; i--) {
        ref.live[i] = ref.live[i - 1];
        ref.blocks[i] = ref.blocks[i - 1];
        ref.cnode[i] = ref.cnode[i - 1];
    }
    ref.live[i] = (struct interval){b->paddr, b->paddr + (1ull << b->size_bits)};
    ref.blocks[i] = *b;
    ref.cnode[i] = cnode;
    ref.ncnodes += cnode;
    if (!b->device) {
        ref.ram_used += 1ull << b->size_bits;
    }
}

static void ref_remove(size_t i)
{
    if (!ref.blocks[i].device) {
        ref.ram_used -= 1ull << ref.blocks[i].size_bits;
    }
    for (; i + 1 < ref.n; i++) {
        ref.live[i] = ref.live[i + 1];
        ref.blocks[i] = ref.blocks[i + 1];
        ref.cnode[i] = ref.cnode[i + 1];
    }
    ref.n--;
}

/* The boot untyped covering [paddr, paddr + 2^bits), or NULL. */
static const seL4_UntypedDesc *root_of(uint64_t paddr, unsigned bits)
{
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (paddr >= d->paddr && bits <= d->sizeBits &&
            paddr - d->paddr <= (1ull << d->sizeBits) - (1ull << bits)) {
            return d;
        }
    }
    return NULL;
}

/* Whether [from, to) holds a 2^bits block aligned relative to `base`. */
static bool gap_fits(uint64_t base, uint64_t from, uint64_t to, unsigned bits)
{
    uint64_t aligned = base + ((from - base + (1ull << bits) - 1) & ~((1ull << bits) - 1));
    return aligned + (1ull << bits) <= to;
}

/* Whether some RAM boot untyped has an aligned 2^bits block that overlaps nothing live
 * (live blocks never span two boot untypeds, and ref.live is sorted). */
static bool free_block_exists(unsigned bits)
{
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (d->isDevice || d->sizeBits < bits) {
            continue;
        }
        uint64_t base = d->paddr, end = d->paddr + (1ull << d->sizeBits), from = base;
        for (size_t j = 0; j < ref.n; j++) {
            if (ref.live[j].start < base || ref.live[j].start >= end) {
                continue;
            }
            if (gap_fits(base, from, ref.live[j].start, bits)) {
                return true;
            }
            from = ref.live[j].end;
        }
        if (gap_fits(base, from, end, bits)) {
            return true;
        }
    }
    return false;
}

static void check_block(const keel_ut_block_t *b, unsigned bits)
{
    assert_int_equal(b->size_bits, bits);
    const seL4_UntypedDesc *root = root_of(b->paddr, bits);
    if (root == NULL) {
        fail_msg("block %#llx (2^%u) is in no boot untyped", (unsigned long long)b->paddr, bits);
        return;
    }
    assert_int_equal(b->device, root->isDevice);
    assert_int_equal((b->paddr - root->paddr) & ((1ull << bits) - 1), 0);
    assert_false(overlaps_live(b->paddr, b->paddr + (1ull << bits)));
}

static unsigned random_bits(uint64_t *rng)
{
    /* Mostly small (4.. bits, geometric); one in four large (20..26 bits), so that RAM fills
     * up and requests are refused. */
    if (test_rng(rng) % 4 == 0) {
        return 20 + (unsigned)(test_rng(rng) % 7);
    }
    unsigned bits = 4;
    while (bits < 24 && test_rng(rng) % 3 != 0) {
        bits += 1 + (unsigned)(test_rng(rng) % 2);
    }
    return bits > 24 ? 24 : bits;
}

/* A CNode made by the slot allocator's growth is a used block the test did not ask for:
 * learn where it is from the model (its cap is in the top CNode, or is the top CNode). */
static void cnode_block(seL4_CNode root, seL4_Word index, seL4_Word depth)
{
    keel_model_cap_info info;
    int rc =
        depth == 0 ? keel_model_cap(root, &info) : keel_model_cap_at(root, index, depth, &info);
    assert_int_equal(rc, 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_CNODE);
    keel_ut_block_t b = {0, info.paddr, info.size_bits, false};
    assert_false(overlaps_live(b.paddr, b.paddr + (1ull << b.size_bits)));
    ref_add(&b, true);
}

static void learn_cnodes(void)
{
    keel_cslot_stats_t st;
    keel_cslot_stats(&cs, &st);
    if (st.two_level && !ref.two_level) {
        cnode_block(cs.top, 0, 0);
        ref.two_level = true;
    }
    for (; ref.leaves < st.leaves; ref.leaves++) {
        cnode_block(cs.top, ref.leaves + 1, cs.top_radix);
    }
}

static void step_alloc(uint64_t *rng)
{
    if (ref.n == MAX_LIVE) {
        return;
    }
    unsigned bits = random_bits(rng);
    keel_ut_block_t b;
    keel_err_t err = keel_ut_alloc(&ut, bits, 0, &b);
    if (err == KEEL_ENOMEM) {
        learn_cnodes();                        /* trying may have grown the CSpace */
        assert_false(free_block_exists(bits)); /* no stranding */
        seen.enomem++;
        return;
    }
    assert_int_equal(err, KEEL_OK);
    seen.allocs++;
    check_block(&b, bits);
    ref_add(&b, false);
}

static void step_alloc_at(uint64_t *rng)
{
    if (ref.n == MAX_LIVE) {
        return;
    }
    unsigned bits = random_bits(rng);
    seL4_Word count = bi->untyped.end - bi->untyped.start;
    const seL4_UntypedDesc *d = &bi->untypedList[test_rng(rng) % count];
    if (d->sizeBits < bits || (d->isDevice && test_rng(rng) % 4 != 0)) {
        return; /* mostly RAM; device now and then */
    }
    uint64_t slots = 1ull << (d->sizeBits - bits);
    uint64_t paddr = d->paddr + ((test_rng(rng) % slots) << bits);
    keel_ut_block_t b;
    keel_err_t err = keel_ut_alloc_at(&ut, paddr, bits, &b);
    if (overlaps_live(paddr, paddr + (1ull << bits))) {
        assert_int_equal(err, KEEL_EBUSY);
        seen.at_busy++;
        return;
    }
    assert_int_equal(err, KEEL_OK);
    seen.at_ok++;
    assert_int_equal(b.paddr, paddr);
    check_block(&b, bits);
    ref_add(&b, false);
}

static void step_free(uint64_t *rng)
{
    if (ref.n == ref.ncnodes) {
        return;
    }
    size_t i;
    do {
        i = test_rng(rng) % ref.n;
    } while (ref.cnode[i]);
    unsigned flags = test_rng(rng) % 2 ? KEEL_UT_NO_DERIVED : 0;
    assert_int_equal(keel_ut_free(&ut, &ref.blocks[i], flags), KEEL_OK);
    ref_remove(i);
    seen.frees++;
}

/* Any byte of a boot untyped, the last ones included, is found in the block that covers it. */
static void step_find(uint64_t *rng)
{
    seL4_Word count = bi->untyped.end - bi->untyped.start;
    const seL4_UntypedDesc *d = &bi->untypedList[test_rng(rng) % count];
    uint64_t size = 1ull << d->sizeBits;
    uint64_t off = test_rng(rng) % 2 ? test_rng(rng) % size : size - 1 - test_rng(rng) % 16;
    uint64_t paddr = d->paddr + off;
    keel_ut_block_t b;
    int state = -1;
    assert_int_equal(keel_ut_find(&ut, paddr, &b, &state), KEEL_OK);
    assert_true(b.paddr <= paddr && paddr - b.paddr < (1ull << b.size_bits));
    assert_int_equal(b.device, d->isDevice);
    size_t i = 0;
    while (i < ref.n && !(ref.live[i].start <= paddr && paddr < ref.live[i].end)) {
        i++;
    }
    if (i < ref.n) { /* a live block: exactly it */
        assert_int_equal(state, KEEL_UT_USED);
        assert_int_equal(b.paddr, ref.live[i].start);
        assert_int_equal(1ull << b.size_bits, ref.live[i].end - ref.live[i].start);
    } else { /* free: and nothing live inside the free block */
        assert_int_equal(state, KEEL_UT_FREE);
        assert_false(overlaps_live(b.paddr, b.paddr + (1ull << b.size_bits)));
    }
    seen.finds++;
}

static void step_slots(uint64_t *rng)
{
    if (ref.nruns > 0 && (ref.nruns == MAX_RUNS || test_rng(rng) % 2)) {
        size_t i = test_rng(rng) % ref.nruns;
        keel_cslot_free_range(&cs, ref.runs[i].start,
                              (size_t)(ref.runs[i].end - ref.runs[i].start));
        ref.runs[i] = ref.runs[--ref.nruns];
        return;
    }
    size_t n = test_rng(rng) % 4 ? 1 : 1 + (size_t)(test_rng(rng) % 300);
    seL4_CPtr first;
    assert_int_equal(keel_cslot_alloc_range(&cs, n, &first), KEEL_OK);
    assert_int_equal(first >> 12, (first + n - 1) >> 12); /* one CNode */
    for (size_t i = 0; i < ref.nruns; i++) {
        assert_true(first + n <= ref.runs[i].start || ref.runs[i].end <= first);
    }
    ref.runs[ref.nruns++] = (struct interval){first, first + n};
}

static void quick_checks(void)
{
    const char *what = NULL;
    if (keel_ut_check(&ut, NULL, &what) != 0 || keel_cslot_check(&cs, NULL, &what) != 0) {
        fail_msg("invariant: %s", what);
    }
    keel_ut_stats_t st;
    keel_ut_stats(&ut, &st);
    assert_int_equal(st.ram_used, ref.ram_used);
    assert_int_equal(st.ram_free + st.ram_used, 529061888);
}

static void run(uint64_t seed, size_t steps)
{
    memset(&ref, 0, sizeof(ref));
    memset(&seen, 0, sizeof(seen));
    uint64_t rng = seed;
    bi = model_test_boot(NULL);
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cslot_init(&cs, bi, NULL, &s), KEEL_OK);
    assert_int_equal(keel_ut_init(&ut, bi, &cs, &s), KEEL_OK);
    for (size_t step = 0; step < steps; step++) {
        uint64_t op = test_rng(&rng) % 100;
        if (op < 35) {
            step_alloc(&rng);
        } else if (op < 50) {
            step_alloc_at(&rng);
        } else if (op < 85) {
            step_free(&rng);
        } else if (op < 90) {
            step_find(&rng);
        } else if (op < 99) {
            step_slots(&rng);
        } else {
            keel_ut_compact(&ut);
        }
        learn_cnodes(); /* any step may have grown the CSpace */
        quick_checks();
        if (step % 512 == 0) {
            ALLOC_CHECK(&ut, &cs);
        }
    }
    ALLOC_CHECK(&ut, &cs);
    keel_ut_stats_t st;
    keel_ut_stats(&ut, &st);
    print_message(
        "seed %#llx: %zu steps: %zu allocs, %zu refused (no free block anywhere), "
        "%zu alloc-at, %zu alloc-at busy, %zu frees, %zu finds; %llu nodes, %zu CNodes grown, "
        "%llu kernel calls\n",
        (unsigned long long)seed, steps, seen.allocs, seen.enomem, seen.at_ok, seen.at_busy,
        seen.frees, seen.finds, (unsigned long long)st.nodes, ref.ncnodes,
        (unsigned long long)(st.kernel_calls + cs.kstat.calls));
    /* The sequence must have reached the interesting cases, or it proves little. */
    assert_true(seen.enomem > 0 && seen.at_busy > 0 && seen.at_ok > 0 && ref.ncnodes > 0);
    keel_model_shutdown();
    test_storage_release();
}

static void random_sequences_match_the_reference(void **state)
{
    (void)state;
    uint64_t seeds[] = {0x1234567, 0xdeadbeef, 0x9e3779b97f4a7c15ull, 7};
    uint64_t chosen = test_seed(0);
    if (chosen != 0) {
        run(chosen, 100000);
        return;
    }
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        run(seeds[i], 25000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_sequences_match_the_reference),
    };
    return cmocka_run_group_tests_name("alloc.property", tests, NULL, NULL);
}
