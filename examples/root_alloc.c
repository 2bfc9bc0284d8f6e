/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A root task that takes its untyped memory and slots from Keel. The same source builds for
 * seL4 (with libsel4, sel4runtime and a C library) and for the host, where it links the model
 * in place of the kernel: sel4runtime_bootinfo() then boots the model's default world.
 *
 * It needs no heap: the allocators' bookkeeping lives in a static array (a real root task
 * would also pass a grow hook that maps fresh frames).
 */
#include <stdio.h>

#include <keel/cslot.h>
#include <keel/untyped.h>
#include <sel4runtime.h>

static uint8_t bookkeeping[256 * 1024] __attribute__((aligned(16)));
static keel_cslot_t slots;
static keel_ut_t untyped;

/* Make n endpoints from Keel's memory into Keel's slots; the first is at *first. */
static keel_err_t make_endpoints(size_t n, seL4_CPtr *first, keel_ut_block_t *block)
{
    unsigned bits = seL4_EndpointBits;
    while ((1ul << bits) < n << seL4_EndpointBits) {
        bits++;
    }
    keel_err_t err = keel_ut_alloc(&untyped, bits, 0, block);
    if (err != KEEL_OK) {
        return err;
    }
    err = keel_cslot_alloc_range(&slots, n, first);
    if (err != KEEL_OK) {
        keel_ut_free(&untyped, block, KEEL_UT_NO_DERIVED);
        return err;
    }
    keel_slot_dest_t d;
    keel_cslot_dest(&slots, *first, &d);
    seL4_Error e = seL4_Untyped_Retype(block->cptr, seL4_EndpointObject, 0, d.root, d.index,
                                       d.depth, d.offset, n);
    if (e != seL4_NoError) {
        keel_cslot_free_range(&slots, *first, n);
        keel_ut_free(&untyped, block, KEEL_UT_NO_DERIVED);
        return KEEL_EKERNEL;
    }
    return KEEL_OK;
}

int main(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    /* The slot allocator gets half the bookkeeping, the untyped allocator the other half. */
    keel_storage_t slot_storage = {.mem = bookkeeping, .bytes = sizeof(bookkeeping) / 2};
    keel_storage_t ut_storage = {.mem = bookkeeping + sizeof(bookkeeping) / 2,
                                 .bytes = sizeof(bookkeeping) / 2};
    if (keel_cslot_init(&slots, bi, NULL, &slot_storage) != KEEL_OK ||
        keel_ut_init(&untyped, bi, &slots, &ut_storage) != KEEL_OK) {
        printf("root_alloc: cannot start the allocators\n");
        return 1;
    }

    /* 100 endpoints, in consecutive slots, from one block. */
    seL4_CPtr eps;
    keel_ut_block_t block;
    keel_err_t err = make_endpoints(100, &eps, &block);
    printf("100 endpoints at slots %lu..%lu from a 2^%u-byte block at 0x%lx: %s\n",
           (unsigned long)eps, (unsigned long)(eps + 99), block.size_bits,
           (unsigned long)block.paddr, keel_err_str(err));

    /* A device page at a physical address (an MMIO register block, say). */
    keel_ut_block_t mmio;
    err = keel_ut_alloc_at(&untyped, 0xfebf0000, seL4_PageBits, &mmio);
    printf("device page at 0x%lx: %s (untyped cap in slot %lu)\n", (unsigned long)mmio.paddr,
           keel_err_str(err), (unsigned long)mmio.cptr);

    /* Giving the endpoints' block back revokes them; their slots are then empty. */
    keel_ut_free(&untyped, &block, 0);
    keel_cslot_free_range(&slots, eps, 100);
    keel_ut_free(&untyped, &mmio, 0);

    keel_ut_stats_t st;
    keel_ut_stats(&untyped, &st);
    printf("kernel calls: %lu by the untyped allocator, %lu by the slot allocator; "
           "RAM free: %lu bytes\n",
           (unsigned long)st.kernel_calls, (unsigned long)slots.kstat.calls,
           (unsigned long)st.ram_free);
    const char *what = "";
    if (keel_ut_check(&untyped, NULL, &what) != 0 || keel_cslot_check(&slots, NULL, &what) != 0) {
        printf("root_alloc: invariant broken: %s\n", what);
        return 1;
    }
    return 0;
}
