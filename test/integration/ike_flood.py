#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""ike_flood.py: IKE_SA_INIT requests for test_ike_flood.sh (standard library only).

    ike_flood.py probe --dst IP --src IP [--cookie-retry] [--tries N]
    ike_flood.py flood --dst IP --net A.B.C.0/24 --exclude IP,.. [--count N] [--duration S]

probe: one well-formed IKE_SA_INIT request from a real UDP socket bound to
    SRC (an address of this namespace), retransmitted once a second up to
    --tries times until a response arrives. Prints one line per response:
        response init ...    (SA, KE and Nonce: the responder made a half-open SA)
        response cookie ...  (N(COOKIE) only: the responder is under load)
        response notify TYPE / response other / response none
    followed by how many times it was sent and how long the answer took.
    With --cookie-retry a COOKIE answer is returned as RFC 7296 2.6 asks (the
    same request with N(COOKIE) first) and the second response is printed too.
    Exit status 0 when the last request was answered with "init".

flood: as many requests as it can send (until --count or --duration, whichever
    comes first) through a raw socket (IP_HDRINCL), each from a random source
    address of --net (minus the network, broadcast and --exclude addresses) and
    a random source port, each with its own SPIi, KE and nonce. Prints
        sent N in T s (R/s)

Each request carries one proposal: ENCR AES-GCM-16 (20) with a 256-bit key,
PRF HMAC-SHA2-256 (5), DH Curve25519 (31); a KE payload of group 31 (32
octets), a 32-octet nonce and the NAT detection notifies (RFC 7296 3.1-3.10,
2.23). Spoofed addresses are only valid inside the test's namespaces.
"""

import argparse
import array
import hashlib
import ipaddress
import os
import random
import socket
import struct
import sys
import time

IKE_SA_INIT = 34
FLAG_INITIATOR = 0x08
FLAG_RESPONSE = 0x20
PL_NONE, PL_SA, PL_KE, PL_NONCE, PL_NOTIFY = 0, 33, 34, 40, 41
XF_ENCR, XF_PRF, XF_DH = 1, 2, 4
ENCR_AES_GCM_16, PRF_HMAC_SHA2_256, DH_CURVE25519 = 20, 5, 31
ATTR_KEY_LENGTH = 14
N_COOKIE, N_NATD_SRC, N_NATD_DST = 16390, 16388, 16389
IKE_PORT = 500


def transform(more, xf_type, xf_id, attrs=b""):
    """3.3.2: Last Substruc 3 (more follow) or 0, length, type, ID, attributes."""
    return struct.pack("!BBHBBH", 3 if more else 0, 0, 8 + len(attrs),
                       xf_type, 0, xf_id) + attrs


def sa_body():
    """One IKE proposal (3.3.1): AES-GCM-16/256, PRF-HMAC-SHA2-256, DH 31."""
    xfs = (transform(True, XF_ENCR, ENCR_AES_GCM_16,
                     struct.pack("!HH", 0x8000 | ATTR_KEY_LENGTH, 256)) +
           transform(True, XF_PRF, PRF_HMAC_SHA2_256) +
           transform(False, XF_DH, DH_CURVE25519))
    # last proposal, number 1, protocol IKE (1), no SPI, 3 transforms
    return struct.pack("!BBHBBBB", 0, 0, 8 + len(xfs), 1, 1, 0, 3) + xfs


SA_BODY = sa_body()


def natd(spi_i, ip, port):
    """2.23: SHA-1(SPIi | SPIr (zero here) | IP | port)."""
    return hashlib.sha1(spi_i + bytes(8) + socket.inet_aton(ip) +
                        struct.pack("!H", port)).digest()


def notify_body(n_type, data):
    """3.10: protocol 0, no SPI, type, data."""
    return struct.pack("!BBH", 0, 0, n_type) + data


def init_request(spi_i, src, sport, dst, nonce, ke, cookie=None):
    """An IKE_SA_INIT request: [N(COOKIE)] SA KE Ni N(NATD_S) N(NATD_D)."""
    body = []
    if cookie is not None:
        body.append((PL_NOTIFY, notify_body(N_COOKIE, cookie)))
    body.append((PL_SA, SA_BODY))
    body.append((PL_KE, struct.pack("!HH", DH_CURVE25519, 0) + ke))
    body.append((PL_NONCE, nonce))
    body.append((PL_NOTIFY, notify_body(N_NATD_SRC, natd(spi_i, src, sport))))
    body.append((PL_NOTIFY, notify_body(N_NATD_DST, natd(spi_i, dst, IKE_PORT))))
    out = b""
    for i, (_, data) in enumerate(body):
        nxt = body[i + 1][0] if i + 1 < len(body) else PL_NONE
        out += struct.pack("!BBH", nxt, 0, 4 + len(data)) + data
    hdr = spi_i + bytes(8) + struct.pack("!BBBBII", body[0][0], 0x20, IKE_SA_INIT,
                                         FLAG_INITIATOR, 0, 28 + len(out))
    return hdr + out


def parse_response(buf):
    """(exchange, flags, [(payload type, body)]) or None when malformed."""
    if len(buf) < 28:
        return None
    nxt, _ver, exch, flags, _mid, length = struct.unpack("!BBBBII", buf[16:28])
    if length != len(buf):
        return None
    off, pls = 28, []
    while nxt != PL_NONE:
        if off + 4 > len(buf):
            return None
        n2, _crit, plen = struct.unpack("!BBH", buf[off:off + 4])
        if plen < 4 or off + plen > len(buf):
            return None
        pls.append((nxt, buf[off + 4:off + plen]))
        nxt, off = n2, off + plen
    return exch, flags, pls


def classify(buf):
    """("init", None) / ("cookie", data) / ("notify", type) / ("other", None)."""
    r = parse_response(buf)
    if r is None or r[0] != IKE_SA_INIT or not r[1] & FLAG_RESPONSE:
        return "other", None
    types = [t for t, _ in r[2]]
    if PL_SA in types and PL_KE in types and PL_NONCE in types:
        return "init", None
    for t, body in r[2]:
        if t == PL_NOTIFY and len(body) >= 4:
            n_type = struct.unpack("!H", body[2:4])[0]
            if n_type == N_COOKIE:
                return "cookie", body[4:]
            return "notify", n_type
    return "other", None


def probe(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.src, 0))
    sport = s.getsockname()[1]
    s.settimeout(1.0)
    spi_i, nonce, ke = os.urandom(8), os.urandom(32), os.urandom(32)
    cookie, kind = None, "none"
    for _round in range(2):
        req = init_request(spi_i, args.src, sport, args.dst, nonce, ke, cookie)
        kind, data, sends, t0 = "none", None, 0, time.monotonic()
        for _ in range(args.tries):
            s.sendto(req, (args.dst, IKE_PORT))
            sends += 1
            try:
                while True:
                    buf, peer = s.recvfrom(4096)
                    if peer[0] == args.dst and buf[:8] == spi_i:
                        break
            except socket.timeout:
                continue
            kind, data = classify(buf)
            break
        detail = f"{len(data)} octets" if kind == "cookie" else data
        print("response", kind, "" if detail is None else detail,
              f"after {sends} send(s), {time.monotonic() - t0:.3f} s", flush=True)
        if kind != "cookie" or not args.cookie_retry:
            break
        cookie = data
    return 0 if kind == "init" else 1


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(array.array("H", data))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def datagram(src, dst_raw, dst, sport):
    """IPv4 + UDP + a fresh IKE_SA_INIT request from src:sport."""
    payload = init_request(os.urandom(8), src, sport, dst, os.urandom(32), os.urandom(32))
    ulen = 8 + len(payload)
    src_raw = socket.inet_aton(src)
    udp = struct.pack("!HHHH", sport, IKE_PORT, ulen, 0) + payload
    # array("H") sums in host order; the one's complement sum is written
    # back in host order too (RFC 1071 1.2.B); 0 is sent as 0xffff (RFC 768)
    ck = checksum(src_raw + dst_raw + struct.pack("!BBH", 0, socket.IPPROTO_UDP, ulen) + udp)
    udp = udp[:6] + struct.pack("=H", ck or 0xffff) + udp[8:]
    # IP_HDRINCL: the kernel fills in the header checksum (and the ID when 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64,
                     socket.IPPROTO_UDP, 0, src_raw, dst_raw)
    return ip + udp


def flood(args):
    net = ipaddress.ip_network(args.net)
    excl = {ipaddress.ip_address(a) for a in args.exclude.split(",") if a}
    pool = [str(h) for h in net.hosts() if h not in excl]
    if not pool:
        print("no source address left", file=sys.stderr)
        return 2
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    dst_raw = socket.inet_aton(args.dst)
    rnd = random.SystemRandom()
    sent = errors = 0
    t0 = time.monotonic()
    end = t0 + args.duration
    while sent < args.count:
        if sent % 256 == 0 and time.monotonic() >= end:
            break
        sport = rnd.randrange(1024, 65536)
        if sport == 4500:
            continue
        pkt = datagram(rnd.choice(pool), dst_raw, args.dst, sport)
        try:
            s.sendto(pkt, (args.dst, 0))
            sent += 1
        except (BlockingIOError, OSError):
            errors += 1      # ENOBUFS under load: the flood goes on
    dt = time.monotonic() - t0
    print(f"sent {sent} in {dt:.2f} s ({sent / dt if dt else 0:.0f}/s), {errors} send errors",
          flush=True)
    return 0 if sent else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    p = sub.add_parser("probe")
    p.add_argument("--dst", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--tries", type=int, default=5)
    p.add_argument("--cookie-retry", action="store_true")
    f = sub.add_parser("flood")
    f.add_argument("--dst", required=True)
    f.add_argument("--net", required=True)
    f.add_argument("--exclude", default="")
    f.add_argument("--count", type=int, default=20000)
    f.add_argument("--duration", type=float, default=8.0)
    args = ap.parse_args()
    return probe(args) if args.mode == "probe" else flood(args)


if __name__ == "__main__":
    sys.exit(main())
