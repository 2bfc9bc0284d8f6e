/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The user side of libsel4 on the model: the system-call wrappers and the invocation stubs.
 *
 * They do what libsel4's x86_64 wrappers and generated stubs do (§2.2, §2.10, §8.5): MR0..MR3
 * travel in "registers" (struct syscall_regs), further words and extra-cap CPtrs through the
 * caller's IPC buffer; a stub's error is the reply label and its detail words are copied from
 * the registers into msg[0..3]. Only kernel_syscall() crosses into the kernel.
 */
#include <string.h>

#include "kernel.h"

_Thread_local seL4_IPCBuffer *__sel4_ipc_buffer;

/* ---- System calls ------------------------------------------------------------------------- */

static seL4_MessageInfo_t enter(seL4_Syscall_ID sys, seL4_CPtr dest, seL4_MessageInfo_t info,
                                seL4_Word mr[4], seL4_Word *badge)
{
    struct syscall_regs r = {.cptr_or_badge = dest, .info = info.words[0]};
    memcpy(r.mr, mr, sizeof(r.mr));
    kernel_syscall(sys, &r);
    memcpy(mr, r.mr, sizeof(r.mr));
    if (badge != NULL) {
        *badge = r.cptr_or_badge;
    }
    seL4_MessageInfo_t out = {{r.info}};
    return out;
}

static void load_mrs(seL4_Word mr[4])
{
    for (int i = 0; i < 4; i++) {
        mr[i] = seL4_GetMR(i);
    }
}

static void store_mrs(const seL4_Word mr[4])
{
    for (int i = 0; i < 4; i++) {
        seL4_SetMR(i, mr[i]);
    }
}

/* The WithMRs variants take MRi from *mri only if the message is long enough to carry it. */
static void load_given(seL4_Word mr[4], seL4_MessageInfo_t info, seL4_Word *const given[4])
{
    seL4_Word len = seL4_MessageInfo_get_length(info);
    for (unsigned i = 0; i < 4; i++) {
        mr[i] = (given[i] != NULL && len > i) ? *given[i] : 0;
    }
}

static void store_given(const seL4_Word mr[4], seL4_Word *const given[4])
{
    for (unsigned i = 0; i < 4; i++) {
        if (given[i] != NULL) {
            *given[i] = mr[i];
        }
    }
}

void seL4_Send(seL4_CPtr dest, seL4_MessageInfo_t msgInfo)
{
    seL4_Word mr[4];
    load_mrs(mr);
    enter(seL4_SysSend, dest, msgInfo, mr, NULL);
}

void seL4_SendWithMRs(seL4_CPtr dest, seL4_MessageInfo_t msgInfo, seL4_Word *mr0, seL4_Word *mr1,
                      seL4_Word *mr2, seL4_Word *mr3)
{
    seL4_Word *const given[4] = {mr0, mr1, mr2, mr3};
    seL4_Word mr[4];
    load_given(mr, msgInfo, given);
    enter(seL4_SysSend, dest, msgInfo, mr, NULL);
}

void seL4_NBSend(seL4_CPtr dest, seL4_MessageInfo_t msgInfo)
{
    seL4_Word mr[4];
    load_mrs(mr);
    enter(seL4_SysNBSend, dest, msgInfo, mr, NULL);
}

void seL4_NBSendWithMRs(seL4_CPtr dest, seL4_MessageInfo_t msgInfo, seL4_Word *mr0, seL4_Word *mr1,
                        seL4_Word *mr2, seL4_Word *mr3)
{
    seL4_Word *const given[4] = {mr0, mr1, mr2, mr3};
    seL4_Word mr[4];
    load_given(mr, msgInfo, given);
    enter(seL4_SysNBSend, dest, msgInfo, mr, NULL);
}

void seL4_Reply(seL4_MessageInfo_t msgInfo)
{
    seL4_Word mr[4];
    load_mrs(mr);
    enter(seL4_SysReply, 0, msgInfo, mr, NULL);
}

void seL4_ReplyWithMRs(seL4_MessageInfo_t msgInfo, seL4_Word *mr0, seL4_Word *mr1, seL4_Word *mr2,
                       seL4_Word *mr3)
{
    seL4_Word *const given[4] = {mr0, mr1, mr2, mr3};
    seL4_Word mr[4];
    load_given(mr, msgInfo, given);
    enter(seL4_SysReply, 0, msgInfo, mr, NULL);
}

void seL4_Signal(seL4_CPtr dest)
{
    seL4_Word mr[4] = {0};
    enter(seL4_SysSend, dest, seL4_MessageInfo_new(0, 0, 0, 1), mr, NULL);
}

seL4_MessageInfo_t seL4_Recv(seL4_CPtr src, seL4_Word *sender)
{
    seL4_Word mr[4] = {0};
    seL4_MessageInfo_t info =
        enter(seL4_SysRecv, src, seL4_MessageInfo_new(0, 0, 0, 0), mr, sender);
    store_mrs(mr);
    return info;
}

seL4_MessageInfo_t seL4_RecvWithMRs(seL4_CPtr src, seL4_Word *sender, seL4_Word *mr0,
                                    seL4_Word *mr1, seL4_Word *mr2, seL4_Word *mr3)
{
    seL4_Word *const given[4] = {mr0, mr1, mr2, mr3};
    seL4_Word mr[4] = {0};
    seL4_MessageInfo_t info =
        enter(seL4_SysRecv, src, seL4_MessageInfo_new(0, 0, 0, 0), mr, sender);
    store_given(mr, given);
    return info;
}

seL4_MessageInfo_t seL4_NBRecv(seL4_CPtr src, seL4_Word *sender)
{
    seL4_Word mr[4] = {0};
    seL4_MessageInfo_t info =
        enter(seL4_SysNBRecv, src, seL4_MessageInfo_new(0, 0, 0, 0), mr, sender);
    store_mrs(mr);
    return info;
}

seL4_MessageInfo_t seL4_Call(seL4_CPtr dest, seL4_MessageInfo_t msgInfo)
{
    seL4_Word mr[4];
    load_mrs(mr);
    seL4_MessageInfo_t info = enter(seL4_SysCall, dest, msgInfo, mr, NULL);
    store_mrs(mr);
    return info;
}

seL4_MessageInfo_t seL4_CallWithMRs(seL4_CPtr dest, seL4_MessageInfo_t msgInfo, seL4_Word *mr0,
                                    seL4_Word *mr1, seL4_Word *mr2, seL4_Word *mr3)
{
    seL4_Word *const given[4] = {mr0, mr1, mr2, mr3};
    seL4_Word mr[4];
    load_given(mr, msgInfo, given);
    seL4_MessageInfo_t info = enter(seL4_SysCall, dest, msgInfo, mr, NULL);
    store_given(mr, given);
    return info;
}

seL4_MessageInfo_t seL4_ReplyRecv(seL4_CPtr dest, seL4_MessageInfo_t msgInfo, seL4_Word *sender)
{
    seL4_Word mr[4];
    load_mrs(mr);
    seL4_MessageInfo_t info = enter(seL4_SysReplyRecv, dest, msgInfo, mr, sender);
    store_mrs(mr);
    return info;
}

seL4_MessageInfo_t seL4_ReplyRecvWithMRs(seL4_CPtr dest, seL4_MessageInfo_t msgInfo,
                                         seL4_Word *sender, seL4_Word *mr0, seL4_Word *mr1,
                                         seL4_Word *mr2, seL4_Word *mr3)
{
    seL4_Word *const given[4] = {mr0, mr1, mr2, mr3};
    seL4_Word mr[4];
    load_given(mr, msgInfo, given);
    seL4_MessageInfo_t info = enter(seL4_SysReplyRecv, dest, msgInfo, mr, sender);
    store_given(mr, given);
    return info;
}

void seL4_Yield(void)
{
    seL4_Word mr[4] = {0};
    enter(seL4_SysYield, 0, seL4_MessageInfo_new(0, 0, 0, 0), mr, NULL);
}

void seL4_Wait(seL4_CPtr src, seL4_Word *sender)
{
    seL4_Recv(src, sender);
}

seL4_MessageInfo_t seL4_Poll(seL4_CPtr src, seL4_Word *sender)
{
    return seL4_NBRecv(src, sender);
}

/* ---- Invocation stubs ------------------------------------------------------------------------ */

/*
 * One invocation: `len` message words of which the first four are in mr[], the rest already
 * in the IPC buffer; `extra` extra caps already in caps_or_badges. On error the detail words
 * are left in msg[0..3] as the generated stubs leave them.
 */
static seL4_Error invoke(seL4_CPtr service, seL4_Word label, seL4_Word extra, seL4_Word len,
                         seL4_Word mr[4])
{
    seL4_MessageInfo_t tag = seL4_MessageInfo_new(label, 0, extra, len);
    seL4_MessageInfo_t out = seL4_CallWithMRs(service, tag, &mr[0], &mr[1], &mr[2], &mr[3]);
    seL4_Error result = (seL4_Error)seL4_MessageInfo_get_label(out);
    if (result != seL4_NoError) {
        store_mrs(mr);
    }
    return result;
}

seL4_Error seL4_Untyped_Retype(seL4_Untyped _service, seL4_Word type, seL4_Word size_bits,
                               seL4_CNode root, seL4_Word node_index, seL4_Word node_depth,
                               seL4_Word node_offset, seL4_Word num_objects)
{
    seL4_SetCap(0, root);
    seL4_Word mr[4] = {type, size_bits, node_index, node_depth};
    seL4_SetMR(4, node_offset);
    seL4_SetMR(5, num_objects);
    return invoke(_service, UntypedRetype, 1, 6, mr);
}

/* TCB */

static const seL4_Word *user_context_words(const seL4_UserContext *regs)
{
    return (const seL4_Word *)regs;
}

seL4_Error seL4_TCB_ReadRegisters(seL4_TCB _service, seL4_Bool suspend_source,
                                  seL4_Uint8 arch_flags, seL4_Word count, seL4_UserContext *regs)
{
    seL4_Word mr[4] = {((seL4_Word)(seL4_Uint8)suspend_source) | ((seL4_Word)arch_flags << 8),
                       count, 0, 0};
    seL4_Error result = invoke(_service, TCBReadRegisters, 0, 2, mr);
    if (result == seL4_NoError) {
        seL4_Word *out = (seL4_Word *)regs;
        for (unsigned i = 0; i < sizeof(*regs) / sizeof(seL4_Word); i++) {
            out[i] = i < 4 ? mr[i] : seL4_GetMR((int)i);
        }
    }
    return result;
}

seL4_Error seL4_TCB_WriteRegisters(seL4_TCB _service, seL4_Bool resume_target,
                                   seL4_Uint8 arch_flags, seL4_Word count, seL4_UserContext *regs)
{
    const seL4_Word *words = user_context_words(regs);
    unsigned n = sizeof(*regs) / sizeof(seL4_Word);
    seL4_Word mr[4] = {((seL4_Word)(seL4_Uint8)resume_target) | ((seL4_Word)arch_flags << 8), count,
                       words[0], words[1]};
    for (unsigned i = 2; i < n; i++) {
        seL4_SetMR((int)(i + 2), words[i]);
    }
    return invoke(_service, TCBWriteRegisters, 0, n + 2, mr);
}

seL4_Error seL4_TCB_CopyRegisters(seL4_TCB _service, seL4_TCB source, seL4_Bool suspend_source,
                                  seL4_Bool resume_target, seL4_Bool transfer_frame,
                                  seL4_Bool transfer_integer, seL4_Uint8 arch_flags)
{
    seL4_SetCap(0, source);
    /* seL4_Bool parameters are packed one bit each, as the generated stub packs them. */
    seL4_Word mr[4] = {((seL4_Word)suspend_source & 1) | (((seL4_Word)resume_target & 1) << 1) |
                           (((seL4_Word)transfer_frame & 1) << 2) |
                           (((seL4_Word)transfer_integer & 1) << 3) | ((seL4_Word)arch_flags << 8),
                       0, 0, 0};
    return invoke(_service, TCBCopyRegisters, 1, 1, mr);
}

seL4_Error seL4_TCB_Configure(seL4_TCB _service, seL4_Word fault_ep, seL4_CNode cspace_root,
                              seL4_Word cspace_root_data, seL4_CPtr vspace_root,
                              seL4_Word vspace_root_data, seL4_Word buffer, seL4_CPtr bufferFrame)
{
    seL4_SetCap(0, cspace_root);
    seL4_SetCap(1, vspace_root);
    seL4_SetCap(2, bufferFrame);
    seL4_Word mr[4] = {fault_ep, cspace_root_data, vspace_root_data, buffer};
    return invoke(_service, TCBConfigure, 3, 4, mr);
}

seL4_Error seL4_TCB_SetPriority(seL4_TCB _service, seL4_TCB authority, seL4_Word priority)
{
    seL4_SetCap(0, authority);
    seL4_Word mr[4] = {priority, 0, 0, 0};
    return invoke(_service, TCBSetPriority, 1, 1, mr);
}

seL4_Error seL4_TCB_SetMCPriority(seL4_TCB _service, seL4_TCB authority, seL4_Word mcp)
{
    seL4_SetCap(0, authority);
    seL4_Word mr[4] = {mcp, 0, 0, 0};
    return invoke(_service, TCBSetMCPriority, 1, 1, mr);
}

seL4_Error seL4_TCB_SetSchedParams(seL4_TCB _service, seL4_TCB authority, seL4_Word mcp,
                                   seL4_Word priority)
{
    seL4_SetCap(0, authority);
    seL4_Word mr[4] = {mcp, priority, 0, 0};
    return invoke(_service, TCBSetSchedParams, 1, 2, mr);
}

seL4_Error seL4_TCB_SetIPCBuffer(seL4_TCB _service, seL4_Word buffer, seL4_CPtr bufferFrame)
{
    seL4_SetCap(0, bufferFrame);
    seL4_Word mr[4] = {buffer, 0, 0, 0};
    return invoke(_service, TCBSetIPCBuffer, 1, 1, mr);
}

seL4_Error seL4_TCB_SetSpace(seL4_TCB _service, seL4_Word fault_ep, seL4_CNode cspace_root,
                             seL4_Word cspace_root_data, seL4_CPtr vspace_root,
                             seL4_Word vspace_root_data)
{
    seL4_SetCap(0, cspace_root);
    seL4_SetCap(1, vspace_root);
    seL4_Word mr[4] = {fault_ep, cspace_root_data, vspace_root_data, 0};
    return invoke(_service, TCBSetSpace, 2, 3, mr);
}

seL4_Error seL4_TCB_Suspend(seL4_TCB _service)
{
    seL4_Word mr[4] = {0};
    return invoke(_service, TCBSuspend, 0, 0, mr);
}

seL4_Error seL4_TCB_Resume(seL4_TCB _service)
{
    seL4_Word mr[4] = {0};
    return invoke(_service, TCBResume, 0, 0, mr);
}

seL4_Error seL4_TCB_BindNotification(seL4_TCB _service, seL4_CPtr notification)
{
    seL4_SetCap(0, notification);
    seL4_Word mr[4] = {0};
    return invoke(_service, TCBBindNotification, 1, 0, mr);
}

seL4_Error seL4_TCB_UnbindNotification(seL4_TCB _service)
{
    seL4_Word mr[4] = {0};
    return invoke(_service, TCBUnbindNotification, 0, 0, mr);
}

seL4_Error seL4_TCB_SetTLSBase(seL4_TCB _service, seL4_Word tls_base)
{
    seL4_Word mr[4] = {tls_base, 0, 0, 0};
    return invoke(_service, TCBSetTLSBase, 0, 1, mr);
}

/* CNode */

static seL4_Error cnode_slot_op(seL4_CNode service, seL4_Word label, seL4_Word index,
                                seL4_Uint8 depth)
{
    seL4_Word mr[4] = {index, depth, 0, 0};
    return invoke(service, label, 0, 2, mr);
}

seL4_Error seL4_CNode_Revoke(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth)
{
    return cnode_slot_op(_service, CNodeRevoke, index, depth);
}

seL4_Error seL4_CNode_Delete(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth)
{
    return cnode_slot_op(_service, CNodeDelete, index, depth);
}

seL4_Error seL4_CNode_CancelBadgedSends(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth)
{
    return cnode_slot_op(_service, CNodeCancelBadgedSends, index, depth);
}

seL4_Error seL4_CNode_SaveCaller(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth)
{
    return cnode_slot_op(_service, CNodeSaveCaller, index, depth);
}

seL4_Error seL4_CNode_Copy(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                           seL4_CapRights_t rights)
{
    seL4_SetCap(0, src_root);
    seL4_Word mr[4] = {dest_index, dest_depth, src_index, src_depth};
    seL4_SetMR(4, rights.words[0]);
    return invoke(_service, CNodeCopy, 1, 5, mr);
}

seL4_Error seL4_CNode_Mint(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                           seL4_CapRights_t rights, seL4_Word badge)
{
    seL4_SetCap(0, src_root);
    seL4_Word mr[4] = {dest_index, dest_depth, src_index, src_depth};
    seL4_SetMR(4, rights.words[0]);
    seL4_SetMR(5, badge);
    return invoke(_service, CNodeMint, 1, 6, mr);
}

seL4_Error seL4_CNode_Move(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth)
{
    seL4_SetCap(0, src_root);
    seL4_Word mr[4] = {dest_index, dest_depth, src_index, src_depth};
    return invoke(_service, CNodeMove, 1, 4, mr);
}

seL4_Error seL4_CNode_Mutate(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                             seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                             seL4_Word badge)
{
    seL4_SetCap(0, src_root);
    seL4_Word mr[4] = {dest_index, dest_depth, src_index, src_depth};
    seL4_SetMR(4, badge);
    return invoke(_service, CNodeMutate, 1, 5, mr);
}

seL4_Error seL4_CNode_Rotate(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                             seL4_Word dest_badge, seL4_CNode pivot_root, seL4_Word pivot_index,
                             seL4_Uint8 pivot_depth, seL4_Word pivot_badge, seL4_CNode src_root,
                             seL4_Word src_index, seL4_Uint8 src_depth)
{
    seL4_SetCap(0, pivot_root);
    seL4_SetCap(1, src_root);
    seL4_Word mr[4] = {dest_index, dest_depth, dest_badge, pivot_index};
    seL4_SetMR(4, pivot_depth);
    seL4_SetMR(5, pivot_badge);
    seL4_SetMR(6, src_index);
    seL4_SetMR(7, src_depth);
    return invoke(_service, CNodeRotate, 2, 8, mr);
}

/* x86_64 paging */

static seL4_Error table_map(seL4_CPtr service, seL4_Word label, seL4_CPtr vspace, seL4_Word vaddr,
                            seL4_X86_VMAttributes attr)
{
    seL4_SetCap(0, vspace);
    seL4_Word mr[4] = {vaddr, (seL4_Word)attr, 0, 0};
    return invoke(service, label, 1, 2, mr);
}

static seL4_Error no_args(seL4_CPtr service, seL4_Word label)
{
    seL4_Word mr[4] = {0};
    return invoke(service, label, 0, 0, mr);
}

seL4_Error seL4_X86_PDPT_Map(seL4_X86_PDPT _service, seL4_X64_PML4 pml4, seL4_Word vaddr,
                             seL4_X86_VMAttributes attr)
{
    return table_map(_service, X86PDPTMap, pml4, vaddr, attr);
}

seL4_Error seL4_X86_PDPT_Unmap(seL4_X86_PDPT _service)
{
    return no_args(_service, X86PDPTUnmap);
}

seL4_Error seL4_X86_PageDirectory_Map(seL4_X86_PageDirectory _service, seL4_CPtr vspace,
                                      seL4_Word vaddr, seL4_X86_VMAttributes attr)
{
    return table_map(_service, X86PageDirectoryMap, vspace, vaddr, attr);
}

seL4_Error seL4_X86_PageDirectory_Unmap(seL4_X86_PageDirectory _service)
{
    return no_args(_service, X86PageDirectoryUnmap);
}

seL4_Error seL4_X86_PageTable_Map(seL4_X86_PageTable _service, seL4_CPtr vspace, seL4_Word vaddr,
                                  seL4_X86_VMAttributes attr)
{
    return table_map(_service, X86PageTableMap, vspace, vaddr, attr);
}

seL4_Error seL4_X86_PageTable_Unmap(seL4_X86_PageTable _service)
{
    return no_args(_service, X86PageTableUnmap);
}

seL4_Error seL4_X86_Page_Map(seL4_X86_Page _service, seL4_CPtr vspace, seL4_Word vaddr,
                             seL4_CapRights_t rights, seL4_X86_VMAttributes attr)
{
    seL4_SetCap(0, vspace);
    seL4_Word mr[4] = {vaddr, rights.words[0], (seL4_Word)attr, 0};
    return invoke(_service, X86PageMap, 1, 3, mr);
}

seL4_Error seL4_X86_Page_Unmap(seL4_X86_Page _service)
{
    return no_args(_service, X86PageUnmap);
}

seL4_X86_Page_GetAddress_t seL4_X86_Page_GetAddress(seL4_X86_Page _service)
{
    seL4_X86_Page_GetAddress_t result = {0, 0};
    seL4_Word mr[4] = {0};
    result.error = (int)invoke(_service, X86PageGetAddress, 0, 0, mr);
    if (result.error == seL4_NoError) {
        result.paddr = mr[0];
    }
    return result;
}

seL4_Error seL4_X86_ASIDControl_MakePool(seL4_X86_ASIDControl _service, seL4_Untyped untyped,
                                         seL4_CNode root, seL4_Word index, seL4_Uint8 depth)
{
    seL4_SetCap(0, untyped);
    seL4_SetCap(1, root);
    seL4_Word mr[4] = {index, depth, 0, 0};
    return invoke(_service, X86ASIDControlMakePool, 2, 2, mr);
}

seL4_Error seL4_X86_ASIDPool_Assign(seL4_X86_ASIDPool _service, seL4_CPtr vspace)
{
    seL4_SetCap(0, vspace);
    seL4_Word mr[4] = {0};
    return invoke(_service, X86ASIDPoolAssign, 1, 0, mr);
}
