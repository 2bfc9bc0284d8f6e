/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CSpace addressing (§3): the guarded-page-table walk that turns a CPtr into a slot, and the
 * two ways the kernel uses it (full-depth lookups of invoked caps; exact-depth lookups of the
 * slots CNode operations name).
 */
#include "kernel.h"

/* Bits [top - count, top) of w, for 0 <= count <= top <= 64. */
static word_t bits_below(word_t w, unsigned top, unsigned count)
{
    if (count == 0) {
        return 0;
    }
    return (w >> (top - count)) & MASK(count);
}

bool resolve_address_bits(struct cap node, word_t cptr, unsigned n, struct cte **slot,
                          unsigned *bits_remaining, struct lookup_fault *lf)
{
    if (node.type != KEEL_MODEL_CAP_CNODE) {
        *lf = (struct lookup_fault){.type = seL4_InvalidRoot};
        return false;
    }
    for (;;) {
        unsigned radix = node.size_bits;
        unsigned guard_size = node.guard_size;
        unsigned level_bits = radix + guard_size;
        if (level_bits == 0) {
            model_panic("CNode cap with radix 0 and guard size 0 cannot be resolved");
        }
        if (guard_size > n || bits_below(cptr, n, guard_size) != node.word) {
            *lf = (struct lookup_fault){.type = seL4_GuardMismatch,
                                        .bits_left = n,
                                        .guard_found = node.word,
                                        .bits_found = guard_size};
            return false;
        }
        if (level_bits > n) {
            *lf = (struct lookup_fault){
                .type = seL4_DepthMismatch, .bits_left = n, .bits_found = level_bits};
            return false;
        }
        struct cnode *cn = (struct cnode *)node.obj;
        word_t index = bits_below(cptr, n - guard_size, radix);
        struct cte *s = &cn->slots[index];
        n -= level_bits;
        if (n == 0 || s->cap.type != KEEL_MODEL_CAP_CNODE) {
            *slot = s;
            *bits_remaining = n;
            return true;
        }
        node = s->cap;
    }
}

bool lookup_slot(struct tcb *t, word_t cptr, struct cte **slot, struct lookup_fault *lf)
{
    unsigned remaining;
    return resolve_address_bits(t->slots[TCB_CTABLE].cap, cptr, seL4_WordBits, slot, &remaining,
                                lf);
}

seL4_Error lookup_slot_for_cnode_op(bool is_source, struct cap root, word_t index, word_t depth,
                                    struct cte **slot, struct kerr *e)
{
    struct lookup_fault lf;
    if (root.type != KEEL_MODEL_CAP_CNODE) {
        lf = (struct lookup_fault){.type = seL4_InvalidRoot};
        return kerr_failed_lookup(e, is_source, &lf);
    }
    if (depth < 1 || depth > seL4_WordBits) {
        return kerr_range(e, 1, seL4_WordBits);
    }
    unsigned remaining;
    if (!resolve_address_bits(root, index, (unsigned)depth, slot, &remaining, &lf)) {
        return kerr_failed_lookup(e, is_source, &lf);
    }
    if (remaining != 0) {
        lf = (struct lookup_fault){
            .type = seL4_DepthMismatch, .bits_left = remaining, .bits_found = 0};
        return kerr_failed_lookup(e, is_source, &lf);
    }
    return seL4_NoError;
}
