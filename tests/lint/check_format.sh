#!/usr/bin/env bash
# Fails when a tracked C++ file is not clang-format clean (style from .clang-format).
set -euo pipefail
cd "$(dirname "$0")/../.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' '*.h' 2>/dev/null || true)
if [ ${#files[@]} -eq 0 ]; then
  mapfile -t files < <(find sim tests driver firmware host bench -name '*.cpp' -o -name '*.hpp' 2>/dev/null)
fi
clang-format --dry-run --Werror "${files[@]}"
echo "clang-format: ${#files[@]} files clean"
