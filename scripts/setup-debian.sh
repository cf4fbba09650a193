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
  # interop: real L2TP/IPsec clients in QEMU guests (scripts/build-guest.sh, tests/interop/)
  qemu-system-x86 busybox-static cpio kmod
  strongswan-charon strongswan-swanctl libstrongswan-standard-plugins libcharon-extra-plugins
  xl2tpd ppp openssl
)

# The interop client packages ship services (strongswan-starter runs charon on UDP 500/4500,
# xl2tpd on 1701) that would take the gateway's ports on a machine running systemd: the clients run
# only inside QEMU guests, so keep those services stopped and disabled on the host.
stop_client_services() {
  [ -d /run/systemd/system ] || return 0
  local SUDO="" s
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  for s in strongswan-starter.service xl2tpd.service; do
    if systemctl is-enabled --quiet "$s" 2>/dev/null || systemctl is-active --quiet "$s" 2>/dev/null; then
      echo "setup: stopping and disabling $s (interop clients run in guests only)"
      $SUDO systemctl disable --now "$s" || true
    fi
  done
}

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present"
  stop_client_services
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
stop_client_services
