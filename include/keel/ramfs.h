/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/ramfs.h — a RAM file server's handlers, for keel_server.
 *
 * A flat directory of up to max_nodes files, each with a fixed capacity carved from one
 * caller-provided pool. Two kinds:
 *
 *   regular   bytes at offsets; reads past the end return 0 with EOF; writes past the
 *             capacity are cut short (ENOSPC when nothing fits); O_CREAT makes one, O_TRUNC
 *             empties it (zeroing its bytes).
 *   message   a queue of messages (keel_ramfs_add with msg): each write (or CONT series of
 *             writes) appends one message, each read (or CONT series) takes one, whole or
 *             truncated (TRUNC with the full length). A read of an empty queue is held until
 *             a message arrives, a flush, or a close; a message goes to the first waiting
 *             reader that is still there (a vanished one is skipped and the message kept).
 *
 * Limits: one writer at a time may be in the middle of a CONT series on a message file, and
 * one reader at a time in the middle of a message; another gets EBUSY. A series that stalls
 * is broken: the KEEL_RAMFS_PATIENCE-th request refused since its owner last moved it goes
 * ahead instead (a partial message is dropped; a partly read one stays whole for the next
 * reader), and the owner's next request of that kind gets ECANCELED. So a client that dies
 * (or stops) in the middle of a series holds a queue up for a few refusals, not for good.
 * KEEL_RAMFS_WAITERS held readers per file (EAGAIN beyond). Any other request of the open
 * file in the middle of its CONT write abandons that message.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/server.h>

#define KEEL_RAMFS_NAME_MAX 32 /* including the NUL */
#define KEEL_RAMFS_WAITERS  8
#define KEEL_RAMFS_PATIENCE 4 /* EBUSY refusals a stalled CONT series is given */

/* A file (caller storage; fields private). */
typedef struct keel_ramfs_node {
    char name[KEEL_RAMFS_NAME_MAX];
    bool used, msg;
    uint8_t *data;
    size_t cap;
    uint64_t size; /* regular: its size; message: bytes of queued records from head */
    size_t head;   /* message: offset of the first record (8-byte length, then the bytes) */
    size_t nmsgs;
    keel_sfile_t *writer; /* in the middle of a CONT write: `partial` bytes so far */
    size_t partial;
    keel_sfile_t *reader; /* in the middle of reading the first message, at `cursor` */
    size_t cursor;
    unsigned wstalls, rstalls; /* refusals since the writer's / reader's series last moved */
    keel_sfile_t *waiters[KEEL_RAMFS_WAITERS];
    size_t nwait;
} keel_ramfs_node_t;

typedef struct keel_ramfs {
    keel_ramfs_node_t *nodes;
    size_t max_nodes;
    uint64_t messages, bytes_read, bytes_written;
    uint64_t broken; /* stalled series broken */
} keel_ramfs_t;

/* An empty file system: node i gets bytes [i * node_bytes, (i + 1) * node_bytes) of pool. */
void keel_ramfs_init(keel_ramfs_t *fs, keel_ramfs_node_t *nodes, size_t max_nodes, void *pool,
                     size_t node_bytes);

/* Make a file (a message queue with `msg`): 0, -KEEL_IO_EEXIST, -ENOSPC or -ENAMETOOLONG. */
int keel_ramfs_add(keel_ramfs_t *fs, const char *name, bool msg);

/* The handlers; the server's ctx is the keel_ramfs_t. */
extern const keel_server_ops_t keel_ramfs_ops;
