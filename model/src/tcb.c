/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TCB invocations (§11). This file holds the CSpace/VSpace side of a TCB (SetSpace), which
 * the allocator needs to grow its CSpace; the thread-control invocations (registers, resume,
 * suspend, priorities, IPC buffer, notification binding) come with the thread layer.
 */
#include "kernel.h"

/* Whether a cap may be a thread's VSpace root: a PML4 that has an ASID. */
static bool is_valid_vtable_root(struct cap c)
{
    return c.type == KEEL_MODEL_CAP_PML4 && c.asid != 0;
}

/*
 * Replace one of t's root slots with a copy of `new_cap` derived from `src` (the kernel's
 * ThreadControl update): delete what is there, then insert if neither the source nor the TCB
 * was destroyed by that delete.
 */
static void install_root(struct tcb *t, enum tcb_slot which, struct cap new_cap, struct cte *src,
                         struct cap tcb_cap, struct cte *tcb_slot)
{
    cte_delete(&t->slots[which]);
    if (same_object_as(new_cap, src->cap) && same_object_as(tcb_cap, tcb_slot->cap)) {
        cte_insert(new_cap, src, &t->slots[which]);
    }
}

static seL4_Error decode_set_space(struct invocation *inv, struct kerr *e)
{
    struct tcb *t = (struct tcb *)inv->cap.obj;
    if (inv->length < 3 || inv->num_extra < 2) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    word_t fault_ep = inv_arg(inv, 0);
    word_t cspace_data = inv_arg(inv, 1);
    word_t vspace_data = inv_arg(inv, 2);
    struct cte *cspace_slot = inv->extra_slot[0];
    struct cte *vspace_slot = inv->extra_slot[1];
    struct cap cspace = inv->extra_cap[0];
    struct cap vspace = inv->extra_cap[1];

    if (cap_long_running_delete(&t->slots[TCB_CTABLE]) ||
        cap_long_running_delete(&t->slots[TCB_VTABLE])) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (cspace_data != 0) {
        cspace = update_cap_data(false, cspace_data, cspace);
    }
    seL4_Error err = derive_cap(cspace_slot, cspace, &cspace);
    if (err != seL4_NoError) {
        return kerr_set(e, err);
    }
    if (cspace.type != KEEL_MODEL_CAP_CNODE) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (vspace_data != 0) {
        vspace = update_cap_data(false, vspace_data, vspace);
    }
    err = derive_cap(vspace_slot, vspace, &vspace);
    if (err != seL4_NoError) {
        return kerr_set(e, err);
    }
    if (!is_valid_vtable_root(vspace)) {
        return kerr_set(e, seL4_IllegalOperation);
    }

    t->fault_ep = fault_ep;
    install_root(t, TCB_CTABLE, cspace, cspace_slot, inv->cap, inv->slot);
    install_root(t, TCB_VTABLE, vspace, vspace_slot, inv->cap, inv->slot);
    return seL4_NoError;
}

seL4_Error decode_tcb_invocation(struct invocation *inv, struct kerr *e)
{
    switch (inv->label) {
    case TCBSetSpace:
        return decode_set_space(inv, e);
    case TCBReadRegisters:
    case TCBWriteRegisters:
    case TCBCopyRegisters:
    case TCBConfigure:
    case TCBSetPriority:
    case TCBSetMCPriority:
    case TCBSetSchedParams:
    case TCBSetIPCBuffer:
    case TCBSuspend:
    case TCBResume:
    case TCBBindNotification:
    case TCBUnbindNotification:
    case TCBSetTLSBase:
    case TCBSetFlags:
        model_panic("TCB invocation %llu is not modelled yet: threads come with the model's "
                    "thread layer",
                    (unsigned long long)inv->label);
    default:
        return kerr_set(e, seL4_IllegalOperation);
    }
}

void finalise_tcb(struct tcb *t)
{
    /* Unbind, cancel IPC and stop; a thread that was running stops here too. */
    t->bound = NULL;
    t->state = TS_INACTIVE;
}

void tcb_save_caller(struct tcb *t, struct cte *dest)
{
    struct cte *caller = &t->slots[TCB_CALLER];
    if (caller->cap.type == KEEL_MODEL_CAP_REPLY) {
        cte_move(caller->cap, caller, dest);
    }
}
