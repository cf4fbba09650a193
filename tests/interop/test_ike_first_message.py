#!/usr/bin/env python3
"""Interop harness check that needs no gateway: real clients in QEMU guests start charon and send
their first IKEv1 Main Mode message through QEMU's NAT to a UDP listener this test runs on
127.0.0.1:500 (where the gateway will listen). For each guest it checks:

- the guest init reports modules, network (only the host route to 198.18.0.2), charon started and
  the connection loaded;
- an ISAKMP datagram arrives from 127.0.0.1 at a port other than 500 (QEMU's NAT), each guest from
  its own port (several clients behind one NAT);
- it is a well-formed first Main Mode message whose SA payload carries exactly the IKE proposal
  configured for that guest (cipher, key length, hash, DH group, PSK or RSA-signature auth) and
  the RFC 3947 NAT-T vendor ID.

Then it stops the guests and prints the timings. Exit status 0 when every check passed.

    tests/interop/test_ike_first_message.py --image BUILD/guest [--clients 2] [--log-dir DIR]
"""
from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from isakmp import AUTH_PSK, VID_RFC3947, IsakmpError, expected_transform, parse_first_message  # noqa: E402
from l2tp_client import ClientConfig, Guest, HarnessError  # noqa: E402

# client profiles, one per guest (round robin): Linux default, Windows, macOS/iOS
PROFILES = [
    ("aes128-sha1-modp2048", "aes128-sha1"),
    ("3des-sha1-modp1024", "3des-sha1"),
    ("aes256-sha256-modp2048", "aes256-sha256"),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", required=True)
    ap.add_argument("--log-dir", default=None)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--port", type=int, default=500, help="listener port on 127.0.0.1 (default 500)")
    ap.add_argument("--boot-timeout", type=float, default=240.0, help="per guest, to charon started")
    ap.add_argument("--ike-timeout", type=float, default=120.0, help="from ike-initiate to the datagram")
    a = ap.parse_args()
    log_dir = Path(a.log_dir) if a.log_dir else Path(a.image).parent / "interop-logs" / "ike-first-message"

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(("127.0.0.1", a.port))
    except OSError as e:
        print(f"FAIL: cannot bind 127.0.0.1:{a.port} ({e}); is a gateway or another test using it?")
        return 1

    configs = []
    for i in range(a.clients):
        ike, esp = PROFILES[i % len(PROFILES)]
        configs.append(ClientConfig(name=f"ikeprobe{i + 1}", ike_proposal=ike, esp_proposal=esp,
                                    ike_port=a.port, ike_timeout=int(a.ike_timeout) + 60,
                                    guest_timeout=a.boot_timeout + a.ike_timeout + 120))
    expected = {expected_transform(c.ike_proposal, AUTH_PSK): c for c in configs}
    if len(expected) != len(configs):
        print("FAIL: two guests with the same proposal cannot be told apart")
        return 1

    errors: list[str] = []
    guests: list[Guest] = []
    t0 = time.monotonic()
    try:
        for c in configs:
            guests.append(Guest(c, a.image, log_dir).start())
        for g in guests:
            try:
                net = g.wait_for("net", a.boot_timeout)
                if net.fields.get("routes") != "198.18.0.2/32-only":
                    errors.append(f"{g.cfg.name}: guest routes {net.fields.get('routes')}")
                ch = g.wait_for("charon", a.boot_timeout)
                if ch.value != "started":
                    errors.append(f"{g.cfg.name}: charon={ch.value}")
                ld = g.wait_for("swanctl-load", 60)
                if ld.value != "ok":
                    errors.append(f"{g.cfg.name}: swanctl-load={ld.value} {ld.fields}")
                g.wait_for("ike-initiate", 60)
            except (TimeoutError, HarnessError) as e:
                errors.append(str(e))
        if errors:
            raise RuntimeError

        seen: dict[str, tuple[float, tuple[str, int]]] = {}
        sock.settimeout(1.0)
        deadline = time.monotonic() + a.ike_timeout
        while len(seen) < len(configs) and time.monotonic() < deadline:
            try:
                data, src = sock.recvfrom(65535)
            except socket.timeout:
                continue
            t = time.monotonic()
            try:
                msg = parse_first_message(data)
            except IsakmpError as e:
                errors.append(f"datagram from {src}: {e}")
                continue
            keys = {tr.key() for tr in msg.transforms}
            match = [c for k, c in expected.items() if k in keys]
            if len(match) != 1 or len(keys) != 1:
                errors.append(f"datagram from {src}: transforms {sorted(keys)} match no single configured "
                              f"proposal of {sorted(expected)}")
                continue
            c = match[0]
            if VID_RFC3947 not in msg.vendor_ids:
                errors.append(f"{c.name}: no RFC 3947 NAT-T vendor ID")
            if c.name in seen:  # a retransmission must come from the same NAT mapping
                if seen[c.name][1] != src:
                    errors.append(f"{c.name}: retransmission from {src}, first from {seen[c.name][1]}")
                continue
            seen[c.name] = (t, src)
            g = next(g for g in guests if g.cfg is c)
            ti = g.result.get("ike-initiate")
            print(f"{c.name}: Main Mode #1 from {src[0]}:{src[1]}, {len(data)} bytes, proposal "
                  f"{c.ike_proposal}, {len(msg.vendor_ids)} vendor IDs; charon started at "
                  f"{g.result.get('charon').t:.1f} s, IKE arrived {t - g._t0:.1f} s after QEMU start "
                  f"({t - g._t0 - ti.t:.2f} s after ike-initiate)")
        for c in configs:
            if c.name not in seen:
                errors.append(f"{c.name}: no Main Mode message within {a.ike_timeout:.0f} s")
        srcs = [s for _, s in seen.values()]
        for s in srcs:
            if s[0] != "127.0.0.1" or s[1] == a.port:
                errors.append(f"source {s}: expected 127.0.0.1 from a NAT port, not {a.port}")
        if len(set(srcs)) != len(srcs):
            errors.append(f"guests share a source port: {srcs}")
    except RuntimeError:
        pass
    finally:
        for g in guests:
            r = g.stop()
            print(r.summary())
        sock.close()
    print(f"{len(configs)} guest(s), {time.monotonic() - t0:.1f} s in all")
    if errors:
        print("FAIL:\n  " + "\n  ".join(errors))
        return 1
    print("PASS: every guest's first IKE Main Mode message reached 127.0.0.1:%d through QEMU's NAT" % a.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
