/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench-ipc: what Keel's IPC transport costs, on the model.
 *
 *   1. Kernel calls per operation, client and server together: the IPC syscalls (Call,
 *      ReplyRecv) and the invocations (CNode, frame mapping), for SHORT, MEDIUM and LONG reads
 *      and writes, the register and buffer variants, seeks, opens and closes; and the share of
 *      the IPC syscalls the kernel's fastpath would take (the model's `fastpath` counter).
 *   2. Bytes the client copies per byte it moves (keel_io_stats): 1 for read/write, 0 for
 *      readbuf/writebuf.
 *   3. Long-read throughput against memcpy of the same bytes, measured in the same run, for
 *      shared buffers of 4 KiB, 64 KiB and 1 MiB; the world is pinned to one host CPU
 *      (keel_model_config.pin_host_cpu) so hand-overs are cheap and stable.
 *
 * The root thread is the client (root CSpace); one RAM file server worker serves "/ram".
 * Usage: bench-ipc [repetitions]. Timings vary with the host; nothing asserts them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "ipc_world.h"

static keel_io_t io;
static keel_fd_t fds[4];
static int fd;
static uint8_t *src, *dst;

enum { OP_READ, OP_WRITE, OP_READREG, OP_WRITEREG, OP_READBUF, OP_WRITEBUF, OP_SEEK, OP_OPEN };

static int64_t op(int kind, size_t n)
{
    switch (kind) {
    case OP_READ:
        return keel_pread(&io, fd, dst, n, 0);
    case OP_WRITE:
        return keel_pwrite(&io, fd, src, n, 0);
    case OP_READREG:
        keel_lseek(&io, fd, 0, KEEL_SEEK_SET);
        return keel_readreg(&io, fd, dst, n);
    case OP_WRITEREG:
        keel_lseek(&io, fd, 0, KEEL_SEEK_SET);
        return keel_writereg(&io, fd, src, n);
    case OP_READBUF:
        keel_lseek(&io, fd, 0, KEEL_SEEK_SET);
        return keel_readbuf(&io, fd, 0, n);
    case OP_WRITEBUF:
        keel_lseek(&io, fd, 0, KEEL_SEEK_SET);
        return keel_writebuf(&io, fd, 0, n);
    case OP_SEEK:
        return keel_lseek(&io, fd, (int64_t)n, KEEL_SEEK_SET);
    default: {
        int f = keel_open(&io, "/ram/data", KEEL_O_RDWR);
        return f < 0 ? f : keel_close(&io, f);
    }
    }
}

/* The calls a seek made before the measured op (the register and buffer rows seek to 0). */
static bool seeks_first(int kind)
{
    return kind == OP_READREG || kind == OP_WRITEREG || kind == OP_READBUF || kind == OP_WRITEBUF;
}

static double seek_us; /* the time of a seek, taken out of the rows that seek first */

static double row(const char *name, int kind, size_t n, unsigned reps)
{
    keel_io_stats_t s0, s1;
    keel_io_stats(&io, &s0);
    iw_calls_t a = iw_calls();
    double t0 = host_now_ns();
    for (unsigned i = 0; i < reps; i++) {
        int64_t r = op(kind, n);
        if (r < 0 || (kind <= OP_WRITEBUF && (size_t)r != n)) {
            fprintf(stderr, "bench-ipc: %s failed: %lld\n", name, (long long)r);
            exit(1);
        }
    }
    double t1 = host_now_ns();
    iw_calls_t b = iw_calls();
    keel_io_stats(&io, &s1);
    /* Take the seeks out (2 IPC syscalls each, both fastpath-eligible, and their time). */
    double seek = seeks_first(kind) ? 2.0 : 0.0;
    double us = (t1 - t0) / reps / 1000.0 - (seeks_first(kind) ? seek_us : 0.0);
    double inv = (double)(b.invocations - a.invocations) / reps;
    double ipc = (double)(b.syscalls - a.syscalls - (b.invocations - a.invocations)) / reps - seek;
    double fast = (double)(b.fastpath - a.fastpath) / reps - seek;
    double moved = (double)(s1.bytes_moved - s0.bytes_moved);
    printf("  %-34s %7zu %6.1f %6.1f %6.1f %8.0f%% %8.2f %9.2f\n", name, n, ipc + inv, ipc, inv,
           ipc > 0 ? 100.0 * fast / ipc : 0.0,
           moved > 0 ? (double)(s1.bytes_copied - s0.bytes_copied) / moved : 0.0, us);
    return us;
}

static void world(unsigned buf_bits)
{
    iw_boot(true);
    iw_server_opts_t o = {.buf_bits = buf_bits, .files = 2, .file_bytes = 2u << 20};
    iw_server_t *s = iw_ramfs_start("/ram", &o);
    (void)s;
    keel_io_config_t cfg;
    iw_root_io(&cfg, fds, 4, 1u << buf_bits);
    if (keel_io_init(&io, &cfg) != 0) {
        exit(1);
    }
    fd = keel_open(&io, "/ram/data", KEEL_O_RDWR | KEEL_O_CREAT);
    if (fd < 0 || keel_pwrite(&io, fd, src, 2u << 20, 0) != 2 << 20) {
        fprintf(stderr, "bench-ipc: cannot set up the file\n");
        exit(1);
    }
    for (int i = 0; i < 2000; i++) { /* warm up: host threads, caches, branch predictors */
        (void)keel_pread(&io, fd, dst, 32, 0);
    }
}

/* The transport's copy routine (src/ipc/wire.c: the library may not call memcpy). */
void ipc_copy(void *dst, const void *src, size_t n);

static double copy_ns(bool ours, size_t n, unsigned reps)
{
    double t0 = host_now_ns();
    for (unsigned i = 0; i < reps; i++) {
        if (ours) {
            ipc_copy(dst, src, n);
        } else {
            memcpy(dst, src, n);
        }
        __asm__ volatile("" : : "r"(dst) : "memory");
    }
    return (host_now_ns() - t0) / reps;
}

static void throughput(unsigned buf_bits, unsigned reps)
{
    world(buf_bits);
    size_t chunk = (size_t)4096 << buf_bits;
    size_t total = 2u << 20; /* read the whole 2 MiB file each time */
    double best_read = 1e30, best_buf = 1e30, best_copy = 1e30;
    for (int round = 0; round < 5; round++) {
        double t0 = host_now_ns();
        for (unsigned i = 0; i < reps; i++) {
            if (keel_pread(&io, fd, dst, total, 0) != (int64_t)total) {
                exit(1);
            }
        }
        double t1 = host_now_ns();
        for (unsigned i = 0; i < reps; i++) {
            keel_lseek(&io, fd, 0, KEEL_SEEK_SET);
            for (size_t done = 0; done < total; done += chunk) {
                if (keel_readbuf(&io, fd, 0, chunk) != (int64_t)chunk) {
                    exit(1);
                }
            }
        }
        double t2 = host_now_ns();
        double c = copy_ns(false, total, reps * 4);
        best_read = (t1 - t0) / reps < best_read ? (t1 - t0) / reps : best_read;
        best_buf = (t2 - t1) / reps < best_buf ? (t2 - t1) / reps : best_buf;
        best_copy = c < best_copy ? c : best_copy;
    }
    double mib = (double)total / (1 << 20);
    printf("  %8zu KiB   %9.0f %9.0f %9.0f   %6.2f   %6.2f\n", chunk >> 10, mib / (best_copy / 1e9),
           mib / (best_read / 1e9), mib / (best_buf / 1e9), best_copy / best_read,
           best_copy / best_buf);
    iw_shutdown();
}

int main(int argc, char **argv)
{
    unsigned reps = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 0) : 2000;
    src = malloc(2u << 20);
    dst = malloc(2u << 20);
    if (src == NULL || dst == NULL || reps == 0) {
        return 1;
    }
    for (size_t i = 0; i < 2u << 20; i++) {
        src[i] = (uint8_t)(i * 131);
    }
    printf("Kernel calls per operation, client and server together (64 KiB shared buffer):\n");
    printf("  %-34s %7s %6s %6s %6s %9s %8s %9s\n", "operation", "bytes", "calls", "IPC", "invoc",
           "fastpath", "copies/B", "us/op");
    world(4);
    seek_us = row("lseek (a zero-length read)", OP_SEEK, 100, reps);
    row("read SHORT", OP_READ, 32, reps);
    row("read MEDIUM", OP_READ, 33, reps);
    row("read MEDIUM (all registers)", OP_READ, 960, reps);
    row("read LONG", OP_READ, 961, reps);
    row("read LONG (the whole buffer)", OP_READ, 65536, reps);
    row("read LONG, 4 chunks", OP_READ, 4 * 65536, reps / 4);
    row("write SHORT", OP_WRITE, 24, reps);
    row("write MEDIUM", OP_WRITE, 25, reps);
    row("write MEDIUM (all registers)", OP_WRITE, 952, reps);
    row("write LONG", OP_WRITE, 953, reps);
    row("write LONG (the whole buffer)", OP_WRITE, 65536, reps);
    row("readreg 4096 (5 MEDIUM calls)", OP_READREG, 4096, reps);
    row("writereg 4096 (5 MEDIUM calls)", OP_WRITEREG, 4096, reps);
    row("readbuf (in place)", OP_READBUF, 65536, reps);
    row("writebuf (in place)", OP_WRITEBUF, 65536, reps);
    row("open + close (16-frame buffer)", OP_OPEN, 0, reps / 10);
    iw_shutdown();
    printf("\n  calls = IPC syscalls + invocations; fastpath = share of the IPC syscalls the\n"
           "  kernel's fastpath would take; copies/B = bytes the client copied per byte moved.\n");

    double mc = 1e30, ic = 1e30;
    for (int i = 0; i < 5; i++) {
        double m = copy_ns(false, 65536, reps), c = copy_ns(true, 65536, reps);
        mc = m < mc ? m : mc;
        ic = c < ic ? c : ic;
    }
    printf("\nThe transport's own copy routine moves 64 KiB at %.2f times memcpy's speed.\n",
           mc / ic);
    printf("\nLong reads of a 2 MiB file against memcpy of 2 MiB (MiB/s, best of 5; ratio = "
           "memcpy time / read time):\n");
    printf("  %12s   %9s %9s %9s   %6s   %6s\n", "buffer", "memcpy", "read", "readbuf", "read",
           "readbuf");
    throughput(0, reps / 100 + 1);
    throughput(4, reps / 100 + 1);
    throughput(8, reps / 100 + 1);
    host_release();
    free(src);
    free(dst);
    return 0;
}
