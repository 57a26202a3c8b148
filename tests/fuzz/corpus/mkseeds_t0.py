#!/usr/bin/env python3
"""Seed corpus of fuzz_t0 (input format: tests/fuzz/fuzz_t0.c)."""
import os
import struct

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "t0")


def r(b):
    b = bytes(b)
    if len(b) >= 0xFD:
        return b"\xFD" + struct.pack("<H", len(b)) + b
    return bytes([len(b)]) + b


def seed(apdu, resps, gr=0xFF, env=0xFF, flags=0):
    apdu = bytes(apdu)
    return bytes([gr, env, flags]) + struct.pack("<H", len(apdu)) + apdu + \
        b"".join(r(x) for x in resps)


H = bytes.fromhex
SEEDS = {
    "case1": seed(H("00700000"), [H("9000")]),
    "case2-6cxx": seed(H("00B0000010"), [H("6C08"), bytes(8) + H("9000")]),
    "case2-le256": seed(H("00CA010200"), [bytes(256) + H("9000")]),
    "case3": seed(H("00A40400023F00"), [H("9000")]),
    "case4-61xx-chain": seed(H("00A4040C023F0000"),
                             [H("6110"), bytes(16) + H("6108"),
                              bytes(8) + H("9000")]),
    "case4-61xx-gr-cla00": seed(H("80CA000002AABB10"),
                                [H("6120"), bytes(32) + H("9000")], gr=0x00),
    "ext-case4-envelope": seed(H("00D60000") + H("00012C") + bytes(300) + H("0000"),
                               [H("9000"), H("9000"), H("6140"),
                                bytes(64) + H("9000")], env=0x00),
    "ext-envelope-refused": seed(H("00D60000") + H("000100") + bytes(256),
                                 [H("6D00")]),
    "small-cap": seed(H("00B0000010"), [bytes(16) + H("9000")], flags=1),
    "short-answer": seed(H("00B0000010"), [H("90")]),
    "io-error": seed(H("00B0000010"), [], flags=0) + b"\xFE",
    "malformed-apdu": seed(H("00B000"), []),
}

if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for k, v in SEEDS.items():
        with open(os.path.join(HERE, k), "wb") as f:
            f.write(v)
