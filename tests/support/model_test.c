/* SPDX-License-Identifier: BSD-2-Clause */
#include "model_test.h"

#include <stdio.h>
#include <stdlib.h>

keel_model_fault model_test_last_fault;
jmp_buf *model_test_fault_jmp;

static void test_fault_hook(const keel_model_fault *fault, void *ctx)
{
    (void)ctx;
    model_test_last_fault = *fault;
    if (model_test_fault_jmp != NULL) {
        jmp_buf *jb = model_test_fault_jmp;
        model_test_fault_jmp = NULL;
        longjmp(*jb, 1);
    }
    fprintf(stderr, "unexpected cap fault: %s\n", fault->message);
    abort();
}

seL4_BootInfo *model_test_boot(const keel_model_config *config)
{
    seL4_BootInfo *bi = keel_model_boot(config);
    keel_model_set_fault_hook(test_fault_hook, NULL);
    return bi;
}

int model_test_setup(void **state)
{
    *state = model_test_boot(NULL);
    return 0;
}

int model_test_teardown(void **state)
{
    (void)state;
    keel_model_shutdown();
    return 0;
}

seL4_CPtr model_test_untyped(const seL4_BootInfo *bi, unsigned size_bits, bool device)
{
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        if (d->sizeBits == size_bits && (bool)d->isDevice == device) {
            return bi->untyped.start + i;
        }
    }
    return 0;
}

void model_test_check(const char *file, int line)
{
    char msg[512];
    if (keel_model_check(msg, sizeof(msg)) != 0) {
        fail_msg("%s:%d: model invariant violated: %s", file, line, msg);
    }
}

void model_test_leak_check(const keel_model_snapshot *snap, const char *file, int line)
{
    char msg[1024];
    if (keel_model_leak_check(snap, msg, sizeof(msg)) != 0) {
        fail_msg("%s:%d: leak: %s", file, line, msg);
    }
}
