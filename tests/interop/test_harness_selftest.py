#!/usr/bin/env python3
"""The interop harness without a guest: the configuration archive (read back by GNU cpio), the
rendered client configuration, the refusals that keep guests inside 198.18.0.0/15, and the ISAKMP
parser the IKE test relies on."""
from __future__ import annotations

import gzip
import os
import struct
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import isakmp  # noqa: E402
from l2tp_client import (ClientConfig, HarnessError, ReferenceLnsConfig, build_initrd,  # noqa: E402
                         newc_archive, qemu_command, render_files)


class Archive(unittest.TestCase):
    def test_cpio_reads_back_files_modes_and_dirs(self):
        files = {"/l2sec/config.env": (0o644, b"A=1\n"), "/etc/swanctl/private/k.pem": (0o600, b"x" * 5),
                 "/etc/ppp/empty": (0o644, b"")}
        with tempfile.TemporaryDirectory() as d:
            subprocess.run(["cpio", "-id", "--quiet", "--no-absolute-filenames"], cwd=d, check=True,
                           input=newc_archive(files))
            self.assertEqual(Path(d, "l2sec/config.env").read_bytes(), b"A=1\n")
            self.assertEqual(Path(d, "etc/swanctl/private/k.pem").read_bytes(), b"xxxxx")
            self.assertEqual(Path(d, "etc/ppp/empty").read_bytes(), b"")
            self.assertEqual(os.stat(Path(d, "etc/swanctl/private/k.pem")).st_mode & 0o777, 0o600)
            self.assertTrue(Path(d, "etc/swanctl").is_dir())

    def test_initrd_is_image_then_aligned_config(self):
        with tempfile.TemporaryDirectory() as d:
            img = Path(d)
            (img / "initramfs.cpio.gz").write_bytes(gzip.compress(b"base") + b"\x01")  # odd length
            build_initrd(img, ClientConfig(), img / "out")
            data = (img / "out").read_bytes()
            base = (img / "initramfs.cpio.gz").read_bytes()
            self.assertTrue(data.startswith(base))
            start = len(base) + (-len(base) % 4)
            self.assertEqual(data[len(base):start], b"\0" * (start - len(base)))
            self.assertEqual(data[start:start + 6], b"070701")


class Render(unittest.TestCase):
    def test_psk_client(self):
        f = render_files(ClientConfig(ike_proposal="3des-sha1-modp1024", esp_proposal="3des-sha1",
                                      ppp_auth="mschap-v2", ccp="deflate", ping_corp=["198.19.1.1", "198.19.1.2"]))
        sw = f["/etc/swanctl/swanctl.conf"][1].decode()
        self.assertIn("proposals = 3des-sha1-modp1024", sw)
        self.assertIn("esp_proposals = 3des-sha1", sw)
        self.assertIn("mode = transport", sw)
        self.assertIn("local_ts = dynamic[17/1701]", sw)
        self.assertIn('secret = "l2sec-interop-psk"', sw)
        self.assertNotIn("remote_port", sw)
        ppp = f["/etc/ppp/options.l2tpd.client"][1].decode().splitlines()
        for o in ("refuse-pap", "refuse-chap", "refuse-mschap", "refuse-eap", "deflate 15,15"):
            self.assertIn(o, ppp)
        self.assertNotIn("refuse-mschap-v2", ppp)
        self.assertNotIn("noccp", ppp)
        self.assertIn("lns = 198.18.0.2", f["/etc/xl2tpd/xl2tpd.conf"][1].decode())
        with tempfile.NamedTemporaryFile("wb") as env:
            env.write(f["/l2sec/config.env"][1])
            env.flush()
            out = subprocess.run(["sh", "-c", f'. {env.name}; echo "$L2SEC_PING_CORP|$L2SEC_GW|$L2SEC_TEARDOWN"'],
                                 capture_output=True, text=True, check=True).stdout.strip()
        self.assertEqual(out, "198.19.1.1 198.19.1.2|198.18.0.2|yes")

    def test_pap_noccp_and_port(self):
        f = render_files(ClientConfig(ppp_auth="pap", ike_port=4501))
        ppp = f["/etc/ppp/options.l2tpd.client"][1].decode().splitlines()
        self.assertIn("noccp", ppp)
        self.assertIn("refuse-chap", ppp)
        self.assertNotIn("refuse-pap", ppp)
        self.assertIn("remote_port = 4501", f["/etc/swanctl/swanctl.conf"][1].decode())

    def test_certificates(self):
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for n in ("ca", "cert", "key"):
                Path(d, n).write_text(f"-----{n}-----\n")
                paths.append(str(Path(d, n)))
            f = render_files(ClientConfig(psk=None, ca_cert=paths[0], client_cert=paths[1], client_key=paths[2],
                                          remote_id="CN=gw"))
        self.assertEqual(f["/etc/swanctl/x509ca/ca.pem"][1], b"-----ca-----\n")
        self.assertEqual(f["/etc/swanctl/private/client.pem"], (0o600, b"-----key-----\n"))
        sw = f["/etc/swanctl/swanctl.conf"][1].decode()
        self.assertIn("auth = pubkey", sw)
        self.assertIn("certs = client.pem", sw)
        self.assertIn('id = "CN=gw"', sw)
        self.assertNotIn("secrets", sw)

    def test_refusals(self):
        bad = [dict(gateway="8.8.8.8"), dict(gateway="198.18.0.50"), dict(ping_corp=["10.0.0.1"]),
               dict(ping_lns="192.0.2.1"), dict(ppp_auth="pap", ccp="mppe"), dict(ccp="lzs"),
               dict(psk=None), dict(ca_cert="/x"), dict(name="a b"), dict(password='a"b')]
        for kw in bad:
            with self.subTest(kw=kw), self.assertRaises(HarnessError):
                render_files(ClientConfig(**kw))

    def test_qemu_network_stays_on_loopback(self):
        cmd = qemu_command(Path("/img"), Path("/i"), ReferenceLnsConfig().hostfwd)
        net = cmd[cmd.index("-netdev") + 1]
        self.assertTrue(net.startswith("user,id=n0,net=198.18.0.0/24,host=198.18.0.2,ipv6=off"))
        self.assertIn("hostfwd=udp:127.0.0.1:500-198.18.0.15:500", net)
        self.assertIn("hostfwd=udp:127.0.0.1:4500-198.18.0.15:4500", net)
        self.assertNotIn("guestfwd", net)
        self.assertEqual(qemu_command(Path("/img"), Path("/i"), ClientConfig().hostfwd)[cmd.index("-netdev") + 1],
                         "user,id=n0,net=198.18.0.0/24,host=198.18.0.2,ipv6=off")
        self.assertEqual(cmd[cmd.index("-accel") + 1], "tcg")
        self.assertEqual(cmd[cmd.index("-m") + 1], "768")


def main_mode_1(enc=7, keylen=128, hsh=2, group=14, auth=1, exch=2, rspi=bytes(8), extra=b""):
    attrs = struct.pack("!HH", 0x8001, enc) + struct.pack("!HH", 0x8002, hsh) + struct.pack("!HH", 0x8003, auth)
    attrs += struct.pack("!HH", 0x8004, group)
    if keylen:
        attrs += struct.pack("!HH", 0x800E, keylen)
    attrs += struct.pack("!HHI", 12, 4, 28800)  # a TLV life duration
    transform = struct.pack("!BBHBBH", 0, 0, 8 + len(attrs), 1, 1, 0) + attrs
    proposal = struct.pack("!BBHBBBB", 0, 0, 8 + len(transform), 1, 1, 0, 1) + transform
    sa = struct.pack("!II", 1, 1) + proposal
    vid = isakmp.VID_RFC3947
    payloads = struct.pack("!BBH", 13, 0, 4 + len(sa)) + sa + struct.pack("!BBH", 0, 0, 4 + len(vid)) + vid
    body = payloads + extra
    return struct.pack("!8s8sBBBBII", b"\x11" * 8, rspi, 1, 0x10, exch, 0, 0, 28 + len(body)) + body


class Isakmp(unittest.TestCase):
    def test_parses_main_mode_1(self):
        m = isakmp.parse_first_message(main_mode_1())
        self.assertEqual([t.key() for t in m.transforms],
                         [isakmp.expected_transform("aes128-sha1-modp2048", isakmp.AUTH_PSK)])
        self.assertEqual(m.transforms[0].attrs[12], 28800)
        self.assertIn(isakmp.VID_RFC3947, m.vendor_ids)
        self.assertNotEqual(isakmp.expected_transform("aes256-sha1-modp2048", 1), m.transforms[0].key())
        self.assertEqual(isakmp.expected_transform("3des-sha1-modp1024", 1), (5, None, 2, 2, 1))

    def test_rejects(self):
        good = main_mode_1()
        for bad in (main_mode_1(exch=4), main_mode_1(rspi=b"\1" * 8), good[:-1], good + b"\0",
                    good[:17] + b"\x20" + good[18:], good[:20]):
            with self.subTest(bad=bad[:20].hex()), self.assertRaises(isakmp.IsakmpError):
                isakmp.parse_first_message(bad)


if __name__ == "__main__":
    unittest.main(verbosity=1)
