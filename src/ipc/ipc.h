/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the transport's client, server and name server share: byte copies (the library may not
 * call memcpy), the IPC buffer seen as bytes, and the one decoder and length rule of the wire
 * format (keel/proto.h), so that what a client builds and what a server accepts cannot drift
 * apart.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <keel/kview.h>
#include <keel/proto.h>

/* memmove: n bytes from src to dst; the ranges may overlap. */
void ipc_copy(void *dst, const void *src, size_t n);
/* n zero bytes at dst. */
void ipc_zero(void *dst, size_t n);

/* The calling thread's message registers from MRi on, as bytes. */
static inline uint8_t *ipc_mr_bytes(unsigned i)
{
    return (uint8_t *)&seL4_GetIPCBuffer()->msg[i];
}

static inline seL4_Word ipc_words(uint64_t bytes)
{
    return (seL4_Word)((bytes + 7) / 8);
}

/* A request as the server sees it: the label's fields and the message's shape. */
typedef struct ipc_req {
    unsigned op, mode, flags;
    uint64_t count;
    seL4_Word len;  /* message words received */
    seL4_Word caps; /* extra caps received (transferred or unwrapped) */
} ipc_req_t;

void ipc_decode(seL4_MessageInfo_t info, ipc_req_t *r);

/*
 * The largest count a mode carries for READ, WRITE or a path operation (OPEN, ATTACH,
 * DETACH), or 0 when the operation cannot use the mode (LONG for paths); `buf_bytes` is the
 * shared buffer's size for LONG.
 */
uint64_t ipc_mode_limit(unsigned op, unsigned mode, uint64_t buf_bytes);

/* The exact message length (words) a well-formed request of this shape has. */
seL4_Word ipc_request_words(unsigned op, unsigned mode, uint64_t count);

/*
 * Check a path request (OPEN, ATTACH, DETACH): its mode, its length, no request flags, a path
 * of at most KEEL_PROTO_MAX_PATH bytes without NUL bytes. 0 or a KEEL_IO_E* value. On
 * success the path (at MR1) is NUL-terminated in place, which the IPC buffer has room for.
 */
int ipc_check_path(const ipc_req_t *r, const char **path);

/* Build a path request from the calling thread: label, MR0 = word0, MR1.. = path. */
seL4_MessageInfo_t ipc_path_request(unsigned op, seL4_Word word0, const char *path, size_t len,
                                    unsigned extra_caps);

/* A reply carrying only an error or a value and no message words. */
static inline seL4_MessageInfo_t ipc_reply_error(int err)
{
    return seL4_MessageInfo_new(keel_proto_error((unsigned)err), 0, 0, 0);
}

static inline seL4_MessageInfo_t ipc_reply_value(uint64_t value, unsigned rflags, seL4_Word len)
{
    return seL4_MessageInfo_new(keel_proto_result(value, rflags), 0, 0, len);
}

/* The length of a NUL-terminated string, at most `max` (max + 1 means longer). */
size_t ipc_strnlen(const char *s, size_t max);

/* For the checkers: whether the slot `cptr` names holds a cap (false if it does not resolve). */
bool ipc_slot_full(const keel_kview_t *kv, seL4_CPtr cptr);
