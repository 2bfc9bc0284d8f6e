/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * seL4_Untyped_Retype (§5): the checks in the kernel's order with the kernel's error details
 * (§5.2), the reset of an untyped that has no children (§5.3), placement at the aligned
 * watermark (§5.4), and the new caps' place in the CDT (§5.5).
 *
 * Alignment is computed on the kernel's address of the region (physical address plus the
 * kernel window base), as the kernel does; for RAM and for any object up to 2^39 bytes this
 * is the same as aligning the physical address (§5.1, "Correction").
 */
#include "kernel.h"

#define RESET_CHUNK_BITS CONFIG_RESET_CHUNK_BITS

static word_t round_up(word_t x, unsigned bits)
{
    return (x + MASK(bits)) & ~MASK(bits);
}

/* §5.3: zero what was used and move the watermark back to 0. */
static void reset_untyped(struct cte *slot)
{
    struct cap *u = &slot->cap;
    word_t used = u->word << seL4_MinUntypedBits;
    if (used == 0) {
        return;
    }
    if (!(u->flags & CAPF_DEVICE)) {
        if (u->size_bits < RESET_CHUNK_BITS) {
            phys_zero(u->paddr, BIT(u->size_bits));
        } else {
            phys_zero(u->paddr, round_up(used, RESET_CHUNK_BITS));
        }
    }
    u->word = 0;
}

seL4_Error decode_untyped_invocation(struct invocation *inv, struct kerr *e)
{
    if (inv->label != UntypedRetype) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (inv->length < 6 || inv->num_extra < 1) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    word_t type = inv_arg(inv, 0);
    word_t size_bits = inv_arg(inv, 1);
    word_t node_index = inv_arg(inv, 2);
    word_t node_depth = inv_arg(inv, 3);
    word_t node_offset = inv_arg(inv, 4);
    word_t num_objects = inv_arg(inv, 5);
    struct cap root = inv->extra_cap[0];

    if (type >= seL4_ObjectTypeCount) {
        return kerr_invalid_argument(e, 0);
    }
    if (size_bits >= seL4_WordBits || object_size_bits(type, size_bits) > seL4_MaxUntypedBits) {
        return kerr_range(e, 0, seL4_MaxUntypedBits);
    }
    if (type == seL4_CapTableObject && size_bits == 0) {
        return kerr_invalid_argument(e, 1);
    }
    if (type == seL4_UntypedObject && size_bits < seL4_MinUntypedBits) {
        return kerr_invalid_argument(e, 1);
    }

    struct cap dest = root;
    if (node_depth != 0) {
        struct cte *dest_slot;
        seL4_Error err =
            lookup_slot_for_cnode_op(false, root, node_index, node_depth, &dest_slot, e);
        if (err != seL4_NoError) {
            return err;
        }
        dest = dest_slot->cap;
    }
    if (dest.type != KEEL_MODEL_CAP_CNODE) {
        return kerr_missing_capability(e, false, node_depth);
    }
    word_t num_slots = BIT(dest.size_bits);
    if (node_offset > num_slots - 1) {
        return kerr_range(e, 0, num_slots - 1);
    }
    if (num_objects < 1 || num_objects > CONFIG_RETYPE_FAN_OUT_LIMIT) {
        return kerr_range(e, 1, CONFIG_RETYPE_FAN_OUT_LIMIT);
    }
    if (num_objects > num_slots - node_offset) {
        return kerr_range(e, 1, num_slots - node_offset);
    }
    struct cnode *cn = (struct cnode *)dest.obj;
    for (word_t i = node_offset; i < node_offset + num_objects; i++) {
        if (!cap_is_null(cn->slots[i].cap)) {
            return kerr_set(e, seL4_DeleteFirst);
        }
    }

    struct cap *u = &inv->slot->cap;
    bool reset = !cte_has_children(inv->slot);
    word_t free_index = reset ? 0 : u->word;
    word_t free_bytes = BIT(u->size_bits) - (free_index << seL4_MinUntypedBits);
    unsigned obj_bits = object_size_bits(type, size_bits);
    if ((free_bytes >> obj_bits) < num_objects) {
        return kerr_not_enough_memory(e, free_bytes);
    }
    bool device = (u->flags & CAPF_DEVICE) != 0;
    if (device && !cap_is_frame_type(type) && type != seL4_UntypedObject) {
        return kerr_invalid_argument(e, 1);
    }

    /* Perform: nothing below can fail. */
    if (reset) {
        reset_untyped(inv->slot);
    }
    word_t base = kaddr_of(u->paddr);
    word_t start = round_up(base + (free_index << seL4_MinUntypedBits), obj_bits);
    u->word = (start + (num_objects << obj_bits) - base) >> seL4_MinUntypedBits;
    for (word_t i = 0; i < num_objects; i++) {
        paddr_t p = start + (i << obj_bits) - KERNEL_PPTR_BASE;
        struct cap c = object_create(type, p, size_bits, device);
        cte_insert_new(inv->slot, &cn->slots[node_offset + i], c);
    }
    return seL4_NoError;
}
