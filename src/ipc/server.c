/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The server framework (keel/server.h).
 *
 * Badges. The open cap carries OPEN_BADGE (bit 63). An open file's cap carries
 * gen << 16 | (index + 1): index into the caller's file table, and the generation, which every
 * close increments, so a cap (or a queued message) from before a close names no open file.
 * Clients get Write and GrantReply only: they can call and get replies, but cannot receive
 * on the endpoint, and without Grant no cap of theirs ever reaches the server.
 *
 * Validation, in order, before any handler runs: the badge names an open file (EBADF); no
 * caps came (EINVAL); the op is known here (ENOSYS); mode and request flags are defined
 * (EINVAL); LONG only on an open that took the buffer (EINVAL); the count fits the mode
 * (EMSGSIZE); the message has exactly the words the mode needs (EMSGSIZE); the buffer range
 * pos + count lies inside the buffer, computed without overflow (EFAULT); offset <= 2^63 - 1
 * (EINVAL) and offset + count does not pass it (EOVERFLOW); the access mode allows the op
 * (EBADF; a zero-length read, the size query behind a seek, is allowed on any open). Each failure
 * but EBADF is a strike against the open file; `max_strikes` of them cut it off (closed, the
 * client's cap revoked).
 *
 * Locking. One lock (keel/lock.h) covers the file table, every handler and every completion,
 * so handlers need no locking of their own and may complete any file's held request. Workers
 * take it after a receive and drop it before ReplyRecv; a worker never blocks while holding
 * it (handlers do not block; a completion is a Call on a reply cap, which the kernel answers
 * at once). On one CPU a worker holding the lock can still be preempted by a higher-priority
 * thread it woke; another worker then sleeps on the lock's notification until it is back.
 *
 * Held requests. keel_server_hold moves the worker's reply cap into the file's hold slot with
 * SaveCaller, and the worker goes back to ReplyRecv with an empty caller slot (its reply goes
 * nowhere). keel_server_complete answers with a Call on the saved cap rather than a Send: the
 * kernel deletes a reply cap when its caller is destroyed, and a Call on the emptied slot
 * returns InvalidCapability, so the server learns that the client vanished (a Send would be
 * silent), and a message-oriented file can keep the message for someone else. Since the Call
 * takes its words from the completing thread's message registers, which may still hold that
 * thread's own request, the registers it uses are saved and restored around it.
 */
#include <keel/server.h>

#include "core/assert.h"
#include "ipc/ipc.h"
#include "kernel/kcall.h"

enum { SF_FREE = 0, SF_OPEN = 1 };

#define OPEN_BADGE (1ull << 63)
#define INDEX_BITS 16
#define INDEX_MASK ((1ull << INDEX_BITS) - 1)
#define MAX_FILES  2047 /* 2 slots each and the open cap in one run of a 4096-slot CNode */

static seL4_CapRights_t client_rights(void)
{
    return seL4_CapRights_new(1, 0, 0, 1); /* GrantReply, Write */
}

static seL4_Word badge_of(const keel_sfile_t *f)
{
    return ((seL4_Word)f->gen << INDEX_BITS) | (f->index + 1);
}

static seL4_CNode root(const keel_server_t *srv)
{
    return keel_cslot_root(srv->cfg.cs);
}

static seL4_Uint8 depth(const keel_server_t *srv)
{
    return keel_cslot_depth(srv->cfg.cs);
}

static keel_sfile_t *file_of(keel_server_t *srv, seL4_Word badge)
{
    seL4_Word i = badge & INDEX_MASK;
    if ((badge & OPEN_BADGE) != 0 || i == 0 || i > srv->cfg.max_files) {
        return NULL;
    }
    keel_sfile_t *f = &srv->cfg.files[i - 1];
    return f->state == SF_OPEN && badge == badge_of(f) ? f : NULL;
}

/* ---- Replies ----------------------------------------------------------------------------- */

static seL4_MessageInfo_t fail(keel_server_t *srv, int err)
{
    srv->st.errors++;
    return ipc_reply_error(err);
}

static void close_file(keel_server_t *srv, keel_sfile_t *f);

/* A malformed request: an error, and a strike against the file. */
static seL4_MessageInfo_t malformed(keel_server_t *srv, keel_sfile_t *f, int err)
{
    srv->st.malformed++;
    if (f != NULL && srv->cfg.max_strikes != 0 && ++f->strikes >= srv->cfg.max_strikes) {
        close_file(srv, f);
        srv->st.cut_off++;
    }
    return fail(srv, err);
}

/* ---- Held requests ------------------------------------------------------------------------ */

int keel_server_hold(keel_sreq_t *r)
{
    keel_server_t *srv = r->srv;
    keel_sfile_t *f = r->file;
    if (f->held) {
        return -KEEL_IO_EBUSY;
    }
    if (r->count == 0) {
        return -KEEL_IO_EINVAL; /* a size query is answered at once */
    }
    if (kc_save_caller(&srv->kstat, root(srv), f->hold_slot, depth(srv)) != seL4_NoError) {
        return -KEEL_IO_EIO;
    }
    f->hold = *r;
    f->hold.data = NULL;
    f->held = true;
    srv->st.held++;
    return 0;
}

const keel_sreq_t *keel_server_held(const keel_sfile_t *f)
{
    return f->held ? &f->hold : NULL;
}

int keel_server_complete(keel_server_t *srv, keel_sfile_t *f, const void *data, size_t n,
                         int64_t value, unsigned rflags)
{
    KEEL_ASSERT(f->held, "keel_server_complete: no request is held for this file");
    const keel_sreq_t *h = &f->hold;
    KEEL_ASSERT(value < 0 || n <= h->count, "keel_server_complete: more bytes than asked for");
    f->held = false;
    seL4_Word words = 0;
    if (value >= 0 && h->mode != KEEL_MODE_LONG) {
        words = ipc_words(n);
    }
    /* Save the registers the Call will use (libsel4 writes MR0..MR3 back after it). */
    seL4_Word saved[seL4_MsgMaxLength];
    seL4_Word nsave = words > seL4_FastMessageRegisters ? words : seL4_FastMessageRegisters;
    for (seL4_Word i = 0; i < nsave; i++) {
        saved[i] = seL4_GetMR((int)i);
    }
    seL4_MessageInfo_t info;
    if (value < 0) {
        info = ipc_reply_error((int)-value);
    } else {
        ipc_copy(h->mode == KEEL_MODE_LONG ? f->buf + h->buf_pos : ipc_mr_bytes(0), data, n);
        info = ipc_reply_value((uint64_t)value, rflags, words);
    }
    seL4_MessageInfo_t answer = seL4_Call(f->hold_slot, info);
    for (seL4_Word i = 0; i < nsave; i++) {
        seL4_SetMR((int)i, saved[i]);
    }
    if (seL4_MessageInfo_get_label(answer) != seL4_NoError) {
        srv->st.vanished++;
        return -KEEL_IO_ESRCH;
    }
    srv->st.completed++;
    return 0;
}

static void cancel_hold(keel_server_t *srv, keel_sfile_t *f)
{
    if (!f->held) {
        return;
    }
    if (srv->cfg.ops->cancel != NULL) {
        srv->cfg.ops->cancel(srv->cfg.ctx, f);
    }
    (void)keel_server_complete(srv, f, NULL, 0, -KEEL_IO_ECANCELED, 0);
    srv->st.cancelled++;
}

/* ---- Open, buffers, close ------------------------------------------------------------------ */

/* Frames for f's shared buffer, mapped in the server's window; none if that fails. */
static void get_buffer(keel_server_t *srv, keel_sfile_t *f)
{
    const keel_server_config_t *c = &srv->cfg;
    seL4_Word base = c->vaddr + (seL4_Word)f->index * srv->buf_bytes;
    keel_fpool_run_t run;
    if (c->alloc_lock != NULL) {
        keel_lock_acquire(c->alloc_lock);
    }
    keel_err_t err = keel_fpool_alloc(c->frames, c->buf_bits, 0, &run);
    for (uint32_t i = 0; err == KEEL_OK && i < run.count; i++) {
        if (kc_page_map(&srv->kstat, run.first + i, c->vspace, base + ((seL4_Word)i << 12),
                        seL4_ReadWrite) != seL4_NoError) {
            (void)keel_fpool_free(c->frames, run.first, c->buf_bits, KEEL_FPOOL_UNMAP);
            err = KEEL_EKERNEL;
        }
    }
    if (c->alloc_lock != NULL) {
        keel_lock_release(c->alloc_lock);
    }
    if (err == KEEL_OK) {
        f->run = run;
        f->buf = (uint8_t *)(uintptr_t)base;
        srv->st.buffers++;
    }
}

static seL4_MessageInfo_t do_open(keel_server_t *srv, const ipc_req_t *q)
{
    const keel_server_config_t *c = &srv->cfg;
    if (q->op != KEEL_OP_OPEN) {
        return fail(srv, KEEL_IO_EBADF); /* the open cap only opens */
    }
    const char *path = NULL;
    int err = q->caps != 0 ? KEEL_IO_EINVAL : ipc_check_path(q, &path);
    if (err != 0) {
        srv->st.malformed++;
        return fail(srv, err);
    }
    seL4_Word oflags = seL4_GetMR(0);
    if ((oflags & ~(seL4_Word)KEEL_O_FLAGS) != 0 || (oflags & KEEL_O_ACCMODE) == KEEL_O_ACCMODE) {
        srv->st.malformed++;
        return fail(srv, KEEL_IO_EINVAL);
    }
    keel_sfile_t *f = NULL;
    for (size_t i = 0; i < c->max_files && f == NULL; i++) {
        if (c->files[i].state == SF_FREE) {
            f = &c->files[i];
        }
    }
    if (f == NULL) {
        return fail(srv, KEEL_IO_ENFILE);
    }
    f->priv = NULL;
    f->hstate = 0;
    f->oflags = (unsigned)oflags;
    f->strikes = 0;
    f->held = false;
    unsigned fflags = 0;
    int rc = c->ops->open(c->ctx, f, path, (unsigned)oflags, &fflags);
    if (rc < 0) {
        return fail(srv, -rc);
    }
    /* Kernel calls only now: an invocation that fails leaves its error in MR0..MR3, where
     * the path was. */
    bool want_buf = (oflags & KEEL_O_BUF) != 0 && c->frames != NULL;
    if (want_buf && f->run.count == 0) {
        get_buffer(srv, f);
    }
    if (kc_mint(&srv->kstat, root(srv), f->cap, depth(srv), root(srv), c->ep, depth(srv),
                client_rights(), badge_of(f)) != seL4_NoError) {
        if (c->ops->close != NULL) {
            c->ops->close(c->ctx, f);
        }
        return fail(srv, KEEL_IO_ENOMEM);
    }
    f->state = SF_OPEN;
    f->fflags = fflags;
    f->buf_given = want_buf && f->run.count != 0;
    srv->st.opens++;
    seL4_SetCap(0, f->cap);
    seL4_SetMR(0, f->buf_given ? f->run.count : 0);
    seL4_SetMR(1, fflags);
    return seL4_MessageInfo_new(keel_proto_result(0, 0), 0, 1, 2);
}

static void close_file(keel_server_t *srv, keel_sfile_t *f)
{
    cancel_hold(srv, f);
    if (srv->cfg.ops->close != NULL) {
        srv->cfg.ops->close(srv->cfg.ctx, f);
    }
    if (f->buf_given) {
        /* The next owner of this buffer sees neither the old client's mappings nor bytes. */
        for (uint32_t i = 0; i < f->run.count; i++) {
            (void)kc_revoke(&srv->kstat, root(srv), f->run.first + i, depth(srv));
        }
        ipc_zero(f->buf, srv->buf_bytes);
    }
    (void)kc_revoke(&srv->kstat, root(srv), f->cap, depth(srv));
    (void)kc_delete(&srv->kstat, root(srv), f->cap, depth(srv));
    f->state = SF_FREE;
    f->gen++;
    f->buf_given = false;
    f->priv = NULL;
    srv->st.closes++;
}

/* CLOSE, FLUSH and BUF carry no bytes; CLOSE and FLUSH no words either. */
static bool bare(const ipc_req_t *q, seL4_Word words)
{
    return q->mode == KEEL_MODE_SHORT && q->flags == 0 && q->count == 0 && q->len == words;
}

static seL4_MessageInfo_t do_buf(keel_server_t *srv, keel_sfile_t *f, const ipc_req_t *q)
{
    if (!bare(q, 1) || !f->buf_given || seL4_GetMR(0) >= f->run.count) {
        return malformed(srv, f, KEEL_IO_EINVAL);
    }
    seL4_SetCap(0, f->run.first + seL4_GetMR(0));
    seL4_SetMR(0, f->run.count);
    return seL4_MessageInfo_new(keel_proto_result(0, 0), 0, 1, 1);
}

/* ---- Reads and writes --------------------------------------------------------------------- */

static seL4_MessageInfo_t do_rw(keel_server_t *srv, keel_sfile_t *f, const ipc_req_t *q)
{
    const keel_server_config_t *c = &srv->cfg;
    bool write = q->op == KEEL_OP_WRITE;
    uint64_t buf_bytes = f->buf_given ? srv->buf_bytes : 0;
    if (q->mode > KEEL_MODE_LONG || (q->flags & ~KEEL_PROTO_FLAGS) != 0 ||
        (q->mode == KEEL_MODE_LONG && buf_bytes == 0)) {
        return malformed(srv, f, KEEL_IO_EINVAL);
    }
    if ((q->mode != KEEL_MODE_LONG && q->count > ipc_mode_limit(q->op, q->mode, buf_bytes)) ||
        q->len != ipc_request_words(q->op, q->mode, q->count)) {
        return malformed(srv, f, KEEL_IO_EMSGSIZE);
    }
    keel_sreq_t r = {.srv = srv,
                     .file = f,
                     .op = q->op,
                     .mode = q->mode,
                     .flags = q->flags,
                     .offset = seL4_GetMR(0),
                     .count = q->count,
                     .size = KEEL_PROTO_NO_SIZE};
    if (q->mode == KEEL_MODE_LONG) {
        r.buf_pos = seL4_GetMR(1);
        if (r.buf_pos > buf_bytes || r.count > buf_bytes - r.buf_pos) {
            return malformed(srv, f, KEEL_IO_EFAULT);
        }
        r.data = f->buf + r.buf_pos;
    } else {
        r.data = ipc_mr_bytes(write ? 1 : 0);
    }
    if (r.offset > KEEL_PROTO_MAX_OFFSET) {
        return malformed(srv, f, KEEL_IO_EINVAL);
    }
    if (r.count > KEEL_PROTO_MAX_OFFSET - r.offset) {
        return malformed(srv, f, KEEL_IO_EOVERFLOW);
    }
    /* A size query (a seek) is allowed whatever the access mode, as lseek and fstat are. */
    unsigned acc = f->oflags & KEEL_O_ACCMODE;
    if (acc == (write ? KEEL_O_RDONLY : KEEL_O_WRONLY) && (write || r.count != 0)) {
        return fail(srv, KEEL_IO_EBADF);
    }
    if (write) {
        int64_t n = c->ops->write(c->ctx, &r);
        if (n < 0) {
            return fail(srv, (int)-n);
        }
        return (uint64_t)n > r.count ? fail(srv, KEEL_IO_EIO) : ipc_reply_value((uint64_t)n, 0, 0);
    }
    bool was_held = f->held;
    int64_t n = c->ops->read(c->ctx, &r);
    if (n == KEEL_SERVER_HELD) {
        KEEL_ASSERT(!was_held && f->held, "keel_server: HELD without keel_server_hold");
        return ipc_reply_value(0, 0, 0); /* the caller slot is empty: this goes nowhere */
    }
    KEEL_ASSERT(was_held || !f->held, "keel_server: a held request was answered at once");
    if (n < 0) {
        return fail(srv, (int)-n);
    }
    if (r.count == 0) {
        seL4_SetMR(0, r.size);
        return ipc_reply_value(0, r.rflags, 1);
    }
    if ((uint64_t)n > r.count) {
        return fail(srv, KEEL_IO_EIO);
    }
    uint64_t value = (r.rflags & KEEL_PROTO_TRUNC) ? r.full : (uint64_t)n;
    return ipc_reply_value(value, r.rflags, q->mode == KEEL_MODE_LONG ? 0 : ipc_words((uint64_t)n));
}

/* ---- Dispatch ------------------------------------------------------------------------------ */

static seL4_MessageInfo_t dispatch(keel_server_t *srv, seL4_MessageInfo_t info, seL4_Word badge)
{
    ipc_req_t q;
    ipc_decode(info, &q);
    srv->st.requests++;
    if (badge == OPEN_BADGE) {
        return do_open(srv, &q);
    }
    keel_sfile_t *f = file_of(srv, badge);
    if (f == NULL) {
        return fail(srv, KEEL_IO_EBADF);
    }
    if (q.caps != 0) {
        return malformed(srv, f, KEEL_IO_EINVAL);
    }
    switch (q.op) {
    case KEEL_OP_READ:
    case KEEL_OP_WRITE:
        return do_rw(srv, f, &q);
    case KEEL_OP_BUF:
        return do_buf(srv, f, &q);
    case KEEL_OP_CLOSE:
        if (!bare(&q, 0)) {
            return malformed(srv, f, KEEL_IO_EINVAL);
        }
        close_file(srv, f);
        return ipc_reply_value(0, 0, 0);
    case KEEL_OP_FLUSH: {
        if (!bare(&q, 0)) {
            return malformed(srv, f, KEEL_IO_EINVAL);
        }
        bool held = f->held;
        cancel_hold(srv, f);
        return ipc_reply_value(held ? 1 : 0, 0, 0);
    }
    case KEEL_OP_OPEN:
        return malformed(srv, f, KEEL_IO_EINVAL); /* open through the open cap */
    default:
        return malformed(srv, f, KEEL_IO_ENOSYS);
    }
}

seL4_MessageInfo_t keel_server_handle(keel_server_t *srv, seL4_MessageInfo_t info, seL4_Word badge)
{
    keel_lock_acquire(&srv->lock);
    seL4_MessageInfo_t reply = dispatch(srv, info, badge);
    keel_lock_release(&srv->lock);
    return reply;
}

_Noreturn void keel_server_run(keel_server_t *srv)
{
    seL4_SetCapReceivePath(0, 0, 0); /* no slot: no client cap can land here */
    seL4_Word badge;
    seL4_MessageInfo_t info = seL4_Recv(srv->cfg.ep, &badge);
    for (;;) {
        seL4_MessageInfo_t reply = keel_server_handle(srv, info, badge);
        info = seL4_ReplyRecv(srv->cfg.ep, reply, &badge);
    }
}

void keel_server_lock(keel_server_t *srv)
{
    keel_lock_acquire(&srv->lock);
}

void keel_server_unlock(keel_server_t *srv)
{
    keel_lock_release(&srv->lock);
}

/* ---- Life cycle ---------------------------------------------------------------------------- */

keel_err_t keel_server_init(keel_server_t *srv, const keel_server_config_t *config)
{
    const keel_server_config_t *c = config;
    if (c->ep == 0 || c->cs == NULL || c->files == NULL || c->max_files == 0 ||
        c->max_files > MAX_FILES || c->ops == NULL || c->ops->open == NULL ||
        c->ops->read == NULL || c->ops->write == NULL || c->buf_bits > 8 ||
        c->max_strikes > UINT8_MAX) {
        return KEEL_EINVAL;
    }
    srv->cfg = *c;
    keel_lock_init(&srv->lock, c->lock_ntfn);
    srv->buf_bytes = c->frames != NULL ? (uint64_t)1 << (c->buf_bits + 12) : 0;
    srv->kstat = (keel_kstat_t){0};
    srv->st = (keel_server_stats_t){0};
    seL4_CPtr first;
    keel_err_t err = keel_cslot_alloc_range(c->cs, 2 * c->max_files + 1, &first);
    if (err != KEEL_OK) {
        return err;
    }
    for (size_t i = 0; i < c->max_files; i++) {
        c->files[i] = (keel_sfile_t){.srv = srv,
                                     .index = (uint32_t)i,
                                     .gen = 1,
                                     .cap = first + 2 * i,
                                     .hold_slot = first + 2 * i + 1};
    }
    srv->open_cap = first + 2 * c->max_files;
    if (kc_mint(&srv->kstat, root(srv), srv->open_cap, depth(srv), root(srv), c->ep, depth(srv),
                client_rights(), OPEN_BADGE) != seL4_NoError) {
        keel_cslot_free_range(c->cs, first, 2 * c->max_files + 1);
        return KEEL_EKERNEL;
    }
    return KEEL_OK;
}

seL4_CPtr keel_server_open_cap(const keel_server_t *srv)
{
    return srv->open_cap;
}

keel_err_t keel_server_fini(keel_server_t *srv)
{
    const keel_server_config_t *c = &srv->cfg;
    keel_err_t err = KEEL_OK;
    for (size_t i = 0; i < c->max_files; i++) {
        keel_sfile_t *f = &c->files[i];
        if (f->state == SF_OPEN) {
            close_file(srv, f);
        }
        if (f->run.count != 0 &&
            keel_fpool_free(c->frames, f->run.first, c->buf_bits, KEEL_FPOOL_UNMAP) != KEEL_OK) {
            err = KEEL_EKERNEL;
        }
        f->run.count = 0;
    }
    if (kc_revoke(&srv->kstat, root(srv), srv->open_cap, depth(srv)) != seL4_NoError ||
        kc_delete(&srv->kstat, root(srv), srv->open_cap, depth(srv)) != seL4_NoError) {
        err = KEEL_EKERNEL;
    }
    keel_cslot_free_range(c->cs, c->files[0].cap, 2 * c->max_files + 1);
    return err;
}

void keel_server_stats(const keel_server_t *srv, keel_server_stats_t *out)
{
    *out = srv->st;
    out->kernel_calls = srv->kstat.calls;
    out->lock_waits = atomic_load_explicit(&srv->lock.waits, memory_order_relaxed);
}

/* ---- Invariants ------------------------------------------------------------------------------ */

static const char *check_file(const keel_server_t *srv, const keel_sfile_t *f, size_t i,
                              const keel_kview_t *kv)
{
    const keel_sfile_t *first = &srv->cfg.files[0];
    if (f->index != i || f->gen == 0 || f->cap != first->cap + 2 * i ||
        f->hold_slot != f->cap + 1) {
        return "keel_server: a file record's index, generation or slots are wrong";
    }
    if (f->state != SF_OPEN && (f->state != SF_FREE || f->held || f->buf_given)) {
        return "keel_server: a free file holds a request or a buffer";
    }
    if ((f->buf_given && f->run.count == 0) ||
        (f->run.count != 0 && f->run.count != (1u << srv->cfg.buf_bits))) {
        return "keel_server: a buffer has the wrong number of frames";
    }
    if (kv == NULL) {
        return NULL;
    }
    if (ipc_slot_full(kv, f->cap) != (f->state == SF_OPEN)) {
        return "keel_server: an open file without its cap, or a free one with a cap";
    }
    if (!f->held && ipc_slot_full(kv, f->hold_slot)) {
        return "keel_server: a reply cap in the hold slot of a file that holds nothing";
    }
    for (uint32_t j = 0; j < f->run.count; j++) {
        keel_cap_view_t v;
        if (!kv->cap(kv->ctx, f->run.first + j, &v) || !v.frame) {
            return "keel_server: a buffer frame is missing";
        }
    }
    return NULL;
}

int keel_server_check(const keel_server_t *srv, const keel_kview_t *kview, const char **what)
{
    for (size_t i = 0; i < srv->cfg.max_files; i++) {
        *what = check_file(srv, &srv->cfg.files[i], i, kview);
        if (*what != NULL) {
            return -1;
        }
    }
    if (srv->open_cap != srv->cfg.files[0].cap + 2 * srv->cfg.max_files ||
        (kview != NULL && !ipc_slot_full(kview, srv->open_cap))) {
        *what = "keel_server: the open cap is not in its slot";
        return -1;
    }
    return 0;
}
