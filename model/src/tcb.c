/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TCB invocations (sel4-semantics §11, §11.1, non-MCS x86_64): each decoder checks in the
 * kernel's order with no side effect, then performs, which cannot fail.
 *
 * Registers. seL4_UserContext order is the kernel's: 18 frame registers (rip .. r15) then 2
 * integer registers (fs_base, gs_base); counts are 1..20. The six syscall registers (rdi, rsi,
 * r10, r8, r9, r15) are kept in the TCB's syscall register set, so ReadRegisters shows the
 * arguments of a thread blocked in a syscall and WriteRegisters changes what a restarted
 * syscall sees. WriteRegisters sanitises as the kernel does: rflags becomes
 * (v | 0x202) & ~0x128 & 0xfff and a non-canonical rip, fs_base or gs_base becomes 0. The
 * model keeps no program counter inside a thread's function: a changed rip makes a started
 * thread start afresh there (thread.c). fs_base is recorded, not loaded: the host thread's
 * own TLS stays the host's.
 *
 * Priorities: a new priority or MCP must not exceed the authority TCB's MCP
 * (RangeError(0, mcp)). Suspend stops a thread (cancelling its IPC); Resume restarts a stopped
 * one (Inactive or blocked) and makes its master reply cap. Deleting the last TCB cap unbinds
 * its notification, suspends it and ends its host thread.
 *
 * Not modelled: TCBSetFlags (the model panics), the SMP/debug/VT-x TCB invocations (absent
 * from this configuration's labels).
 */
#include <string.h>

#include "kernel.h"

enum {
    REG_RIP = 0,
    REG_RFLAGS = 2,
    REG_RDI = 8,
    REG_RSI = 7,
    REG_R8 = 10,
    REG_R9 = 11,
    REG_R10 = 12,
    REG_R15 = 17,
    NUM_FRAME_REGS = 18,
    REG_FS_BASE = 18,
    REG_GS_BASE = 19,
    NUM_REGS = 20,
};

_Static_assert(sizeof(seL4_UserContext) == NUM_REGS * sizeof(word_t), "x86_64 user context");

static struct tcb *tcb_of(struct cap c)
{
    return (struct tcb *)c.obj;
}

/* ---- The register file ----------------------------------------------------------------------- */

static void read_context(const struct tcb *t, word_t *w)
{
    memcpy(w, &t->regs, sizeof(t->regs));
    w[REG_RDI] = t->sr.cptr_or_badge;
    w[REG_RSI] = t->sr.info;
    w[REG_R10] = t->sr.mr[0];
    w[REG_R8] = t->sr.mr[1];
    w[REG_R9] = t->sr.mr[2];
    w[REG_R15] = t->sr.mr[3];
}

static void write_context(struct tcb *t, const word_t *w)
{
    word_t old_rip = t->regs.rip;
    memcpy(&t->regs, w, sizeof(t->regs));
    t->sr.cptr_or_badge = w[REG_RDI];
    t->sr.info = w[REG_RSI];
    t->sr.mr[0] = w[REG_R10];
    t->sr.mr[1] = w[REG_R8];
    t->sr.mr[2] = w[REG_R9];
    t->sr.mr[3] = w[REG_R15];
    if (t->regs.rip != old_rip) {
        thread_redirect(t);
    }
}

static word_t sanitise(unsigned reg, word_t v)
{
    if (reg == REG_RFLAGS) {
        return (v | 0x202u) & ~(word_t)0x128u & 0xfffu;
    }
    if ((reg == REG_RIP || reg == REG_FS_BASE || reg == REG_GS_BASE) && v > USER_TOP &&
        v < ~USER_TOP) {
        return 0; /* not canonical */
    }
    return v;
}

/* ReadRegisters and WriteRegisters begin alike: (flags, count) with count in 1..NUM_REGS
 * (§11.1: a RangeError for WriteRegisters too, checked on the real kernel). */
static seL4_Error decode_flags_and_count(struct invocation *inv, struct kerr *e, word_t *flags,
                                         word_t *n)
{
    if (inv->length < 2) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    *flags = inv_arg(inv, 0);
    *n = inv_arg(inv, 1);
    if (*n < 1 || *n > NUM_REGS) {
        return kerr_range(e, 1, NUM_REGS);
    }
    return seL4_NoError;
}

static seL4_Error decode_read_registers(struct invocation *inv, struct kerr *e)
{
    word_t flags, n;
    seL4_Error err = decode_flags_and_count(inv, e, &flags, &n);
    if (err != seL4_NoError) {
        return err;
    }
    struct tcb *t = tcb_of(inv->cap);
    if (t == inv->thread) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (flags & 1) {
        thread_suspend(t);
    }
    word_t w[NUM_REGS];
    read_context(t, w);
    memcpy(inv->reply, w, n * sizeof(word_t));
    inv->reply_len = (unsigned)n;
    return seL4_NoError;
}

static seL4_Error decode_write_registers(struct invocation *inv, struct kerr *e)
{
    word_t flags, n;
    seL4_Error err = decode_flags_and_count(inv, e, &flags, &n);
    if (err != seL4_NoError) {
        return err;
    }
    if (inv->length - 2 < n) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    struct tcb *t = tcb_of(inv->cap);
    if (t == inv->thread) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    word_t w[NUM_REGS];
    read_context(t, w);
    for (unsigned i = 0; i < n; i++) {
        w[i] = sanitise(i, inv_arg(inv, i + 2));
    }
    write_context(t, w);
    if (flags & 1) {
        thread_restart(t);
    }
    return seL4_NoError;
}

static seL4_Error decode_copy_registers(struct invocation *inv, struct kerr *e)
{
    if (inv->length < 1 || inv->num_extra < 1) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    word_t flags = inv_arg(inv, 0);
    if (inv->extra_cap[0].type != KEEL_MODEL_CAP_TCB) {
        return kerr_invalid_capability(e, 1);
    }
    struct tcb *src = tcb_of(inv->extra_cap[0]);
    struct tcb *dest = tcb_of(inv->cap);
    if (flags & 1) { /* suspend source */
        thread_suspend(src);
    }
    if (flags & 2) { /* resume target */
        thread_restart(dest);
    }
    word_t from[NUM_REGS], to[NUM_REGS];
    read_context(src, from);
    read_context(dest, to);
    if (flags & 4) { /* frame registers */
        memcpy(to, from, NUM_FRAME_REGS * sizeof(word_t));
    }
    if (flags & 8) { /* integer registers */
        memcpy(to + NUM_FRAME_REGS, from + NUM_FRAME_REGS,
               (NUM_REGS - NUM_FRAME_REGS) * sizeof(word_t));
    }
    write_context(dest, to);
    if (dest == ks.current) {
        reschedule_required();
    }
    return seL4_NoError;
}

/* ---- Spaces, IPC buffer, fault endpoint (ThreadControl) -------------------------------------- */

/* checkValidIPCBuffer (x86). */
static seL4_Error check_ipc_buffer(word_t vaddr, struct cap c, struct kerr *e)
{
    if (c.type != KEEL_MODEL_CAP_FRAME || (c.flags & CAPF_DEVICE)) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (vaddr & MASK(seL4_IPCBufferSizeBits)) {
        return kerr_set(e, seL4_AlignmentError);
    }
    return seL4_NoError;
}

/*
 * Replace one of t's internal slots with a copy of `new_cap` derived from `src` (the kernel's
 * ThreadControl update): delete what is there, then insert if neither the source nor the TCB
 * was destroyed by that delete.
 */
static void install_slot(struct tcb *t, enum tcb_slot which, struct cap new_cap, struct cte *src,
                         const struct invocation *inv)
{
    cte_delete(&t->slots[which]);
    if (src != NULL && same_object_as(new_cap, src->cap) &&
        same_object_as(inv->cap, inv->slot->cap)) {
        cte_insert(new_cap, src, &t->slots[which]);
    }
}

/* The space part of SetSpace and Configure: checks from the long-running-delete test on. */
struct space_args {
    word_t fault_ep;
    struct cap cspace, vspace;
    struct cte *cspace_slot, *vspace_slot;
};

static seL4_Error decode_space(struct invocation *inv, struct space_args *a, word_t cspace_data,
                               word_t vspace_data, struct kerr *e)
{
    struct tcb *t = tcb_of(inv->cap);
    if (cap_long_running_delete(&t->slots[TCB_CTABLE]) ||
        cap_long_running_delete(&t->slots[TCB_VTABLE])) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    struct cap c = a->cspace;
    if (cspace_data != 0) {
        c = update_cap_data(false, cspace_data, c);
    }
    seL4_Error err = derive_cap(a->cspace_slot, c, &a->cspace);
    if (err != seL4_NoError) {
        return kerr_set(e, err);
    }
    if (a->cspace.type != KEEL_MODEL_CAP_CNODE) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    c = a->vspace;
    if (vspace_data != 0) {
        c = update_cap_data(false, vspace_data, c);
    }
    err = derive_cap(a->vspace_slot, c, &a->vspace);
    if (err != seL4_NoError) {
        return kerr_set(e, err);
    }
    if (!is_valid_vtable_root(a->vspace)) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    return seL4_NoError;
}

static void perform_space(struct invocation *inv, const struct space_args *a)
{
    struct tcb *t = tcb_of(inv->cap);
    t->fault_ep = a->fault_ep;
    install_slot(t, TCB_CTABLE, a->cspace, a->cspace_slot, inv);
    install_slot(t, TCB_VTABLE, a->vspace, a->vspace_slot, inv);
}

static void perform_ipc_buffer(struct invocation *inv, word_t vaddr, struct cap frame,
                               struct cte *frame_slot)
{
    struct tcb *t = tcb_of(inv->cap);
    install_slot(t, TCB_BUFFER, frame, vaddr != 0 ? frame_slot : NULL, inv);
    t->ipc_buffer = vaddr;
    if (t == ks.current) {
        reschedule_required();
    }
}

/* SetSpace and Configure name the spaces alike: MR0 the fault endpoint, extra caps 0 and 1. */
static struct space_args space_args_of(const struct invocation *inv)
{
    return (struct space_args){.fault_ep = inv_arg(inv, 0),
                               .cspace = inv->extra_cap[0],
                               .vspace = inv->extra_cap[1],
                               .cspace_slot = inv->extra_slot[0],
                               .vspace_slot = inv->extra_slot[1]};
}

static seL4_Error decode_set_space(struct invocation *inv, struct kerr *e)
{
    if (inv->length < 3 || inv->num_extra < 2) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    struct space_args a = space_args_of(inv);
    seL4_Error err = decode_space(inv, &a, inv_arg(inv, 1), inv_arg(inv, 2), e);
    if (err != seL4_NoError) {
        return err;
    }
    perform_space(inv, &a);
    return seL4_NoError;
}

static seL4_Error decode_configure(struct invocation *inv, struct kerr *e)
{
    if (inv->length < 4 || inv->num_extra < 3) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    struct space_args a = space_args_of(inv);
    word_t buffer = inv_arg(inv, 3);
    struct cap frame = inv->extra_cap[2];
    if (buffer != 0) {
        seL4_Error err = derive_cap(inv->extra_slot[2], frame, &frame);
        if (err != seL4_NoError) {
            return kerr_set(e, err);
        }
        err = check_ipc_buffer(buffer, frame, e);
        if (err != seL4_NoError) {
            return err;
        }
    }
    seL4_Error err = decode_space(inv, &a, inv_arg(inv, 1), inv_arg(inv, 2), e);
    if (err != seL4_NoError) {
        return err;
    }
    perform_space(inv, &a);
    perform_ipc_buffer(inv, buffer, frame, inv->extra_slot[2]);
    return seL4_NoError;
}

static seL4_Error decode_set_ipc_buffer(struct invocation *inv, struct kerr *e)
{
    if (inv->length < 1 || inv->num_extra < 1) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    word_t buffer = inv_arg(inv, 0);
    struct cap frame = inv->extra_cap[0];
    if (buffer != 0) {
        seL4_Error err = derive_cap(inv->extra_slot[0], frame, &frame);
        if (err != seL4_NoError) {
            return kerr_set(e, err);
        }
        err = check_ipc_buffer(buffer, frame, e);
        if (err != seL4_NoError) {
            return err;
        }
    }
    perform_ipc_buffer(inv, buffer, frame, inv->extra_slot[0]);
    return seL4_NoError;
}

/* ---- Priorities ------------------------------------------------------------------------------ */

/* The authority TCB (extra cap 0) and checkPrio for each value. */
static seL4_Error check_prios(struct invocation *inv, const word_t *prio, unsigned n,
                              struct kerr *e)
{
    if (inv->extra_cap[0].type != KEEL_MODEL_CAP_TCB) {
        return kerr_invalid_capability(e, 1);
    }
    struct tcb *auth = tcb_of(inv->extra_cap[0]);
    for (unsigned i = 0; i < n; i++) {
        if (prio[i] > auth->mcp) {
            return kerr_range(e, seL4_MinPrio, auth->mcp);
        }
    }
    return seL4_NoError;
}

static seL4_Error decode_priorities(struct invocation *inv, struct kerr *e)
{
    unsigned nargs = inv->label == TCBSetSchedParams ? 2 : 1;
    if (inv->length < nargs || inv->num_extra < 1) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    word_t v[2] = {inv_arg(inv, 0), nargs == 2 ? inv_arg(inv, 1) : 0};
    seL4_Error err = check_prios(inv, v, nargs, e);
    if (err != seL4_NoError) {
        return err;
    }
    struct tcb *t = tcb_of(inv->cap);
    switch (inv->label) {
    case TCBSetPriority:
        thread_set_priority(t, v[0]);
        break;
    case TCBSetMCPriority:
        t->mcp = (uint8_t)v[0];
        break;
    default: /* SetSchedParams: MCP, then priority */
        t->mcp = (uint8_t)v[0];
        thread_set_priority(t, v[1]);
        break;
    }
    return seL4_NoError;
}

/* ---- Notification binding -------------------------------------------------------------------- */

static seL4_Error decode_bind_notification(struct invocation *inv, struct kerr *e)
{
    if (inv->num_extra < 1) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    struct tcb *t = tcb_of(inv->cap);
    if (t->bound != NULL) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    struct cap c = inv->extra_cap[0];
    if (c.type != KEEL_MODEL_CAP_NOTIFICATION) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (!(c.rights & RIGHT_READ)) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    struct notification *n = (struct notification *)c.obj;
    if (n->head != NULL || n->bound != NULL) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    bind_notification(t, n);
    return seL4_NoError;
}

seL4_Error decode_tcb_invocation(struct invocation *inv, struct kerr *e)
{
    struct tcb *t = tcb_of(inv->cap);
    switch (inv->label) {
    case TCBReadRegisters:
        return decode_read_registers(inv, e);
    case TCBWriteRegisters:
        return decode_write_registers(inv, e);
    case TCBCopyRegisters:
        return decode_copy_registers(inv, e);
    case TCBSuspend:
        thread_suspend(t);
        return seL4_NoError;
    case TCBResume:
        thread_restart(t);
        return seL4_NoError;
    case TCBConfigure:
        return decode_configure(inv, e);
    case TCBSetPriority:
    case TCBSetMCPriority:
    case TCBSetSchedParams:
        return decode_priorities(inv, e);
    case TCBSetIPCBuffer:
        return decode_set_ipc_buffer(inv, e);
    case TCBSetSpace:
        return decode_set_space(inv, e);
    case TCBBindNotification:
        return decode_bind_notification(inv, e);
    case TCBUnbindNotification:
        if (t->bound == NULL) {
            return kerr_set(e, seL4_IllegalOperation);
        }
        unbind_notification(t);
        return seL4_NoError;
    case TCBSetTLSBase:
        if (inv->length < 1) {
            return kerr_set(e, seL4_TruncatedMessage);
        }
        t->regs.fs_base = inv_arg(inv, 0);
        if (t == ks.current) {
            reschedule_required();
        }
        return seL4_NoError;
    case TCBSetFlags:
        kernel_unlock();
        model_panic("seL4_TCB_SetFlags is not modelled (docs/model-threads.md)");
    default:
        return kerr_set(e, seL4_IllegalOperation);
    }
}

void finalise_tcb(struct tcb *t)
{
    unbind_notification(t);
    thread_suspend(t);
    thread_tcb_destroyed(t);
}
