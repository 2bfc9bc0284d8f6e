/* SPDX-License-Identifier: BSD-2-Clause */
#include "ipc_test.h"

#include <stdio.h>
#include <string.h>

keel_io_t it_io;
keel_fd_t it_fds[8];
seL4_Word it_client_prio;

void it_boot(uint32_t buf_frames)
{
    iw_boot(false);
    tt_failures = 0;
    tt_first_failure[0] = '\0';
    tt_log_reset();
    it_client_prio = IW_PRIO_CLIENT;
    keel_io_config_t cfg;
    iw_root_io(&cfg, it_fds, 8, buf_frames);
    assert_int_equal(keel_io_init(&it_io, &cfg), 0);
}

void it_check(void)
{
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    for (unsigned i = 0; i < iw.nservers; i++) {
        if (!iw.servers[i]->finished && keel_server_check(&iw.servers[i]->srv, &kv, &what) != 0) {
            fail_msg("%s", what);
        }
    }
    if (keel_ns_check(&iw.ns, &kv, &what) != 0 || keel_io_check(&it_io, &kv, &what) != 0) {
        fail_msg("%s", what);
    }
    MODEL_CHECK();
}

void it_shutdown(void)
{
    TT_CHECKS();
    it_check();
    iw_shutdown();
}

iw_server_t *it_server(const char *prefix, const iw_server_opts_t *opts)
{
    iw_server_opts_t o = {0};
    return iw_ramfs_start(prefix, opts != NULL ? opts : &o);
}

static void client_main(seL4_Word arg)
{
    it_client_t *c = (it_client_t *)(uintptr_t)arg;
    c->fn(c);
    c->finished = 1;
    seL4_Signal(IT_DONE);
}

it_client_t *it_client(const char *name, void (*fn)(it_client_t *), seL4_Word arg,
                       uint32_t buf_frames, seL4_CPtr done)
{
    it_client_t *c = host_alloc(sizeof(*c));
    c->fn = fn;
    c->arg = arg;
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->cnode = iw_client_space(&c->guard);
    assert_int_equal(iw_give(c->cnode, IT_DONE, done), seL4_NoError);
    keel_io_config_t cfg;
    iw_client_io(&cfg, c->fds, 8, buf_frames);
    assert_int_equal(keel_io_init(&c->io, &cfg), 0);
    c->tcb = iw_thread(c->name, client_main, (seL4_Word)(uintptr_t)c, it_client_prio, c->cnode,
                       c->guard);
    return c;
}

it_client_t *it_client_thread(it_client_t *c, const char *name, void (*fn)(it_client_t *),
                              seL4_Word arg)
{
    it_client_t *t = host_alloc(sizeof(*t));
    t->fn = fn;
    t->arg = arg;
    t->cnode = c->cnode;
    t->guard = c->guard;
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->tcb = iw_thread(t->name, client_main, (seL4_Word)(uintptr_t)t, it_client_prio, c->cnode,
                       c->guard);
    return t;
}

void it_join(it_client_t **clients, size_t n, seL4_CPtr done)
{
    for (;;) {
        size_t finished = 0;
        for (size_t i = 0; i < n; i++) {
            finished += clients[i]->finished != 0;
        }
        if (finished == n) {
            return;
        }
        (void)tt_wait(done);
    }
}

void it_fill(uint8_t *buf, size_t n, unsigned seed, uint64_t from)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = (from + i) * 0x9e3779b97f4a7c15ull + seed;
        buf[i] = (uint8_t)(x >> 56);
    }
}

int it_same(const uint8_t *buf, size_t n, unsigned seed, uint64_t from)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t x = (from + i) * 0x9e3779b97f4a7c15ull + seed;
        if (buf[i] != (uint8_t)(x >> 56)) {
            return 0;
        }
    }
    return 1;
}
