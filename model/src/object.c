/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Kernel objects: creating them (§5.4), and destroying them when their last cap is deleted
 * (§4.6, §7.2), which is where delete and revoke live.
 *
 * Stateful objects are host records registered per type, so the world can be walked and
 * counted. Destruction is two-phase: finalising an object (cancelling IPC, deleting a CNode's
 * or TCB's slots) unregisters it at once, but its record is only freed when the outermost
 * kernel operation ends (kernel_reap). That keeps every slot the deletion is still walking
 * valid, including the cyclic case where the slot being deleted lies inside a container whose
 * last cap the deletion reaches: the kernel parks such a container as a cyclic zombie, the
 * model destroys it completely (docs/model.md lists this difference). Deleting nested
 * containers recurses once per nesting level; nesting deeper than MAX_DELETE_DEPTH aborts.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel.h"

#define BIG_ALLOC        (64u * 1024u)
#define MAX_DELETE_DEPTH 100000

void *kzalloc(size_t size)
{
    if (size >= BIG_ALLOC) {
        /* Large records (big CNodes) come zeroed and uncommitted from the host. */
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED) {
            model_panic("out of host memory for a %zu-byte kernel record", size);
        }
        return p;
    }
    void *p = calloc(1, size);
    if (p == NULL) {
        model_panic("out of host memory for a %zu-byte kernel record", size);
    }
    return p;
}

void kfree(void *p, size_t size)
{
    if (p == NULL) {
        return;
    }
    if (size >= BIG_ALLOC) {
        munmap(p, size);
    } else {
        free(p);
    }
}

size_t object_record_size(word_t type, word_t size_bits)
{
    switch (type) {
    case seL4_TCBObject:
        return sizeof(struct tcb);
    case seL4_EndpointObject:
        return sizeof(struct endpoint);
    case seL4_NotificationObject:
        return sizeof(struct notification);
    case seL4_CapTableObject:
        return sizeof(struct cnode) + (sizeof(struct cte) << size_bits);
    case seL4_X86_PDPTObject:
    case seL4_X64_PML4Object:
    case seL4_X86_PageTableObject:
    case seL4_X86_PageDirectoryObject:
        return sizeof(struct paging);
    case OBJ_ASID_POOL:
        return sizeof(struct asid_pool);
    default:
        return 0; /* untyped and frames are memory only */
    }
}

void obj_register(struct kobj *o, word_t type, paddr_t p, unsigned size_bits)
{
    o->paddr = p;
    o->type = (uint8_t)type;
    o->size_bits = (uint8_t)size_bits;
    o->prev = NULL;
    o->next = ks.objects[type];
    if (o->next != NULL) {
        o->next->prev = o;
    }
    ks.objects[type] = o;
    ks.obj_count[type]++;
}

/* Records unregistered but not yet freed (see the comment at the top). */
static struct kobj *graveyard;

void obj_destroy(struct kobj *o)
{
    if (o->prev != NULL) {
        o->prev->next = o->next;
    } else {
        ks.objects[o->type] = o->next;
    }
    if (o->next != NULL) {
        o->next->prev = o->prev;
    }
    ks.obj_count[o->type]--;
    o->prev = NULL;
    o->next = graveyard;
    graveyard = o;
}

void kernel_reap(void)
{
    while (graveyard != NULL) {
        struct kobj *o = graveyard;
        graveyard = o->next;
        word_t size_bits = o->type == seL4_CapTableObject ? ((struct cnode *)o)->radix : 0;
        kfree(o, object_record_size(o->type, size_bits));
    }
}

static struct paging *paging_create(word_t type, paddr_t p, uint8_t level)
{
    struct paging *pt = kzalloc(sizeof(*pt));
    obj_register(&pt->hdr, type, p, seL4_PageTableBits);
    pt->level = level;
    return pt;
}

struct cap object_create(word_t type, paddr_t p, word_t size_bits, bool device)
{
    struct cap c = cap_null();
    c.type = (uint8_t)cap_type_of_object(type);
    switch (type) {
    case seL4_UntypedObject:
        c.paddr = p;
        c.size_bits = (uint8_t)size_bits;
        c.flags = device ? CAPF_DEVICE : 0;
        c.word = 0; /* an empty watermark */
        break;
    case seL4_TCBObject: {
        struct tcb *t = kzalloc(sizeof(*t));
        obj_register(&t->hdr, type, p, seL4_TCBBits);
        t->state = TS_INACTIVE;
        t->regs.rflags = 0x202; /* IF plus the always-one bit (§11.1) */
        if (host_self != NULL) {
            (void)snprintf(t->name, sizeof(t->name), "child of: '%.19s'", host_self->name);
        }
        c.obj = &t->hdr;
        break;
    }
    case seL4_EndpointObject: {
        struct endpoint *ep = kzalloc(sizeof(*ep));
        obj_register(&ep->hdr, type, p, seL4_EndpointBits);
        c.obj = &ep->hdr;
        c.rights = (uint8_t)seL4_AllRights.words[0];
        break;
    }
    case seL4_NotificationObject: {
        struct notification *n = kzalloc(sizeof(*n));
        obj_register(&n->hdr, type, p, seL4_NotificationBits);
        c.obj = &n->hdr;
        c.rights = (uint8_t)seL4_ReadWrite.words[0];
        break;
    }
    case seL4_CapTableObject: {
        struct cnode *cn = kzalloc(object_record_size(type, size_bits));
        obj_register(&cn->hdr, type, p, (unsigned)size_bits + seL4_SlotBits);
        cn->radix = (unsigned)size_bits;
        c.obj = &cn->hdr;
        c.size_bits = (uint8_t)size_bits;
        break;
    }
    case seL4_X86_4K:
    case seL4_X86_LargePageObject:
    case seL4_X64_HugePageObject:
        c.paddr = p;
        c.size_bits = (uint8_t)object_size_bits(type, 0);
        c.rights = VM_READ_WRITE;
        c.flags = device ? CAPF_DEVICE : 0;
        ks.obj_count[type]++;
        break;
    case seL4_X64_PML4Object:
        c.obj = &paging_create(type, p, 4)->hdr;
        break;
    case seL4_X86_PDPTObject:
        c.obj = &paging_create(type, p, 3)->hdr;
        break;
    case seL4_X86_PageDirectoryObject:
        c.obj = &paging_create(type, p, 2)->hdr;
        break;
    case seL4_X86_PageTableObject:
        c.obj = &paging_create(type, p, 1)->hdr;
        break;
    default:
        model_panic("object_create: invalid type %llu", (unsigned long long)type);
    }
    ks.counters.objects_created++;
    return c;
}

static unsigned delete_depth;

/* Delete every slot of a container, highest index first (§4.6 step 3). */
static void delete_slots(struct cte *slots, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        cte_delete(&slots[i]);
    }
}

/* finaliseCap (§7.2) for the cap in `slot`; `final`: no other cap names the object. */
static void finalise_cap(struct cte *slot, bool final)
{
    struct cap *c = &slot->cap;
    switch ((keel_model_cap_type)c->type) {
    case KEEL_MODEL_CAP_FRAME:
        /* Each frame cap owns its own mapping: unmap whether final or not. */
        finalise_frame(c);
        if (final) {
            ks.obj_count[cap_object_type(*c)]--;
        }
        return;
    default:
        break;
    }
    if (!final || c->type == KEEL_MODEL_CAP_UNTYPED || c->obj == NULL) {
        return;
    }
    struct kobj *o = c->obj;
    if (o->dying) {
        return; /* reached again while it is being destroyed: a cyclic structure */
    }
    switch ((keel_model_cap_type)c->type) {
    case KEEL_MODEL_CAP_ENDPOINT:
        finalise_endpoint((struct endpoint *)o);
        break;
    case KEEL_MODEL_CAP_NOTIFICATION:
        finalise_notification((struct notification *)o);
        break;
    case KEEL_MODEL_CAP_CNODE: {
        struct cnode *cn = (struct cnode *)o;
        o->dying = true;
        delete_slots(cn->slots, BIT(cn->radix));
        break;
    }
    case KEEL_MODEL_CAP_TCB: {
        struct tcb *t = (struct tcb *)o;
        o->dying = true;
        finalise_tcb(t);
        delete_slots(t->slots, TCB_NUM_SLOTS);
        break;
    }
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
        finalise_paging(c);
        break;
    case KEEL_MODEL_CAP_PML4:
        finalise_pml4(c);
        break;
    case KEEL_MODEL_CAP_ASID_POOL:
        finalise_asid_pool((struct asid_pool *)o);
        break;
    case KEEL_MODEL_CAP_REPLY:
        return; /* non-MCS: the caller stays blocked on reply; nothing is destroyed */
    default:
        return;
    }
    obj_destroy(o);
}

void cte_delete(struct cte *slot)
{
    if (cap_is_null(slot->cap)) {
        return;
    }
    if (++delete_depth > MAX_DELETE_DEPTH) {
        model_panic("containers nested more than %d deep: deletion would overflow the host stack",
                    MAX_DELETE_DEPTH);
    }
    finalise_cap(slot, cte_is_final(slot));
    /* A cyclic structure may have emptied this slot already; cte_empty is then a no-op. */
    cte_empty(slot);
    delete_depth--;
}

void cte_revoke(struct cte *slot)
{
    while (!cap_is_null(slot->cap) && cte_has_children(slot)) {
        cte_delete(slot->next);
    }
}
