/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The window scrubber (keel/scrub.h): map a frame at a fixed address of the root VSpace, zero
 * it through the mapping, unmap it. Two kernel calls and one pass over the bytes per frame; two
 * more for a frame its old owner left mapped.
 */
#include <keel/scrub.h>

#include "kernel/kcall.h"

/* Zero n bytes (a multiple of 64, 8-aligned) without calling the C library. */
static void zero_words(volatile uint64_t *p, uint64_t n)
{
    for (uint64_t i = 0; i < n / sizeof(uint64_t); i++) {
        p[i] = 0;
    }
}

static keel_err_t window_scrub(void *ctx, seL4_CPtr frame, uint64_t paddr, unsigned size_bits)
{
    keel_scrub_window_t *w = ctx;
    (void)paddr;
    /* A frame left mapped by a failed unmap goes first (unless it is this one: a frame may be
     * mapped again at the address it is mapped at). A cap that is gone took its mapping along. */
    if (w->pending != seL4_CapNull && w->pending != frame) {
        seL4_Error err = kc_page_unmap(&w->kstat, w->pending);
        if (err != seL4_NoError && err != seL4_InvalidCapability) {
            return KEEL_EKERNEL;
        }
        w->pending = seL4_CapNull;
    }
    seL4_Error err = kc_page_map(&w->kstat, frame, w->vspace, w->vaddr, seL4_ReadWrite);
    if (err == seL4_InvalidArgument || err == seL4_InvalidCapability) {
        /* What the kernel answers for a frame still mapped elsewhere (at another address, or in
         * another VSpace): its old owner's mapping goes, and the map is tried once more. */
        w->remapped++;
        if (kc_page_unmap(&w->kstat, frame) != seL4_NoError) {
            return KEEL_EKERNEL;
        }
        err = kc_page_map(&w->kstat, frame, w->vspace, w->vaddr, seL4_ReadWrite);
    }
    if (err != seL4_NoError) {
        return KEEL_EKERNEL;
    }
    zero_words((volatile uint64_t *)w->vaddr, 1ull << size_bits);
    w->bytes += 1ull << size_bits;
    if (kc_page_unmap(&w->kstat, frame) != seL4_NoError) {
        w->pending = frame;
        return KEEL_EKERNEL;
    }
    w->pending = seL4_CapNull;
    return KEEL_OK;
}

void keel_scrub_window_init(keel_scrub_window_t *w, seL4_CPtr vspace, uintptr_t vaddr)
{
    w->scrub.scrub = window_scrub;
    w->scrub.ctx = w;
    w->vspace = vspace;
    w->vaddr = vaddr;
    w->kstat = (keel_kstat_t){0};
    w->bytes = 0;
    w->remapped = 0;
    w->pending = seL4_CapNull;
}
