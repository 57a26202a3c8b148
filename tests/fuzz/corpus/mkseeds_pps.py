#!/usr/bin/env python3
"""Seeds for fuzz_pps.  Layout (tests/fuzz/fuzz_pps.c): [req_len][resp_len]
[req][resp] for ccid_pps_check; [protocol][fidi][flags] for the encoder
(flags bit 0: with PPS1, bits 1..: cap); [atr_len][ATR]; dwDefaultClock,
dwMaximumClock, dwDataRate, dwMaxDataRate, dwFeatures (u32 LE);
dwProtocols, protocol, fidi, nrates (u8); rates (u32 LE).
PPS facts: ISO/IEC 7816-3 §9.2 (PPSS FF, PPS0, PPS1..3, PCK)."""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import struct

from seedlib import atr, write_seeds


def pck(b):
    x = 0
    for v in b:
        x ^= v
    return bytes(b) + bytes([x])


def seed(req, resp, enc=(1, 0x96, 1 | (6 << 1)), atr_raw=b"", desc=(
        4000, 12000, 10752, 344086, 0x000100BA), dwproto=3, proto=1,
        fidi=0x96, rates=()):
    return (bytes([len(req), len(resp)]) + req + resp + bytes(enc) +
            bytes([len(atr_raw)]) + atr_raw + struct.pack("<5I", *desc) +
            bytes([dwproto, proto, fidi, len(rates)]) +
            struct.pack("<%dI" % len(rates), *rates))


REQ_T1_96 = pck([0xFF, 0x11, 0x96])
FAST = atr([(0, {"TA": 0x96}), (1, {}), (None, {"TA": 0xFE})], b"\x31")
write_seeds("pps", {
    "echo-t1-96": seed(REQ_T1_96, REQ_T1_96, atr_raw=FAST),
    "answer-without-pps1": seed(REQ_T1_96, pck([0xFF, 0x01]),
                                atr_raw=FAST),
    "answer-other-protocol": seed(REQ_T1_96, pck([0xFF, 0x10, 0x96])),
    "answer-bad-pck": seed(REQ_T1_96, REQ_T1_96[:-1] + b"\x00"),
    "answer-extra-pps2": seed(REQ_T1_96, pck([0xFF, 0x31, 0x96, 0x00])),
    "t0-no-pps1": seed(pck([0xFF, 0x00]), pck([0xFF, 0x00]),
                       enc=(0, 0, 6 << 1),
                       atr_raw=atr([(None, {"TA": 0x13})], b"\x80")),
    "rates-list": seed(REQ_T1_96, REQ_T1_96, atr_raw=FAST,
                       rates=(9600, 10752, 115200, 230400, 344086)),
    "auto-pps-reader": seed(REQ_T1_96, REQ_T1_96, atr_raw=FAST,
                            desc=(4000, 12000, 10752, 344086, 0x000100FA)),
    "specific-mode": seed(REQ_T1_96, REQ_T1_96, atr_raw=atr(
        [(1, {"TA": 0x96}), (1, {"TA": 0x01}), (None, {"TA": 0xFE})])),
    "encoder-cap-too-small": seed(REQ_T1_96, REQ_T1_96,
                                  enc=(1, 0x13, 1 | (2 << 1))),
    "encoder-rfu-fidi": seed(REQ_T1_96, REQ_T1_96, enc=(1, 0x7F, 13)),
    "empty-input": b"",
    "zero-clock": seed(REQ_T1_96, REQ_T1_96, atr_raw=FAST,
                       desc=(0, 0, 0, 0, 0)),
})
