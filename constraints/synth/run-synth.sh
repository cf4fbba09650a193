#!/bin/sh
# Synthesises the line-module crypto cores with yosys synth_xilinx (7-series, see crypto.ys) and
# prints their area. Usage: constraints/synth/run-synth.sh [log-file]
# Environment: YOSYS (default: yosys). Yosys counts about 1.5x the LUTs Vivado reports.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
yosys=${YOSYS:-yosys}
if [ $# -ge 1 ]; then
  log=$1
else
  log=$(mktemp "${TMPDIR:-/tmp}/l2sec-synth-crypto.XXXXXX.log")
fi

command -v "$yosys" >/dev/null 2>&1 || { echo "run-synth.sh: $yosys not found" >&2; exit 1; }
cd "$root"
"$yosys" -q -l "$log" -s constraints/synth/crypto.ys

echo "Crypto cores, yosys $("$yosys" -V | awk '{print $2}') synth_xilinx -family xc7 (log: $log)"
# After each "@@core <name>" marker, the "design hierarchy" totals of the stat command follow.
awk '
  function flush() {
    if (core == "") return
    lut = c["LUT1"] + c["LUT2"] + c["LUT3"] + c["LUT4"] + c["LUT5"] + c["LUT6"]
    # LUTs used as distributed RAM / shift registers.
    lutram = 4 * (c["RAM32M"] + c["RAM64M"] + c["RAM128X1D"] + c["RAM256X1S"]) \
           + 2 * (c["RAM32X1D"] + c["RAM64X1D"] + c["RAM128X1S"]) \
           + c["RAM32X1S"] + c["RAM64X1S"] + c["SRL16E"] + c["SRLC32E"]
    ff = c["FDRE"] + c["FDSE"] + c["FDCE"] + c["FDPE"]
    printf "| %-12s | %6d | %6d | %6d | %6d | %6d | %5d/%-5d | %5d/%-5d | %4d |\n", \
      core, lut, lutram, lut + lutram, ff, c["CARRY4"], c["MUXF7"], c["MUXF8"], \
      c["RAMB36E1"], c["RAMB18E1"], c["DSP48E1"]
    core = ""
    delete c
  }
  BEGIN {
    printf "| %-12s | %6s | %6s | %6s | %6s | %6s | %-11s | %-11s | %4s |\n", \
      "core", "LUT", "LUTRAM", "LUTsum", "FF", "CARRY4", "MUXF7/F8", "RAMB36/18", "DSP"
    printf "|--------------|--------|--------|--------|--------|--------|-------------|-------------|------|\n"
  }
  /@@core/ { flush(); pending = $2; inhier = 0; incells = 0; next }
  pending != "" && /=== design hierarchy ===/ { core = pending; pending = ""; inhier = 1; next }
  inhier && /Number of cells:/ { incells = 1; next }
  inhier && incells && NF == 2 && $2 ~ /^[0-9]+$/ { c[$1] += $2; next }
  inhier && incells && NF == 0 { flush(); inhier = 0; incells = 0; next }
  END { flush() }
' "$log"
