/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Benchmark of object caches and frame pools on the model (recorded qemu world, 504 MiB).
 *
 * For each workload: cold allocations (filling empty caches), warm churn (random free +
 * alloc), then freeing everything (for caches, cold frees: every object, then every slab given
 * back). Kernel calls and bytes zeroed are counted by the model (exact, machine-independent):
 * calls are invocations plus seL4_Poll system calls; ns/op is host time, indicative only.
 * Slots and metadata are per live object at the peak; metadata counts the records in use (the
 * cache's or pool's own, plus the untyped tree nodes and the slot bitmap below them), not the
 * storage regions the grow hook handed over. A cache's utilisation is the bytes of its live
 * objects over the bytes of its slabs at the peak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/cache.h>
#include <keel/fpool.h>
#include <keel/model.h>

#include "host.h"

static seL4_BootInfo *bi;
static keel_cslot_t cs;
static keel_ut_t ut;
static uint64_t rng = 0x2545f4914f6cdd1dull;

static void boot(void)
{
    bi = host_boot(NULL, NULL, &cs, &ut);
}

static uint64_t rnd(void)
{
    return host_rng(&rng);
}

/* Kernel calls: invocations, and seL4_Poll (a system call the notification cache makes). */
static uint64_t calls(void)
{
    keel_model_counters c;
    keel_model_counters_get(&c);
    return c.invocations + c.syscalls[-seL4_SysNBRecv - 1];
}

static uint64_t zeroed(void)
{
    keel_model_counters c;
    keel_model_counters_get(&c);
    return c.bytes_zeroed;
}

struct row {
    const char *name;
    double cold, warm_alloc, warm_free, slots, meta, zeroed_per_byte, ns;
    uint64_t stranded, refused;
    /* Cache rows only. */
    bool cache;
    double cold_free, util;
    uint64_t obj_bytes; /* 0: mixed sizes */
};

static void print_row(const struct row *r)
{
    char cold_free[16] = "        -", util[16] = "     -";
    if (r->cache) {
        snprintf(cold_free, sizeof(cold_free), "%9.4f", r->cold_free);
        snprintf(util, sizeof(util), "%5.1f%%", 100.0 * r->util);
    }
    printf("  %-26s %9.4f %s %9.3f %9.3f %9.4f %9.3f %9.3f %s %8llu %8llu %7.0f\n", r->name,
           r->cold, cold_free, r->warm_alloc, r->warm_free, r->slots, r->meta, r->zeroed_per_byte,
           util, (unsigned long long)r->stranded, (unsigned long long)r->refused, r->ns);
}

/* Metadata below the allocator, attributed to it: untyped nodes and the slot bitmap. */
static double lower_meta(void)
{
    keel_ut_stats_t us;
    keel_ut_stats(&ut, &us);
    keel_cslot_stats_t cst;
    keel_cslot_stats(&cs, &cst);
    return (double)us.nodes * (double)sizeof(keel_ut_node_t) + (double)cst.slots_taken / 8.0;
}

static keel_scrub_window_t window;

/* A window for the scrubber: one page of the root VSpace with its page table in place. */
static const keel_scrub_t *make_window(void)
{
    uintptr_t va = (uintptr_t)keel_model_host_range(4096, 21);
    host_map_tables(&ut, &cs, va, 4096, false);
    keel_scrub_window_init(&window, seL4_CapInitThreadVSpace, va);
    return &window.scrub;
}

static keel_scrub_window_t large_window;

/* The same for 2 MiB frames: a 2 MiB window with its page directory in place. */
static const keel_scrub_t *make_large_window(void)
{
    uintptr_t va = (uintptr_t)keel_model_host_range(2u << 20, 21);
    host_map_tables(&ut, &cs, va, 2u << 20, true);
    keel_scrub_window_init(&large_window, seL4_CapInitThreadVSpace, va);
    return &large_window.scrub;
}

static struct row cache_churn(const char *name, seL4_Word type, seL4_Word size_bits, size_t n,
                              size_t pairs, bool scrub)
{
    boot();
    struct row r = {.name = name, .cache = true};
    keel_cache_t c;
    const keel_scrub_t *scrubber = NULL;
    if (scrub) {
        scrubber = type == seL4_X86_LargePageObject ? make_large_window() : make_window();
    }
    keel_cache_config_t cfg = {
        .name = name, .type = type, .size_bits = size_bits, .scrub = scrubber};
    keel_storage_t s = host_storage(64 * 1024);
    if (keel_cache_init(&c, &ut, &cs, &cfg, &s) != KEEL_OK) {
        fprintf(stderr, "bench-alloc-objects: %s: keel_cache_init failed\n", name);
        exit(1);
    }
    r.obj_bytes = 1ull << c.obj_bits;
    keel_cache_obj_t *objs = calloc(n, sizeof(*objs));
    bool *have = calloc(n, sizeof(*have));
    uint64_t c0 = calls();
    size_t live = 0;
    for (; live < n; live++) {
        if (keel_cache_alloc(&c, 0, &objs[live]) != KEEL_OK) {
            break;
        }
        have[live] = true;
    }
    r.cold = (double)(calls() - c0) / (double)live;
    keel_cache_stats_t st;
    keel_cache_stats(&c, &st);
    keel_cslot_stats_t cst;
    keel_cslot_stats(&cs, &cst);
    r.slots = (double)cst.slots_taken / (double)live;
    r.meta = ((double)st.meta_used + lower_meta()) / (double)live;
    uint64_t z0 = zeroed(), w0 = window.bytes + large_window.bytes, handed = 0, alloc_calls = 0,
             free_calls = 0;
    double t0 = host_now_ns();
    for (size_t i = 0; i < pairs; i++) {
        size_t k = rnd() % live;
        uint64_t x = calls();
        if (have[k]) {
            keel_cache_free(&c, objs[k].cptr, 0);
        }
        free_calls += calls() - x;
        x = calls();
        have[k] = keel_cache_alloc(&c, 0, &objs[k]) == KEEL_OK;
        alloc_calls += calls() - x;
        r.refused += !have[k];
        handed += have[k] ? r.obj_bytes : 0;
    }
    r.ns = (host_now_ns() - t0) / (2.0 * (double)pairs);
    r.warm_alloc = (double)alloc_calls / (double)pairs;
    r.warm_free = (double)free_calls / (double)pairs;
    r.zeroed_per_byte =
        (double)(zeroed() - z0 + window.bytes + large_window.bytes - w0) / (double)handed;
    keel_cache_stats(&c, &st);
    r.util = (double)(st.live * r.obj_bytes) / (double)st.bytes;
    window.bytes = large_window.bytes = 0;
    c0 = calls();
    for (size_t i = 0; i < live; i++) {
        if (have[i]) {
            keel_cache_free(&c, objs[i].cptr, 0);
        }
    }
    keel_cache_fini(&c);
    r.cold_free = (double)(calls() - c0) / (double)live;
    free(objs);
    free(have);
    return r;
}

static keel_err_t phys_scrub(void *ctx, seL4_CPtr frame, uint64_t paddr, unsigned size_bits)
{
    (void)ctx;
    (void)frame;
    memset(keel_model_phys(paddr, 1ull << size_bits), 0, 1ull << size_bits);
    return KEEL_OK;
}

static const keel_scrub_t scrubber = {.scrub = phys_scrub};

static double pool_utilisation;

enum scrubbing { NO_SCRUBBER, DMA_SCRUBBER, WINDOW_SCRUBBER };

/*
 * The bench's own record of the pools' frames, to count stranded requests without asking the
 * pools: a bit per frame of RAM, set while the frame is handed out, and (without a scrubber)
 * while it is held dirty, until its pool is made again.
 */
static uint64_t *ref_taken;
static size_t ref_words;

static void ref_init(void)
{
    uint64_t top = 0;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        uint64_t end = d->paddr + (1ull << d->sizeBits);
        if (!d->isDevice && end > top) {
            top = end;
        }
    }
    ref_words = (size_t)((top >> 12) + 63) / 64;
    ref_taken = calloc(ref_words, sizeof(uint64_t));
}

static void ref_mark(uint64_t paddr, uint64_t frames, bool taken)
{
    for (uint64_t f = paddr >> 12; f < (paddr >> 12) + frames; f++) {
        if (taken) {
            ref_taken[f / 64] |= 1ull << (f % 64);
        } else {
            ref_taken[f / 64] &= ~(1ull << (f % 64));
        }
    }
}

/* Whether the pool at `base` (2^P frames) has an aligned run of 2^k frames none of which is
 * taken, by the reference. */
static bool ref_pool_fits(const keel_fpool_t *fp, uint64_t base, unsigned k)
{
    const uint64_t *w = &ref_taken[(base >> 12) / 64];
    size_t words = ((size_t)1 << fp->pool_bits) / 64;
    if (k >= 6) {
        for (size_t i = 0; i < words; i += (size_t)1 << (k - 6)) {
            bool all_free = true;
            for (size_t j = i; j < i + ((size_t)1 << (k - 6)) && all_free; j++) {
                all_free = w[j] == 0;
            }
            if (all_free) {
                return true;
            }
        }
        return false;
    }
    static const uint64_t starts[6] = {~0ull,
                                       0x5555555555555555ull,
                                       0x1111111111111111ull,
                                       0x0101010101010101ull,
                                       0x0001000100010001ull,
                                       0x0000000100000001ull};
    for (size_t i = 0; i < words; i++) {
        uint64_t x = w[i]; /* bit j: some frame of j .. j + 2^k - 1 taken */
        for (unsigned sh = 1; sh < (1u << k); sh <<= 1) {
            x |= x >> sh;
        }
        if ((~x & starts[k]) != 0) {
            return true;
        }
    }
    return false;
}

/* Whether some pool but `except` (a pool's base, or ~0) has a free aligned run of 2^k frames. */
static bool ref_fits(const keel_fpool_t *fp, unsigned k, uint64_t except)
{
    for (keel_tnode_t *n = keel_treap_first(&fp->by_paddr); n != NULL;
         n = keel_treap_next(&fp->by_paddr, n)) {
        if (n->key != except && ref_pool_fits(fp, n->key, k)) {
            return true;
        }
    }
    return false;
}

/*
 * `free_flags` for keel_fpool_free during churn: 0 (unmap every frame, the default) or
 * KEEL_FPOOL_UNMAPPED (the owner vouches it unmapped them; nothing here maps them).
 */
static struct row pool_churn(const char *name, enum scrubbing scrub, unsigned free_flags,
                             unsigned max_k, size_t n, size_t pairs)
{
    boot();
    ref_init();
    struct row r = {.name = name};
    keel_fpool_t fp;
    keel_fpool_config_t cfg = {.scrub = scrub == DMA_SCRUBBER      ? &scrubber
                                        : scrub == WINDOW_SCRUBBER ? make_window()
                                                                   : NULL};
    keel_storage_t s = host_storage(64 * 1024);
    keel_fpool_init(&fp, &ut, &cs, &cfg, &s);
    keel_fpool_run_t *runs = calloc(n, sizeof(*runs));
    unsigned *ks = calloc(n, sizeof(*ks));
    uint64_t c0 = keel_model_invocations(), frames = 0;
    size_t live = 0;
    for (; live < n; live++) {
        ks[live] = (unsigned)(rnd() % (max_k + 1));
        if (keel_fpool_alloc(&fp, ks[live], 0, &runs[live]) != KEEL_OK) {
            break;
        }
        ref_mark(runs[live].paddr, runs[live].count, true);
        frames += runs[live].count;
    }
    r.cold = (double)(keel_model_invocations() - c0) / (double)frames;
    keel_fpool_stats_t st;
    keel_fpool_stats(&fp, &st);
    keel_cslot_stats_t cst;
    keel_cslot_stats(&cs, &cst);
    r.slots = (double)cst.slots_taken / (double)frames;
    r.meta = ((double)st.meta_used + lower_meta()) / (double)frames;
    uint64_t z0 = zeroed(), z_scrub0 = st.scrubbed_bytes, handed = 0, alloc_calls = 0,
             free_calls = 0, stranded = 0, freed = 0;
    double t0 = host_now_ns();
    const unsigned none = ~0u; /* a run whose reallocation was refused */
    uint64_t refused = 0;
    for (size_t i = 0; i < pairs; i++) {
        size_t j = rnd() % live;
        uint64_t x = keel_model_invocations();
        if (ks[j] != none) {
            keel_fpool_free(&fp, runs[j].first, ks[j], free_flags);
            freed += runs[j].count;
            if (scrub != NO_SCRUBBER) {
                ref_mark(runs[j].paddr, runs[j].count, false);
            }
        }
        free_calls += keel_model_invocations() - x;
        ks[j] = (unsigned)(rnd() % (max_k + 1));
        uint64_t pools = fp.pools, remade = fp.remade;
        x = keel_model_invocations();
        keel_err_t err = keel_fpool_alloc(&fp, ks[j], 0, &runs[j]);
        alloc_calls += keel_model_invocations() - x;
        /* Stranded: a pool made or remade, or the request refused, while the reference shows
         * an aligned free run of its size in a pool there was before. */
        bool made = err == KEEL_OK && fp.pools > pools;
        uint64_t pool_bytes = 1ull << (fp.pool_bits + 12);
        uint64_t base = err == KEEL_OK ? runs[j].paddr & ~(pool_bytes - 1) : ~0ull;
        if ((made || fp.remade != remade || err != KEEL_OK) &&
            ref_fits(&fp, ks[j], made ? base : ~0ull)) {
            stranded++;
        }
        if (err != KEEL_OK) {
            ks[j] = none;
            refused++;
            continue;
        }
        if (made || fp.remade != remade) { /* all its frames are free and zero */
            ref_mark(base, 1ull << fp.pool_bits, false);
        }
        ref_mark(runs[j].paddr, runs[j].count, true);
        handed += (uint64_t)runs[j].count << 12;
    }
    r.refused = refused;
    r.ns = (host_now_ns() - t0) / (2.0 * (double)pairs);
    keel_fpool_stats(&fp, &st);
    /* Per 4 KiB frame handed out or freed, like the cold figure. */
    r.warm_alloc = (double)alloc_calls / (double)(handed >> 12);
    r.warm_free = (double)free_calls / (double)freed;
    r.zeroed_per_byte = (double)(zeroed() - z0 + st.scrubbed_bytes - z_scrub0) / (double)handed;
    window.bytes = 0;
    r.stranded = stranded;
    for (size_t i = 0; i < live; i++) {
        if (ks[i] != none) {
            keel_fpool_free(&fp, runs[i].first, ks[i], free_flags);
        }
    }
    /* Peak utilisation: random runs until the first refusal, as a share of all RAM frames. */
    keel_ut_stats_t us;
    keel_ut_stats(&ut, &us);
    uint64_t ram_frames = (us.ram_free + us.ram_used) >> 12, got = 0;
    keel_fpool_run_t x;
    while (keel_fpool_alloc(&fp, (unsigned)(rnd() % (max_k + 1)), KEEL_FPOOL_DIRTY_OK, &x) ==
           KEEL_OK) {
        got += x.count;
    }
    pool_utilisation = (double)got / (double)ram_frames;
    free(runs);
    free(ks);
    free(ref_taken);
    return r;
}

/*
 * A mixed workload: a root task's six object caches and a frame pool share one untyped
 * allocator and one slot allocator; each live object has a random kind, and each churn step
 * frees a random one and allocates a random kind in its place. Pool runs count as one object
 * (of 2^0..2^4 frames). Frames reused dirty are scrubbed through the window.
 */
enum { MIX_KINDS = 7, MIX_POOL = 6 };

struct mixed_obj {
    unsigned kind, k;
    seL4_CPtr cptr;
    uint64_t bytes;
};

static bool mixed_alloc(keel_cache_t *caches, keel_fpool_t *fp, struct mixed_obj *o)
{
    if (o->kind == MIX_POOL) {
        keel_fpool_run_t run;
        o->k = (unsigned)(rnd() % 5);
        if (keel_fpool_alloc(fp, o->k, 0, &run) != KEEL_OK) {
            return false;
        }
        o->cptr = run.first;
        o->bytes = (uint64_t)run.count << 12;
        return true;
    }
    keel_cache_obj_t obj;
    if (keel_cache_alloc(&caches[o->kind], 0, &obj) != KEEL_OK) {
        return false;
    }
    o->cptr = obj.cptr;
    o->bytes = 1ull << caches[o->kind].obj_bits;
    return true;
}

static void mixed_free(keel_cache_t *caches, keel_fpool_t *fp, const struct mixed_obj *o)
{
    if (o->kind == MIX_POOL) {
        keel_fpool_free(fp, o->cptr, o->k, 0);
    } else if (o->kind < MIX_POOL) {
        keel_cache_free(&caches[o->kind], o->cptr, 0);
    }
}

static struct row mixed_churn(size_t n, size_t pairs)
{
    boot();
    struct row r = {.name = "mixed (6 caches + pool)", .cache = true};
    static const struct {
        const char *name;
        seL4_Word type, size_bits;
    } kinds[MIX_POOL] = {
        {"endpoints", seL4_EndpointObject, 0},
        {"notifications", seL4_NotificationObject, 0},
        {"TCBs", seL4_TCBObject, 0},
        {"CNodes", seL4_CapTableObject, 4},
        {"page tables", seL4_X86_PageTableObject, 0},
        {"frames", seL4_X86_4K, 0},
    };
    const keel_scrub_t *scrub = make_window();
    keel_storage_t s = host_storage(256 * 1024);
    keel_cache_t caches[MIX_POOL];
    for (unsigned i = 0; i < MIX_POOL; i++) {
        keel_cache_config_t cfg = {.name = kinds[i].name,
                                   .type = kinds[i].type,
                                   .size_bits = kinds[i].size_bits,
                                   .scrub = kinds[i].type == seL4_X86_4K ? scrub : NULL};
        keel_cache_init(&caches[i], &ut, &cs, &cfg, &s);
    }
    keel_fpool_t fp;
    keel_fpool_init(&fp, &ut, &cs, &(keel_fpool_config_t){.scrub = scrub}, &s);
    struct mixed_obj *objs = calloc(n, sizeof(*objs));
    uint64_t c0 = calls();
    size_t live = 0;
    for (; live < n; live++) {
        struct mixed_obj *o = &objs[live];
        o->kind = (unsigned)(rnd() % MIX_KINDS);
        if (!mixed_alloc(caches, &fp, o)) {
            break;
        }
    }
    r.cold = (double)(calls() - c0) / (double)live;
    keel_cslot_stats_t cst;
    keel_cslot_stats(&cs, &cst);
    uint64_t frames = 0;
    for (size_t i = 0; i < live; i++) {
        frames += objs[i].kind == MIX_POOL ? objs[i].bytes >> 12 : 1;
    }
    r.slots = (double)cst.slots_taken / (double)frames;
    double meta = lower_meta();
    for (unsigned i = 0; i < MIX_POOL; i++) {
        keel_cache_stats_t st;
        keel_cache_stats(&caches[i], &st);
        meta += (double)st.meta_used;
    }
    keel_fpool_stats_t ps;
    keel_fpool_stats(&fp, &ps);
    r.meta = (meta + (double)ps.meta_used) / (double)frames;
    uint64_t z0 = zeroed(), w0 = window.bytes, handed = 0, alloc_calls = 0, free_calls = 0;
    double t0 = host_now_ns();
    for (size_t i = 0; i < pairs; i++) {
        struct mixed_obj *o = &objs[rnd() % live];
        uint64_t x = calls();
        mixed_free(caches, &fp, o);
        free_calls += calls() - x;
        o->kind = (unsigned)(rnd() % MIX_KINDS);
        x = calls();
        if (!mixed_alloc(caches, &fp, o)) {
            r.refused++;
            o->kind = MIX_KINDS; /* nothing there */
            continue;
        }
        alloc_calls += calls() - x;
        handed += o->bytes;
    }
    r.ns = (host_now_ns() - t0) / (2.0 * (double)pairs);
    r.warm_alloc = (double)alloc_calls / (double)pairs;
    r.warm_free = (double)free_calls / (double)pairs;
    r.zeroed_per_byte = (double)(zeroed() - z0 + window.bytes - w0) / (double)handed;
    window.bytes = 0;
    uint64_t slab_bytes = 0, live_bytes = 0;
    for (unsigned i = 0; i < MIX_POOL; i++) {
        keel_cache_stats_t st;
        keel_cache_stats(&caches[i], &st);
        slab_bytes += st.bytes;
        live_bytes += st.live << caches[i].obj_bits;
    }
    r.util = (double)live_bytes / (double)slab_bytes; /* the caches' (the pool's: below) */
    c0 = calls();
    for (size_t i = 0; i < live; i++) {
        mixed_free(caches, &fp, &objs[i]);
    }
    for (unsigned i = 0; i < MIX_POOL; i++) {
        keel_cache_fini(&caches[i]);
    }
    r.cold_free = (double)(calls() - c0) / (double)live;
    free(objs);
    return r;
}

int main(void)
{
    printf("Object caches and frame pools on the model, qemu x86_64 512 MiB world\n");
    printf("kernel calls and bytes zeroed counted by the model; ns/op is host time\n\n");
    printf("  %-26s %9s %9s %9s %9s %9s %9s %9s %6s %8s %8s %7s\n", "workload", "alloc cold",
           "free cold", "alloc warm", "free warm", "slots/obj", "meta B/obj", "zeroed/B", "util",
           "stranded", "refused", "ns/op");
    struct row rows[] = {
        cache_churn("endpoint cache", seL4_EndpointObject, 0, 100000, 200000, false),
        cache_churn("notification cache", seL4_NotificationObject, 0, 100000, 200000, false),
        cache_churn("CNode (radix 4) cache", seL4_CapTableObject, 4, 100000, 200000, false),
        cache_churn("4 KiB untyped cache", seL4_UntypedObject, 12, 100000, 100000, false),
        cache_churn("TCB cache", seL4_TCBObject, 0, 100000, 100000, false),
        cache_churn("page table cache", seL4_X86_PageTableObject, 0, 100000, 100000, false),
        cache_churn("page directory cache", seL4_X86_PageDirectoryObject, 0, 100000, 100000, false),
        cache_churn("PDPT cache", seL4_X86_PDPTObject, 0, 100000, 100000, false),
        cache_churn("PML4 cache", seL4_X64_PML4Object, 0, 20000, 50000, false),
        cache_churn("4 KiB frame cache", seL4_X86_4K, 0, 100000, 100000, true),
        cache_churn("64 KiB untyped cache", seL4_UntypedObject, 16, 5000, 20000, false),
        cache_churn("256 KiB untyped cache", seL4_UntypedObject, 18, 1000, 10000, false),
        cache_churn("2 MiB frame cache", seL4_X86_LargePageObject, 0, 150, 2000, true),
        mixed_churn(40000, 100000),
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        print_row(&rows[i]);
    }
    struct row p1 = pool_churn("frame runs, window", WINDOW_SCRUBBER, 0, 4, 20000, 50000);
    double u1 = pool_utilisation;
    struct row p2 =
        pool_churn("runs, DMA, UNMAPPED", DMA_SCRUBBER, KEEL_FPOOL_UNMAPPED, 4, 20000, 50000);
    struct row p3 = pool_churn("frame runs, no scrubber", NO_SCRUBBER, 0, 4, 20000, 50000);
    struct row p4 = pool_churn("single frames, window", WINDOW_SCRUBBER, 0, 0, 60000, 100000);
    print_row(&p1);
    print_row(&p2);
    print_row(&p3);
    print_row(&p4);
    printf("\n  (cold = filling, warm = random free + alloc pairs; frame pools: every figure per\n"
           "   4 KiB frame, run sizes 2^0..2^4; zeroed/B = bytes zeroed by the kernel or the\n"
           "   scrubber per byte handed out during churn; stranded = requests that made or\n"
           "   remade a pool, or were refused, while an existing pool had an aligned free run\n"
           "   of their size (by the bench's own bitmap of the frames); refused = out of\n"
           "   memory: without a scrubber, dirty frames wait for their whole pool to come back.\n"
           "   The window scrubber maps each dirty frame and unmaps it, 2 calls per frame\n"
           "   reused; a pool's free unmaps each frame (1 call per frame) unless the owner\n"
           "   vouches none is mapped (KEEL_FPOOL_UNMAPPED); the DMA row stands for a root\n"
           "   task that zeroes frames another way and unmaps its own mappings, and shows the\n"
           "   allocator's own cost. Cache frees cost what resetting the object costs:\n"
           "   notifications 1 (poll), TCBs 4 (suspend, unbind, registers, priorities), frames\n"
           "   and page tables 1 (unmap), untypeds 1 (revoke), PML4s 1 (each has a slab of its\n"
           "   own, revoked: a PML4 is destroyed at free and retyped again, 1 call, for its next\n"
           "   owner). free cold = freeing every object, then every slab given back; util = live\n"
           "   object bytes / slab bytes at the peak. mixed: endpoint, notification, TCB, CNode,\n"
           "   page table and 4 KiB frame caches and a pool of 2^0..2^4-frame runs share one\n"
           "   untyped and one slot allocator, 40,000 live objects of random kinds; calls per\n"
           "   object (a run is one), slots and metadata per live object or pool frame; the\n"
           "   extra slots are each cache's free objects in its last slab and the free frames\n"
           "   of partly used pools, 5%% at this size: up to a slab of 1024 per cache)\n");
    printf("  frame pool peak utilisation (random runs until the first refusal): %.1f%% of RAM\n\n",
           100.0 * u1);
    printf("Objects larger than 16 KiB (fewer than 1024 per 16 MiB slab), per MiB handed out:\n");
    printf("  %-26s %12s %12s %12s\n", "workload", "calls cold", "slots", "meta B");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].obj_bytes > (16u << 10)) {
            double per_mib = (double)(1u << 20) / (double)rows[i].obj_bytes;
            printf("  %-26s %12.5f %12.4f %12.3f\n", rows[i].name, rows[i].cold * per_mib,
                   rows[i].slots * per_mib, rows[i].meta * per_mib);
        }
    }
    printf("\n");
    printf("Targets (DESIGN.md): 0 calls warm; <= 1/64 call per object cold; <= 1.01 slots and\n"
           "<= 1 byte of metadata per live object; 0 stranded requests; <= 1.0 byte zeroed per\n"
           "byte handed out. allocman: 2.99 calls per alloc and per free, 2.99 slots, 222 B per\n"
           "object; 30 calls per endpoint alloc+free pair. CapBuddy: 4-5%% of contiguous\n"
           "requests stranded.\n");
    keel_model_shutdown();
    host_release();
    return 0;
}
