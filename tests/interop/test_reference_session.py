#!/usr/bin/env python3
"""Checks the whole client harness end to end against a reference LNS (Linux strongSwan responder +
xl2tpd LNS + pppd in a second guest, reached through QEMU hostfwd on 127.0.0.1 UDP 500/4500): the
client guest must report IKE and the transport-mode child installed with UDP encapsulation (NAT-T),
an address on ppp0 from the server's pool, answers from the LNS's PPP address and from an address
behind it, and the profile it was given (PPP authentication, CCP). The server guest must report the
same session. This is the path the gateway tests take, with a known-good server in its place.

    tests/interop/test_reference_session.py --image BUILD/guest [--profile NAME ...]

Takes 127.0.0.1 UDP 500 and 4500 while it runs (as the gateway would).
"""
from __future__ import annotations

import argparse
import ipaddress
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
from l2tp_client import ClientConfig, Guest, HarnessError, ReferenceLnsConfig  # noqa: E402

# name -> (client settings, expected markers: step -> {field: value} with "value" for the value)
PROFILES = {
    "linux": (dict(ike_proposal="aes128-sha1-modp2048", esp_proposal="aes128-sha1", ppp_auth="chap"),
              # the reference LNS's PSK identity is its own address in its guest
              {"ike": {"value": "INSTALLED,TRANSPORT-in-UDP", "esp": "AES_CBC-128/HMAC_SHA1_96",
                       "remote-id": "198.18.0.15"},
               "ppp0": {"auth": "chap-MD5", "ccp": "none", "ccp-offer": "none"}}),
    # the session also has to stay up for a while (--hold) before the teardown
    "windows": (dict(ike_proposal="3des-sha1-modp1024", esp_proposal="3des-sha1", ppp_auth="mschap-v2", hold=3),
                {"ike": {"value": "INSTALLED,TRANSPORT-in-UDP", "esp": "3DES_CBC/HMAC_SHA1_96"},
                 "ppp0": {"auth": "chap-MS-v2", "ccp": "none"}, "ppp0-after-hold": {"value": "up"}}),
    # certificates instead of a PSK; the client's remote id pins the server certificate's subject
    "cert": (dict(ike_proposal="aes128-sha1-modp2048", esp_proposal="aes128-sha1", ppp_auth="chap",
                  remote_id="CN=reflns.l2sec.test"),
             {"ike": {"value": "INSTALLED,TRANSPORT-in-UDP", "esp": "AES_CBC-128/HMAC_SHA1_96",
                      "remote-id": "CN=reflns.l2sec.test"},
              "ppp0": {"auth": "chap-MD5"}}),
    # a wrong PSK: IKE must fail, and the guest must say so and hand over charon's log
    "wrong-psk": (dict(psk="not-the-psk", ike_timeout=20),
                  {"ike": {"value": "fail"}, "done": {"value": "fail", "step": "ike"}}),
    "macos": (dict(ike_proposal="aes256-sha256-modp2048", esp_proposal="aes256-sha256", ppp_auth="pap",
                   ccp="deflate"),
              {"ike": {"value": "INSTALLED,TRANSPORT-in-UDP", "esp": "AES_CBC-256/HMAC_SHA2_256_128"},
               # the reference LNS (pppd under xl2tpd) rejects compression: the client offers it
               "ppp0": {"auth": "pap", "ccp-offer": "deflate", "ccp": "none"}}),
}


def make_pki(d: Path) -> dict[str, str]:
    """A CA, a server and a client certificate (RSA 2048) made with the openssl CLI."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "7",
        "-subj", "/CN=l2sec interop CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for n in ("reflns", "client"):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{n}.key", "-out", f"{n}.csr",
            "-subj", f"/CN={n}.l2sec.test")
        (d / f"{n}.ext").write_text(f"subjectAltName=DNS:{n}.l2sec.test\n")
        run("x509", "-req", "-in", f"{n}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{n}.pem", "-days", "7", "-extfile", f"{n}.ext")
    return {k: str(d / v) for k, v in (("ca", "ca.pem"), ("server_cert", "reflns.pem"),
                                       ("server_key", "reflns.key"), ("client_cert", "client.pem"),
                                       ("client_key", "client.key"))}


def check(result, expect: dict, server: ReferenceLnsConfig) -> list[str]:
    errs = []
    if expect.get("done", {}).get("value") == "fail":
        for step, fields in expect.items():
            m = result.get(step)
            for k, v in fields.items():
                got = None if m is None else m.value if k == "value" else m.fields.get(k)
                if got != v:
                    errs.append(f"{step}: {k}={got}, expected {v}")
        if "charon" not in result.logs or "swanctl-initiate" not in result.logs:
            errs.append(f"failure without the charon/swanctl logs (got {sorted(result.logs)})")
        if result.get("ppp0") or result.get("xl2tpd"):
            errs.append("went on after the failed IKE step")
        return errs
    if not result.ok:
        errs.append(f"client did not finish ok: failed step {result.failed_step}")
    for step, fields in expect.items():
        m = result.get(step)
        if m is None:
            errs.append(f"no {step} marker")
            continue
        for k, v in fields.items():
            got = m.value if k == "value" else m.fields.get(k)
            if got != v:
                errs.append(f"{step}: {k}={got}, expected {v}")
    ppp = result.get("ppp0")
    if ppp and ppp.value != "fail":
        lo, hi = (ipaddress.ip_address(x) for x in server.ip_range.split("-"))
        if not lo <= ipaddress.ip_address(ppp.value) <= hi:
            errs.append(f"ppp0 {ppp.value} outside the pool {server.ip_range}")
        if ppp.fields.get("peer") != server.local_ip:
            errs.append(f"ppp0 peer {ppp.fields.get('peer')}, expected {server.local_ip}")
    td = result.get("teardown")
    if td is None or td.fields.get("l2tp") != "stopped" or td.fields.get("ike") != "deleted":
        errs.append(f"teardown: {td.line.strip() if td else 'no marker'}")
    for step in ("ping-lns", "ping-corp"):
        if result.value(step) != "ok":
            errs.append(f"{step}={result.value(step)}")
    return errs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--image", required=True)
    ap.add_argument("--log-dir", default=None)
    ap.add_argument("--dump-logs", choices=("onfail", "always"), default="onfail")
    ap.add_argument("--profile", action="append", choices=sorted(PROFILES),
                    help="client profiles to run one after the other (default: all)")
    a = ap.parse_args()
    log_dir = Path(a.log_dir) if a.log_dir else Path(a.image).parent / "interop-logs" / "reference-session"
    pki_dir = tempfile.TemporaryDirectory()
    pki = make_pki(Path(pki_dir.name))
    server_cfg = ReferenceLnsConfig(ca_cert=pki["ca"], server_cert=pki["server_cert"],
                                    server_key=pki["server_key"])
    errors: list[str] = []
    t0 = time.monotonic()
    try:
        with Guest(server_cfg, a.image, log_dir) as server:
            ready = server.wait_for("server", 240)
            if ready.value != "ready":
                print(f"FAIL: reference LNS: server={ready.value}")
                return 1
            print(f"reference LNS ready {ready.t:.1f} s after QEMU start")
            for name in a.profile or sorted(PROFILES):
                settings, expect = PROFILES[name]
                if name == "cert":
                    settings = dict(settings, psk=None, ca_cert=pki["ca"], client_cert=pki["client_cert"],
                                    client_key=pki["client_key"])
                settings = dict(dict(ike_timeout=60, ppp_timeout=60, guest_timeout=300, dump_logs=a.dump_logs),
                                **settings)
                cfg = ClientConfig(name=f"ref-{name}", ping_corp=list(server_cfg.corp_addrs), **settings)
                r = Guest(cfg, a.image, log_dir).start().wait()
                print(r.summary())
                errs = check(r, expect, server_cfg)
                if errs and r.logs:
                    for n, text in r.logs.items():
                        print(f"  --- {n} ---\n" + "\n".join("    " + ln for ln in text.splitlines()[-30:]))
                errors += [f"{name}: {e}" for e in errs]
                steps = {m.step: m.t for m in r.markers}
                if "ike-initiate" in steps and "ike" in steps and "ppp0" in steps:
                    print(f"  timings: boot to charon {steps.get('charon', 0):.1f} s, IKE+ESP "
                          f"{steps['ike'] - steps['ike-initiate']:.1f} s, L2TP+PPP "
                          f"{steps['ppp0'] - steps['ike']:.1f} s, whole guest {r.elapsed:.1f} s")
            srv = server.stop()
        got = [m for m in srv.markers if m.step in ("server-child", "server-ppp")]
        print("reference LNS saw: " + ", ".join(f"{m.step}={m.value}" for m in got))
        sessions = [p for p in (a.profile or PROFILES) if PROFILES[p][1].get("done", {}).get("value") != "fail"]
        if len(srv.all("server-ppp")) != len(sessions):
            errors.append(f"reference LNS reported {len(srv.all('server-ppp'))} PPP sessions")
    except (HarnessError, TimeoutError) as e:
        errors.append(str(e))
    print(f"{time.monotonic() - t0:.1f} s in all")
    if errors:
        print("FAIL:\n  " + "\n  ".join(errors))
        return 1
    print("PASS: every client profile behaved as expected against the reference LNS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
