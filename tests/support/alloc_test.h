/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Support for allocator tests on the model:
 *
 *   test_storage()        keel_storage_t whose grow hook mallocs (freed by test_storage_release)
 *   test_kview()          a keel_kview_t answered by the model (keel_model_cap)
 *   ALLOC_CHECK(ut, cs)   keel_ut_check + keel_cslot_check with the kernel view, and the model's
 *                         own invariants
 *   TEST_PANIC(stmt)      stmt trips a Keel contract assertion (keel/debug.h)
 *   test_rng()            xorshift64, seeded with test_seed() (KEEL_SEED or a given default)
 */
#pragma once

#include <setjmp.h>
#include <stdint.h>

#include <keel/cslot.h>
#include <keel/debug.h>
#include <keel/kview.h>
#include <keel/meta.h>
#include <keel/untyped.h>

#include "model_test.h"

keel_storage_t test_storage(void);
/* A storage whose hook refuses once `budget` bytes were given. */
keel_storage_t test_storage_budget(size_t budget);
/* From now on, every storage's hook refuses. */
void test_storage_refuse(void);
void test_storage_release(void);

keel_kview_t test_kview(void);

/* n objects of `type` retyped from the untyped `ut` into the slots first.., which must work. */
void test_retype_into(keel_cslot_t *cs, seL4_CPtr ut, seL4_Word type, seL4_CPtr first, seL4_Word n);

void alloc_check(const keel_ut_t *ut, const keel_cslot_t *cs, const char *file, int line);
#define ALLOC_CHECK(ut, cs) alloc_check((ut), (cs), __FILE__, __LINE__)

extern jmp_buf *test_panic_jmp;
void test_panic_hook(const char *file, int line, const char *message);

#define TEST_PANIC(stmt)                                                                           \
    do {                                                                                           \
        jmp_buf test_panic_jb_;                                                                    \
        test_panic_jmp = &test_panic_jb_;                                                          \
        keel_set_panic(test_panic_hook);                                                           \
        if (setjmp(test_panic_jb_) == 0) {                                                         \
            stmt;                                                                                  \
            keel_set_panic(NULL);                                                                  \
            fail_msg("expected a contract assertion from: %s", #stmt);                             \
        }                                                                                          \
        keel_set_panic(NULL);                                                                      \
        test_panic_jmp = NULL;                                                                     \
    } while (0)

uint64_t test_seed(uint64_t fallback);
uint64_t test_rng(uint64_t *state);

/* ---- A world with a slot allocator and an untyped allocator ---------------------------------- */

typedef struct alloc_world {
    seL4_BootInfo *bi;
    keel_cslot_t cs;
    keel_ut_t ut;
} alloc_world_t;

extern alloc_world_t aw;

/* Boot the default world and start both allocators (test storage); config may be NULL. */
void alloc_world_boot(const keel_cslot_config_t *config);
/* Shut the world down and release the test storage. */
void alloc_world_shutdown(void);
/* cmocka fixtures for the two. */
int alloc_world_setup(void **state);
int alloc_world_teardown(void **state);

/*
 * Fail-at-N: fail every kernel call of an operation in turn. For n = 1, 2, ...: boot() a fresh
 * world, prep() it (may be NULL), snapshot it, arm a failure of its n-th invocation and run
 * op(). While the failure fires, op() must return KEEL_EKERNEL; the world must then hold
 * exactly what it held (unless `changes_world`: a failure that rightly gives something back);
 * after_failure() (may be NULL) and check() must pass; and op() must then succeed. The loop
 * ends at the first n that op() completes without reaching; the operation's kernel calls
 * (n - 1) are returned and printed. With `compact`, free subtrees of the untyped allocator are
 * collapsed before the snapshot and before the comparison, for operations whose undoing
 * leaves free structure behind (deferred coalescing).
 */
typedef struct fail_at_n_case {
    const char *name;
    void (*boot)(void);
    void (*prep)(void);
    keel_err_t (*op)(void);
    void (*check)(void);
    void (*after_failure)(void);
    bool changes_world;
    bool compact;
} fail_at_n_case_t;

uint64_t fail_at_n(const fail_at_n_case_t *c);
