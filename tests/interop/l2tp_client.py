#!/usr/bin/env python3
"""Real L2TP/IPsec clients in QEMU guests, for interop tests against the l2sec gateway.

Each client is a QEMU guest (TCG, Debian's kernel, busybox initramfs built by
scripts/build-guest.sh) running strongSwan charon + swanctl (IKEv1), xl2tpd (LAC) and pppd. Its
configuration is rendered here and appended to the image's initramfs as a second cpio archive, so
the image is never rebuilt for a new configuration. The guest sits behind QEMU's user-net NAT:
198.18.0.15 inside, the gateway at 198.18.0.2 is the host's 127.0.0.1, so a gateway listening on
127.0.0.1 UDP 500/4500 sees a client behind NAT. Several guests at once are several clients behind
one NAT (same host address, different source ports).

The guest init reports each step on its serial console as "L2SEC-RESULT <step>=<value> k=v ...";
this module collects those markers (and the logs the guest prints on failure) into a GuestResult
and saves the whole console to <log_dir>/<name>.console.log.

Python API:
    from l2tp_client import ClientConfig, run_clients, Guest
    results = run_clients([ClientConfig(name="win", ike_proposal="3des-sha1-modp1024")],
                          image_dir="build/guest", log_dir="build/interop-logs")
    assert results[0].ok, results[0].summary()

    with Guest(ClientConfig(), image_dir, log_dir) as g:   # step by step
        g.wait_for("charon", timeout=120)
        ...

CLI: python3 tests/interop/l2tp_client.py --image build/guest --help
Stdlib only.
"""
from __future__ import annotations

import argparse
import ctypes
import dataclasses
import ipaddress
import json
import os
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

ALLOWED_NET = ipaddress.ip_network("198.18.0.0/15")
SLIRP_NET = "198.18.0.0/24"
HOST_ALIAS = "198.18.0.2"  # QEMU user-net maps it to the host's 127.0.0.1
GUEST_ADDR = "198.18.0.15/24"
MARKER_RE = re.compile(r"L2SEC-RESULT (?P<step>[A-Za-z0-9_.-]+)=(?P<value>\S*)(?P<rest>.*)$")
LOG_BEGIN_RE = re.compile(r"L2SEC-LOG-BEGIN (\S+)")
LOG_END_RE = re.compile(r"L2SEC-LOG-END (\S+)")
PPP_AUTH = ("any", "pap", "chap", "mschap-v2")
CCP = ("none", "any", "deflate", "bsdcomp", "mppe")


class HarnessError(Exception):
    """A configuration the harness refuses, or a guest that cannot be started."""


# --------------------------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------------------------
@dataclass
class ClientConfig:
    """One client. Defaults give a PSK client with AES-128/SHA-1/MODP-2048, like Linux clients."""

    name: str = "client1"
    gateway: str = HOST_ALIAS
    ike_port: int = 500  # the gateway's IKE port (swanctl remote_port); NAT-T floats to 4500
    # authentication: a PSK, or certificates (paths to PEM files on the host)
    psk: Optional[str] = "l2sec-interop-psk"
    ca_cert: Optional[str] = None
    client_cert: Optional[str] = None
    client_key: Optional[str] = None
    local_id: Optional[str] = None  # default: the guest address (PSK) or the certificate subject
    remote_id: Optional[str] = None  # default: %any
    ike_proposal: str = "aes128-sha1-modp2048"
    esp_proposal: str = "aes128-sha1"
    # PPP
    user: str = "l2sec-user"
    password: str = "l2sec-password"
    ppp_auth: str = "any"  # any | pap | chap | mschap-v2 (the others refused with refuse-*)
    ccp: str = "none"  # none (noccp) | any | deflate | bsdcomp | mppe (needs mschap-v2)
    mtu: int = 1400
    extra_pppd_options: list[str] = field(default_factory=list)
    # checks
    ping_lns: str = "auto"  # auto: the PPP peer address; none; or an address
    ping_corp: list[str] = field(default_factory=list)  # addresses behind the LNS, routed via ppp0
    ping_count: int = 3
    # timing (seconds)
    ike_timeout: int = 60  # swanctl --initiate --timeout
    ppp_timeout: int = 60  # from "c <lac>" to an address on ppp0
    hold: int = 0  # keep the session up this long after the pings (overlapping sessions)
    teardown: bool = True  # at the end: L2TP StopCCN ("d <lac>"), then IKE delete (swanctl --terminate)
    guest_timeout: float = 300.0  # wall-clock limit for the whole guest run
    dump_logs: str = "onfail"  # onfail | always

    def validate(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", self.name):
            raise HarnessError(f"{self.name!r}: name must be [A-Za-z0-9_.-]{{1,32}}")
        gw = ipaddress.ip_address(self.gateway)
        if gw != ipaddress.ip_address(HOST_ALIAS):
            # every other address would be NATed by QEMU onto the host's real network
            raise HarnessError(f"gateway {gw}: only {HOST_ALIAS} (the host's 127.0.0.1) is reachable")
        for a in self.ping_corp + ([self.ping_lns] if self.ping_lns not in ("auto", "none") else []):
            if ipaddress.ip_address(a) not in ALLOWED_NET:
                raise HarnessError(f"ping target {a} outside {ALLOWED_NET}")
        if self.ppp_auth not in PPP_AUTH:
            raise HarnessError(f"ppp_auth {self.ppp_auth!r} not in {PPP_AUTH}")
        if self.ccp not in CCP:
            raise HarnessError(f"ccp {self.ccp!r} not in {CCP}")
        if self.ccp == "mppe" and self.ppp_auth != "mschap-v2":
            raise HarnessError("ccp=mppe needs ppp_auth=mschap-v2")
        certs = (self.ca_cert, self.client_cert, self.client_key)
        if any(certs) and not all(certs):
            raise HarnessError("certificate auth needs ca_cert, client_cert and client_key")
        if not any(certs) and not self.psk:
            raise HarnessError("give a psk or certificates")
        for v in (self.psk or "", self.user, self.password):
            if '"' in v or "\n" in v or "\\" in v:
                raise HarnessError("psk, user and password must not contain quotes, backslashes or newlines")
        if self.dump_logs not in ("onfail", "always"):
            raise HarnessError("dump_logs: onfail | always")

    @property
    def uses_certs(self) -> bool:
        return bool(self.ca_cert)

    def render(self) -> dict[str, tuple[int, bytes]]:
        return render_files(self)

    @property
    def hostfwd(self) -> tuple[str, ...]:
        return ()  # a client only ever initiates


def render_files(cfg: ClientConfig) -> dict[str, tuple[int, bytes]]:
    """The per-run files of one guest: path in the guest -> (mode, content)."""
    cfg.validate()
    files: dict[str, tuple[int, bytes]] = {}
    guest_ip = GUEST_ADDR.split("/")[0]

    env = {
        "L2SEC_NAME": cfg.name,
        "L2SEC_ADDR": GUEST_ADDR,
        "L2SEC_GW": cfg.gateway,
        "L2SEC_CHILD": "l2tp",
        "L2SEC_LAC": "l2sec",
        "L2SEC_IKE_TIMEOUT": str(cfg.ike_timeout),
        "L2SEC_PPP_TIMEOUT": str(cfg.ppp_timeout),
        "L2SEC_PING_LNS": cfg.ping_lns,
        "L2SEC_PING_CORP": " ".join(cfg.ping_corp),
        "L2SEC_PING_COUNT": str(cfg.ping_count),
        "L2SEC_HOLD": str(cfg.hold),
        "L2SEC_DUMP_LOGS": cfg.dump_logs,
        "L2SEC_TEARDOWN": "yes" if cfg.teardown else "no",
    }
    files["/l2sec/config.env"] = (0o644, "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items()).encode())

    if cfg.uses_certs:
        files["/etc/swanctl/x509ca/ca.pem"] = (0o644, Path(cfg.ca_cert).read_bytes())
        files["/etc/swanctl/x509/client.pem"] = (0o644, Path(cfg.client_cert).read_bytes())
        files["/etc/swanctl/private/client.pem"] = (0o600, Path(cfg.client_key).read_bytes())
        local = "            auth = pubkey\n            certs = client.pem\n"
        if cfg.local_id:
            local += f'            id = "{cfg.local_id}"\n'
        remote = "            auth = pubkey\n"
        secrets = ""
    else:
        local = f'            auth = psk\n            id = "{cfg.local_id or guest_ip}"\n'
        remote = "            auth = psk\n"
        secrets = f'secrets {{\n    ike-l2sec {{\n        secret = "{cfg.psk}"\n    }}\n}}\n'
    remote += f'            id = "{cfg.remote_id}"\n' if cfg.remote_id else "            id = %any\n"
    port = f"        remote_port = {cfg.ike_port}\n" if cfg.ike_port != 500 else ""
    swanctl = f"""connections {{
    l2sec {{
        version = 1
        remote_addrs = {cfg.gateway}
{port}        proposals = {cfg.ike_proposal}
        local {{
{local}        }}
        remote {{
{remote}        }}
        children {{
            l2tp {{
                mode = transport
                local_ts = dynamic[17/1701]
                remote_ts = dynamic[17/1701]
                esp_proposals = {cfg.esp_proposal}
                start_action = none
            }}
        }}
    }}
}}
{secrets}"""
    files["/etc/swanctl/swanctl.conf"] = (0o600, swanctl.encode())

    files["/etc/xl2tpd/xl2tpd.conf"] = (0o644, f"""[global]
port = 1701

[lac l2sec]
lns = {cfg.gateway}
pppoptfile = /etc/ppp/options.l2tpd.client
length bit = yes
redial = no
ppp debug = yes
""".encode())

    ppp = [
        "ipcp-accept-local", "ipcp-accept-remote", "noipdefault", "refuse-eap", "noauth",
        f'name "{cfg.user}"', f'user "{cfg.user}"', f'password "{cfg.password}"',
        f"mtu {cfg.mtu}", f"mru {cfg.mtu}", "nodefaultroute", "debug", "logfile /var/log/pppd.log",
    ]
    ppp += {
        "any": [],
        "pap": ["refuse-chap", "refuse-mschap", "refuse-mschap-v2"],
        "chap": ["refuse-pap", "refuse-mschap", "refuse-mschap-v2"],
        "mschap-v2": ["refuse-pap", "refuse-chap", "refuse-mschap"],
    }[cfg.ppp_auth]
    ppp += {
        "none": ["noccp"],
        "any": [],
        "deflate": ["deflate 15,15", "nobsdcomp", "nopredictor1"],
        "bsdcomp": ["bsdcomp 15,15", "nodeflate", "nopredictor1"],
        "mppe": ["require-mppe-128", "nodeflate", "nobsdcomp", "nopredictor1"],
    }[cfg.ccp]
    ppp += cfg.extra_pppd_options
    files["/etc/ppp/options.l2tpd.client"] = (0o600, ("\n".join(ppp) + "\n").encode())
    return files


def newc_archive(files: dict[str, tuple[int, bytes]]) -> bytes:
    """An uncompressed cpio (newc) archive with the files and their parent directories."""
    entries: list[tuple[str, int, bytes]] = []
    dirs: set[str] = set()
    for path in sorted(files):
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if d not in dirs:
                dirs.add(d)
                entries.append((d, 0o040755, b""))
        mode, data = files[path]
        entries.append(("/".join(parts), 0o100000 | mode, data))
    entries.append(("TRAILER!!!", 0, b""))
    out = bytearray()
    for ino, (name, mode, data) in enumerate(entries, start=1):
        bname = name.encode() + b"\0"
        nlink = 2 if mode & 0o040000 else 1
        fields = (ino if name != "TRAILER!!!" else 0, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(bname), 0)
        out += b"070701" + "".join(f"{v:08X}" for v in fields).encode() + bname
        out += b"\0" * (-len(out) % 4)
        out += data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


@dataclass
class ReferenceLnsConfig:
    """A reference LNS in a guest (Linux strongSwan responder + xl2tpd LNS + pppd), reached through
    QEMU hostfwd on the host's 127.0.0.1 UDP 500 and 4500: the clients' path through two NATs to a
    known-good server. It checks the harness itself while our gateway does not exist yet; it takes
    the ports the gateway would use, so run one or the other."""

    name: str = "reflns"
    psk: str = ClientConfig.psk
    ike_proposals: str = "aes128-sha1-modp2048,aes256-sha256-modp2048,3des-sha1-modp1024,3des-sha1-modp2048"
    esp_proposals: str = "aes128-sha1,aes256-sha256,aes256-sha1,3des-sha1"
    users: dict[str, str] = field(default_factory=lambda: {ClientConfig.user: ClientConfig.password})
    ppp_auth: str = "any"  # any | pap | chap | mschap-v2: what the server requires
    ccp: str = "any"  # any (pppd's defaults) | none (noccp)
    local_ip: str = "198.19.0.1"
    ip_range: str = "198.19.0.10-198.19.0.20"
    corp_addrs: list[str] = field(default_factory=lambda: ["198.19.1.1"])  # on the server's lo
    listen: str = "127.0.0.1"
    # optional X.509: with these, a second connection accepts clients with certificates
    ca_cert: Optional[str] = None
    server_cert: Optional[str] = None
    server_key: Optional[str] = None
    guest_timeout: float = 1800.0
    dump_logs: str = "onfail"

    def validate(self) -> None:
        if self.listen != "127.0.0.1":
            raise HarnessError("the reference LNS listens on 127.0.0.1 only")
        for a in [self.local_ip, *self.corp_addrs, *self.ip_range.split("-")]:
            if ipaddress.ip_address(a) not in ALLOWED_NET:
                raise HarnessError(f"{a} outside {ALLOWED_NET}")
        if self.ppp_auth not in PPP_AUTH:
            raise HarnessError(f"ppp_auth {self.ppp_auth!r} not in {PPP_AUTH}")
        certs = (self.ca_cert, self.server_cert, self.server_key)
        if any(certs) and not all(certs):
            raise HarnessError("certificates need ca_cert, server_cert and server_key")

    @property
    def hostfwd(self) -> tuple[str, ...]:
        g = GUEST_ADDR.split("/")[0]
        return tuple(f"hostfwd=udp:{self.listen}:{p}-{g}:{p}" for p in (500, 4500))

    def render(self) -> dict[str, tuple[int, bytes]]:
        self.validate()
        env = {"L2SEC_ROLE": "server", "L2SEC_NAME": self.name, "L2SEC_ADDR": GUEST_ADDR,
               "L2SEC_GW": HOST_ALIAS, "L2SEC_SERVER_LO_ADDRS": " ".join(self.corp_addrs),
               "L2SEC_DUMP_LOGS": self.dump_logs}
        files = {"/l2sec/config.env": (0o644, "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items()).encode())}
        cert_conn = ""
        if self.ca_cert:
            files["/etc/swanctl/x509ca/ca.pem"] = (0o644, Path(self.ca_cert).read_bytes())
            files["/etc/swanctl/x509/server.pem"] = (0o644, Path(self.server_cert).read_bytes())
            files["/etc/swanctl/private/server.pem"] = (0o600, Path(self.server_key).read_bytes())
            cert_conn = f"""    l2tp-server-cert {{
        version = 1
        proposals = {self.ike_proposals}
        local {{
            auth = pubkey
            certs = server.pem
        }}
        remote {{
            auth = pubkey
        }}
        children {{
            l2tp {{
                mode = transport
                local_ts = dynamic[17/1701]
                remote_ts = dynamic[17/1701]
                esp_proposals = {self.esp_proposals}
            }}
        }}
    }}
"""
        files["/etc/swanctl/swanctl.conf"] = (0o600, f"""connections {{
{cert_conn}    l2tp-server {{
        version = 1
        proposals = {self.ike_proposals}
        local {{
            auth = psk
        }}
        remote {{
            auth = psk
        }}
        children {{
            l2tp {{
                mode = transport
                local_ts = dynamic[17/1701]
                remote_ts = dynamic[17/1701]
                esp_proposals = {self.esp_proposals}
            }}
        }}
    }}
}}
secrets {{
    ike-any {{
        secret = "{self.psk}"
    }}
}}
""".encode())
        files["/etc/xl2tpd/xl2tpd.conf"] = (0o644, f"""[global]
port = 1701

[lns default]
ip range = {self.ip_range}
local ip = {self.local_ip}
require authentication = yes
name = l2sec-ref
pppoptfile = /etc/ppp/options.xl2tpd.server
length bit = yes
ppp debug = yes
""".encode())
        ppp = ["auth", "name l2sec-ref", "mtu 1400", "mru 1400", "nodefaultroute", "debug",
               "logfile /var/log/pppd.log", "lcp-echo-interval 0"]
        ppp += {"any": [], "pap": ["require-pap"], "chap": ["require-chap"],
                "mschap-v2": ["require-mschap-v2"]}[self.ppp_auth]
        if self.ccp == "none":
            ppp.append("noccp")
        files["/etc/ppp/options.xl2tpd.server"] = (0o600, ("\n".join(ppp) + "\n").encode())
        secrets = "".join(f'"{u}" * "{p}" *\n' for u, p in self.users.items()).encode()
        files["/etc/ppp/chap-secrets"] = (0o600, secrets)
        files["/etc/ppp/pap-secrets"] = (0o600, secrets)
        return files


def build_initrd(image_dir: Path, cfg, dest: Path) -> None:
    """The image's initramfs followed by the configuration archive (4-byte aligned, as the
    kernel's unpacker wants it)."""
    base = (image_dir / "initramfs.cpio.gz").read_bytes()
    with open(dest, "wb") as f:
        f.write(base)
        f.write(b"\0" * (-len(base) % 4))
        f.write(newc_archive(cfg.render()))


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------
@dataclass
class Marker:
    step: str
    value: str
    fields: dict[str, str]
    t: float  # seconds since the guest was started, on the host's clock
    line: str


@dataclass
class GuestResult:
    name: str
    markers: list[Marker] = field(default_factory=list)
    logs: dict[str, str] = field(default_factory=dict)
    console_log: str = ""
    exit_code: Optional[int] = None
    timed_out: bool = False
    stopped: bool = False  # stopped by the caller before the guest powered off
    elapsed: float = 0.0

    def get(self, step: str) -> Optional[Marker]:
        for m in self.markers:
            if m.step == step:
                return m
        return None

    def all(self, step: str) -> list[Marker]:
        return [m for m in self.markers if m.step == step]

    def value(self, step: str) -> Optional[str]:
        m = self.get(step)
        return m.value if m else None

    @property
    def ok(self) -> bool:
        return self.value("done") == "ok" and not self.timed_out

    @property
    def failed_step(self) -> Optional[str]:
        d = self.get("done")
        if d is None:
            return "timeout" if self.timed_out else "no-result"
        return d.fields.get("step")

    def summary(self) -> str:
        status = ("OK" if self.ok else "STOPPED by the caller" if self.stopped and not self.get("done")
                  else f"FAIL ({self.failed_step})")
        lines = [f"[{self.name}] {status} "
                 f"in {self.elapsed:.1f} s, console {self.console_log}"]
        lines += [f"  {m.t:6.1f}s {m.step}={m.value}{''.join(f' {k}={v}' for k, v in m.fields.items())}"
                  for m in self.markers]
        return "\n".join(lines)

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        for m in d["markers"]:
            m.pop("line")
        d["ok"] = self.ok
        d["failed_step"] = self.failed_step
        return d


# --------------------------------------------------------------------------------------------
# one guest
# --------------------------------------------------------------------------------------------
def qemu_command(image_dir: Path, initrd: Path, hostfwd: Iterable[str] = ()) -> list[str]:
    # User networking: the guest's only peer is 198.18.0.2 = the host's loopback. No guestfwd, no
    # hostfwd except the reference LNS's UDP 500/4500 on 127.0.0.1, no TFTP/SMB, no IPv6. restrict=on is not usable (it also cuts UDP to the host
    # alias, and guestfwd is TCP only); the guest init instead routes nothing but 198.18.0.2/32,
    # and the harness refuses any other gateway or target outside 198.18.0.0/15.
    netdev = ",".join([f"user,id=n0,net={SLIRP_NET},host={HOST_ALIAS},ipv6=off", *hostfwd])
    return [
        "qemu-system-x86_64", "-accel", "tcg", "-cpu", "max", "-m", "768", "-smp", "1",
        "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
        "-chardev", "stdio,id=s0,signal=off", "-serial", "chardev:s0",
        "-netdev", netdev, "-device", "virtio-net-pci,netdev=n0",
        "-kernel", str(image_dir / "vmlinuz"), "-initrd", str(initrd),
        "-append", "console=ttyS0 quiet loglevel=3 panic=-1",
    ]


def _die_with_parent() -> None:
    """In the QEMU child: get SIGTERM when the harness dies (killed by a CTest timeout, ^C), so no
    guest outlives it. Linux prctl(PR_SET_PDEATHSIG); it follows the thread that started QEMU."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class Guest:
    """One running client guest. Use as a context manager, or start()/wait()/stop()."""

    def __init__(self, cfg: "ClientConfig | ReferenceLnsConfig", image_dir: str | Path, log_dir: str | Path,
                 on_marker: Optional[Callable[[Marker], None]] = None):
        cfg.validate()
        self.cfg = cfg
        self.image_dir = Path(image_dir)
        self.log_dir = Path(log_dir)
        self.on_marker = on_marker
        self.result = GuestResult(name=cfg.name)
        self._proc: Optional[subprocess.Popen] = None
        self._reader: Optional[threading.Thread] = None
        self._events: "queue.Queue[Marker]" = queue.Queue()
        self._t0 = 0.0
        for f in ("vmlinuz", "initramfs.cpio.gz"):
            if not (self.image_dir / f).is_file():
                raise HarnessError(f"{self.image_dir / f} missing: run scripts/build-guest.sh {self.image_dir}")

    def start(self) -> "Guest":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        initrd = self.log_dir / f"{self.cfg.name}.initrd"
        build_initrd(self.image_dir, self.cfg, initrd)
        console = self.log_dir / f"{self.cfg.name}.console.log"
        self.result.console_log = str(console)
        self._t0 = time.monotonic()
        self._proc = subprocess.Popen(qemu_command(self.image_dir, initrd, self.cfg.hostfwd), stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      preexec_fn=_die_with_parent)
        self._reader = threading.Thread(target=self._read, args=(console,), daemon=True)
        self._reader.start()
        return self

    def _read(self, console: Path) -> None:
        assert self._proc and self._proc.stdout
        log_name: Optional[str] = None
        log_lines: list[str] = []
        with open(console, "w", encoding="utf-8", errors="replace") as out:
            for raw in self._proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                out.write(line + "\n")
                out.flush()
                if log_name is not None:
                    end = LOG_END_RE.search(line)
                    if end and end.group(1) == log_name:
                        self.result.logs[log_name] = "\n".join(log_lines)
                        log_name = None
                    else:
                        log_lines.append(line)
                    continue
                begin = LOG_BEGIN_RE.search(line)
                if begin:
                    log_name, log_lines = begin.group(1), []
                    continue
                m = MARKER_RE.search(line)
                if m:
                    fields = dict(kv.split("=", 1) for kv in m.group("rest").split() if "=" in kv)
                    mk = Marker(m.group("step"), m.group("value"), fields, time.monotonic() - self._t0, line)
                    self.result.markers.append(mk)
                    self._events.put(mk)
                    if self.on_marker:
                        self.on_marker(mk)

    def wait_for(self, step: str, timeout: float) -> Marker:
        """Blocks until the guest reports <step> (any value); raises TimeoutError otherwise, or
        HarnessError when the guest finished without it."""
        m = self.result.get(step)
        if m:
            return m
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"[{self.cfg.name}] no {step} marker within {timeout:.0f} s "
                                   f"(console: {self.result.console_log})")
            try:
                mk = self._events.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self._proc and self._proc.poll() is not None and not (self._reader and self._reader.is_alive()):
                    raise HarnessError(f"[{self.cfg.name}] guest ended without {step} "
                                       f"(console: {self.result.console_log})")
                continue
            if mk.step == step:
                return mk
            if mk.step == "done":
                raise HarnessError(f"[{self.cfg.name}] guest finished ({mk.line.strip()}) without {step}")

    def wait(self, timeout: Optional[float] = None) -> GuestResult:
        """Waits for the guest to power off (or kills it after the timeout)."""
        assert self._proc
        timeout = self.cfg.guest_timeout if timeout is None else timeout
        left = timeout - (time.monotonic() - self._t0)
        try:
            self._proc.wait(timeout=max(left, 0.1))
        except subprocess.TimeoutExpired:
            self.result.timed_out = True
            self._kill()
        return self._finish()

    def stop(self) -> GuestResult:
        """Stops the guest now (QEMU gets SIGTERM, then SIGKILL)."""
        if self._proc and self._proc.poll() is None:
            self.result.stopped = True
            self._kill()
        return self._finish()

    def _kill(self) -> None:
        assert self._proc
        self._proc.terminate()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def _finish(self) -> GuestResult:
        assert self._proc
        if self._reader:
            self._reader.join(timeout=10)
        self.result.exit_code = self._proc.returncode
        self.result.elapsed = time.monotonic() - self._t0
        initrd = self.log_dir / f"{self.cfg.name}.initrd"
        initrd.unlink(missing_ok=True)
        return self.result

    def __enter__(self) -> "Guest":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def run_clients(configs: Iterable[ClientConfig], image_dir: str | Path, log_dir: str | Path,
                stagger: float = 0.0, verbose: bool = False) -> list[GuestResult]:
    """Boots one guest per configuration at once, waits until each powers off (or its
    guest_timeout passes) and returns their results in order. stagger: seconds between starts."""
    configs = list(configs)
    names = [c.name for c in configs]
    if len(set(names)) != len(names):
        raise HarnessError(f"client names must differ: {names}")
    lock = threading.Lock()

    def show(name: str) -> Callable[[Marker], None]:
        def f(m: Marker) -> None:
            if verbose:
                with lock:
                    print(f"[{name} {m.t:6.1f}s] {m.line.strip()[len('L2SEC-RESULT '):] if 'L2SEC-RESULT ' in m.line else m.line}",
                          flush=True)
        return f

    guests = []
    try:
        for i, c in enumerate(configs):
            if i and stagger:
                time.sleep(stagger)
            guests.append(Guest(c, image_dir, log_dir, on_marker=show(c.name)).start())
        return [g.wait() for g in guests]
    finally:
        for g in guests:
            g.stop()


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description="Boot real L2TP/IPsec clients (strongSwan + xl2tpd + pppd) in QEMU guests behind "
                    "QEMU's NAT against a gateway on 127.0.0.1 UDP 500/4500, and report each step.")
    p.add_argument("--image", required=True, help="directory with vmlinuz and initramfs.cpio.gz "
                   "(scripts/build-guest.sh DIR)")
    p.add_argument("--log-dir", default=None, help="console logs go here (default: IMAGE/../interop-logs)")
    p.add_argument("--clients", type=int, default=1, help="number of guests at once (default 1)")
    p.add_argument("--name", default="client", help="name prefix: client1, client2, ...")
    p.add_argument("--stagger", type=float, default=0.0, help="seconds between guest starts")
    d = ClientConfig()
    p.add_argument("--psk", default=d.psk)
    p.add_argument("--ca-cert"), p.add_argument("--client-cert"), p.add_argument("--client-key")
    p.add_argument("--local-id"), p.add_argument("--remote-id")
    p.add_argument("--ike-proposal", action="append", help=f"IKE proposal (default {d.ike_proposal}); "
                   "give several to give the clients different ones, round robin")
    p.add_argument("--esp-proposal", action="append", help=f"ESP proposal (default {d.esp_proposal})")
    p.add_argument("--ike-port", type=int, default=500)
    p.add_argument("--user", default=d.user, help="PPP user; with --clients >1 a number is appended")
    p.add_argument("--password", default=d.password)
    p.add_argument("--ppp-auth", choices=PPP_AUTH, default=d.ppp_auth)
    p.add_argument("--ccp", choices=CCP, default=d.ccp)
    p.add_argument("--mtu", type=int, default=d.mtu)
    p.add_argument("--pppd-option", action="append", default=[], help="extra pppd option line")
    p.add_argument("--ping-lns", default=d.ping_lns, help="auto (the PPP peer), none, or an address")
    p.add_argument("--ping-corp", action="append", default=[], help="address behind the LNS to ping")
    p.add_argument("--ping-count", type=int, default=d.ping_count)
    p.add_argument("--ike-timeout", type=int, default=d.ike_timeout)
    p.add_argument("--ppp-timeout", type=int, default=d.ppp_timeout)
    p.add_argument("--hold", type=int, default=d.hold, help="seconds to keep the session up at the end")
    p.add_argument("--no-teardown", action="store_true", help="power off without L2TP StopCCN / IKE delete")
    p.add_argument("--guest-timeout", type=float, default=d.guest_timeout)
    p.add_argument("--dump-logs", choices=("onfail", "always"), default=d.dump_logs)
    p.add_argument("--json", help="write the results as JSON to this file")
    p.add_argument("-q", "--quiet", action="store_true", help="no live markers")
    return p


def configs_from_args(a: argparse.Namespace) -> list[ClientConfig]:
    ikes = a.ike_proposal or [ClientConfig.ike_proposal]
    esps = a.esp_proposal or [ClientConfig.esp_proposal]
    out = []
    for i in range(a.clients):
        out.append(ClientConfig(
            name=f"{a.name}{i + 1}", ike_port=a.ike_port,
            psk=None if a.ca_cert else a.psk, ca_cert=a.ca_cert, client_cert=a.client_cert,
            client_key=a.client_key, local_id=a.local_id, remote_id=a.remote_id,
            ike_proposal=ikes[i % len(ikes)], esp_proposal=esps[i % len(esps)],
            user=a.user if a.clients == 1 else f"{a.user}{i + 1}", password=a.password,
            ppp_auth=a.ppp_auth, ccp=a.ccp, mtu=a.mtu, extra_pppd_options=a.pppd_option,
            ping_lns=a.ping_lns, ping_corp=a.ping_corp, ping_count=a.ping_count,
            ike_timeout=a.ike_timeout, ppp_timeout=a.ppp_timeout, hold=a.hold, teardown=not a.no_teardown,
            guest_timeout=a.guest_timeout, dump_logs=a.dump_logs))
    return out


def main(argv: Optional[list[str]] = None) -> int:
    a = _parser().parse_args(argv)
    image = Path(a.image)
    log_dir = Path(a.log_dir) if a.log_dir else image.parent / "interop-logs"
    try:
        configs = configs_from_args(a)
        results = run_clients(configs, image, log_dir, stagger=a.stagger, verbose=not a.quiet)
    except HarnessError as e:
        print(f"l2tp_client: {e}", file=sys.stderr)
        return 2
    for r in results:
        print(r.summary())
        if not r.ok:
            for name, text in r.logs.items():
                print(f"  --- {name} ---")
                print("\n".join("    " + ln for ln in text.splitlines()[-40:]))
    if a.json:
        Path(a.json).write_text(json.dumps([r.to_json() for r in results], indent=2))
    ok = sum(r.ok for r in results)
    print(f"l2tp_client: {ok}/{len(results)} clients OK")
    return 0 if ok == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
