/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The name server (keel/ns.h).
 *
 * Slots. The name server owns max_mounts + 1 slots. Each mount record keeps one of them: the
 * server's cap while the record is used, an empty slot while it is free; the remaining one is
 * the receive slot. An ATTACH's cap lands in the receive slot, and the record that takes it
 * swaps slot numbers with it, so the receive slot is always an empty one and no cap is ever
 * moved by the kernel. DETACH revokes the record's cap (the copies clients got from OPEN, if
 * they kept any) and deletes it.
 *
 * Validation, in order: the badge is a client's or an admin's (EBADF); the op is known
 * (ENOSYS); the path request is well formed (ipc_check_path: mode, flags, length, no NUL:
 * EINVAL, EMSGSIZE, ENAMETOOLONG); ATTACH and DETACH need an admin badge (EPERM); ATTACH needs
 * exactly one transferred cap (EINVAL: missing, or unwrapped because it was a cap to the name
 * server itself), a prefix that starts with '/' and fits (EINVAL, ENAMETOOLONG), not mounted
 * yet (EEXIST), and a free record (ENOSPC). A cap that came with any request that does not
 * take it is deleted before the reply.
 *
 * Matching is by whole path components, longest prefix first, in O(mounts * prefix length).
 */
#include <keel/ns.h>

#include "ipc/ipc.h"
#include "kernel/kcall.h"

static seL4_CNode root(const keel_ns_t *ns)
{
    return keel_cslot_root(ns->cfg.cs);
}

static seL4_Uint8 depth(const keel_ns_t *ns)
{
    return keel_cslot_depth(ns->cfg.cs);
}

static bool same(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

/* The mount with the longest prefix that covers `path` by whole components, or NULL. */
static keel_ns_mount_t *lookup(keel_ns_t *ns, const char *path, size_t len)
{
    keel_ns_mount_t *best = NULL;
    for (size_t i = 0; i < ns->cfg.max_mounts; i++) {
        keel_ns_mount_t *m = &ns->cfg.mounts[i];
        if (!m->used || m->len > len || (best != NULL && m->len <= best->len) ||
            !same(m->prefix, path, m->len)) {
            continue;
        }
        if (m->prefix[m->len - 1] == '/' || len == m->len || path[m->len] == '/') {
            best = m;
        }
    }
    return best;
}

static keel_ns_mount_t *exact(keel_ns_t *ns, const char *path, size_t len)
{
    for (size_t i = 0; i < ns->cfg.max_mounts; i++) {
        keel_ns_mount_t *m = &ns->cfg.mounts[i];
        if (m->used && m->len == len && same(m->prefix, path, len)) {
            return m;
        }
    }
    return NULL;
}

static int do_attach(keel_ns_t *ns, const char *path, size_t len, bool got_cap)
{
    if (!got_cap || len == 0 || path[0] != '/') {
        return KEEL_IO_EINVAL;
    }
    if (len >= KEEL_NS_PREFIX_MAX) {
        return KEEL_IO_ENAMETOOLONG;
    }
    if (exact(ns, path, len) != NULL) {
        return KEEL_IO_EEXIST;
    }
    for (size_t i = 0; i < ns->cfg.max_mounts; i++) {
        keel_ns_mount_t *m = &ns->cfg.mounts[i];
        if (!m->used) {
            ipc_copy(m->prefix, path, len + 1);
            m->len = len;
            m->used = true;
            seL4_CPtr empty = m->cap;
            m->cap = ns->recv;
            ns->recv = empty;
            ns->st.attaches++;
            return 0;
        }
    }
    return KEEL_IO_ENOSPC;
}

static void drop(keel_ns_t *ns, keel_ns_mount_t *m)
{
    (void)kc_revoke(&ns->kstat, root(ns), m->cap, depth(ns));
    (void)kc_delete(&ns->kstat, root(ns), m->cap, depth(ns));
    m->used = false;
    m->len = 0;
}

/* The request proper; a cap it takes is moved out of the receive slot. */
static seL4_MessageInfo_t serve(keel_ns_t *ns, const ipc_req_t *q, seL4_Word badge, bool got_cap)
{
    if (badge != KEEL_NS_CLIENT && badge != KEEL_NS_ADMIN) {
        return ipc_reply_error(KEEL_IO_EBADF);
    }
    if (q->op != KEEL_OP_OPEN && q->op != KEEL_OP_ATTACH && q->op != KEEL_OP_DETACH) {
        return ipc_reply_error(KEEL_IO_ENOSYS);
    }
    const char *path = NULL;
    int err = ipc_check_path(q, &path);
    if (err != 0) {
        return ipc_reply_error(err);
    }
    size_t len = (size_t)q->count;
    if (q->op == KEEL_OP_OPEN) {
        keel_ns_mount_t *m = q->caps == 0 ? lookup(ns, path, len) : NULL;
        if (m == NULL) {
            return ipc_reply_error(q->caps == 0 ? KEEL_IO_ENOENT : KEEL_IO_EINVAL);
        }
        ns->st.opens++;
        seL4_SetCap(0, m->cap);
        seL4_SetMR(0, m->len);
        return seL4_MessageInfo_new(keel_proto_result(0, 0), 0, 1, 1);
    }
    if (badge != KEEL_NS_ADMIN) {
        return ipc_reply_error(KEEL_IO_EPERM);
    }
    if (q->op == KEEL_OP_ATTACH) {
        err = do_attach(ns, path, len, got_cap);
        return err != 0 ? ipc_reply_error(err) : ipc_reply_value(0, 0, 0);
    }
    keel_ns_mount_t *m = q->caps == 0 ? exact(ns, path, len) : NULL;
    if (m == NULL) {
        return ipc_reply_error(q->caps == 0 ? KEEL_IO_ENOENT : KEEL_IO_EINVAL);
    }
    drop(ns, m);
    ns->st.detaches++;
    return ipc_reply_value(0, 0, 0);
}

seL4_MessageInfo_t keel_ns_handle(keel_ns_t *ns, seL4_MessageInfo_t info, seL4_Word badge)
{
    ipc_req_t q;
    ipc_decode(info, &q);
    ns->st.requests++;
    /* Only a cap that really arrived is ours to keep or delete: exactly one, not unwrapped. */
    bool got_cap = q.caps == 1 && seL4_MessageInfo_get_capsUnwrapped(info) == 0;
    seL4_CPtr recv = ns->recv;
    seL4_MessageInfo_t reply = serve(ns, &q, badge, got_cap);
    if (got_cap && ns->recv == recv) {
        (void)kc_delete(&ns->kstat, root(ns), recv, depth(ns)); /* not taken */
        ns->st.caps_dropped++;
    }
    if (keel_proto_is_error(seL4_MessageInfo_get_label(reply))) {
        ns->st.errors++;
    }
    return reply;
}

_Noreturn void keel_ns_run(keel_ns_t *ns)
{
    seL4_Word badge;
    seL4_SetCapReceivePath(root(ns), ns->recv, depth(ns));
    seL4_MessageInfo_t info = seL4_Recv(ns->cfg.ep, &badge);
    for (;;) {
        seL4_MessageInfo_t reply = keel_ns_handle(ns, info, badge);
        seL4_SetCapReceivePath(root(ns), ns->recv, depth(ns));
        info = seL4_ReplyRecv(ns->cfg.ep, reply, &badge);
    }
}

keel_err_t keel_ns_init(keel_ns_t *ns, const keel_ns_config_t *config)
{
    if (config->ep == 0 || config->cs == NULL || config->mounts == NULL ||
        config->max_mounts == 0) {
        return KEEL_EINVAL;
    }
    ns->cfg = *config;
    ns->kstat = (keel_kstat_t){0};
    ns->st = (keel_ns_stats_t){0};
    keel_err_t err = keel_cslot_alloc_range(config->cs, config->max_mounts + 1, &ns->first);
    if (err != KEEL_OK) {
        return err;
    }
    for (size_t i = 0; i < config->max_mounts; i++) {
        config->mounts[i] = (keel_ns_mount_t){.cap = ns->first + i};
    }
    ns->recv = ns->first + config->max_mounts;
    return KEEL_OK;
}

keel_err_t keel_ns_mint(keel_ns_t *ns, bool admin, seL4_CPtr slot)
{
    seL4_CapRights_t rights = seL4_CapRights_new(1, admin ? 1 : 0, 0, 1);
    return kc_mint(&ns->kstat, root(ns), slot, depth(ns), root(ns), ns->cfg.ep, depth(ns), rights,
                   admin ? KEEL_NS_ADMIN : KEEL_NS_CLIENT) == seL4_NoError
               ? KEEL_OK
               : KEEL_EKERNEL;
}

void keel_ns_fini(keel_ns_t *ns)
{
    for (size_t i = 0; i < ns->cfg.max_mounts; i++) {
        if (ns->cfg.mounts[i].used) {
            drop(ns, &ns->cfg.mounts[i]);
        }
    }
    (void)kc_delete(&ns->kstat, root(ns), ns->recv, depth(ns));
    keel_cslot_free_range(ns->cfg.cs, ns->first, ns->cfg.max_mounts + 1);
}

void keel_ns_stats(const keel_ns_t *ns, keel_ns_stats_t *out)
{
    *out = ns->st;
}

/* ---- Invariants ------------------------------------------------------------------------------ */

static const char *check_mount(const keel_ns_t *ns, size_t i, const keel_kview_t *kv)
{
    const keel_ns_mount_t *m = &ns->cfg.mounts[i];
    if (m->cap < ns->first || m->cap >= ns->first + ns->cfg.max_mounts + 1 || m->cap == ns->recv) {
        return "keel_ns: a mount's slot is not one of ours, or is the receive slot";
    }
    for (size_t j = 0; j < i; j++) {
        const keel_ns_mount_t *o = &ns->cfg.mounts[j];
        if (o->cap == m->cap) {
            return "keel_ns: two mounts share a slot";
        }
        if (m->used && o->used && o->len == m->len && same(o->prefix, m->prefix, m->len)) {
            return "keel_ns: a prefix is mounted twice";
        }
    }
    if (m->used && (m->len == 0 || m->len >= KEEL_NS_PREFIX_MAX || m->prefix[0] != '/' ||
                    m->prefix[m->len] != '\0')) {
        return "keel_ns: a malformed prefix";
    }
    if (kv != NULL && ipc_slot_full(kv, m->cap) != m->used) {
        return "keel_ns: a used mount without a cap, or a free one with a cap";
    }
    return NULL;
}

int keel_ns_check(const keel_ns_t *ns, const keel_kview_t *kview, const char **what)
{
    for (size_t i = 0; i < ns->cfg.max_mounts; i++) {
        *what = check_mount(ns, i, kview);
        if (*what != NULL) {
            return -1;
        }
    }
    if (kview != NULL && ipc_slot_full(kview, ns->recv)) {
        *what = "keel_ns: the receive slot is not empty";
        return -1;
    }
    return 0;
}

/* ---- For servers and their owners ----------------------------------------------------------- */

static int path_call(seL4_CPtr ns, unsigned op, const char *prefix, seL4_CPtr cap)
{
    size_t len = ipc_strnlen(prefix, KEEL_PROTO_MAX_PATH);
    if (len > KEEL_PROTO_MAX_PATH) {
        return -KEEL_IO_ENAMETOOLONG;
    }
    if (cap != 0) {
        seL4_SetCap(0, cap);
    }
    seL4_MessageInfo_t reply =
        seL4_Call(ns, ipc_path_request(op, 0, prefix, len, cap != 0 ? 1 : 0));
    seL4_Word label = seL4_MessageInfo_get_label(reply);
    if (!keel_proto_is_reply(label)) {
        return -KEEL_IO_EBADF;
    }
    return keel_proto_is_error(label) ? -(int)keel_proto_value(label) : 0;
}

int keel_ns_attach(seL4_CPtr ns, const char *prefix, seL4_CPtr server)
{
    return path_call(ns, KEEL_OP_ATTACH, prefix, server);
}

int keel_ns_detach(seL4_CPtr ns, const char *prefix)
{
    return path_call(ns, KEEL_OP_DETACH, prefix, 0);
}
