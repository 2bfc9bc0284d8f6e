/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Hostile clients. "mallory", a client thread in a CSpace of its own, hand-builds requests
 * with seL4_SetMR/SetCap/Call on the caps the protocol gave it (files opened read-write with
 * a buffer, without a buffer, read-only and write-only; a server's open cap; a client cap and
 * an admin cap to the name server) and breaks every rule of keel/proto.h in turn. After each
 * request the root thread, a well-behaved client of the same servers, checks that it is still
 * served (a write and a read of its own file, and every tenth step a fresh open through the
 * name server). The table below is the list of malformed requests and what each must get.
 */
#include <string.h>

#include "ipc_test.h"

enum { T_RW, T_NOBUF, T_RO, T_WO, T_OPEN, T_NS, T_ADMIN, T_COUNT };
enum { C_NONE, C_OPEN, C_ADMIN };
enum { S_NONE, S_UNMAP, S_DELETE_FRAME, S_DELETE_CAP, S_CLOSE_FIRST };
#define KERNEL (-1) /* the kernel answers: the cap is gone */
#define OK     0

/* Client CSpace slots of mallory beyond ipc_test.h's. */
enum { M_GO = 5, M_ADMIN = 6, M_OPEN = 7, M_SLOTS2 = 400 };

typedef struct hcase {
    const char *what;
    int target;
    seL4_Word label, len;
    seL4_Word mr[4];
    const char *bytes; /* at MR1: `nbytes` of these, or nbytes of `fill` */
    size_t nbytes;
    char fill;
    int cap, special;
    int expect; /* an errno, OK (a non-error reply) or KERNEL */
} hcase_t;

/* keel_proto_label as a constant expression, for the table. */
#define L(op, mode, flags, count)                                                                  \
    ((seL4_Word)(op) | ((seL4_Word)(mode) << 8) | ((seL4_Word)(flags) << 12) |                     \
     ((seL4_Word)(count) << 16))
#define R   KEEL_OP_READ
#define W   KEEL_OP_WRITE
#define SH  KEEL_MODE_SHORT
#define ME  KEEL_MODE_MEDIUM
#define LO  KEEL_MODE_LONG
#define BIG (1ull << 63)

static const hcase_t cases[] = {
    /* Operations and label fields. */
    {"op 0", T_RW, L(0, SH, 0, 0), 1, .expect = KEEL_IO_ENOSYS},
    {"op KEEL_OP_COUNT", T_RW, L(KEEL_OP_COUNT, SH, 0, 0), 1, .expect = KEEL_IO_ENOSYS},
    {"op 255", T_RW, L(255, SH, 0, 0), 0, .expect = KEEL_IO_ENOSYS},
    {"every label bit set", T_RW, (1ull << 52) - 1, 1, .expect = KEEL_IO_ENOSYS},
    {"ATTACH on a file", T_RW, L(KEEL_OP_ATTACH, SH, 0, 2), 2, .expect = KEEL_IO_ENOSYS},
    {"DETACH on a file", T_RW, L(KEEL_OP_DETACH, SH, 0, 2), 2, .expect = KEEL_IO_ENOSYS},
    {"OPEN on a file", T_RW, L(KEEL_OP_OPEN, SH, 0, 1), 2, .expect = KEEL_IO_EINVAL},
    {"read in mode 3", T_RW, L(R, 3, 0, 8), 1, .expect = KEEL_IO_EINVAL},
    {"read in mode 15", T_RW, L(R, 15, 0, 8), 1, .expect = KEEL_IO_EINVAL},
    {"write in mode 3", T_RW, L(W, 3, 0, 8), 2, .expect = KEEL_IO_EINVAL},
    {"read with flag 0x2", T_RW, L(R, SH, 2, 8), 1, .expect = KEEL_IO_EINVAL},
    {"write with flags 0xf", T_RW, L(W, SH, 0xf, 8), 2, .expect = KEEL_IO_EINVAL},
    /* Counts against modes and message lengths. */
    {"SHORT read of 33", T_RW, L(R, SH, 0, 33), 1, .expect = KEEL_IO_EMSGSIZE},
    {"MEDIUM read of 961", T_RW, L(R, ME, 0, 961), 1, .expect = KEEL_IO_EMSGSIZE},
    {"SHORT write of 25", T_RW, L(W, SH, 0, 25), 4, .expect = KEEL_IO_EMSGSIZE},
    {"MEDIUM write of 953", T_RW, L(W, ME, 0, 953), 120, .expect = KEEL_IO_EMSGSIZE},
    {"SHORT write of 24 in 2 words", T_RW, L(W, SH, 0, 24), 2, .expect = KEEL_IO_EMSGSIZE},
    {"MEDIUM write of 900 in 50 words", T_RW, L(W, ME, 0, 900), 50, .expect = KEEL_IO_EMSGSIZE},
    {"read without its offset word", T_RW, L(R, SH, 0, 8), 0, .expect = KEEL_IO_EMSGSIZE},
    {"read with a word too many", T_RW, L(R, SH, 0, 8), 2, .expect = KEEL_IO_EMSGSIZE},
    {"write of 8 in 3 words", T_RW, L(W, SH, 0, 8), 3, .expect = KEEL_IO_EMSGSIZE},
    {"LONG read without its position", T_RW, L(R, LO, 0, 8), 1, .expect = KEEL_IO_EMSGSIZE},
    {"LONG write with 3 words", T_RW, L(W, LO, 0, 8), 3, .expect = KEEL_IO_EMSGSIZE},
    {"127 words (the kernel passes 120)", T_RW, L(W, ME, 0, 8), 127, .expect = KEEL_IO_EMSGSIZE},
    /* The shared buffer (4096 bytes). */
    {"LONG read of 4097", T_RW, L(R, LO, 0, 4097), 2, .expect = KEEL_IO_EFAULT},
    {"LONG read of 1 at 4096", T_RW, L(R, LO, 0, 1), 2, {0, 4096}, .expect = KEEL_IO_EFAULT},
    {"LONG read of 200 at 4000", T_RW, L(R, LO, 0, 200), 2, {0, 4000}, .expect = KEEL_IO_EFAULT},
    {"LONG read at 2^64-1 (wraps)", T_RW, L(R, LO, 0, 1), 2, {0, ~0ull}, .expect = KEEL_IO_EFAULT},
    {"LONG write of 4096 at 1", T_RW, L(W, LO, 0, 4096), 2, {0, 1}, .expect = KEEL_IO_EFAULT},
    {"LONG write of 0 at 2^63", T_RW, L(W, LO, 0, 0), 2, {0, BIG}, .expect = KEEL_IO_EFAULT},
    {"LONG read of 2^36-1", T_RW, L(R, LO, 0, KEEL_PROTO_MAX_COUNT), 2, .expect = KEEL_IO_EFAULT},
    /* Offsets. */
    {"read at 2^63", T_RW, L(R, SH, 0, 8), 1, {BIG}, .expect = KEEL_IO_EINVAL},
    {"read at 2^64-1", T_RW, L(R, SH, 0, 8), 1, {~0ull}, .expect = KEEL_IO_EINVAL},
    {"write of 8 at 2^63-1", T_RW, L(W, SH, 0, 8), 2, {BIG - 1}, .expect = KEEL_IO_EOVERFLOW},
    {"read of 32 at 2^63-10", T_RW, L(R, SH, 0, 32), 1, {BIG - 10}, .expect = KEEL_IO_EOVERFLOW},
    {"LONG write of 4096 at 2^63-100",
     T_RW,
     L(W, LO, 0, 4096),
     2,
     {BIG - 100, 0},
     .expect = KEEL_IO_EOVERFLOW},
    /* BUF, CLOSE, FLUSH shapes. */
    {"BUF index 1 of 1", T_RW, L(KEEL_OP_BUF, SH, 0, 0), 1, {1}, .expect = KEEL_IO_EINVAL},
    {"BUF index 2^64-1", T_RW, L(KEEL_OP_BUF, SH, 0, 0), 1, {~0ull}, .expect = KEEL_IO_EINVAL},
    {"BUF without an index", T_RW, L(KEEL_OP_BUF, SH, 0, 0), 0, .expect = KEEL_IO_EINVAL},
    {"BUF with a count", T_RW, L(KEEL_OP_BUF, SH, 0, 5), 1, .expect = KEEL_IO_EINVAL},
    {"BUF in MEDIUM mode", T_RW, L(KEEL_OP_BUF, ME, 0, 0), 1, .expect = KEEL_IO_EINVAL},
    {"CLOSE with a word", T_RW, L(KEEL_OP_CLOSE, SH, 0, 0), 1, .expect = KEEL_IO_EINVAL},
    {"CLOSE with a count", T_RW, L(KEEL_OP_CLOSE, SH, 0, 3), 0, .expect = KEEL_IO_EINVAL},
    {"CLOSE with CONT", T_RW, L(KEEL_OP_CLOSE, SH, 1, 0), 0, .expect = KEEL_IO_EINVAL},
    {"FLUSH with flags", T_RW, L(KEEL_OP_FLUSH, SH, 1, 0), 0, .expect = KEEL_IO_EINVAL},
    {"FLUSH in MEDIUM mode", T_RW, L(KEEL_OP_FLUSH, ME, 0, 0), 0, .expect = KEEL_IO_EINVAL},
    /* What the open allows. */
    {"LONG read without a buffer", T_NOBUF, L(R, LO, 0, 8), 2, .expect = KEEL_IO_EINVAL},
    {"LONG write without a buffer", T_NOBUF, L(W, LO, 0, 8), 2, .expect = KEEL_IO_EINVAL},
    {"BUF without a buffer", T_NOBUF, L(KEEL_OP_BUF, SH, 0, 0), 1, .expect = KEEL_IO_EINVAL},
    {"write to a read-only open", T_RO, L(W, SH, 0, 4), 2, .expect = KEEL_IO_EBADF},
    {"read from a write-only open", T_WO, L(R, SH, 0, 4), 1, .expect = KEEL_IO_EBADF},
    {"LONG read from a write-only open", T_WO, L(R, LO, 0, 4), 2, .expect = KEEL_IO_EBADF},
    /* The server's open cap. */
    {"READ on the open cap", T_OPEN, L(R, SH, 0, 8), 1, .expect = KEEL_IO_EBADF},
    {"CLOSE on the open cap", T_OPEN, L(KEEL_OP_CLOSE, SH, 0, 0), 0, .expect = KEEL_IO_EBADF},
    {"OPEN of a path with a NUL",
     T_OPEN,
     L(KEEL_OP_OPEN, SH, 0, 3),
     2,
     {KEEL_O_RDWR},
     "a\0b",
     3,
     .expect = KEEL_IO_EINVAL},
    {"OPEN of a 945-byte path", T_OPEN, L(KEEL_OP_OPEN, ME, 0, 945), 120, .nbytes = 945,
     .fill = 'a', .expect = KEEL_IO_ENAMETOOLONG},
    {"OPEN path beyond the message", T_OPEN, L(KEEL_OP_OPEN, ME, 0, 100), 2, .nbytes = 8,
     .fill = 'a', .expect = KEEL_IO_EMSGSIZE},
    {"SHORT OPEN of 25 bytes", T_OPEN, L(KEEL_OP_OPEN, SH, 0, 25), 5, .nbytes = 25, .fill = 'a',
     .expect = KEEL_IO_EMSGSIZE},
    {"OPEN in LONG mode", T_OPEN, L(KEEL_OP_OPEN, LO, 0, 1), 2, .nbytes = 1, .fill = 'm',
     .expect = KEEL_IO_EINVAL},
    {"OPEN with an unknown flag",
     T_OPEN,
     L(KEEL_OP_OPEN, SH, 0, 1),
     2,
     {0x100000},
     "m",
     1,
     .expect = KEEL_IO_EINVAL},
    {"OPEN with access mode 3",
     T_OPEN,
     L(KEEL_OP_OPEN, SH, 0, 1),
     2,
     {3},
     "m",
     1,
     .expect = KEEL_IO_EINVAL},
    {"OPEN with CONT", T_OPEN, L(KEEL_OP_OPEN, SH, 1, 1), 2, {0}, "m", 1, .expect = KEEL_IO_EINVAL},
    {"OPEN of a missing file",
     T_OPEN,
     L(KEEL_OP_OPEN, SH, 0, 4),
     2,
     {0},
     "nope",
     4,
     .expect = KEEL_IO_ENOENT},
    {"OPEN creating a 40-byte name",
     T_OPEN,
     L(KEEL_OP_OPEN, ME, 0, 40),
     6,
     {KEEL_O_CREAT},
     .nbytes = 40,
     .fill = 'n',
     .expect = KEEL_IO_ENAMETOOLONG},
    /* The name server, through a client cap. */
    {"op 0 at the name server", T_NS, L(0, SH, 0, 0), 0, .expect = KEEL_IO_ENOSYS},
    {"READ at the name server", T_NS, L(R, SH, 0, 8), 1, .expect = KEEL_IO_ENOSYS},
    {"ATTACH with a client cap",
     T_NS,
     L(KEEL_OP_ATTACH, SH, 0, 2),
     2,
     {0},
     "/x",
     2,
     .cap = C_OPEN,
     .expect = KEEL_IO_EPERM},
    {"DETACH with a client cap",
     T_NS,
     L(KEEL_OP_DETACH, SH, 0, 4),
     2,
     {0},
     "/ram",
     4,
     .expect = KEEL_IO_EPERM},
    {"OPEN of a relative path",
     T_NS,
     L(KEEL_OP_OPEN, SH, 0, 5),
     2,
     {0},
     "ram/m",
     5,
     .expect = KEEL_IO_ENOENT},
    {"OPEN path beyond the message (ns)", T_NS, L(KEEL_OP_OPEN, ME, 0, 200), 3, .nbytes = 16,
     .fill = '/', .expect = KEEL_IO_EMSGSIZE},
    {"OPEN path with a NUL (ns)",
     T_NS,
     L(KEEL_OP_OPEN, SH, 0, 6),
     2,
     {0},
     "/ram\0m",
     6,
     .expect = KEEL_IO_EINVAL},
    {"OPEN with CONT (ns)",
     T_NS,
     L(KEEL_OP_OPEN, SH, 1, 6),
     2,
     {0},
     "/ram/m",
     6,
     .expect = KEEL_IO_EINVAL},
    /* The name server, through an admin cap (a compromised server). */
    {"ATTACH without a cap",
     T_ADMIN,
     L(KEEL_OP_ATTACH, SH, 0, 2),
     2,
     {0},
     "/x",
     2,
     .expect = KEEL_IO_EINVAL},
    {"ATTACH of the name server's own cap",
     T_ADMIN,
     L(KEEL_OP_ATTACH, SH, 0, 2),
     2,
     {0},
     "/x",
     2,
     .cap = C_ADMIN,
     .expect = KEEL_IO_EINVAL},
    {"ATTACH at a prefix without /",
     T_ADMIN,
     L(KEEL_OP_ATTACH, SH, 0, 1),
     2,
     {0},
     "x",
     1,
     .cap = C_OPEN,
     .expect = KEEL_IO_EINVAL},
    {"ATTACH at a 70-byte prefix",
     T_ADMIN,
     L(KEEL_OP_ATTACH, ME, 0, 70),
     10,
     {0},
     .nbytes = 70,
     .fill = '/',
     .cap = C_OPEN,
     .expect = KEEL_IO_ENAMETOOLONG},
    {"ATTACH at /ram again",
     T_ADMIN,
     L(KEEL_OP_ATTACH, SH, 0, 4),
     2,
     {0},
     "/ram",
     4,
     .cap = C_OPEN,
     .expect = KEEL_IO_EEXIST},
    {"DETACH of an unknown prefix",
     T_ADMIN,
     L(KEEL_OP_DETACH, SH, 0, 2),
     2,
     {0},
     "/y",
     2,
     .expect = KEEL_IO_ENOENT},
    {"OPEN carrying a cap",
     T_ADMIN,
     L(KEEL_OP_OPEN, SH, 0, 6),
     2,
     {0},
     "/ram/m",
     6,
     .cap = C_OPEN,
     .expect = KEEL_IO_EINVAL},
    {"DETACH carrying a cap",
     T_ADMIN,
     L(KEEL_OP_DETACH, SH, 0, 4),
     2,
     {0},
     "/ram",
     4,
     .cap = C_OPEN,
     .expect = KEEL_IO_EINVAL},
    /* The client's own side of the buffer and caps. */
    {"LONG write after unmapping the buffer", T_RW, L(W, LO, 0, 16), 2, .special = S_UNMAP,
     .expect = OK},
    {"LONG read after deleting the frame cap", T_RW, L(R, LO, 0, 16), 2, .special = S_DELETE_FRAME,
     .expect = OK},
    {"a call through a deleted file cap", T_RO, L(R, SH, 0, 8), 1, .special = S_DELETE_CAP,
     .expect = KERNEL},
    {"a call after CLOSE", T_WO, L(W, SH, 0, 8), 2, .special = S_CLOSE_FIRST, .expect = KERNEL},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static seL4_CPtr caps[T_COUNT];
static seL4_CPtr rw_frame;
static volatile size_t cur;
static seL4_Word got_label;

static void run_case(const hcase_t *h)
{
    seL4_IPCBuffer *b = seL4_GetIPCBuffer();
    for (int i = 0; i < 4; i++) {
        seL4_SetMR(i, h->mr[i]);
    }
    if (h->bytes != NULL) {
        memcpy(&b->msg[1], h->bytes, h->nbytes);
    } else if (h->fill != 0) {
        memset(&b->msg[1], h->fill, h->nbytes);
    }
    switch (h->special) {
    case S_UNMAP:
        T_CHECK(seL4_X86_Page_Unmap(rw_frame) == seL4_NoError);
        break;
    case S_DELETE_FRAME:
        T_CHECK(seL4_CNode_Delete(IW_CNODE, rw_frame, seL4_WordBits) == seL4_NoError);
        break;
    case S_DELETE_CAP:
        T_CHECK(seL4_CNode_Delete(IW_CNODE, caps[h->target], seL4_WordBits) == seL4_NoError);
        break;
    case S_CLOSE_FIRST: {
        seL4_MessageInfo_t r =
            seL4_Call(caps[h->target], seL4_MessageInfo_new(L(KEEL_OP_CLOSE, SH, 0, 0), 0, 0, 0));
        T_CHECK(seL4_MessageInfo_get_label(r) == keel_proto_result(0, 0));
        seL4_SetMR(0, h->mr[0]);
        break;
    }
    default:
        break;
    }
    seL4_Word extra = 0;
    if (h->cap != C_NONE) {
        seL4_SetCap(0, h->cap == C_OPEN ? M_OPEN : M_ADMIN);
        extra = 1;
    }
    seL4_MessageInfo_t r =
        seL4_Call(caps[h->target], seL4_MessageInfo_new(h->label, 0, extra, h->len));
    got_label = seL4_MessageInfo_get_label(r);
}

static void mallory(it_client_t *c)
{
    /* A second descriptor table without buffers, in slots of its own. */
    static keel_io_t io2;
    static keel_fd_t fds2[2];
    keel_io_config_t cfg2 = c->io.cfg;
    cfg2.fds = fds2;
    cfg2.nfds = 2;
    cfg2.slots = M_SLOTS2;
    cfg2.buf_frames = 0;
    T_CHECK(keel_io_init(&io2, &cfg2) == 0);
    int rw = keel_open(&c->io, "/ram/m", KEEL_O_RDWR | KEEL_O_CREAT);
    int ro = keel_open(&c->io, "/ram/m", KEEL_O_RDONLY);
    int wo = keel_open(&c->io, "/ram/m", KEEL_O_WRONLY);
    int nobuf = keel_open(&io2, "/ram/m", KEEL_O_RDWR);
    T_CHECK(rw >= 0 && ro >= 0 && wo >= 0 && nobuf >= 0);
    caps[T_RW] = c->fds[rw].cap;
    caps[T_RO] = c->fds[ro].cap;
    caps[T_WO] = c->fds[wo].cap;
    caps[T_NOBUF] = fds2[nobuf].cap;
    caps[T_NS] = IW_NS;
    caps[T_ADMIN] = M_ADMIN;
    caps[T_OPEN] = M_OPEN;
    rw_frame = c->fds[rw].cap + 1;
    /* A server's open cap, asked of the name server by hand. */
    seL4_SetCapReceivePath(IW_CNODE, M_OPEN, seL4_WordBits);
    seL4_SetMR(0, 0);
    memcpy(&seL4_GetIPCBuffer()->msg[1], "/ram", 4);
    seL4_MessageInfo_t r =
        seL4_Call(IW_NS, seL4_MessageInfo_new(L(KEEL_OP_OPEN, SH, 0, 4), 0, 0, 2));
    T_CHECK(seL4_MessageInfo_get_extraCaps(r) == 1);
    seL4_SetCapReceivePath(0, 0, 0);
    for (;;) {
        seL4_Signal(IT_DONE);
        seL4_Word badge;
        seL4_Wait(M_GO, &badge);
        run_case(&cases[cur]);
    }
}

/* The well-behaved client: still served? */
static void good_client_check(int fd, size_t step)
{
    uint8_t w[16], r[16];
    it_fill(w, sizeof(w), (unsigned)step, 0);
    assert_int_equal(keel_pwrite(&it_io, fd, w, sizeof(w), step * 16), 16);
    assert_int_equal(keel_pread(&it_io, fd, r, sizeof(r), step * 16), 16);
    assert_memory_equal(w, r, sizeof(w));
    if (step % 10 == 0) {
        int other = keel_open(&it_io, "/ram/good", KEEL_O_RDONLY);
        assert_true(other >= 0);
        assert_int_equal(keel_close(&it_io, other), 0);
    }
}

static void malformed_requests(void **state)
{
    (void)state;
    it_boot(1);
    iw_server_t *s = it_server("/ram", NULL);
    int good = keel_open(&it_io, "/ram/good", KEEL_O_RDWR | KEEL_O_CREAT);
    assert_true(good >= 0);
    seL4_CPtr done = iw_ntfn(), go = iw_ntfn();
    it_client_t *m = it_client("mallory", mallory, 0, 1, done);
    assert_int_equal(iw_give(m->cnode, M_GO, go), seL4_NoError);
    assert_int_equal(iw_give(m->cnode, M_ADMIN, iw.ns_admin), seL4_NoError);
    (void)tt_wait(done); /* mallory is set up */
    TT_CHECKS();
    size_t errors = 0;
    for (size_t i = 0; i < NCASES; i++) {
        const hcase_t *h = &cases[i];
        cur = i;
        seL4_Signal(go);
        (void)tt_wait(done);
        if (h->expect == KERNEL) {
            assert_int_equal(got_label, seL4_InvalidCapability);
        } else if (h->expect == OK) {
            assert_true(keel_proto_is_reply(got_label) && !keel_proto_is_error(got_label));
        } else if (got_label != keel_proto_error((unsigned)h->expect)) {
            print_error("%s: got label %#lx, expected errno %d\n", h->what,
                        (unsigned long)got_label, h->expect);
            errors++;
        }
        good_client_check(good, i);
        it_check();
    }
    assert_int_equal(errors, 0);
    TT_CHECKS();
    print_message("%zu malformed requests, each answered; the good client served after each\n",
                  NCASES);
    /* The name server's receive slot is empty again: a real attach still works. */
    assert_int_equal(keel_ns_attach(iw.ns_admin, "/again", keel_server_open_cap(&s->srv)), 0);
    int fd = keel_open(&it_io, "/again/good", KEEL_O_RDONLY);
    assert_true(fd >= 0);
    it_shutdown();
}

/* Badges that name no open file: stale (after close), foreign, unbadged. */
static void stale_and_foreign_badges(void **state)
{
    (void)state;
    it_boot(1);
    iw_server_t *s = it_server("/ram", NULL);
    int fd = keel_open(&it_io, "/ram/f", KEEL_O_RDWR | KEEL_O_CREAT);
    keel_model_cap_info info;
    assert_int_equal(keel_model_cap(it_fds[fd].cap, &info), 0);
    seL4_Word badge = info.badge;
    assert_int_equal(keel_close(&it_io, fd), 0);
    fd = keel_open(&it_io, "/ram/f", KEEL_O_RDWR); /* the same table slot, a new generation */
    assert_int_equal(keel_model_cap(it_fds[fd].cap, &info), 0);
    assert_int_equal(info.badge & 0xffff, badge & 0xffff);
    const seL4_Word bad[] = {badge, 0, 0xffff, badge + (2ull << 16), 1ull << 63, ~0ull};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        seL4_SetMR(0, 0);
        seL4_MessageInfo_t r =
            keel_server_handle(&s->srv, seL4_MessageInfo_new(L(R, SH, 0, 8), 0, 0, 1), bad[i]);
        assert_int_equal(seL4_MessageInfo_get_label(r), keel_proto_error(KEEL_IO_EBADF));
    }
    assert_int_equal(keel_write(&it_io, fd, "fine", 4), 4);
    it_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_requests),
        cmocka_unit_test(stale_and_foreign_badges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
