/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The wire format's shared rules (src/ipc/ipc.h): decoding, the length every request must
 * have, path requests, and the byte copies the transport counts as its own.
 *
 * ipc_copy moves 64-byte blocks (four 16-byte vector loads, then four stores: as fast as the
 * host's memcpy from 64 KiB up on the development machine, where a plain word loop reached
 * half of it) and then words, when source and destination are equally aligned (the common
 * case: IPC buffers and shared buffers are page aligned), and bytes otherwise. It handles
 * overlap like memmove because a server may complete a held read with bytes that are still in
 * its own message registers: forwards when dst is below src (each block is loaded before it
 * is stored), backwards by words and bytes when dst is above.
 */
#include "ipc/ipc.h"

/* A word, and 16 bytes at 8-byte alignment, that may alias any object (the caller's buffers
 * are bytes). The vector type is a GCC/Clang extension; targets without vector registers get
 * it as two words. */
typedef uint64_t __attribute__((may_alias)) ipc_word_t;
typedef uint64_t __attribute__((vector_size(16), may_alias, aligned(8))) ipc_vec_t;

/* n >= 64 bytes from s to d, both 8-byte aligned, in 64-byte blocks: returns what is left. */
static size_t blocks(uint8_t **dp, const uint8_t **sp, size_t n)
{
    uint8_t *d = *dp;
    const uint8_t *s = *sp;
    for (; n >= 64; n -= 64, d += 64, s += 64) {
        const ipc_vec_t *v = (const ipc_vec_t *)(const void *)s;
        ipc_vec_t a = v[0], b = v[1], c = v[2], e = v[3];
        ipc_vec_t *w = (ipc_vec_t *)(void *)d;
        w[0] = a;
        w[1] = b;
        w[2] = c;
        w[3] = e;
    }
    *dp = d;
    *sp = s;
    return n;
}

void ipc_copy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if (d == s || n == 0) {
        return;
    }
    bool words = (((uintptr_t)d ^ (uintptr_t)s) & 7) == 0;
    if (d < s || d >= s + n) {
        while (words && n > 0 && ((uintptr_t)d & 7) != 0) {
            *d++ = *s++;
            n--;
        }
        if (words) {
            n = blocks(&d, &s, n);
            for (; n >= 8; n -= 8, d += 8, s += 8) {
                *(ipc_word_t *)(void *)d = *(const ipc_word_t *)(const void *)s;
            }
        }
        while (n > 0) {
            *d++ = *s++;
            n--;
        }
        return;
    }
    /* Overlapping with dst above src: copy from the end. */
    d += n;
    s += n;
    while (words && n > 0 && ((uintptr_t)d & 7) != 0) {
        *--d = *--s;
        n--;
    }
    if (words) {
        for (; n >= 8; n -= 8) {
            d -= 8;
            s -= 8;
            *(ipc_word_t *)(void *)d = *(const ipc_word_t *)(const void *)s;
        }
    }
    while (n > 0) {
        *--d = *--s;
        n--;
    }
}

void ipc_zero(void *dst, size_t n)
{
    uint8_t *d = dst;
    while (n > 0 && ((uintptr_t)d & 7) != 0) {
        *d++ = 0;
        n--;
    }
    for (; n >= 16; n -= 16, d += 16) {
        *(ipc_vec_t *)(void *)d = (ipc_vec_t){0, 0};
    }
    for (; n >= 8; n -= 8, d += 8) {
        *(ipc_word_t *)(void *)d = 0;
    }
    while (n > 0) {
        *d++ = 0;
        n--;
    }
}

size_t ipc_strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n <= max && s[n] != '\0') {
        n++;
    }
    return n;
}

void ipc_decode(seL4_MessageInfo_t info, ipc_req_t *r)
{
    seL4_Word label = seL4_MessageInfo_get_label(info);
    r->op = keel_proto_op(label);
    r->mode = keel_proto_mode(label);
    r->flags = keel_proto_flags(label);
    r->count = keel_proto_count(label);
    r->len = seL4_MessageInfo_get_length(info);
    r->caps = seL4_MessageInfo_get_extraCaps(info);
}

static bool is_path_op(unsigned op)
{
    return op == KEEL_OP_OPEN || op == KEEL_OP_ATTACH || op == KEEL_OP_DETACH;
}

uint64_t ipc_mode_limit(unsigned op, unsigned mode, uint64_t buf_bytes)
{
    bool write = op == KEEL_OP_WRITE;
    if (is_path_op(op)) {
        return mode == KEEL_MODE_SHORT    ? KEEL_PROTO_SHORT_WRITE
               : mode == KEEL_MODE_MEDIUM ? KEEL_PROTO_MAX_PATH
                                          : 0;
    }
    switch (mode) {
    case KEEL_MODE_SHORT:
        return write ? KEEL_PROTO_SHORT_WRITE : KEEL_PROTO_SHORT_READ;
    case KEEL_MODE_MEDIUM:
        return write ? KEEL_PROTO_MEDIUM_WRITE : KEEL_PROTO_MEDIUM_READ;
    case KEEL_MODE_LONG:
        return buf_bytes;
    default:
        return 0;
    }
}

seL4_Word ipc_request_words(unsigned op, unsigned mode, uint64_t count)
{
    if (mode == KEEL_MODE_LONG) {
        return 2; /* offset, position in the buffer */
    }
    if (op == KEEL_OP_READ) {
        return 1; /* offset */
    }
    return 1 + ipc_words(count); /* offset or flags, then the bytes */
}

int ipc_check_path(const ipc_req_t *r, const char **path)
{
    if (r->mode > KEEL_MODE_MEDIUM || r->flags != 0) {
        return KEEL_IO_EINVAL;
    }
    if (r->count > KEEL_PROTO_MAX_PATH) {
        return KEEL_IO_ENAMETOOLONG;
    }
    if (r->count > ipc_mode_limit(r->op, r->mode, 0) ||
        r->len != ipc_request_words(r->op, r->mode, r->count)) {
        return KEEL_IO_EMSGSIZE;
    }
    char *p = (char *)ipc_mr_bytes(1);
    for (uint64_t i = 0; i < r->count; i++) {
        if (p[i] == '\0') {
            return KEEL_IO_EINVAL;
        }
    }
    p[r->count] = '\0';
    *path = p;
    return 0;
}

seL4_MessageInfo_t ipc_path_request(unsigned op, seL4_Word word0, const char *path, size_t len,
                                    unsigned extra_caps)
{
    unsigned mode = len <= KEEL_PROTO_SHORT_WRITE ? KEEL_MODE_SHORT : KEEL_MODE_MEDIUM;
    seL4_SetMR(0, word0);
    ipc_copy(ipc_mr_bytes(1), path, len);
    return seL4_MessageInfo_new(keel_proto_label(op, mode, 0, len), 0, extra_caps,
                                ipc_request_words(op, mode, len));
}

bool ipc_slot_full(const keel_kview_t *kv, seL4_CPtr cptr)
{
    keel_cap_view_t v;
    return kv->cap(kv->ctx, cptr, &v) && v.present;
}
