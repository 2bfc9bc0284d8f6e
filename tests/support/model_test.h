/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test support shared by every test that runs on the model (cmocka).
 *
 *   MODEL_CHECK()            the model's kernel invariants hold (keel_model_check)
 *   LEAK_CHECK(&snap)        no caps or objects leaked since keel_model_snapshot_take(&snap)
 *   EXPECT_CAP_FAULT(stmt)   stmt takes a cap fault (the model's fault hook longjmps back);
 *                            the fault is left in model_test_last_fault
 *   MR(i)                    seL4_GetMR(i), for asserting error details
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <keel/model.h>

extern keel_model_fault model_test_last_fault;
extern jmp_buf *model_test_fault_jmp;

/* Boot a world for a test (NULL: the default world) with the test fault hook installed. */
seL4_BootInfo *model_test_boot(const keel_model_config *config);

/* cmocka setup/teardown that boot the default world and shut it down. */
int model_test_setup(void **state);
int model_test_teardown(void **state);

/* The first untyped in BootInfo that is RAM (or device) of exactly 2^size_bits bytes, or 0. */
seL4_CPtr model_test_untyped(const seL4_BootInfo *bi, unsigned size_bits, bool device);

void model_test_check(const char *file, int line);
void model_test_leak_check(const keel_model_snapshot *snap, const char *file, int line);

#define MODEL_CHECK()    model_test_check(__FILE__, __LINE__)
#define LEAK_CHECK(snap) model_test_leak_check((snap), __FILE__, __LINE__)
#define MR(i)            seL4_GetMR(i)

#define EXPECT_CAP_FAULT(stmt)                                                                     \
    do {                                                                                           \
        jmp_buf model_test_jb_;                                                                    \
        model_test_fault_jmp = &model_test_jb_;                                                    \
        if (setjmp(model_test_jb_) == 0) {                                                         \
            stmt;                                                                                  \
            model_test_fault_jmp = NULL;                                                           \
            fail_msg("expected a cap fault from: %s", #stmt);                                      \
        }                                                                                          \
        model_test_fault_jmp = NULL;                                                               \
    } while (0)
