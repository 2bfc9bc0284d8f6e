/* SPDX-License-Identifier: BSD-2-Clause */
#pragma once

/* Each part of `keel demo`; 0 on success. */
int demo_run(void);
int demo_bootinfo(unsigned long ram_mib);
int demo_model(void);
int demo_alloc(void);
int demo_objects(void);
int demo_ipc(void);
