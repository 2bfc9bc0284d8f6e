/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A RAM file server (keel/ramfs.h): keel_server handlers over fixed-capacity files.
 *
 * Message queues are records in the file's bytes, from `head` on: an 8-byte length, then the
 * message. A message being written in a CONT series grows in place after the last record and
 * becomes a record (its length written, nmsgs + 1) with the series' last write; only then can
 * a reader see it. When an append does not fit after the records, the records are moved to
 * offset 0 first (one copy of what is queued; a queue that is drained often stays near 0).
 *
 * Taking a message is planned first and done after the bytes have been copied or delivered
 * (plan/finish), because delivering to a held reader can fail (the reader vanished) and the
 * message must then stay for the next one. Whenever the first message becomes free to take
 * (written, or its reader done with it) and readers are held, it goes to them (wake).
 *
 * A series in progress (a CONT write, or a read in the middle of a message) blocks the others
 * with EBUSY; the server cannot tell a slow client from a dead one, so a series is given
 * KEEL_RAMFS_PATIENCE refusals without moving and then broken (stalled_*): its owner's sfile
 * is marked (hstate) so that its next request of that kind fails with ECANCELED rather than
 * being taken as the start of a new series.
 */
#include <keel/ramfs.h>

#include "ipc/ipc.h"

#define HDR 8u

#define BROKEN_WRITE 0x1u /* keel_sfile_t.hstate */
#define BROKEN_READ  0x2u

static keel_ramfs_node_t *node_of(const keel_sfile_t *f)
{
    return f->priv;
}

static uint64_t rec_len(const keel_ramfs_node_t *n, size_t at)
{
    uint64_t len;
    ipc_copy(&len, n->data + at, HDR);
    return len;
}

void keel_ramfs_init(keel_ramfs_t *fs, keel_ramfs_node_t *nodes, size_t max_nodes, void *pool,
                     size_t node_bytes)
{
    *fs = (keel_ramfs_t){.nodes = nodes, .max_nodes = max_nodes};
    for (size_t i = 0; i < max_nodes; i++) {
        nodes[i] = (keel_ramfs_node_t){.data = (uint8_t *)pool + i * node_bytes, .cap = node_bytes};
    }
}

static keel_ramfs_node_t *find(keel_ramfs_t *fs, const char *name, size_t len)
{
    for (size_t i = 0; i < fs->max_nodes; i++) {
        keel_ramfs_node_t *n = &fs->nodes[i];
        if (n->used && ipc_strnlen(n->name, KEEL_RAMFS_NAME_MAX) == len) {
            size_t j = 0;
            while (j < len && n->name[j] == name[j]) {
                j++;
            }
            if (j == len) {
                return n;
            }
        }
    }
    return NULL;
}

static int make(keel_ramfs_t *fs, const char *name, bool msg, keel_ramfs_node_t **out)
{
    size_t len = ipc_strnlen(name, KEEL_RAMFS_NAME_MAX);
    if (len >= KEEL_RAMFS_NAME_MAX) {
        return -KEEL_IO_ENAMETOOLONG;
    }
    if (len == 0) {
        return -KEEL_IO_ENOENT;
    }
    if (find(fs, name, len) != NULL) {
        return -KEEL_IO_EEXIST;
    }
    for (size_t i = 0; i < fs->max_nodes; i++) {
        keel_ramfs_node_t *n = &fs->nodes[i];
        if (!n->used) {
            ipc_copy(n->name, name, len + 1);
            n->used = true;
            n->msg = msg;
            *out = n;
            return 0;
        }
    }
    return -KEEL_IO_ENOSPC;
}

int keel_ramfs_add(keel_ramfs_t *fs, const char *name, bool msg)
{
    keel_ramfs_node_t *n;
    return make(fs, name, msg, &n);
}

/* Empty a file: zero a regular file's bytes; drop every queued and partial message. */
static void empty(keel_ramfs_node_t *n)
{
    ipc_zero(n->data, n->msg ? 0 : (size_t)n->size);
    n->size = 0;
    n->head = 0;
    n->nmsgs = 0;
    n->writer = NULL;
    n->reader = NULL;
}

static int rf_open(void *ctx, keel_sfile_t *f, const char *path, unsigned oflags,
                   unsigned *file_flags)
{
    keel_ramfs_t *fs = ctx;
    size_t len = ipc_strnlen(path, KEEL_RAMFS_NAME_MAX);
    if (len >= KEEL_RAMFS_NAME_MAX) {
        return -KEEL_IO_ENAMETOOLONG;
    }
    keel_ramfs_node_t *n = find(fs, path, len);
    if (n == NULL) {
        if (!(oflags & KEEL_O_CREAT)) {
            return -KEEL_IO_ENOENT;
        }
        int rc = make(fs, path, false, &n);
        if (rc < 0) {
            return rc;
        }
    }
    if ((oflags & KEEL_O_TRUNC) && (oflags & KEEL_O_ACCMODE) != KEEL_O_RDONLY) {
        empty(n);
    }
    f->priv = n;
    *file_flags = n->msg ? KEEL_FILE_MSG : 0;
    return 0;
}

/* ---- Regular files ----------------------------------------------------------------------------
 */

static int64_t reg_read(keel_ramfs_t *fs, keel_ramfs_node_t *n, keel_sreq_t *r)
{
    if (r->count == 0) {
        r->size = n->size;
        return 0;
    }
    if (r->offset >= n->size) {
        r->rflags = KEEL_PROTO_EOF;
        return 0;
    }
    uint64_t k = n->size - r->offset < r->count ? n->size - r->offset : r->count;
    ipc_copy(r->data, n->data + r->offset, (size_t)k);
    if (r->offset + k == n->size) {
        r->rflags = KEEL_PROTO_EOF;
    }
    fs->bytes_read += k;
    return (int64_t)k;
}

static int64_t reg_write(keel_ramfs_t *fs, keel_ramfs_node_t *n, keel_sreq_t *r)
{
    if (r->offset > n->cap) {
        return -KEEL_IO_EFBIG;
    }
    if (r->count == 0) {
        return 0; /* no other result: the size stays */
    }
    uint64_t k = n->cap - r->offset < r->count ? n->cap - r->offset : r->count;
    if (k == 0 && r->count != 0) {
        return -KEEL_IO_ENOSPC;
    }
    ipc_copy(n->data + r->offset, r->data, (size_t)k);
    if (r->offset + k > n->size) {
        n->size = r->offset + k;
    }
    fs->bytes_written += k;
    return (int64_t)k;
}

/* ---- Message files ----------------------------------------------------------------------------
 */

/* What taking (part of) the first message for a read of `count` with `flags` would give. */
typedef struct plan {
    const uint8_t *src;
    uint64_t n, value;
    unsigned rflags;
    bool done; /* the message is used up */
} plan_t;

static plan_t plan(const keel_ramfs_node_t *n, const keel_sfile_t *f, uint64_t count,
                   unsigned flags)
{
    uint64_t len = rec_len(n, n->head);
    uint64_t start = n->reader == f ? n->cursor : 0;
    plan_t p = {.src = n->data + n->head + HDR + start};
    p.n = len - start < count ? len - start : count;
    p.value = p.n;
    if (start + p.n == len) {
        p.rflags = KEEL_PROTO_EOF; /* end of the message */
        p.done = true;
    } else if (!(flags & KEEL_PROTO_CONT)) {
        p.rflags = KEEL_PROTO_TRUNC; /* the rest is dropped */
        p.value = len;
        p.done = true;
    }
    return p;
}

static void finish(keel_ramfs_t *fs, keel_ramfs_node_t *n, keel_sfile_t *f, const plan_t *p)
{
    fs->bytes_read += p->n;
    n->rstalls = 0;
    if (!p->done) {
        n->cursor = (n->reader == f ? n->cursor : 0) + (size_t)p->n;
        n->reader = f;
        return;
    }
    uint64_t rec = HDR + rec_len(n, n->head);
    n->head += (size_t)rec;
    n->size -= rec;
    n->nmsgs--;
    n->reader = NULL;
    fs->messages++;
}

static void remove_waiter(keel_ramfs_node_t *n, const keel_sfile_t *f)
{
    size_t j = 0;
    for (size_t i = 0; i < n->nwait; i++) {
        if (n->waiters[i] != f) {
            n->waiters[j++] = n->waiters[i];
        }
    }
    n->nwait = j;
}

/* Hand queued messages to held readers, first come first served. */
static void wake(keel_ramfs_t *fs, keel_server_t *srv, keel_ramfs_node_t *n)
{
    while (n->nwait > 0 && n->nmsgs > 0 && n->reader == NULL) {
        keel_sfile_t *w = n->waiters[0];
        remove_waiter(n, w);
        const keel_sreq_t *h = keel_server_held(w);
        plan_t p = plan(n, w, h->count, h->flags);
        if (keel_server_complete(srv, w, p.src, (size_t)p.n, (int64_t)p.value, p.rflags) == 0) {
            finish(fs, n, w, &p);
        }
    }
}

static void abandon_partial(keel_ramfs_node_t *n, const keel_sfile_t *f)
{
    if (n->writer == f) {
        n->writer = NULL;
        n->partial = 0;
    }
}

/* Another file's series is in the way: EBUSY, or break it if it has stalled long enough. */
static bool stalled_write(keel_ramfs_t *fs, keel_ramfs_node_t *n)
{
    if (++n->wstalls < KEEL_RAMFS_PATIENCE) {
        return false;
    }
    n->writer->hstate |= BROKEN_WRITE;
    abandon_partial(n, n->writer);
    fs->broken++;
    return true;
}

static bool stalled_read(keel_ramfs_t *fs, keel_ramfs_node_t *n)
{
    if (++n->rstalls < KEEL_RAMFS_PATIENCE) {
        return false;
    }
    n->reader->hstate |= BROKEN_READ;
    n->reader = NULL; /* the message stays whole */
    n->cursor = 0;
    fs->broken++;
    return true;
}

static int64_t msg_read(keel_ramfs_t *fs, keel_ramfs_node_t *n, keel_sreq_t *r)
{
    keel_sfile_t *f = r->file;
    if (r->offset != 0) {
        return -KEEL_IO_ESPIPE;
    }
    abandon_partial(n, f);
    f->hstate &= ~BROKEN_WRITE; /* a write series it had is over anyway */
    if (r->count == 0) {
        r->size = n->nmsgs != 0 ? rec_len(n, n->head) : KEEL_PROTO_NO_SIZE;
        return 0;
    }
    if (f->hstate & BROKEN_READ) {
        f->hstate &= ~BROKEN_READ;
        return -KEEL_IO_ECANCELED;
    }
    if (n->reader != NULL && n->reader != f && !stalled_read(fs, n)) {
        return -KEEL_IO_EBUSY;
    }
    wake(fs, r->srv, n); /* readers held before this one come first */
    if (n->reader != NULL && n->reader != f) {
        return -KEEL_IO_EBUSY;
    }
    if (n->nmsgs == 0) {
        if (n->nwait == KEEL_RAMFS_WAITERS) {
            return -KEEL_IO_EAGAIN;
        }
        int rc = keel_server_hold(r);
        if (rc < 0) {
            return rc;
        }
        n->waiters[n->nwait++] = f;
        return KEEL_SERVER_HELD;
    }
    plan_t p = plan(n, f, r->count, r->flags);
    ipc_copy(r->data, p.src, (size_t)p.n);
    r->rflags = p.rflags;
    r->full = p.value;
    finish(fs, n, f, &p);
    wake(fs, r->srv, n); /* the next message, if this read used one up */
    return (int64_t)p.n;
}

/* Room for `need` more bytes after the records (and a partial message): compact if needed. */
static bool room(keel_ramfs_node_t *n, uint64_t need)
{
    uint64_t used = n->size + (n->writer != NULL ? HDR + n->partial : 0);
    if (used + need > n->cap) {
        return false;
    }
    if (n->head + used + need > n->cap) {
        ipc_copy(n->data, n->data + n->head, (size_t)used);
        n->head = 0;
    }
    return true;
}

static int64_t msg_write(keel_ramfs_t *fs, keel_ramfs_node_t *n, keel_sreq_t *r)
{
    keel_sfile_t *f = r->file;
    if (r->offset != 0) {
        return -KEEL_IO_ESPIPE;
    }
    if (f->hstate & BROKEN_WRITE) {
        f->hstate &= ~BROKEN_WRITE;
        return -KEEL_IO_ECANCELED;
    }
    if (n->writer != NULL && n->writer != f && !stalled_write(fs, n)) {
        return -KEEL_IO_EBUSY;
    }
    bool first = n->writer == NULL;
    n->wstalls = 0;
    if (HDR + (first ? 0 : n->partial) + r->count > n->cap) {
        abandon_partial(n, f);
        return -KEEL_IO_EMSGSIZE;
    }
    if (!room(n, (first ? HDR : 0) + r->count)) {
        abandon_partial(n, f);
        return -KEEL_IO_ENOSPC;
    }
    if (first) {
        n->writer = f;
        n->partial = 0;
    }
    size_t at = n->head + (size_t)n->size;
    ipc_copy(n->data + at + HDR + n->partial, r->data, (size_t)r->count);
    n->partial += (size_t)r->count;
    fs->bytes_written += r->count;
    if (!(r->flags & KEEL_PROTO_CONT)) {
        uint64_t len = n->partial;
        ipc_copy(n->data + at, &len, HDR);
        n->size += HDR + len;
        n->nmsgs++;
        n->writer = NULL;
        n->partial = 0;
        wake(fs, r->srv, n);
    }
    return (int64_t)r->count;
}

/* ---- The handlers ------------------------------------------------------------------------------
 */

static int64_t rf_read(void *ctx, keel_sreq_t *r)
{
    keel_ramfs_node_t *n = node_of(r->file);
    return n->msg ? msg_read(ctx, n, r) : reg_read(ctx, n, r);
}

static int64_t rf_write(void *ctx, keel_sreq_t *r)
{
    keel_ramfs_node_t *n = node_of(r->file);
    return n->msg ? msg_write(ctx, n, r) : reg_write(ctx, n, r);
}

static void rf_cancel(void *ctx, keel_sfile_t *f)
{
    (void)ctx;
    remove_waiter(node_of(f), f);
}

static void rf_close(void *ctx, keel_sfile_t *f)
{
    keel_ramfs_node_t *n = node_of(f);
    abandon_partial(n, f);
    if (n->reader == f) {
        /* It read part of the first message and left: the message is used up. */
        plan_t p = {.done = true};
        finish(ctx, n, f, &p);
        wake(ctx, f->srv, n);
    }
}

const keel_server_ops_t keel_ramfs_ops = {
    .open = rf_open,
    .read = rf_read,
    .write = rf_write,
    .cancel = rf_cancel,
    .close = rf_close,
};
