#!/bin/sh
# Synthesises the ESP engines (rtl/esp) for a Xilinx Kintex-7 (the KC705's xc7k325t) with yosys
# synth_xilinx, hierarchy kept, and prints LUT/FF/BRAM of one decap lane and one encap lane (the
# crypto cores inside them are broken down by run-synth.sh). LANES lanes cost LANES times this.
# Usage: constraints/synth/run-synth-esp.sh [build-dir [log-file]]
#   build-dir: a configured build tree, for generated/lm_regs.vh (default: build)
# Environment: YOSYS (default: yosys). Yosys counts about 1.5x the LUTs Vivado reports.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
yosys=${YOSYS:-yosys}
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
if [ $# -ge 2 ]; then
  log=$2
else
  log=$(mktemp "${TMPDIR:-/tmp}/l2sec-synth-esp.XXXXXX.log")
fi
command -v "$yosys" >/dev/null 2>&1 || { echo "run-synth-esp.sh: $yosys not found" >&2; exit 1; }
[ -f "$build/generated/lm_regs.vh" ] || { echo "run-synth-esp.sh: no $build/generated/lm_regs.vh (configure first)" >&2; exit 1; }

cd "$root"
crypto="rtl/crypto/aes_core.v rtl/crypto/aes_key_mem.v rtl/crypto/aes_enc_round.v rtl/crypto/aes_dec_round.v rtl/crypto/aes_sbox.v rtl/crypto/aes_inv_sbox.v rtl/crypto/sha1_core.v rtl/crypto/sha1_w_mem.v rtl/crypto/sha256_core.v rtl/crypto/sha256_w_mem.v rtl/crypto/sha256_k_constants.v"
esp="rtl/esp/lm_esp_decap.v rtl/esp/lm_esp_encap.v rtl/esp/lm_esp_hmac.v rtl/esp/lm_esp_buf.v rtl/sa/lm_sa_ram.v rtl/parser/lm_sync_fifo.v"
script=""
for top in lm_esp_decap lm_esp_encap; do
  script="$script read_verilog -defer -I$build/generated $esp $crypto;"
  script="$script synth_xilinx -family xc7 -top $top -noiopad -noclkbuf;"
  script="$script log @@core $top; stat; design -reset;"
done
"$yosys" -q -l "$log" -p "$script" 2>/dev/null

echo "ESP engines, yosys $("$yosys" -V | awk '{print $2}') synth_xilinx -family xc7 (xc7k325t), CAPACITY 4096 (log: $log)"
awk '
  function flush() {
    if (core == "") return
    lut = c["LUT1"] + c["LUT2"] + c["LUT3"] + c["LUT4"] + c["LUT5"] + c["LUT6"]
    lutram = 4 * (c["RAM32M"] + c["RAM64M"] + c["RAM128X1D"] + c["RAM256X1S"]) \
           + 2 * (c["RAM32X1D"] + c["RAM64X1D"] + c["RAM128X1S"]) \
           + c["RAM32X1S"] + c["RAM64X1S"] + c["SRL16E"] + c["SRLC32E"]
    ff = c["FDRE"] + c["FDSE"] + c["FDCE"] + c["FDPE"]
    printf "| %-14s | %6d | %6d | %6d | %6d | %6d | %5d/%-5d | %5d/%-5d | %4d |\n", \
      core, lut, lutram, lut + lutram, ff, c["CARRY4"], c["MUXF7"], c["MUXF8"], \
      c["RAMB36E1"], c["RAMB18E1"], c["DSP48E1"]
    core = ""
    delete c
  }
  BEGIN {
    printf "| %-14s | %6s | %6s | %6s | %6s | %6s | %-11s | %-11s | %4s |\n", \
      "block", "LUT", "LUTRAM", "LUTsum", "FF", "CARRY4", "MUXF7/F8", "RAMB36/18", "DSP"
    printf "|----------------|--------|--------|--------|--------|--------|-------------|-------------|------|\n"
  }
  # After each "@@core <name>" marker, the "design hierarchy" totals of the stat command follow.
  /^@@core/ { flush(); pending = $2; inhier = 0; incells = 0; next }
  pending != "" && /=== design hierarchy ===/ { core = pending; pending = ""; inhier = 1; next }
  inhier && /Number of cells:/ { incells = 1; next }
  inhier && incells && NF == 2 && $2 ~ /^[0-9]+$/ { c[$1] += $2; next }
  inhier && incells && NF == 0 { flush(); inhier = 0; incells = 0; next }
  END { flush() }
' "$log"
