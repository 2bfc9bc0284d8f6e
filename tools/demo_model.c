/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Demo, part 1: the model. A root task boots (sel4runtime_bootinfo() boots the model's default
 * world: the one seL4 gives a root task under qemu-system-x86_64 -m 512M), reads its BootInfo,
 * and retypes untyped memory the way any seL4 root task would. Everything below the
 * "keel_model_" calls is plain libsel4 code that runs unchanged on seL4.
 */
#include <stdio.h>

#include <keel/model.h>
#include <sel4runtime.h>

#include "demo.h"
#include "host.h"

static const char *const error_names[] = {
    "seL4_NoError",     "seL4_InvalidArgument", "seL4_InvalidCapability", "seL4_IllegalOperation",
    "seL4_RangeError",  "seL4_AlignmentError",  "seL4_FailedLookup",      "seL4_TruncatedMessage",
    "seL4_DeleteFirst", "seL4_RevokeFirst",     "seL4_NotEnoughMemory",
};

static void print_untypeds(const seL4_BootInfo *bi)
{
    seL4_Word n = bi->untyped.end - bi->untyped.start;
    uint64_t ram = 0;
    printf("bootinfo: nodeID=%lu numNodes=%lu empty slots [%lu..%lu) untyped caps [%lu..%lu) = "
           "%lu untypeds\n",
           bi->nodeID, bi->numNodes, bi->empty.start, bi->empty.end, bi->untyped.start,
           bi->untyped.end, n);
    printf("  idx  cap   paddr               sizeBits  isDevice  bytes\n");
    for (seL4_Word i = 0; i < n; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        printf("  %3lu  %4lu  0x%016lx  %8u  %8u  %lu\n", i, bi->untyped.start + i, d->paddr,
               d->sizeBits, d->isDevice, 1ul << d->sizeBits);
        if (!d->isDevice) {
            ram += 1ull << d->sizeBits;
        }
    }
    printf("summary: %lu untypeds, non-device total %llu bytes (%llu MiB)\n", n,
           (unsigned long long)ram, (unsigned long long)(ram >> 20));
}

static void show_result(const char *what, seL4_Error err)
{
    printf("  %-58s -> %s", what, error_names[err]);
    switch (err) {
    case seL4_InvalidArgument:
    case seL4_InvalidCapability:
    case seL4_NotEnoughMemory:
        printf(" (MR0=%lu)", seL4_GetMR(0));
        break;
    case seL4_RangeError:
        printf(" (min %lu, max %lu)", seL4_GetMR(0), seL4_GetMR(1));
        break;
    case seL4_FailedLookup:
        printf(" (source %lu, failure %lu, bits left %lu)", seL4_GetMR(0), seL4_GetMR(1),
               seL4_GetMR(2));
        break;
    default:
        break;
    }
    putchar('\n');
}

static void show_untyped(seL4_CPtr ut)
{
    keel_model_cap_info info;
    keel_model_cap(ut, &info);
    printf("      untyped %lu: paddr 0x%lx, 2^%u bytes, watermark %lu, %s\n", ut,
           (unsigned long)info.paddr, info.size_bits, (unsigned long)info.watermark,
           info.has_children ? "has children" : "no children");
}

int demo_bootinfo(unsigned long ram_mib)
{
    keel_model_config config = {.ram_bytes = (uint64_t)ram_mib << 20};
    print_untypeds(keel_model_boot(&config));
    keel_model_shutdown();
    return 0;
}

int demo_model(void)
{
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    printf("== The model: the world seL4 gives a root task (qemu-system-x86_64, 512 MiB) ==\n");
    print_untypeds(bi);

    /* A 4 KiB RAM untyped, as in sel4-semantics §5.6, and some free slots. */
    seL4_CPtr ut = 0;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start && ut == 0; i++) {
        if (!bi->untypedList[i].isDevice && bi->untypedList[i].sizeBits == seL4_PageBits) {
            ut = bi->untyped.start + i;
        }
    }
    seL4_CPtr slot = bi->empty.start;
    seL4_CNode root = seL4_CapInitThreadCNode;
    printf("\nRetypes from untyped %lu (4 KiB of RAM) into the root CNode:\n", ut);
    show_untyped(ut);
    show_result("3 endpoints at slots empty+0..2",
                seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, root, 0, 0, slot, 3));
    show_untyped(ut);
    show_result("1 TCB at empty+3 (aligned up to 2 KiB)",
                seL4_Untyped_Retype(ut, seL4_TCBObject, 0, root, 0, 0, slot + 3, 1));
    show_untyped(ut);
    show_result("1 more endpoint: the untyped is full",
                seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, root, 0, 0, slot + 4, 1));
    show_result("revoke the untyped", seL4_CNode_Revoke(root, ut, seL4_WordBits));
    show_untyped(ut);
    show_result("1 endpoint again: reset, zeroed, placed at offset 0",
                seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, root, 0, 0, slot, 1));
    show_untyped(ut);
    show_result("a 2^43-slot CNode",
                seL4_Untyped_Retype(ut, seL4_CapTableObject, 43, root, 0, 0, slot + 1, 1));
    show_result("257 objects in one call",
                seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, root, 0, 0, slot + 1, 257));
    show_result("into an occupied slot",
                seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, root, 0, 0, slot, 1));
    show_result("destination CNode addressed at depth 12",
                seL4_Untyped_Retype(ut, seL4_EndpointObject, 0, root, 2, 12, slot + 1, 1));

    keel_model_counters c;
    keel_model_counters_get(&c);
    char msg[256];
    int ok = keel_model_check(msg, sizeof(msg));
    printf("\nkernel calls so far: %llu (%llu errors); bytes zeroed: %llu; invariants: %s\n",
           (unsigned long long)c.invocations, (unsigned long long)c.errors,
           (unsigned long long)c.bytes_zeroed, ok == 0 ? "hold" : msg);
    return ok;
}

int demo_run(void)
{
    int rc = demo_model();
    rc |= demo_alloc();
    rc |= demo_objects();
    rc |= demo_ipc();
    keel_model_shutdown();
    host_release();
    return rc;
}
