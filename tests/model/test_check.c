/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel_model_check() against broken worlds it must reject. Most invariants can only be broken
 * from inside the model, so this file, alone among the tests, includes the model's internal
 * header (model/src/kernel.h) and edits the kernel state directly, under the kernel lock:
 * each case breaks one invariant, expects the check to name it, repairs it and expects the
 * check to pass again. The first case shows worlds that look odd but are legal.
 *
 * The invariants here: the registries of stateful objects (endpoints, notifications, CNodes,
 * TCBs, paging structures, ASID pools) are well-linked lists exactly as long as the live
 * counts; every cap that points to an object points to a live one of its kind; every live
 * object is named by at least one cap of its type (the kernel destroys an object with its last
 * cap, §4.6, §7.2).
 */
#include "../../model/src/kernel.h"
#include "conf.h"

static seL4_BootInfo *bi;
static seL4_CPtr u, e;

static int setup(void **state)
{
    (void)state;
    bi = conf_boot(&u, &e); /* u: 64 KiB of RAM */
    return 0;
}

static void expect_rejected(const char *file, int line, const char *what)
{
    char msg[256];
    if (keel_model_check(msg, sizeof(msg)) != -1) {
        fail_msg("%s:%d: the check passed a world with %s", file, line, what);
    }
    if (strstr(msg, what) == NULL) {
        fail_msg("%s:%d: the check said \"%s\", expected \"%s\"", file, line, msg, what);
    }
}

#define EXPECT_REJECTED(what) expect_rejected(__FILE__, __LINE__, what)

/* The slot a CPtr names in the root thread's CSpace (the caller holds the kernel lock). */
static struct cte *slot_of(seL4_CPtr cptr)
{
    struct cte *slot = NULL;
    struct lookup_fault lf;
    if (!lookup_slot(host_self, cptr, &slot, &lf)) {
        kernel_unlock();
        fail_msg("CPtr %#lx does not resolve", cptr);
    }
    return slot;
}

static struct kobj *obj_of(seL4_CPtr cptr)
{
    kernel_lock();
    struct kobj *o = slot_of(cptr)->cap.obj;
    kernel_unlock();
    return o;
}

static void legal_worlds_pass(void **state)
{
    (void)state;
    MODEL_CHECK();
    /* One object of each stateful kind, an ASID pool of our own, a started-never TCB. */
    const seL4_Word types[] = {
        seL4_EndpointObject,      seL4_NotificationObject,      seL4_TCBObject,
        seL4_X86_PageTableObject, seL4_X86_PageDirectoryObject, seL4_X86_PDPTObject,
        seL4_X64_PML4Object};
    for (size_t i = 0; i < CONF_ARRAY_LEN(types); i++) {
        EXPECT_OK(conf_retype(u, types[i], 0, e + i, 1));
    }
    EXPECT_OK(conf_retype(u, seL4_UntypedObject, seL4_ASIDPoolBits, e + 10, 1));
    EXPECT_OK(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, e + 10, CONF_ROOT, e + 11, 64));
    MODEL_CHECK();
    /* A CNode whose only cap sits in one of its own slots is unreachable but alive: its own
     * slot names it. */
    EXPECT_OK(conf_retype(u, seL4_CapTableObject, 2, e + 12, 1));
    EXPECT_OK(seL4_CNode_Copy(e + 12, 0, 2, CONF_ROOT, e + 12, 64, seL4_AllRights));
    size_t cnodes = keel_model_object_count(seL4_CapTableObject);
    EXPECT_OK(conf_delete(e + 12));
    assert_int_equal(keel_model_object_count(seL4_CapTableObject), cnodes);
    MODEL_CHECK();
    /* Revoking the untyped destroys all of it. */
    EXPECT_OK(conf_revoke(u));
    assert_int_equal(keel_model_object_count(seL4_CapTableObject), cnodes - 1);
    MODEL_CHECK();
}

static void a_count_that_disagrees_with_its_registry(void **state)
{
    (void)state;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    kernel_lock();
    ks.obj_count[seL4_EndpointObject]++;
    kernel_unlock();
    EXPECT_REJECTED("the endpoint registry holds 1 records, 2 recorded live");
    kernel_lock();
    ks.obj_count[seL4_EndpointObject] -= 2;
    kernel_unlock();
    EXPECT_REJECTED("the endpoint registry holds more records than the 0 recorded live");
    kernel_lock();
    ks.obj_count[seL4_EndpointObject]++;
    kernel_unlock();
    MODEL_CHECK();
    /* A registry that loops back on itself is caught, not walked for ever. */
    EXPECT_OK(conf_retype(u, seL4_NotificationObject, 0, e + 1, 2));
    kernel_lock();
    struct kobj *first = ks.objects[seL4_NotificationObject];
    struct kobj *last = first->next;
    last->next = first;
    kernel_unlock();
    EXPECT_REJECTED("the notification registry holds more records than the 2 recorded live");
    kernel_lock();
    last->next = NULL;
    first->prev = last;
    kernel_unlock();
    EXPECT_REJECTED("the notification registry is broken");
    kernel_lock();
    first->prev = NULL;
    kernel_unlock();
    MODEL_CHECK();
}

static void an_object_without_caps(void **state)
{
    (void)state;
    const struct {
        seL4_Word type, size_bits;
        const char *name;
    } kinds[] = {
        {seL4_EndpointObject, 0, "endpoint"},
        {seL4_NotificationObject, 0, "notification"},
        {seL4_CapTableObject, 3, "cnode"},
        {seL4_TCBObject, 0, "tcb"},
        {seL4_X86_PageTableObject, 0, "page table"},
        {seL4_X86_PageDirectoryObject, 0, "page directory"},
        {seL4_X86_PDPTObject, 0, "pdpt"},
        {seL4_X64_PML4Object, 0, "pml4"},
    };
    for (size_t i = 0; i < CONF_ARRAY_LEN(kinds); i++) {
        EXPECT_OK(conf_retype(u, kinds[i].type, kinds[i].size_bits, e, 1));
        seL4_Word paddr = conf_cap(e).paddr;
        /* Empty the slot without finalising: the object stays registered, named by nothing. */
        kernel_lock();
        struct cte *slot = slot_of(e);
        struct kobj *o = slot->cap.obj;
        cte_empty(slot);
        kernel_unlock();
        char what[96];
        (void)snprintf(what, sizeof(what), "a live %s at %#lx is named by no cap", kinds[i].name,
                       (unsigned long)paddr);
        EXPECT_REJECTED(what);
        /* Destroying it as its last cap's deletion would have repairs the world. */
        kernel_lock();
        obj_destroy(o);
        kernel_reap();
        kernel_unlock();
        MODEL_CHECK();
        EXPECT_OK(conf_revoke(u));
    }
}

static void a_cap_to_an_object_that_is_not_live(void **state)
{
    (void)state;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    EXPECT_OK(conf_copy(e + 1, e, seL4_AllRights));
    struct kobj *o = obj_of(e);
    /* Take the endpoint out of its registry (as its destruction would) and leave its caps. */
    kernel_lock();
    ks.objects[seL4_EndpointObject] = o->next;
    if (o->next != NULL) {
        o->next->prev = NULL;
    }
    ks.obj_count[seL4_EndpointObject]--;
    bool emptied = ks.objects[seL4_EndpointObject] == NULL;
    kernel_unlock();
    assert_true(emptied);
    EXPECT_REJECTED("a cap of type endpoint points to an object that is not live");
    kernel_lock();
    obj_register(o, seL4_EndpointObject, o->paddr, o->size_bits);
    kernel_unlock();
    MODEL_CHECK();
    /* A cap pointing to a live object of another kind. */
    EXPECT_OK(conf_retype(u, seL4_NotificationObject, 0, e + 2, 1));
    struct kobj *n = obj_of(e + 2);
    kernel_lock();
    slot_of(e + 1)->cap.obj = n;
    kernel_unlock();
    EXPECT_REJECTED("a cap of type endpoint points to a live notification");
    kernel_lock();
    slot_of(e + 1)->cap.obj = o;
    kernel_unlock();
    MODEL_CHECK();
    /* A reply cap names a TCB: the root thread's master reply cap, pointed elsewhere. */
    kernel_lock();
    struct cte *master = &host_self->slots[TCB_REPLY];
    assert_int_equal(master->cap.type, KEEL_MODEL_CAP_REPLY);
    struct kobj *tcb = master->cap.obj;
    master->cap.obj = o;
    kernel_unlock();
    EXPECT_REJECTED("a cap of type reply points to a live endpoint");
    kernel_lock();
    master->cap.obj = tcb;
    kernel_unlock();
    MODEL_CHECK();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(legal_worlds_pass, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(a_count_that_disagrees_with_its_registry, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(an_object_without_caps, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(a_cap_to_an_object_that_is_not_live, setup, conf_teardown),
    };
    return cmocka_run_group_tests_name("model.check", tests, NULL, NULL);
}
