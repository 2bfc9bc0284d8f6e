/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel-object invocations with libsel4's names and signatures (x86_64, non-MCS). Each one
 * packs its arguments as libsel4's generated stubs do (sel4-semantics §2.10): cap arguments
 * after the invoked cap become extra caps, the rest are message words, MR0..MR3 in
 * "registers" and the rest in the IPC buffer; the error is the reply's label and its detail
 * words are left in the IPC buffer's msg[].
 */
#pragma once

#include <sel4/simple_types.h>
#include <sel4/shared_types.h>
#include <sel4/errors.h>
#include <sel4/functions.h>

/* Untyped */
seL4_Error seL4_Untyped_Retype(seL4_Untyped _service, seL4_Word type, seL4_Word size_bits,
                               seL4_CNode root, seL4_Word node_index, seL4_Word node_depth,
                               seL4_Word node_offset, seL4_Word num_objects);

/* TCB */
seL4_Error seL4_TCB_ReadRegisters(seL4_TCB _service, seL4_Bool suspend_source,
                                  seL4_Uint8 arch_flags, seL4_Word count, seL4_UserContext *regs);
seL4_Error seL4_TCB_WriteRegisters(seL4_TCB _service, seL4_Bool resume_target,
                                   seL4_Uint8 arch_flags, seL4_Word count, seL4_UserContext *regs);
seL4_Error seL4_TCB_CopyRegisters(seL4_TCB _service, seL4_TCB source, seL4_Bool suspend_source,
                                  seL4_Bool resume_target, seL4_Bool transfer_frame,
                                  seL4_Bool transfer_integer, seL4_Uint8 arch_flags);
seL4_Error seL4_TCB_Configure(seL4_TCB _service, seL4_Word fault_ep, seL4_CNode cspace_root,
                              seL4_Word cspace_root_data, seL4_CPtr vspace_root,
                              seL4_Word vspace_root_data, seL4_Word buffer, seL4_CPtr bufferFrame);
seL4_Error seL4_TCB_SetPriority(seL4_TCB _service, seL4_TCB authority, seL4_Word priority);
seL4_Error seL4_TCB_SetMCPriority(seL4_TCB _service, seL4_TCB authority, seL4_Word mcp);
seL4_Error seL4_TCB_SetSchedParams(seL4_TCB _service, seL4_TCB authority, seL4_Word mcp,
                                   seL4_Word priority);
seL4_Error seL4_TCB_SetIPCBuffer(seL4_TCB _service, seL4_Word buffer, seL4_CPtr bufferFrame);
seL4_Error seL4_TCB_SetSpace(seL4_TCB _service, seL4_Word fault_ep, seL4_CNode cspace_root,
                             seL4_Word cspace_root_data, seL4_CPtr vspace_root,
                             seL4_Word vspace_root_data);
seL4_Error seL4_TCB_Suspend(seL4_TCB _service);
seL4_Error seL4_TCB_Resume(seL4_TCB _service);
seL4_Error seL4_TCB_BindNotification(seL4_TCB _service, seL4_CPtr notification);
seL4_Error seL4_TCB_UnbindNotification(seL4_TCB _service);
seL4_Error seL4_TCB_SetTLSBase(seL4_TCB _service, seL4_Word tls_base);

/* CNode */
seL4_Error seL4_CNode_Revoke(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth);
seL4_Error seL4_CNode_Delete(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth);
seL4_Error seL4_CNode_CancelBadgedSends(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth);
seL4_Error seL4_CNode_Copy(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                           seL4_CapRights_t rights);
seL4_Error seL4_CNode_Mint(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                           seL4_CapRights_t rights, seL4_Word badge);
seL4_Error seL4_CNode_Move(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                           seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth);
seL4_Error seL4_CNode_Mutate(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                             seL4_CNode src_root, seL4_Word src_index, seL4_Uint8 src_depth,
                             seL4_Word badge);
seL4_Error seL4_CNode_Rotate(seL4_CNode _service, seL4_Word dest_index, seL4_Uint8 dest_depth,
                             seL4_Word dest_badge, seL4_CNode pivot_root, seL4_Word pivot_index,
                             seL4_Uint8 pivot_depth, seL4_Word pivot_badge, seL4_CNode src_root,
                             seL4_Word src_index, seL4_Uint8 src_depth);
seL4_Error seL4_CNode_SaveCaller(seL4_CNode _service, seL4_Word index, seL4_Uint8 depth);

/* x86_64 paging */
typedef struct seL4_X86_Page_GetAddress {
    int error;
    seL4_Word paddr;
} seL4_X86_Page_GetAddress_t;

seL4_Error seL4_X86_PDPT_Map(seL4_X86_PDPT _service, seL4_X64_PML4 pml4, seL4_Word vaddr,
                             seL4_X86_VMAttributes attr);
seL4_Error seL4_X86_PDPT_Unmap(seL4_X86_PDPT _service);
seL4_Error seL4_X86_PageDirectory_Map(seL4_X86_PageDirectory _service, seL4_CPtr vspace,
                                      seL4_Word vaddr, seL4_X86_VMAttributes attr);
seL4_Error seL4_X86_PageDirectory_Unmap(seL4_X86_PageDirectory _service);
seL4_Error seL4_X86_PageTable_Map(seL4_X86_PageTable _service, seL4_CPtr vspace, seL4_Word vaddr,
                                  seL4_X86_VMAttributes attr);
seL4_Error seL4_X86_PageTable_Unmap(seL4_X86_PageTable _service);
seL4_Error seL4_X86_Page_Map(seL4_X86_Page _service, seL4_CPtr vspace, seL4_Word vaddr,
                             seL4_CapRights_t rights, seL4_X86_VMAttributes attr);
seL4_Error seL4_X86_Page_Unmap(seL4_X86_Page _service);
seL4_X86_Page_GetAddress_t seL4_X86_Page_GetAddress(seL4_X86_Page _service);
seL4_Error seL4_X86_ASIDControl_MakePool(seL4_X86_ASIDControl _service, seL4_Untyped untyped,
                                         seL4_CNode root, seL4_Word index, seL4_Uint8 depth);
seL4_Error seL4_X86_ASIDPool_Assign(seL4_X86_ASIDPool _service, seL4_CPtr vspace);

/* Which paging level a failed x86_64 map found missing (one of SEL4_MAPPING_LOOKUP_NO_*). */
static inline seL4_Word seL4_MappingFailedLookupLevel(void)
{
    return seL4_GetMR(SEL4_MAPPING_LOOKUP_LEVEL);
}
