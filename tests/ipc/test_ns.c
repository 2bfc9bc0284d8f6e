/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The name server: prefixes matched by whole components, longest first; attach and detach
 * and their errors; the caps it holds; opening through it from a client CSpace.
 */
#include <string.h>

#include "ipc_test.h"

static uint8_t buf[64];

/* Write `tag` to `path` (created) and read back, through the root's descriptors. */
static void tag(const char *path, const char *text)
{
    int fd = keel_open(&it_io, path, KEEL_O_RDWR | KEEL_O_CREAT | KEEL_O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(keel_write(&it_io, fd, text, strlen(text)), (int64_t)strlen(text));
    assert_int_equal(keel_close(&it_io, fd), 0);
}

/* Which server holds file `name` (each server's ramfs is looked at directly). */
static int holder(iw_server_t **s, int n, const char *name)
{
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < s[i]->fs.max_nodes; j++) {
            if (s[i]->nodes[j].used && strcmp(s[i]->nodes[j].name, name) == 0) {
                return i;
            }
        }
    }
    return -1;
}

static void longest_prefix_by_components(void **state)
{
    (void)state;
    it_boot(1);
    iw_server_t *s[3];
    s[0] = it_server("/a", NULL);
    s[1] = it_server("/a/b", NULL);
    s[2] = it_server("/", NULL);
    tag("/a/x", "1");   /* /a gets "x" */
    tag("/a/b/y", "2"); /* /a/b gets "y" */
    tag("/a/bc", "3");  /* not /a/b: "bc" at /a */
    tag("/ab", "4");    /* not /a: "ab" at / */
    assert_int_equal(keel_open(&it_io, "/a/b", KEEL_O_CREAT), -KEEL_IO_ENOENT); /* "" */
    assert_int_equal(holder(s, 3, "x"), 0);
    assert_int_equal(holder(s, 3, "y"), 1);
    assert_int_equal(holder(s, 3, "bc"), 0);
    assert_int_equal(holder(s, 3, "ab"), 2);
    it_shutdown();
}

static void attach_and_detach(void **state)
{
    (void)state;
    it_boot(1);
    iw_server_t *a = it_server("/a", NULL);
    seL4_CPtr open_cap = keel_server_open_cap(&a->srv);
    seL4_CPtr admin = iw.ns_admin, client = iw.ns_client;
    size_t eps = keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT);
    assert_int_equal(keel_ns_attach(admin, "/a", open_cap), -KEEL_IO_EEXIST);
    assert_int_equal(keel_ns_attach(admin, "a", open_cap), -KEEL_IO_EINVAL);
    assert_int_equal(keel_ns_attach(admin, "", open_cap), -KEEL_IO_EINVAL);
    char longp[80];
    memset(longp, 'p', sizeof(longp) - 1);
    longp[0] = '/';
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(keel_ns_attach(admin, longp, open_cap), -KEEL_IO_ENAMETOOLONG);
    assert_int_equal(keel_ns_attach(admin, "/b", 0), -KEEL_IO_EINVAL); /* no cap */
    assert_int_equal(keel_ns_attach(client, "/b", open_cap), -KEEL_IO_EPERM);
    assert_int_equal(keel_ns_detach(client, "/a"), -KEEL_IO_EPERM);
    assert_int_equal(keel_ns_detach(admin, "/nothing"), -KEEL_IO_ENOENT);
    /* Refused caps were not kept: the name server holds as many caps as before. */
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps);
    keel_ns_stats_t st;
    keel_ns_stats(&iw.ns, &st);
    /* EEXIST, EINVAL twice, ENAMETOOLONG; a client cap has no Grant: its cap never came. */
    assert_int_equal(st.caps_dropped, 4);
    /* One server at several prefixes; detach one, the other stays. */
    assert_int_equal(keel_ns_attach(admin, "/b", open_cap), 0);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps + 1);
    tag("/b/f", "via b");
    assert_int_equal(keel_ns_detach(admin, "/a"), 0);
    assert_int_equal(keel_open(&it_io, "/a/f", KEEL_O_RDONLY), -KEEL_IO_ENOENT);
    int fd = keel_open(&it_io, "/b/f", KEEL_O_RDONLY);
    assert_int_equal(keel_read(&it_io, fd, buf, sizeof(buf)), 5);
    assert_int_equal(keel_ns_detach(admin, "/a"), -KEEL_IO_ENOENT);
    assert_int_equal(keel_model_cap_count(KEEL_MODEL_CAP_ENDPOINT), eps + 2); /* fd's 2 caps */
    /* The table is full at 16 mounts. */
    for (int i = 0; i < 15; i++) {
        char p[16];
        snprintf(p, sizeof(p), "/m%d", i);
        assert_int_equal(keel_ns_attach(admin, p, open_cap), 0);
    }
    assert_int_equal(keel_ns_attach(admin, "/full", open_cap), -KEEL_IO_ENOSPC);
    assert_int_equal(keel_ns_detach(admin, "/m3"), 0);
    assert_int_equal(keel_ns_attach(admin, "/m3", open_cap), 0);
    it_shutdown();
}

static void opener(it_client_t *c)
{
    int fd = keel_open(&c->io, "/srv/hello", KEEL_O_RDONLY);
    T_CHECK(fd == 0);
    char b[16] = {0};
    T_CHECK(keel_read(&c->io, fd, b, sizeof(b)) == 5 && strcmp(b, "world") == 0);
    /* The client's CSpace holds the file cap and a buffer frame, and nothing else new. */
    keel_io_stats_t st;
    keel_io_stats(&c->io, &st);
    c->result = (int64_t)st.calls;
    T_CHECK(keel_close(&c->io, fd) == 0);
}

/* Opening from a CSpace of its own: name server, server, one BUF call per frame. */
static void open_from_a_client_cspace(void **state)
{
    (void)state;
    it_boot(1);
    iw_server_opts_t o = {.buf_bits = 1};
    it_server("/srv", &o);
    tag("/srv/hello", "world");
    seL4_CPtr done = iw_ntfn();
    it_client_t *c = it_client("opener", opener, 0, 2, done);
    it_join(&c, 1, done);
    assert_int_equal(c->result, 5); /* name server, server, 2 BUF calls, the read */
    it_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(longest_prefix_by_components),
        cmocka_unit_test(attach_and_detach),
        cmocka_unit_test(open_from_a_client_cspace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
