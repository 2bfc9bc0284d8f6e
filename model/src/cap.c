/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Caps as values: what object or memory a cap names, when two caps name the same thing, and
 * the pure transformations applied when caps are copied (§1.2, §4.2–4.5).
 *
 * Nothing here touches a slot except derive_cap's "has children" test; nothing here can fail
 * in a way the caller does not see as a return value.
 */
#include "kernel.h"

unsigned object_size_bits(word_t type, word_t size_bits)
{
    switch (type) {
    case seL4_UntypedObject:
        return (unsigned)size_bits;
    case seL4_TCBObject:
        return seL4_TCBBits;
    case seL4_EndpointObject:
        return seL4_EndpointBits;
    case seL4_NotificationObject:
        return seL4_NotificationBits;
    case seL4_CapTableObject:
        return (unsigned)size_bits + seL4_SlotBits;
    case seL4_X86_PDPTObject:
        return seL4_PDPTBits;
    case seL4_X64_PML4Object:
        return seL4_PML4Bits;
    case seL4_X64_HugePageObject:
        return seL4_HugePageBits;
    case seL4_X86_4K:
        return seL4_PageBits;
    case seL4_X86_LargePageObject:
        return seL4_LargePageBits;
    case seL4_X86_PageTableObject:
        return seL4_PageTableBits;
    case seL4_X86_PageDirectoryObject:
        return seL4_PageDirBits;
    default:
        model_panic("object_size_bits: invalid object type %llu", (unsigned long long)type);
    }
}

keel_model_cap_type cap_type_of_object(word_t type)
{
    switch (type) {
    case seL4_UntypedObject:
        return KEEL_MODEL_CAP_UNTYPED;
    case seL4_TCBObject:
        return KEEL_MODEL_CAP_TCB;
    case seL4_EndpointObject:
        return KEEL_MODEL_CAP_ENDPOINT;
    case seL4_NotificationObject:
        return KEEL_MODEL_CAP_NOTIFICATION;
    case seL4_CapTableObject:
        return KEEL_MODEL_CAP_CNODE;
    case seL4_X86_PDPTObject:
        return KEEL_MODEL_CAP_PDPT;
    case seL4_X64_PML4Object:
        return KEEL_MODEL_CAP_PML4;
    case seL4_X64_HugePageObject:
    case seL4_X86_4K:
    case seL4_X86_LargePageObject:
        return KEEL_MODEL_CAP_FRAME;
    case seL4_X86_PageTableObject:
        return KEEL_MODEL_CAP_PAGE_TABLE;
    case seL4_X86_PageDirectoryObject:
        return KEEL_MODEL_CAP_PAGE_DIRECTORY;
    default:
        model_panic("cap_type_of_object: invalid object type %llu", (unsigned long long)type);
    }
}

int cap_object_type(struct cap c)
{
    switch ((keel_model_cap_type)c.type) {
    case KEEL_MODEL_CAP_UNTYPED:
        return seL4_UntypedObject;
    case KEEL_MODEL_CAP_TCB:
        return seL4_TCBObject;
    case KEEL_MODEL_CAP_ENDPOINT:
        return seL4_EndpointObject;
    case KEEL_MODEL_CAP_NOTIFICATION:
        return seL4_NotificationObject;
    case KEEL_MODEL_CAP_CNODE:
        return seL4_CapTableObject;
    case KEEL_MODEL_CAP_PDPT:
        return seL4_X86_PDPTObject;
    case KEEL_MODEL_CAP_PML4:
        return seL4_X64_PML4Object;
    case KEEL_MODEL_CAP_PAGE_TABLE:
        return seL4_X86_PageTableObject;
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
        return seL4_X86_PageDirectoryObject;
    case KEEL_MODEL_CAP_FRAME:
        return c.size_bits == seL4_PageBits        ? seL4_X86_4K
               : c.size_bits == seL4_LargePageBits ? seL4_X86_LargePageObject
                                                   : seL4_X64_HugePageObject;
    default:
        return -1;
    }
}

bool cap_is_frame_type(word_t type)
{
    return type == seL4_X86_4K || type == seL4_X86_LargePageObject ||
           type == seL4_X64_HugePageObject;
}

bool cap_region(struct cap c, paddr_t *base, unsigned *size_bits)
{
    switch ((keel_model_cap_type)c.type) {
    case KEEL_MODEL_CAP_UNTYPED:
    case KEEL_MODEL_CAP_FRAME:
        *base = c.paddr;
        *size_bits = c.size_bits;
        return true;
    case KEEL_MODEL_CAP_ENDPOINT:
    case KEEL_MODEL_CAP_NOTIFICATION:
    case KEEL_MODEL_CAP_CNODE:
    case KEEL_MODEL_CAP_TCB:
    case KEEL_MODEL_CAP_ZOMBIE:
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
    case KEEL_MODEL_CAP_PML4:
    case KEEL_MODEL_CAP_ASID_POOL:
        *base = c.obj->paddr;
        *size_bits = c.obj->size_bits;
        return true;
    default:
        /* Reply (non-MCS), IRQ, domain, ASID control, IO port caps have no memory. */
        return false;
    }
}

static bool is_arch_cap(struct cap c)
{
    switch ((keel_model_cap_type)c.type) {
    case KEEL_MODEL_CAP_FRAME:
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
    case KEEL_MODEL_CAP_PML4:
    case KEEL_MODEL_CAP_ASID_CONTROL:
    case KEEL_MODEL_CAP_ASID_POOL:
    case KEEL_MODEL_CAP_IO_PORT_CONTROL:
    case KEEL_MODEL_CAP_IO_PORT:
        return true;
    default:
        return false;
    }
}

/* b's memory lies within a's. Regions never straddle the kernel window's wrap at 2^39. */
static bool region_within(paddr_t a_base, unsigned a_bits, paddr_t b_base, unsigned b_bits)
{
    return a_base <= b_base && b_base + BIT(b_bits) <= a_base + BIT(a_bits);
}

bool same_region_as(struct cap a, struct cap b)
{
    paddr_t ab, bb;
    unsigned abits, bbits;
    switch ((keel_model_cap_type)a.type) {
    case KEEL_MODEL_CAP_UNTYPED:
        return cap_region(b, &bb, &bbits) && region_within(a.paddr, a.size_bits, bb, bbits);
    case KEEL_MODEL_CAP_ENDPOINT:
    case KEEL_MODEL_CAP_NOTIFICATION:
    case KEEL_MODEL_CAP_TCB:
    case KEEL_MODEL_CAP_REPLY:
        return b.type == a.type && b.obj == a.obj;
    case KEEL_MODEL_CAP_CNODE:
        return b.type == a.type && b.obj == a.obj && b.size_bits == a.size_bits;
    case KEEL_MODEL_CAP_FRAME:
        if (b.type != KEEL_MODEL_CAP_FRAME) {
            return false;
        }
        (void)cap_region(a, &ab, &abits);
        (void)cap_region(b, &bb, &bbits);
        return region_within(ab, abits, bb, bbits);
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
    case KEEL_MODEL_CAP_PML4:
    case KEEL_MODEL_CAP_ASID_POOL:
        return b.type == a.type && b.obj == a.obj;
    case KEEL_MODEL_CAP_IRQ_CONTROL:
        return b.type == KEEL_MODEL_CAP_IRQ_CONTROL || b.type == KEEL_MODEL_CAP_IRQ_HANDLER;
    case KEEL_MODEL_CAP_IRQ_HANDLER:
        return b.type == KEEL_MODEL_CAP_IRQ_HANDLER && b.word == a.word;
    case KEEL_MODEL_CAP_DOMAIN:
    case KEEL_MODEL_CAP_ASID_CONTROL:
        return b.type == a.type;
    case KEEL_MODEL_CAP_IO_PORT_CONTROL:
        return b.type == KEEL_MODEL_CAP_IO_PORT_CONTROL || b.type == KEEL_MODEL_CAP_IO_PORT;
    case KEEL_MODEL_CAP_IO_PORT:
        return b.type == KEEL_MODEL_CAP_IO_PORT && b.word == a.word;
    default: /* null, zombie */
        return false;
    }
}

bool same_object_as(struct cap a, struct cap b)
{
    if (a.type == KEEL_MODEL_CAP_UNTYPED || a.type == KEEL_MODEL_CAP_IRQ_CONTROL) {
        return false;
    }
    if (is_arch_cap(a) && is_arch_cap(b) && a.type == KEEL_MODEL_CAP_FRAME &&
        b.type == KEEL_MODEL_CAP_FRAME) {
        return a.paddr == b.paddr && a.size_bits == b.size_bits &&
               (a.flags & CAPF_DEVICE) == (b.flags & CAPF_DEVICE);
    }
    return same_region_as(a, b);
}

static enum vm_rights mask_vm_rights(enum vm_rights vm, seL4_CapRights_t mask)
{
    bool read = seL4_CapRights_get_capAllowRead(mask);
    bool write = seL4_CapRights_get_capAllowWrite(mask);
    if (vm == VM_READ_ONLY && read) {
        return VM_READ_ONLY;
    }
    if (vm == VM_READ_WRITE && read) {
        return write ? VM_READ_WRITE : VM_READ_ONLY;
    }
    return VM_KERNEL_ONLY;
}

struct cap mask_cap_rights(seL4_CapRights_t mask, struct cap c)
{
    uint8_t m = (uint8_t)(mask.words[0] & 0xf);
    switch ((keel_model_cap_type)c.type) {
    case KEEL_MODEL_CAP_ENDPOINT:
        c.rights &= m;
        break;
    case KEEL_MODEL_CAP_NOTIFICATION:
        c.rights &= (uint8_t)(m & 0x3); /* Send (Write) and Receive (Read) only */
        break;
    case KEEL_MODEL_CAP_REPLY:
        c.rights &= (uint8_t)(m & 0x4); /* Grant only */
        break;
    case KEEL_MODEL_CAP_FRAME:
        c.rights = (uint8_t)mask_vm_rights((enum vm_rights)c.rights, mask);
        break;
    default:
        break;
    }
    return c;
}

struct cap update_cap_data(bool preserve, word_t data, struct cap c)
{
    switch ((keel_model_cap_type)c.type) {
    case KEEL_MODEL_CAP_ENDPOINT:
    case KEEL_MODEL_CAP_NOTIFICATION:
        if (!preserve && c.word == 0) {
            c.word = data;
            return c;
        }
        return cap_null();
    case KEEL_MODEL_CAP_CNODE: {
        word_t guard_size = data & MASK(seL4_GuardSizeBits);
        if (guard_size + c.size_bits > seL4_WordBits) {
            return cap_null();
        }
        c.guard_size = (uint8_t)guard_size;
        c.word = (data >> seL4_GuardSizeBits) & MASK(guard_size);
        return c;
    }
    default:
        return c;
    }
}

bool is_cap_revocable(struct cap derived, struct cap src)
{
    switch ((keel_model_cap_type)derived.type) {
    case KEEL_MODEL_CAP_ENDPOINT:
    case KEEL_MODEL_CAP_NOTIFICATION:
        return derived.word != src.word;
    case KEEL_MODEL_CAP_UNTYPED:
        return true;
    case KEEL_MODEL_CAP_IRQ_HANDLER:
        return src.type == KEEL_MODEL_CAP_IRQ_CONTROL;
    case KEEL_MODEL_CAP_IO_PORT:
        return src.type == KEEL_MODEL_CAP_IO_PORT_CONTROL;
    default:
        return false;
    }
}

seL4_Error derive_cap(const struct cte *slot, struct cap c, struct cap *out)
{
    *out = cap_null();
    switch ((keel_model_cap_type)c.type) {
    case KEEL_MODEL_CAP_ZOMBIE:
    case KEEL_MODEL_CAP_IRQ_CONTROL:
    case KEEL_MODEL_CAP_REPLY:
    case KEEL_MODEL_CAP_IO_PORT_CONTROL:
        return seL4_NoError; /* derives to nothing */
    case KEEL_MODEL_CAP_UNTYPED:
        if (cte_has_children(slot)) {
            return seL4_RevokeFirst;
        }
        break;
    case KEEL_MODEL_CAP_FRAME:
        c.flags &= (uint8_t)~CAPF_MAPPED;
        c.asid = 0;
        c.word = 0;
        break;
    case KEEL_MODEL_CAP_PAGE_TABLE:
    case KEEL_MODEL_CAP_PAGE_DIRECTORY:
    case KEEL_MODEL_CAP_PDPT:
        if (!(c.flags & CAPF_MAPPED)) {
            return seL4_IllegalOperation;
        }
        break;
    case KEEL_MODEL_CAP_PML4:
        if (c.asid == 0) {
            return seL4_IllegalOperation;
        }
        break;
    default:
        break;
    }
    c.mdb = 0;
    *out = c;
    return seL4_NoError;
}

bool cap_long_running_delete(const struct cte *slot)
{
    if (cap_is_null(slot->cap) || !cte_is_final(slot)) {
        return false;
    }
    switch ((keel_model_cap_type)slot->cap.type) {
    case KEEL_MODEL_CAP_TCB:
    case KEEL_MODEL_CAP_ZOMBIE:
    case KEEL_MODEL_CAP_CNODE:
        return true;
    default:
        return false;
    }
}
