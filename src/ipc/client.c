/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client side of the transport (keel/io.h).
 *
 * Slots and addresses are arithmetic, so nothing is allocated: slot `slots` receives the
 * name server's answer (a server's open cap) for the moment of an open; descriptor i owns
 * slot slots + 1 + i * (1 + buf_frames) for its file cap and the next buf_frames slots for its
 * buffer's frames, and page i * buf_frames of the window for its buffer. A receive path is
 * set only around a Call that expects a cap and cleared after, so no server reply can drop a
 * cap into a slot the client did not offer.
 *
 * One engine moves bytes (xfer): it cuts a transfer into calls, choosing each call's mode by
 * what remains (SHORT up to 32/24 bytes, MEDIUM up to 960/952, LONG up to the buffer when the
 * descriptor has one and the caller allows it), marks every call but the last CONT, and stops
 * at a short answer, at EOF (end of file or of a message) or at a truncated message. Replies
 * are checked, not trusted: a count larger than asked for, or fewer message words than the
 * count needs, is KEEL_IO_EPROTO; an answer from the kernel rather than the server (the cap
 * was revoked) is KEEL_IO_EBADF.
 *
 * Copies are counted where they happen (bytes_copied): the caller's bytes into message
 * registers or the shared buffer for a write, out of them for a read; readbuf/writebuf copy
 * nothing.
 */
#include <keel/io.h>

#include "ipc/ipc.h"
#include "kernel/kcall.h"

enum { VIA_ANY, VIA_REGS, VIA_BUF };

#define PAGE 4096u

static keel_fd_t *fd_of(keel_io_t *io, int fd)
{
    if (fd < 0 || (size_t)fd >= io->cfg.nfds || io->cfg.fds[fd].cap == 0) {
        return NULL;
    }
    return &io->cfg.fds[fd];
}

static seL4_CPtr fd_slot(const keel_io_t *io, size_t fd)
{
    return io->cfg.slots + 1 + fd * (1 + io->cfg.buf_frames);
}

static uint64_t buf_bytes(const keel_fd_t *d)
{
    return (uint64_t)d->frames * PAGE;
}

/* Call a server; a reply from the kernel (the cap is gone) becomes an error label. Counted
 * in io's statistics unless io is NULL (a flush, which may run beside another thread's call). */
static seL4_Word call(keel_io_t *io, seL4_CPtr cap, seL4_MessageInfo_t info,
                      seL4_MessageInfo_t *reply)
{
    if (io != NULL) {
        io->st.calls++;
    }
    *reply = seL4_Call(cap, info);
    seL4_Word label = seL4_MessageInfo_get_label(*reply);
    if (!keel_proto_is_reply(label)) {
        return keel_proto_error(label == seL4_InvalidCapability ? KEEL_IO_EBADF : KEEL_IO_EIO);
    }
    return label;
}

static int64_t reply_error(seL4_Word label)
{
    return -(int64_t)keel_proto_value(label);
}

/* A reply that must carry exactly one transferred cap and `words` words. */
static int64_t check_cap_reply(seL4_Word label, seL4_MessageInfo_t reply, seL4_Word words)
{
    if (keel_proto_is_error(label)) {
        return reply_error(label);
    }
    if (seL4_MessageInfo_get_extraCaps(reply) != 1 ||
        seL4_MessageInfo_get_capsUnwrapped(reply) != 0 ||
        seL4_MessageInfo_get_length(reply) < words) {
        return -KEEL_IO_EPROTO;
    }
    return 0;
}

static void forget(keel_io_t *io, keel_fd_t *d, size_t fd)
{
    seL4_CPtr s = fd_slot(io, fd);
    for (uint32_t i = 0; i <= d->frames; i++) {
        (void)kc_delete(&io->kstat, io->cfg.cnode, s + i, io->cfg.depth);
    }
    *d = (keel_fd_t){0};
}

/* ---- One read or write call ----------------------------------------------------------------- */

typedef struct chunk {
    bool write;
    unsigned mode, flags;
    uint8_t *user; /* the caller's bytes, or NULL: they are in the buffer already */
    size_t count;
    uint64_t off;
    uint64_t pos;    /* LONG: where in the buffer */
    unsigned rflags; /* out */
    uint64_t value;  /* out: the reply's value */
} chunk_t;

static int64_t do_chunk(keel_io_t *io, keel_fd_t *d, chunk_t *c)
{
    unsigned op = c->write ? KEEL_OP_WRITE : KEEL_OP_READ;
    uint8_t *regs = ipc_mr_bytes(c->write ? 1 : 0);
    uint8_t *place = c->mode == KEEL_MODE_LONG ? d->buf + c->pos : regs;
    seL4_SetMR(0, c->off);
    if (c->mode == KEEL_MODE_LONG) {
        seL4_SetMR(1, c->pos);
    }
    if (c->write && c->user != NULL) {
        ipc_copy(place, c->user, c->count);
        io->st.bytes_copied += c->count;
    }
    io->st.short_calls += c->mode == KEEL_MODE_SHORT;
    io->st.medium_calls += c->mode == KEEL_MODE_MEDIUM;
    io->st.long_calls += c->mode == KEEL_MODE_LONG;
    seL4_MessageInfo_t reply;
    seL4_Word label = call(io, d->cap,
                           seL4_MessageInfo_new(keel_proto_label(op, c->mode, c->flags, c->count),
                                                0, 0, ipc_request_words(op, c->mode, c->count)),
                           &reply);
    if (keel_proto_is_error(label)) {
        return reply_error(label);
    }
    c->rflags = keel_proto_rflags(label);
    c->value = keel_proto_value(label);
    uint64_t n = (c->rflags & KEEL_PROTO_TRUNC) ? c->count : c->value;
    if (n > c->count || (!c->write && c->mode != KEEL_MODE_LONG &&
                         seL4_MessageInfo_get_length(reply) < ipc_words(n))) {
        return -KEEL_IO_EPROTO;
    }
    if (!c->write && c->user != NULL) {
        ipc_copy(c->user, place, n);
        io->st.bytes_copied += n;
    }
    io->st.bytes_moved += n;
    return (int64_t)n;
}

/* ---- The engine ------------------------------------------------------------------------------ */

static int64_t xfer(keel_io_t *io, keel_fd_t *d, bool write, uint8_t *user, size_t n, uint64_t off,
                    int via, size_t pos)
{
    bool msg = (d->fflags & KEEL_FILE_MSG) != 0;
    if (!write && n == 0) {
        return 0;
    }
    uint64_t bytes = via == VIA_REGS ? 0 : buf_bytes(d);
    if (via == VIA_BUF && (bytes == 0 || pos > bytes || n > bytes - pos)) {
        return -KEEL_IO_EINVAL;
    }
    uint64_t regs_max = write ? KEEL_PROTO_MEDIUM_WRITE : KEEL_PROTO_MEDIUM_READ;
    uint64_t short_max = write ? KEEL_PROTO_SHORT_WRITE : KEEL_PROTO_SHORT_READ;
    size_t done = 0;
    do {
        size_t rest = n - done;
        chunk_t c = {
            .write = write, .user = user == NULL ? NULL : user + done, .off = msg ? 0 : off + done};
        if (via == VIA_BUF) {
            c.mode = KEEL_MODE_LONG;
            c.count = rest;
            c.pos = pos;
        } else if (bytes != 0 && rest > regs_max) {
            c.mode = KEEL_MODE_LONG;
            c.count = rest < bytes ? rest : (size_t)bytes;
        } else {
            c.mode = rest <= short_max ? KEEL_MODE_SHORT : KEEL_MODE_MEDIUM;
            c.count = rest < regs_max ? rest : (size_t)regs_max;
        }
        c.flags = c.count < rest ? KEEL_PROTO_CONT : 0;
        int64_t got = do_chunk(io, d, &c);
        if (got < 0) {
            return done > 0 && !msg ? (int64_t)done : got;
        }
        done += (size_t)got;
        if (msg && !write) {
            d->msglen = (c.rflags & KEEL_PROTO_TRUNC) ? c.value : done;
        }
        if ((size_t)got < c.count || (c.rflags & (KEEL_PROTO_EOF | KEEL_PROTO_TRUNC)) != 0) {
            break;
        }
    } while (done < n);
    return (int64_t)done;
}

/* Transfer at the position and move it (regular files). */
static int64_t at_pos(keel_io_t *io, int fd, bool write, uint8_t *user, size_t n, int via,
                      size_t pos)
{
    keel_fd_t *d = fd_of(io, fd);
    if (d == NULL) {
        return -KEEL_IO_EBADF;
    }
    int64_t r = xfer(io, d, write, user, n, d->pos, via, pos);
    if (r > 0 && !(d->fflags & KEEL_FILE_MSG)) {
        d->pos += (uint64_t)r;
    }
    return r;
}

int64_t keel_read(keel_io_t *io, int fd, void *buf, size_t n)
{
    return at_pos(io, fd, false, buf, n, VIA_ANY, 0);
}

int64_t keel_write(keel_io_t *io, int fd, const void *buf, size_t n)
{
    return at_pos(io, fd, true, (uint8_t *)(uintptr_t)buf, n, VIA_ANY, 0);
}

int64_t keel_readreg(keel_io_t *io, int fd, void *buf, size_t n)
{
    return at_pos(io, fd, false, buf, n, VIA_REGS, 0);
}

int64_t keel_writereg(keel_io_t *io, int fd, const void *buf, size_t n)
{
    return at_pos(io, fd, true, (uint8_t *)(uintptr_t)buf, n, VIA_REGS, 0);
}

int64_t keel_readbuf(keel_io_t *io, int fd, size_t pos, size_t n)
{
    return at_pos(io, fd, false, NULL, n, VIA_BUF, pos);
}

int64_t keel_writebuf(keel_io_t *io, int fd, size_t pos, size_t n)
{
    return at_pos(io, fd, true, NULL, n, VIA_BUF, pos);
}

int64_t keel_pread(keel_io_t *io, int fd, void *buf, size_t n, uint64_t off)
{
    keel_fd_t *d = fd_of(io, fd);
    return d == NULL ? -KEEL_IO_EBADF : xfer(io, d, false, buf, n, off, VIA_ANY, 0);
}

int64_t keel_pwrite(keel_io_t *io, int fd, const void *buf, size_t n, uint64_t off)
{
    keel_fd_t *d = fd_of(io, fd);
    return d == NULL ? -KEEL_IO_EBADF
                     : xfer(io, d, true, (uint8_t *)(uintptr_t)buf, n, off, VIA_ANY, 0);
}

void *keel_buf(keel_io_t *io, int fd, size_t *bytes)
{
    keel_fd_t *d = fd_of(io, fd);
    *bytes = d == NULL ? 0 : (size_t)buf_bytes(d);
    return d == NULL || d->frames == 0 ? NULL : d->buf;
}

/* ---- Sizes and seeking ----------------------------------------------------------------------- */

/* A zero-length read at `off`: MR0 of the reply in *size. */
static int64_t size_query(keel_io_t *io, keel_fd_t *d, uint64_t off, uint64_t *size)
{
    seL4_SetMR(0, off);
    seL4_MessageInfo_t reply;
    seL4_Word label =
        call(io, d->cap,
             seL4_MessageInfo_new(keel_proto_label(KEEL_OP_READ, KEEL_MODE_SHORT, 0, 0), 0, 0, 1),
             &reply);
    if (keel_proto_is_error(label)) {
        return reply_error(label);
    }
    if (seL4_MessageInfo_get_length(reply) < 1) {
        return -KEEL_IO_EPROTO;
    }
    *size = seL4_GetMR(0);
    return 0;
}

int64_t keel_lseek(keel_io_t *io, int fd, int64_t off, int whence)
{
    keel_fd_t *d = fd_of(io, fd);
    if (d == NULL) {
        return -KEEL_IO_EBADF;
    }
    int64_t base;
    switch (whence) {
    case KEEL_SEEK_SET:
        base = 0;
        break;
    case KEEL_SEEK_CUR:
        base = (int64_t)d->pos;
        break;
    case KEEL_SEEK_END: {
        uint64_t size;
        int64_t err = size_query(io, d, d->pos, &size);
        if (err < 0) {
            return err;
        }
        if (size == KEEL_PROTO_NO_SIZE || size > KEEL_PROTO_MAX_OFFSET) {
            return -KEEL_IO_ESPIPE;
        }
        base = (int64_t)size;
        break;
    }
    default:
        return -KEEL_IO_EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0) {
        return off > 0 ? -KEEL_IO_EOVERFLOW : -KEEL_IO_EINVAL;
    }
    uint64_t target = (uint64_t)(base + off);
    if (whence != KEEL_SEEK_END) {
        uint64_t size;
        int64_t err = size_query(io, d, target, &size); /* the server says if it can seek */
        if (err < 0) {
            return err;
        }
    }
    d->pos = target;
    return (int64_t)target;
}

int64_t keel_fsize(keel_io_t *io, int fd)
{
    keel_fd_t *d = fd_of(io, fd);
    if (d == NULL) {
        return -KEEL_IO_EBADF;
    }
    uint64_t size;
    int64_t err = size_query(io, d, (d->fflags & KEEL_FILE_MSG) ? 0 : d->pos, &size);
    if (err < 0) {
        return err;
    }
    if (size == KEEL_PROTO_NO_SIZE || size > KEEL_PROTO_MAX_OFFSET) {
        return (d->fflags & KEEL_FILE_MSG) ? -KEEL_IO_EAGAIN : -KEEL_IO_ESPIPE;
    }
    return (int64_t)size;
}

uint64_t keel_msglen(const keel_io_t *io, int fd)
{
    return fd >= 0 && (size_t)fd < io->cfg.nfds ? io->cfg.fds[fd].msglen : 0;
}

unsigned keel_fflags(const keel_io_t *io, int fd)
{
    return fd >= 0 && (size_t)fd < io->cfg.nfds ? io->cfg.fds[fd].fflags : 0;
}

/* ---- Open, close, flush ---------------------------------------------------------------------- */

/* A bare request (CLOSE, FLUSH) on fd: the reply's value, or -errno. */
static int64_t bare_call(keel_io_t *io, keel_fd_t *d, unsigned op)
{
    seL4_MessageInfo_t reply;
    seL4_Word label =
        call(io, d->cap, seL4_MessageInfo_new(keel_proto_label(op, KEEL_MODE_SHORT, 0, 0), 0, 0, 0),
             &reply);
    return keel_proto_is_error(label) ? reply_error(label) : (int64_t)keel_proto_value(label);
}

/* Fetch and map the shared buffer's frames (one BUF call and one map each). */
static int64_t map_buffer(keel_io_t *io, keel_fd_t *d, size_t fd, seL4_Word frames)
{
    const keel_io_config_t *c = &io->cfg;
    uint32_t n = frames < c->buf_frames ? (uint32_t)frames : c->buf_frames;
    seL4_Word base = c->vaddr + (seL4_Word)fd * c->buf_frames * PAGE;
    for (uint32_t i = 0; i < n; i++) {
        seL4_CPtr slot = fd_slot(io, fd) + 1 + i;
        seL4_SetCapReceivePath(c->cnode, slot, c->depth);
        seL4_SetMR(0, i);
        seL4_MessageInfo_t reply;
        seL4_Word label = call(
            io, d->cap,
            seL4_MessageInfo_new(keel_proto_label(KEEL_OP_BUF, KEEL_MODE_SHORT, 0, 0), 0, 0, 1),
            &reply);
        seL4_SetCapReceivePath(0, 0, 0);
        int64_t err = check_cap_reply(label, reply, 1);
        d->frames = i + (err == 0); /* forget() deletes what arrived */
        if (err == 0 && kc_page_map(&io->kstat, slot, c->vspace, base + (seL4_Word)i * PAGE,
                                    seL4_ReadWrite) != seL4_NoError) {
            err = -KEEL_IO_ENOMEM;
        }
        if (err < 0) {
            return err;
        }
    }
    d->frames = n;
    d->buf = (uint8_t *)(uintptr_t)base;
    return 0;
}

int keel_open(keel_io_t *io, const char *path, unsigned oflags)
{
    const keel_io_config_t *c = &io->cfg;
    size_t len = ipc_strnlen(path, KEEL_PROTO_MAX_PATH);
    if (len > KEEL_PROTO_MAX_PATH) {
        return -KEEL_IO_ENAMETOOLONG;
    }
    size_t fd = 0;
    while (fd < c->nfds && c->fds[fd].cap != 0) {
        fd++;
    }
    if (fd == c->nfds) {
        return -KEEL_IO_EMFILE;
    }
    if (c->buf_frames != 0) {
        oflags |= KEEL_O_BUF;
    }
    /* The name server: which server, and how much of the path it took. */
    seL4_MessageInfo_t reply;
    seL4_SetCapReceivePath(c->cnode, c->slots, c->depth);
    seL4_Word label = call(io, c->ns, ipc_path_request(KEEL_OP_OPEN, oflags, path, len, 0), &reply);
    seL4_SetCapReceivePath(0, 0, 0);
    int64_t err = check_cap_reply(label, reply, 1);
    seL4_Word took = seL4_GetMR(0);
    if (err == 0 && took > len) {
        err = -KEEL_IO_EPROTO;
    }
    if (err < 0) {
        if (seL4_MessageInfo_get_extraCaps(reply) != 0) {
            (void)kc_delete(&io->kstat, c->cnode, c->slots, c->depth);
        }
        return (int)err;
    }
    const char *rest = path + took;
    while (*rest == '/') {
        rest++;
    }
    /* The server: a cap for the open file, the buffer's size, the file's kind. */
    keel_fd_t *d = &c->fds[fd];
    seL4_SetCapReceivePath(c->cnode, fd_slot(io, fd), c->depth);
    label =
        call(io, c->slots,
             ipc_path_request(KEEL_OP_OPEN, oflags, rest, len - (size_t)(rest - path), 0), &reply);
    seL4_SetCapReceivePath(0, 0, 0);
    (void)kc_delete(&io->kstat, c->cnode, c->slots, c->depth);
    err = check_cap_reply(label, reply, 2);
    if (err < 0) {
        if (seL4_MessageInfo_get_extraCaps(reply) != 0) {
            (void)kc_delete(&io->kstat, c->cnode, fd_slot(io, fd), c->depth);
        }
        return (int)err;
    }
    seL4_Word frames = seL4_GetMR(0);
    *d = (keel_fd_t){.cap = fd_slot(io, fd), .oflags = oflags, .fflags = (unsigned)seL4_GetMR(1)};
    if (frames != 0 && c->buf_frames != 0) {
        err = map_buffer(io, d, fd, frames);
        if (err < 0) {
            (void)bare_call(io, d, KEEL_OP_CLOSE);
            forget(io, d, fd);
            return (int)err;
        }
    }
    return (int)fd;
}

int keel_close(keel_io_t *io, int fd)
{
    keel_fd_t *d = fd_of(io, fd);
    if (d == NULL) {
        return -KEEL_IO_EBADF;
    }
    int64_t r = bare_call(io, d, KEEL_OP_CLOSE);
    forget(io, d, (size_t)fd);
    return r < 0 ? (int)r : 0;
}

int64_t keel_flush(keel_io_t *io, int fd)
{
    keel_fd_t *d = fd_of(io, fd);
    /* Another thread may be inside a call on io: touch nothing of io's but the cap. */
    return d == NULL ? -KEEL_IO_EBADF : bare_call(NULL, d, KEEL_OP_FLUSH);
}

/* ---- Set-up ------------------------------------------------------------------------------------
 */

int keel_io_init(keel_io_t *io, const keel_io_config_t *config)
{
    if (config->fds == NULL || config->nfds == 0 || config->nfds > INT32_MAX ||
        (config->buf_frames != 0 && config->vspace == 0)) {
        return -KEEL_IO_EINVAL;
    }
    io->cfg = *config;
    io->kstat = (keel_kstat_t){0};
    io->st = (keel_io_stats_t){0};
    for (size_t i = 0; i < config->nfds; i++) {
        config->fds[i] = (keel_fd_t){0};
    }
    return 0;
}

void keel_io_stats(const keel_io_t *io, keel_io_stats_t *out)
{
    *out = io->st;
    out->kernel_calls = io->kstat.calls;
}

int keel_io_check(const keel_io_t *io, const keel_kview_t *kview, const char **what)
{
    const keel_io_config_t *c = &io->cfg;
    if (kview != NULL && ipc_slot_full(kview, c->slots)) {
        *what = "keel_io: the name server's answer slot is not empty";
        return -1;
    }
    for (size_t i = 0; i < c->nfds; i++) {
        const keel_fd_t *d = &c->fds[i];
        seL4_Word base = c->vaddr + (seL4_Word)i * c->buf_frames * PAGE;
        if (d->cap != 0 && (d->cap != fd_slot(io, i) || d->frames > c->buf_frames ||
                            (d->frames != 0 && d->buf != (uint8_t *)(uintptr_t)base))) {
            *what = "keel_io: a descriptor's cap or buffer is not where the layout puts it";
            return -1;
        }
        for (uint32_t j = 0; kview != NULL && d->cap == 0 && j <= c->buf_frames; j++) {
            if (ipc_slot_full(kview, fd_slot(io, i) + j)) {
                *what = "keel_io: a free descriptor's slot holds a cap";
                return -1;
            }
        }
    }
    return 0;
}
