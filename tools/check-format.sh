#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Every C source and header follows .clang-format (fix with: clang-format -i FILE).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fmt=${CLANG_FORMAT:-clang-format}
cd "$root"
bad=0
while IFS= read -r -d '' f; do
    if ! "$fmt" --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f"
        bad=1
    fi
done < <(find include src model tests bench tools examples -name '*.[ch]' -print0 | sort -z)
exit $bad
