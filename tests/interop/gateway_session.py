#!/usr/bin/env python3
"""Our gateway (l2secd) against real L2TP/IPsec clients in QEMU guests.

Starts l2secd on 127.0.0.1 UDP 500/4500/1701 (the line-module port that clients reach as
198.18.0.2 through QEMU's NAT) with its corporate side on a TUN interface in a network namespace
made here (l2sec-corp-<pid>, corporate host 198.19.255.254/16), boots one or more client guests
(strongSwan + xl2tpd + pppd, see l2tp_client.py), and checks what both sides say: the client's
markers (IKE SA INSTALLED, TRANSPORT-in-UDP; an address on ppp0; pings to the LNS and to the
corporate host answered) and the gateway's "session up" lines (user, address, SA, tunnel and
session IDs). Exit status 0 when every client passed every check.

The main job (run-gateway.sh) and the interop CTest cases (label interop) both run this.

    gateway_session.py --build build [--clients N] [--proposal IKE/ESP ...] [--ppp-auth pap]
                       [--ccp any] [--user alice --password ...] [--expect-fail] [--hold S]
                       [--certificates] [--child-lifetime S --hold S] [--line-module sim]

--line-module SPEC: l2secd's data plane (l2secd --line-module): `sim` is the simulated line card
in process (firmware + Verilated lm_top: the parser, the ESP engines and the SA table in RTL),
`lmsim` the same card in a separate lmsim process started here (it owns the UDP sockets; l2secd
attaches over shared memory), `lmsim:NAME` one started by hand; `software` (the default), the
software back end. When every client's
session is up, the live `l2sec-cli show ...` output (ike sa, ipsec sa, l2tp tunnel, l2tp session,
gateway counters) is printed from l2secd's control socket.

--certificates: X.509 RSA-signature authentication instead of the group preshared key. A CA, a
gateway and a client certificate are made with the openssl CLI in a temporary directory; l2secd
runs with its embedded configuration plus `ipsec ca-certificate`, `ipsec certificate ...
private-key ...` and an rsa-sig isakmp-policy-rule; the guest gets the CA and the client's
certificate and key (--ca-cert/--client-cert/--client-key give the guest side explicitly).

--child-lifetime S: the transport profile's lifetime (l2secd shortens the client's offer with
RESPONDER-LIFETIME); with --hold longer than 0.9 S the gateway rekeys the pair itself (Quick Mode
as initiator) and must log the rekey, the new pair under the same handle and the old pair's
retirement while the session stays up.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from l2tp_client import ClientConfig, run_clients  # noqa: E402

CORPORATE_HOST = "198.19.255.254"
LNS_ADDRESS = "198.19.0.1"  # the default configuration's ip unnumbered loopback 0
DEFAULT_PSK = "l2sec-group-psk"
DEFAULT_USERS = [("alice", "alice-l2sec-pw"), ("bob", "bob-l2sec-pw")]


def sh(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), check=check, capture_output=True, text=True)


class Gateway:
    """l2secd in the background, its stdout collected line by line."""

    def __init__(self, build: Path, netns: str, log: Path, extra: list[str],
                 expected_sessions: int = 0):
        self.lines: list[str] = []
        self.sessions: list[str] = []
        self.log = log
        self.build = build
        self.control = f"/run/l2secd-{os.getpid()}.sock"
        self.expected_sessions = expected_sessions
        self.shows: list[str] = []  # the live show output, taken when the sessions were up
        self.show_thread: threading.Thread | None = None
        cmd = [str(build / "host/daemon/l2secd"), "--listen", "127.0.0.1", "--netns", netns,
               "--tun", "l2sec0", "--corporate-addr", f"{CORPORATE_HOST}/16",
               "--control", self.control, *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with open(self.log, "w") as f:
            for line in self.proc.stdout:
                f.write(line)
                f.flush()
                line = line.rstrip("\n")
                self.lines.append(line)
                if line.startswith("l2secd: ") and "listening on" in line:
                    self.ready.set()
                if line.startswith("session up: "):
                    self.sessions.append(line[len("session up: "):])
                    print(f"gateway: {line}", flush=True)
                    if len(self.sessions) == self.expected_sessions:
                        self.show_thread = threading.Thread(target=self.show_live, daemon=True)
                        self.show_thread.start()
        self.ready.set()

    SHOW_COMMANDS = ("show ike sa", "show ipsec sa", "show l2tp tunnel", "show l2tp session",
                     "show gateway counters")

    def cli(self, command: str) -> str:
        r = subprocess.run([str(self.build / "host/daemon/l2sec-cli"), "--control", self.control,
                            *command.split()], capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).rstrip()

    def show_live(self) -> None:
        """The router's view while the sessions are up, through l2secd's control socket."""
        out = []
        for command in self.SHOW_COMMANDS:
            try:
                out.append(f"l2sec# {command}\n{self.cli(command)}")
            except (OSError, subprocess.SubprocessError) as e:
                out.append(f"l2sec# {command}\n% l2sec-cli failed: {e}")
        self.shows = out
        print("---- live, from l2sec-cli while the session(s) are up ----\n" + "\n".join(out),
              flush=True)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.thread.join(timeout=5)
        return self.proc.returncode


def make_pki(d: Path) -> dict[str, str]:
    """A CA, the gateway's and a client's certificate (RSA 2048), made with the openssl CLI."""
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/O=l2sec/CN=l2sec interop CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    for n in ("gateway", "client"):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{n}.key", "-out", f"{n}.csr",
            "-subj", f"/O=l2sec/CN={n}.l2sec.test")
        (d / f"{n}.ext").write_text(f"subjectAltName=DNS:{n}.l2sec.test\n"
                                    "keyUsage=digitalSignature,keyEncipherment\n")
        run("x509", "-req", "-in", f"{n}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", f"{n}.pem", "-days", "2", "-extfile", f"{n}.ext")
    return {k: str(d / v) for k, v in (("ca", "ca.pem"), ("gateway_cert", "gateway.pem"),
                                       ("gateway_key", "gateway.key"), ("client_cert", "client.pem"),
                                       ("client_key", "client.key"))}


def gateway_config(build: Path, base: str | None, out: Path, pki: dict[str, str] | None,
                   child_lifetime: int | None) -> Path:
    """The base configuration (default: l2secd's embedded one) plus certificates and an rsa-sig
    IKE rule, and/or the transport profile's lifetime."""
    text = Path(base).read_text() if base else sh(str(build / "host/daemon/l2secd"),
                                                  "--show-config").stdout
    if pki:
        text += (f'\nipsec ca-certificate "{pki["ca"]}"\n'
                 f'ipsec certificate "{pki["gateway_cert"]}" private-key "{pki["gateway_key"]}"\n'
                 "ipsec isakmp-policy-rule 5\n  encryption aes128\n  hash sha\n  group 14\n"
                 "  authentication rsa-sig\n  exit\n")
    if child_lifetime:
        text += ("\nipsec transport profile lns virtual-router default ip address 198.18.0.2\n"
                 f"  lifetime seconds {child_lifetime}\n  exit\n")
    out.write_text(text)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="CMake build directory (l2secd, guest image)")
    ap.add_argument("--image", help="guest image directory (default BUILD/guest)")
    ap.add_argument("--clients", type=int, default=1, help="clients behind the one NAT, at once")
    ap.add_argument("--proposal", action="append", default=[],
                    help="IKE/ESP proposals per client, e.g. aes128-sha1-modp2048/aes128-sha1 "
                         "(repeat; cycled over the clients)")
    ap.add_argument("--ppp-auth", default="any", help="any | pap | chap | mschap-v2")
    ap.add_argument("--ccp", default="none", help="what pppd proposes: none | any | deflate | bsdcomp")
    ap.add_argument("--psk", default=DEFAULT_PSK)
    ap.add_argument("--user", help="PPP user (default: alice, bob, ... per client)")
    ap.add_argument("--password")
    ap.add_argument("--hold", type=int, default=0, help="keep sessions up this long after the pings")
    ap.add_argument("--expect-fail", choices=["ike", "ppp"],
                    help="the client must fail at this step (wrong PSK, wrong password)")
    ap.add_argument("--config", help="l2secd configuration file (default: the embedded one)")
    ap.add_argument("--certificates", action="store_true",
                    help="RSA signatures with certificates made for this run (see above)")
    ap.add_argument("--ca-cert", help="guest: the CA certificate (PEM) the gateway's must chain to")
    ap.add_argument("--client-cert", help="guest: the client's certificate (PEM)")
    ap.add_argument("--client-key", help="guest: the client's private key (PEM)")
    ap.add_argument("--child-lifetime", type=int,
                    help="transport profile lifetime in seconds (120-86400); see above")
    ap.add_argument("--line-module", help="l2secd --line-module SPEC (sim, lmsim:NAME), or "
                                          "software (the default): the software back end")
    ap.add_argument("--log-dir", help="default BUILD/interop-logs")
    args = ap.parse_args()

    build = Path(args.build).resolve()
    image = Path(args.image) if args.image else build / "guest"
    log_dir = Path(args.log_dir) if args.log_dir else build / "interop-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        print("gateway_session: needs root (UDP 500/4500, network namespaces, TUN)", file=sys.stderr)
        return 2

    pki_dir = tempfile.TemporaryDirectory(prefix="l2sec-pki-")
    guest_certs = {"ca_cert": args.ca_cert, "client_cert": args.client_cert,
                   "client_key": args.client_key}
    pki = make_pki(Path(pki_dir.name)) if args.certificates else None
    if pki or args.child_lifetime:
        args.config = str(gateway_config(build, args.config, Path(pki_dir.name) / "l2secd.cfg",
                                         pki, args.child_lifetime))
    if pki:
        guest_certs = {"ca_cert": args.ca_cert or pki["ca"],
                       "client_cert": args.client_cert or pki["client_cert"],
                       "client_key": args.client_key or pki["client_key"]}
    use_certs = all(guest_certs.values())

    netns = f"l2sec-corp-{os.getpid()}"
    sh("ip", "netns", "add", netns)
    gw = None
    card = None
    try:
        if args.line_module == "lmsim":
            # The line card in a process of its own, as on a chassis: it owns the line port.
            name = f"l2sec-{os.getpid()}"
            card = subprocess.Popen([str(build / "sim/lm/lmsim"), "--name", name, "--listen",
                                     "127.0.0.1", "--port-addr", "198.18.0.2"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            seen = []
            for line in card.stdout if card.stdout else []:
                seen.append(line.rstrip("\n"))
                if seen[-1].endswith(": ready") or len(seen) > 20:
                    break
            print("\n".join(f"line card: {l}" for l in seen), flush=True)
            if not seen or not seen[-1].endswith(": ready"):
                print("gateway_session: lmsim did not start", file=sys.stderr)
                return 1
            threading.Thread(target=lambda: [None for _ in card.stdout], daemon=True).start()
            args.line_module = f"lmsim:{name}"
        sh("ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up")
        extra = ["--config", args.config] if args.config else []
        if args.line_module and args.line_module != "software":
            extra += ["--line-module", args.line_module]
        gw = Gateway(build, netns, log_dir / "l2secd.log", extra,
                     expected_sessions=0 if args.expect_fail else args.clients)
        if not gw.ready.wait(20) or gw.proc.poll() is not None:
            print("gateway_session: l2secd did not start:\n" + "\n".join(gw.lines), file=sys.stderr)
            return 1
        print(f"gateway: {gw.lines[-1]}", flush=True)

        proposals = args.proposal or ["aes128-sha1-modp2048/aes128-sha1"]
        configs = []
        for i in range(args.clients):
            ike, esp = proposals[i % len(proposals)].split("/")
            user, password = DEFAULT_USERS[i % len(DEFAULT_USERS)]
            cfg = ClientConfig(name=f"client{i + 1}", psk=None if use_certs else args.psk,
                               ike_proposal=ike,
                               esp_proposal=esp, user=args.user or user,
                               password=args.password or password, ppp_auth=args.ppp_auth,
                               ccp=args.ccp, ping_lns=LNS_ADDRESS, ping_corp=[CORPORATE_HOST],
                               hold=args.hold + (10 if args.clients > 1 else 0),
                               ike_timeout=60, ppp_timeout=60,
                               **(guest_certs if use_certs else {}))
            if args.expect_fail:
                cfg.ike_timeout = 30
                cfg.ppp_timeout = 30
            configs.append(cfg)
        t0 = time.monotonic()
        results = run_clients(configs, image, log_dir, stagger=2.0 if args.clients > 1 else 0.0)
        elapsed = time.monotonic() - t0

        ok = True
        for cfg, r in zip(configs, results):
            print(r.summary(), flush=True)
            if args.expect_fail:
                step = "ike" if args.expect_fail == "ike" else "ppp0"
                failed = r.failed_step == step or (r.value(step) or "").startswith("fail")
                if not failed:
                    print(f"[{cfg.name}] expected a failure at {step}", flush=True)
                    ok = False
                continue
            checks = {
                "ike": (r.value("ike") or "").startswith("INSTALLED"),
                "ppp0": (r.value("ppp0") or "").startswith("198.19."),
                "ping-lns": r.value("ping-lns") == "ok",
                "ping-corp": r.value("ping-corp") == "ok",
            }
            for name, good in checks.items():
                if not good:
                    print(f"[{cfg.name}] check {name} failed: {r.value(name)}", flush=True)
                    ok = False
            addr = (r.value("ppp0") or "")
            mine = [s for s in gw.sessions if f"user {cfg.user} address {addr} " in s]
            if not mine:
                print(f"[{cfg.name}] the gateway printed no session for {cfg.user} at {addr}", flush=True)
                ok = False
        if not args.expect_fail and len(gw.sessions) < len(configs):
            ok = False
        if not args.expect_fail and gw.sessions:
            # The live view must name every session the gateway announced.
            if gw.show_thread is not None:
                gw.show_thread.join(timeout=60)
            live = "\n".join(gw.shows)
            for s in gw.sessions:
                user = s.split()[1]
                if user not in live:
                    print(f"gateway: the live show output does not name {user}", flush=True)
                    ok = False
            if args.line_module and args.line_module != "software":
                # The line module carried the traffic: its SAs are on the line-module path, with
                # packets counted by the RTL's per-SA counters.
                carried = [l for l in live.splitlines() if " path line-module " in l and
                           not re.search(r" packets 0( |$)", l)]
                if not carried:
                    print("gateway: no SA with traffic on the line-module path in show ipsec sa",
                          flush=True)
                    ok = False
        if args.child_lifetime and args.hold > 0.9 * args.child_lifetime:
            # Our own rekey: started, the new pair under the old handle, the old pair retired,
            # and no session went down before the client's teardown.
            log = "\n".join(gw.lines)
            rekeys = re.findall(r"rekeying child SA (\d+)", log)
            installed = re.findall(r"child SA (\d+) installed", log)
            retired = "deleted: replaced by a rekey" in log
            early_down = any("session down" in l and "StopCCN from peer" not in l for l in gw.lines)
            print(f"gateway: rekeys started {len(rekeys)}, pairs installed {len(installed)}, "
                  f"old pair retired {retired}", flush=True)
            if not rekeys or not retired or early_down or \
                    any(installed.count(h) < 2 for h in rekeys):
                print("gateway: our rekey did not complete cleanly", flush=True)
                ok = False
        if args.expect_fail and gw.sessions:
            print("gateway: a session came up although the client had to fail", flush=True)
            ok = False
        rc = gw.stop()
        if not ok:
            print("---- l2secd log (last 80 lines) ----\n" + "\n".join(gw.lines[-80:]), flush=True)
        stopping = [i for i, line in enumerate(gw.lines) if line.startswith("l2secd: stopping")]
        print("\n".join(gw.lines[stopping[0]:] if stopping else gw.lines[-20:]), flush=True)
        if rc != 0:
            print(f"gateway: l2secd exited with {rc}", flush=True)
            ok = False
        print(f"gateway_session: {'PASS' if ok else 'FAIL'}: {len(configs)} client(s), "
              f"{len(gw.sessions)} session(s) up, {elapsed:.0f} s", flush=True)
        return 0 if ok else 1
    finally:
        if gw is not None:
            gw.stop()
        if card is not None:
            card.terminate()
            try:
                card.wait(timeout=10)
            except subprocess.TimeoutExpired:
                card.kill()
        sh("ip", "netns", "del", netns, check=False)
        pki_dir.cleanup()


if __name__ == "__main__":
    sys.exit(main())
