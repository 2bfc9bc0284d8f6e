/* SPDX-License-Identifier: BSD-2-Clause */
#include "kernel/kcall.h"

static seL4_Error account(keel_kstat_t *ks, seL4_Word label, seL4_Error err)
{
    ks->calls++;
    if (err != seL4_NoError) {
        ks->errors++;
        ks->last.error = err;
        ks->last.label = label;
        for (int i = 0; i < 5; i++) {
            ks->last.mr[i] = seL4_GetMR(i);
        }
    }
    return err;
}

seL4_Error kc_retype(keel_kstat_t *ks, seL4_CPtr ut, seL4_Word type, seL4_Word size_bits,
                     seL4_CNode root, seL4_Word node_index, seL4_Word node_depth,
                     seL4_Word node_offset, seL4_Word num_objects)
{
    return account(ks, UntypedRetype,
                   seL4_Untyped_Retype(ut, type, size_bits, root, node_index, node_depth,
                                       node_offset, num_objects));
}

seL4_Error kc_revoke(keel_kstat_t *ks, seL4_CNode root, seL4_Word index, seL4_Uint8 depth)
{
    return account(ks, CNodeRevoke, seL4_CNode_Revoke(root, index, depth));
}

seL4_Error kc_delete(keel_kstat_t *ks, seL4_CNode root, seL4_Word index, seL4_Uint8 depth)
{
    return account(ks, CNodeDelete, seL4_CNode_Delete(root, index, depth));
}

seL4_Error kc_mint(keel_kstat_t *ks, seL4_CNode root, seL4_Word dest, seL4_Uint8 dest_depth,
                   seL4_CNode src_root, seL4_Word src, seL4_Uint8 src_depth,
                   seL4_CapRights_t rights, seL4_Word badge)
{
    return account(
        ks, CNodeMint,
        seL4_CNode_Mint(root, dest, dest_depth, src_root, src, src_depth, rights, badge));
}

seL4_Error kc_copy(keel_kstat_t *ks, seL4_CNode root, seL4_Word dest, seL4_Uint8 dest_depth,
                   seL4_CNode src_root, seL4_Word src, seL4_Uint8 src_depth,
                   seL4_CapRights_t rights)
{
    return account(ks, CNodeCopy,
                   seL4_CNode_Copy(root, dest, dest_depth, src_root, src, src_depth, rights));
}

seL4_Error kc_save_caller(keel_kstat_t *ks, seL4_CNode root, seL4_Word index, seL4_Uint8 depth)
{
    return account(ks, CNodeSaveCaller, seL4_CNode_SaveCaller(root, index, depth));
}

seL4_Error kc_set_space(keel_kstat_t *ks, seL4_TCB tcb, seL4_Word fault_ep, seL4_CNode cspace,
                        seL4_Word cspace_data, seL4_CPtr vspace, seL4_Word vspace_data)
{
    return account(ks, TCBSetSpace,
                   seL4_TCB_SetSpace(tcb, fault_ep, cspace, cspace_data, vspace, vspace_data));
}

seL4_Error kc_tcb_suspend(keel_kstat_t *ks, seL4_TCB tcb)
{
    return account(ks, TCBSuspend, seL4_TCB_Suspend(tcb));
}

seL4_Error kc_tcb_unbind(keel_kstat_t *ks, seL4_TCB tcb)
{
    return account(ks, TCBUnbindNotification, seL4_TCB_UnbindNotification(tcb));
}

seL4_Error kc_tcb_zero_registers(keel_kstat_t *ks, seL4_TCB tcb)
{
    seL4_UserContext regs = {0};
    return account(ks, TCBWriteRegisters,
                   seL4_TCB_WriteRegisters(tcb, 0, 0, sizeof(regs) / sizeof(seL4_Word), &regs));
}

seL4_Error kc_tcb_set_sched_params(keel_kstat_t *ks, seL4_TCB tcb, seL4_TCB authority,
                                   seL4_Word mcp, seL4_Word prio)
{
    return account(ks, TCBSetSchedParams, seL4_TCB_SetSchedParams(tcb, authority, mcp, prio));
}

seL4_Word kc_poll(keel_kstat_t *ks, seL4_CPtr ntfn)
{
    seL4_Word badge = 0;
    (void)seL4_Poll(ntfn, &badge);
    ks->calls++;
    return badge;
}

seL4_Error kc_page_unmap(keel_kstat_t *ks, seL4_CPtr frame)
{
    return account(ks, X86PageUnmap, seL4_X86_Page_Unmap(frame));
}

seL4_Error kc_page_map(keel_kstat_t *ks, seL4_CPtr frame, seL4_CPtr vspace, seL4_Word vaddr,
                       seL4_CapRights_t rights)
{
    return account(ks, X86PageMap,
                   seL4_X86_Page_Map(frame, vspace, vaddr, rights, seL4_X86_Default_VMAttributes));
}

seL4_Error kc_table_unmap(keel_kstat_t *ks, seL4_Word type, seL4_CPtr table)
{
    switch (type) {
    case seL4_X86_PageTableObject:
        return account(ks, X86PageTableUnmap, seL4_X86_PageTable_Unmap(table));
    case seL4_X86_PageDirectoryObject:
        return account(ks, X86PageDirectoryUnmap, seL4_X86_PageDirectory_Unmap(table));
    default:
        return account(ks, X86PDPTUnmap, seL4_X86_PDPT_Unmap(table));
    }
}
