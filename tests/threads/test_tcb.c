/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TCB invocations (sel4-semantics §11, §11.1): Configure/SetSpace/SetIPCBuffer checks in
 * order, priorities and MCPs, Read/Write/CopyRegisters with the kernel's counts and
 * sanitising, SetTLSBase, and how a started thread finds its IPC buffer.
 */
#include <string.h>

#include "thread_test.h"

static seL4_CPtr done;

static seL4_Word label_of(seL4_MessageInfo_t info)
{
    return seL4_MessageInfo_get_label(info);
}

static void configure_checks_in_order(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr tcb = tt_new(seL4_TCBObject, 0);
    seL4_CPtr frame = tt_new(seL4_X86_4K, 0);
    seL4_CPtr ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr cn = seL4_CapInitThreadCNode, vs = seL4_CapInitThreadVSpace;
    /* Too few words or caps. */
    seL4_SetCap(0, cn);
    seL4_SetCap(1, vs);
    seL4_MessageInfo_t r = seL4_Call(tcb, seL4_MessageInfo_new(TCBConfigure, 0, 2, 4));
    assert_int_equal(label_of(r), seL4_TruncatedMessage);
    /* The IPC buffer first: not a frame, a device frame, unaligned. */
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, 0x10000, ep), seL4_IllegalOperation);
    seL4_CPtr dev = tt_new_from(model_test_untyped(tt_bi, 12, true), seL4_X86_4K, 0);
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, 0x10000, dev), seL4_IllegalOperation);
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, 0x10200, frame), seL4_AlignmentError);
    /* Address 0: the frame cap is not even looked at (§11 correction). */
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, 0, ep), seL4_NoError);
    /* CSpace must be a CNode, VSpace a PML4 with an ASID. */
    assert_int_equal(seL4_TCB_Configure(tcb, 0, ep, 0, vs, 0, 0x10400, frame),
                     seL4_IllegalOperation);
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, 0, ep, 0, 0x10400, frame),
                     seL4_IllegalOperation);
    seL4_CPtr pml4 = tt_new(seL4_X64_PML4Object, 0);
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, 0, pml4, 0, 0x10400, frame),
                     seL4_IllegalOperation);
    /* A guard that does not fit (guard size + radix > 64) makes the CSpace cap empty. */
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, seL4_CNode_CapData_new(0, 60).words[0], vs, 0,
                                        0x10400, frame),
                     seL4_IllegalOperation);
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, 0x10400, frame), seL4_NoError);
    /* The TCB's own copies are CDT children of the caps given. */
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(frame, &info), 0);
    assert_true(info.has_children);
    /* Long-running delete: the TCB's CSpace slot holds the last cap of a CNode. The buffer
     * checks still come first. */
    seL4_CPtr own = tt_new(seL4_CapTableObject, 4);
    assert_int_equal(seL4_TCB_SetSpace(tcb, 0, own, 0, vs, 0), seL4_NoError);
    assert_int_equal(seL4_CNode_Delete(seL4_CapInitThreadCNode, own, 64), seL4_NoError);
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, 0x10200, frame), seL4_AlignmentError);
    assert_int_equal(seL4_TCB_Configure(tcb, 0, cn, 0, vs, 0, 0x10400, frame),
                     seL4_IllegalOperation);
    assert_int_equal(seL4_TCB_SetSpace(tcb, 0, cn, 0, vs, 0), seL4_IllegalOperation);
    /* SetIPCBuffer: the same buffer checks; 0 clears. */
    assert_int_equal(seL4_TCB_SetIPCBuffer(tcb, 0x10200, frame), seL4_AlignmentError);
    assert_int_equal(seL4_TCB_SetIPCBuffer(tcb, 0x10000, ep), seL4_IllegalOperation);
    assert_int_equal(seL4_TCB_SetIPCBuffer(tcb, 0, ep), seL4_NoError);
    assert_int_equal(seL4_TCB_SetIPCBuffer(tcb, 0x10000, frame), seL4_NoError);
    r = seL4_Call(tcb, seL4_MessageInfo_new(TCBSetIPCBuffer, 0, 0, 1));
    assert_int_equal(label_of(r), seL4_TruncatedMessage);
    /* Unknown label. */
    r = seL4_Call(tcb, seL4_MessageInfo_new(CNodeCopy, 0, 0, 0));
    assert_int_equal(label_of(r), seL4_IllegalOperation);
    MODEL_CHECK();
    keel_model_shutdown();
}

static void priorities_and_mcps(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr t = tt_thread_new("t", 10, 0);
    seL4_CPtr auth = tt_thread_new("auth", 10, 0);
    seL4_CPtr ep = tt_new(seL4_EndpointObject, 0);
    /* Authority must be a TCB; no authority cap is TruncatedMessage. */
    assert_int_equal(seL4_TCB_SetPriority(t, ep, 5), seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    seL4_SetMR(0, 5);
    seL4_MessageInfo_t r = seL4_Call(t, seL4_MessageInfo_new(TCBSetPriority, 0, 0, 1));
    assert_int_equal(label_of(r), seL4_TruncatedMessage);
    /* A new TCB has MCP 0: it can authorise nothing above 0. */
    assert_int_equal(seL4_TCB_SetPriority(t, auth, 1), seL4_RangeError);
    assert_int_equal(MR(0), 0);
    assert_int_equal(MR(1), 0);
    assert_int_equal(seL4_TCB_SetPriority(t, auth, 0), seL4_NoError);
    assert_int_equal(seL4_TCB_SetMCPriority(auth, seL4_CapInitThreadTCB, 100), seL4_NoError);
    assert_int_equal(seL4_TCB_SetPriority(t, auth, 101), seL4_RangeError);
    assert_int_equal(MR(1), 100);
    assert_int_equal(seL4_TCB_SetPriority(t, auth, 100), seL4_NoError);
    assert_int_equal(seL4_TCB_SetPriority(t, seL4_CapInitThreadTCB, 256), seL4_RangeError);
    assert_int_equal(MR(1), 255);
    /* SetSchedParams: the MCP is checked before the priority, both against the authority. */
    assert_int_equal(seL4_TCB_SetSchedParams(t, auth, 101, 0), seL4_RangeError);
    assert_int_equal(seL4_TCB_SetSchedParams(t, auth, 50, 101), seL4_RangeError);
    assert_int_equal(seL4_TCB_SetSchedParams(t, auth, 50, 60), seL4_NoError);
    /* Now t's MCP is 50: as an authority it allows up to 50. */
    assert_int_equal(seL4_TCB_SetMCPriority(auth, t, 51), seL4_RangeError);
    assert_int_equal(seL4_TCB_SetMCPriority(auth, t, 50), seL4_NoError);
    keel_model_shutdown();
}

static void registers(void **state)
{
    (void)state;
    tt_boot();
    seL4_CPtr t = tt_thread_new("t", 10, 0);
    seL4_UserContext regs;
    /* A new TCB: all zero but rflags 0x202 (§11.1). */
    memset(&regs, 0xaa, sizeof(regs));
    assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 20, &regs), seL4_NoError);
    seL4_UserContext expect;
    memset(&expect, 0, sizeof(expect));
    expect.rflags = 0x202;
    assert_memory_equal(&regs, &expect, sizeof(regs));
    /* Counts 1..20; not on the caller's own TCB. */
    assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 0, &regs), seL4_RangeError);
    assert_int_equal(MR(0), 1);
    assert_int_equal(MR(1), 20);
    assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 21, &regs), seL4_RangeError);
    assert_int_equal(seL4_TCB_WriteRegisters(t, false, 0, 0, &regs), seL4_RangeError);
    assert_int_equal(seL4_TCB_WriteRegisters(t, false, 0, 21, &regs), seL4_RangeError);
    assert_int_equal(seL4_TCB_ReadRegisters(seL4_CapInitThreadTCB, false, 0, 20, &regs),
                     seL4_IllegalOperation);
    assert_int_equal(seL4_TCB_WriteRegisters(seL4_CapInitThreadTCB, false, 0, 20, &regs),
                     seL4_IllegalOperation);
    seL4_MessageInfo_t r = seL4_Call(t, seL4_MessageInfo_new(TCBReadRegisters, 0, 0, 1));
    assert_int_equal(label_of(r), seL4_TruncatedMessage);
    seL4_SetMR(1, 20);
    r = seL4_Call(t, seL4_MessageInfo_new(TCBWriteRegisters, 0, 0, 10)); /* 8 < 20 values */
    assert_int_equal(label_of(r), seL4_TruncatedMessage);
    /* Sanitising: rflags, and non-canonical rip/fs_base/gs_base become 0. */
    seL4_Word *w = (seL4_Word *)&regs;
    for (unsigned i = 0; i < 20; i++) {
        w[i] = 0x1000 + i;
    }
    regs.rflags = 0xffffffffffffffffull;
    regs.rip = 0x0000800000000000ull;
    regs.fs_base = 0xffff7fffffffffffull;
    regs.gs_base = 0xffff800000000000ull; /* canonical (high half): kept */
    assert_int_equal(seL4_TCB_WriteRegisters(t, false, 0, 20, &regs), seL4_NoError);
    seL4_UserContext back;
    assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 20, &back), seL4_NoError);
    assert_int_equal(back.rflags, (0xffffffffffffffffull | 0x202) & ~0x128ull & 0xfff);
    assert_int_equal(back.rip, 0);
    assert_int_equal(back.fs_base, 0);
    assert_int_equal(back.gs_base, 0xffff800000000000ull);
    assert_int_equal(back.rsp, 0x1001);
    assert_int_equal(back.rdi, 0x1008);
    assert_int_equal(back.r15, 0x1011);
    /* A count writes only the first registers; a read of n returns n words. */
    memset(&regs, 0, sizeof(regs));
    regs.rip = 0x4000;
    regs.rsp = 0x5000;
    assert_int_equal(seL4_TCB_WriteRegisters(t, false, 0, 2, &regs), seL4_NoError);
    seL4_SetMR(0, 0);
    seL4_SetMR(1, 3);
    r = seL4_Call(t, seL4_MessageInfo_new(TCBReadRegisters, 0, 0, 2));
    assert_int_equal(label_of(r), 0);
    assert_int_equal(seL4_MessageInfo_get_length(r), 3);
    assert_int_equal(seL4_GetMR(0), 0x4000);
    assert_int_equal(seL4_GetMR(1), 0x5000);
    assert_int_equal(seL4_GetMR(2), back.rflags);
    assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 20, &back), seL4_NoError);
    assert_int_equal(back.rax, 0x1003);
    /* SetTLSBase sets fs_base, as ReadRegisters shows. */
    assert_int_equal(seL4_TCB_SetTLSBase(t, 0x7000), seL4_NoError);
    assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 20, &back), seL4_NoError);
    assert_int_equal(back.fs_base, 0x7000);
    keel_model_shutdown();
}

static seL4_CPtr blocked_ep;

static void block_in_recv(seL4_Word arg)
{
    (void)arg;
    seL4_Word badge;
    (void)seL4_Recv(blocked_ep, &badge);
}

/* A thread blocked in a syscall shows its syscall registers; ReadRegisters may suspend it. */
static void registers_of_a_blocked_thread(void **state)
{
    (void)state;
    tt_boot();
    blocked_ep = tt_new(seL4_EndpointObject, 0);
    seL4_CPtr t = tt_thread("t", block_in_recv, 0, 100);
    tt_let_others_run();
    seL4_UserContext regs;
    assert_int_equal(seL4_TCB_ReadRegisters(t, false, 0, 20, &regs), seL4_NoError);
    assert_int_equal(regs.rip, (seL4_Word)(uintptr_t)block_in_recv);
    assert_int_equal(regs.rdi, blocked_ep);
    assert_int_equal(regs.rsi, 0);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_BLOCKED_ON_RECEIVE);
    assert_int_equal(seL4_TCB_ReadRegisters(t, true, 0, 20, &regs), seL4_NoError);
    assert_int_equal(tt_state(t), KEEL_MODEL_THREAD_INACTIVE);
    keel_model_shutdown();
}

static void log_arg(seL4_Word arg)
{
    tt_log("started with %lx", (unsigned long)arg);
    seL4_Signal(done);
}

static void copy_registers(void **state)
{
    (void)state;
    tt_boot();
    done = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr src = tt_thread_new("src", 100, 0);
    seL4_CPtr dst = tt_thread_new("dst", 100, 0);
    seL4_CPtr ep = tt_new(seL4_EndpointObject, 0);
    seL4_UserContext regs;
    memset(&regs, 0, sizeof(regs));
    regs.rip = (seL4_Word)(uintptr_t)log_arg;
    regs.rdi = 0xabc;
    regs.fs_base = 0x1234;
    assert_int_equal(seL4_TCB_WriteRegisters(src, false, 0, 20, &regs), seL4_NoError);
    assert_int_equal(seL4_TCB_CopyRegisters(dst, ep, false, false, true, true, 0),
                     seL4_InvalidCapability);
    assert_int_equal(MR(0), 1);
    seL4_MessageInfo_t r = seL4_Call(dst, seL4_MessageInfo_new(TCBCopyRegisters, 0, 0, 1));
    assert_int_equal(label_of(r), seL4_TruncatedMessage);
    /* Integer registers only (fs_base, gs_base). */
    assert_int_equal(seL4_TCB_CopyRegisters(dst, src, false, false, false, true, 0), seL4_NoError);
    seL4_UserContext back;
    assert_int_equal(seL4_TCB_ReadRegisters(dst, false, 0, 20, &back), seL4_NoError);
    assert_int_equal(back.fs_base, 0x1234);
    assert_int_equal(back.rip, 0);
    /* Frame registers and resume the target: it starts at the copied rip with the copied rdi. */
    assert_int_equal(seL4_TCB_CopyRegisters(dst, src, false, true, true, false, 0), seL4_NoError);
    (void)tt_wait(done);
    assert_string_equal(tt_transcript(), "started with abc\n");
    /* Suspend the source. */
    assert_int_equal(seL4_TCB_Resume(src), seL4_NoError);
    assert_int_equal(tt_state(src), KEEL_MODEL_THREAD_RESTART);
    assert_int_equal(seL4_TCB_CopyRegisters(dst, src, true, false, false, false, 0), seL4_NoError);
    assert_int_equal(tt_state(src), KEEL_MODEL_THREAD_INACTIVE);
    keel_model_shutdown();
}

static seL4_IPCBuffer *seen_buffer;
static seL4_Word seen_arg;

static void report_buffer(seL4_Word arg)
{
    seen_buffer = seL4_GetIPCBuffer();
    seen_arg = arg;
    seL4_SetMR(0, 77); /* the buffer is usable */
    seL4_Signal(done);
}

static void report_no_buffer(seL4_Word arg)
{
    seen_buffer = seL4_GetIPCBuffer();
    seen_arg = arg;
    seL4_Signal(done);
}

/* A started thread runs rip(rdi) with __sel4_ipc_buffer at its kernel-registered buffer. */
static void thread_start_and_its_ipc_buffer(void **state)
{
    (void)state;
    tt_boot();
    done = tt_new(seL4_NotificationObject, 0);
    seL4_CPtr frame = tt_new(seL4_X86_4K, 0);
    seL4_CPtr t = tt_new(seL4_TCBObject, 0);
    assert_int_equal(seL4_TCB_Configure(t, 0, seL4_CapInitThreadCNode, 0, seL4_CapInitThreadVSpace,
                                        0, 0x20000c00, frame),
                     seL4_NoError);
    assert_int_equal(seL4_TCB_SetPriority(t, seL4_CapInitThreadTCB, 100), seL4_NoError);
    tt_thread_start(t, report_buffer, 0x5555);
    (void)tt_wait(done);
    seL4_X86_Page_GetAddress_t pa = seL4_X86_Page_GetAddress(frame);
    assert_int_equal(pa.error, 0);
    assert_ptr_equal(seen_buffer, keel_model_phys(pa.paddr + 0xc00, sizeof(seL4_IPCBuffer)));
    assert_int_equal(seen_buffer->msg[0], 77);
    assert_int_equal(seen_arg, 0x5555);
    /* Without a registered buffer it starts with none. */
    assert_int_equal(seL4_TCB_SetIPCBuffer(t, 0, seL4_CapNull), seL4_NoError);
    tt_thread_start(t, report_no_buffer, 1);
    (void)tt_wait(done);
    assert_null(seen_buffer);
    keel_model_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(configure_checks_in_order),
        cmocka_unit_test(priorities_and_mcps),
        cmocka_unit_test(registers),
        cmocka_unit_test(registers_of_a_blocked_thread),
        cmocka_unit_test(copy_registers),
        cmocka_unit_test(thread_start_and_its_ipc_buffer),
    };
    return cmocka_run_group_tests_name("threads.tcb", tests, NULL, NULL);
}
