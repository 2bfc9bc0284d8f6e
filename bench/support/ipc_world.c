/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An IPC world on the model (ipc_world.h): the scaffolding that tests, benchmarks and the
 * demo share to run name servers, file servers and clients as seL4 threads.
 */
#include "ipc_world.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

iw_world_t iw;

static _Noreturn void die(const char *what, long code)
{
    fprintf(stderr, "ipc world: %s failed (%ld)\n", what, code);
    abort();
}

#define MUST(what, expr)                                                                           \
    do {                                                                                           \
        long rc_ = (long)(expr);                                                                   \
        if (rc_ != 0) {                                                                            \
            die(what, rc_);                                                                        \
        }                                                                                          \
    } while (0)

static seL4_CPtr from(keel_cache_t *c)
{
    keel_cache_obj_t o;
    MUST("keel_cache_alloc", keel_cache_alloc(c, 0, &o));
    return o.cptr;
}

seL4_CPtr iw_ntfn(void)
{
    return from(&iw.ntfns);
}

seL4_CPtr iw_ep(void)
{
    return from(&iw.eps);
}

static void cache(keel_cache_t *c, const char *name, seL4_Word type, seL4_Word size_bits,
                  unsigned per_slab, keel_storage_t *s)
{
    keel_cache_config_t cfg = {
        .name = name, .type = type, .size_bits = size_bits, .objs_per_slab = per_slab};
    MUST(name, keel_cache_init(c, &iw.ut, &iw.cs, &cfg, s));
}

static void ns_main(seL4_Word arg)
{
    (void)arg;
    keel_ns_run(&iw.ns);
}

void iw_boot(bool pin_host_cpu)
{
    keel_model_config world = {.pin_host_cpu = pin_host_cpu};
    memset(&iw, 0, sizeof(iw));
    iw.bi = host_boot(&world, NULL, &iw.cs, &iw.ut);
    /* Servers share the root CSpace: make it two-level before any of them starts, so that
     * every leaf keel_cslot adds later is theirs too. */
    MUST("keel_cslot_two_level", keel_cslot_two_level(&iw.cs));
    keel_storage_t s = host_storage(64 * 1024);
    cache(&iw.eps, "endpoints", seL4_EndpointObject, 0, 256, &s);
    cache(&iw.ntfns, "notifications", seL4_NotificationObject, 0, 256, &s);
    cache(&iw.tcbs, "TCBs", seL4_TCBObject, 0, 64, &s);
    cache(&iw.frames, "IPC buffers", seL4_X86_4K, 0, 64, &s);
    cache(&iw.cnodes, "client CNodes", seL4_CapTableObject, IW_CLIENT_RADIX, 64, &s);
    cache(&iw.pts, "page tables", seL4_X86_PageTableObject, 0, 64, &s);
    cache(&iw.pds, "page directories", seL4_X86_PageDirectoryObject, 0, 64, &s);
    cache(&iw.pdpts, "PDPTs", seL4_X86_PDPTObject, 0, 64, &s);
    keel_fpool_config_t pc = {.pool_bits = 8};
    MUST("keel_fpool_init", keel_fpool_init(&iw.fp, &iw.ut, &iw.cs, &pc, &s));

    keel_ns_config_t nc = {.ep = iw_ep(), .cs = &iw.cs, .mounts = iw.mounts, .max_mounts = 16};
    MUST("keel_ns_init", keel_ns_init(&iw.ns, &nc));
    MUST("keel_cslot_alloc", keel_cslot_alloc(&iw.cs, &iw.ns_client));
    MUST("keel_cslot_alloc", keel_cslot_alloc(&iw.cs, &iw.ns_admin));
    MUST("keel_ns_mint", keel_ns_mint(&iw.ns, false, iw.ns_client));
    MUST("keel_ns_mint", keel_ns_mint(&iw.ns, true, iw.ns_admin));
    iw.ns_tcb = iw_thread("name server", ns_main, 0, IW_PRIO_NS, 0, 0);
}

void iw_shutdown(void)
{
    keel_model_shutdown();
    host_release();
}

/* ---- Threads ----------------------------------------------------------------------------------
 */

seL4_CPtr iw_thread(const char *name, void (*fn)(seL4_Word), seL4_Word arg, seL4_Word prio,
                    seL4_CPtr cspace, seL4_Word cspace_data)
{
    seL4_CPtr tcb = from(&iw.tcbs);
    if (cspace == 0) {
        keel_cslot_cspace(&iw.cs, &cspace, &cspace_data);
    }
    seL4_CPtr buf = from(&iw.frames);
    /* The IPC buffer frame stays unmapped: the thread reaches its bytes through the model. */
    seL4_Word vaddr = 0x10000000000ull + ((seL4_Word)buf << seL4_PageBits);
    MUST("TCB_Configure",
         seL4_TCB_Configure(tcb, 0, cspace, cspace_data, seL4_CapInitThreadVSpace, 0, vaddr, buf));
    MUST("TCB_SetPriority", seL4_TCB_SetPriority(tcb, seL4_CapInitThreadTCB, prio));
    seL4_DebugNameThread(tcb, name);
    seL4_UserContext regs;
    memset(&regs, 0, sizeof(regs));
    regs.rip = (seL4_Word)(uintptr_t)fn;
    regs.rdi = arg;
    MUST("TCB_WriteRegisters", seL4_TCB_WriteRegisters(tcb, true, 0, 20, &regs));
    return tcb;
}

void iw_thread_kill(seL4_CPtr tcb)
{
    MUST("keel_cache_free(TCB)", keel_cache_free(&iw.tcbs, tcb, KEEL_CACHE_DESTROY));
}

/* ---- Memory ------------------------------------------------------------------------------------
 */

/* Map one paging structure of each kind the range needs (DeleteFirst: one is there already). */
static void tables(keel_cache_t *c, seL4_Word va, seL4_Word end, unsigned shift,
                   seL4_Error (*map)(seL4_CPtr, seL4_CPtr, seL4_Word, seL4_X86_VMAttributes))
{
    for (seL4_Word a = va & ~((1ull << shift) - 1); a < end; a += 1ull << shift) {
        seL4_CPtr t = from(c);
        seL4_Error err = map(t, seL4_CapInitThreadVSpace, a, seL4_X86_Default_VMAttributes);
        if (err == seL4_DeleteFirst) {
            MUST("keel_cache_free(table)", keel_cache_free(c, t, 0));
        } else if (err != seL4_NoError) {
            die("mapping a paging structure", err);
        }
    }
}

seL4_Word iw_window(size_t bytes)
{
    seL4_Word va = (seL4_Word)(uintptr_t)keel_model_host_range(bytes, 21);
    tables(&iw.pdpts, va, va + bytes, 39, seL4_X86_PDPT_Map);
    tables(&iw.pds, va, va + bytes, 30, seL4_X86_PageDirectory_Map);
    tables(&iw.pts, va, va + bytes, 21, seL4_X86_PageTable_Map);
    return va;
}

/* ---- Servers -----------------------------------------------------------------------------------
 */

static void worker_main(seL4_Word arg)
{
    keel_server_run((keel_server_t *)(uintptr_t)arg);
}

iw_server_t *iw_ramfs_start(const char *prefix, const iw_server_opts_t *opts)
{
    iw_server_opts_t o = *opts;
    o.workers = o.workers ? o.workers : 1;
    o.max_files = o.max_files ? o.max_files : 16;
    o.files = o.files ? o.files : 16;
    o.file_bytes = o.file_bytes ? o.file_bytes : 256 * 1024;
    if (o.workers > 8) {
        die("iw_ramfs_start: workers", (long)o.workers);
    }
    iw_server_t *s = host_alloc(sizeof(*s));
    s->nodes = host_alloc(o.files * sizeof(*s->nodes));
    s->files = host_alloc(o.max_files * sizeof(*s->files));
    s->pool = host_alloc(o.files * o.file_bytes);
    keel_ramfs_init(&s->fs, s->nodes, o.files, s->pool, o.file_bytes);
    s->ep = iw_ep();
    keel_server_config_t cfg = {
        .ep = s->ep,
        .cs = &iw.cs,
        .frames = o.no_buffers ? NULL : &iw.fp,
        .buf_bits = o.buf_bits,
        .vspace = seL4_CapInitThreadVSpace,
        .vaddr = o.no_buffers ? 0 : iw_window(o.max_files << (o.buf_bits + 12)),
        .files = s->files,
        .max_files = o.max_files,
        .ops = o.ops != NULL ? o.ops : &keel_ramfs_ops,
        .ctx = &s->fs,
        .lock_ntfn = iw_ntfn(),
        .max_strikes = o.max_strikes,
        /* No alloc_lock although servers share iw.fp (and iw.cs) with the root thread: on one
         * CPU with no timer, a thread is preempted only at a kernel entry that wakes a higher
         * priority, and no allocator call wakes anyone. An SMP world would set one here and
         * take it around the root thread's allocations too. */
    };
    MUST("keel_server_init", keel_server_init(&s->srv, &cfg));
    for (unsigned i = 0; i < o.workers; i++) {
        char name[48];
        snprintf(name, sizeof(name), "%s worker %u", prefix, i);
        s->workers[i] =
            iw_thread(name, worker_main, (seL4_Word)(uintptr_t)&s->srv, IW_PRIO_SERVER, 0, 0);
    }
    s->nworkers = o.workers;
    if (iw.nservers == sizeof(iw.servers) / sizeof(iw.servers[0])) {
        die("iw_ramfs_start: servers", (long)iw.nservers);
    }
    iw.servers[iw.nservers++] = s;
    MUST("keel_ns_attach", keel_ns_attach(iw.ns_admin, prefix, keel_server_open_cap(&s->srv)));
    return s;
}

/* ---- Clients -----------------------------------------------------------------------------------
 */

seL4_Error iw_give(seL4_CPtr cnode, seL4_Word slot, seL4_CPtr cap)
{
    return seL4_CNode_Copy(cnode, slot, IW_CLIENT_RADIX, keel_cslot_root(&iw.cs), cap,
                           keel_cslot_depth(&iw.cs), seL4_AllRights);
}

seL4_CPtr iw_client_space(seL4_Word *guard_data)
{
    seL4_CPtr cn = from(&iw.cnodes);
    seL4_Word guard = seL4_CNode_CapData_new(0, seL4_WordBits - IW_CLIENT_RADIX).words[0];
    MUST("CNode_Mint(self)", seL4_CNode_Mint(cn, IW_CNODE, IW_CLIENT_RADIX, keel_cslot_root(&iw.cs),
                                             cn, keel_cslot_depth(&iw.cs), seL4_AllRights, guard));
    MUST("CNode_Copy(vspace)", iw_give(cn, IW_VSPACE, seL4_CapInitThreadVSpace));
    MUST("CNode_Copy(ns)", iw_give(cn, IW_NS, iw.ns_client));
    *guard_data = guard;
    return cn;
}

void iw_client_space_free(seL4_CPtr cnode)
{
    MUST("keel_cache_free(CNode)", keel_cache_free(&iw.cnodes, cnode, KEEL_CACHE_DESTROY));
}

/* A descriptor table over `slots` in the CSpace whose root is `cnode`, with a buffer window. */
static void io_config(keel_io_config_t *cfg, seL4_CPtr ns, seL4_CNode cnode, seL4_Uint8 depth,
                      seL4_CPtr slots, seL4_CPtr vspace, keel_fd_t *fds, size_t nfds,
                      uint32_t buf_frames)
{
    *cfg = (keel_io_config_t){
        .ns = ns,
        .cnode = cnode,
        .depth = depth,
        .slots = slots,
        .vspace = vspace,
        .vaddr = buf_frames ? iw_window(nfds * buf_frames * 4096) : 0,
        .buf_frames = buf_frames,
        .fds = fds,
        .nfds = nfds,
    };
}

void iw_client_io(keel_io_config_t *cfg, keel_fd_t *fds, size_t nfds, uint32_t buf_frames)
{
    if (IW_FIRST_FREE + 1 + nfds * (1 + buf_frames) > (1u << IW_CLIENT_RADIX)) {
        die("iw_client_io: the client CNode is too small", (long)nfds);
    }
    io_config(cfg, IW_NS, IW_CNODE, seL4_WordBits, IW_FIRST_FREE, IW_VSPACE, fds, nfds, buf_frames);
}

void iw_root_io(keel_io_config_t *cfg, keel_fd_t *fds, size_t nfds, uint32_t buf_frames)
{
    seL4_CPtr first;
    MUST("keel_cslot_alloc_range",
         keel_cslot_alloc_range(&iw.cs, 1 + nfds * (1 + buf_frames), &first));
    io_config(cfg, iw.ns_client, keel_cslot_root(&iw.cs), keel_cslot_depth(&iw.cs), first,
              seL4_CapInitThreadVSpace, fds, nfds, buf_frames);
}

iw_calls_t iw_calls(void)
{
    keel_model_counters c;
    keel_model_counters_get(&c);
    iw_calls_t r = {
        .invocations = c.invocations, .fastpath = c.fastpath, .messages = c.ipc_messages};
    for (int i = 0; i < KEEL_MODEL_NUM_SYSCALLS; i++) {
        r.syscalls += c.syscalls[i];
    }
    return r;
}
