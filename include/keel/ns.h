/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * keel/ns.h — the name server: path prefixes mapped to servers.
 *
 * Endpoints are named files. A server attaches its open cap (keel_server_open_cap) at a path
 * prefix ("/ram", "/dev/console"), as a QNX resource manager takes a piece of the path space
 * or a Plan 9 server is mounted; keel_open() asks the name server first, which answers with a
 * copy of the cap of the server with the longest matching prefix (whole path components only:
 * "/ram" serves "/ram" and "/ram/a", not "/ramx") and the length of that prefix, and then
 * opens the rest of the path at that server. The name server holds one cap per mount and
 * never sees a file's traffic.
 *
 * Two kinds of caps to the name server, by badge: client caps (Write and GrantReply) can only
 * OPEN; admin caps (with Grant, so that a cap can travel with the request) can also ATTACH
 * and DETACH. A cap arrives in the name server's one receive slot; after every request the
 * slot is empty again (moved into a mount, or deleted when the request failed or should not
 * have carried a cap). One thread serves the name server; it needs no lock.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sel4/sel4.h>

#include <keel/cslot.h>
#include <keel/error.h>
#include <keel/kview.h>

#define KEEL_NS_PREFIX_MAX 64 /* bytes of a prefix, including its NUL */

enum { KEEL_NS_CLIENT = 1, KEEL_NS_ADMIN = 2 }; /* badges */

/* A mount (caller storage; fields private). */
typedef struct keel_ns_mount {
    char prefix[KEEL_NS_PREFIX_MAX];
    size_t len;
    bool used;
    seL4_CPtr cap; /* the server's open cap when used; an empty slot of ours when not */
} keel_ns_mount_t;

typedef struct keel_ns_config {
    seL4_CPtr ep;     /* the name server's endpoint: all rights, unbadged */
    keel_cslot_t *cs; /* slots (max_mounts + 1, taken at init) */
    keel_ns_mount_t *mounts;
    size_t max_mounts;
} keel_ns_config_t;

typedef struct keel_ns_stats {
    uint64_t requests, errors, opens, attaches, detaches, caps_dropped;
} keel_ns_stats_t;

/* Fields private. */
typedef struct keel_ns {
    keel_ns_config_t cfg;
    seL4_CPtr recv;  /* the empty slot the next cap lands in */
    seL4_CPtr first; /* of our slots */
    keel_kstat_t kstat;
    keel_ns_stats_t st;
} keel_ns_t;

/* Start a name server (no thread yet) with no mounts. */
keel_err_t keel_ns_init(keel_ns_t *ns, const keel_ns_config_t *config);

/* Mint a client (or, with admin, an admin) cap to the name server into the empty `slot`. */
keel_err_t keel_ns_mint(keel_ns_t *ns, bool admin, seL4_CPtr slot);

/* Serve the name server on the calling thread, forever. */
_Noreturn void keel_ns_run(keel_ns_t *ns);

/* Handle one received request: the reply to send (words and cap in the IPC buffer). */
seL4_MessageInfo_t keel_ns_handle(keel_ns_t *ns, seL4_MessageInfo_t info, seL4_Word badge);

/* Drop every mount and give the slots back (the serving thread must be stopped). */
void keel_ns_fini(keel_ns_t *ns);

void keel_ns_stats(const keel_ns_t *ns, keel_ns_stats_t *out);

/*
 * Verify the mounts (prefixes well formed and distinct, slots distinct and ours) and, with a
 * kernel view, that used mounts hold a cap and free ones and the receive slot are empty. Call
 * it while the name server is between requests. 0, or -1 with *what set.
 */
int keel_ns_check(const keel_ns_t *ns, const keel_kview_t *kview, const char **what);

/* Attach `server` (an open cap) at `prefix` through an admin cap `ns`: 0 or -KEEL_IO_E*. */
int keel_ns_attach(seL4_CPtr ns, const char *prefix, seL4_CPtr server);

/* Detach whatever is attached at exactly `prefix`: 0 or -KEEL_IO_E*. */
int keel_ns_detach(seL4_CPtr ns, const char *prefix);
