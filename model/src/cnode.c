/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * CNode invocations (§6): Copy, Mint, Move, Mutate, Rotate, Delete, Revoke,
 * CancelBadgedSends, SaveCaller — each check in the kernel's order, then the effect.
 */
#include "kernel.h"

/* Copy, Mint, Move, Mutate (§6.1). */
static seL4_Error decode_copy_family(struct invocation *inv, struct cte *dest, struct kerr *e)
{
    if (inv->length < 4 || inv->num_extra < 1) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    word_t src_index = inv_arg(inv, 2);
    word_t src_depth = inv_arg(inv, 3);
    if (!cap_is_null(dest->cap)) {
        return kerr_set(e, seL4_DeleteFirst);
    }
    struct cte *src;
    seL4_Error err =
        lookup_slot_for_cnode_op(true, inv->extra_cap[0], src_index, src_depth, &src, e);
    if (err != seL4_NoError) {
        return err;
    }
    if (cap_is_null(src->cap)) {
        return kerr_missing_capability(e, true, src_depth);
    }

    struct cap new_cap;
    bool is_move;
    switch (inv->label) {
    case CNodeCopy: {
        if (inv->length < 5) {
            return kerr_set(e, seL4_TruncatedMessage);
        }
        seL4_CapRights_t rights = {{inv_arg(inv, 4)}};
        err = derive_cap(src, mask_cap_rights(rights, src->cap), &new_cap);
        is_move = false;
        break;
    }
    case CNodeMint: {
        if (inv->length < 6) {
            return kerr_set(e, seL4_TruncatedMessage);
        }
        seL4_CapRights_t rights = {{inv_arg(inv, 4)}};
        word_t badge = inv_arg(inv, 5);
        err = derive_cap(src, update_cap_data(false, badge, mask_cap_rights(rights, src->cap)),
                         &new_cap);
        is_move = false;
        break;
    }
    case CNodeMove:
        new_cap = src->cap;
        is_move = true;
        break;
    default: /* CNodeMutate */
        if (inv->length < 5) {
            return kerr_set(e, seL4_TruncatedMessage);
        }
        new_cap = update_cap_data(true, inv_arg(inv, 4), src->cap);
        is_move = true;
        break;
    }
    if (err != seL4_NoError) {
        return kerr_set(e, err);
    }
    if (cap_is_null(new_cap)) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (is_move) {
        cte_move(new_cap, src, dest);
    } else {
        cte_insert(new_cap, src, dest);
    }
    return seL4_NoError;
}

/* Rotate (§6.2). */
static seL4_Error decode_rotate(struct invocation *inv, struct cte *dest, struct kerr *e)
{
    if (inv->length < 8 || inv->num_extra < 2) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    word_t dest_badge = inv_arg(inv, 2);
    word_t pivot_index = inv_arg(inv, 3);
    word_t pivot_depth = inv_arg(inv, 4);
    word_t pivot_badge = inv_arg(inv, 5);
    word_t src_index = inv_arg(inv, 6);
    word_t src_depth = inv_arg(inv, 7);
    struct cte *src, *pivot;
    seL4_Error err =
        lookup_slot_for_cnode_op(true, inv->extra_cap[1], src_index, src_depth, &src, e);
    if (err != seL4_NoError) {
        return err;
    }
    err = lookup_slot_for_cnode_op(true, inv->extra_cap[0], pivot_index, pivot_depth, &pivot, e);
    if (err != seL4_NoError) {
        return err;
    }
    if (pivot == src || pivot == dest) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (src != dest && !cap_is_null(dest->cap)) {
        return kerr_set(e, seL4_DeleteFirst);
    }
    if (cap_is_null(src->cap)) {
        return kerr_missing_capability(e, true, src_depth);
    }
    if (cap_is_null(pivot->cap)) {
        return kerr_missing_capability(e, false, pivot_depth);
    }
    struct cap new_src = update_cap_data(true, pivot_badge, src->cap);
    struct cap new_pivot = update_cap_data(true, dest_badge, pivot->cap);
    if (cap_is_null(new_src) || cap_is_null(new_pivot)) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (src == dest) {
        cte_swap(new_src, src, new_pivot, pivot);
    } else {
        cte_move(new_pivot, pivot, dest);
        cte_move(new_src, src, pivot);
    }
    return seL4_NoError;
}

seL4_Error decode_cnode_invocation(struct invocation *inv, struct kerr *e)
{
    if (inv->label < CNodeRevoke || inv->label > CNodeSaveCaller) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (inv->length < 2) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    struct cte *dest;
    seL4_Error err =
        lookup_slot_for_cnode_op(false, inv->cap, inv_arg(inv, 0), inv_arg(inv, 1), &dest, e);
    if (err != seL4_NoError) {
        return err;
    }
    switch (inv->label) {
    case CNodeCopy:
    case CNodeMint:
    case CNodeMove:
    case CNodeMutate:
        return decode_copy_family(inv, dest, e);
    case CNodeRotate:
        return decode_rotate(inv, dest, e);
    case CNodeRevoke:
        cte_revoke(dest);
        return seL4_NoError;
    case CNodeDelete:
        cte_delete(dest);
        return seL4_NoError;
    case CNodeSaveCaller:
        if (!cap_is_null(dest->cap)) {
            return kerr_set(e, seL4_DeleteFirst);
        }
        tcb_save_caller(inv->thread, dest);
        return seL4_NoError;
    default: { /* CNodeCancelBadgedSends */
        struct cap c = dest->cap;
        if (c.type != KEEL_MODEL_CAP_ENDPOINT || c.rights != seL4_AllRights.words[0]) {
            return kerr_set(e, seL4_IllegalOperation);
        }
        if (c.word != 0) {
            endpoint_cancel_badged_sends((struct endpoint *)c.obj, c.word);
        }
        return seL4_NoError;
    }
    }
}
