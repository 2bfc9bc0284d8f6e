/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Booting worlds (sel4-semantics §9): the default world is the one the real kernel gives a root
 * task under qemu-system-x86_64 -m 512M, checked against the recording in
 * tests/data/qemu-x86_64-512M-bootinfo.txt; other worlds boot fast and hold the invariants.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sel4runtime.h>

#include "model_test.h"

#ifndef KEEL_TEST_DATA
#error "KEEL_TEST_DATA must name tests/data"
#endif

struct recorded {
    seL4_Word empty_start, empty_end, untyped_start, untyped_end;
    size_t n;
    struct {
        seL4_Word cap, paddr;
        unsigned size_bits, device;
    } ut[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];
};

static void read_recording(struct recorded *r)
{
    FILE *f = fopen(KEEL_TEST_DATA "/qemu-x86_64-512M-bootinfo.txt", "r");
    assert_non_null(f);
    char line[256];
    memset(r, 0, sizeof(*r));
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long idx, cap, paddr, bits, dev, a, b, c, d;
        if (sscanf(line,
                   "bootinfo: nodeID=%*u numNodes=%*u empty slots [%lu..%lu) untyped caps "
                   "[%lu..%lu)",
                   &a, &b, &c, &d) == 4) {
            r->empty_start = a;
            r->empty_end = b;
            r->untyped_start = c;
            r->untyped_end = d;
        } else if (sscanf(line, " %lu %lu 0x%lx %lu %lu", &idx, &cap, &paddr, &bits, &dev) == 5) {
            assert_int_equal(idx, r->n);
            r->ut[r->n].cap = cap;
            r->ut[r->n].paddr = paddr;
            r->ut[r->n].size_bits = (unsigned)bits;
            r->ut[r->n].device = (unsigned)dev;
            r->n++;
        }
    }
    fclose(f);
    assert_int_equal(r->n, 91);
}

static void default_world_is_the_recorded_one(void **state)
{
    (void)state;
    struct recorded r;
    read_recording(&r);
    seL4_BootInfo *bi = sel4runtime_bootinfo();
    assert_non_null(bi);
    assert_int_equal(bi->nodeID, 0);
    assert_int_equal(bi->numNodes, 1);
    assert_int_equal(bi->empty.start, r.empty_start);
    assert_int_equal(bi->empty.end, r.empty_end);
    assert_int_equal(bi->untyped.start, r.untyped_start);
    assert_int_equal(bi->untyped.end, r.untyped_end);
    assert_int_equal(bi->initThreadCNodeSizeBits, 12);
    for (size_t i = 0; i < r.n; i++) {
        const seL4_UntypedDesc *d = &bi->untypedList[i];
        assert_int_equal(bi->untyped.start + i, r.ut[i].cap);
        assert_int_equal(d->paddr, r.ut[i].paddr);
        assert_int_equal(d->sizeBits, r.ut[i].size_bits);
        assert_int_equal(d->isDevice, r.ut[i].device);
        /* The cap in that slot is the untyped BootInfo describes, with a full watermark. */
        keel_model_cap_info info;
        assert_int_equal(keel_model_cap(r.ut[i].cap, &info), 0);
        assert_int_equal(info.type, KEEL_MODEL_CAP_UNTYPED);
        assert_int_equal(info.paddr, r.ut[i].paddr);
        assert_int_equal(info.size_bits, r.ut[i].size_bits);
        assert_int_equal(info.device, r.ut[i].device);
        assert_int_equal(info.watermark, 1ull << r.ut[i].size_bits);
        assert_true(info.original);
        assert_false(info.has_children);
    }
    MODEL_CHECK();
    keel_model_shutdown();
}

static void initial_caps_are_in_their_fixed_slots(void **state)
{
    seL4_BootInfo *bi = *state;
    static const struct {
        seL4_CPtr slot;
        keel_model_cap_type type;
    } expect[] = {
        {seL4_CapNull, KEEL_MODEL_CAP_NULL},
        {seL4_CapInitThreadTCB, KEEL_MODEL_CAP_TCB},
        {seL4_CapInitThreadCNode, KEEL_MODEL_CAP_CNODE},
        {seL4_CapInitThreadVSpace, KEEL_MODEL_CAP_PML4},
        {seL4_CapIRQControl, KEEL_MODEL_CAP_IRQ_CONTROL},
        {seL4_CapASIDControl, KEEL_MODEL_CAP_ASID_CONTROL},
        {seL4_CapInitThreadASIDPool, KEEL_MODEL_CAP_ASID_POOL},
        {seL4_CapIOPortControl, KEEL_MODEL_CAP_IO_PORT_CONTROL},
        {seL4_CapIOSpace, KEEL_MODEL_CAP_NULL},
        {seL4_CapBootInfoFrame, KEEL_MODEL_CAP_FRAME},
        {seL4_CapInitThreadIPCBuffer, KEEL_MODEL_CAP_FRAME},
        {seL4_CapDomain, KEEL_MODEL_CAP_DOMAIN},
        {seL4_CapSMMUSIDControl, KEEL_MODEL_CAP_NULL},
        {seL4_CapSMMUCBControl, KEEL_MODEL_CAP_NULL},
        {seL4_CapInitThreadSC, KEEL_MODEL_CAP_NULL},
        {seL4_CapSMC, KEEL_MODEL_CAP_NULL},
    };
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        keel_model_cap_info info;
        assert_int_equal(keel_model_cap(expect[i].slot, &info), 0);
        assert_int_equal(info.type, expect[i].type);
        if (info.type != KEEL_MODEL_CAP_NULL) {
            assert_true(info.original); /* boot caps are CDT roots */
        }
    }
    keel_model_cap_info cn;
    keel_model_cap(seL4_CapInitThreadCNode, &cn);
    assert_int_equal(cn.radix, 12);
    assert_int_equal(cn.guard_size, 52);
    assert_int_equal(cn.guard, 0);
    keel_model_cap_info vs;
    keel_model_cap(seL4_CapInitThreadVSpace, &vs);
    assert_true(vs.mapped);
    assert_int_not_equal(vs.asid, 0);
    /* The IPC buffer and BootInfo frames are where BootInfo says, and mapped there. */
    keel_model_cap_info ipc;
    keel_model_cap(seL4_CapInitThreadIPCBuffer, &ipc);
    assert_true(ipc.mapped);
    assert_int_equal(ipc.vaddr, (seL4_Word)(uintptr_t)bi->ipcBuffer);
    assert_ptr_equal(seL4_GetIPCBuffer(), bi->ipcBuffer);
    /* The slot regions tile [16, empty.start). */
    assert_int_equal(bi->userImagePaging.start, seL4_NumInitialCaps);
    assert_int_equal(bi->extraBIPages.start, bi->userImagePaging.end);
    assert_int_equal(bi->userImageFrames.start, bi->extraBIPages.end);
    assert_int_equal(bi->untyped.start, bi->userImageFrames.end);
    assert_int_equal(bi->empty.start, bi->untyped.end);
    for (seL4_CPtr s = bi->userImageFrames.start; s < bi->userImageFrames.end; s++) {
        keel_model_cap_info f;
        keel_model_cap(s, &f);
        assert_int_equal(f.type, KEEL_MODEL_CAP_FRAME);
        assert_true(f.mapped);
    }
    for (seL4_CPtr s = bi->empty.start; s < bi->empty.end; s++) {
        keel_model_cap_info f;
        keel_model_cap(s, &f);
        assert_int_equal(f.type, KEEL_MODEL_CAP_NULL);
    }
    MODEL_CHECK();
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The process's resident set in bytes (/proc/self/statm, second field, in pages). */
static long long resident_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    assert_non_null(f);
    long long size = 0, resident = 0;
    int n = fscanf(f, "%lld %lld", &size, &resident);
    fclose(f);
    assert_int_equal(n, 2);
    return resident * sysconf(_SC_PAGESIZE);
}

#define BIG_WORLD_MAX_RESIDENT (16ll << 20)

static void big_worlds_boot_without_committing_memory(void **state)
{
    (void)state;
    keel_model_config config = {.ram_bytes = 64ull << 30};
    long long rss0 = resident_bytes();
    double t0 = now_ms();
    seL4_BootInfo *bi = model_test_boot(&config);
    double t1 = now_ms();
    uint64_t ram = 0;
    for (seL4_Word i = 0; i < bi->untyped.end - bi->untyped.start; i++) {
        if (!bi->untypedList[i].isDevice) {
            ram += 1ull << bi->untypedList[i].sizeBits;
        }
    }
    /* All of it, less the first MiB, the BIOS's 128 KiB and what the kernel keeps. */
    assert_true(ram > (63ull << 30) && ram < (64ull << 30));
    /* Booting, and checking that every byte above every watermark is zero, commit (almost)
     * nothing of the 64 GiB: memory is reserved, and zero checks skip holes. */
    MODEL_CHECK();
    long long grown = resident_bytes() - rss0;
    print_message("64 GiB world: %zu untypeds, %.3f ms to boot, resident set %+lld KiB\n",
                  (size_t)(bi->untyped.end - bi->untyped.start), t1 - t0, grown >> 10);
    if (grown >= BIG_WORLD_MAX_RESIDENT) {
        fail_msg("booting a 64 GiB world grew the resident set by %lld KiB (limit %lld KiB)",
                 grown >> 10, BIG_WORLD_MAX_RESIDENT >> 10);
    }
    keel_model_shutdown();
}

static void other_cnode_radix(void **state)
{
    (void)state;
    keel_model_config config = {.cnode_radix = 16};
    seL4_BootInfo *bi = model_test_boot(&config);
    assert_int_equal(bi->initThreadCNodeSizeBits, 16);
    assert_int_equal(bi->empty.end, 1u << 16);
    keel_model_cap_info cn;
    keel_model_cap(seL4_CapInitThreadCNode, &cn);
    assert_int_equal(cn.radix, 16);
    assert_int_equal(cn.guard_size, 48);
    MODEL_CHECK();
    keel_model_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_world_is_the_recorded_one),
        cmocka_unit_test_setup_teardown(initial_caps_are_in_their_fixed_slots, model_test_setup,
                                        model_test_teardown),
        cmocka_unit_test(big_worlds_boot_without_committing_memory),
        cmocka_unit_test(other_cnode_radix),
    };
    return cmocka_run_group_tests_name("model.boot", tests, NULL, NULL);
}
