#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the main job need.
# Idempotent: when everything is already installed it does nothing and asks no mirror.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  # libraries
  libssl-dev libgtest-dev libgmock-dev libpcap-dev
  # register-map generator
  python3 python3-yaml
  # RTL: simulation, lint, synthesis
  verilator libsystemc-dev iverilog yosys
  # packet checks
  tshark
  # style and fuzzing (libFuzzer ships in clang's runtime)
  clang-format clang libclang-rt-14-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
