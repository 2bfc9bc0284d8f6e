/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/proto.h — the wire format of Keel's IPC transport.
 *
 * Every call is a read of N bytes at an offset or a write of N bytes at an offset (plus open,
 * close and flush); marshalling of anything richer belongs to higher layers. A request's
 * message label says what it is:
 *
 *      51 ........................ 16 15  12 11   8 7      0
 *     [          count (36 bits)    | flags | mode |   op    ]
 *
 * and its message registers carry the rest. Three modes, chosen by size:
 *
 *   SHORT   data in message registers only, at most 4 words and no caps, so both directions
 *           stay on the kernel's fastpath:
 *             read   request: MR0 = offset                    (count <= 32)
 *                    reply:   MR0..MR3 = data
 *             write  request: MR0 = offset, MR1..MR3 = data   (count <= 24)
 *   MEDIUM  data in the IPC buffer's message registers (one call, up to 120 words):
 *             read   request: MR0 = offset                    (count <= 960)
 *                    reply:   MR0..MR119 = data
 *             write  request: MR0 = offset, MR1..MR119 = data (count <= 952)
 *   LONG    data in the file's shared buffer (set up at open):
 *             request: MR0 = offset, MR1 = where in the buffer (count <= buffer size)
 *           a transfer larger than the buffer is a series of calls; every call but the last
 *           has KEEL_PROTO_CONT, so a message-oriented file can deliver it as one message.
 *
 * A reply's label is a result:
 *
 *      51   50 ....................... 8 7      0
 *     [err |          value            | rflags ]
 *
 * err = 0: value is the number of bytes read or written (for a zero-length read, MR0 holds
 * the file's size, or ~0 if it has none); err = 1: value is an errno (KEEL_IO_E*). rflags:
 * KEEL_PROTO_EOF (a read reached the end), KEEL_PROTO_TRUNC (a message-oriented read got the
 * first `count` bytes of a longer message; value is the message's full length).
 *
 * OPEN carries a path (MEDIUM: MR0 = flags, MR1.. = path bytes, count = path length) to the
 * name server, which replies with a server's endpoint cap and the offset of the rest of the
 * path; the client sends OPEN with the rest to that server, which replies with a new endpoint
 * cap whose badge names the open file. BUF (on that cap) returns the shared buffer's frame
 * caps one per call (MR0 = index; reply MR0 = frames in all). CLOSE ends the open file; FLUSH
 * cancels a request of the file that the server is holding (a read waiting for data), which
 * then fails with KEEL_IO_ECANCELED.
 */
#pragma once

#include <stdint.h>

#include <sel4/sel4.h>

/* Operations (label bits 0..7). */
enum {
    KEEL_OP_READ = 1,
    KEEL_OP_WRITE = 2,
    KEEL_OP_OPEN = 3,
    KEEL_OP_CLOSE = 4,
    KEEL_OP_FLUSH = 5,
    KEEL_OP_BUF = 6,
    KEEL_OP_ATTACH = 7, /* name server: attach a server (its cap) at a path prefix */
    KEEL_OP_DETACH = 8, /* name server: detach the prefix */
    KEEL_OP_COUNT
};

/* Modes (label bits 8..11). */
enum { KEEL_MODE_SHORT = 0, KEEL_MODE_MEDIUM = 1, KEEL_MODE_LONG = 2 };

/* Request flags (label bits 12..15). */
#define KEEL_PROTO_CONT 0x1u /* more chunks of this transfer follow */

/* Reply flags (reply label bits 0..7). */
#define KEEL_PROTO_EOF   0x1u
#define KEEL_PROTO_TRUNC 0x2u

#define KEEL_PROTO_SHORT_READ   32u  /* bytes */
#define KEEL_PROTO_SHORT_WRITE  24u
#define KEEL_PROTO_MEDIUM_READ  (seL4_MsgMaxLength * 8u)
#define KEEL_PROTO_MEDIUM_WRITE ((seL4_MsgMaxLength - 1u) * 8u)
#define KEEL_PROTO_MAX_COUNT    ((1ull << 36) - 1)
#define KEEL_PROTO_MAX_PATH     (KEEL_PROTO_MEDIUM_WRITE - 8u)

/* Open flags (MR0 of OPEN). */
#define KEEL_O_RDONLY  0x0u
#define KEEL_O_WRONLY  0x1u
#define KEEL_O_RDWR    0x2u
#define KEEL_O_ACCMODE 0x3u
#define KEEL_O_CREAT   0x40u
#define KEEL_O_TRUNC   0x200u
#define KEEL_O_BUF     0x10000u /* set up a shared buffer for LONG transfers */

/* errno values (Linux numbering), as replies carry them and the client API returns them. */
enum {
    KEEL_IO_EPERM = 1,
    KEEL_IO_ENOENT = 2,
    KEEL_IO_EIO = 5,
    KEEL_IO_EBADF = 9,
    KEEL_IO_EAGAIN = 11,
    KEEL_IO_ENOMEM = 12,
    KEEL_IO_EACCES = 13,
    KEEL_IO_EFAULT = 14,
    KEEL_IO_EBUSY = 16,
    KEEL_IO_EEXIST = 17,
    KEEL_IO_EINVAL = 22,
    KEEL_IO_ENFILE = 23,
    KEEL_IO_EMFILE = 24,
    KEEL_IO_EFBIG = 27,
    KEEL_IO_ENOSPC = 28,
    KEEL_IO_ESPIPE = 29,
    KEEL_IO_ENAMETOOLONG = 36,
    KEEL_IO_ENOSYS = 38,
    KEEL_IO_EMSGSIZE = 90,
    KEEL_IO_EPROTO = 71,
    KEEL_IO_EOVERFLOW = 75,
    KEEL_IO_ECANCELED = 125,
};

static inline seL4_Word keel_proto_label(unsigned op, unsigned mode, unsigned flags,
                                         uint64_t count)
{
    return (seL4_Word)op | ((seL4_Word)mode << 8) | ((seL4_Word)flags << 12) |
           ((seL4_Word)(count & KEEL_PROTO_MAX_COUNT) << 16);
}

static inline unsigned keel_proto_op(seL4_Word label)
{
    return (unsigned)(label & 0xff);
}

static inline unsigned keel_proto_mode(seL4_Word label)
{
    return (unsigned)((label >> 8) & 0xf);
}

static inline unsigned keel_proto_flags(seL4_Word label)
{
    return (unsigned)((label >> 12) & 0xf);
}

static inline uint64_t keel_proto_count(seL4_Word label)
{
    return (label >> 16) & KEEL_PROTO_MAX_COUNT;
}

/* Reply labels. */
#define KEEL_PROTO_ERR_BIT (1ull << 51)

static inline seL4_Word keel_proto_result(uint64_t value, unsigned rflags)
{
    return ((seL4_Word)(value & ((1ull << 43) - 1)) << 8) | (seL4_Word)(rflags & 0xff);
}

static inline seL4_Word keel_proto_error(unsigned errno_value)
{
    return KEEL_PROTO_ERR_BIT | ((seL4_Word)errno_value << 8);
}

static inline int keel_proto_is_error(seL4_Word label)
{
    return (label & KEEL_PROTO_ERR_BIT) != 0;
}

static inline uint64_t keel_proto_value(seL4_Word label)
{
    return (label >> 8) & ((1ull << 43) - 1);
}

static inline unsigned keel_proto_rflags(seL4_Word label)
{
    return (unsigned)(label & 0xff);
}
