/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The server framework under load: many clients in CSpaces of their own, two worker threads
 * on one endpoint (both serving, and the lock contended when a worker is preempted while it
 * holds it), a client cut off after repeated malformed requests, and a server shut down with
 * files open.
 */
#include <string.h>

#include "ipc_test.h"

/* Handlers that count which worker (by IPC buffer) ran them, around the RAM file server's. */
static const void *workers_seen[4];
static size_t num_seen;

static void saw(void)
{
    const void *me = seL4_GetIPCBuffer();
    for (size_t i = 0; i < num_seen; i++) {
        if (workers_seen[i] == me) {
            return;
        }
    }
    if (num_seen < 4) {
        workers_seen[num_seen++] = me;
    }
}

static int64_t counting_read(void *ctx, keel_sreq_t *r)
{
    saw();
    return keel_ramfs_ops.read(ctx, r);
}

static int64_t counting_write(void *ctx, keel_sreq_t *r)
{
    saw();
    return keel_ramfs_ops.write(ctx, r);
}

static keel_server_ops_t counting_ops;

/* A client: its own file, every mode, then its stripe of a shared file. */
static void worker_client(it_client_t *c)
{
    char name[32];
    snprintf(name, sizeof(name), "/ram/c%lu", (unsigned long)c->arg);
    int fd = keel_open(&c->io, name, KEEL_O_RDWR | KEEL_O_CREAT);
    int shared = keel_open(&c->io, "/ram/shared", KEEL_O_RDWR);
    T_CHECK(fd >= 0 && shared >= 0);
    static uint8_t bufs[8][2][10000];
    uint8_t *w = bufs[c->arg][0], *r = bufs[c->arg][1];
    static const size_t sizes[] = {5, 24, 25, 900, 2000, 9000};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        unsigned seed = (unsigned)(c->arg * 16 + i);
        it_fill(w, sizes[i], seed, 0);
        T_CHECK(keel_pwrite(&c->io, fd, w, sizes[i], 100 * i) == (int64_t)sizes[i]);
        T_CHECK(keel_pread(&c->io, fd, r, sizes[i], 100 * i) == (int64_t)sizes[i]);
        T_CHECK(it_same(r, sizes[i], seed, 0));
    }
    it_fill(w, 1000, 7, c->arg * 1000);
    T_CHECK(keel_pwrite(&c->io, shared, w, 1000, c->arg * 1000) == 1000);
    T_CHECK(keel_close(&c->io, fd) == 0);
    T_CHECK(keel_close(&c->io, shared) == 0);
    c->result = 1;
}

static void many_clients(unsigned workers, unsigned nclients)
{
    it_boot(4);
    counting_ops = keel_ramfs_ops;
    counting_ops.read = counting_read;
    counting_ops.write = counting_write;
    num_seen = 0;
    iw_server_opts_t o = {.workers = workers, .max_files = 32, .ops = &counting_ops};
    iw_server_t *s = it_server("/ram", &o);
    assert_int_equal(keel_ramfs_add(&s->fs, "shared", false), 0);
    seL4_CPtr done = iw_ntfn();
    it_client_t *c[8];
    for (unsigned i = 0; i < nclients; i++) {
        char name[16];
        snprintf(name, sizeof(name), "client %u", i);
        c[i] = it_client(name, worker_client, i, 2, done);
    }
    it_join(c, nclients, done);
    for (unsigned i = 0; i < nclients; i++) {
        assert_int_equal(c[i]->result, 1);
    }
    TT_CHECKS();
    int fd = keel_open(&it_io, "/ram/shared", KEEL_O_RDONLY);
    static uint8_t all[8000];
    assert_int_equal(keel_read(&it_io, fd, all, sizeof(all)), 1000 * nclients);
    assert_true(it_same(all, 1000 * nclients, 7, 0));
    assert_int_equal(num_seen, workers); /* every worker served */
    keel_server_stats_t st;
    keel_server_stats(&s->srv, &st);
    assert_int_equal(st.opens, 2 * nclients + 1);
    assert_int_equal(st.closes, 2 * nclients);
    assert_int_equal(st.errors, 0);
    it_shutdown();
}

static void many_clients_one_worker(void **state)
{
    (void)state;
    many_clients(1, 8);
}

static void many_clients_two_workers(void **state)
{
    (void)state;
    many_clients(2, 8);
}

/* ---- Lock contention ------------------------------------------------------------------------- */

static void waiter(it_client_t *c)
{
    int q = keel_open(&c->io, "/ram/q", KEEL_O_RDONLY);
    int own = keel_open(&c->io, "/ram/own", KEEL_O_RDWR | KEEL_O_CREAT);
    uint8_t b[16];
    c->result = keel_read(&c->io, q, b, sizeof(b));
    /* Woken by a worker that still holds the lock: call again at once. */
    T_CHECK(keel_write(&c->io, own, "after", 5) == 5);
    T_CHECK(keel_pread(&c->io, own, b, 5, 0) == 5 && memcmp(b, "after", 5) == 0);
}

/*
 * A client of higher priority than the workers is woken by a worker's completion while that
 * worker holds the lock; its next call goes to the other worker, which finds the lock taken
 * and sleeps on the notification until the first one is back and releases it.
 */
static void lock_contended_by_a_preempted_worker(void **state)
{
    (void)state;
    it_boot(4);
    iw_server_opts_t o = {.workers = 2};
    iw_server_t *s = it_server("/ram", &o);
    assert_int_equal(keel_ramfs_add(&s->fs, "q", true), 0);
    int q = keel_open(&it_io, "/ram/q", KEEL_O_WRONLY);
    seL4_CPtr done = iw_ntfn();
    it_client_prio = IW_PRIO_SERVER + 10;
    it_client_t *c = it_client("eager", waiter, 0, 1, done);
    tt_let_others_run();
    assert_int_equal(keel_write(&it_io, q, "wake", 4), 4);
    it_join(&c, 1, done);
    assert_int_equal(c->result, 4);
    keel_server_stats_t st;
    keel_server_stats(&s->srv, &st);
    assert_true(st.lock_waits >= 1);
    it_shutdown();
}

/* ---- Cutting a client off ------------------------------------------------------------------ */

static uint8_t scratch[16];

static seL4_Word bad_call(seL4_CPtr cap)
{
    seL4_SetMR(0, 0);
    seL4_MessageInfo_t r =
        seL4_Call(cap, seL4_MessageInfo_new(keel_proto_label(KEEL_OP_READ, 7, 0, 1), 0, 0, 1));
    return seL4_MessageInfo_get_label(r);
}

static void repeated_malformed_requests_cut_the_file_off(void **state)
{
    (void)state;
    it_boot(1);
    iw_server_opts_t o = {.max_strikes = 3};
    iw_server_t *s = it_server("/ram", &o);
    int good = keel_open(&it_io, "/ram/good", KEEL_O_RDWR | KEEL_O_CREAT);
    int bad = keel_open(&it_io, "/ram/bad", KEEL_O_RDWR | KEEL_O_CREAT);
    seL4_CPtr cap = it_fds[bad].cap;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(bad_call(cap), keel_proto_error(KEEL_IO_EINVAL)); /* answered */
    }
    /* The cap was revoked with the third: the kernel, not the server, answers now. */
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(cap, &info), 0);
    assert_int_equal(info.type, KEEL_MODEL_CAP_NULL);
    assert_int_equal(bad_call(cap), seL4_InvalidCapability);
    assert_int_equal(keel_read(&it_io, bad, scratch, 1), -KEEL_IO_EBADF);
    assert_int_equal(keel_close(&it_io, bad), -KEEL_IO_EBADF);
    /* Everyone else is served as before. */
    assert_int_equal(keel_write(&it_io, good, "ok", 2), 2);
    keel_server_stats_t st;
    keel_server_stats(&s->srv, &st);
    assert_int_equal(st.cut_off, 1);
    assert_int_equal(st.malformed, 3);
    /* Strikes are per open: a fresh open starts clean. */
    bad = keel_open(&it_io, "/ram/bad", KEEL_O_RDWR);
    assert_true(bad >= 0);
    assert_int_equal(bad_call(it_fds[bad].cap), keel_proto_error(KEEL_IO_EINVAL));
    assert_int_equal(keel_write(&it_io, bad, "x", 1), 1);
    /* The strike counter is 8 bits: a limit it could never reach is refused. */
    keel_server_config_t cfg = s->srv.cfg;
    cfg.max_strikes = 256;
    keel_server_t other;
    assert_int_equal(keel_server_init(&other, &cfg), KEEL_EINVAL);
    it_shutdown();
}

/* ---- Shutting a server down -------------------------------------------------------------------
 */

static void server_fini_gives_everything_back(void **state)
{
    (void)state;
    it_boot(2);
    iw_server_opts_t o = {.max_files = 16, .buf_bits = 1};
    iw_server_t *s = it_server("/ram", &o);
    keel_fpool_stats_t fp0;
    keel_fpool_stats(&iw.fp, &fp0);
    size_t eps = keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT);
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = keel_open(&it_io, "/ram/f", KEEL_O_RDWR | KEEL_O_CREAT);
        assert_true(fds[i] >= 0);
    }
    keel_fpool_stats_t fp;
    keel_fpool_stats(&iw.fp, &fp);
    assert_int_equal(fp.frames_used, fp0.frames_used + 4 * 2); /* 4 buffers of 2 frames */
    keel_cslot_stats_t cs0;
    keel_cslot_stats(&iw.cs, &cs0);
    assert_int_equal(keel_ns_detach(iw.ns_admin, "/ram"), 0);
    for (unsigned i = 0; i < s->nworkers; i++) {
        assert_int_equal(seL4_TCB_Suspend(s->workers[i]), seL4_NoError);
    }
    assert_int_equal(keel_server_fini(&s->srv), KEEL_OK);
    s->finished = true;
    /* The client's caps went with the server's revokes: its file caps and frame copies. */
    assert_int_equal(keel_read(&it_io, fds[0], scratch, 1), -KEEL_IO_EBADF);
    keel_cslot_stats_t cs1;
    keel_cslot_stats(&iw.cs, &cs1);
    assert_int_equal(cs0.slots_taken - cs1.slots_taken, 2 * 16 + 1);
    keel_fpool_stats_t fp1;
    keel_fpool_stats(&iw.fp, &fp1);
    assert_int_equal(fp1.frames_used, fp0.frames_used);
    /* Gone: the 4 minted caps with the client's copies, the open cap and (detached) the name
     * server's copy of it. */
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps - 2);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(keel_close(&it_io, fds[i]), -KEEL_IO_EBADF);
    }
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps - 2);
    it_shutdown();
}

/* The invariant checkers notice a record that disagrees with the layout or the kernel. */
static void checkers_see_corruption(void **state)
{
    (void)state;
    it_boot(1);
    iw_server_t *s = it_server("/ram", NULL);
    int fd = keel_open(&it_io, "/ram/f", KEEL_O_RDWR | KEEL_O_CREAT);
    it_check();
    keel_kview_t kv = test_kview();
    const char *what = NULL;
    keel_sfile_t *f = &s->files[0];
    f->state = 0; /* an open file marked free (its buffer, its cap are still there) */
    assert_int_equal(keel_server_check(&s->srv, &kv, &what), -1);
    f->buf_given = false;
    assert_int_equal(keel_server_check(&s->srv, &kv, &what), -1);
    assert_non_null(strstr(what, "free one with a cap"));
    f->buf_given = true;
    f->state = 1;
    f->held = true; /* without a held reply the slot is empty: allowed (a vanished client) */
    assert_int_equal(keel_server_check(&s->srv, &kv, &what), 0);
    f->held = false;
    iw.mounts[0].len = 0; /* a used mount with an empty prefix */
    assert_int_equal(keel_ns_check(&iw.ns, &kv, &what), -1);
    iw.mounts[0].len = 4;
    it_fds[fd].cap++;
    assert_int_equal(keel_io_check(&it_io, NULL, &what), -1);
    it_fds[fd].cap--;
    it_shutdown();
}

/* ---- A CSpace that grows under running servers ------------------------------------------- */

static void late_client(it_client_t *c)
{
    static uint8_t w[3][12000], r[12000];
    static const char *const paths[] = {"/ram/early", "/late/one", "/late/two"};
    int fds[3];
    for (unsigned i = 0; i < 3; i++) {
        fds[i] = keel_open(&c->io, paths[i], KEEL_O_RDWR | KEEL_O_CREAT);
        T_CHECK(fds[i] >= 0);
        it_fill(w[i], sizeof(w[i]), 40 + i, 0);
        T_CHECK(keel_write(&c->io, fds[i], w[i], sizeof(w[i])) == (int64_t)sizeof(w[i]));
    }
    for (unsigned i = 0; i < 3; i++) {
        T_CHECK(keel_pread(&c->io, fds[i], r, sizeof(r), 0) == (int64_t)sizeof(r));
        T_CHECK(it_same(r, sizeof(r), 40 + i, 0));
        T_CHECK(keel_close(&c->io, fds[i]) == 0);
    }
    c->result = 1;
}

/* Whether some open-file slot of s has its shared buffer in a leaf CNode (not the boot CNode). */
static bool buffer_in_a_leaf(const iw_server_t *s)
{
    for (size_t i = 0; i < s->srv.cfg.max_files; i++) {
        if (s->files[i].run.count > 0 && s->files[i].run.first >> iw.cs.leaf_radix != 0) {
            return true;
        }
    }
    return false;
}

/*
 * The name server and a file server start while every slot is in the boot CNode; then the
 * root task uses up the boot region, so that what comes next (a second server's slots and
 * endpoint, shared buffers, the caps the name server keeps) lives in leaf CNodes made after
 * those threads started. They share the root CSpace from its two-level top, so they see them.
 */
static void servers_started_before_the_cspace_grows(void **state)
{
    (void)state;
    it_boot(4);
    iw_server_opts_t o = {.buf_bits = 2};
    iw_server_t *early = it_server("/ram", &o);
    keel_cslot_stats_t st;
    keel_cslot_stats(&iw.cs, &st);
    assert_int_equal(st.leaves, 0);
    /* Take every boot-region slot (and the first of a leaf). */
    enum { MAX_TAKEN = 4096 };
    static seL4_CPtr taken[MAX_TAKEN];
    size_t n = 0;
    do {
        assert_true(n < MAX_TAKEN);
        assert_int_equal(keel_cslot_alloc(&iw.cs, &taken[n]), KEEL_OK);
    } while (taken[n++] >> iw.cs.leaf_radix == 0);
    iw_server_t *late = it_server("/late", &o);
    assert_true(keel_server_open_cap(&late->srv) >> iw.cs.leaf_radix != 0);
    seL4_CPtr done = iw_ntfn();
    it_client_t *c = it_client("late client", late_client, 0, 4, done);
    it_join(&c, 1, done);
    assert_int_equal(c->result, 1);
    TT_CHECKS();
    assert_true(buffer_in_a_leaf(early) && buffer_in_a_leaf(late));
    keel_server_stats_t ss;
    keel_server_stats(&early->srv, &ss);
    assert_int_equal(ss.errors, 0);
    keel_server_stats(&late->srv, &ss);
    assert_int_equal(ss.errors, 0);
    while (n > 0) {
        keel_cslot_free(&iw.cs, taken[--n]);
    }
    it_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(many_clients_one_worker),
        cmocka_unit_test(many_clients_two_workers),
        cmocka_unit_test(lock_contended_by_a_preempted_worker),
        cmocka_unit_test(repeated_malformed_requests_cut_the_file_off),
        cmocka_unit_test(server_fini_gives_everything_back),
        cmocka_unit_test(checkers_see_corruption),
        cmocka_unit_test(servers_started_before_the_cspace_grows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
