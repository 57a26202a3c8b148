#!/usr/bin/env python3
"""Seeds for fuzz_usbdesc: configuration descriptors (USB 2.0 §9.6.3) with
CCID interfaces, the O2Micro layout (class descriptor after the
endpoints), device (§9.6.1) and string (§9.6.7) descriptors."""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import struct

from seedlib import class_desc, write_seeds


def iface(num, cls=0x0B, alt=0, neps=3):
    return struct.pack("<BBBBBBBBB", 9, 4, num, alt, neps, cls, 0, 0, 0)


def ep(addr, attr, size):
    return struct.pack("<BBBBHB", 7, 5, addr, attr, size, 0)


def config(*parts, total=None, nif=1):
    body = b"".join(parts)
    tl = 9 + len(body) if total is None else total
    return struct.pack("<BBHBBBBB", 9, 2, tl, nif, 1, 0, 0x80, 50) + body


EPS = ep(0x81, 3, 8) + ep(0x02, 2, 64) + ep(0x83, 2, 64)
CD = class_desc(1)
write_seeds("usbdesc", {
    "config-ccid": config(iface(0), CD, EPS),
    "config-o2micro-desc-after-eps": config(iface(0, cls=0xFF), EPS, CD),
    "config-two-readers": config(iface(0), CD, EPS, iface(1), CD,
                                 ep(0x84, 2, 64) + ep(0x05, 2, 64),
                                 nif=2),
    "config-alt-setting": config(iface(0), CD, EPS, iface(0, alt=1), CD,
                                 EPS),
    "config-hid-then-ccid": config(iface(0, cls=3, neps=1),
                                   bytes([9, 0x21, 0x11, 1, 0, 1, 0x22,
                                          0x40, 0]),
                                   ep(0x81, 3, 8), iface(1), CD, EPS,
                                   nif=2),
    "config-total-too-long": config(iface(0), CD, EPS, total=300),
    "config-blength-0": config(iface(0), b"\x00\x24", CD),
    "device": struct.pack("<BBHBBBBHHHBBBB", 18, 1, 0x0200, 0, 0, 0, 64,
                          0x08E6, 0x3437, 0x0200, 1, 2, 3, 1),
    "string-utf16": bytes([2 + 2 * 11, 3]) + "ccidkit \u00e9 1".encode(
        "utf-16-le"),
    "string-odd-length": bytes([5, 3, 0x41, 0, 0x42]),
})
