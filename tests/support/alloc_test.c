/* SPDX-License-Identifier: BSD-2-Clause */
#include "alloc_test.h"

#include <stdio.h>
#include <stdlib.h>

#include <keel/debug.h>

/* ---- Storage ------------------------------------------------------------------------------ */

static void **regions;
static size_t num_regions, cap_regions;
static size_t budget_left;
static bool budgeted;

static keel_err_t grow(void *ctx, size_t min_bytes, void **mem, size_t *bytes)
{
    (void)ctx;
    if (budgeted) {
        if (budget_left < min_bytes) {
            return KEEL_ENOMETA;
        }
        budget_left -= min_bytes;
    }
    if (num_regions == cap_regions) {
        cap_regions = cap_regions ? 2 * cap_regions : 64;
        regions = realloc(regions, cap_regions * sizeof(*regions));
    }
    size_t size = min_bytes < 65536 ? 65536 : min_bytes;
    if (budgeted && size > min_bytes + budget_left) {
        size = min_bytes;
    }
    *mem = calloc(1, size);
    *bytes = size;
    regions[num_regions++] = *mem;
    return KEEL_OK;
}

keel_storage_t test_storage(void)
{
    budgeted = false;
    keel_storage_t s = {.mem = NULL, .bytes = 0, .grow = grow, .grow_ctx = NULL};
    return s;
}

keel_storage_t test_storage_budget(size_t budget)
{
    budgeted = true;
    budget_left = budget;
    keel_storage_t s = {.mem = NULL, .bytes = 0, .grow = grow, .grow_ctx = NULL};
    return s;
}

void test_storage_release(void)
{
    while (num_regions > 0) {
        free(regions[--num_regions]);
    }
    free(regions);
    regions = NULL;
    cap_regions = 0;
    budgeted = false;
}

/* ---- The kernel as the model sees it -------------------------------------------------------- */

static bool model_cap(void *ctx, seL4_CPtr cptr, keel_cap_view_t *out)
{
    (void)ctx;
    keel_model_cap_info info;
    if (keel_model_cap(cptr, &info) != 0) {
        return false;
    }
    *out = (keel_cap_view_t){
        .present = info.type != KEEL_MODEL_CAP_NULL,
        .untyped = info.type == KEEL_MODEL_CAP_UNTYPED,
        .cnode = info.type == KEEL_MODEL_CAP_CNODE,
        .frame = info.type == KEEL_MODEL_CAP_FRAME,
        .paddr = info.paddr,
        .size_bits = info.type == KEEL_MODEL_CAP_CNODE ? info.radix : info.size_bits,
        .device = info.device,
        .has_children = info.has_children,
        .watermark = info.watermark,
    };
    return true;
}

keel_kview_t test_kview(void)
{
    keel_kview_t v = {.cap = model_cap, .ctx = NULL};
    return v;
}

void alloc_check(const keel_ut_t *ut, const keel_cslot_t *cs, const char *file, int line)
{
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    if (ut != NULL && keel_ut_check(ut, &kv, &what) != 0) {
        fail_msg("%s:%d: keel_ut_check: %s", file, line, what);
    }
    if (cs != NULL && keel_cslot_check(cs, &kv, &what) != 0) {
        fail_msg("%s:%d: keel_cslot_check: %s", file, line, what);
    }
    model_test_check(file, line);
}

/* ---- Panics and randomness ------------------------------------------------------------------ */

jmp_buf *test_panic_jmp;

void test_panic_hook(const char *file, int line, const char *message)
{
    if (test_panic_jmp != NULL) {
        longjmp(*test_panic_jmp, 1);
    }
    fprintf(stderr, "%s:%d: keel contract violated: %s\n", file, line, message);
    abort();
}

uint64_t test_seed(uint64_t fallback)
{
    const char *env = getenv("KEEL_SEED");
    return env != NULL ? strtoull(env, NULL, 0) : fallback;
}

uint64_t test_rng(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}
