#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# The library must build for seL4 without a C library: compile every source under src/ with
# clang for bare x86_64 and aarch64, freestanding, with no system headers at all (only the
# compiler's own freestanding headers and libsel4's), warnings as errors. Also checks that
# no library file includes the model's own API.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
clang=${CLANG:-clang}
resource=$("$clang" -print-resource-dir)
status=0
if grep -rnE '#include +[<"](keel/model\.h|kernel\.h)' "$root/src" "$root/include"; then
    echo "layering: the library includes the model's API" >&2
    status=1
fi
for target in x86_64-unknown-none-elf aarch64-unknown-none-elf; do
    for f in $(find "$root/src" -name '*.c' | sort); do
        if ! "$clang" --target=$target -std=c11 -ffreestanding -fno-builtin -nostdinc \
            -isystem "$resource/include" -I "$root/include" -I "$root/model/include" \
            -I "$root/src" -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion \
            -Wstrict-prototypes -Wmissing-prototypes -Werror -O2 -c "$f" -o /dev/null; then
            echo "freestanding build failed: $f ($target)" >&2
            status=1
        fi
    done
    echo "freestanding $target: $(find "$root/src" -name '*.c' | wc -l) files"
done
exit $status
