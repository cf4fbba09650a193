#!/usr/bin/env bash
# The main job from a fresh clone: installs the Debian packages, builds the gateway daemon (l2secd)
# and the client guest image, then brings the gateway up with its embedded default configuration
# (docs/cli.md) on its simulated line module (firmware + the Verilated line-module RTL: NAT-T
# parser, SA table, ESP engines), and starts one real L2TP/IPsec client
# (strongSwan + xl2tpd + pppd in a QEMU guest behind QEMU's NAT) against it. It prints the session
# when it is up (user, assigned address, SA, tunnel and session IDs), the router's live show output
# through its control socket (l2sec-cli show ike sa / ipsec sa / l2tp tunnel / l2tp session), the
# client's own view (IKE SA, ppp0 address, pings to the LNS and to a corporate host), and the
# gateway's show output at exit.
# Needs root (UDP 500/4500, a network namespace for the corporate side, a TUN interface).
# Extra arguments go to tests/interop/gateway_session.py, e.g. --clients 2, --ppp-auth pap,
#   --proposal 3des-sha1-modp1024/3des-sha1, --line-module software (the golden-model back end
#   instead of the simulated line module).
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/setup-debian.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build --target l2secd l2sec-cli
bash scripts/build-guest.sh build/guest
exec python3 tests/interop/gateway_session.py --build build --image build/guest --line-module sim "$@"
