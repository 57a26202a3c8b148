#!/usr/bin/env python3
"""Seeds for fuzz_atr: ATRs (ISO/IEC 7816-3 §8) covering T=0, T=1, both,
specific mode (TA2), T=15 global bytes, inverse convention, the longest
ATR, and the refusals ccid/atr.h lists."""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from seedlib import atr, write_seeds

T1 = {"TA": 0xFE, "TB": 0x45}
write_seeds("atr", {
    "t0-minimal": atr([], b"\x14\x50"),
    "t0-ta1-tc1": atr([(None, {"TA": 0x96, "TC": 0x00})], b"\x80\x31"),
    "t1-ifsc-bwi": atr([(1, {}), (1, {}), (None, T1)], b"\x80\x31\xC0"),
    "t0-t1": atr([(0, {"TA": 0x18}), (1, {}), (None, T1)], b"JCOP"),
    "t1-crc": atr([(1, {}), (1, {}), (None, {"TA": 0x20, "TC": 0x01})]),
    "specific-ta2": atr([(1, {"TA": 0x13}), (1, {"TA": 0x81}),
                         (None, {"TA": 0xFE})], b"\x00"),
    "t15-class": atr([(0, {}), (15, {}), (None, {"TA": 0x07})]),
    "contactless-pcsc": bytes.fromhex(
        "3B8F8001804F0CA000000306030001000000006A"),
    "inverse-ts": atr([], b"\x00", ts=0x3F),
    "longest-33": atr([(1, {"TA": 0x11, "TB": 0, "TC": 0}),
                       (1, {"TA": 0x80}), (None, T1)], bytes(range(15)))[:33],
    "bad-tck": atr([(1, {}), (None, T1)], b"\x01", tck=0x00),
    "missing-tck": atr([(1, {}), (None, T1)], b"\x01")[:-1],
    "stray-byte": atr([], b"\x14") + b"\x99",
    "hist-past-end": bytes([0x3B, 0x0F, 0x01, 0x02]),
    "bad-ts": bytes([0x3C, 0x00]),
    "one-byte": bytes([0x3B]),
})
