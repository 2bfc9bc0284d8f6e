/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The part of sel4runtime a root task uses to find its BootInfo. On the model, the first call
 * boots the default world (the qemu x86_64 512 MiB machine) unless the program booted another
 * world with keel_model_boot(); the calling host thread becomes the root task's thread.
 */
#pragma once

#include <sel4/sel4.h>

seL4_BootInfo *sel4runtime_bootinfo(void);
