/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/io.h — the client side of Keel's IPC transport: Unix-style I/O on descriptors.
 *
 * A descriptor is an open file of some server: a badged endpoint cap in the caller's CSpace
 * and, when the server offers one, a shared buffer whose frames the client maps in its own
 * VSpace. Every call is a read or a write of N bytes at an offset (keel/proto.h); the client
 * picks the mode by size: SHORT (at most 32 bytes read, 24 written: message registers only,
 * fastpath-eligible), MEDIUM (the IPC buffer, up to 960/952 bytes), LONG (the shared buffer,
 * up to its size per call); a larger transfer is a series of calls marked KEEL_PROTO_CONT.
 *
 * Three ways to move bytes, interchangeable on one descriptor and sharing its position:
 *   keel_read / keel_write (and p-variants)  any size; the transport copies between the
 *                                             caller's memory and registers or the buffer
 *   keel_readreg / keel_writereg              message registers only (SHORT/MEDIUM calls)
 *   keel_readbuf / keel_writebuf              the shared buffer in place: no copy at all
 *
 * Message-oriented files (KEEL_FILE_MSG) ignore positions: each read returns one message,
 * as written. A read shorter than the message gets its first bytes; keel_msglen() then tells
 * the message's full length (it is the length of every message read, truncated or not).
 *
 * Errors are returned as -KEEL_IO_E* values, as system calls return them. A descriptor whose
 * cap the server revoked (closed or cut off) fails with -KEEL_IO_EBADF.
 *
 * Storage and resources are the caller's: the descriptor table, a run of free slots in its
 * CSpace (1 + nfds * (1 + buf_frames)) and a window of its VSpace (nfds * buf_frames pages,
 * page tables present). Nothing is allocated. A keel_io_t serves one thread at a time, except
 * that keel_flush() may be called from another thread while one waits in a read.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>

#include <keel/error.h>
#include <keel/kview.h>
#include <keel/proto.h>

enum { KEEL_SEEK_SET = 0, KEEL_SEEK_CUR = 1, KEEL_SEEK_END = 2 };

/* A descriptor (caller storage; fields private). */
typedef struct keel_fd {
    seL4_CPtr cap; /* 0: free */
    uint64_t pos;
    unsigned oflags, fflags;
    uint32_t frames; /* mapped frames of the shared buffer */
    uint8_t *buf;
    uint64_t msglen;
} keel_fd_t;

typedef struct keel_io_config {
    seL4_CPtr ns;        /* a cap to the name server */
    seL4_CNode cnode;    /* the caller's CSpace root as a CNode cap (receive paths, deletes) */
    seL4_Uint8 depth;    /* the depth at which its CPtrs resolve in it (64 for a flat CSpace) */
    seL4_CPtr slots;     /* first of 1 + nfds * (1 + buf_frames) free slots */
    seL4_CPtr vspace;    /* the caller's VSpace root (with buf_frames) */
    seL4_Word vaddr;     /* window of nfds * buf_frames pages, page tables present */
    uint32_t buf_frames; /* the largest shared buffer to map per descriptor (0: none) */
    keel_fd_t *fds;
    size_t nfds;
} keel_io_config_t;

typedef struct keel_io_stats {
    uint64_t calls;                                 /* Calls to servers (name server included) */
    uint64_t short_calls, medium_calls, long_calls; /* reads and writes by mode */
    uint64_t kernel_calls;                          /* invocations: slot deletes, frame maps */
    uint64_t bytes_moved;                           /* bytes read and written */
    uint64_t bytes_copied; /* bytes the transport copied on the client side */
} keel_io_stats_t;

/* Fields private. */
typedef struct keel_io {
    keel_io_config_t cfg;
    keel_kstat_t kstat;
    keel_io_stats_t st;
} keel_io_t;

/* Start with every descriptor free. 0 or -KEEL_IO_EINVAL. */
int keel_io_init(keel_io_t *io, const keel_io_config_t *config);

/* Open `path` (through the name server) with KEEL_O_* flags: a descriptor, or -errno. */
int keel_open(keel_io_t *io, const char *path, unsigned oflags);

/* Close fd: the server forgets it and its caps and mappings are gone. 0 or -errno. */
int keel_close(keel_io_t *io, int fd);

/* Read up to n bytes at the position (advancing it): the bytes read, 0 at the end, or -errno. */
int64_t keel_read(keel_io_t *io, int fd, void *buf, size_t n);

/* Write n bytes at the position (advancing it): the bytes written, or -errno. */
int64_t keel_write(keel_io_t *io, int fd, const void *buf, size_t n);

/* Read up to n bytes at offset `off`; the position does not move. */
int64_t keel_pread(keel_io_t *io, int fd, void *buf, size_t n, uint64_t off);

/* Write n bytes at offset `off`; the position does not move. */
int64_t keel_pwrite(keel_io_t *io, int fd, const void *buf, size_t n, uint64_t off);

/* Move the position (one zero-length read at the new one): the new position, or -errno. */
int64_t keel_lseek(keel_io_t *io, int fd, int64_t off, int whence);

/* keel_read through message registers only (never the shared buffer). */
int64_t keel_readreg(keel_io_t *io, int fd, void *buf, size_t n);

/* keel_write through message registers only. */
int64_t keel_writereg(keel_io_t *io, int fd, const void *buf, size_t n);

/* fd's shared buffer as mapped here, and its size in *bytes; NULL (0) when it has none. */
void *keel_buf(keel_io_t *io, int fd, size_t *bytes);

/* Read up to n bytes at the position into the shared buffer at `pos`, in one call, no copy. */
int64_t keel_readbuf(keel_io_t *io, int fd, size_t pos, size_t n);

/* Write the n bytes at `pos` of the shared buffer at the position, in one call, no copy. */
int64_t keel_writebuf(keel_io_t *io, int fd, size_t pos, size_t n);

/* Cancel a read of fd that the server is holding (another thread waits in it): the number of
 * requests cancelled, or -errno. */
int64_t keel_flush(keel_io_t *io, int fd);

/*
 * The size of the file (a zero-length read at the position), or for a message-oriented file
 * the length of the next message (-KEEL_IO_EAGAIN when none is queued); -errno.
 */
int64_t keel_fsize(keel_io_t *io, int fd);

/* The full length of the last message read on fd (larger than what was read iff truncated). */
uint64_t keel_msglen(const keel_io_t *io, int fd);

/* KEEL_FILE_* flags of an open descriptor (0 for a bad one). */
unsigned keel_fflags(const keel_io_t *io, int fd);

void keel_io_stats(const keel_io_t *io, keel_io_stats_t *out);

/*
 * Verify the descriptor table (each open descriptor's cap in its own slot, its buffer inside
 * its window) and, with a kernel view of the caller's CSpace, that the slots of free
 * descriptors and the name-server receive slot are empty (an open descriptor's cap may be
 * gone: its server may have revoked it). 0, or -1 with *what set.
 */
int keel_io_check(const keel_io_t *io, const keel_kview_t *kview, const char **what);
