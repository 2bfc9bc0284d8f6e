/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Demo, part 4: the IPC transport. A name server and a RAM file server (one worker thread,
 * 16 KiB shared buffers) run as seL4 threads; a client thread in a CSpace of its own, holding
 * nothing but its CNode, its VSpace and a cap to the name server, opens files by path and
 * reads and writes them with the three APIs. Each line shows what one operation cost the
 * whole system: IPC syscalls (Call, ReplyRecv) and invocations (slot deletes, frame maps,
 * mints, revokes), and how many of the IPC syscalls the kernel's fastpath would take.
 */
#include <stdio.h>
#include <string.h>

#include "demo.h"
#include "host.h"
#include "ipc_world.h"

enum { DONE_SLOT = 4 };

static keel_io_t io;
static keel_fd_t fds[4];
static iw_calls_t mark;
static char text[20000];
static int unexpected; /* results other than the ones a correct transport gives */

/* One line of the table: the operation's result (checked against `expect`) and its cost. */
static void show(const char *what, int64_t result, int64_t expect)
{
    iw_calls_t now = iw_calls();
    uint64_t inv = now.invocations - mark.invocations;
    uint64_t ipc = now.syscalls - mark.syscalls - inv;
    char res[32];
    if (result < 0) {
        snprintf(res, sizeof(res), "errno %lld", (long long)-result);
    } else {
        snprintf(res, sizeof(res), "%lld", (long long)result);
    }
    printf("  %-46s %10s %5llu %5llu %5llu%s\n", what, res, (unsigned long long)ipc,
           (unsigned long long)inv, (unsigned long long)(now.fastpath - mark.fastpath),
           result == expect ? "" : "  UNEXPECTED");
    unexpected += result != expect;
    mark = iw_calls();
}

static void client(seL4_Word arg)
{
    (void)arg;
    mark = iw_calls();
    int fd = keel_open(&io, "/ram/notes", KEEL_O_RDWR | KEEL_O_CREAT);
    show("open(\"/ram/notes\") + a new 4-frame buffer", fd, 0);
    show("write 13 bytes          (SHORT: registers)", keel_write(&io, fd, "hello, world\n", 13),
         13);
    memset(text, '.', sizeof(text));
    show("writereg 600 bytes      (MEDIUM: IPC buffer)", keel_writereg(&io, fd, text, 600), 600);
    show("write 10000 bytes       (LONG: shared buffer)", keel_write(&io, fd, text, 10000), 10000);
    show("lseek(0, SEEK_SET)      (a zero-length read)", keel_lseek(&io, fd, 0, KEEL_SEEK_SET), 0);
    char small[33] = {0};
    show("read 32 bytes           (SHORT)", keel_read(&io, fd, small, 32), 32);
    show("readreg 960 bytes       (MEDIUM)", keel_readreg(&io, fd, text, 960), 960);
    show("pread 20000 bytes at 0  (LONG, stops at EOF)", keel_pread(&io, fd, text, 20000, 0),
         10613);
    show("lseek(0, SEEK_END)      (the size)", keel_lseek(&io, fd, 0, KEEL_SEEK_END), 10613);
    keel_lseek(&io, fd, 0, KEEL_SEEK_SET);
    mark = iw_calls();
    size_t bytes;
    char *shared = keel_buf(&io, fd, &bytes);
    show("readbuf 9000 bytes at 0 (in place, no copy)", keel_readbuf(&io, fd, 0, 9000), 9000);
    printf("    read 32 gave \"%.12s\"; the shared buffer now starts \"%.12s\"\n", small, shared);
    unexpected += memcmp(small, "hello, world", 12) != 0 || memcmp(shared, "hello, world", 12) != 0;
    keel_lseek(&io, fd, 7, KEEL_SEEK_SET);
    mark = iw_calls();
    memcpy(shared + 100, "keel!", 5);
    show("writebuf 5 bytes at 7   (in place, no copy)", keel_writebuf(&io, fd, 100, 5), 5);
    show("pread 12 bytes at 0", keel_pread(&io, fd, small, 12, 0), 12);
    printf("    the file now starts \"%.12s\"\n", small);
    unexpected += memcmp(small, "hello, keel!", 12) != 0;

    int q = keel_open(&io, "/ram/queue", KEEL_O_RDWR);
    show("open(\"/ram/queue\"): a message queue", q, 1);
    show("write a 20-byte message", keel_write(&io, q, "first message here!\n", 20), 20);
    show("write a 5000-byte message (LONG)", keel_write(&io, q, text, 5000), 5000);
    show("read 8 bytes: the first message, truncated", keel_read(&io, q, small, 8), 8);
    printf("    keel_msglen: the message had %llu bytes\n",
           (unsigned long long)keel_msglen(&io, q));
    unexpected += keel_msglen(&io, q) != 20;
    show("read 6000 bytes: the second message, whole", keel_read(&io, q, text, 6000), 5000);
    show("open(\"/nowhere/x\")", keel_open(&io, "/nowhere/x", KEEL_O_RDONLY), -KEEL_IO_ENOENT);
    show("close(queue)", keel_close(&io, q), 0);
    show("close(notes)  (server revokes, client deletes)", keel_close(&io, fd), 0);
    seL4_Signal(DONE_SLOT);
}

int demo_ipc(void)
{
    printf("\n== IPC: read and write N bytes at an offset ==\n");
    iw_boot(false);
    iw_server_opts_t o = {.buf_bits = 2};
    iw_server_t *s = iw_ramfs_start("/ram", &o);
    keel_ramfs_add(&s->fs, "queue", true);
    seL4_CPtr done = iw_ntfn();
    seL4_Word guard;
    seL4_CPtr cnode = iw_client_space(&guard);
    if (iw_give(cnode, DONE_SLOT, done) != seL4_NoError) {
        return 1;
    }
    keel_io_config_t cfg;
    iw_client_io(&cfg, fds, 4, 4);
    keel_io_init(&io, &cfg);
    printf("  threads: name server (priority %d), RAM file server worker at \"/ram\" (%d), a "
           "client (%d)\n  in a CSpace of its own with its CNode, its VSpace and a name-server "
           "cap: nothing else.\n\n",
           IW_PRIO_NS, IW_PRIO_SERVER, IW_PRIO_CLIENT);
    printf("  %-46s %10s %5s %5s %5s\n", "client operation", "result", "IPC", "invoc", "fast");
    iw_thread("client", client, 0, IW_PRIO_CLIENT, cnode, guard);
    seL4_Word badge;
    seL4_Wait(done, &badge);

    keel_server_stats_t st;
    keel_server_stats(&s->srv, &st);
    keel_io_stats_t cs;
    keel_io_stats(&io, &cs);
    printf("\n  IPC = Call/ReplyRecv syscalls, invoc = invocations, fast = IPC syscalls the "
           "kernel's\n  fastpath would take. Server: %llu requests, %llu errors. Client: %llu "
           "bytes moved,\n  %llu copied (readbuf and writebuf copy nothing).\n",
           (unsigned long long)st.requests, (unsigned long long)st.errors,
           (unsigned long long)cs.bytes_moved, (unsigned long long)cs.bytes_copied);
    char msg[256];
    int ok = keel_model_check(msg, sizeof(msg));
    printf("  kernel invariants: %s\n", ok == 0 ? "hold" : msg);
    if (unexpected != 0) {
        printf("  %d result(s) not what a correct transport gives\n", unexpected);
    }
    iw_shutdown();
    return ok != 0 || unexpected != 0;
}
