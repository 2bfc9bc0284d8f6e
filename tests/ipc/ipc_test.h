/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Support for the IPC transport's tests: an IPC world (bench/support/ipc_world.h) with the
 * root thread as a client (it_io) and client threads in CSpaces of their own (it_client).
 *
 * Code in client threads must not use cmocka's assertions; it uses T_CHECK, and the root
 * thread reports with TT_CHECKS (tests/threads/thread_test.h).
 */
#pragma once

#include <stdint.h>

#include "alloc_test.h"
#include "host.h"
#include "ipc_world.h"
#include "thread_test.h"

/* A client CSpace's extra slot: the notification it signals when done. */
enum { IT_DONE = 4 };

extern keel_io_t it_io;
/* The priority of client threads it_client starts (IW_PRIO_CLIENT after it_boot). */
extern seL4_Word it_client_prio;
extern keel_fd_t it_fds[8];

/* Boot an IPC world; the root thread becomes a client with buffers of up to buf_frames. */
void it_boot(uint32_t buf_frames);
/* Every *_check of the transport (servers, name server, the root's descriptors, with the
 * model's kernel view) and the model's invariants; call it while servers are idle. */
void it_check(void);
/* Check the clients' T_CHECKs and everything it_check checks, and shut the world down. */
void it_shutdown(void);

/* A RAM file server at `prefix` (opts may be NULL: one worker, 1-frame buffers). */
iw_server_t *it_server(const char *prefix, const iw_server_opts_t *opts);

typedef struct it_client {
    void (*fn)(struct it_client *c);
    seL4_Word arg;
    seL4_CPtr tcb, cnode;
    seL4_Word guard; /* the CSpace's guard data */
    keel_io_t io;
    keel_fd_t fds[8];
    volatile int finished;
    int64_t result; /* for the test's own use */
    char name[32];
} it_client_t;

/* Start fn(c) on a new client thread in a CSpace of its own, with buffers of up to
 * buf_frames per descriptor; it signals `done` when fn returns. */
it_client_t *it_client(const char *name, void (*fn)(it_client_t *), seL4_Word arg,
                       uint32_t buf_frames, seL4_CPtr done);
/* Another thread of client c (same CSpace and keel_io_t), running fn(t) with t its own
 * record (t->io unused); it signals the same `done`. */
it_client_t *it_client_thread(it_client_t *c, const char *name, void (*fn)(it_client_t *),
                              seL4_Word arg);
/* Wait (on `done`) until every one of the n clients has finished. */
void it_join(it_client_t **clients, size_t n, seL4_CPtr done);

/* Deterministic test bytes: byte i of pattern `seed`. */
void it_fill(uint8_t *buf, size_t n, unsigned seed, uint64_t from);
int it_same(const uint8_t *buf, size_t n, unsigned seed, uint64_t from);
