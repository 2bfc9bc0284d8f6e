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

void test_storage_refuse(void)
{
    budgeted = true;
    budget_left = 0;
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

static void view_of(const keel_model_cap_info *info, keel_cap_view_t *out)
{
    *out = (keel_cap_view_t){
        .present = info->type != KEEL_MODEL_CAP_NULL,
        .untyped = info->type == KEEL_MODEL_CAP_UNTYPED,
        .cnode = info->type == KEEL_MODEL_CAP_CNODE,
        .frame = info->type == KEEL_MODEL_CAP_FRAME,
        .paddr = info->paddr,
        .size_bits = info->type == KEEL_MODEL_CAP_CNODE ? info->radix : info->size_bits,
        .device = info->device,
        .has_children = info->has_children,
        .watermark = info->watermark,
    };
}

static bool model_cap(void *ctx, seL4_CPtr cptr, keel_cap_view_t *out)
{
    (void)ctx;
    keel_model_cap_info info;
    if (keel_model_cap(cptr, &info) != 0) {
        return false;
    }
    view_of(&info, out);
    return true;
}

static bool model_cap_at(void *ctx, seL4_CNode root, seL4_Word index, seL4_Word depth,
                         keel_cap_view_t *out)
{
    (void)ctx;
    keel_model_cap_info info;
    if (keel_model_cap_at(root, index, depth, &info) != 0) {
        return false;
    }
    view_of(&info, out);
    return true;
}

void test_retype_into(keel_cslot_t *cs, seL4_CPtr ut, seL4_Word type, seL4_CPtr first, seL4_Word n)
{
    keel_slot_dest_t d;
    keel_cslot_dest(cs, first, &d);
    assert_int_equal(seL4_Untyped_Retype(ut, type, 0, d.root, d.index, d.depth, d.offset, n),
                     seL4_NoError);
}

keel_kview_t test_kview(void)
{
    keel_kview_t v = {.cap = model_cap, .cap_at = model_cap_at, .ctx = NULL};
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

/* ---- Worlds and fail-at-N -------------------------------------------------------------------- */

alloc_world_t aw;

void alloc_world_boot(const keel_cslot_config_t *config)
{
    aw.bi = model_test_boot(NULL);
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cslot_init(&aw.cs, aw.bi, config, &s), KEEL_OK);
    assert_int_equal(keel_ut_init(&aw.ut, aw.bi, &aw.cs, &s), KEEL_OK);
}

void alloc_world_shutdown(void)
{
    keel_model_shutdown();
    test_storage_release();
}

int alloc_world_setup(void **state)
{
    (void)state;
    alloc_world_boot(NULL);
    return 0;
}

int alloc_world_teardown(void **state)
{
    (void)state;
    alloc_world_shutdown();
    return 0;
}

uint64_t fail_at_n(const fail_at_n_case_t *c)
{
    alloc_world_shutdown();
    for (uint64_t n = 1;; n++) {
        c->boot();
        if (c->prep != NULL) {
            c->prep();
        }
        if (c->compact) {
            keel_ut_compact(&aw.ut);
        }
        keel_model_snapshot snap;
        keel_model_snapshot_take(&snap);
        keel_model_inject_fail(n, KEEL_MODEL_ANY_LABEL, seL4_NotEnoughMemory);
        keel_err_t err = c->op();
        bool fired = keel_model_inject_fired();
        keel_model_inject_clear();
        if (!fired) {
            assert_int_equal(err, KEEL_OK);
            c->check();
            print_message("%s: succeeds with %llu kernel calls; %s\n", c->name,
                          (unsigned long long)(n - 1),
                          c->changes_world ? "each failure was clean"
                                           : "each failure was clean and left nothing behind");
            alloc_world_shutdown();
            return n - 1;
        }
        if (err != KEEL_EKERNEL) {
            fail_msg("%s: with kernel call %llu failing, the operation returned %s", c->name,
                     (unsigned long long)n, keel_err_str(err));
        }
        if (c->compact) {
            keel_ut_compact(&aw.ut);
        }
        if (!c->changes_world) {
            model_test_leak_check(&snap, __FILE__, __LINE__);
        }
        if (c->after_failure != NULL) {
            c->after_failure();
        }
        c->check();
        err = c->op(); /* still fully usable */
        if (err != KEEL_OK) {
            fail_msg("%s: after kernel call %llu failed, a retry returned %s", c->name,
                     (unsigned long long)n, keel_err_str(err));
        }
        c->check();
        alloc_world_shutdown();
    }
}
