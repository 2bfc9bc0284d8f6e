/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/server.h — serving files over IPC: a ReplyRecv loop, open files named by badges.
 *
 * A server owns one endpoint. Any number of worker threads call keel_server_run() on it; each
 * receives a request, handles it under the server's lock and answers with ReplyRecv. The
 * server gives the name server (or anyone) an "open cap", a badged copy of its endpoint that
 * can only OPEN; every successful OPEN mints a new cap badged with the open file's index and
 * generation, which the client then uses for everything else. A stale badge (after close)
 * reads as a bad descriptor.
 *
 * The framework validates every request against keel/proto.h before a handler sees it (mode,
 * flags, message length, counts, offsets, buffer range, access mode, badge), answers
 * malformed ones with an errno and, after `max_strikes` of them on one open file, cuts the
 * file off: it revokes the client's cap, so its next Call fails in the kernel. Handlers see
 * only well-formed reads and writes with the bytes in place: for SHORT and MEDIUM in the
 * worker's message registers, for LONG in the file's shared buffer, so the framework copies
 * nothing.
 *
 * A read that cannot be answered yet is held: the handler calls keel_server_hold() (the reply
 * cap is saved in a slot of the open file) and returns KEEL_SERVER_HELD; later any thread
 * holding the server's lock (typically a handler of another file's write) answers it with
 * keel_server_complete(). FLUSH and CLOSE cancel a held request (KEEL_IO_ECANCELED). A client
 * that vanished while held is noticed when the answer finds no reply cap.
 *
 * Shared buffers come from a keel_fpool: 2^buf_bits frames per open-file slot, allocated the
 * first time a client asks for one (KEEL_O_BUF) and mapped in the server's VSpace at
 * vaddr + index * buffer size; they stay with the slot, zeroed and with the client's copies
 * revoked at every close. Slots (2 per open file: its cap, a held reply) are taken from
 * keel_cslot at init, so requests never allocate slots.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>

#include <keel/cslot.h>
#include <keel/error.h>
#include <keel/fpool.h>
#include <keel/kview.h>
#include <keel/lock.h>
#include <keel/proto.h>

/* A read handler's return value: the request is held (keel_server_hold succeeded). */
#define KEEL_SERVER_HELD (-100000)

struct keel_server;
struct keel_sfile;

/* A read or write, as a handler sees it. */
typedef struct keel_sreq {
    struct keel_server *srv;
    struct keel_sfile *file;
    unsigned op;      /* KEEL_OP_READ or KEEL_OP_WRITE */
    unsigned mode;    /* KEEL_MODE_* */
    unsigned flags;   /* KEEL_PROTO_CONT: more chunks of this transfer follow */
    uint64_t offset;  /* <= KEEL_PROTO_MAX_OFFSET, and offset + count does not overflow it */
    uint64_t count;   /* bytes; 0 for a read asks for the size */
    uint8_t *data;    /* read: room for count bytes; write: the count bytes */
    uint64_t buf_pos; /* LONG: where data is in the shared buffer */
    /* Set by a read handler: */
    unsigned rflags; /* KEEL_PROTO_EOF, KEEL_PROTO_TRUNC */
    uint64_t full;   /* with TRUNC: the message's full length */
    uint64_t size;   /* a zero-length read: the size (KEEL_PROTO_NO_SIZE by default) */
} keel_sreq_t;

typedef struct keel_server_ops {
    /*
     * Open `path` (NUL-terminated, relative to where the server is attached) with KEEL_O_*
     * flags: 0, with *file_flags (KEEL_FILE_*) and f->priv set as the handler likes, or
     * -KEEL_IO_E*.
     */
    int (*open)(void *ctx, struct keel_sfile *f, const char *path, unsigned oflags,
                unsigned *file_flags);
    /* Bytes placed at r->data (<= r->count), -KEEL_IO_E*, or KEEL_SERVER_HELD. */
    int64_t (*read)(void *ctx, keel_sreq_t *r);
    /* Bytes taken from r->data (<= r->count), or -KEEL_IO_E*. */
    int64_t (*write)(void *ctx, keel_sreq_t *r);
    /* The request held for f is being cancelled: forget it (may be NULL). */
    void (*cancel)(void *ctx, struct keel_sfile *f);
    /* f is being closed; its held request, if any, was cancelled first (may be NULL). */
    void (*close)(void *ctx, struct keel_sfile *f);
} keel_server_ops_t;

/* An open file (caller storage; fields private except priv). */
typedef struct keel_sfile {
    void *priv;              /* the handlers' own */
    unsigned hstate;         /* the handlers' own per-open flags: 0 at open */
    struct keel_server *srv; /* the server this file belongs to */
    uint32_t index;
    uint32_t gen;
    uint8_t state;
    uint8_t strikes;
    bool held;
    bool buf_given; /* this open asked for the buffer (its client may hold frame copies) */
    unsigned oflags, fflags;
    seL4_CPtr cap;        /* the minted cap clients hold copies of */
    seL4_CPtr hold_slot;  /* the reply cap of a held request */
    keel_sreq_t hold;     /* the held request (data not meaningful) */
    keel_fpool_run_t run; /* the shared buffer's frames (count 0: none yet) */
    uint8_t *buf;         /* ... mapped here in the server's VSpace */
} keel_sfile_t;

typedef struct keel_server_config {
    seL4_CPtr ep;            /* the server's endpoint: all rights, unbadged (workers receive with
                                Grant, so replies can carry caps) */
    keel_cslot_t *cs;        /* slots (in the server's CSpace) */
    keel_fpool_t *frames;    /* shared buffers (NULL: none; large transfers go in MEDIUM calls) */
    unsigned buf_bits;       /* log2 frames per buffer (0..8) */
    seL4_CPtr vspace;        /* the server's VSpace root, with page tables over the window */
    seL4_Word vaddr;         /* the window: max_files << (buf_bits + 12) bytes */
    keel_lock_t *alloc_lock; /* held around keel_fpool calls when others share the pool; NULL */
    keel_sfile_t *files;     /* the open-file table */
    size_t max_files;        /* < 2^16 */
    const keel_server_ops_t *ops;
    void *ctx;
    seL4_CPtr lock_ntfn;  /* notification for the server's lock (0: one worker only) */
    unsigned max_strikes; /* malformed requests before an open file is cut off (0: never;
                             at most 255) */
} keel_server_config_t;

typedef struct keel_server_stats {
    uint64_t requests, errors, malformed, opens, closes, held, completed, cancelled, vanished;
    uint64_t cut_off, buffers;
    uint64_t lock_waits;   /* times a worker slept on the server's lock */
    uint64_t kernel_calls; /* invocations the server made (mint, revoke, map, save caller) */
} keel_server_stats_t;

/* Fields private. */
typedef struct keel_server {
    keel_server_config_t cfg;
    keel_lock_t lock;
    seL4_CPtr open_cap;
    uint64_t buf_bytes;
    keel_kstat_t kstat;
    keel_server_stats_t st;
} keel_server_t;

/* Start a server (no thread runs yet): takes its slots and mints its open cap. */
keel_err_t keel_server_init(keel_server_t *srv, const keel_server_config_t *config);

/* The cap that opens files (badged, Write and GrantReply): give copies to the name server. */
seL4_CPtr keel_server_open_cap(const keel_server_t *srv);

/* A worker: serve requests on the calling thread, forever. */
_Noreturn void keel_server_run(keel_server_t *srv);

/*
 * Handle one received request (for a thread that runs its own receive loop): returns the
 * reply to send with Reply/ReplyRecv, with its words and cap already in the calling thread's
 * IPC buffer. Takes the server's lock.
 */
seL4_MessageInfo_t keel_server_handle(keel_server_t *srv, seL4_MessageInfo_t info, seL4_Word badge);

/* Hold request r (called from a read handler): 0, -KEEL_IO_EBUSY (its file already holds one)
 * or -KEEL_IO_EIO. */
int keel_server_hold(keel_sreq_t *r);

/* The request held for f, or NULL. */
const keel_sreq_t *keel_server_held(const keel_sfile_t *f);

/*
 * Answer f's held request with n bytes of data (n <= its count) and `value` (the bytes, or
 * with KEEL_PROTO_TRUNC the message's full length), or with an error if value < 0. The caller
 * holds the server's lock (a handler does). 0, or -KEEL_IO_ESRCH when the client is gone (the
 * answer went nowhere). Uses the calling thread's message registers, restoring them after.
 */
int keel_server_complete(keel_server_t *srv, keel_sfile_t *f, const void *data, size_t n,
                         int64_t value, unsigned rflags);

/* The server's lock, for threads other than workers that complete held requests. */
void keel_server_lock(keel_server_t *srv);
void keel_server_unlock(keel_server_t *srv);

/*
 * Close every open file (held requests cancelled, clients cut off), give the buffers back and
 * free the slots. No worker may be running (suspend them first).
 */
keel_err_t keel_server_fini(keel_server_t *srv);

void keel_server_stats(const keel_server_t *srv, keel_server_stats_t *out);

/*
 * Verify the open-file table (states, generations, slots distinct, holds and buffers only on
 * open files) and, with a kernel view, that every open file's cap and buffer frames are in
 * their slots and that free files and idle hold slots are empty. Call it while no worker is
 * inside a request (or with the server's lock). 0, or -1 with *what set.
 */
int keel_server_check(const keel_server_t *srv, const keel_kview_t *kview, const char **what);
