/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Fault delivery (sel4-semantics §2.3, non-MCS).
 *
 * The model raises one kind of fault: the cap fault (seL4_Fault_CapFault), taken when the
 * invoked or an extra-cap CPtr of a blocking send fails to resolve, or when a receive names
 * something it cannot receive on. The faulting thread's fault handler is a CPtr looked up in
 * its own CSpace at fault time; it must name an endpoint cap with Send and Grant or
 * GrantReply. The fault is then sent as a Call through that cap (badge and Grant of the cap,
 * GrantReply always), so the handler receives a message with label seL4_Fault_CapFault and
 * the words of seL4_CapFault_Msg, and a reply cap. Replying to it restarts the faulting thread,
 * which re-executes the syscall that faulted (handleFaultReply for cap faults).
 *
 * Without a usable handler the thread takes a "double fault" and stops (syscall.c:cap_fault);
 * the model reports it through the fault hook (keel/model.h).
 *
 * The fault record (t->fault) is set only when a fault message is sent, and cleared only by a
 * reply to it or by cancelling the thread's wait for that reply (endpoint.c). A fault whose
 * message was queued and then cancelled (the fault endpoint deleted, Suspend) stays recorded:
 * every later message the thread sends is that fault message, as the kernel's doIPCTransfer
 * decides by the sender's fault; whether the sender then waits for a reply still depends only
 * on its operation being a Call (non-MCS receiveIPC/sendIPC).
 *
 * Not modelled: VM faults (a bad host access is a host crash), unknown-syscall and user
 * exceptions (the model has no instruction stream), and the MCS fault handler slot. The
 * fault's IP word is the thread's rip: the model has no program counter, so it is the entry
 * point of the thread's function (0 for the root thread).
 */
#include "kernel.h"

bool thread_deliver_cap_fault(struct tcb *t, word_t cptr, bool in_recv,
                              const struct lookup_fault *lf)
{
    struct cte *slot;
    struct lookup_fault handler_lf;
    if (!lookup_slot(t, t->fault_ep, &slot, &handler_lf)) {
        return false;
    }
    struct cap c = slot->cap;
    bool can_send = (c.rights & RIGHT_WRITE) != 0;
    bool grant = (c.rights & RIGHT_GRANT) != 0;
    bool grant_reply = (c.rights & RIGHT_GRANT_REPLY) != 0;
    if (c.type != KEEL_MODEL_CAP_ENDPOINT || !can_send || !(grant || grant_reply)) {
        return false;
    }
    t->fault.type = seL4_Fault_CapFault;
    t->fault.addr = cptr;
    t->fault.in_recv = in_recv;
    t->fault.lf = *lf;
    send_ipc(true, true, c.word, grant, true, t, (struct endpoint *)c.obj);
    return true;
}

void do_fault_transfer(word_t badge, struct tcb *sender, struct tcb *receiver, seL4_IPCBuffer *rbuf)
{
    word_t mr[seL4_CapFault_Length];
    mr[seL4_CapFault_IP] = sender->regs.rip;
    mr[seL4_CapFault_Addr] = sender->fault.addr;
    mr[seL4_CapFault_InRecvPhase] = sender->fault.in_recv;
    unsigned len = lookup_fault_words(mr, seL4_CapFault_LookupFailureType, &sender->fault.lf);
    unsigned sent = set_mrs(receiver, rbuf, mr, len);
    receiver->sr.info = seL4_MessageInfo_new(sender->fault.type, 0, 0, sent).words[0];
    receiver->sr.cptr_or_badge = badge;
}

bool handle_fault_reply(struct tcb *receiver, struct tcb *sender)
{
    (void)sender;
    switch (receiver->fault.type) {
    case seL4_Fault_CapFault:
        return true; /* the faulting syscall runs again */
    default:
        return false;
    }
}
