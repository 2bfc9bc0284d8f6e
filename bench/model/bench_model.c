/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench-model: what the seL4 model costs on the host.
 *
 *   1. booting a 64 GiB world (median of several boots);
 *   2. 10^6 retype+revoke pairs (one endpoint from a small untyped, then revoke the untyped),
 *      the allocator's hottest kernel-call pattern, in ns per pair;
 *   3. host memory per capability slot: the record sizes, and the resident-set growth of a
 *      2^20-slot CNode, empty and then filled with copies of one cap.
 *
 * It prints figures and never judges them: timings depend on the machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <keel/model.h>

/* The model's internal records, for their sizes only. */
#include "kernel.h"

#define BOOTS       9
#define PAIRS       1000000ul
#define BIG_RADIX   20
#define U4K_PADDR   0x1ffcb000ul /* a 4 KiB RAM untyped of the default world */
#define U128M_PADDR 0x08000000ul /* a 128 MiB RAM untyped of the default world */

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Resident set size in bytes, from /proc/self/statm. */
static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, resident = 0;
    if (f == NULL) {
        return -1;
    }
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) {
        resident = -1;
    }
    fclose(f);
    return resident < 0 ? -1 : resident * sysconf(_SC_PAGESIZE);
}

static seL4_CPtr untyped_at(const seL4_BootInfo *bi, seL4_Word paddr)
{
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (bi->untypedList[i].paddr == paddr) {
            return bi->untyped.start + i;
        }
    }
    fprintf(stderr, "bench-model: no untyped at %#lx in the default world\n", paddr);
    exit(1);
}

static void check(seL4_Error err, const char *what)
{
    if (err != seL4_NoError) {
        fprintf(stderr, "bench-model: %s failed with error %d\n", what, (int)err);
        exit(1);
    }
}

static void bench_boot(void)
{
    keel_model_config config = {.ram_bytes = 64ull << 30};
    double t[BOOTS];
    size_t untypeds = 0;
    for (int i = 0; i < BOOTS; i++) {
        keel_model_shutdown();
        double t0 = now_ns();
        seL4_BootInfo *bi = keel_model_boot(&config);
        t[i] = now_ns() - t0;
        untypeds = bi->untyped.end - bi->untyped.start;
    }
    keel_model_shutdown();
    qsort(t, BOOTS, sizeof(t[0]), cmp_double);
    printf("boot a 64 GiB world:          median %.3f ms (min %.3f, max %.3f; %d boots, %zu "
           "untypeds)\n",
           t[BOOTS / 2] / 1e6, t[0] / 1e6, t[BOOTS - 1] / 1e6, BOOTS, untypeds);
}

static void bench_retype_revoke(void)
{
    seL4_BootInfo *bi = keel_model_boot(NULL);
    seL4_CPtr u = untyped_at(bi, U4K_PADDR);
    seL4_CPtr slot = bi->empty.start;
    /* Warm up: the first retype zeroes the whole (full) boot untyped. */
    check(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, seL4_CapInitThreadCNode, 0, 0, slot, 1),
          "retype");
    check(seL4_CNode_Revoke(seL4_CapInitThreadCNode, u, 64), "revoke");
    keel_model_counters_reset();
    double t0 = now_ns();
    for (unsigned long i = 0; i < PAIRS; i++) {
        check(
            seL4_Untyped_Retype(u, seL4_EndpointObject, 0, seL4_CapInitThreadCNode, 0, 0, slot, 1),
            "retype");
        check(seL4_CNode_Revoke(seL4_CapInitThreadCNode, u, 64), "revoke");
    }
    double dt = now_ns() - t0;
    keel_model_counters c;
    keel_model_counters_get(&c);
    printf("retype+revoke (1 endpoint):   %lu pairs in %.3f s, %.1f ns per pair "
           "(%lu invocations, %lu bytes zeroed)\n",
           PAIRS, dt / 1e9, dt / (double)PAIRS, (unsigned long)c.invocations,
           (unsigned long)c.bytes_zeroed);
    keel_model_shutdown();
}

static void bench_memory_per_slot(void)
{
    printf("host memory per cap slot:     sizeof(struct cte) = %zu B (a %zu-byte cap and two "
           "derivation-list links); a CNode record is %zu + %zu * 2^radix B\n",
           sizeof(struct cte), sizeof(struct cap), sizeof(struct cnode), sizeof(struct cte));

    seL4_BootInfo *bi = keel_model_boot(NULL);
    seL4_CPtr u = untyped_at(bi, U128M_PADDR);
    seL4_CPtr big = bi->empty.start, ep = bi->empty.start + 1;
    check(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, seL4_CapInitThreadCNode, 0, 0, ep, 1),
          "retype endpoint");
    long r0 = rss_bytes();
    check(seL4_Untyped_Retype(u, seL4_CapTableObject, BIG_RADIX, seL4_CapInitThreadCNode, 0, 0, big,
                              1),
          "retype CNode");
    long r1 = rss_bytes();
    seL4_Word slots = 1ul << BIG_RADIX;
    double t0 = now_ns();
    for (seL4_Word i = 0; i < slots; i++) {
        check(seL4_CNode_Copy(big, i, BIG_RADIX, seL4_CapInitThreadCNode, ep, 64, seL4_AllRights),
              "copy");
    }
    double dt = now_ns() - t0;
    long r2 = rss_bytes();
    printf("  a 2^%d-slot CNode, empty:   RSS +%.1f KiB (%.3f B per slot: records are committed "
           "lazily)\n",
           BIG_RADIX, (double)(r1 - r0) / 1024, (double)(r1 - r0) / (double)slots);
    printf("  ... every slot filled:      RSS +%.1f MiB (%.1f B per slot); %.1f ns per Copy\n",
           (double)(r2 - r0) / (1024.0 * 1024.0), (double)(r2 - r0) / (double)slots,
           dt / (double)slots);
    keel_model_shutdown();
    long r3 = rss_bytes();
    printf("  ... after shutdown:         RSS %+.1f MiB from before the CNode\n",
           (double)(r3 - r0) / (1024.0 * 1024.0));
}

int main(void)
{
    printf("bench-model: the seL4 model on this host (figures, not verdicts)\n");
    bench_boot();
    bench_retype_revoke();
    bench_memory_per_slot();
    return 0;
}
