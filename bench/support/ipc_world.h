/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * An IPC world on the model, for tests, benchmarks and the demo: Keel's allocators, a name
 * server, RAM file servers with worker threads, and clients, all seL4 threads of the root
 * task's VSpace (host code can only dereference memory mapped there).
 *
 * CSpaces. Servers and the name server run in the root task's CSpace: they use Keel's
 * allocators, whose caps live there. The CSpace is made two-level at boot, before any of them
 * starts (keel_cslot_two_level), so every leaf CNode keel_cslot adds later is in all of their
 * CSpaces (growth itself switches only the root thread's root); caps in it are named with
 * keel_cslot_root/depth, never the boot CNode at depth 64, which sees only the boot region.
 * Clients run in a CSpace of their own (iw_client_space): a 1024-slot CNode holding only what a
 * client is given — its own CNode cap, the VSpace cap, a name-server client cap — and what it
 * receives by IPC. So a client can touch nothing of the servers' but through the caps the protocol
 * hands it. The root thread can be a client too, in the root CSpace (iw_root_io).
 *
 * Priorities: root 255, name server 220, servers' workers 200, client threads 100; a thread
 * that blocks lets the next one run, as on one seL4 CPU.
 *
 * Everything aborts with a message on failure: this is scaffolding, not the code under test.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/cache.h>
#include <keel/cslot.h>
#include <keel/fpool.h>
#include <keel/io.h>
#include <keel/model.h>
#include <keel/ns.h>
#include <keel/ramfs.h>
#include <keel/server.h>
#include <keel/untyped.h>

#define IW_PRIO_NS     220
#define IW_PRIO_SERVER 200
#define IW_PRIO_CLIENT 100

/* Client CSpace layout (iw_client_space). */
enum { IW_CNODE = 1, IW_VSPACE = 2, IW_NS = 3, IW_FIRST_FREE = 8 };
#define IW_CLIENT_RADIX 10

typedef struct iw_world {
    seL4_BootInfo *bi;
    keel_cslot_t cs;
    keel_ut_t ut;
    keel_cache_t eps, ntfns, tcbs, frames, cnodes, pts, pds, pdpts;
    keel_fpool_t fp;
    keel_ns_t ns;
    keel_ns_mount_t mounts[16];
    seL4_CPtr ns_client, ns_admin; /* caps to the name server, in the root CSpace */
    seL4_CPtr ns_tcb;
    struct iw_server *servers[8]; /* started by iw_ramfs_start */
    unsigned nservers;
} iw_world_t;

extern iw_world_t iw;

typedef struct iw_server_opts {
    unsigned workers;  /* 0 means 1 */
    size_t max_files;  /* 0 means 16 */
    unsigned buf_bits; /* log2 frames per shared buffer */
    bool no_buffers;   /* serve without shared buffers */
    size_t files;      /* ramfs nodes; 0 means 16 */
    size_t file_bytes; /* capacity of each; 0 means 256 KiB */
    unsigned max_strikes;
    const keel_server_ops_t *ops; /* NULL: keel_ramfs_ops (the ctx is the keel_ramfs_t) */
} iw_server_opts_t;

/* A RAM file server attached at a prefix. */
typedef struct iw_server {
    keel_server_t srv;
    keel_ramfs_t fs;
    keel_ramfs_node_t *nodes;
    keel_sfile_t *files;
    uint8_t *pool;
    seL4_CPtr ep;
    seL4_CPtr workers[8];
    unsigned nworkers;
    bool finished; /* keel_server_fini was called: no longer checked */
} iw_server_t;

/* Boot a world (root CSpace two-level) with allocators and a running name server. */
void iw_boot(bool pin_host_cpu);
/* Stop everything and free the host memory the world used. */
void iw_shutdown(void);

/* A new thread in the root VSpace, started at fn(arg): in the root CSpace when cspace is 0,
 * else in CNode `cspace` with guard data `cspace_data`. */
seL4_CPtr iw_thread(const char *name, void (*fn)(seL4_Word), seL4_Word arg, seL4_Word prio,
                    seL4_CPtr cspace, seL4_Word cspace_data);
/* Destroy a thread made by iw_thread (whatever it is doing). */
void iw_thread_kill(seL4_CPtr tcb);

/* A host-visible window of the root VSpace with page tables: the vaddr. */
seL4_Word iw_window(size_t bytes);

/* A new notification / endpoint (all rights) from the caches. */
seL4_CPtr iw_ntfn(void);
seL4_CPtr iw_ep(void);

/* Start a RAM file server with the given options and attach it at `prefix`. */
iw_server_t *iw_ramfs_start(const char *prefix, const iw_server_opts_t *opts);

/* A client CSpace (layout above); *guard_data is the cspace_data for iw_thread. */
seL4_CPtr iw_client_space(seL4_Word *guard_data);
/* Copy the root CSpace's cap `cap` into slot `slot` of a client CSpace. */
seL4_Error iw_give(seL4_CPtr cnode, seL4_Word slot, seL4_CPtr cap);
/* Destroy a client CSpace and every cap in it. */
void iw_client_space_free(seL4_CPtr cnode);

/* A keel_io configuration for a client thread in a client CSpace (iw_client_space). */
void iw_client_io(keel_io_config_t *cfg, keel_fd_t *fds, size_t nfds, uint32_t buf_frames);
/* A keel_io configuration for the root thread (root CSpace, slots from keel_cslot). */
void iw_root_io(keel_io_config_t *cfg, keel_fd_t *fds, size_t nfds, uint32_t buf_frames);

/* Kernel calls so far: every syscall (IPC and invocations alike) and the invocations among
 * them. */
typedef struct iw_calls {
    uint64_t syscalls, invocations, fastpath, messages;
} iw_calls_t;
iw_calls_t iw_calls(void);
