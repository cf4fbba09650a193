#!/bin/sh
# Synthesises the line-module top's own blocks (rtl/top, rtl/common) for a Xilinx Kintex-7 (the
# KC705's xc7k325t) with yosys synth_xilinx and prints LUT/FF/BRAM per block. The big blocks inside
# lm_top have their own scripts: run-synth-esp.sh (a decap and an encap lane; lm_top has LANES of
# each), run-synth.sh (parser, SA table, crypto cores). FULL=1 also synthesises the whole lm_top
# (LANES lanes, default 4; CAPACITY=4096) in one run: about 4 minutes and 1.3 GB peak for LANES=4
# or 8 (each distinct module is synthesised once); FULL=only synthesises just the whole lm_top.
# Usage: constraints/synth/run-synth-top.sh [build-dir [log-file]]
#   build-dir: a configured build tree, for generated/lm_regs.vh (default: build)
# Environment: YOSYS (default: yosys), FULL (0, 1, only), LANES (4). Yosys counts about 1.5x the
# LUTs Vivado reports.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
yosys=${YOSYS:-yosys}
build=${1:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
if [ $# -ge 2 ]; then
  log=$2
else
  log=$(mktemp "${TMPDIR:-/tmp}/l2sec-synth-top.XXXXXX.log")
fi
command -v "$yosys" >/dev/null 2>&1 || { echo "run-synth-top.sh: $yosys not found" >&2; exit 1; }
[ -f "$build/generated/lm_regs.vh" ] || { echo "run-synth-top.sh: no $build/generated/lm_regs.vh (configure first)" >&2; exit 1; }

cd "$root"
crypto="rtl/crypto/aes_core.v rtl/crypto/aes_key_mem.v rtl/crypto/aes_enc_round.v rtl/crypto/aes_dec_round.v rtl/crypto/aes_sbox.v rtl/crypto/aes_inv_sbox.v rtl/crypto/sha1_core.v rtl/crypto/sha1_w_mem.v rtl/crypto/sha256_core.v rtl/crypto/sha256_w_mem.v rtl/crypto/sha256_k_constants.v"
esp="rtl/esp/lm_esp_decap_lanes.v rtl/esp/lm_esp_encap_lanes.v rtl/esp/lm_esp_dispatch.v rtl/esp/lm_esp_collect.v rtl/esp/lm_esp_arb.v rtl/esp/lm_esp_decap.v rtl/esp/lm_esp_encap.v rtl/esp/lm_esp_hmac.v rtl/esp/lm_esp_buf.v"
other="rtl/sa/lm_sa_ram.v rtl/sa/lm_sa_table.v rtl/parser/lm_sync_fifo.v rtl/parser/lm_parser_top.v rtl/parser/lm_natt_parser.v rtl/parser/lm_parser_regs.v rtl/parser/lm_axis_register.v rtl/common/lm_axil_slave.v"
top="rtl/top/lm_top.v rtl/top/lm_top_ingress.v rtl/top/lm_top_egress.v rtl/top/lm_axis_strip.v rtl/top/lm_axis_prepend.v rtl/top/lm_axil_interconnect.v rtl/top/lm_ident_regs.v rtl/top/lm_ctrl_regs.v rtl/top/lm_esp_counter_regs.v"
lanes=${LANES:-4}
blocks="lm_axil_interconnect lm_ident_regs lm_ctrl_regs lm_esp_counter_regs lm_axis_strip lm_axis_prepend lm_axil_slave"
case ${FULL:-0} in
  1) blocks="$blocks lm_top" ;;
  only) blocks="lm_top" ;;
esac
script=""
for blk in $blocks; do
  script="$script read_verilog -defer -I$build/generated $top $esp $other $crypto;"
  [ "$blk" = lm_top ] && script="$script chparam -set LANES $lanes lm_top;"
  script="$script synth_xilinx -family xc7 -top $blk -noiopad -noclkbuf;"
  script="$script log @@core $blk; stat; design -reset;"
done
"$yosys" -q -l "$log" -p "$script" 2>/dev/null

echo "lm_top blocks, yosys $("$yosys" -V | awk '{print $2}') synth_xilinx -family xc7 (xc7k325t), CAPACITY 4096, lm_top LANES $lanes (log: $log)"
awk '
  function flush() {
    if (core == "") return
    lut = c["LUT1"] + c["LUT2"] + c["LUT3"] + c["LUT4"] + c["LUT5"] + c["LUT6"]
    lutram = 4 * (c["RAM32M"] + c["RAM64M"] + c["RAM128X1D"] + c["RAM256X1S"]) \
           + 2 * (c["RAM32X1D"] + c["RAM64X1D"] + c["RAM128X1S"]) \
           + c["RAM32X1S"] + c["RAM64X1S"] + c["SRL16E"] + c["SRLC32E"]
    ff = c["FDRE"] + c["FDSE"] + c["FDCE"] + c["FDPE"]
    printf "| %-20s | %6d | %6d | %6d | %6d | %6d | %5d/%-5d | %5d/%-5d | %4d |\n", \
      core, lut, lutram, lut + lutram, ff, c["CARRY4"], c["MUXF7"], c["MUXF8"], \
      c["RAMB36E1"], c["RAMB18E1"], c["DSP48E1"]
    core = ""
    delete c
  }
  BEGIN {
    printf "| %-20s | %6s | %6s | %6s | %6s | %6s | %-11s | %-11s | %4s |\n", \
      "block", "LUT", "LUTRAM", "LUTsum", "FF", "CARRY4", "MUXF7/F8", "RAMB36/18", "DSP"
    printf "|----------------------|--------|--------|--------|--------|--------|-------------|-------------|------|\n"
  }
  # After each "@@core <name>" marker comes the output of the stat command for that block, up to
  # the next numbered pass header ("118. Executing ..."), the next marker or the end of the log:
  # one "=== module ===" section per module and, only when the block has submodules, a final
  # "=== design hierarchy ===" section with the totals. The last section read is the total (a
  # block without submodules has just its own section). The stat that synth_xilinx prints before
  # the marker belongs to the synthesis run, not to this row, and is skipped.
  /^@@core/ { flush(); core = $2; instat = 1; incells = 0; delete c; next }
  instat && /^[0-9]+(\.[0-9]+)*\. / && !/Printing statistics/ { flush(); instat = 0; next }
  instat && /^=== .* ===$/ { delete c; incells = 0; next }
  instat && /Number of cells:/ { incells = 1; next }
  instat && incells && NF == 2 && $2 ~ /^[0-9]+$/ { c[$1] += $2; next }
  instat && incells && NF == 0 { incells = 0; next }
  END { flush() }
' "$log"
