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
void test_storage_release(void);

keel_kview_t test_kview(void);

void alloc_check(const keel_ut_t *ut, const keel_cslot_t *cs, const char *file, int line);
#define ALLOC_CHECK(ut, cs) alloc_check((ut), (cs), __FILE__, __LINE__)

extern jmp_buf *test_panic_jmp;
void test_panic_hook(const char *file, int line, const char *message);

#define TEST_PANIC(stmt)                                                                        \
    do {                                                                                        \
        jmp_buf test_panic_jb_;                                                                 \
        test_panic_jmp = &test_panic_jb_;                                                       \
        keel_set_panic(test_panic_hook);                                                        \
        if (setjmp(test_panic_jb_) == 0) {                                                      \
            stmt;                                                                               \
            keel_set_panic(NULL);                                                               \
            fail_msg("expected a contract assertion from: %s", #stmt);                          \
        }                                                                                       \
        keel_set_panic(NULL);                                                                   \
        test_panic_jmp = NULL;                                                                  \
    } while (0)

uint64_t test_seed(uint64_t fallback);
uint64_t test_rng(uint64_t *state);
