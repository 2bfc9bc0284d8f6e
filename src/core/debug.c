/* SPDX-License-Identifier: BSD-2-Clause */
#include "core/assert.h"

static keel_panic_fn panic_hook;

void keel_set_panic(keel_panic_fn fn)
{
    panic_hook = fn;
}

_Noreturn void keel_panic(const char *file, int line, const char *message)
{
    if (panic_hook != 0) {
        panic_hook(file, line, message);
    }
    __builtin_trap();
}
