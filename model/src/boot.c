/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Booting a world (§9): what the kernel builds for its root task.
 *
 * A world is a physical memory map (RAM and device regions). The kernel keeps two ranges of
 * RAM for itself: its image followed by the root task's image, and a block of root-task
 * objects (root CNode, TCB, VSpace, ASID pool, IPC buffer, BootInfo). Everything else becomes
 * untyped caps: each region is carved greedily into the largest aligned power-of-two pieces
 * (at most 2^47 bytes, at least 16), on the kernel's addresses, device regions first, then RAM,
 * each in address order (§9.2).
 *
 * The layout reproduces qemu-system-x86_64 -m 512M as recorded from the real kernel: a PC whose
 * low RAM is [1 MiB, top - 128 KiB) and whose device space is everything else below 2^47 except
 * the IOAPIC and local APIC pages the kernel keeps; the root task image is 1045 frames mapped at
 * 0x400000 with 3 page tables, and one extra BootInfo frame. Booting that layout gives the same
 * 91 untypeds in the same slots and the same empty region, which a test checks against the
 * recording (docs/model.md).
 */
#include <stdio.h>
#include <string.h>

#include <sel4runtime.h>

#include "kernel.h"

#define MiB(x) ((paddr_t)(x) << 20)
#define GiB(x) ((paddr_t)(x) << 30)

#define KERNEL_IMAGE_BYTES 0x213000ull /* the kernel's own image and boot data */
#define IMAGE_FRAMES       1045        /* the root task's image */
#define IMAGE_VADDR        0x400000ull
#define IMAGE_PAGE_TABLES  3
#define EXTRA_BI_FRAMES    1
#define BOOT_PAGES         (6 + 4) /* PML4, PDPT, PD, 3 PTs; ASID pool, IPC buffer, BI, extra BI */
#define DEFAULT_RAM        MiB(512)
#define LOW_RAM_LIMIT      GiB(3)
#define BIOS_RESERVED      0x20000ull /* reserved at the top of low RAM */
#define MAX_REGIONS        64

extern _Thread_local seL4_IPCBuffer *__sel4_ipc_buffer;

/* ---- The memory map ------------------------------------------------------------------------ */

struct layout {
    keel_model_region regions[MAX_REGIONS];
    size_t num_regions;
    paddr_t image_base; /* kernel image, then the root task's image */
    paddr_t image_end;
    paddr_t objects_base; /* the root task's boot objects */
    paddr_t objects_end;
    unsigned radix;
};

static void add_region(struct layout *l, paddr_t start, paddr_t end, bool device)
{
    if (start >= end) {
        return;
    }
    if (l->num_regions == MAX_REGIONS) {
        model_panic("memory map has more than %d regions", MAX_REGIONS);
    }
    l->regions[l->num_regions++] = (keel_model_region){start, end, device};
}

/* A PC with `ram` bytes, laid out as qemu lays it out. */
static void pc_memory_map(struct layout *l, uint64_t ram)
{
    paddr_t low_top = ram < LOW_RAM_LIMIT ? ram : LOW_RAM_LIMIT;
    paddr_t high = ram - low_top;
    static const struct {
        paddr_t start, end;
    } kernel_devices[] = {{0xfec00000, 0xfec01000}, {0xfee00000, 0xfee01000}};
    add_region(l, 0, MiB(1), true);
    add_region(l, MiB(1), low_top - BIOS_RESERVED, false);
    /* Device space from the end of low RAM up to 4 GiB, minus the kernel's own devices. The
     * last byte below 4 GiB is not offered (the kernel treats the region as ending there). */
    paddr_t at = low_top - BIOS_RESERVED;
    for (size_t i = 0; i < sizeof(kernel_devices) / sizeof(kernel_devices[0]); i++) {
        add_region(l, at, kernel_devices[i].start, true);
        at = kernel_devices[i].end;
    }
    add_region(l, at, GiB(4) - 1, true);
    add_region(l, GiB(4), GiB(4) + high, false);
    add_region(l, GiB(4) + high, PADDR_TOP, true);
}

static paddr_t align_down(paddr_t x, unsigned bits)
{
    return x & ~MASK(bits);
}

/* Place the kernel's two reserved ranges of RAM. */
static void reserve_kernel_ranges(struct layout *l)
{
    word_t image_bytes = KERNEL_IMAGE_BYTES + ((word_t)IMAGE_FRAMES << seL4_PageBits);
    word_t cnode_bytes = BIT(l->radix + seL4_SlotBits);
    word_t objects_bytes = cnode_bytes + ((word_t)BOOT_PAGES << seL4_PageBits) + BIT(seL4_TCBBits);
    l->image_base = 0;
    for (size_t i = 0; i < l->num_regions && l->image_base == 0; i++) {
        const keel_model_region *r = &l->regions[i];
        paddr_t start = r->start > MiB(8) ? r->start : MiB(8);
        start = (start + MASK(seL4_PageBits)) & ~MASK(seL4_PageBits);
        if (!r->device && start < r->end && r->end - start >= image_bytes) {
            l->image_base = start;
        }
    }
    l->image_end = l->image_base + image_bytes;
    /* Boot objects: as high as possible in the highest RAM region below 4 GiB, aligned so the
     * root CNode is aligned to its size. */
    l->objects_base = 0;
    for (size_t i = l->num_regions; i-- > 0 && l->objects_base == 0;) {
        const keel_model_region *r = &l->regions[i];
        if (r->device || r->end > GiB(4) || r->end - r->start < objects_bytes) {
            continue;
        }
        paddr_t base = align_down(r->end - objects_bytes, l->radix + seL4_SlotBits);
        if (base >= r->start && (base >= l->image_end || base + objects_bytes <= l->image_base)) {
            l->objects_base = base;
        }
    }
    if (l->image_base == 0 || l->objects_base == 0) {
        model_panic("the memory map has no room below 4 GiB for the kernel and root task");
    }
    l->objects_end = l->objects_base + objects_bytes;
}

/* ---- Carving regions into untypeds (§9.2) ---------------------------------------------------- */

struct untyped_list {
    seL4_UntypedDesc desc[CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS];
    size_t count;
};

static unsigned floor_log2(word_t x)
{
    return 63u - (unsigned)__builtin_clzll(x);
}

static void carve(struct untyped_list *list, paddr_t start, paddr_t end, bool device)
{
    word_t k = kaddr_of(start);
    word_t k_end = kaddr_of(end);
    while (k != k_end) {
        unsigned bits = floor_log2(k_end - k);
        if (bits > seL4_MaxUntypedBits) {
            bits = seL4_MaxUntypedBits;
        }
        if (k != 0 && (unsigned)__builtin_ctzll(k) < bits) {
            bits = (unsigned)__builtin_ctzll(k);
        }
        if (bits >= seL4_MinUntypedBits) {
            if (list->count == CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS) {
                model_panic("the memory map needs more than %d untypeds",
                            CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS);
            }
            seL4_UntypedDesc *d = &list->desc[list->count++];
            d->paddr = k - KERNEL_PPTR_BASE;
            d->sizeBits = (seL4_Uint8)bits;
            d->isDevice = device;
        }
        k += BIT(bits);
    }
}

/* RAM region [start, end) minus the kernel's reserved ranges. */
static void carve_ram(struct untyped_list *list, const struct layout *l, paddr_t start, paddr_t end)
{
    paddr_t cut[2][2] = {{l->image_base, l->image_end}, {l->objects_base, l->objects_end}};
    if (cut[1][0] < cut[0][0]) {
        paddr_t t0 = cut[0][0], t1 = cut[0][1];
        cut[0][0] = cut[1][0];
        cut[0][1] = cut[1][1];
        cut[1][0] = t0;
        cut[1][1] = t1;
    }
    paddr_t at = start;
    for (int i = 0; i < 2; i++) {
        if (cut[i][1] <= at || cut[i][0] >= end) {
            continue;
        }
        if (cut[i][0] > at) {
            carve(list, at, cut[i][0], false);
        }
        at = cut[i][1];
    }
    if (at < end) {
        carve(list, at, end, false);
    }
}

/* ---- Building the root task ------------------------------------------------------------------ */

/* Install a boot-time cap: a CDT root, original (§9.1). */
static struct cte *boot_slot(struct cnode *root, word_t slot, struct cap c)
{
    if (slot >= BIT(root->radix)) {
        model_panic("the root CNode (radix %u) is too small for the boot caps", root->radix);
    }
    cte_insert_root(&root->slots[slot], c);
    return &root->slots[slot];
}

static struct cap mapped(struct cap c, word_t vaddr)
{
    c.flags |= CAPF_MAPPED;
    c.asid = 1;
    c.word = vaddr;
    return c;
}

static struct cap simple_cap(keel_model_cap_type type)
{
    struct cap c = cap_null();
    c.type = (uint8_t)type;
    return c;
}

static void map_table(struct paging *parent, word_t vaddr, struct paging *child)
{
    unsigned shift = seL4_PageBits + 9u * (parent->level - 1u);
    struct pte *pte = &parent->entries[(vaddr >> shift) & (PT_ENTRIES - 1)];
    pte->kind = PTE_TABLE;
    pte->table = &child->hdr;
}

static void map_frame(struct paging *pt, word_t vaddr, paddr_t p)
{
    struct pte *pte = &pt->entries[(vaddr >> seL4_PageBits) & (PT_ENTRIES - 1)];
    pte->kind = PTE_FRAME;
    pte->rights = VM_READ_WRITE;
    pte->size_bits = seL4_PageBits;
    pte->paddr = p;
}

static seL4_BootInfo *build_world(const struct layout *l)
{
    struct untyped_list untypeds = {0};
    for (size_t i = 0; i < l->num_regions; i++) {
        if (l->regions[i].device) {
            carve(&untypeds, l->regions[i].start, l->regions[i].end, true);
        }
    }
    for (size_t i = 0; i < l->num_regions; i++) {
        if (!l->regions[i].device) {
            carve_ram(&untypeds, l, l->regions[i].start, l->regions[i].end);
        }
    }

    /* Root task objects, in the order the kernel lays them out. */
    paddr_t p = l->objects_base;
    struct cap cnode_cap = object_create(seL4_CapTableObject, p, l->radix, false);
    p += BIT(l->radix + seL4_SlotBits);
    struct cap pml4_cap = object_create(seL4_X64_PML4Object, p, 0, false);
    struct cap pdpt_cap = object_create(seL4_X86_PDPTObject, p + 0x1000, 0, false);
    struct cap pd_cap = object_create(seL4_X86_PageDirectoryObject, p + 0x2000, 0, false);
    struct cap pt_cap[IMAGE_PAGE_TABLES];
    for (int i = 0; i < IMAGE_PAGE_TABLES; i++) {
        pt_cap[i] =
            object_create(seL4_X86_PageTableObject, p + 0x3000 + 0x1000 * (paddr_t)i, 0, false);
    }
    paddr_t pool_paddr = p + 0x6000;
    paddr_t ipc_paddr = p + 0x7000;
    paddr_t bi_paddr = p + 0x8000;
    paddr_t extra_bi_paddr = p + 0x9000;
    struct cap tcb_cap = object_create(seL4_TCBObject, p + 0xa000, 0, false);

    struct cnode *root = (struct cnode *)cnode_cap.obj;
    struct tcb *tcb = (struct tcb *)tcb_cap.obj;
    struct paging *pml4 = (struct paging *)pml4_cap.obj;

    struct asid_pool *pool = kzalloc(sizeof(*pool));
    obj_register(&pool->hdr, OBJ_ASID_POOL, pool_paddr, seL4_ASIDPoolBits);
    pool->base = 0;
    pool->vspaces[1] = pml4;
    ks.asid_table[0] = pool;
    ks.root_vspace = pml4;

    seL4_IPCBuffer *ipc = phys_ptr(ipc_paddr, BIT(seL4_PageBits));
    seL4_BootInfo *bi = phys_ptr(bi_paddr, BIT(seL4_PageBits));

    cnode_cap.guard_size = (uint8_t)(seL4_WordBits - l->radix);
    cnode_cap.word = 0;
    pml4_cap.asid = 1;
    struct cap pool_cap = simple_cap(KEEL_MODEL_CAP_ASID_POOL);
    pool_cap.obj = &pool->hdr;

    boot_slot(root, seL4_CapInitThreadTCB, tcb_cap);
    struct cte *cnode_slot = boot_slot(root, seL4_CapInitThreadCNode, cnode_cap);
    struct cte *vspace_slot = boot_slot(root, seL4_CapInitThreadVSpace, pml4_cap);
    boot_slot(root, seL4_CapIRQControl, simple_cap(KEEL_MODEL_CAP_IRQ_CONTROL));
    boot_slot(root, seL4_CapASIDControl, simple_cap(KEEL_MODEL_CAP_ASID_CONTROL));
    boot_slot(root, seL4_CapInitThreadASIDPool, pool_cap);
    boot_slot(root, seL4_CapIOPortControl, simple_cap(KEEL_MODEL_CAP_IO_PORT_CONTROL));
    boot_slot(root, seL4_CapBootInfoFrame,
              mapped(object_create(seL4_X86_4K, bi_paddr, 0, false), (word_t)(uintptr_t)bi));
    struct cte *ipc_slot =
        boot_slot(root, seL4_CapInitThreadIPCBuffer,
                  mapped(object_create(seL4_X86_4K, ipc_paddr, 0, false), (word_t)(uintptr_t)ipc));
    boot_slot(root, seL4_CapDomain, simple_cap(KEEL_MODEL_CAP_DOMAIN));

    /* The TCB's own copies of its CSpace, VSpace and IPC buffer caps are children of slots
     * 2, 3 and 10. */
    struct cap derived;
    (void)derive_cap(cnode_slot, cnode_slot->cap, &derived);
    cte_insert(derived, cnode_slot, &tcb->slots[TCB_CTABLE]);
    (void)derive_cap(vspace_slot, vspace_slot->cap, &derived);
    cte_insert(derived, vspace_slot, &tcb->slots[TCB_VTABLE]);
    (void)derive_cap(ipc_slot, ipc_slot->cap, &derived);
    cte_insert(derived, ipc_slot, &tcb->slots[TCB_BUFFER]);

    /* The root task's image: its paging structures, the extra BootInfo frame, its frames. */
    word_t slot = seL4_NumInitialCaps;
    seL4_SlotRegion paging = {slot, 0};
    struct paging *pdpt = (struct paging *)pdpt_cap.obj;
    struct paging *pd = (struct paging *)pd_cap.obj;
    map_table(pml4, IMAGE_VADDR, pdpt);
    map_table(pdpt, IMAGE_VADDR, pd);
    boot_slot(root, slot++, mapped(pdpt_cap, 0));
    boot_slot(root, slot++, mapped(pd_cap, 0));
    for (int i = 0; i < IMAGE_PAGE_TABLES; i++) {
        word_t vaddr = IMAGE_VADDR + ((word_t)i << seL4_LargePageBits);
        map_table(pd, vaddr, (struct paging *)pt_cap[i].obj);
        boot_slot(root, slot++, mapped(pt_cap[i], vaddr));
    }
    paging.end = slot;
    seL4_SlotRegion extra = {slot, 0};
    word_t extra_vaddr = IMAGE_VADDR + ((word_t)IMAGE_FRAMES << seL4_PageBits);
    map_frame((struct paging *)pt_cap[(extra_vaddr - IMAGE_VADDR) >> seL4_LargePageBits].obj,
              extra_vaddr, extra_bi_paddr);
    boot_slot(root, slot++,
              mapped(object_create(seL4_X86_4K, extra_bi_paddr, 0, false), extra_vaddr));
    extra.end = slot;
    seL4_SlotRegion image = {slot, 0};
    paddr_t image_frames = l->image_end - ((paddr_t)IMAGE_FRAMES << seL4_PageBits);
    for (word_t i = 0; i < IMAGE_FRAMES; i++) {
        word_t vaddr = IMAGE_VADDR + (i << seL4_PageBits);
        paddr_t frame = image_frames + (i << seL4_PageBits);
        map_frame((struct paging *)pt_cap[(vaddr - IMAGE_VADDR) >> seL4_LargePageBits].obj, vaddr,
                  frame);
        boot_slot(root, slot++, mapped(object_create(seL4_X86_4K, frame, 0, false), vaddr));
    }
    image.end = slot;

    /* Untypeds: full watermarks, so the first retype of each resets it (§5.1). */
    seL4_SlotRegion untyped = {slot, slot + untypeds.count};
    for (size_t i = 0; i < untypeds.count; i++) {
        const seL4_UntypedDesc *d = &untypeds.desc[i];
        struct cap u = object_create(seL4_UntypedObject, d->paddr, d->sizeBits, d->isDevice);
        u.word = BIT(d->sizeBits - seL4_MinUntypedBits);
        boot_slot(root, slot++, u);
    }

    memset(bi, 0, sizeof(*bi));
    bi->extraLen = (seL4_Word)EXTRA_BI_FRAMES << seL4_PageBits;
    bi->nodeID = 0;
    bi->numNodes = 1;
    bi->numIOPTLevels = (seL4_Word)-1;
    bi->ipcBuffer = ipc;
    bi->empty = (seL4_SlotRegion){slot, BIT(l->radix)};
    bi->userImageFrames = image;
    bi->userImagePaging = paging;
    bi->extraBIPages = extra;
    bi->initThreadCNodeSizeBits = l->radix;
    bi->initThreadDomain = 0;
    bi->untyped = untyped;
    memcpy(bi->untypedList, untypeds.desc, untypeds.count * sizeof(untypeds.desc[0]));
    seL4_BootInfoHeader *extra_header = phys_ptr(extra_bi_paddr, sizeof(seL4_BootInfoHeader));
    extra_header->id = SEL4_BOOTINFO_HEADER_PADDING;
    extra_header->len = bi->extraLen;

    tcb->state = TS_RUNNING;
    tcb->priority = seL4_MaxPrio;
    tcb->mcp = seL4_MaxPrio;
    tcb->ipc_buffer = (word_t)(uintptr_t)ipc;
    (void)snprintf(tcb->name, sizeof(tcb->name), "rootserver");
    ks.root_tcb = tcb;
    return bi;
}

seL4_BootInfo *keel_model_boot(const keel_model_config *config)
{
    keel_model_shutdown();
    struct layout l;
    memset(&l, 0, sizeof(l));
    l.radix = (config != NULL && config->cnode_radix != 0) ? config->cnode_radix
                                                           : CONFIG_ROOT_CNODE_SIZE_BITS;
    if (l.radix < 8 || l.radix > 24) {
        model_panic("root CNode radix %u is outside 8..24", l.radix);
    }
    if (config != NULL && config->regions != NULL) {
        for (size_t i = 0; i < config->num_regions; i++) {
            add_region(&l, config->regions[i].start, config->regions[i].end,
                       config->regions[i].device);
        }
    } else {
        uint64_t ram = (config != NULL && config->ram_bytes != 0) ? config->ram_bytes : DEFAULT_RAM;
        if (ram < MiB(64)) {
            model_panic("a world needs at least 64 MiB of RAM");
        }
        pc_memory_map(&l, ram);
    }
    reserve_kernel_ranges(&l);

    int err = phys_init(l.regions, l.num_regions);
    if (err != 0) {
        model_panic("cannot reserve physical memory for the world: %s", strerror(-err));
    }
    kernel_lock();
    ks.booted = true;
    seL4_BootInfo *bi = build_world(&l);
    ks.bootinfo = bi;
    memset(&ks.counters, 0, sizeof(ks.counters));
    ks.thread_stack_bytes = config != NULL ? config->thread_stack_bytes : 0;
    threads_boot(ks.root_tcb, config != NULL && config->pin_host_cpu);
    kernel_unlock();
    __sel4_ipc_buffer = bi->ipcBuffer;
    return bi;
}

void keel_model_shutdown(void)
{
    threads_shutdown(); /* joins the world's host threads: without the lock */
    kernel_lock();
    if (!ks.booted) {
        kernel_unlock();
        return;
    }
    for (size_t type = 0; type < NUM_OBJ_KINDS; type++) {
        while (ks.objects[type] != NULL) {
            obj_destroy(ks.objects[type]);
        }
    }
    kernel_reap();
    phys_fini();
    /* Everything but the lock, which is the first member and is held. */
    memset((char *)&ks + sizeof(ks.lock), 0, sizeof(ks) - sizeof(ks.lock));
    kernel_unlock();
    __sel4_ipc_buffer = NULL;
}

seL4_BootInfo *keel_model_bootinfo(void)
{
    kernel_lock();
    seL4_BootInfo *bi = ks.booted ? ks.bootinfo : NULL;
    kernel_unlock();
    return bi;
}

seL4_BootInfo *sel4runtime_bootinfo(void)
{
    seL4_BootInfo *bi = keel_model_bootinfo();
    return bi != NULL ? bi : keel_model_boot(NULL);
}
