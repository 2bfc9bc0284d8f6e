/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The keel command-line tool (host only): `keel demo` boots a model world and shows Keel at
 * work; `keel bootinfo [ram-MiB]` prints a world's BootInfo.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"

static int usage(void)
{
    fputs("usage: keel demo            boot the model world and show Keel at work\n"
          "       keel bootinfo [MiB]  print the BootInfo of a model world (default 512 MiB)\n",
          stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "demo") == 0) {
        return demo_run();
    }
    if (strcmp(argv[1], "bootinfo") == 0) {
        unsigned long mib = argc > 2 ? strtoul(argv[2], NULL, 0) : 512;
        return demo_bootinfo(mib);
    }
    return usage();
}
