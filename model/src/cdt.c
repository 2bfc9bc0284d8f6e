/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The capability derivation tree, kept as the kernel keeps it (§4.5): one doubly linked list
 * through the slots in pre-order, plus two bits per slot (original, first-badged). Parenthood
 * is not stored; it is the test mdb_is_parent_of() applied to neighbours in the list:
 *
 *   - the descendants of S are the slots after S for which mdb_is_parent_of(S, ·) holds;
 *   - S has children iff its successor is a descendant;
 *   - a cap is final iff neither list neighbour names the same object.
 *
 * This form makes revoke order (newest first), finality and "has children" true by
 * construction, costs two pointers per slot, and every operation below is O(1).
 *
 * Every write of a cap into a slot goes through cte_set(), which keeps the live-cap counts
 * (of non-null caps only).
 */
#include "kernel.h"

void cte_set(struct cte *slot, struct cap c)
{
    /* An empty slot holds no cap: counting null caps here would only count writes (and wrap
     * below zero), which keel_model_cap_count() and the leak check would then report. */
    if (!cap_is_null(slot->cap)) {
        ks.cap_count[slot->cap.type]--;
    }
    slot->cap = c;
    if (!cap_is_null(c)) {
        ks.cap_count[c.type]++;
    }
}

static bool is_badged_type(struct cap c)
{
    return c.type == KEEL_MODEL_CAP_ENDPOINT || c.type == KEEL_MODEL_CAP_NOTIFICATION;
}

bool mdb_is_parent_of(const struct cte *a, const struct cte *b)
{
    if (!(a->cap.mdb & MDB_REVOCABLE)) {
        return false;
    }
    if (!same_region_as(a->cap, b->cap)) {
        return false;
    }
    if (is_badged_type(a->cap) && a->cap.word != 0) {
        /* A badged original parents only unoriginal copies with its badge. */
        return b->cap.word == a->cap.word && !(b->cap.mdb & MDB_FIRST_BADGED);
    }
    return true;
}

bool cte_has_children(const struct cte *slot)
{
    return slot->next != NULL && mdb_is_parent_of(slot, slot->next);
}

bool cte_is_final(const struct cte *slot)
{
    if (slot->prev != NULL && same_object_as(slot->prev->cap, slot->cap)) {
        return false;
    }
    return slot->next == NULL || !same_object_as(slot->cap, slot->next->cap);
}

static void link_after(struct cte *pos, struct cte *slot)
{
    slot->prev = pos;
    slot->next = pos->next;
    if (pos->next != NULL) {
        pos->next->prev = slot;
    }
    pos->next = slot;
}

void cte_insert(struct cap new_cap, struct cte *src, struct cte *dest)
{
    bool revocable = is_cap_revocable(new_cap, src->cap);
    new_cap.mdb = revocable ? (MDB_REVOCABLE | MDB_FIRST_BADGED) : 0;
    /* A copy covering exactly the source untyped freezes the source (setUntypedCapAsFull). */
    if (src->cap.type == KEEL_MODEL_CAP_UNTYPED && new_cap.type == KEEL_MODEL_CAP_UNTYPED &&
        src->cap.paddr == new_cap.paddr && src->cap.size_bits == new_cap.size_bits) {
        src->cap.word = BIT(src->cap.size_bits - seL4_MinUntypedBits);
    }
    cte_set(dest, new_cap);
    link_after(src, dest);
}

void cte_insert_new(struct cte *parent, struct cte *slot, struct cap new_cap)
{
    new_cap.mdb = MDB_REVOCABLE | MDB_FIRST_BADGED;
    cte_set(slot, new_cap);
    link_after(parent, slot);
}

void cte_insert_root(struct cte *slot, struct cap new_cap)
{
    new_cap.mdb = MDB_REVOCABLE | MDB_FIRST_BADGED;
    cte_set(slot, new_cap);
    slot->prev = slot->next = NULL;
}

void cte_move(struct cap new_cap, struct cte *src, struct cte *dest)
{
    new_cap.mdb = src->cap.mdb;
    cte_set(dest, new_cap);
    cte_set(src, cap_null());
    dest->prev = src->prev;
    dest->next = src->next;
    src->prev = src->next = NULL;
    if (dest->prev != NULL) {
        dest->prev->next = dest;
    }
    if (dest->next != NULL) {
        dest->next->prev = dest;
    }
}

/* Exchange the list positions of two distinct slots, adjacent or not. */
static void swap_positions(struct cte *a, struct cte *b)
{
    if (a->next == b || b->next == a) {
        struct cte *first = (a->next == b) ? a : b;
        struct cte *second = (first == a) ? b : a;
        struct cte *before = first->prev, *after = second->next;
        second->prev = before;
        second->next = first;
        first->prev = second;
        first->next = after;
        if (before != NULL) {
            before->next = second;
        }
        if (after != NULL) {
            after->prev = first;
        }
        return;
    }
    struct cte *ap = a->prev, *an = a->next, *bp = b->prev, *bn = b->next;
    a->prev = bp;
    a->next = bn;
    b->prev = ap;
    b->next = an;
    if (ap != NULL) {
        ap->next = b;
    }
    if (an != NULL) {
        an->prev = b;
    }
    if (bp != NULL) {
        bp->next = a;
    }
    if (bn != NULL) {
        bn->prev = a;
    }
}

void cte_swap(struct cap c1, struct cte *s1, struct cap c2, struct cte *s2)
{
    /* Each cap keeps its CDT bits and its place in the order; only the slots change. */
    c1.mdb = s1->cap.mdb;
    c2.mdb = s2->cap.mdb;
    cte_set(s1, c2);
    cte_set(s2, c1);
    swap_positions(s1, s2);
}

void cte_empty(struct cte *slot)
{
    if (cap_is_null(slot->cap)) {
        return;
    }
    if (slot->prev != NULL) {
        slot->prev->next = slot->next;
    }
    if (slot->next != NULL) {
        slot->next->prev = slot->prev;
        /* A badged child moving up must not be absorbed by an earlier cap with its badge. */
        slot->next->cap.mdb |= (uint8_t)(slot->cap.mdb & MDB_FIRST_BADGED);
    }
    slot->prev = slot->next = NULL;
    cte_set(slot, cap_null());
    ks.counters.caps_deleted++;
}
