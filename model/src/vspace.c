/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64 VSpaces (§10): ASIDs, the four-level tables as sparse records, and what happens to a
 * mapping when a frame or table cap goes away. The Map/Unmap invocations come with the thread
 * layer; here are GetAddress and the invariants deletion must keep.
 */
#include "kernel.h"

/* Index into a table of `level` (4 = PML4 ... 1 = PT) for a virtual address. */
static unsigned table_index(word_t vaddr, unsigned level)
{
    return (unsigned)((vaddr >> (seL4_PageBits + 9 * (level - 1))) & (PT_ENTRIES - 1));
}

struct paging *vspace_of_asid(word_t asid)
{
    struct asid_pool *pool = ks.asid_table[asid >> seL4_ASIDPoolIndexBits];
    if (pool == NULL) {
        return NULL;
    }
    return pool->vspaces[asid & MASK(seL4_ASIDPoolIndexBits)];
}

/*
 * The entry of the table at `level` that would map vaddr in the VSpace of `asid`, or NULL if a
 * table on the way is missing (or is a large frame).
 */
struct pte *vspace_entry(word_t asid, word_t vaddr, unsigned level)
{
    struct paging *table = vspace_of_asid(asid);
    for (unsigned l = 4; table != NULL; l--) {
        struct pte *pte = &table->entries[table_index(vaddr, l)];
        if (l == level) {
            return pte;
        }
        if (pte->kind != PTE_TABLE) {
            return NULL;
        }
        table = (struct paging *)pte->table;
    }
    return NULL;
}

static unsigned frame_level(unsigned size_bits)
{
    return size_bits == seL4_PageBits ? 1 : size_bits == seL4_LargePageBits ? 2 : 3;
}

void finalise_frame(struct cap *c)
{
    if (!(c->flags & CAPF_MAPPED)) {
        return;
    }
    struct pte *pte = vspace_entry(c->asid, c->word, frame_level(c->size_bits));
    if (pte != NULL && pte->kind == PTE_FRAME && pte->paddr == c->paddr) {
        *pte = (struct pte){0};
    }
    c->flags &= (uint8_t)~CAPF_MAPPED;
    c->asid = 0;
    c->word = 0;
}

void finalise_paging(struct cap *c)
{
    if (!(c->flags & CAPF_MAPPED)) {
        return;
    }
    struct paging *table = (struct paging *)c->obj;
    struct pte *pte = vspace_entry(c->asid, c->word, (unsigned)table->level + 1);
    if (pte != NULL && pte->kind == PTE_TABLE && pte->table == c->obj) {
        *pte = (struct pte){0};
    }
}

void finalise_pml4(struct cap *c)
{
    if (c->asid == 0) {
        return;
    }
    struct asid_pool *pool = ks.asid_table[c->asid >> seL4_ASIDPoolIndexBits];
    if (pool != NULL && pool->vspaces[c->asid & MASK(seL4_ASIDPoolIndexBits)] == (struct paging *)c->obj) {
        pool->vspaces[c->asid & MASK(seL4_ASIDPoolIndexBits)] = NULL;
    }
}

void finalise_asid_pool(struct asid_pool *pool)
{
    word_t index = pool->base >> seL4_ASIDPoolIndexBits;
    if (ks.asid_table[index] == pool) {
        ks.asid_table[index] = NULL;
    }
}

static seL4_Error decode_frame(struct invocation *inv, struct kerr *e)
{
    switch (inv->label) {
    case X86PageGetAddress:
        inv->reply[0] = inv->cap.paddr;
        inv->reply_len = 1;
        return seL4_NoError;
    case X86PageMap:
    case X86PageUnmap:
        model_panic("seL4_X86_Page_Map/Unmap are not modelled yet: they come with the model's "
                    "thread layer");
    default:
        return kerr_set(e, seL4_IllegalOperation);
    }
}

seL4_Error decode_x86_mmu_invocation(struct invocation *inv, struct kerr *e)
{
    switch ((keel_model_cap_type)inv->cap.type) {
    case KEEL_MODEL_CAP_FRAME:
        return decode_frame(inv, e);
    case KEEL_MODEL_CAP_PML4:
        return kerr_set(e, seL4_IllegalOperation);
    default:
        model_panic("invocations of %s caps are not modelled yet: they come with the model's "
                    "thread layer",
                    keel_model_cap_type_name(inv->cap.type));
    }
}
