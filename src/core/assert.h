/* SPDX-License-Identifier: BSD-2-Clause */
/* Loud contract checks inside the library (see keel/debug.h). */
#pragma once

#include <keel/debug.h>

_Noreturn void keel_panic(const char *file, int line, const char *message);

#define KEEL_ASSERT(cond, message)                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            keel_panic(__FILE__, __LINE__, (message));                                             \
        }                                                                                          \
    } while (0)
