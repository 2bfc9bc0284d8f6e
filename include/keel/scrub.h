/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/scrub.h — zeroing frames before they go to a new owner.
 *
 * The kernel zeroes memory only when an untyped is reset (its next retype after all its
 * children are gone); a frame that comes back to a cache or pool and goes out again keeps its
 * bytes. Keel scrubs such frames before handing them out again, through a keel_scrub_t: the
 * default one maps the frame at a window address of the root task's VSpace, zeroes it through
 * the mapping and unmaps it (2 kernel calls); a root task with another way to zero memory (its
 * own mappings, a DMA engine) supplies its own function.
 */
#pragma once

#include <stdint.h>

#include <sel4/sel4.h>

#include <keel/error.h>

typedef struct keel_scrub {
    /* Zero the 2^size_bits bytes of the frame `frame` (physical address paddr). */
    keel_err_t (*scrub)(void *ctx, seL4_CPtr frame, uint64_t paddr, unsigned size_bits);
    void *ctx;
} keel_scrub_t;

/*
 * The window scrubber: frames are mapped read-write at `vaddr` in `vspace` (whose page table
 * for that address must exist; 2 MiB frames need vaddr 2 MiB-aligned and a page directory),
 * zeroed, and unmapped. `vaddr` must be unused otherwise.
 *
 * A frame its old owner left mapped (the kernel refuses to map a frame at a second address:
 * InvalidArgument, or InvalidCapability for another VSpace) is unmapped and the map tried once
 * more: 4 kernel calls instead of 2, counted in `remapped`. Any other failed map fails the scrub.
 *
 * If an unmap fails, the scrub fails (the caller keeps the frame dirty) and the frame stays
 * mapped at the window until the next scrub unmaps it first, so the window is never left
 * occupied (x86 would silently map over it; other architectures refuse with DeleteFirst).
 */
typedef struct keel_scrub_window {
    keel_scrub_t scrub;
    seL4_CPtr vspace;
    uintptr_t vaddr;
    keel_kstat_t kstat;
    uint64_t bytes;    /* zeroed so far */
    uint64_t remapped; /* frames found mapped elsewhere, unmapped first */
    seL4_CPtr pending; /* a frame whose unmap failed, still mapped at the window (0: none) */
} keel_scrub_window_t;

void keel_scrub_window_init(keel_scrub_window_t *w, seL4_CPtr vspace, uintptr_t vaddr);
