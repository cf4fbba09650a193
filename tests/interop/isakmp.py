"""Just enough ISAKMP (RFC 2408/2409/3947) to check an IKEv1 initiator's first Main Mode message."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

EXCH_MAIN_MODE = 2  # Identity Protection
PAYLOAD_SA, PAYLOAD_PROPOSAL, PAYLOAD_TRANSFORM, PAYLOAD_VENDOR_ID = 1, 2, 3, 13
# RFC 2409 appendix A attribute types and the values we name
ATTR_ENC, ATTR_HASH, ATTR_AUTH, ATTR_GROUP, ATTR_KEY_LENGTH = 1, 2, 3, 4, 14
ENC = {"des": 1, "3des": 5, "aes128": 7, "aes192": 7, "aes256": 7}
HASH = {"md5": 1, "sha1": 2, "sha256": 4, "sha384": 5, "sha512": 6}
GROUP = {"modp768": 1, "modp1024": 2, "modp1536": 5, "modp2048": 14, "modp3072": 15, "modp4096": 16}
AUTH_PSK, AUTH_RSA_SIG = 1, 3
VID_RFC3947 = bytes.fromhex("4a131c81070358455c5728f20e95452f")


class IsakmpError(ValueError):
    pass


@dataclass
class Transform:
    attrs: dict[int, int]

    def key(self) -> tuple:
        """(encryption, key length or None, hash, group, auth method)."""
        a = self.attrs
        return (a.get(ATTR_ENC), a.get(ATTR_KEY_LENGTH), a.get(ATTR_HASH), a.get(ATTR_GROUP), a.get(ATTR_AUTH))


@dataclass
class FirstMessage:
    initiator_spi: bytes
    transforms: list[Transform] = field(default_factory=list)
    vendor_ids: list[bytes] = field(default_factory=list)


def expected_transform(proposal: str, auth: int) -> tuple:
    """The transform an IKEv1 initiator sends for a single strongSwan proposal like
    'aes128-sha1-modp2048'."""
    enc, hsh, grp = proposal.split("-")
    keylen = int(enc[3:]) if enc.startswith("aes") else None
    return (ENC[enc], keylen, HASH[hsh], GROUP[grp], auth)


def parse_first_message(data: bytes) -> FirstMessage:
    """Parses and checks the header of an initiator's first Main Mode message; raises
    IsakmpError naming what is wrong."""
    if len(data) < 28:
        raise IsakmpError(f"{len(data)} bytes: shorter than an ISAKMP header")
    ispi, rspi, nxt, ver, exch, flags, msgid, length = struct.unpack("!8s8sBBBBII", data[:28])
    if ver != 0x10:
        raise IsakmpError(f"version 0x{ver:02x}, not 1.0 (IKEv1)")
    if exch != EXCH_MAIN_MODE:
        raise IsakmpError(f"exchange type {exch}, not Main Mode (2)")
    if ispi == bytes(8) or rspi != bytes(8):
        raise IsakmpError("first message needs a non-zero initiator SPI and a zero responder SPI")
    if flags != 0 or msgid != 0:
        raise IsakmpError(f"flags 0x{flags:02x} / message id {msgid}: not a first message")
    if length != len(data):
        raise IsakmpError(f"header length {length} != datagram length {len(data)}")
    if nxt != PAYLOAD_SA:
        raise IsakmpError(f"first payload {nxt}, not SA")
    msg = FirstMessage(initiator_spi=ispi)
    off = 28
    while nxt:
        if off + 4 > len(data):
            raise IsakmpError(f"payload {nxt} header beyond the end")
        nnext, _, plen = struct.unpack("!BBH", data[off:off + 4])
        if plen < 4 or off + plen > len(data):
            raise IsakmpError(f"payload {nxt} length {plen} out of bounds")
        body = data[off + 4:off + plen]
        if nxt == PAYLOAD_SA:
            msg.transforms += _parse_sa(body)
        elif nxt == PAYLOAD_VENDOR_ID:
            msg.vendor_ids.append(body)
        nxt, off = nnext, off + plen
    if off != len(data):
        raise IsakmpError(f"{len(data) - off} bytes after the last payload")
    if not msg.transforms:
        raise IsakmpError("no transform in the SA payload")
    return msg


def _parse_sa(body: bytes) -> list[Transform]:
    doi, situation = struct.unpack("!II", body[:8])
    if doi != 1:
        raise IsakmpError(f"SA DOI {doi}, not IPsec (1)")
    out: list[Transform] = []
    off, nxt = 8, PAYLOAD_PROPOSAL
    while nxt:
        nnext, _, plen = struct.unpack("!BBH", body[off:off + 4])
        pnum, proto, spisize, ntrans = struct.unpack("!BBBB", body[off + 4:off + 8])
        if proto != 1:
            raise IsakmpError(f"proposal protocol {proto}, not ISAKMP (1)")
        toff = off + 8 + spisize
        tnext = PAYLOAD_TRANSFORM
        for _ in range(ntrans):
            if tnext != PAYLOAD_TRANSFORM:
                raise IsakmpError("transform count does not match the transform chain")
            tnext, _, tlen = struct.unpack("!BBH", body[toff:toff + 4])
            out.append(Transform(_parse_attrs(body[toff + 8:toff + tlen])))
            toff += tlen
        nxt, off = nnext, off + plen
    return out


def _parse_attrs(b: bytes) -> dict[int, int]:
    attrs: dict[int, int] = {}
    off = 0
    while off + 4 <= len(b):
        t, v = struct.unpack("!HH", b[off:off + 4])
        if t & 0x8000:  # TV
            attrs[t & 0x7FFF] = v
            off += 4
        else:  # TLV
            attrs[t] = int.from_bytes(b[off + 4:off + 4 + v], "big")
            off += 4 + v
    if off != len(b):
        raise IsakmpError("transform attributes do not end on the transform's end")
    return attrs
