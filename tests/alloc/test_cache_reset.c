/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Caches of objects the kernel must reset before a new owner gets them (keel/cache.h): TCBs
 * (suspend, unbind, registers, priorities), frames (unmap, then scrub), page tables (unmap,
 * which zeroes them); and
 * the window scrubber zeroing frames through a real mapping. Threads, mappings and IPC are the
 * model's thread layer's, so the tests run under TSan too.
 */
#include <stdio.h>
#include <string.h>

#include <keel/cache.h>
#include <keel/scrub.h>

#include "alloc_test.h"

#define PAGE  4096ul
#define LARGE (2ul << 20)

static keel_cache_t pdpts, pds, pts, frames, large_frames, tcbs, ntfns;
static keel_scrub_window_t window;

static void cache(keel_cache_t *c, const char *name, seL4_Word type, const keel_scrub_t *scrub)
{
    keel_cache_config_t cfg = {.name = name, .type = type, .scrub = scrub};
    keel_storage_t s = test_storage();
    assert_int_equal(keel_cache_init(c, &aw.ut, &aw.cs, &cfg, &s), KEEL_OK);
}

static seL4_CPtr take(keel_cache_t *c)
{
    keel_cache_obj_t o;
    assert_int_equal(keel_cache_alloc(c, 0, &o), KEEL_OK);
    return o.cptr;
}

/* A paging structure at va in the root VSpace, from its cache, unless one is there already. */
static void ensure_table(keel_cache_t *c, seL4_Word type, seL4_Word va)
{
    seL4_CPtr t = take(c);
    seL4_Error err;
    switch (type) {
    case seL4_X86_PDPTObject:
        err = seL4_X86_PDPT_Map(t, seL4_CapInitThreadVSpace, va, 0);
        break;
    case seL4_X86_PageDirectoryObject:
        err = seL4_X86_PageDirectory_Map(t, seL4_CapInitThreadVSpace, va, 0);
        break;
    default:
        err = seL4_X86_PageTable_Map(t, seL4_CapInitThreadVSpace, va, 0);
        break;
    }
    if (err == seL4_DeleteFirst) {
        assert_int_equal(keel_cache_free(c, t, 0), KEEL_OK);
    } else {
        assert_int_equal(err, seL4_NoError);
    }
}

/* Page tables down to 4 KiB pages (or, with `large`, to 2 MiB pages) over [va, va + bytes). */
static void map_tables(seL4_Word va, seL4_Word bytes, bool large)
{
    for (seL4_Word a = va; a < va + bytes; a += LARGE) {
        ensure_table(&pdpts, seL4_X86_PDPTObject, a);
        ensure_table(&pds, seL4_X86_PageDirectoryObject, a);
        if (!large) {
            ensure_table(&pts, seL4_X86_PageTableObject, a);
        }
    }
}

static int setup(void **state)
{
    (void)state;
    alloc_world_boot(NULL);
    cache(&pdpts, "PDPTs", seL4_X86_PDPTObject, NULL);
    cache(&pds, "page directories", seL4_X86_PageDirectoryObject, NULL);
    cache(&pts, "page tables", seL4_X86_PageTableObject, NULL);
    /* The scrubber's window: one page with its page table in place. */
    uint8_t *w = keel_model_host_range(PAGE, 21);
    map_tables((seL4_Word)(uintptr_t)w, PAGE, false);
    keel_scrub_window_init(&window, seL4_CapInitThreadVSpace, (uintptr_t)w);
    cache(&frames, "frames", seL4_X86_4K, &window.scrub);
    cache(&tcbs, "TCBs", seL4_TCBObject, NULL);
    cache(&ntfns, "notifications", seL4_NotificationObject, NULL);
    return 0;
}

static void check(void)
{
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    const keel_cache_t *all[] = {&pdpts, &pds, &pts, &frames, &tcbs, &ntfns};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (keel_cache_check(all[i], &kv, &what) != 0) {
            fail_msg("%s: %s", all[i]->name, what);
        }
    }
    ALLOC_CHECK(&aw.ut, &aw.cs);
}

static uint64_t calls(void)
{
    return keel_model_invocations();
}

/* ---- Frames ---------------------------------------------------------------------------------- */

static void frames_are_unmapped_and_scrubbed(void **state)
{
    (void)state;
    uint8_t *va = keel_model_host_range(PAGE, 21);
    map_tables((seL4_Word)(uintptr_t)va, PAGE, false);
    keel_cache_obj_t f;
    assert_int_equal(keel_cache_alloc(&frames, 0, &f), KEEL_OK);
    assert_int_equal(seL4_X86_Page_Map(f.cptr, seL4_CapInitThreadVSpace, (seL4_Word)(uintptr_t)va,
                                       seL4_ReadWrite, 0),
                     seL4_NoError);
    memset(va, 0x6b, PAGE); /* the owner's secrets */
    assert_int_equal(((uint8_t *)keel_model_phys(f.paddr, PAGE))[100], 0x6b);
    uint64_t before = calls();
    assert_int_equal(keel_cache_free(&frames, f.cptr, 0), KEEL_OK);
    assert_int_equal(calls() - before, 1); /* unmap */
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(f.cptr, &info), 0);
    assert_false(info.mapped);
    /* The next owner of that frame gets it zeroed, through the window: map + unmap. */
    keel_cache_stats_t st;
    keel_cache_stats(&frames, &st);
    assert_int_equal(st.dirty, 1);
    keel_cache_obj_t g;
    before = calls();
    /* Take every clean frame first: the dirty one comes last. */
    for (uint64_t i = 0; i < st.free; i++) {
        assert_int_equal(keel_cache_alloc(&frames, 0, &g), KEEL_OK);
        assert_int_not_equal(g.cptr, f.cptr);
    }
    assert_int_equal(calls() - before, 0);
    assert_int_equal(keel_cache_alloc(&frames, 0, &g), KEEL_OK);
    assert_int_equal(g.cptr, f.cptr);
    assert_int_equal(calls() - before, 2);
    assert_true(keel_model_phys_is_zero(g.paddr, PAGE));
    assert_int_equal(window.bytes, PAGE);
    check();
}

static void without_a_scrubber_slabs_are_remade(void **state)
{
    (void)state;
    keel_cache_t plain;
    cache(&plain, "unscrubbed frames", seL4_X86_4K, NULL);
    enum { SLAB = 1024 };
    static keel_cache_obj_t f[SLAB];
    for (int i = 0; i < SLAB; i++) {
        assert_int_equal(keel_cache_alloc(&plain, 0, &f[i]), KEEL_OK);
        memset(keel_model_phys(f[i].paddr, PAGE), 0x3c, PAGE);
    }
    for (int i = 0; i < SLAB; i++) {
        assert_int_equal(keel_cache_free(&plain, f[i].cptr, 0), KEEL_OK);
    }
    keel_model_counters c0, c1;
    keel_model_counters_get(&c0);
    uint64_t before = calls();
    keel_cache_obj_t g;
    assert_int_equal(keel_cache_alloc(&plain, 0, &g), KEEL_OK);
    /* The slab was remade in place (revoke + 4 retypes of 256); the kernel zeroed 4 MiB. */
    assert_int_equal(calls() - before, 5);
    keel_model_counters_get(&c1);
    assert_int_equal(c1.bytes_zeroed - c0.bytes_zeroed, SLAB * PAGE);
    assert_true(keel_model_phys_is_zero(f[0].paddr, SLAB * PAGE));
    keel_cache_stats_t st;
    keel_cache_stats(&plain, &st);
    assert_int_equal(st.slabs, 1);
    assert_int_equal(keel_cache_free(&plain, g.cptr, 0), KEEL_OK);
    assert_int_equal(keel_cache_fini(&plain), KEEL_OK);
    check();
}

static void large_frames_are_scrubbed_through_a_large_window(void **state)
{
    (void)state;
    uint8_t *w2 = keel_model_host_range(LARGE, 21);
    map_tables((seL4_Word)(uintptr_t)w2, LARGE, true);
    keel_scrub_window_t big_window;
    keel_scrub_window_init(&big_window, seL4_CapInitThreadVSpace, (uintptr_t)w2);
    cache(&large_frames, "2 MiB frames", seL4_X86_LargePageObject, &big_window.scrub);
    uint8_t *va = keel_model_host_range(LARGE, 21);
    map_tables((seL4_Word)(uintptr_t)va, LARGE, true);
    keel_cache_obj_t f;
    assert_int_equal(keel_cache_alloc(&large_frames, 0, &f), KEEL_OK);
    keel_cache_stats_t st;
    keel_cache_stats(&large_frames, &st);
    assert_int_equal(st.slots, 8); /* 8 per 16 MiB slab */
    assert_int_equal(seL4_X86_Page_Map(f.cptr, seL4_CapInitThreadVSpace, (seL4_Word)(uintptr_t)va,
                                       seL4_ReadWrite, 0),
                     seL4_NoError);
    va[LARGE - 1] = 0x99;
    assert_int_equal(keel_cache_free(&large_frames, f.cptr, 0), KEEL_OK);
    keel_cache_obj_t g[8];
    for (int i = 0; i < 8; i++) {
        assert_int_equal(keel_cache_alloc(&large_frames, 0, &g[i]), KEEL_OK);
    }
    assert_int_equal(big_window.bytes, LARGE); /* the dirty one, scrubbed once */
    assert_true(keel_model_phys_is_zero(f.paddr, LARGE));
    for (int i = 0; i < 8; i++) {
        assert_int_equal(keel_cache_free(&large_frames, g[i].cptr, 0), KEEL_OK);
    }
    assert_int_equal(keel_cache_reap(&large_frames), 1);
    assert_int_equal(keel_cache_fini(&large_frames), KEEL_OK);
    check();
}

/* ---- Page tables ---------------------------------------------------------------------------- */

static void page_tables_are_unmapped_and_zeroed(void **state)
{
    (void)state;
    uint8_t *va = keel_model_host_range(LARGE, 21);
    seL4_Word a = (seL4_Word)(uintptr_t)va;
    ensure_table(&pdpts, seL4_X86_PDPTObject, a);
    ensure_table(&pds, seL4_X86_PageDirectoryObject, a);
    keel_cache_obj_t pt, f;
    assert_int_equal(keel_cache_alloc(&pts, 0, &pt), KEEL_OK);
    assert_int_equal(seL4_X86_PageTable_Map(pt.cptr, seL4_CapInitThreadVSpace, a, 0), seL4_NoError);
    assert_int_equal(keel_cache_alloc(&frames, 0, &f), KEEL_OK);
    assert_int_equal(seL4_X86_Page_Map(f.cptr, seL4_CapInitThreadVSpace, a, seL4_ReadWrite, 0),
                     seL4_NoError);
    uint64_t before = calls();
    assert_int_equal(keel_cache_free(&pts, pt.cptr, 0), KEEL_OK);
    assert_int_equal(calls() - before, 1); /* PageTable_Unmap */
    keel_model_cap_info info;
    keel_model_cap(pt.cptr, &info);
    assert_false(info.mapped);
    /* With the table gone, mapping a page there needs a page table again. */
    keel_cache_obj_t f2;
    assert_int_equal(keel_cache_alloc(&frames, 0, &f2), KEEL_OK);
    assert_int_equal(
        seL4_X86_Page_Map(f2.cptr, seL4_CapInitThreadVSpace, a + PAGE, seL4_ReadWrite, 0),
        seL4_FailedLookup);
    assert_int_equal(seL4_MappingFailedLookupLevel(), SEL4_MAPPING_LOOKUP_NO_PT);
    /* The same table, handed out again, maps again and is empty. */
    keel_cache_obj_t again;
    assert_int_equal(keel_cache_alloc(&pts, 0, &again), KEEL_OK);
    assert_int_equal(again.cptr, pt.cptr);
    assert_int_equal(seL4_X86_PageTable_Map(again.cptr, seL4_CapInitThreadVSpace, a, 0),
                     seL4_NoError);
    assert_int_equal(
        seL4_X86_Page_Map(f2.cptr, seL4_CapInitThreadVSpace, a + PAGE, seL4_ReadWrite, 0),
        seL4_NoError);
    /* A table with copies out there: unmapping needs the final cap, so REVOKE first. */
    seL4_CPtr copy;
    assert_int_equal(keel_cslot_alloc(&aw.cs, &copy), KEEL_OK);
    assert_int_equal(seL4_CNode_Copy(keel_cslot_root(&aw.cs), copy, keel_cslot_depth(&aw.cs),
                                     keel_cslot_root(&aw.cs), again.cptr, keel_cslot_depth(&aw.cs),
                                     seL4_AllRights),
                     seL4_NoError);
    assert_int_equal(keel_cache_free(&pts, again.cptr, 0), KEEL_EKERNEL); /* RevokeFirst */
    assert_int_equal(pts.kstat.last.error, seL4_RevokeFirst);
    assert_int_equal(keel_cache_free(&pts, again.cptr, KEEL_CACHE_REVOKE), KEEL_OK);
    keel_cslot_free(&aw.cs, copy);
    assert_int_equal(keel_cache_free(&frames, f.cptr, 0), KEEL_OK);
    assert_int_equal(keel_cache_free(&frames, f2.cptr, 0), KEEL_OK);
    check();
}

/* ---- TCBs ----------------------------------------------------------------------------------- */

static seL4_CPtr started, parked;
static volatile int runs;

static void parked_thread(seL4_Word arg)
{
    (void)arg;
    runs++;
    seL4_Signal(started);
    seL4_Word badge;
    seL4_Wait(parked, &badge); /* never signalled */
}

/* A cache TCB set up as a thread of the root task's CSpace and VSpace, and started at fn. */
static void start(seL4_CPtr tcb, uint8_t *ipc_va, seL4_CPtr ipc_frame, void (*fn)(seL4_Word))
{
    seL4_CNode cspace;
    seL4_Word data;
    keel_cslot_cspace(&aw.cs, &cspace, &data);
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cspace, data, seL4_CapInitThreadVSpace, 0,
                                        (seL4_Word)(uintptr_t)ipc_va, ipc_frame),
                     seL4_NoError);
    assert_int_equal(seL4_TCB_SetPriority(tcb, seL4_CapInitThreadTCB, seL4_MaxPrio), seL4_NoError);
    seL4_UserContext regs = {0};
    regs.rip = (seL4_Word)(uintptr_t)fn;
    assert_int_equal(seL4_TCB_WriteRegisters(tcb, 1, 0, sizeof(regs) / sizeof(seL4_Word), &regs),
                     seL4_NoError);
    seL4_Yield(); /* same priority: it runs now, signals, parks */
    seL4_Word badge;
    seL4_Wait(started, &badge);
    assert_int_equal(keel_model_tcb_state(tcb), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
}

static void tcbs_are_suspended_and_unbound(void **state)
{
    (void)state;
    started = take(&ntfns);
    parked = take(&ntfns);
    seL4_CPtr bound = take(&ntfns);
    uint8_t *ipc_va = keel_model_host_range(PAGE, 21);
    map_tables((seL4_Word)(uintptr_t)ipc_va, PAGE, false);
    seL4_CPtr ipc_frame = take(&frames);
    assert_int_equal(seL4_X86_Page_Map(ipc_frame, seL4_CapInitThreadVSpace,
                                       (seL4_Word)(uintptr_t)ipc_va, seL4_ReadWrite, 0),
                     seL4_NoError);
    runs = 0;
    keel_cache_obj_t t;
    assert_int_equal(keel_cache_alloc(&tcbs, 0, &t), KEEL_OK);
    start(t.cptr, ipc_va, ipc_frame, parked_thread);
    assert_int_equal(runs, 1);
    assert_int_equal(seL4_TCB_BindNotification(t.cptr, bound), seL4_NoError);
    /* Freeing stops the thread, unbinds it, zeroes its registers and its priorities: 4 calls. */
    uint64_t before = calls();
    assert_int_equal(keel_cache_free(&tcbs, t.cptr, 0), KEEL_OK);
    assert_int_equal(calls() - before, 4);
    assert_int_equal(keel_model_tcb_state(t.cptr), KEEL_MODEL_THREAD_INACTIVE);
    /* Its notification is free to bind elsewhere. */
    keel_cache_obj_t other;
    assert_int_equal(keel_cache_alloc(&tcbs, 0, &other), KEEL_OK);
    assert_int_equal(seL4_TCB_BindNotification(other.cptr, bound), seL4_NoError);
    assert_int_equal(seL4_TCB_UnbindNotification(other.cptr), seL4_NoError);
    assert_int_equal(keel_cache_free(&tcbs, other.cptr, 0), KEEL_OK);
    /* The same TCB, handed out again, runs again from the same entry point: its registers were
     * zeroed at free, so writing that rip starts the thread afresh (a thread whose registers
     * are written with the rip it already has would continue where it was: the model has no
     * program counter inside a function, docs/model-threads.md). */
    keel_cache_obj_t again;
    assert_int_equal(keel_cache_alloc(&tcbs, 0, &again), KEEL_OK);
    assert_int_equal(again.cptr, t.cptr);
    start(again.cptr, ipc_va, ipc_frame, parked_thread);
    assert_int_equal(runs, 2);
    assert_int_equal(keel_cache_free(&tcbs, again.cptr, 0), KEEL_OK);
    check();
}

/* ---- Fail-at-N: scrubbing through the window --------------------------------------------- */

static keel_cache_obj_t dirty, dirty2;

static void boot_frames(void)
{
    (void)setup(NULL);
}

/* Dirty frames, and every other frame of their slab taken: the next allocs must scrub them. */
static void prep_dirty(void)
{
    assert_int_equal(keel_cache_alloc(&frames, 0, &dirty), KEEL_OK);
    memset(keel_model_phys(dirty.paddr, PAGE), 0x5a, PAGE);
    assert_int_equal(keel_cache_free(&frames, dirty.cptr, 0), KEEL_OK);
    keel_cache_stats_t st;
    keel_cache_stats(&frames, &st);
    keel_cache_obj_t o;
    for (uint64_t i = 0; i < st.free; i++) {
        assert_int_equal(keel_cache_alloc(&frames, 0, &o), KEEL_OK);
    }
}

static keel_err_t op_alloc_dirty(void)
{
    keel_cache_obj_t o;
    keel_err_t err = keel_cache_alloc(&frames, 0, &o);
    if (err == KEEL_OK) {
        assert_int_equal(o.cptr, dirty.cptr);
        assert_true(keel_model_phys_is_zero(o.paddr, PAGE));
    }
    return err;
}

static void prep_two_dirty(void)
{
    assert_int_equal(keel_cache_alloc(&frames, 0, &dirty2), KEEL_OK);
    memset(keel_model_phys(dirty2.paddr, PAGE), 0xa5, PAGE);
    assert_int_equal(keel_cache_free(&frames, dirty2.cptr, 0), KEEL_OK);
    prep_dirty();
}

/* Both, whichever order they come in: a failed unmap of one must not block the other. */
static keel_err_t op_alloc_two_dirty(void)
{
    keel_cache_stats_t st;
    keel_cache_stats(&frames, &st);
    while (st.dirty > 0) {
        keel_cache_obj_t o;
        keel_err_t err = keel_cache_alloc(&frames, 0, &o);
        if (err != KEEL_OK) {
            return err;
        }
        assert_true(o.cptr == dirty.cptr || o.cptr == dirty2.cptr);
        assert_true(keel_model_phys_is_zero(o.paddr, PAGE));
        keel_cache_stats(&frames, &st);
    }
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(dirty.cptr, &info), 0);
    assert_false(info.mapped); /* handed out unmapped, the new owner can map it anywhere */
    assert_int_equal(keel_model_cap(dirty2.cptr, &info), 0);
    assert_false(info.mapped);
    return KEEL_OK;
}

static void dirty_frame_still_dirty(void)
{
    keel_cache_stats_t st;
    keel_cache_stats(&frames, &st);
    assert_true(st.dirty >= 1); /* not handed out unscrubbed */
}

static void a_failed_scrub_is_clean_and_retried(void **state)
{
    (void)state;
    alloc_world_teardown(NULL);
    fail_at_n_case_t c = {.name = "alloc of a dirty frame (scrub: map, unmap)",
                          .boot = boot_frames,
                          .prep = prep_dirty,
                          .op = op_alloc_dirty,
                          .check = check,
                          .after_failure = dirty_frame_still_dirty};
    assert_int_equal(fail_at_n(&c), 2);
    c.name = "allocs of two dirty frames";
    c.prep = prep_two_dirty;
    c.op = op_alloc_two_dirty;
    assert_int_equal(fail_at_n(&c), 4);
    (void)setup(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(frames_are_unmapped_and_scrubbed, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(without_a_scrubber_slabs_are_remade, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(large_frames_are_scrubbed_through_a_large_window, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(page_tables_are_unmapped_and_zeroed, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(tcbs_are_suspended_and_unbound, setup,
                                        alloc_world_teardown),
        cmocka_unit_test_setup_teardown(a_failed_scrub_is_clean_and_retried, setup,
                                        alloc_world_teardown),
    };
    return cmocka_run_group_tests_name("alloc.cache_reset", tests, NULL, NULL);
}
