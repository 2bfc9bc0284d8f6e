/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Errors versus faults (sel4-semantics §2.2, §2.3): only seL4_Call gets errors, with the reply
 * layout of §2.1; a blocking send whose invoked or extra-cap CPtr cannot be looked up takes a
 * cap fault (the test fault hook catches it); NBSend drops everything; an empty slot is not a
 * lookup failure.
 */
#include "conf.h"

static seL4_BootInfo *bi;
static seL4_CPtr u, e;

#define UNRESOLVABLE (1ul << 20)

static int setup(void **state)
{
    (void)state;
    bi = conf_boot(&u, &e); /* u: 64 KiB of RAM */
    return 0;
}

static keel_model_counters counters(void)
{
    keel_model_counters c;
    keel_model_counters_get(&c);
    return c;
}

/* Load a Retype message (one object of `type` into root slot `slot`) into the IPC buffer. */
static seL4_MessageInfo_t retype_message(seL4_Word type, seL4_CPtr root, seL4_CPtr slot)
{
    seL4_SetMR(0, type);
    seL4_SetMR(1, 0);
    seL4_SetMR(2, 0);
    seL4_SetMR(3, 0);
    seL4_SetMR(4, slot);
    seL4_SetMR(5, 1);
    seL4_SetCap(0, root);
    return seL4_MessageInfo_new(UntypedRetype, 0, 1, 6);
}

static void invoked_cptr_lookup_failure_is_a_cap_fault(void **state)
{
    (void)state;
    keel_model_counters c0 = counters();
    EXPECT_CAP_FAULT(seL4_CNode_Delete(UNRESOLVABLE, 0, 64));
    assert_string_equal(model_test_last_fault.syscall, "seL4_Call");
    assert_int_equal(model_test_last_fault.cptr, UNRESOLVABLE);
    assert_false(model_test_last_fault.in_recv_phase);
    assert_int_equal(model_test_last_fault.lookup[0], seL4_GuardMismatch);
    assert_int_equal(model_test_last_fault.lookup[1], 64); /* bitsLeft */
    assert_int_equal(model_test_last_fault.lookup[2], 0);  /* the root cap's guard */
    assert_int_equal(model_test_last_fault.lookup[3], 52); /* its size */
    assert_string_equal(model_test_last_fault.thread, "rootserver");
    /* The report names the call, its label and which CPtr failed. */
    assert_int_equal(model_test_last_fault.invoked, UNRESOLVABLE);
    assert_int_equal(model_test_last_fault.extra_cap, -1);
    assert_int_equal(model_test_last_fault.label, CNodeDelete);
    assert_string_equal(model_test_last_fault.label_name, "CNodeDelete");
    assert_non_null(strstr(model_test_last_fault.message,
                           "seL4_Call (CNodeDelete) on CPtr 0x100000: the invoked CPtr failed to "
                           "resolve (guard mismatch, bits left 64)"));
    keel_model_counters c1 = counters();
    assert_int_equal(c1.faults, c0.faults + 1);
    assert_int_equal(c1.invocations, c0.invocations); /* nothing was invoked */
    assert_int_equal(c1.errors, c0.errors);
    /* seL4_Send (blocking) faults too. */
    EXPECT_CAP_FAULT(
        seL4_Send(UNRESOLVABLE | 5, retype_message(seL4_EndpointObject, CONF_ROOT, e)));
    assert_string_equal(model_test_last_fault.syscall, "seL4_Send");
    assert_int_equal(model_test_last_fault.cptr, UNRESOLVABLE | 5);
    assert_string_equal(model_test_last_fault.label_name, "UntypedRetype");
    assert_true(conf_is_empty(e));
    /* Label 0 names no invocation: the report gives the number. */
    EXPECT_CAP_FAULT(seL4_Send(UNRESOLVABLE, seL4_MessageInfo_new(0, 0, 0, 0)));
    assert_null(model_test_last_fault.label_name);
    assert_non_null(strstr(model_test_last_fault.message, "seL4_Send (label 0) on CPtr 0x100000"));
    /* A receive names the CPtr it was made on, without a label. */
    seL4_Word badge;
    EXPECT_CAP_FAULT(seL4_Recv(UNRESOLVABLE | 7, &badge));
    assert_string_equal(model_test_last_fault.syscall, "seL4_Recv");
    assert_true(model_test_last_fault.in_recv_phase);
    assert_int_equal(model_test_last_fault.invoked, UNRESOLVABLE | 7);
    assert_int_equal(model_test_last_fault.extra_cap, -1);
    assert_null(model_test_last_fault.label_name);
    assert_non_null(strstr(model_test_last_fault.message,
                           "seL4_Recv on CPtr 0x100007: the received-on CPtr failed to resolve "
                           "(guard mismatch, bits left 64) in the receive phase"));
    /* The thread is still usable afterwards. */
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
}

static void nbsend_drops_lookup_failures(void **state)
{
    (void)state;
    keel_model_counters c0 = counters();
    seL4_NBSend(UNRESOLVABLE, retype_message(seL4_EndpointObject, CONF_ROOT, e));
    /* An unresolvable extra cap with NBSend: nothing either. */
    seL4_NBSend(u, retype_message(seL4_EndpointObject, UNRESOLVABLE, e));
    keel_model_counters c1 = counters();
    assert_int_equal(c1.faults, c0.faults);
    assert_int_equal(c1.invocations, c0.invocations);
    assert_int_equal(c1.syscalls[-seL4_SysNBSend - 1], c0.syscalls[-seL4_SysNBSend - 1] + 2);
    assert_true(conf_is_empty(e));
}

static void empty_invoked_slot_is_an_error(void **state)
{
    (void)state;
    seL4_Word len = 99;
    const seL4_Word w[] = {0, 64};
    EXPECT_ERR(conf_call(e + 50, CNodeDelete, w, 2, 2, NULL, 0, 0, &len), seL4_InvalidCapability);
    EXPECT_MRS(0);
    assert_int_equal(len, 1);
    EXPECT_ERR_MRS(conf_retype(e + 50, seL4_EndpointObject, 0, e, 1), seL4_InvalidCapability, 0);
    EXPECT_ERR_MRS(seL4_CNode_Delete(seL4_CapNull, 0, 64), seL4_InvalidCapability, 0);
    seL4_X86_Page_GetAddress_t a = seL4_X86_Page_GetAddress(e + 50);
    assert_int_equal(a.error, seL4_InvalidCapability);
    /* With Send the error is thrown away, though it is counted. */
    keel_model_counters c0 = counters();
    seL4_Send(e + 50, retype_message(seL4_EndpointObject, CONF_ROOT, e));
    keel_model_counters c1 = counters();
    assert_int_equal(c1.errors, c0.errors + 1);
    assert_int_equal(c1.faults, c0.faults);
}

static void extra_cap_lookup_failure_is_a_cap_fault(void **state)
{
    (void)state;
    /* Copy's src_root, Retype's root: unresolvable extra-cap CPtrs fault (§13.2). */
    EXPECT_CAP_FAULT(seL4_CNode_Copy(CONF_ROOT, e, 64, UNRESOLVABLE, 5, 64, seL4_AllRights));
    assert_string_equal(model_test_last_fault.syscall, "seL4_Call");
    assert_int_equal(model_test_last_fault.cptr, UNRESOLVABLE);
    assert_int_equal(model_test_last_fault.lookup[0], seL4_GuardMismatch);
    assert_false(model_test_last_fault.in_recv_phase);
    /* The report tells the invoked CPtr from the extra cap that failed. */
    assert_int_equal(model_test_last_fault.invoked, CONF_ROOT);
    assert_int_equal(model_test_last_fault.extra_cap, 0);
    assert_int_equal(model_test_last_fault.label, CNodeCopy);
    assert_string_equal(model_test_last_fault.label_name, "CNodeCopy");
    assert_non_null(strstr(model_test_last_fault.message,
                           "seL4_Call (CNodeCopy) on CPtr 0x2: extra cap 0 (CPtr 0x100000) "
                           "failed to resolve (guard mismatch, bits left 64)"));
    EXPECT_CAP_FAULT(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, 1ul << 33, 0, 0, e, 1));
    assert_int_equal(model_test_last_fault.cptr, 1ul << 33);
    assert_int_equal(model_test_last_fault.invoked, u);
    assert_int_equal(model_test_last_fault.extra_cap, 0);
    assert_string_equal(model_test_last_fault.label_name, "UntypedRetype");
    EXPECT_CAP_FAULT(
        seL4_CNode_Rotate(CONF_ROOT, e, 64, 0, CONF_ROOT, e + 1, 64, 0, 1ul << 40, e + 2, 64));
    assert_int_equal(model_test_last_fault.cptr, 1ul << 40);
    assert_int_equal(model_test_last_fault.extra_cap, 1); /* Rotate's caps: dest root, pivot root */
    assert_non_null(strstr(model_test_last_fault.message,
                           "seL4_Call (CNodeRotate) on CPtr 0x2: extra cap 1 (CPtr "
                           "0x10000000000) failed to resolve"));
    EXPECT_CAP_FAULT(seL4_Send(u, retype_message(seL4_EndpointObject, UNRESOLVABLE, e)));
    assert_string_equal(model_test_last_fault.syscall, "seL4_Send");
    assert_int_equal(model_test_last_fault.extra_cap, 0);
    assert_true(conf_is_empty(e));
    /* The invoked CPtr is looked up first. */
    EXPECT_CAP_FAULT(
        seL4_CNode_Copy(UNRESOLVABLE | 1, e, 64, UNRESOLVABLE | 2, 5, 64, seL4_AllRights));
    assert_int_equal(model_test_last_fault.cptr, UNRESOLVABLE | 1);
    assert_int_equal(model_test_last_fault.invoked, UNRESOLVABLE | 1);
    assert_int_equal(model_test_last_fault.extra_cap, -1);
    /* Every extra cap the message claims is looked up, used or not; the others are not. */
    const seL4_Word w[] = {e, 64, seL4_CapDomain, 64, seL4_AllRights.words[0]};
    const seL4_CPtr caps[] = {CONF_ROOT, UNRESOLVABLE | 3};
    EXPECT_CAP_FAULT(conf_call(CONF_ROOT, CNodeCopy, w, 5, 5, caps, 2, 2, NULL));
    assert_int_equal(model_test_last_fault.cptr, UNRESOLVABLE | 3);
    assert_int_equal(model_test_last_fault.extra_cap, 1);
    assert_true(conf_is_empty(e));
    EXPECT_OK(conf_call(CONF_ROOT, CNodeCopy, w, 5, 5, caps, 2, 1, NULL));
    assert_int_equal(conf_cap(e).type, KEEL_MODEL_CAP_DOMAIN);
    /* A send to an endpoint looks its extra caps up too; its label is the message's own. */
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e + 10, 1));
    seL4_SetCap(0, UNRESOLVABLE);
    EXPECT_CAP_FAULT(seL4_Send(e + 10, seL4_MessageInfo_new(CNodeCopy, 0, 1, 0)));
    assert_int_equal(model_test_last_fault.invoked, e + 10);
    assert_int_equal(model_test_last_fault.extra_cap, 0);
    assert_int_equal(model_test_last_fault.label, CNodeCopy);
    assert_null(model_test_last_fault.label_name);
    char expect[96];
    (void)snprintf(expect, sizeof(expect), "seL4_Send (message label %d) on CPtr %#lx: extra cap 0",
                   CNodeCopy, (unsigned long)(e + 10));
    assert_non_null(strstr(model_test_last_fault.message, expect));
}

static void empty_extra_cap_reaches_the_type_checks(void **state)
{
    (void)state;
    seL4_CPtr empty = e + 50;
    EXPECT_ERR_MRS(seL4_CNode_Copy(CONF_ROOT, e, 64, empty, 5, 64, seL4_AllRights),
                   seL4_FailedLookup, 1, seL4_InvalidRoot);
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, empty, 0, 0, e, 1),
                   seL4_FailedLookup, 0, seL4_MissingCapability, 0);
    EXPECT_ERR_MRS(seL4_Untyped_Retype(u, seL4_EndpointObject, 0, empty, 0, 64, e, 1),
                   seL4_FailedLookup, 0, seL4_InvalidRoot);
    EXPECT_OK(conf_retype(u, seL4_X86_4K, 0, e + 1, 2));
    EXPECT_ERR_MRS(
        seL4_CNode_Rotate(CONF_ROOT, e, 64, 0, empty, e + 1, 64, 0, CONF_ROOT, e + 2, 64),
        seL4_FailedLookup, 1, seL4_InvalidRoot);
    /* Slot 0 (seL4_CapNull) is an ordinary empty slot. */
    EXPECT_ERR_MRS(seL4_CNode_Copy(CONF_ROOT, e, 64, seL4_CapNull, 5, 64, seL4_AllRights),
                   seL4_FailedLookup, 1, seL4_InvalidRoot);
}

static void send_performs_the_invocation(void **state)
{
    (void)state;
    /* Send and NBSend decode and perform, and return nothing. */
    seL4_Send(u, retype_message(seL4_EndpointObject, CONF_ROOT, e));
    assert_int_equal(conf_cap(e).type, KEEL_MODEL_CAP_ENDPOINT);
    seL4_NBSend(u, retype_message(seL4_NotificationObject, CONF_ROOT, e + 1));
    assert_int_equal(conf_cap(e + 1).type, KEEL_MODEL_CAP_NOTIFICATION);
    /* A failing Send leaves no error anywhere: the IPC buffer keeps what the caller wrote. */
    keel_model_counters c0 = counters();
    seL4_MessageInfo_t info = retype_message(seL4_EndpointObject, CONF_ROOT, e);
    seL4_SetMR(0, 12345);
    seL4_Send(u, info);
    assert_int_equal(seL4_GetMR(0), 12345);
    assert_int_equal(counters().errors, c0.errors + 1);
    /* A Call with the same message gets the error. */
    seL4_MessageInfo_t reply = seL4_Call(u, info);
    assert_int_equal(seL4_MessageInfo_get_label(reply), seL4_InvalidArgument);
    EXPECT_MRS(0);
}

static void error_reply_layout(void **state)
{
    (void)state;
    /* label = error, length = number of detail words, no caps, nothing unwrapped. */
    EXPECT_OK(conf_retype(u, seL4_EndpointObject, 0, e, 1));
    struct {
        seL4_Word label;
        seL4_Word w[6];
        seL4_Word len;
        seL4_CPtr dest;
        seL4_Error err;
        seL4_Word reply_len;
    } cases[] = {
        {UntypedRetype, {99, 0, 0, 0, e + 1, 1}, 6, u, seL4_InvalidArgument, 1},
        {CNodeDelete, {e, 0}, 2, e + 40, seL4_InvalidCapability, 1},
        {CNodeDelete, {0}, 2, u, seL4_IllegalOperation, 0},
        {CNodeDelete, {e, 0}, 2, CONF_ROOT, seL4_RangeError, 2},
        {CNodeDelete, {e, 8}, 2, CONF_ROOT, seL4_FailedLookup, 5},
        {CNodeDelete, {0, 60}, 2, CONF_ROOT, seL4_FailedLookup, 4},
        {CNodeCopy, {e + 1, 64, e + 2, 64, 0xf}, 5, CONF_ROOT, seL4_FailedLookup, 3},
        {CNodeDelete, {e}, 1, CONF_ROOT, seL4_TruncatedMessage, 0},
        {CNodeCopy, {e, 64, e, 64, 0xf}, 5, CONF_ROOT, seL4_DeleteFirst, 0},
        {UntypedRetype, {seL4_EndpointObject, 0, 0, 0, e + 1, 1}, 6, u, seL4_NotEnoughMemory, 1},
    };
    /* A 32 KiB untyped at 32 KiB fills u: any further retype from it lacks memory. */
    EXPECT_OK(conf_retype(u, seL4_UntypedObject, 15, e + 3, 1));
    for (size_t i = 0; i < CONF_ARRAY_LEN(cases); i++) {
        for (size_t k = 0; k < 6; k++) {
            seL4_SetMR((int)k, cases[i].w[k]);
        }
        seL4_SetCap(0, CONF_ROOT);
        seL4_MessageInfo_t reply =
            seL4_Call(cases[i].dest, seL4_MessageInfo_new(cases[i].label, 0, 1, cases[i].len));
        char what[64];
        (void)snprintf(what, sizeof(what), "error reply case %zu", i);
        conf_expect_error(__FILE__, __LINE__, what, seL4_MessageInfo_get_label(reply),
                          cases[i].err);
        assert_int_equal(seL4_MessageInfo_get_length(reply), cases[i].reply_len);
        assert_int_equal(seL4_MessageInfo_get_extraCaps(reply), 0);
        assert_int_equal(seL4_MessageInfo_get_capsUnwrapped(reply), 0);
    }
    /* A successful call with no output: the all-zero message info. */
    seL4_SetMR(0, e + 5);
    seL4_SetMR(1, 64);
    seL4_MessageInfo_t ok = seL4_Call(CONF_ROOT, seL4_MessageInfo_new(CNodeDelete, 0, 0, 2));
    assert_int_equal(ok.words[0], 0);
    /* GetAddress writes its own reply: one word. */
    EXPECT_OK(conf_retype(e + 3, seL4_X86_4K, 0, e + 6, 1));
    seL4_MessageInfo_t ga = seL4_Call(e + 6, seL4_MessageInfo_new(X86PageGetAddress, 0, 0, 0));
    assert_int_equal(seL4_MessageInfo_get_label(ga), 0);
    assert_int_equal(seL4_MessageInfo_get_length(ga), 1);
    assert_int_equal(seL4_GetMR(0), conf_cap(e + 6).paddr);
}

static void message_words_beyond_four_come_from_the_buffer(void **state)
{
    (void)state;
    /* Retype's offset and count are MR4 and MR5 (in the IPC buffer); a length above 120 is
     * cut to 120, which is still long enough. */
    seL4_MessageInfo_t info = retype_message(seL4_EndpointObject, CONF_ROOT, e + 7);
    seL4_SetMR(5, 2);
    info = seL4_MessageInfo_set_length(info, 127);
    seL4_MessageInfo_t reply = seL4_Call(u, info);
    assert_int_equal(seL4_MessageInfo_get_label(reply), 0);
    assert_int_equal(conf_cap(e + 7).type, KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(conf_cap(e + 8).type, KEEL_MODEL_CAP_ENDPOINT);
    assert_true(conf_is_empty(e + 9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(invoked_cptr_lookup_failure_is_a_cap_fault, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(nbsend_drops_lookup_failures, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(empty_invoked_slot_is_an_error, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(extra_cap_lookup_failure_is_a_cap_fault, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(empty_extra_cap_reaches_the_type_checks, setup,
                                        conf_teardown),
        cmocka_unit_test_setup_teardown(send_performs_the_invocation, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(error_reply_layout, setup, conf_teardown),
        cmocka_unit_test_setup_teardown(message_words_beyond_four_come_from_the_buffer, setup,
                                        conf_teardown),
    };
    return cmocka_run_group_tests_name("model.faults", tests, NULL, NULL);
}
