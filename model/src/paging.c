/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64 paging invocations (sel4-semantics §10.1–§10.3): Page Map/Unmap/GetAddress, PT/PD/PDPT
 * Map/Unmap, ASIDControl MakePool and ASIDPool Assign. Each decoder makes the kernel's checks
 * in the kernel's order with no side effect, then performs (which cannot fail).
 *
 * The quirks reproduced: mapping a 4K frame never checks that the PT entry is free (it
 * silently replaces whatever was mapped there), nor does a 2M over a 2M or a 1G over a 1G
 * mapping; a missing level is FailedLookup with MissingCapability and bitsLeft 39 (no PDPT), 30
 * (no PD, or a 1G page in its place) or 21 (no PT, or a 2M page); table vaddrs are rounded
 * down, never rejected for alignment; re-mapping a frame at its own vaddr updates its rights;
 * rights are the frame cap's VM rights masked with the requested ones; unmapping a table needs
 * its final cap and zeroes it. VM attributes (caching) are accepted and ignored.
 *
 * A frame mapped into the root task's VSpace is host-mapped at its vaddr (vspace.c).
 */
#include "kernel.h"

/* findVSpaceForASID and the "is it this PML4" check common to every Map. */
static seL4_Error find_vspace(struct cap vspace_cap, struct paging **out, struct kerr *e)
{
    struct paging *pml4 = vspace_of_asid(vspace_cap.asid);
    if (pml4 == NULL) {
        struct lookup_fault lf = {.type = seL4_InvalidRoot};
        return kerr_failed_lookup(e, false, &lf);
    }
    if (pml4 != (struct paging *)vspace_cap.obj) {
        return kerr_invalid_capability(e, 1);
    }
    *out = pml4;
    return seL4_NoError;
}

/*
 * The entry of the table at `level` for vaddr, walking down from the PML4; a missing table on
 * the way is MissingCapability with the bits still to translate (39, 30, 21).
 */
static seL4_Error walk_to(struct paging *pml4, word_t vaddr, unsigned level, struct pte **out,
                          struct kerr *e)
{
    struct paging *table = pml4;
    for (unsigned l = 4; l > level; l--) {
        struct pte *pte = &table->entries[vspace_index(vaddr, l)];
        if (pte->kind != PTE_TABLE) {
            return kerr_missing_capability(e, false, vspace_entry_bits(l));
        }
        table = (struct paging *)pte->table;
    }
    *out = &table->entries[vspace_index(vaddr, level)];
    return seL4_NoError;
}

/* ---- Frames (§10.2) -------------------------------------------------------------------------- */

static seL4_Error decode_page_map(struct invocation *inv, struct kerr *e)
{
    if (inv->length < 3 || inv->num_extra < 1) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    word_t vaddr = inv_arg(inv, 0);
    seL4_CapRights_t rights = {{inv_arg(inv, 1)}};
    struct cap vs = inv->extra_cap[0];
    struct cap frame = inv->cap;
    unsigned bits = frame.size_bits;
    if (!is_valid_vtable_root(vs)) {
        return kerr_invalid_capability(e, 1);
    }
    if (frame.flags & CAPF_MAPPED) {
        if (frame.asid != vs.asid) {
            return kerr_invalid_capability(e, 1);
        }
        if (frame.word != vaddr) {
            return kerr_invalid_argument(e, 0);
        }
    } else if (vaddr > USER_TOP || vaddr + BIT(bits) > USER_TOP) {
        return kerr_invalid_argument(e, 0);
    }
    struct paging *pml4 = NULL;
    seL4_Error err = find_vspace(vs, &pml4, e);
    if (err != seL4_NoError) {
        return err;
    }
    uint8_t vm = mask_cap_rights(rights, frame).rights;
    if (vaddr & MASK(bits)) {
        return kerr_set(e, seL4_AlignmentError);
    }
    unsigned level = bits == seL4_PageBits ? 1 : bits == seL4_LargePageBits ? 2 : 3;
    struct pte *pte;
    err = walk_to(pml4, vaddr, level, &pte, e);
    if (err != seL4_NoError) {
        return err;
    }
    if (level > 1 && pte->kind == PTE_TABLE) {
        return kerr_set(e, seL4_DeleteFirst);
    }

    /* Perform. A 4K entry (or a large page over a large page) is replaced silently. */
    bool was_host = pte->host;
    *pte = (struct pte){.kind = PTE_FRAME,
                        .rights = vm,
                        .size_bits = (uint8_t)bits,
                        .paddr = frame.paddr,
                        .host = was_host};
    vspace_host_map_entry(pml4, pte, vaddr, was_host);
    struct cap *c = &inv->slot->cap;
    c->flags |= CAPF_MAPPED;
    c->asid = vs.asid;
    c->word = vaddr;
    return seL4_NoError;
}

static seL4_Error decode_frame(struct invocation *inv, struct kerr *e)
{
    switch (inv->label) {
    case X86PageMap:
        return decode_page_map(inv, e);
    case X86PageUnmap:
        finalise_frame(&inv->slot->cap); /* unmap if mapped; always succeeds */
        return seL4_NoError;
    case X86PageGetAddress:
        inv->reply[0] = inv->cap.paddr;
        inv->reply_len = 1;
        return seL4_NoError;
    default:
        return kerr_set(e, seL4_IllegalOperation);
    }
}

/* ---- Page tables, directories, PDPTs (§10.3) ------------------------------------------------- */

static seL4_Error decode_table(struct invocation *inv, struct kerr *e)
{
    struct paging *table = (struct paging *)inv->cap.obj;
    unsigned parent = (unsigned)table->level + 1;
    word_t map_label = table->level == 1   ? X86PageTableMap
                       : table->level == 2 ? X86PageDirectoryMap
                                           : X86PDPTMap;
    if (inv->label == map_label + 1) { /* the matching Unmap */
        if (!cte_is_final(inv->slot)) {
            return kerr_set(e, seL4_RevokeFirst);
        }
        struct cap *c = &inv->slot->cap;
        if (c->flags & CAPF_MAPPED) {
            finalise_paging(c); /* clear the parent entry if it still points here */
            vspace_host_unmap_subtree(table, c->word & ~MASK(vspace_entry_bits(parent)));
            for (size_t i = 0; i < PT_ENTRIES; i++) {
                table->entries[i] = (struct pte){0};
            }
            phys_zero(table->hdr.paddr, BIT(seL4_PageTableBits));
        }
        c->flags &= (uint8_t)~CAPF_MAPPED;
        c->asid = 0;
        c->word = 0;
        return seL4_NoError;
    }
    if (inv->label != map_label) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (inv->length < 2 || inv->num_extra < 1) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    if (inv->cap.flags & CAPF_MAPPED) {
        return kerr_invalid_capability(e, 0);
    }
    word_t vaddr = inv_arg(inv, 0) & ~MASK(vspace_entry_bits(parent));
    struct cap vs = inv->extra_cap[0];
    if (!is_valid_vtable_root(vs)) {
        return kerr_invalid_capability(e, 1);
    }
    if (vaddr > USER_TOP) {
        return kerr_invalid_argument(e, 0);
    }
    struct paging *pml4 = NULL;
    seL4_Error err = find_vspace(vs, &pml4, e);
    if (err != seL4_NoError) {
        return err;
    }
    struct pte *pte;
    err = walk_to(pml4, vaddr, parent, &pte, e);
    if (err != seL4_NoError) {
        return err;
    }
    if (pte->kind != PTE_NONE) {
        return kerr_set(e, seL4_DeleteFirst);
    }
    *pte = (struct pte){.kind = PTE_TABLE, .table = &table->hdr};
    struct cap *c = &inv->slot->cap;
    c->flags |= CAPF_MAPPED;
    c->asid = vs.asid;
    c->word = vaddr;
    return seL4_NoError;
}

/* ---- ASIDs (§10.1) --------------------------------------------------------------------------- */

static seL4_Error decode_make_pool(struct invocation *inv, struct kerr *e)
{
    if (inv->label != X86ASIDControlMakePool) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (inv->length < 2 || inv->num_extra < 2) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    word_t index = inv_arg(inv, 0);
    word_t depth = inv_arg(inv, 1);
    struct cte *parent = inv->extra_slot[0];
    struct cap ut = inv->extra_cap[0];
    word_t i = 0;
    while (i < BIT(seL4_NumASIDPoolsBits) && ks.asid_table[i] != NULL) {
        i++;
    }
    if (i == BIT(seL4_NumASIDPoolsBits)) {
        return kerr_set(e, seL4_DeleteFirst);
    }
    if (ut.type != KEEL_MODEL_CAP_UNTYPED || ut.size_bits != seL4_ASIDPoolBits ||
        (ut.flags & CAPF_DEVICE)) {
        return kerr_invalid_capability(e, 1);
    }
    if (cte_has_children(parent)) {
        return kerr_set(e, seL4_RevokeFirst);
    }
    struct cte *dest;
    seL4_Error err = lookup_slot_for_cnode_op(false, inv->extra_cap[1], index, depth, &dest, e);
    if (err != seL4_NoError) {
        return err;
    }
    if (!cap_is_null(dest->cap)) {
        return kerr_set(e, seL4_DeleteFirst);
    }

    /* Perform: the untyped is used up, its memory becomes the (zeroed) pool. */
    parent->cap.word = BIT(ut.size_bits - seL4_MinUntypedBits);
    phys_zero(ut.paddr, BIT(seL4_ASIDPoolBits));
    struct asid_pool *pool = kzalloc(sizeof(*pool));
    obj_register(&pool->hdr, OBJ_ASID_POOL, ut.paddr, seL4_ASIDPoolBits);
    pool->base = i << seL4_ASIDPoolIndexBits;
    struct cap c = cap_null();
    c.type = KEEL_MODEL_CAP_ASID_POOL;
    c.obj = &pool->hdr;
    cte_insert(c, parent, dest);
    ks.asid_table[i] = pool;
    return seL4_NoError;
}

static seL4_Error decode_assign(struct invocation *inv, struct kerr *e)
{
    if (inv->label != X86ASIDPoolAssign) {
        return kerr_set(e, seL4_IllegalOperation);
    }
    if (inv->num_extra < 1) {
        return kerr_set(e, seL4_TruncatedMessage);
    }
    struct cap vs = inv->extra_cap[0];
    if (vs.type != KEEL_MODEL_CAP_PML4 || vs.asid != 0) {
        return kerr_invalid_capability(e, 1);
    }
    struct asid_pool *pool = (struct asid_pool *)inv->cap.obj;
    struct asid_pool *registered = ks.asid_table[pool->base >> seL4_ASIDPoolIndexBits];
    if (registered == NULL) {
        struct lookup_fault lf = {.type = seL4_InvalidRoot};
        return kerr_failed_lookup(e, false, &lf);
    }
    if (registered != pool) {
        return kerr_invalid_capability(e, 0);
    }
    word_t i = 0;
    while (i < BIT(seL4_ASIDPoolIndexBits) && (pool->base + i == 0 || pool->vspaces[i] != NULL)) {
        i++;
    }
    if (i == BIT(seL4_ASIDPoolIndexBits)) {
        return kerr_set(e, seL4_DeleteFirst);
    }
    pool->vspaces[i] = (struct paging *)vs.obj;
    inv->extra_slot[0]->cap.asid = (uint16_t)(pool->base + i);
    return seL4_NoError;
}

seL4_Error decode_x86_mmu_invocation(struct invocation *inv, struct kerr *e)
{
    switch ((keel_model_cap_type)inv->cap.type) {
    case KEEL_MODEL_CAP_FRAME:
        return decode_frame(inv, e);
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
        return decode_table(inv, e);
    case KEEL_MODEL_CAP_ASID_CONTROL:
        return decode_make_pool(inv, e);
    case KEEL_MODEL_CAP_ASID_POOL:
        return decode_assign(inv, e);
    default: /* PML4: no invocations */
        return kerr_set(e, seL4_IllegalOperation);
    }
}
