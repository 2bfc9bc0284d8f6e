/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86_64 VSpaces (sel4-semantics §10, §7.2): ASIDs, the four-level tables as sparse records,
 * what happens to a mapping when a frame or table cap goes away, and the root VSpace's host
 * mappings. The Map/Unmap, ASIDControl and ASIDPool invocations are in paging.c.
 *
 * A VSpace is a PML4 record reachable from the ASID table (8 pools of 512 ASIDs; the boot pool
 * is pool 0 and the root task's VSpace has ASID 1). Table entries are present or not; a present
 * entry points to the next level's record or is a frame (4K in a PT, 2M in a PD, 1G in a PDPT).
 * There is no translation: only the kernel's checks and bookkeeping are reproduced.
 *
 * Host mappings. The root task's VSpace is also the host process's address space: a frame
 * mapped there at vaddr is mmap'ed from physical memory at that host address (its entry has
 * pte.host), readable and writable as its rights say, sharing its bytes with every other
 * mapping of the frame. Whenever an entry stops being reachable from the root VSpace (unmap,
 * frame cap deleted, 4K mapping replaced, a table above it unmapped or deleted, the root
 * PML4's ASID removed, shutdown) its host mapping goes too. Boot-time mappings (the root task's
 * image, IPC buffer and BootInfo frames) are recorded but not host-mapped: the host already
 * has its own program there.
 *
 * Invariant: pte.host is set only on frame entries reachable from ks.root_vspace, and
 * ks.host_mappings counts them.
 */
#include <sys/mman.h>

#include "kernel.h"

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
        struct pte *pte = &table->entries[vspace_index(vaddr, l)];
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

/* ---- Host mappings of the root VSpace -------------------------------------------------------- */

static int vm_prot(uint8_t rights)
{
    switch (rights) {
    case VM_READ_WRITE:
        return PROT_READ | PROT_WRITE;
    case VM_READ_ONLY:
        return PROT_READ;
    default:
        return PROT_NONE;
    }
}

void vspace_host_map_entry(struct paging *vspace, struct pte *pte, word_t vaddr, bool was_host)
{
    if (vspace != ks.root_vspace || vspace == NULL) {
        return;
    }
    phys_host_map(vaddr, pte->paddr, BIT(pte->size_bits), vm_prot(pte->rights), was_host);
    pte->host = true;
    if (!was_host) {
        ks.host_mappings++;
    }
}

static void host_unmap_entry(struct pte *pte, word_t vaddr)
{
    if (pte->host) {
        phys_host_unmap(vaddr, BIT(pte->size_bits));
        pte->host = false;
        ks.host_mappings--;
    }
}

/* Every host mapping below `table`, which maps the range starting at `base`. */
void vspace_host_unmap_subtree(struct paging *table, word_t base)
{
    if (ks.host_mappings == 0 || table == NULL) {
        return;
    }
    unsigned bits = vspace_entry_bits(table->level);
    for (word_t i = 0; i < PT_ENTRIES; i++) {
        struct pte *pte = &table->entries[i];
        if (pte->kind == PTE_FRAME) {
            host_unmap_entry(pte, base + (i << bits));
        } else if (pte->kind == PTE_TABLE) {
            vspace_host_unmap_subtree((struct paging *)pte->table, base + (i << bits));
        }
    }
}

void vspace_host_unmap_all(void)
{
    vspace_host_unmap_subtree(ks.root_vspace, 0);
}

void *vspace_host_ipc_buffer(struct tcb *t)
{
    struct cap v = t->slots[TCB_VTABLE].cap;
    struct cap frame = t->slots[TCB_BUFFER].cap;
    if (v.type != KEEL_MODEL_CAP_PML4 || frame.type != KEEL_MODEL_CAP_FRAME ||
        ks.root_vspace == NULL || vspace_of_asid(v.asid) != ks.root_vspace) {
        return NULL;
    }
    word_t va = t->ipc_buffer;
    paddr_t want = frame.paddr + (va & MASK(frame.size_bits));
    struct paging *table = ks.root_vspace;
    for (unsigned l = 4; l >= 1; l--) {
        struct pte *pte = &table->entries[vspace_index(va, l)];
        if (pte->kind == PTE_FRAME) {
            bool hit = pte->host && pte->paddr + (va & MASK(pte->size_bits)) == want;
            return hit ? (void *)(uintptr_t)va : NULL;
        }
        if (pte->kind != PTE_TABLE) {
            return NULL;
        }
        table = (struct paging *)pte->table;
    }
    return NULL;
}

/* ---- What deleting a frame or paging cap does (§7.2) ----------------------------------------- */

void finalise_frame(struct cap *c)
{
    if (!(c->flags & CAPF_MAPPED)) {
        return;
    }
    struct pte *pte = vspace_entry(c->asid, c->word, frame_level(c->size_bits));
    if (pte != NULL && pte->kind == PTE_FRAME && pte->paddr == c->paddr) {
        host_unmap_entry(pte, c->word);
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
    unsigned parent = (unsigned)table->level + 1;
    struct pte *pte = vspace_entry(c->asid, c->word, parent);
    if (pte != NULL && pte->kind == PTE_TABLE && pte->table == c->obj) {
        vspace_host_unmap_subtree(table, c->word & ~MASK(vspace_entry_bits(parent)));
        *pte = (struct pte){0};
    }
}

void finalise_pml4(struct cap *c)
{
    struct paging *pml4 = (struct paging *)c->obj;
    if (c->asid != 0) {
        struct asid_pool *pool = ks.asid_table[c->asid >> seL4_ASIDPoolIndexBits];
        word_t i = c->asid & MASK(seL4_ASIDPoolIndexBits);
        if (pool != NULL && pool->vspaces[i] == pml4) {
            vspace_host_unmap_subtree(pml4, 0);
            pool->vspaces[i] = NULL;
        }
    }
    if (ks.root_vspace == pml4) {
        vspace_host_unmap_subtree(pml4, 0);
        ks.root_vspace = NULL;
    }
}

void finalise_asid_pool(struct asid_pool *pool)
{
    word_t index = pool->base >> seL4_ASIDPoolIndexBits;
    if (ks.asid_table[index] != pool) {
        return;
    }
    for (size_t i = 0; i < PT_ENTRIES; i++) {
        vspace_host_unmap_subtree(pool->vspaces[i], 0);
    }
    ks.asid_table[index] = NULL;
}
