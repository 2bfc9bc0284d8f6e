/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Message-oriented files (a RAM file server's queues): exact messages at the mode
 * boundaries, truncation and the full length, sizes, held reads completed by a write,
 * flush and close cancelling them, FIFO among waiting readers, and a reader that vanishes
 * while the server holds its reply.
 */
#include <string.h>

#include "ipc_test.h"

static iw_server_t *srv;
static uint8_t wbuf[40000], rbuf[40000];

static int setup(void)
{
    it_boot(4);
    srv = it_server("/ram", NULL);
    assert_int_equal(keel_ramfs_add(&srv->fs, "q", true), 0);
    int fd = keel_open(&it_io, "/ram/q", KEEL_O_RDWR);
    assert_true(fd >= 0);
    assert_int_equal(keel_fflags(&it_io, fd), KEEL_FILE_MSG);
    return fd;
}

static void exact_messages(void **state)
{
    (void)state;
    int fd = setup();
    static const size_t sizes[] = {0, 1, 24, 25, 32, 33, 952, 953, 960, 961, 4096, 4097, 20000};
    size_t n = sizeof(sizes) / sizeof(sizes[0]);
    for (size_t i = 0; i < n; i++) {
        it_fill(wbuf, sizes[i], (unsigned)i, 0);
        assert_int_equal(keel_write(&it_io, fd, wbuf, sizes[i]), (int64_t)sizes[i]);
    }
    assert_int_equal(keel_fsize(&it_io, fd), 0); /* the next message is empty */
    for (size_t i = 0; i < n; i++) {
        memset(rbuf, 0, sizes[i] + 1);
        assert_int_equal(keel_read(&it_io, fd, rbuf, sizeof(rbuf)), (int64_t)sizes[i]);
        assert_int_equal(keel_msglen(&it_io, fd), sizes[i]);
        assert_true(it_same(rbuf, sizes[i], (unsigned)i, 0));
    }
    assert_int_equal(keel_fsize(&it_io, fd), -KEEL_IO_EAGAIN);
    /* Through the registers only, and through the buffer in place. */
    it_fill(wbuf, 3000, 77, 0);
    assert_int_equal(keel_writereg(&it_io, fd, wbuf, 3000), 3000);
    size_t bytes;
    uint8_t *b = keel_buf(&it_io, fd, &bytes);
    memcpy(b, wbuf, 4096);
    assert_int_equal(keel_writebuf(&it_io, fd, 0, 4096), 4096);
    assert_int_equal(keel_readreg(&it_io, fd, rbuf, sizeof(rbuf)), 3000);
    assert_true(it_same(rbuf, 3000, 77, 0));
    memset(b, 0, 4096);
    assert_int_equal(keel_readbuf(&it_io, fd, 0, 4096), 4096);
    assert_int_equal(memcmp(b, wbuf, 4096), 0);
    it_shutdown();
}

static void truncation(void **state)
{
    (void)state;
    int fd = setup();
    static const struct {
        size_t len, read;
        int regs;
    } cases[] = {
        {100, 10, 0},      /* SHORT read of a longer message */
        {100, 33, 0},      /* MEDIUM */
        {5000, 961, 0},    /* LONG */
        {20000, 10000, 0}, /* LONG chunks, the last one truncated */
        {3000, 1000, 1},   /* registers: 960 + 40 */
        {4096, 4095, 0},   /* one byte short */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        it_fill(wbuf, cases[i].len, (unsigned)i, 0);
        assert_int_equal(keel_write(&it_io, fd, wbuf, cases[i].len), (int64_t)cases[i].len);
        assert_int_equal(keel_write(&it_io, fd, "next", 4), 4);
        int64_t got = cases[i].regs ? keel_readreg(&it_io, fd, rbuf, cases[i].read)
                                    : keel_read(&it_io, fd, rbuf, cases[i].read);
        assert_int_equal(got, (int64_t)cases[i].read);
        assert_int_equal(keel_msglen(&it_io, fd), cases[i].len); /* the full length */
        assert_true(it_same(rbuf, cases[i].read, (unsigned)i, 0));
        /* The rest of the message is gone; the next one is whole. */
        memset(rbuf, 0, 8);
        assert_int_equal(keel_read(&it_io, fd, rbuf, 100), 4);
        assert_int_equal(keel_msglen(&it_io, fd), 4);
        assert_memory_equal(rbuf, "next", 4);
    }
    it_shutdown();
}

/* Positions mean nothing to a queue: seeking anywhere but 0 is ESPIPE, sizes are the next
 * message's. */
static void seeking_a_queue(void **state)
{
    (void)state;
    int fd = setup();
    assert_int_equal(keel_lseek(&it_io, fd, 0, KEEL_SEEK_SET), 0);
    assert_int_equal(keel_lseek(&it_io, fd, 5, KEEL_SEEK_SET), -KEEL_IO_ESPIPE);
    assert_int_equal(keel_lseek(&it_io, fd, 0, KEEL_SEEK_END), -KEEL_IO_ESPIPE); /* empty */
    assert_int_equal(keel_pwrite(&it_io, fd, "abc", 3, 12345), 3); /* the offset is ignored */
    assert_int_equal(keel_fsize(&it_io, fd), 3);
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 10, 999), 3);
    it_shutdown();
}

/* ---- Held reads ---------------------------------------------------------------------------- */

static void reader(it_client_t *c)
{
    int fd = keel_open(&c->io, "/ram/q", KEEL_O_RDONLY);
    T_CHECK(fd == 0);
    static uint8_t buf[8][30000];
    c->result = keel_read(&c->io, fd, buf[c->arg], sizeof(buf[0]));
    if (c->result > 0) {
        T_CHECK(it_same(buf[c->arg], (size_t)c->result, 100 + (unsigned)c->arg, 0));
        T_CHECK(keel_msglen(&c->io, fd) == (uint64_t)c->result);
    }
    tt_log("%s: %lld", c->name, (long long)c->result);
}

static void put(int fd, size_t len, unsigned seed)
{
    it_fill(wbuf, len, seed, 0);
    assert_int_equal(keel_write(&it_io, fd, wbuf, len), (int64_t)len);
}

static void held_read_completed_by_a_write(void **state)
{
    (void)state;
    int fd = setup();
    seL4_CPtr done = iw_ntfn();
    static const size_t lens[] = {20, 500, 20000};
    for (unsigned i = 0; i < 3; i++) {
        it_client_t *c = it_client("reader", reader, i, 4, done);
        tt_let_others_run(); /* it opens and waits in its read */
        assert_int_equal(tt_state(c->tcb), KEEL_MODEL_THREAD_BLOCKED_ON_REPLY);
        put(fd, lens[i], 100 + i); /* 20000: the held first chunk, then two more calls */
        it_join(&c, 1, done);
        assert_int_equal(c->result, (int64_t)lens[i]);
    }
    keel_server_stats_t st;
    keel_server_stats(&srv->srv, &st);
    assert_int_equal(st.held, 3);
    assert_int_equal(st.completed, 3);
    it_shutdown();
}

/* Readers waiting on one queue get messages in the order they came. */
static void waiting_readers_in_order(void **state)
{
    (void)state;
    int fd = setup();
    seL4_CPtr done = iw_ntfn();
    it_client_t *c[3];
    for (unsigned i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof(name), "reader %u", i);
        c[i] = it_client(name, reader, i, 4, done);
        tt_let_others_run();
    }
    for (unsigned i = 0; i < 3; i++) {
        put(fd, 10 + i, 100 + i);
    }
    it_join(c, 3, done);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(c[i]->result, 10 + i);
    }
    it_shutdown();
}

static void canceller(it_client_t *t)
{
    it_client_t *c = (it_client_t *)(uintptr_t)t->arg;
    if (t->name[0] == 'f') {
        t->result = keel_flush(&c->io, 0);
        T_CHECK(keel_flush(&c->io, 0) == 0); /* nothing held any more */
    } else {
        t->result = keel_close(&c->io, 0);
        T_CHECK(keel_read(&c->io, 0, wbuf, 1) == -KEEL_IO_EBADF);
    }
    tt_log("%s: %lld", t->name, (long long)t->result);
}

/* A second thread of the client flushes (or closes) the descriptor the first one waits in. */
static void flush_and_close_cancel_a_held_read(void **state)
{
    (void)state;
    int fd = setup();
    seL4_CPtr done = iw_ntfn();
    const char *who[] = {"flush", "close"};
    for (int i = 0; i < 2; i++) {
        it_client_t *c[2];
        c[0] = it_client("reader 0", reader, 0, 4, done);
        tt_let_others_run();
        c[1] = it_client_thread(c[0], who[i], canceller, (seL4_Word)(uintptr_t)c[0]);
        it_join(c, 2, done);
        assert_int_equal(c[0]->result, -KEEL_IO_ECANCELED);
        assert_int_equal(c[1]->result, i == 0 ? 1 : 0); /* flush: one request cancelled */
    }
    /* The queue still works, and nobody took the message that comes now. */
    put(fd, 7, 3);
    assert_int_equal(keel_read(&it_io, fd, rbuf, 100), 7);
    keel_server_stats_t st;
    keel_server_stats(&srv->srv, &st);
    assert_int_equal(st.cancelled, 2);
    it_shutdown();
}

/* A reader destroyed while the server holds its reply: the kernel deletes the reply cap, the
 * server finds it gone when a message comes, and the message goes to the next reader. */
static void reader_vanishes_while_held(void **state)
{
    (void)state;
    int fd = setup();
    seL4_CPtr done = iw_ntfn();
    it_client_t *gone = it_client("reader 0", reader, 0, 4, done);
    tt_let_others_run();
    it_client_t *next = it_client("reader 1", reader, 1, 4, done);
    tt_let_others_run();
    iw_thread_kill(gone->tcb);
    iw_client_space_free(gone->cnode); /* and its caps with it */
    put(fd, 55, 101);
    it_join(&next, 1, done);
    assert_int_equal(next->result, 55);
    keel_server_stats_t st;
    keel_server_stats(&srv->srv, &st);
    assert_int_equal(st.vanished, 1);
    assert_int_equal(st.completed, 1);
    /* With nobody waiting, the message stays queued. */
    gone = it_client("reader 2", reader, 2, 4, done);
    tt_let_others_run();
    iw_thread_kill(gone->tcb);
    put(fd, 66, 9);
    assert_int_equal(keel_read(&it_io, fd, rbuf, 100), 66);
    assert_true(it_same(rbuf, 66, 9, 0));
    it_shutdown();
}

/* The first call of a series, by hand: a 4-byte CONT write, or an 8-byte CONT read. */
static seL4_Word cont_write(seL4_CPtr cap)
{
    seL4_SetMR(0, 0);
    memcpy(&seL4_GetIPCBuffer()->msg[1], "part", 4);
    seL4_MessageInfo_t r = seL4_Call(
        cap, seL4_MessageInfo_new(
                 keel_proto_label(KEEL_OP_WRITE, KEEL_MODE_SHORT, KEEL_PROTO_CONT, 4), 0, 0, 2));
    return seL4_MessageInfo_get_label(r);
}

static seL4_Word cont_read(seL4_CPtr cap)
{
    seL4_SetMR(0, 0);
    seL4_MessageInfo_t r = seL4_Call(
        cap, seL4_MessageInfo_new(
                 keel_proto_label(KEEL_OP_READ, KEEL_MODE_SHORT, KEEL_PROTO_CONT, 8), 0, 0, 1));
    return seL4_MessageInfo_get_label(r);
}

/* A CONT series abandoned half-way: another writer is refused until the writer does anything
 * else on its descriptor or closes it; the partial message never reaches a reader. */
static void abandoned_series(void **state)
{
    (void)state;
    int fd = setup();
    int other = keel_open(&it_io, "/ram/q", KEEL_O_RDWR);
    assert_true(other >= 0);
    assert_int_equal(cont_write(it_fds[fd].cap), keel_proto_result(4, 0));
    assert_int_equal(keel_write(&it_io, other, "x", 1), -KEEL_IO_EBUSY);
    assert_int_equal(keel_fsize(&it_io, other), -KEEL_IO_EAGAIN); /* nothing queued */
    assert_int_equal(keel_fsize(&it_io, fd), -KEEL_IO_EAGAIN);    /* abandons the series */
    assert_int_equal(keel_write(&it_io, other, "x", 1), 1);
    assert_int_equal(keel_read(&it_io, fd, rbuf, 10), 1);
    /* The same, ended by a close. */
    assert_int_equal(cont_write(it_fds[fd].cap), keel_proto_result(4, 0));
    assert_int_equal(keel_close(&it_io, fd), 0);
    assert_int_equal(keel_write(&it_io, other, "yz", 2), 2);
    assert_int_equal(keel_read(&it_io, other, rbuf, 10), 2);
    it_shutdown();
}

/* A message queued behind one a reader is in the middle of goes to the next held reader when
 * that message is done, before any later reader. */
static void a_message_behind_a_partly_read_one_wakes_the_next_reader(void **state)
{
    (void)state;
    int fd = setup();
    seL4_CPtr done = iw_ntfn();
    it_client_t *c[2];
    c[0] = it_client("reader 0", reader, 0, 4, done);
    tt_let_others_run();
    c[1] = it_client("reader 1", reader, 1, 4, done);
    tt_let_others_run();
    put(fd, 20000, 100); /* reader 0 takes the first chunk: in the middle of this message */
    put(fd, 10, 101);    /* reader 1 cannot have it yet */
    it_join(c, 2, done);
    assert_int_equal(c[0]->result, 20000);
    assert_int_equal(c[1]->result, 10);
    assert_int_equal(keel_fsize(&it_io, fd), -KEEL_IO_EAGAIN);
    it_shutdown();
}

static void dying_writer(it_client_t *c)
{
    int fd = keel_open(&c->io, "/ram/q", KEEL_O_WRONLY);
    T_CHECK(fd == 0);
    c->result = (int64_t)cont_write(c->fds[fd].cap);
}

static void dying_reader(it_client_t *c)
{
    int fd = keel_open(&c->io, "/ram/q", KEEL_O_RDONLY);
    T_CHECK(fd == 0);
    c->result = (int64_t)cont_read(c->fds[fd].cap);
}

/* A client that dies in the middle of a series (so never ends or closes it) holds the queue up
 * for KEEL_RAMFS_PATIENCE refusals, not for good: then the series is broken. */
static void a_dead_clients_series_is_broken(void **state)
{
    (void)state;
    int fd = setup();
    seL4_CPtr done = iw_ntfn();
    it_client_t *w = it_client("writer", dying_writer, 0, 4, done);
    it_join(&w, 1, done);
    assert_int_equal(w->result, keel_proto_result(4, 0));
    iw_thread_kill(w->tcb);
    iw_client_space_free(w->cnode);
    for (int i = 1; i < KEEL_RAMFS_PATIENCE; i++) {
        assert_int_equal(keel_write(&it_io, fd, "x", 1), -KEEL_IO_EBUSY);
    }
    assert_int_equal(keel_write(&it_io, fd, "xy", 2), 2);
    assert_int_equal(keel_read(&it_io, fd, rbuf, 10), 2); /* "part" never became a message */
    assert_int_equal(memcmp(rbuf, "xy", 2), 0);
    /* The same for a reader that took 8 bytes of a message and died: the message stays whole. */
    put(fd, 100, 7);
    it_client_t *r = it_client("reader", dying_reader, 0, 4, done);
    it_join(&r, 1, done);
    assert_int_equal(r->result, keel_proto_result(8, 0));
    iw_thread_kill(r->tcb);
    iw_client_space_free(r->cnode);
    for (int i = 1; i < KEEL_RAMFS_PATIENCE; i++) {
        assert_int_equal(keel_read(&it_io, fd, rbuf, 200), -KEEL_IO_EBUSY);
    }
    assert_int_equal(keel_read(&it_io, fd, rbuf, 200), 100);
    assert_true(it_same(rbuf, 100, 7, 0));
    assert_int_equal(srv->fs.broken, 2);
    it_shutdown();
}

/* A live client whose stalled series was broken learns it: its next request of that kind
 * fails with ECANCELED (never read as the start of a new series), and the one after works. */
static void a_broken_series_owner_gets_ecanceled(void **state)
{
    (void)state;
    int fd = setup();
    int other = keel_open(&it_io, "/ram/q", KEEL_O_RDWR);
    assert_int_equal(cont_write(it_fds[fd].cap), keel_proto_result(4, 0));
    for (int i = 1; i < KEEL_RAMFS_PATIENCE; i++) {
        assert_int_equal(keel_write(&it_io, other, "x", 1), -KEEL_IO_EBUSY);
    }
    assert_int_equal(keel_write(&it_io, other, "x", 1), 1);
    assert_int_equal(keel_write(&it_io, fd, "end", 3), -KEEL_IO_ECANCELED);
    assert_int_equal(keel_write(&it_io, fd, "new", 3), 3);
    assert_int_equal(keel_read(&it_io, other, rbuf, 10), 1);
    assert_int_equal(keel_read(&it_io, other, rbuf, 10), 3);
    assert_int_equal(memcmp(rbuf, "new", 3), 0);
    /* Readers: fd reads 8 bytes of a message and stalls; other takes the whole message. */
    put(fd, 50, 3);
    put(fd, 60, 4);
    assert_int_equal(cont_read(it_fds[fd].cap), keel_proto_result(8, 0));
    for (int i = 1; i < KEEL_RAMFS_PATIENCE; i++) {
        assert_int_equal(keel_read(&it_io, other, rbuf, 100), -KEEL_IO_EBUSY);
    }
    assert_int_equal(keel_read(&it_io, other, rbuf, 100), 50);
    assert_true(it_same(rbuf, 50, 3, 0));
    assert_int_equal(keel_read(&it_io, fd, rbuf, 100), -KEEL_IO_ECANCELED);
    assert_int_equal(keel_read(&it_io, fd, rbuf, 100), 60);
    assert_true(it_same(rbuf, 60, 4, 0));
    it_shutdown();
}

/* Messages that do not fit: EMSGSIZE for one larger than the file, ENOSPC when the queue is
 * full; a drained queue takes them again. */
static void queue_limits(void **state)
{
    (void)state;
    it_boot(4);
    iw_server_opts_t o = {.file_bytes = 8192};
    srv = it_server("/ram", &o);
    assert_int_equal(keel_ramfs_add(&srv->fs, "q", true), 0);
    int fd = keel_open(&it_io, "/ram/q", KEEL_O_RDWR);
    assert_int_equal(keel_write(&it_io, fd, wbuf, 8192), -KEEL_IO_EMSGSIZE);
    for (int i = 0; i < 4; i++) { /* 4 x (8 + 2000) bytes */
        assert_int_equal(keel_write(&it_io, fd, wbuf, 2000), 2000);
    }
    assert_int_equal(keel_write(&it_io, fd, wbuf, 2000), -KEEL_IO_ENOSPC);
    assert_int_equal(keel_read(&it_io, fd, rbuf, 5000), 2000);
    assert_int_equal(keel_write(&it_io, fd, wbuf, 2000), 2000); /* moved to the front */
    for (int i = 0; i < 4; i++) {
        assert_int_equal(keel_read(&it_io, fd, rbuf, 5000), 2000);
    }
    assert_int_equal(keel_fsize(&it_io, fd), -KEEL_IO_EAGAIN);
    it_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_messages),
        cmocka_unit_test(truncation),
        cmocka_unit_test(seeking_a_queue),
        cmocka_unit_test(held_read_completed_by_a_write),
        cmocka_unit_test(waiting_readers_in_order),
        cmocka_unit_test(flush_and_close_cancel_a_held_read),
        cmocka_unit_test(reader_vanishes_while_held),
        cmocka_unit_test(abandoned_series),
        cmocka_unit_test(a_message_behind_a_partly_read_one_wakes_the_next_reader),
        cmocka_unit_test(a_dead_clients_series_is_broken),
        cmocka_unit_test(a_broken_series_owner_gets_ecanceled),
        cmocka_unit_test(queue_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
