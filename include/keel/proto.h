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
 *           (The same holds for a transfer split into MEDIUM calls when the file has no
 *           buffer, or when the client asks for message registers only.)
 *
 * Every request's message length is exactly what its mode needs (1 word, 1 + ceil(count/8),
 * or 2) and it carries no caps; anything else is refused (KEEL_IO_EMSGSIZE / EINVAL).
 *
 * A reply's label is a result:
 *
 *      51   50   49 ..................... 8 7      0
 *     [err | 1 |          value           | rflags ]
 *
 * err = 0: value is the number of bytes read or written (for a zero-length read, MR0 holds
 * the file's size, or ~0 if it has none); err = 1: value is an errno (KEEL_IO_E*). rflags:
 * KEEL_PROTO_EOF (a read reached the end of the file, or of the message being read in
 * chunks), KEEL_PROTO_TRUNC (a message-oriented read got the first `count` bytes of a longer
 * message; value is the message's full length).
 *
 * Refinement (bit 50, KEEL_PROTO_REPLY_BIT): every server reply sets it. When a Call goes
 * through a cap that the server has revoked (or a slot the client emptied), the kernel itself
 * answers with label = an seL4_Error (1..10) and the error's detail words; without the marker
 * a server's "0 bytes, EOF" (label 1) or "0 bytes, TRUNC" (label 2) would read the same as
 * seL4_InvalidArgument or seL4_InvalidCapability. The value field lost its top bit for it:
 * 42 bits still hold every count (36 bits) and every errno.
 *
 * OPEN carries a path (SHORT or MEDIUM: MR0 = open flags, MR1.. = path bytes, count = path
 * length) to the name server, which replies with a server's endpoint cap and MR0 = the length
 * of the prefix it matched; the client sends OPEN with the rest of the path to that server,
 * which replies with a new endpoint cap whose badge names the open file, MR0 = the frames of
 * its shared buffer (0: none) and MR1 = file flags (KEEL_FILE_*). BUF (on that cap) returns
 * the shared buffer's frame caps one per call (MR0 = index; reply MR0 = frames in all): at
 * most one cap travels per message. CLOSE ends the open file; FLUSH cancels a request of the
 * file that the server is holding (a read waiting for data), which then fails with
 * KEEL_IO_ECANCELED; the flush's reply value is the number of requests cancelled. ATTACH
 * (path = prefix, one cap: the server's) and DETACH (path = prefix) go to the name server.
 *
 * Message-oriented files (KEEL_FILE_MSG) ignore offsets. A zero-length read of one reports
 * the length of the next message in MR0 (~0 when none is queued); a nonzero offset is
 * KEEL_IO_ESPIPE.
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
#define KEEL_PROTO_CONT  0x1u /* more chunks of this transfer follow */
#define KEEL_PROTO_FLAGS 0x1u /* every request flag defined */

/* Reply flags (reply label bits 0..7). */
#define KEEL_PROTO_EOF   0x1u
#define KEEL_PROTO_TRUNC 0x2u

#define KEEL_PROTO_SHORT_READ   32u /* bytes */
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
#define KEEL_O_FLAGS   (KEEL_O_ACCMODE | KEEL_O_CREAT | KEEL_O_TRUNC | KEEL_O_BUF)

/* File flags (MR1 of OPEN's reply). */
#define KEEL_FILE_MSG 0x1u /* message-oriented: each read returns one message as written */

/* The largest file offset (off_t's range). */
#define KEEL_PROTO_MAX_OFFSET ((1ull << 63) - 1)
/* MR0 of a zero-length read's reply when the file has no size (no message queued). */
#define KEEL_PROTO_NO_SIZE (~(seL4_Word)0)

/* errno values (Linux numbering), as replies carry them and the client API returns them. */
enum {
    KEEL_IO_EPERM = 1,
    KEEL_IO_ENOENT = 2,
    KEEL_IO_ESRCH = 3, /* server side only: the caller of a held request is gone */
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

static inline seL4_Word keel_proto_label(unsigned op, unsigned mode, unsigned flags, uint64_t count)
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
#define KEEL_PROTO_ERR_BIT   (1ull << 51)
#define KEEL_PROTO_REPLY_BIT (1ull << 50)
#define KEEL_PROTO_MAX_VALUE ((1ull << 42) - 1)

static inline seL4_Word keel_proto_result(uint64_t value, unsigned rflags)
{
    return KEEL_PROTO_REPLY_BIT | ((seL4_Word)(value & KEEL_PROTO_MAX_VALUE) << 8) |
           (seL4_Word)(rflags & 0xff);
}

static inline seL4_Word keel_proto_error(unsigned errno_value)
{
    return KEEL_PROTO_ERR_BIT | KEEL_PROTO_REPLY_BIT | ((seL4_Word)errno_value << 8);
}

/* Whether a reply label came from a server (rather than from the kernel: an seL4_Error). */
static inline int keel_proto_is_reply(seL4_Word label)
{
    return (label & KEEL_PROTO_REPLY_BIT) != 0;
}

static inline int keel_proto_is_error(seL4_Word label)
{
    return (label & KEEL_PROTO_ERR_BIT) != 0;
}

static inline uint64_t keel_proto_value(seL4_Word label)
{
    return (label >> 8) & KEEL_PROTO_MAX_VALUE;
}

static inline unsigned keel_proto_rflags(seL4_Word label)
{
    return (unsigned)(label & 0xff);
}
