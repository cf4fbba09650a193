#!/usr/bin/env bash
# The main job from a fresh clone: installs the Debian packages, builds, and runs the gateway's
# data path as it exists today: L2TP from a client behind NAT and the router's replies go through
# the golden ESP model for every suite, with and without NAT-T, into out/esp-l2tp.pcap, which is
# then decrypted and dissected by tshark with the SA keys.
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/setup-debian.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build --target l2sec-espcap
mkdir -p out
exec ./build/sim/tools/l2sec-espcap --out out --tshark "$@"
