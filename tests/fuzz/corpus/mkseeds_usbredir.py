#!/usr/bin/env python3
"""Seed corpus of fuzz_usbredir (input format: tests/fuzz/fuzz_usbredir.c):
the chunks a usbredir usb-host sends, one per client packet, for a CCID
reader at short-APDU level with a card, then variations."""
import os
import struct
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "usbredir")
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mkseeds_slot import desc, SHORT_FEAT, ATR_T1  # noqa: E402

# usbredirproto.h
HELLO, DEVICE_CONNECT, DEVICE_DISCONNECT = 0, 1, 2
INTERFACE_INFO, EP_INFO = 4, 5
CONTROL, BULK = 100, 101
# caps: connect_device_version, ep_info_max_packet_size, 64bits_ids,
# 32bits_bulk_length
CAPS = 1 << 1 | 1 << 4 | 1 << 5 | 1 << 6


def pkt(typ, payload, wide=True):
    if wide:
        return struct.pack("<IIQ", typ, len(payload), 0) + payload
    return struct.pack("<III", typ, len(payload), 0) + payload


def chunk(data, patch=True, unsolicited=False):
    flags = (1 if patch else 0) | (2 if unsolicited else 0)
    return struct.pack("<BH", flags, len(data)) + data


def announce(caps=CAPS, ifclass=0x0B):
    hello = pkt(HELLO, b"fuzz-usb-host".ljust(64, b"\0") +
                struct.pack("<I", caps), wide=False)
    wide = bool(caps & 1 << 5)
    ifinfo = struct.pack("<I", 1) + bytes([0]).ljust(32, b"\0") + \
        bytes([ifclass]).ljust(32, b"\0") + bytes(32) + bytes(32)
    types = [255] * 32
    types[0], types[0x01], types[0x12] = 0, 2, 2
    epinfo = bytes(types) + bytes(32) + bytes(32) + \
        struct.pack("<32H", *([64] * 32))
    conn = struct.pack("<BBBBHHH", 1, 0, 0, 0, 0x08E6, 0x3437, 0x0100)
    return hello + pkt(INTERFACE_INFO, ifinfo, wide) + \
        pkt(EP_INFO, epinfo, wide) + pkt(DEVICE_CONNECT, conn, wide)


def control_in(value, data, status=0):
    h = struct.pack("<BBBBHHH", 0x80, 6, 0x80, status, value, 0, len(data))
    return pkt(CONTROL, h + data)


def bulk(ep, data=b"", length=None, status=0):
    n = len(data) if length is None else length
    h = struct.pack("<BBHIH", ep, status, n & 0xFFFF, 0, n >> 16)
    return pkt(BULK, h + data)


DEV = struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, 64, 0x08E6,
                  0x3437, 0x0100, 1, 2, 0, 1)


def config(feat=SHORT_FEAT):
    cd = desc(feat)
    itf = bytes([9, 4, 0, 0, 2, 0x0B, 0, 0, 0])
    eps = bytes([7, 5, 0x01, 2, 64, 0, 0]) + bytes([7, 5, 0x82, 2, 64, 0, 0])
    body = itf + cd + eps
    total = 9 + len(body)
    return bytes([9, 2]) + struct.pack("<H", total) + \
        bytes([1, 1, 0, 0x80, 50]) + body


def string(s):
    b = s.encode("utf-16-le")
    return bytes([2 + len(b), 3]) + b


def ccid(typ, seq, status=0, error=0, chain=0, data=b""):
    return struct.pack("<BIBBBBB", typ, len(data), 0, seq, status, error,
                       chain) + data


def exchange(seq, reply):
    """A command: the OUT completion, then the IN answer."""
    return chunk(bulk(0x01, length=10)) + chunk(bulk(0x82, reply))


def session(feat=SHORT_FEAT, end=b""):
    cfg = config(feat)
    s = chunk(announce())
    s += chunk(control_in(0x0100, DEV))
    s += chunk(control_in(0x0200, cfg[:9]))
    s += chunk(control_in(0x0200, cfg))
    s += chunk(control_in(0x0301, string("Fuzz")))
    s += chunk(control_in(0x0302, string("Redir Reader")))
    s += exchange(0, ccid(0x81, 0, status=1))                # GetSlotStatus
    s += exchange(1, ccid(0x80, 1, data=ATR_T1))             # IccPowerOn
    s += exchange(2, ccid(0x80, 2, data=b"\x90\x00"))        # XfrBlock
    s += exchange(3, ccid(0x81, 3, status=1))                # IccPowerOff
    return s + end


# Packets a usb-host may send that a CCID guest never asks for (each needs
# a handler: usbredirparser calls its callbacks without a NULL check), sent
# with every capability announced, right after the device.
ALL_CAPS = 0xFF
UNASKED = {
    "alt_setting_status": pkt(11, bytes([0, 0, 1])),
    "iso_stream_status": pkt(14, bytes([0, 0x83])),
    "bulk_streams_status": pkt(20, struct.pack("<IIB", 2, 4, 0)),
    "filter_reject": pkt(22, b""),
    "filter_filter": pkt(23, b"0x03,-1,-1,-1,0|-1,-1,-1,-1,1\0"),
    "device_disconnect_ack": pkt(24, b""),
    "bulk_receiving_status": pkt(27, struct.pack("<IBB", 0, 0x82, 0)),
    "iso_packet": pkt(102, struct.pack("<BBH", 0x83, 0, 4) + b"\1\2\3\4"),
    "buffered_bulk_packet": pkt(104, struct.pack("<IIBB", 0, 3, 0x82, 0) +
                                b"\x81\0\0"),
}

SEEDS = {
    "short-apdu-session": session(),
    "disconnect-midway": session()[:400] +
    chunk(pkt(DEVICE_DISCONNECT, b""), patch=False, unsolicited=True),
    "no-64bit-ids": chunk(announce(caps=CAPS & ~(1 << 5))),
    "not-ccid": chunk(announce(ifclass=0x03)) + chunk(control_in(0x0100, DEV)),
    "hello-only": chunk(announce()[:80]),
    "stall-descriptor": chunk(announce()) +
    chunk(control_in(0x0100, b"", status=4)),
    "short-config": chunk(announce()) + chunk(control_in(0x0100, DEV)) +
    chunk(control_in(0x0200, bytes([9, 2, 0xFF, 0xFF]))),
}

for _name, _p in UNASKED.items():
    SEEDS["unasked-" + _name] = chunk(announce(caps=ALL_CAPS) + _p) + \
        chunk(control_in(0x0100, DEV))

if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for k, v in SEEDS.items():
        with open(os.path.join(HERE, k), "wb") as f:
            f.write(v)
