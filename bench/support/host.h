/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the host programs (benchmarks, the keel tool) share: storage for Keel's bookkeeping
 * from malloc, a booted world with the allocation core, a fixed-seed generator, a clock.
 */
#pragma once

#include <stdint.h>

#include <keel/cslot.h>
#include <keel/meta.h>
#include <keel/model.h>
#include <keel/untyped.h>

/* Storage whose grow hook callocs regions of at least `chunk` bytes (freed by host_release). */
keel_storage_t host_storage(size_t chunk);
/* Bytes the grow hook has handed out so far. */
size_t host_storage_bytes(void);
/* Zeroed host memory, freed by host_release (exits on failure). */
void *host_alloc(size_t bytes);
/* Free every region handed out. */
void host_release(void);

/* Boot a world (NULL: the default one) and start the slot and untyped allocators on it,
 * replacing whatever world was booted before; exits with a message on failure. */
seL4_BootInfo *host_boot(const keel_model_config *world, const keel_cslot_config_t *slots,
                         keel_cslot_t *cs, keel_ut_t *ut);

/*
 * Paging structures in the root task's VSpace over [vaddr, vaddr + bytes), made from `ut` into
 * slots from `cs`, down to page tables (or, with `large`, to page directories, for 2 MiB
 * frames): what a window for keel_scrub_window needs. Structures already there are kept.
 */
void host_map_tables(keel_ut_t *ut, keel_cslot_t *cs, uintptr_t vaddr, size_t bytes, bool large);

/* xorshift64: the same sequence on every run for a given seed. */
uint64_t host_rng(uint64_t *state);

/* Monotonic time in nanoseconds. */
double host_now_ns(void);
