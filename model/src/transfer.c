/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The message transfer between two threads (sel4-semantics §8.3).
 *
 * Words: MR0..MR3 travel in the syscall registers (t->sr.mr); words 4..n-1 go from the
 * sender's IPC buffer to the receiver's only if both threads have one the kernel can use (the
 * receiver's must be writable), so the receiver's length is what was actually copied. The
 * label is copied, the badge is the sender's cap badge (0 for a reply).
 *
 * Caps: only with Grant (the reply cap's Grant for a reply). The sender's extra-cap CPtrs are
 * looked up now, at the rendezvous; one failure drops them all. A cap to the endpoint the
 * message goes through is unwrapped: its badge goes to the receiver's caps_or_badges[i] and
 * bit i of capsUnwrapped is set. Any other cap is derived into the receiver's single receive
 * slot (receiveCNode/receiveIndex/receiveDepth of its IPC buffer, which must name an empty
 * slot), after which the next such cap stops the transfer. The receiver's extraCaps is the
 * number of caps handled. Nothing here can fail or report an error: a missing slot, a failed
 * derivation or a failed lookup just transfers fewer caps, as on the kernel.
 */
#include "kernel.h"

/* copyMRs: returns the number of words the receiver gets. */
static unsigned copy_mrs(struct tcb *sender, seL4_IPCBuffer *sbuf, struct tcb *receiver,
                         seL4_IPCBuffer *rbuf, unsigned n)
{
    unsigned i;
    for (i = 0; i < n && i < seL4_FastMessageRegisters; i++) {
        receiver->sr.mr[i] = sender->sr.mr[i];
    }
    if (sbuf == NULL || rbuf == NULL) {
        return i;
    }
    for (; i < n; i++) {
        rbuf->msg[i] = sbuf->msg[i];
    }
    return i;
}

/* getReceiveSlots: the receiver's empty receive slot, or NULL. */
static struct cte *receive_slot(struct tcb *receiver, seL4_IPCBuffer *rbuf)
{
    struct cte *cnode_slot, *dest;
    struct lookup_fault lf;
    struct kerr e;
    if (!lookup_slot(receiver, rbuf->receiveCNode, &cnode_slot, &lf)) {
        return NULL;
    }
    if (lookup_slot_for_cnode_op(false, cnode_slot->cap, rbuf->receiveIndex, rbuf->receiveDepth,
                                 &dest, &e) != seL4_NoError) {
        return NULL;
    }
    return cap_is_null(dest->cap) ? dest : NULL;
}

static seL4_MessageInfo_t transfer_caps(seL4_MessageInfo_t info, struct cte *const *caps,
                                        unsigned ncaps, struct endpoint *ep, struct tcb *receiver,
                                        seL4_IPCBuffer *rbuf)
{
    info = seL4_MessageInfo_set_extraCaps(info, 0);
    info = seL4_MessageInfo_set_capsUnwrapped(info, 0);
    if (ncaps == 0 || rbuf == NULL) {
        return info;
    }
    struct cte *dest = receive_slot(receiver, rbuf);
    unsigned i;
    word_t unwrapped = 0;
    for (i = 0; i < ncaps; i++) {
        struct cte *slot = caps[i];
        struct cap c = slot->cap;
        if (c.type == KEEL_MODEL_CAP_ENDPOINT && ep != NULL && c.obj == &ep->hdr) {
            rbuf->caps_or_badges[i] = c.word;
            unwrapped |= 1u << i;
            continue;
        }
        if (dest == NULL) {
            break;
        }
        struct cap derived;
        if (derive_cap(slot, c, &derived) != seL4_NoError || cap_is_null(derived)) {
            break;
        }
        cte_insert(derived, slot, dest);
        dest = NULL;
    }
    info = seL4_MessageInfo_set_capsUnwrapped(info, unwrapped);
    return seL4_MessageInfo_set_extraCaps(info, i);
}

static void do_normal_transfer(struct tcb *sender, seL4_IPCBuffer *sbuf, struct endpoint *ep,
                               word_t badge, bool grant, struct tcb *receiver, seL4_IPCBuffer *rbuf)
{
    seL4_MessageInfo_t tag = {{sender->sr.info}};
    if (seL4_MessageInfo_get_length(tag) > seL4_MsgMaxLength) {
        tag = seL4_MessageInfo_set_length(tag, seL4_MsgMaxLength);
    }
    struct cte *caps[seL4_MsgMaxExtraCaps];
    unsigned ncaps = 0;
    if (grant && sbuf != NULL) {
        unsigned n = (unsigned)seL4_MessageInfo_get_extraCaps(tag);
        struct lookup_fault lf;
        for (ncaps = 0; ncaps < n; ncaps++) {
            if (!lookup_slot(sender, sbuf->caps_or_badges[ncaps], &caps[ncaps], &lf)) {
                ncaps = 0;
                break;
            }
        }
    }
    unsigned len =
        copy_mrs(sender, sbuf, receiver, rbuf, (unsigned)seL4_MessageInfo_get_length(tag));
    tag = transfer_caps(tag, caps, ncaps, ep, receiver, rbuf);
    tag = seL4_MessageInfo_set_length(tag, len);
    receiver->sr.info = tag.words[0];
    receiver->sr.cptr_or_badge = badge;
}

void do_ipc_transfer(struct tcb *sender, struct endpoint *ep, word_t badge, bool grant,
                     struct tcb *receiver)
{
    ks.counters.ipc_messages++;
    seL4_IPCBuffer *rbuf = tcb_lookup_ipc_buffer(receiver, true);
    if (sender->fault.type == seL4_Fault_NullFault) {
        do_normal_transfer(sender, tcb_lookup_ipc_buffer(sender, false), ep, badge, grant, receiver,
                           rbuf);
    } else {
        do_fault_transfer(badge, sender, receiver, rbuf);
    }
}
