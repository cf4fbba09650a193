#!/usr/bin/env bash
# Builds libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time. Used by the
# `fuzz` CTest label; also by hand:
#   tests/fuzz/run_fuzz.sh BUILD_DIR [SECONDS] [TARGET ...]
# Targets (tests/fuzz/fuzz_<target>.cpp): esp (golden classifier and ESP decap), isakmp, l2tp, ppp,
# mailbox (the line-module mailbox codec and the firmware's request handler).
# With no target named, every target whose source exists runs, SECONDS each.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?build dir}
seconds=${2:-30}
shift $(( $# >= 2 ? 2 : $# ))
cxx=$(command -v clang++-14 || command -v clang++ || true)
if [ -z "$cxx" ]; then
  echo "clang++ not found: run scripts/setup-debian.sh" >&2
  exit 1
fi

# The library sources each target links, by component directory (every src/*.cpp in it).
components_of() {
  case "$1" in
    esp) echo "sim/golden" ;;
    isakmp) echo "sim/golden host/common host/ipsec host/ike" ;;
    l2tp) echo "sim/golden host/common host/ipsec host/l2tp" ;;
    ppp) echo "sim/golden host/common host/ppp" ;;
    mailbox) echo "sim/golden host/common firmware" ;;
    *) echo "unknown fuzz target $1" >&2; return 1 ;;
  esac
}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for t in esp isakmp l2tp ppp mailbox; do
    [ -f "$src/tests/fuzz/fuzz_$t.cpp" ] && targets+=("$t")
  done
fi

out="$build/fuzz"
mkdir -p "$out"
status=0
for t in "${targets[@]}"; do
  comps=$(components_of "$t")
  incs=(-I"$build/generated")
  srcs=()
  for c in $comps; do
    incs+=(-I"$src/$c/include")
    for f in "$src/$c"/src/*.cpp; do
      # The line-module back end needs the driver and firmware; no fuzz target drives it.
      case "$f" in */host/ipsec/src/line_module_backend.cpp) continue ;; esac
      srcs+=("$f")
    done
  done
  # Test-side peers some targets drive the code with.
  case "$t" in
    ppp) incs+=(-I"$src/tests/host/ppp"); srcs+=("$src/tests/host/ppp/test_peer.cpp") ;;
    isakmp) incs+=(-I"$src/tests/host/ike") ;;
    mailbox) incs+=(-I"$src/tests/firmware") ;;
  esac
  exe="$out/fuzz_$t"
  newer=$(find $(for c in $comps; do echo "$src/$c"; done) "$src/tests/fuzz" "$src/tests/host" -newer "$exe" \
            -name '*.[ch]pp' -print -quit 2>/dev/null || true)
  if [ ! -x "$exe" ] || [ -n "$newer" ]; then
    echo "== building fuzz_$t"
    "$cxx" -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
      "${incs[@]}" -o "$exe" "$src/tests/fuzz/fuzz_$t.cpp" "${srcs[@]}" -lcrypto
  fi
  corpus="$out/corpus_$t"
  mkdir -p "$corpus"
  # Seeds: one byte per path selector, so every path starts covered.
  for i in 0 1 2 3; do printf "\\x0$i\\x00" > "$corpus/seed$i"; done
  printf '\x02\x01\x0b' > "$corpus/seed_info"
  echo "== fuzz_$t for ${seconds}s"
  if ! "$exe" -max_total_time="$seconds" -max_len=2048 -print_final_stats=1 -rss_limit_mb=2048 \
      "$corpus" > "$out/fuzz_$t.log" 2>&1; then
    status=1
  fi
  tail -25 "$out/fuzz_$t.log"
done
exit $status
