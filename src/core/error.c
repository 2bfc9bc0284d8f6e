/* SPDX-License-Identifier: BSD-2-Clause */
#include <keel/error.h>

const char *keel_err_str(keel_err_t err)
{
    static const char *const names[KEEL_ERR_COUNT] = {
        [KEEL_OK] = "success",
        [KEEL_ENOMEM] = "out of untyped memory",
        [KEEL_ENOSLOT] = "out of capability slots",
        [KEEL_ENOMETA] = "out of metadata storage",
        [KEEL_EINVAL] = "invalid argument",
        [KEEL_ENOENT] = "no such entry",
        [KEEL_EEXIST] = "already exists",
        [KEEL_EBUSY] = "busy",
        [KEEL_EKERNEL] = "kernel error",
    };
    if ((unsigned)err >= KEEL_ERR_COUNT) {
        return "unknown error";
    }
    return names[err];
}
