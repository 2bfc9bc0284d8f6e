/* SPDX-License-Identifier: BSD-2-Clause */
#include <string.h>

#include "ipc_test.h"

static void smoke(void **state)
{
    (void)state;
    it_boot(4);
    it_server("/ram", NULL);
    int fd = keel_open(&it_io, "/ram/a", KEEL_O_RDWR | KEEL_O_CREAT);
    assert_true(fd >= 0);
    assert_int_equal(keel_write(&it_io, fd, "hello", 5), 5);
    assert_int_equal(keel_lseek(&it_io, fd, 0, KEEL_SEEK_SET), 0);
    char buf[16] = {0};
    assert_int_equal(keel_read(&it_io, fd, buf, sizeof(buf)), 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(keel_close(&it_io, fd), 0);
    it_shutdown();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(smoke),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
