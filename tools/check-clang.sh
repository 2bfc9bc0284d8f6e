#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The whole tree builds with clang and -Werror too (plain variant; gcc builds the rest).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?build directory}
CC=${CLANG:-clang} cmake -S "$root" -B "$out" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DKEEL_WERROR=ON -DKEEL_SANITIZERS=OFF -DKEEL_BUILD_CHECKS=OFF >/dev/null
cmake --build "$out" -j "$(nproc)"
