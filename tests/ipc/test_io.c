/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The client API on regular files (keel/io.h): mode boundaries (SHORT/MEDIUM/LONG, the
 * buffer size), chunking, the register and buffer variants on one descriptor, positions,
 * offsets, EOF, seeking, errors, close and reuse, copies and fastpath eligibility. The root
 * thread is the client (root CSpace); a RAM file server with 1-frame buffers serves "/ram".
 */
#include <string.h>

#include "ipc_test.h"

static keel_io_stats_t before;

static void mark(void)
{
    keel_io_stats(&it_io, &before);
}

/* Since mark(): calls by mode. */
static void expect_calls(uint64_t s, uint64_t m, uint64_t l)
{
    keel_io_stats_t now;
    keel_io_stats(&it_io, &now);
    assert_int_equal(now.short_calls - before.short_calls, s);
    assert_int_equal(now.medium_calls - before.medium_calls, m);
    assert_int_equal(now.long_calls - before.long_calls, l);
}

static int setup(uint32_t client_frames, const iw_server_opts_t *opts)
{
    it_boot(client_frames);
    it_server("/ram", opts);
    int fd = keel_open(&it_io, "/ram/f", KEEL_O_RDWR | KEEL_O_CREAT);
    assert_true(fd >= 0);
    return fd;
}

static uint8_t wbuf[40000], rbuf[40000];

/* Write n bytes (pattern seed) at offset 0 and read them back with pread. */
static void write_and_check(int fd, size_t n, unsigned seed, uint64_t s, uint64_t m, uint64_t l)
{
    it_fill(wbuf, n, seed, 0);
    mark();
    assert_int_equal(keel_pwrite(&it_io, fd, wbuf, n, 0), (int64_t)n);
    expect_calls(s, m, l);
    memset(rbuf, 0, n);
    assert_int_equal(keel_pread(&it_io, fd, rbuf, n, 0), (int64_t)n);
    assert_true(it_same(rbuf, n, seed, 0));
}

static void write_boundaries(void **state)
{
    (void)state;
    int fd = setup(4, NULL);
    write_and_check(fd, 1, 1, 1, 0, 0);
    write_and_check(fd, 24, 2, 1, 0, 0);   /* the last SHORT write: offset + 3 words */
    write_and_check(fd, 25, 3, 0, 1, 0);   /* MEDIUM */
    write_and_check(fd, 952, 4, 0, 1, 0);  /* the last MEDIUM write: offset + 119 words */
    write_and_check(fd, 953, 5, 0, 0, 1);  /* LONG */
    write_and_check(fd, 4095, 6, 0, 0, 1); /* buffer size - 1 */
    write_and_check(fd, 4096, 7, 0, 0, 1); /* the buffer exactly */
    write_and_check(fd, 4097, 8, 1, 0, 1); /* buffer + 1: a LONG chunk, then 1 byte SHORT */
    write_and_check(fd, 4096 + 500, 9, 0, 1, 1);
    write_and_check(fd, 3 * 4096 + 100, 10, 0, 1, 3); /* 3 full chunks and a MEDIUM rest */
    write_and_check(fd, 0, 11, 1, 0, 0);              /* a zero-length write is a call */
    it_shutdown();
}

static void read_boundaries(void **state)
{
    (void)state;
    int fd = setup(4, NULL);
    it_fill(wbuf, 20000, 42, 0);
    assert_int_equal(keel_pwrite(&it_io, fd, wbuf, 20000, 0), 20000);
    static const struct {
        size_t n;
        uint64_t s, m, l;
    } cases[] = {
        {1, 1, 0, 0},    {32, 1, 0, 0},    {33, 0, 1, 0},    {960, 0, 1, 0},
        {961, 0, 0, 1},  {4095, 0, 0, 1},  {4096, 0, 0, 1},  {4097, 1, 0, 1},
        {5056, 0, 1, 1}, {12345, 0, 1, 3}, {20000, 0, 0, 5},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = cases[i].n;
        uint64_t off = 7 * i;
        if (off + n > 20000) {
            off = 0;
        }
        memset(rbuf, 0, n);
        mark();
        assert_int_equal(keel_pread(&it_io, fd, rbuf, n, off), (int64_t)n);
        expect_calls(cases[i].s, cases[i].m, cases[i].l);
        assert_true(it_same(rbuf, n, 42, off));
    }
    /* Reading 0 bytes makes no call. */
    mark();
    assert_int_equal(keel_read(&it_io, fd, rbuf, 0), 0);
    expect_calls(0, 0, 0);
    it_shutdown();
}

/* Without a buffer (the client maps none, or the server offers none), large transfers are
 * series of MEDIUM calls. */
static void without_buffers(void **state)
{
    (void)state;
    int fd = setup(0, NULL);
    size_t unused;
    assert_null(keel_buf(&it_io, fd, &unused));
    write_and_check(fd, 5000, 1, 0, 6, 0); /* 5 x 952 + 240 */
    mark();
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 5000, 0), 5000);
    expect_calls(0, 6, 0); /* 5 x 960 + 200 */
    assert_true(it_same(rbuf, 5000, 1, 0));
    it_shutdown();

    iw_server_opts_t o = {.no_buffers = true};
    fd = setup(4, &o);
    assert_null(keel_buf(&it_io, fd, &unused));
    write_and_check(fd, 2000, 2, 0, 3, 0);
    it_shutdown();
}

/* The register variants never use the buffer; the buffer variants copy nothing; all three
 * share the descriptor's position. */
static void three_apis_on_one_descriptor(void **state)
{
    (void)state;
    int fd = setup(4, NULL);
    size_t bytes;
    uint8_t *shared = keel_buf(&it_io, fd, &bytes);
    assert_non_null(shared);
    assert_int_equal(bytes, 4096);
    it_fill(wbuf, 8000, 5, 0);

    mark();
    assert_int_equal(keel_writereg(&it_io, fd, wbuf, 2000), 2000); /* 952 + 952 + 96 */
    expect_calls(0, 3, 0);
    memcpy(shared + 100, wbuf + 2000, 3000 - 2000);
    mark();
    assert_int_equal(keel_writebuf(&it_io, fd, 100, 1000), 1000);
    expect_calls(0, 0, 1);
    keel_io_stats_t now;
    keel_io_stats(&it_io, &now);
    assert_int_equal(now.bytes_copied, before.bytes_copied); /* no copy */
    assert_int_equal(keel_write(&it_io, fd, wbuf + 3000, 5000), 5000);
    assert_int_equal(keel_lseek(&it_io, fd, 0, KEEL_SEEK_CUR), 8000);

    assert_int_equal(keel_lseek(&it_io, fd, 0, KEEL_SEEK_SET), 0);
    memset(rbuf, 0, sizeof(rbuf));
    mark();
    assert_int_equal(keel_readreg(&it_io, fd, rbuf, 1500), 1500); /* 960 + 540 */
    expect_calls(0, 2, 0);
    assert_int_equal(keel_readbuf(&it_io, fd, 10, 4000), 4000);
    memcpy(rbuf + 1500, shared + 10, 4000);
    assert_int_equal(keel_read(&it_io, fd, rbuf + 5500, 10000), 2500); /* to EOF */
    assert_true(it_same(rbuf, 8000, 5, 0));
    /* Beyond the buffer: refused locally, without a call. */
    mark();
    assert_int_equal(keel_readbuf(&it_io, fd, 1, 4096), -KEEL_IO_EINVAL);
    assert_int_equal(keel_writebuf(&it_io, fd, 4097, 0), -KEEL_IO_EINVAL);
    expect_calls(0, 0, 0);
    it_shutdown();
}

/* Bytes copied per byte moved: 1 for read/write, 0 for the buffer variants. */
static void copies_are_counted(void **state)
{
    (void)state;
    int fd = setup(4, NULL);
    it_fill(wbuf, 30000, 9, 0);
    mark();
    assert_int_equal(keel_write(&it_io, fd, wbuf, 30000), 30000);
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 30000, 0), 30000);
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 20, 0), 20);
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 500, 0), 500);
    keel_io_stats_t now;
    keel_io_stats(&it_io, &now);
    assert_int_equal(now.bytes_moved - before.bytes_moved, 60520);
    assert_int_equal(now.bytes_copied - before.bytes_copied, 60520);
    mark();
    assert_int_equal(keel_writebuf(&it_io, fd, 0, 4096), 4096);
    assert_int_equal(keel_lseek(&it_io, fd, 0, KEEL_SEEK_SET), 0);
    assert_int_equal(keel_readbuf(&it_io, fd, 0, 4096), 4096);
    keel_io_stats(&it_io, &now);
    assert_int_equal(now.bytes_moved - before.bytes_moved, 8192);
    assert_int_equal(now.bytes_copied - before.bytes_copied, 0);
    it_shutdown();
}

/* SHORT calls and their replies are fastpath-eligible; so is every message of at most four
 * words: a MEDIUM read's request, a MEDIUM write's reply, and both halves of a LONG call. */
static void short_calls_are_fastpath_eligible(void **state)
{
    (void)state;
    int fd = setup(4, NULL);
    assert_int_equal(keel_pwrite(&it_io, fd, "0123456789", 10, 0), 10);
    iw_calls_t a = iw_calls();
    for (int i = 0; i < 10; i++) {
        assert_int_equal(keel_pread(&it_io, fd, rbuf, 8, 0), 8);
        assert_int_equal(keel_pwrite(&it_io, fd, rbuf, 8, 0), 8);
    }
    iw_calls_t b = iw_calls();
    assert_int_equal(b.syscalls - a.syscalls, 40); /* a Call and a ReplyRecv each */
    assert_int_equal(b.invocations - a.invocations, 0);
    assert_int_equal(b.fastpath - a.fastpath, 40);
    assert_int_equal(keel_pwrite(&it_io, fd, wbuf, 2000, 0), 2000);
    a = iw_calls();
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 100, 0), 100);    /* MEDIUM: the request */
    assert_int_equal(keel_pwrite(&it_io, fd, wbuf, 2000, 0), 2000); /* LONG: both */
    assert_int_equal(keel_writereg(&it_io, fd, wbuf, 500), 500);    /* MEDIUM: the reply */
    b = iw_calls();
    assert_int_equal(b.syscalls - a.syscalls, 6);
    assert_int_equal(b.fastpath - a.fastpath, 4);
    it_shutdown();
}

static void positions_offsets_and_eof(void **state)
{
    (void)state;
    int fd = setup(4, NULL);
    it_fill(wbuf, 1000, 3, 0);
    assert_int_equal(keel_write(&it_io, fd, wbuf, 1000), 1000);
    assert_int_equal(keel_read(&it_io, fd, rbuf, 10), 0); /* at EOF */
    assert_int_equal(keel_fsize(&it_io, fd), 1000);
    /* pread and pwrite leave the position alone. */
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 100, 950), 50);
    assert_true(it_same(rbuf, 50, 3, 950));
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 100, 1000), 0);
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 100, 1ull << 40), 0);
    assert_int_equal(keel_lseek(&it_io, fd, 0, KEEL_SEEK_CUR), 1000);
    /* A write far out grows the file; the gap reads as zeros. */
    assert_int_equal(keel_pwrite(&it_io, fd, "x", 1, 200000), 1);
    assert_int_equal(keel_fsize(&it_io, fd), 200001);
    assert_int_equal(keel_pwrite(&it_io, fd, "", 0, 250000), 0); /* and nothing else */
    assert_int_equal(keel_fsize(&it_io, fd), 200001);
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 10, 150000), 10);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(rbuf[i], 0);
    }
    /* At the capacity (256 KiB): cut short, then nothing fits, then beyond it. */
    assert_int_equal(keel_pwrite(&it_io, fd, wbuf, 100, 262144 - 40), 40);
    assert_int_equal(keel_pwrite(&it_io, fd, wbuf, 100, 262144), -KEEL_IO_ENOSPC);
    assert_int_equal(keel_pwrite(&it_io, fd, wbuf, 100, 262145), -KEEL_IO_EFBIG);
    /* A read across EOF returns what is there, over several calls. */
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 10000, 262144 - 5000), 5000);
    /* Offsets the protocol refuses are refused by the server, not the client. */
    assert_int_equal(keel_pread(&it_io, fd, rbuf, 1, 1ull << 63), -KEEL_IO_EINVAL);
    assert_int_equal(keel_pwrite(&it_io, fd, wbuf, 8, KEEL_PROTO_MAX_OFFSET - 3),
                     -KEEL_IO_EOVERFLOW);
    it_shutdown();
}

static void seeking(void **state)
{
    (void)state;
    int fd = setup(4, NULL);
    assert_int_equal(keel_write(&it_io, fd, "abcdefghij", 10), 10);
    iw_calls_t a = iw_calls();
    assert_int_equal(keel_lseek(&it_io, fd, 3, KEEL_SEEK_SET), 3);
    iw_calls_t b = iw_calls();
    assert_int_equal(b.syscalls - a.syscalls, 2); /* one zero-length read */
    char c[4] = {0};
    assert_int_equal(keel_read(&it_io, fd, c, 2), 2);
    assert_string_equal(c, "de");
    assert_int_equal(keel_lseek(&it_io, fd, 2, KEEL_SEEK_CUR), 7);
    assert_int_equal(keel_lseek(&it_io, fd, -4, KEEL_SEEK_END), 6);
    assert_int_equal(keel_read(&it_io, fd, c, 3), 3);
    assert_string_equal(c, "ghi");
    assert_int_equal(keel_lseek(&it_io, fd, 100, KEEL_SEEK_END), 110); /* past the end: fine */
    assert_int_equal(keel_lseek(&it_io, fd, -11, KEEL_SEEK_END), -KEEL_IO_EINVAL);
    assert_int_equal(keel_lseek(&it_io, fd, -1, KEEL_SEEK_SET), -KEEL_IO_EINVAL);
    assert_int_equal(keel_lseek(&it_io, fd, INT64_MAX, KEEL_SEEK_CUR), -KEEL_IO_EOVERFLOW);
    assert_int_equal(keel_lseek(&it_io, fd, 0, 7), -KEEL_IO_EINVAL);
    assert_int_equal(keel_lseek(&it_io, fd, 0, KEEL_SEEK_CUR), 110); /* unchanged */
    assert_int_equal(keel_lseek(&it_io, 7, 0, KEEL_SEEK_SET), -KEEL_IO_EBADF);
    it_shutdown();
}

static void errors(void **state)
{
    (void)state;
    iw_server_opts_t o = {.max_files = 4, .files = 4};
    int fd = setup(4, &o);
    assert_int_equal(keel_open(&it_io, "/ram/none", KEEL_O_RDONLY), -KEEL_IO_ENOENT);
    assert_int_equal(keel_open(&it_io, "/nothing/here", KEEL_O_RDONLY), -KEEL_IO_ENOENT);
    assert_int_equal(keel_open(&it_io, "relative", KEEL_O_RDONLY), -KEEL_IO_ENOENT);
    assert_int_equal(keel_open(&it_io, "/ram", KEEL_O_RDONLY), -KEEL_IO_ENOENT); /* no name */
    assert_int_equal(keel_open(&it_io, "/ram/a-name-longer-than-32-bytes-here", KEEL_O_CREAT),
                     -KEEL_IO_ENAMETOOLONG);
    static char longpath[1000];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    assert_int_equal(keel_open(&it_io, longpath, KEEL_O_RDONLY), -KEEL_IO_ENAMETOOLONG);
    assert_int_equal(keel_open(&it_io, "/ram/f", KEEL_O_ACCMODE), -KEEL_IO_EINVAL);
    assert_int_equal(keel_open(&it_io, "/ram/f", 0x80000u), -KEEL_IO_EINVAL);
    /* Access modes. */
    int ro = keel_open(&it_io, "/ram/f", KEEL_O_RDONLY);
    int wo = keel_open(&it_io, "/ram/f", KEEL_O_WRONLY);
    assert_true(ro >= 0 && wo >= 0);
    assert_int_equal(keel_write(&it_io, ro, "x", 1), -KEEL_IO_EBADF);
    assert_int_equal(keel_read(&it_io, wo, rbuf, 1), -KEEL_IO_EBADF);
    assert_int_equal(keel_write(&it_io, wo, "x", 1), 1);
    assert_int_equal(keel_read(&it_io, ro, rbuf, 1), 1);
    assert_int_equal(keel_lseek(&it_io, wo, 0, KEEL_SEEK_END), 1); /* seeking needs no read */
    assert_int_equal(keel_fsize(&it_io, wo), 1);
    /* The server's table of 4 open files is full; then the file system's 4 nodes. */
    int f3 = keel_open(&it_io, "/ram/g", KEEL_O_RDWR | KEEL_O_CREAT);
    assert_true(f3 >= 0);
    assert_int_equal(keel_open(&it_io, "/ram/f", KEEL_O_RDONLY), -KEEL_IO_ENFILE);
    assert_int_equal(keel_close(&it_io, f3), 0);
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof(name), "/ram/n%d", i);
        int n = keel_open(&it_io, name, KEEL_O_RDWR | KEEL_O_CREAT);
        if (i < 2) {
            assert_true(n >= 0);
            assert_int_equal(keel_close(&it_io, n), 0);
        } else {
            assert_int_equal(n, -KEEL_IO_ENOSPC);
        }
    }
    /* Bad descriptors. */
    assert_int_equal(keel_read(&it_io, -1, rbuf, 1), -KEEL_IO_EBADF);
    assert_int_equal(keel_write(&it_io, 8, rbuf, 1), -KEEL_IO_EBADF);
    assert_int_equal(keel_close(&it_io, 5), -KEEL_IO_EBADF);
    assert_int_equal(keel_close(&it_io, fd), 0);
    assert_int_equal(keel_close(&it_io, fd), -KEEL_IO_EBADF);
    assert_int_equal(keel_read(&it_io, fd, rbuf, 1), -KEEL_IO_EBADF);
    it_shutdown();
}

/* Every slot of the client's descriptor table in use: EMFILE. */
static void descriptor_table_full(void **state)
{
    (void)state;
    iw_server_opts_t o = {.max_files = 16};
    setup(1, &o);
    for (int i = 1; i < 8; i++) {
        assert_int_equal(keel_open(&it_io, "/ram/f", KEEL_O_RDONLY), i);
    }
    assert_int_equal(keel_open(&it_io, "/ram/f", KEEL_O_RDONLY), -KEEL_IO_EMFILE);
    it_shutdown();
}

/* Open and close many times: descriptors and server slots are reused, buffers come back
 * zeroed, and no cap or object is left behind. */
static void close_and_reuse(void **state)
{
    (void)state;
    iw_server_opts_t o = {.max_files = 2, .buf_bits = 1};
    int fd = setup(2, &o);
    assert_int_equal(keel_close(&it_io, fd), 0);
    size_t eps = keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT);
    size_t frames = keel_model_cap_count(KEEL_MODEL_CAP_FRAME);
    size_t bytes;
    for (int i = 0; i < 100; i++) {
        fd = keel_open(&it_io, "/ram/f", KEEL_O_RDWR);
        assert_int_equal(fd, 0);
        uint8_t *b = keel_buf(&it_io, fd, &bytes);
        assert_int_equal(bytes, 8192);
        for (size_t j = 0; j < bytes; j++) {
            assert_int_equal(b[j], 0); /* the last user's bytes are gone */
        }
        memset(b, 0xa5, bytes);
        assert_int_equal(keel_writebuf(&it_io, fd, 0, bytes), (int64_t)bytes);
        assert_int_equal(keel_close(&it_io, fd), 0);
    }
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_FRAME), frames);
    keel_io_stats_t st;
    keel_io_stats(&it_io, &st);
    it_shutdown();
}

/* The transport's own copy routine (src/ipc/wire.c; the library may not call memcpy) has
 * memmove's semantics for every alignment, length and overlap. */
void ipc_copy(void *dst, const void *src, size_t n);

static void copy_routine_is_memmove(void **state)
{
    (void)state;
    static uint8_t a[600], b[600];
    uint64_t rng = 12345;
    for (int i = 0; i < 20000; i++) {
        for (size_t j = 0; j < sizeof(a); j++) {
            a[j] = b[j] = (uint8_t)host_rng(&rng);
        }
        size_t n = host_rng(&rng) % 300, from = host_rng(&rng) % 300, to = host_rng(&rng) % 300;
        ipc_copy(a + to, a + from, n);
        memmove(b + to, b + from, n);
        assert_memory_equal(a, b, sizeof(a));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_boundaries),
        cmocka_unit_test(read_boundaries),
        cmocka_unit_test(without_buffers),
        cmocka_unit_test(three_apis_on_one_descriptor),
        cmocka_unit_test(copies_are_counted),
        cmocka_unit_test(short_calls_are_fastpath_eligible),
        cmocka_unit_test(positions_offsets_and_eof),
        cmocka_unit_test(seeking),
        cmocka_unit_test(errors),
        cmocka_unit_test(descriptor_table_full),
        cmocka_unit_test(close_and_reuse),
        cmocka_unit_test(copy_routine_is_memmove),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
