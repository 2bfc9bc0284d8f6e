/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Scale run: a world with 65 GiB of RAM (lazily backed: it costs nothing until touched),
 * 2^24 frames (64 GiB) handed out through frame pools in runs of random sizes, then all given
 * back. Reports Keel's metadata against the memory it manages, kernel calls, and the model's
 * own host memory per capability (resident set growth / caps), which is what makes a run of
 * this size fit a 24 GiB machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <keel/fpool.h>
#include <keel/model.h>

#include "host.h"

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1) {
            break;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return kib;
}

static double now_s(void)
{
    return host_now_ns() / 1e9;
}

static keel_cslot_t cs;
static keel_ut_t ut;
static keel_fpool_t fp;

int main(int argc, char **argv)
{
    uint64_t target = argc > 1 ? strtoull(argv[1], NULL, 0) : (1ull << 24);
    uint64_t ram = (target << 12) + (1ull << 30);
    long rss0 = rss_kib();
    double t0 = now_s();
    keel_model_config config = {.ram_bytes = ram};
    keel_cslot_config_t cfg = {.top_radix = 12, .leaf_radix = 14};
    seL4_BootInfo *bi = host_boot(&config, &cfg, &cs, &ut);
    double t_boot = now_s() - t0;
    size_t boot_frames = keel_model_cap_count(KEEL_MODEL_CAP_FRAME); /* the root task's own */
    keel_storage_t s = host_storage(1u << 20);
    keel_fpool_config_t pcfg = {0};
    if (keel_fpool_init(&fp, &ut, &cs, &pcfg, &s) != KEEL_OK) {
        fprintf(stderr, "scale: init failed\n");
        return 1;
    }
    printf("Scale run: %.0f GiB world booted in %.2f ms; handing out %llu frames (%llu GiB)\n",
           (double)ram / (1 << 30), t_boot * 1e3, (unsigned long long)target,
           (unsigned long long)(target >> 18));

    keel_fpool_run_t *runs = malloc(sizeof(*runs) * (target + 1));
    unsigned char *ks = malloc(target + 1);
    uint64_t rng = 0x853c49e6748fea9bull, frames = 0;
    (void)bi;
    size_t n = 0;
    uint64_t c0 = keel_model_invocations();
    double t1 = now_s();
    while (frames < target) {
        unsigned k = (unsigned)(host_rng(&rng) % 11);
        while ((1ull << k) > target - frames) {
            k--;
        }
        keel_err_t err = keel_fpool_alloc(&fp, k, KEEL_FPOOL_DIRTY_OK, &runs[n]);
        if (err != KEEL_OK) {
            printf("  refused after %llu frames: %s\n", (unsigned long long)frames,
                   keel_err_str(err));
            break;
        }
        ks[n++] = (unsigned char)k;
        frames += 1ull << k;
    }
    double t_alloc = now_s() - t1;
    uint64_t alloc_calls = keel_model_invocations() - c0;
    long rss1 = rss_kib();

    keel_fpool_stats_t ps;
    keel_fpool_stats(&fp, &ps);
    keel_ut_stats_t us;
    keel_ut_stats(&ut, &us);
    keel_cslot_stats_t cst;
    keel_cslot_stats(&cs, &cst);
    size_t caps =
        keel_model_cap_count(KEEL_MODEL_CAP_FRAME) + keel_model_cap_count(KEEL_MODEL_CAP_UNTYPED);
    size_t used_meta = ps.meta_used + (size_t)us.nodes * sizeof(keel_ut_node_t) + cst.meta_bytes;
    printf(
        "  %llu frames in %zu runs from %llu pools: %.2f s, %llu kernel calls (%.4f per frame)\n",
        (unsigned long long)frames, n, (unsigned long long)ps.pools, t_alloc,
        (unsigned long long)alloc_calls, (double)alloc_calls / (double)frames);
    printf("  Keel metadata: %.1f MiB in use (pools %.1f, untyped tree %.1f, slot bitmaps %.1f), "
           "%.1f MiB of storage held\n",
           (double)used_meta / (1 << 20), (double)ps.meta_used / (1 << 20),
           (double)(us.nodes * sizeof(keel_ut_node_t)) / (1 << 20),
           (double)cst.meta_bytes / (1 << 20), (double)host_storage_bytes() / (1 << 20));
    printf("  = %.4f%% of the %.1f GiB managed (target <= 0.1%%); %.3f bytes per frame\n",
           100.0 * (double)used_meta / (double)(frames << 12), (double)(frames << 12) / (1 << 30),
           (double)used_meta / (double)frames);
    printf("  slots: %llu taken in %zu leaf CNodes (%.4f per frame)\n",
           (unsigned long long)cst.slots_taken, cst.leaves,
           (double)cst.slots_taken / (double)frames);
    printf("  host memory: resident set grew by %.0f MiB for %zu caps: %.1f bytes per cap "
           "(model CNode slots, object records and Keel's metadata together)\n",
           (double)(rss1 - rss0) / 1024.0, caps, (double)(rss1 - rss0) * 1024.0 / (double)caps);

    double t2 = now_s();
    c0 = keel_model_invocations();
    for (size_t i = 0; i < n; i++) { /* never mapped: no unmap needed */
        if (keel_fpool_free(&fp, runs[i].first, ks[i], KEEL_FPOOL_UNMAPPED) != KEEL_OK) {
            fprintf(stderr, "scale: free failed\n");
            return 1;
        }
    }
    keel_err_t err = keel_fpool_fini(&fp);
    keel_ut_compact(&ut);
    double t_free = now_s() - t2;
    keel_ut_stats(&ut, &us);
    keel_cslot_stats(&cs, &cst);
    printf("  all given back in %.2f s with %llu kernel calls (%s); RAM in use afterwards: %llu "
           "bytes (the CSpace's CNodes), frame caps left: %zu (the root task's own: %zu at boot)\n",
           t_free, (unsigned long long)(keel_model_invocations() - c0), keel_err_str(err),
           (unsigned long long)us.ram_used, keel_model_cap_count(KEEL_MODEL_CAP_FRAME),
           boot_frames);
    free(runs);
    free(ks);
    keel_model_shutdown();
    host_release();
    return err == KEEL_OK ? 0 : 1;
}
