#!/usr/bin/env bash
# Builds the golden model's libFuzzer target with clang (ASan + UBSan) and runs it for a bounded
# time. Used by the `fuzz` CTest label; also by hand:
#   tests/fuzz/run_fuzz.sh BUILD_DIR [SECONDS]
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?build dir}
seconds=${2:-30}
out="$build/fuzz"
mkdir -p "$out/corpus"
cxx=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$cxx" ]; then
  echo "clang++ not found: run scripts/setup-debian.sh" >&2
  exit 1
fi
flags=(-std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$src/sim/golden/include" -I"$build/generated")
if [ ! -x "$out/fuzz_esp" ] || [ -n "$(find "$src/sim/golden" "$src/tests/fuzz" -newer "$out/fuzz_esp" -name '*.[ch]pp' -print -quit)" ]; then
  "$cxx" "${flags[@]}" -o "$out/fuzz_esp" "$src/tests/fuzz/fuzz_esp.cpp" "$src"/sim/golden/src/*.cpp -lcrypto
fi
# Seeds: one byte per path selector, so every path starts covered.
printf '\x00' > "$out/corpus/seed0"
printf '\x01' > "$out/corpus/seed1"
printf '\x02\x00' > "$out/corpus/seed2"
"$out/fuzz_esp" -max_total_time="$seconds" -max_len=2048 -print_final_stats=1 \
  -rss_limit_mb=2048 "$out/corpus" 2>&1 | tail -25
