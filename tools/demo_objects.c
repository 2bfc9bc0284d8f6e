/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Demo, part 3: object caches and frame pools. A root task makes thousands of endpoints,
 * notifications and small CNodes through caches and hands out contiguous frame runs from
 * pools; the table shows what it cost. Freed objects come back with no kernel call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/cache.h>
#include <keel/fpool.h>
#include <keel/model.h>

#include "demo.h"
#include "host.h"

static keel_cslot_t cs;
static keel_ut_t ut;

static void row(const char *name, keel_cache_t *c)
{
    keel_cache_stats_t st;
    keel_cache_stats(c, &st);
    printf("  %-20s %7llu %7llu %6llu %10llu %7llu %7llu %9.2f\n", name,
           (unsigned long long)st.live, (unsigned long long)st.free, (unsigned long long)st.slabs,
           (unsigned long long)st.bytes, (unsigned long long)st.slots,
           (unsigned long long)st.kernel_calls,
           st.live + st.free ? (double)st.meta_used / (double)(st.live + st.free) : 0.0);
}

int demo_objects(void)
{
    printf("\n== Object caches and frame pools ==\n");
    host_boot(NULL, NULL, &cs, &ut);
    keel_storage_t s = host_storage(64 * 1024);
    static keel_cache_t eps, ntfns, cnodes;
    keel_cache_config_t ce = {.name = "endpoints", .type = seL4_EndpointObject};
    keel_cache_config_t cn = {.name = "notifications", .type = seL4_NotificationObject};
    keel_cache_config_t cc = {
        .name = "CNodes (16 slots)", .type = seL4_CapTableObject, .size_bits = 4};
    keel_cache_init(&eps, &ut, &cs, &ce, &s);
    keel_cache_init(&ntfns, &ut, &cs, &cn, &s);
    keel_cache_init(&cnodes, &ut, &cs, &cc, &s);

    static keel_cache_obj_t e[5000], n[2000], c[300];
    uint64_t before = keel_model_invocations();
    for (int i = 0; i < 5000; i++) {
        keel_cache_alloc(&eps, 0, &e[i]);
    }
    for (int i = 0; i < 2000; i++) {
        keel_cache_alloc(&ntfns, 0, &n[i]);
    }
    for (int i = 0; i < 300; i++) {
        keel_cache_alloc(&cnodes, 0, &c[i]);
    }
    printf("  7300 objects made: %llu kernel calls\n",
           (unsigned long long)(keel_model_invocations() - before));
    before = keel_model_invocations();
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 5000; i += 2) {
            keel_cache_free(&eps, e[i].cptr, 0);
        }
        for (int i = 0; i < 5000; i += 2) {
            keel_cache_alloc(&eps, 0, &e[i]);
        }
    }
    printf("  25000 endpoint frees and 25000 allocations after that: %llu kernel calls\n",
           (unsigned long long)(keel_model_invocations() - before));
    for (int i = 0; i < 300; i++) {
        keel_cache_free(&cnodes, c[i].cptr, 0);
    }
    printf("\n  %-20s %7s %7s %6s %10s %7s %7s %9s\n", "cache", "live", "free", "slabs", "bytes",
           "slots", "calls", "meta B/obj");
    row("endpoints", &eps);
    row("notifications", &ntfns);
    row("CNodes (16 slots)", &cnodes);
    size_t reaped = keel_cache_reap(&cnodes);
    printf("  the CNode cache's %zu empty slab(s) given back: one revoke each\n", reaped);

    static keel_fpool_t fp;
    /* Frames are zeroed before a new owner gets them: mapped in turn at one page of the root
     * VSpace (its page table made here), zeroed through the mapping, unmapped. */
    static keel_scrub_window_t window;
    uintptr_t va = (uintptr_t)keel_model_host_range(4096, 21);
    host_map_tables(&ut, &cs, va, 4096, false);
    keel_scrub_window_init(&window, seL4_CapInitThreadVSpace, va);
    keel_fpool_config_t pc = {.scrub = &window.scrub};
    keel_fpool_init(&fp, &ut, &cs, &pc, &s);
    keel_fpool_run_t runs[40];
    before = keel_model_invocations();
    for (int i = 0; i < 40; i++) {
        keel_fpool_alloc(&fp, (unsigned)(i % 9), 0, &runs[i]);
    }
    printf("\n  40 frame runs of 1..256 frames (contiguous, aligned): %llu kernel calls\n",
           (unsigned long long)(keel_model_invocations() - before));
    for (int i = 0; i < 40; i += 3) {
        /* Their first owner writes to them; the next one must not see it. */
        memset(keel_model_phys(runs[i].paddr, 4096u << (i % 9)), 0xa5, 4096u << (i % 9));
        keel_fpool_free(&fp, runs[i].first, (unsigned)(i % 9), 0);
    }
    before = keel_model_invocations();
    size_t reused = 0;
    for (int i = 0; i < 40; i += 3) {
        keel_fpool_alloc(&fp, (unsigned)(i % 9), 0, &runs[i]);
        reused += 1u << (i % 9);
    }
    bool clean = true;
    for (int i = 0; i < 40; i += 3) {
        clean = clean && keel_model_phys_is_zero(runs[i].paddr, 4096u << (i % 9));
    }
    printf("  14 runs freed and taken again (%zu frames): %llu kernel calls, all zero: %s\n",
           reused, (unsigned long long)(keel_model_invocations() - before), clean ? "yes" : "NO");
    for (int i = 0; i < 40; i += 3) {
        keel_fpool_free(&fp, runs[i].first, (unsigned)(i % 9), 0);
    }
    keel_fpool_stats_t ps;
    keel_fpool_stats(&fp, &ps);
    printf("  pools %llu, frames %llu: %llu used, %llu free; free runs by size:",
           (unsigned long long)ps.pools, (unsigned long long)ps.frames,
           (unsigned long long)ps.frames_used, (unsigned long long)ps.frames_free);
    for (unsigned k = 0; k <= 10; k++) {
        if (ps.free_runs[k] != 0) {
            printf(" 2^%u:%llu", k, (unsigned long long)ps.free_runs[k]);
        }
    }
    printf("\n  largest free run 2^%d frames; utilisation %.1f%%; %llu bytes scrubbed so far\n",
           ps.largest_free_bits, 100.0 * (double)ps.frames_used / (double)ps.frames,
           (unsigned long long)ps.scrubbed_bytes);
    const char *what = NULL;
    int rc = keel_cache_check(&eps, NULL, &what) | keel_fpool_check(&fp, NULL, &what) |
             keel_ut_check(&ut, NULL, &what);
    printf("  invariants: %s\n", rc == 0 ? "hold" : what);
    return rc != 0 || !clean;
}
