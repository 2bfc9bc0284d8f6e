/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Demo, part 2: the allocation core. A root task hands its BootInfo to Keel's slot and untyped
 * allocators and asks for memory: small blocks, big blocks, a device page at a physical
 * address, thousands of slots (the CSpace grows to two levels on the way). Each line shows
 * what it cost in kernel calls, counted by the allocators themselves.
 */
#include <stdio.h>
#include <stdlib.h>

#include <keel/cslot.h>
#include <keel/model.h>
#include <keel/untyped.h>
#include <sel4runtime.h>

#include "demo.h"
#include "host.h"

static keel_cslot_t cs;
static keel_ut_t ut;

static uint64_t calls(void)
{
    return ut.kstat.calls + cs.kstat.calls;
}

static uint64_t mark;

/* Start counting kernel calls for the next line. */
static void begin(void)
{
    mark = calls();
}

static void show(const char *what, keel_err_t err, const keel_ut_block_t *b)
{
    uint64_t c = calls() - mark;
    printf("  %-44s %-8s", what, keel_err_str(err));
    if (err == KEEL_OK && b != NULL) {
        printf(" 2^%-2u bytes at 0x%-12lx slot %-5lu", b->size_bits, (unsigned long)b->paddr,
               (unsigned long)b->cptr);
    } else {
        printf(" %41s", "");
    }
    printf(" %llu calls\n", (unsigned long long)c);
}

int demo_alloc(void)
{
    printf("\n== The allocation core: untyped buddy and slot allocator ==\n");
    host_boot(NULL, NULL, &cs, &ut);
    keel_ut_block_t a, b, c, d, e, f;
    keel_err_t err;
    begin();
    err = keel_ut_alloc(&ut, 12, 0, &a);
    show("4 KiB: an exact free block", err, &a);
    begin();
    err = keel_ut_alloc(&ut, 4, 0, &b);
    show("16 B: the 2 KiB untyped split 7 times", err, &b);
    begin();
    err = keel_ut_alloc(&ut, 4, 0, &c);
    show("16 B again: its buddy, no kernel call", err, &c);
    begin();
    err = keel_ut_alloc(&ut, 26, 0, &d);
    show("64 MiB", err, &d);
    begin();
    err = keel_ut_alloc_at(&ut, 0xfebf0000, 12, &e);
    show("device page at 0xfebf0000 (alloc_at)", err, &e);
    begin();
    err = keel_ut_alloc(&ut, 30, 0, &f);
    show("1 GiB of RAM (there is none)", err, NULL);
    begin();
    err = keel_ut_free(&ut, &b, 0);
    show("free the 16 B block (revoke)", err, NULL);
    begin();
    err = keel_ut_free(&ut, &c, KEEL_UT_NO_DERIVED);
    show("free its buddy, skipping the revoke", err, NULL);
    begin();
    err = keel_ut_alloc(&ut, 11, 0, &b);
    show("2 KiB: the free subtree collapses (revoke)", err, &b);

    begin();
    seL4_CPtr slot = 0;
    size_t n = 0;
    while (n < 5000 && keel_cslot_alloc(&cs, &slot) == KEEL_OK) {
        n++;
    }
    keel_cslot_stats_t cst;
    keel_cslot_stats(&cs, &cst);
    printf("  %zu slots: the CSpace grew to two levels, %zu leaf CNode(s); the last is CPtr "
           "0x%lx; %llu calls\n",
           n, cst.leaves, (unsigned long)slot, (unsigned long long)(calls() - mark));

    keel_ut_stats_t st;
    keel_ut_stats(&ut, &st);
    printf("\n  RAM: %llu bytes free, %llu used in %llu blocks; largest free 2^%u; %llu tree "
           "nodes (%zu bytes of metadata)\n",
           (unsigned long long)st.ram_free, (unsigned long long)st.ram_used,
           (unsigned long long)st.used_blocks, st.largest_free_bits, (unsigned long long)st.nodes,
           st.meta_bytes);
    printf("  slots: %llu taken, %llu free; %zu bytes of storage held for their bookkeeping\n",
           (unsigned long long)cst.slots_taken, (unsigned long long)cst.slots_free, cst.meta_bytes);
    const char *what = NULL;
    int rc = keel_ut_check(&ut, NULL, &what) | keel_cslot_check(&cs, NULL, &what);
    printf("  invariants: %s\n", rc == 0 ? "hold" : what);
    return rc;
}
