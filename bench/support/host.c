/* SPDX-License-Identifier: BSD-2-Clause */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <keel/model.h>

static void **regions;
static size_t num_regions, cap_regions, given;

/* A zeroed region remembered for host_release, or NULL. */
static void *region(size_t size)
{
    if (num_regions == cap_regions) {
        size_t cap = cap_regions ? 2 * cap_regions : 256;
        void **r = realloc(regions, cap * sizeof(*r));
        if (r == NULL) {
            return NULL;
        }
        regions = r;
        cap_regions = cap;
    }
    void *mem = calloc(1, size);
    if (mem != NULL) {
        regions[num_regions++] = mem;
    }
    return mem;
}

static keel_err_t grow(void *ctx, size_t min_bytes, void **mem, size_t *bytes)
{
    size_t chunk = (size_t)(uintptr_t)ctx;
    size_t size = min_bytes < chunk ? chunk : min_bytes;
    if ((*mem = region(size)) == NULL) {
        return KEEL_ENOMETA;
    }
    *bytes = size;
    given += size;
    return KEEL_OK;
}

void *host_alloc(size_t bytes)
{
    void *mem = region(bytes != 0 ? bytes : 1);
    if (mem == NULL) {
        fprintf(stderr, "host_alloc: out of host memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return mem;
}

keel_storage_t host_storage(size_t chunk)
{
    keel_storage_t s = {.grow = grow, .grow_ctx = (void *)(uintptr_t)chunk};
    return s;
}

size_t host_storage_bytes(void)
{
    return given;
}

void host_release(void)
{
    while (num_regions > 0) {
        free(regions[--num_regions]);
    }
    free(regions);
    regions = NULL;
    cap_regions = 0;
    given = 0;
}

seL4_BootInfo *host_boot(const keel_model_config *world, const keel_cslot_config_t *slots,
                         keel_cslot_t *cs, keel_ut_t *ut)
{
    keel_model_shutdown();
    host_release();
    seL4_BootInfo *bi = keel_model_boot(world);
    keel_storage_t s = host_storage(64 * 1024);
    if (keel_cslot_init(cs, bi, slots, &s) != KEEL_OK || keel_ut_init(ut, bi, cs, &s) != KEEL_OK) {
        fprintf(stderr, "cannot start Keel's allocators on the model world\n");
        exit(1);
    }
    return bi;
}

/* One paging structure of `type` mapped at va, unless that level is there already. */
static void map_table(keel_ut_t *ut, keel_cslot_t *cs, seL4_Word type, seL4_Word va)
{
    keel_ut_block_t b;
    seL4_CPtr slot;
    if (keel_ut_alloc(ut, seL4_PageTableBits, 0, &b) != KEEL_OK ||
        keel_cslot_alloc(cs, &slot) != KEEL_OK) {
        fprintf(stderr, "out of memory or slots for paging structures\n");
        exit(1);
    }
    keel_slot_dest_t d;
    keel_cslot_dest(cs, slot, &d);
    seL4_Error err = seL4_Untyped_Retype(b.cptr, type, 0, d.root, d.index, d.depth, d.offset, 1);
    if (err == seL4_NoError) {
        switch (type) {
        case seL4_X86_PDPTObject:
            err = seL4_X86_PDPT_Map(slot, seL4_CapInitThreadVSpace, va, 0);
            break;
        case seL4_X86_PageDirectoryObject:
            err = seL4_X86_PageDirectory_Map(slot, seL4_CapInitThreadVSpace, va, 0);
            break;
        default:
            err = seL4_X86_PageTable_Map(slot, seL4_CapInitThreadVSpace, va, 0);
            break;
        }
    }
    if (err == seL4_DeleteFirst) { /* that level exists: give the table back */
        keel_ut_free(ut, &b, 0);
        keel_cslot_free(cs, slot);
    } else if (err != seL4_NoError) {
        fprintf(stderr, "cannot map a paging structure at %#lx: error %d\n", (unsigned long)va,
                (int)err);
        exit(1);
    }
}

void host_map_tables(keel_ut_t *ut, keel_cslot_t *cs, uintptr_t vaddr, size_t bytes, bool large)
{
    for (uintptr_t va = vaddr; va < vaddr + bytes; va += (uintptr_t)1 << seL4_LargePageBits) {
        map_table(ut, cs, seL4_X86_PDPTObject, va);
        map_table(ut, cs, seL4_X86_PageDirectoryObject, va);
        if (!large) {
            map_table(ut, cs, seL4_X86_PageTableObject, va);
        }
    }
}

uint64_t host_rng(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

double host_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}
