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
 * cap, §4.6, §7.2); the kernel's own pointers between objects agree with each other: wait
 * queues and states of endpoints and notifications, notification bindings, the ready queues
 * and the scheduler, reply caps and the threads waiting for them, the ASID table. The cases for
 * the thread layer's state make it with real threads (tests/threads' support).
 */
#include "../../model/src/kernel.h"
#include "conf.h"
#include "thread_test.h"

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

/* ---- The kernel's pointers between objects --------------------------------------------------- */

static int setup_threads(void **state)
{
    (void)state;
    tt_boot();
    return 0;
}

static struct tcb *tcb_of(seL4_CPtr cptr)
{
    return (struct tcb *)obj_of(cptr);
}

static seL4_CPtr wait_on;

static void receive_once(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    (void)seL4_Recv(wait_on, &badge);
}

static void wait_once(seL4_Word arg)
{
    (void)arg;
    (void)tt_wait(wait_on);
}

static void endpoint_queues(void **state)
{
    (void)state;
    seL4_CPtr ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr other = tt_new(seL4_EndpointObject, 0);
    wait_on = ep;
    seL4_CPtr r0 = tt_thread("r0", receive_once, 0, 100);
    tt_let_others_run();
    seL4_CPtr r1 = tt_thread("r1", receive_once, 0, 100);
    tt_let_others_run();
    assert_int_equal(tt_state(r1), KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE);
    MODEL_CHECK();
    struct endpoint *e_ = (struct endpoint *)obj_of(ep);
    struct tcb *t0 = tcb_of(r0), *t1 = tcb_of(r1);
    struct kobj *elsewhere = obj_of(other);
    kernel_lock();
    bool ok1 = e_->head == t0 && e_->tail == t1 && e_->state == EP_RECV;
    kernel_unlock(); /* never fail with the lock held */
    assert_true(ok1);
    kernel_lock();
    e_->state = EP_IDLE;
    kernel_unlock();
    EXPECT_REJECTED("is idle with a non-empty queue");
    kernel_lock();
    e_->state = EP_SEND;
    kernel_unlock();
    EXPECT_REJECTED("queues thread 'r0', which is blocked on receive");
    kernel_lock();
    e_->state = EP_RECV;
    t1->blocked_on = elsewhere;
    kernel_unlock();
    EXPECT_REJECTED("queues thread 'r1', which is blocked on receive on another object");
    kernel_lock();
    t1->blocked_on = &e_->hdr;
    t1->q_prev = NULL;
    kernel_unlock();
    EXPECT_REJECTED("has a broken queue at thread 'r1'");
    kernel_lock();
    t1->q_prev = t0;
    t1->q_next = t0; /* a cycle */
    kernel_unlock();
    EXPECT_REJECTED("queues thread 'r0', which is already in a wait queue");
    kernel_lock();
    t1->q_next = NULL;
    e_->tail = t0;
    kernel_unlock();
    EXPECT_REJECTED("has a broken queue: its tail is not its last thread");
    kernel_lock();
    e_->tail = t1;
    tcb_queue_remove(&e_->head, &e_->tail, t1); /* out of the queue, still blocked */
    kernel_unlock();
    EXPECT_REJECTED("thread 'r1' is blocked on receive but in no such object's queue");
    kernel_lock();
    t1->state = TS_INACTIVE;
    t1->q_next = t0;
    kernel_unlock();
    EXPECT_REJECTED("thread 'r1' is in no wait queue but has queue links");
    kernel_lock();
    t1->state = TS_BLOCKED_ON_RECEIVE;
    t1->q_next = NULL;
    tcb_queue_append(&e_->head, &e_->tail, t1);
    kernel_unlock();
    MODEL_CHECK();
    seL4_Send(ep, seL4_MessageInfo_new(0, 0, 0, 0));
    seL4_Send(ep, seL4_MessageInfo_new(0, 0, 0, 0));
    tt_let_others_run();
    assert_int_equal(tt_state(r0), KEEL_MODEL_THREAD_INACTIVE);
    MODEL_CHECK();
}

static void notification_queues_and_bindings(void **state)
{
    (void)state;
    seL4_CPtr ntfn = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr bound = tt_new(seL4_NotificationObject, 0);
    wait_on = ntfn;
    seL4_CPtr w = tt_thread("w", wait_once, 0, 100);
    EXPECT_OK(seL4_TCB_BindNotification(w, bound));
    tt_let_others_run();
    assert_int_equal(tt_state(w), KEEL_MODEL_THREAD_BLOCKED_ON_NOTIFICATION);
    MODEL_CHECK();
    struct notification *n = (struct notification *)obj_of(ntfn);
    struct notification *b = (struct notification *)obj_of(bound);
    struct tcb *t = tcb_of(w);
    kernel_lock();
    bool ok2 = n->state == NTFN_WAITING && n->head == t && b->bound == t && t->bound == b;
    kernel_unlock(); /* never fail with the lock held */
    assert_true(ok2);
    kernel_lock();
    n->state = NTFN_ACTIVE;
    kernel_unlock();
    EXPECT_REJECTED("is active with a non-empty queue");
    kernel_lock();
    n->state = NTFN_WAITING;
    t->state = TS_BLOCKED_ON_RECEIVE;
    kernel_unlock();
    EXPECT_REJECTED("queues thread 'w', which is blocked on receive");
    kernel_lock();
    t->state = TS_BLOCKED_ON_NOTIFICATION;
    b->bound = NULL;
    kernel_unlock();
    EXPECT_REJECTED("thread 'w' is bound to a notification bound elsewhere");
    kernel_lock();
    b->bound = t;
    t->bound = NULL;
    kernel_unlock();
    EXPECT_REJECTED("is bound to thread 'w', which is not bound to it");
    kernel_lock();
    t->bound = b;
    kernel_unlock();
    MODEL_CHECK();
    /* An Idle or Active notification has an empty queue. */
    seL4_Signal(bound);
    MODEL_CHECK();
    seL4_Signal(ntfn);
    tt_let_others_run();
    assert_int_equal(tt_state(w), KEEL_MODEL_THREAD_INACTIVE);
    MODEL_CHECK();
    kernel_lock();
    n->state = NTFN_WAITING;
    kernel_unlock();
    EXPECT_REJECTED("is waiting with an empty queue");
    kernel_lock();
    n->state = NTFN_IDLE;
    kernel_unlock();
    MODEL_CHECK();
}

static void spin(seL4_Word arg)
{
    (void)arg;
}

static void ready_queues_and_the_scheduler(void **state)
{
    (void)state;
    /* Below the root thread's priority: started, it waits in ready queue 10. */
    seL4_CPtr low = tt_thread("low", spin, 0, 10);
    assert_int_equal(tt_state(low), KEEL_MODEL_THREAD_RESTART);
    MODEL_CHECK();
    struct tcb *t = tcb_of(low);
    kernel_lock();
    bool ok3 = t->queued && ks.ready[10].head == t;
    kernel_unlock(); /* never fail with the lock held */
    assert_true(ok3);
    kernel_lock();
    ks.ready_bitmap[0] &= ~BIT(10);
    kernel_unlock();
    EXPECT_REJECTED("the ready bitmap says priority 10 is empty, its ready queue is not empty");
    kernel_lock();
    ks.ready_bitmap[0] |= BIT(10);
    t->queued = false;
    kernel_unlock();
    EXPECT_REJECTED("ready queue 10 holds thread 'low' (priority 10, not marked queued");
    kernel_lock();
    t->queued = true;
    t->state = TS_INACTIVE;
    kernel_unlock();
    EXPECT_REJECTED("ready queue 10 holds thread 'low' (priority 10, marked queued, inactive)");
    kernel_lock();
    t->state = TS_RESTART;
    t->priority = 11;
    kernel_unlock();
    EXPECT_REJECTED("ready queue 10 holds thread 'low' (priority 11");
    kernel_lock();
    t->priority = 10;
    sched_dequeue(t); /* runnable, yet nowhere the scheduler looks */
    kernel_unlock();
    EXPECT_REJECTED("thread 'low' is restart but neither current, queued nor about to run");
    kernel_lock();
    sched_append(t);
    sched_append(host_self);
    kernel_unlock();
    EXPECT_REJECTED("the current thread 'rootserver' is in a ready queue");
    kernel_lock();
    sched_dequeue(host_self);
    ks.ready[10].tail = NULL;
    kernel_unlock();
    EXPECT_REJECTED("ready queue 10 is broken: its tail is not its last thread");
    kernel_lock();
    ks.ready[10].tail = t;
    t->run_prev = t;
    kernel_unlock();
    EXPECT_REJECTED("ready queue 10 is broken at thread 'low'");
    kernel_lock();
    t->run_prev = NULL;
    ks.action = SCHED_SWITCH_TO;
    kernel_unlock();
    EXPECT_REJECTED("the scheduler's candidate is unset with a switch pending");
    kernel_lock();
    ks.action = SCHED_RESUME_CURRENT;
    kernel_unlock();
    MODEL_CHECK();
    tt_let_others_run();
    tt_let_others_run(); /* still below: it has not run */
    assert_int_equal(tt_state(low), KEEL_MODEL_THREAD_RESTART);
    MODEL_CHECK();
}

static void call_once(seL4_Word arg)
{
    (void)arg;
    (void)seL4_Call(wait_on, seL4_MessageInfo_new(0, 0, 0, 0));
}

static void reply_caps(void **state)
{
    (void)state;
    seL4_CPtr ep = tt_new(seL4_EndpointObject, 0);
    wait_on = ep;
    seL4_CPtr c = tt_thread("client", call_once, 0, 100);
    tt_let_others_run();
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_BLOCKED_ON_SEND);
    seL4_Word badge;
    (void)seL4_Recv(ep, &badge);
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);
    MODEL_CHECK();
    struct tcb *client = tcb_of(c);
    kernel_lock();
    struct cte *caller = &host_self->slots[TCB_CALLER];
    bool ok4 = caller->cap.type == KEEL_MODEL_CAP_REPLY && caller->cap.obj == &client->hdr;
    kernel_unlock(); /* never fail with the lock held */
    assert_true(ok4);
    kernel_lock();
    client->state = TS_INACTIVE;
    kernel_unlock();
    EXPECT_REJECTED("a reply cap names thread 'client', which is inactive, not blocked on reply");
    kernel_lock();
    client->state = TS_BLOCKED_ON_REPLY;
    caller->cap.flags |= CAPF_MASTER;
    kernel_unlock();
    EXPECT_REJECTED("thread 'rootserver' (running) holds a master reply cap in its caller slot");
    kernel_lock();
    caller->cap.flags &= (uint8_t)~CAPF_MASTER;
    struct cte *master = &client->slots[TCB_REPLY];
    master->cap.obj = &host_self->hdr;
    kernel_unlock();
    EXPECT_REJECTED("thread 'client' holds a reply cap that is not its master reply cap");
    kernel_lock();
    master->cap.obj = &client->hdr;
    /* The reply cap's place: right after the master. Put the root's own master between. */
    struct cte *root_master = &host_self->slots[TCB_REPLY];
    struct cte *saved_prev = root_master->prev, *saved_next = root_master->next;
    bool ok5 = saved_prev == NULL && saved_next == NULL;
    kernel_unlock(); /* never fail with the lock held */
    assert_true(ok5);
    kernel_lock();
    master->next = root_master;
    root_master->prev = master;
    root_master->next = caller;
    caller->prev = root_master;
    kernel_unlock();
    EXPECT_REJECTED("a reply cap to thread 'client' does not follow its master reply cap");
    kernel_lock();
    master->next = caller;
    caller->prev = master;
    root_master->prev = saved_prev;
    root_master->next = saved_next;
    kernel_unlock();
    MODEL_CHECK();
    seL4_Reply(seL4_MessageInfo_new(0, 0, 0, 0));
    tt_let_others_run();
    assert_int_equal(tt_state(c), KEEL_MODEL_THREAD_INACTIVE);
    MODEL_CHECK();
}

static void asid_table_and_pools(void **state)
{
    (void)state;
    EXPECT_OK(conf_retype(u, seL4_UntypedObject, seL4_ASIDPoolBits, e, 1));
    EXPECT_OK(seL4_X86_ASIDControl_MakePool(seL4_CapASIDControl, e, CONF_ROOT, e + 1, 64));
    EXPECT_OK(conf_retype(u, seL4_X64_PML4Object, 0, e + 2, 1));
    EXPECT_OK(seL4_X86_ASIDPool_Assign(e + 1, e + 2));
    EXPECT_OK(conf_copy(e + 3, e + 2, seL4_AllRights));
    MODEL_CHECK();
    struct asid_pool *pool = (struct asid_pool *)obj_of(e + 1);
    struct paging *pml4 = (struct paging *)obj_of(e + 2);
    struct kobj *ep = NULL;
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e + 4, 1));
    ep = obj_of(e + 4);
    kernel_lock();
    word_t index = pool->base >> seL4_ASIDPoolIndexBits;
    bool ok6 = index == 1 && ks.asid_table[1] == pool && pool->vspaces[0] == pml4;
    kernel_unlock(); /* never fail with the lock held */
    assert_true(ok6);
    kernel_lock();
    struct cte *copy = slot_of(e + 3);
    copy->cap.asid = 0x201;
    kernel_unlock();
    EXPECT_REJECTED("has ASID 0x200 but a cap to it says 0x201");
    kernel_lock();
    copy->cap.asid = 0x200;
    pool->vspaces[1] = (struct paging *)ep;
    kernel_unlock();
    EXPECT_REJECTED("ASID 0x201 maps an object that is not a live PML4");
    kernel_lock();
    pool->vspaces[1] = pml4;
    kernel_unlock();
    EXPECT_REJECTED("ASID 0x201 maps a PML4 that another ASID maps too");
    kernel_lock();
    pool->vspaces[1] = NULL;
    struct asid_pool *boot_pool = ks.asid_table[0];
    struct paging *root_vspace = boot_pool->vspaces[1];
    boot_pool->vspaces[0] = root_vspace;
    kernel_unlock();
    EXPECT_REJECTED("ASID 0 maps something: ASID 0 is never assigned");
    kernel_lock();
    boot_pool->vspaces[0] = NULL;
    pool->base = 0x400;
    kernel_unlock();
    EXPECT_REJECTED("has base 0x400 but sits in ASID table entry 1");
    kernel_lock();
    pool->base = 0x200;
    ks.asid_table[1] = NULL;
    kernel_unlock();
    EXPECT_REJECTED("is not in the ASID table");
    kernel_lock();
    ks.asid_table[1] = pool;
    ks.asid_table[2] = (struct asid_pool *)ep;
    kernel_unlock();
    EXPECT_REJECTED("ASID table entry 2 holds an object that is not a live ASID pool");
    kernel_lock();
    ks.asid_table[2] = NULL;
    ks.root_vspace = (struct paging *)ep;
    kernel_unlock();
    EXPECT_REJECTED("the root VSpace is not a live PML4");
    kernel_lock();
    ks.root_vspace = root_vspace;
    kernel_unlock();
    MODEL_CHECK();
    /* A PML4 cap keeps its ASID after its pool is gone (as on seL4): legal. */
    EXPECT_OK(conf_delete(e + 1));
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
        cmocka_unit_test_setup_teardown(endpoint_queues, setup_threads, conf_teardown),
        cmocka_unit_test_setup_teardown(notification_queues_and_bindings, setup_threads,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(ready_queues_and_the_scheduler, setup_threads,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(reply_caps, setup_threads, conf_teardown),
        cmocka_unit_test_setup_teardown(asid_table_and_pools, setup, conf_teardown),
    };
    return cmocka_run_group_tests_name("model.check", tests, NULL, NULL);
}
