#!/usr/bin/env python3
"""Seeds for fuzz_msg: RDR_to_PC bulk messages (CCID 1.1 §6.2) and
interrupt messages (§6.3); their bytes also serve as encoder arguments."""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from seedlib import msg, write_seeds

ATR = bytes.fromhex("3B8A800180318065B0850201FF")  # any T=1 ATR
write_seeds("msg", {
    "datablock-atr": msg(0x80, ATR, seq=1),
    "datablock-empty": msg(0x80, seq=2),
    "datablock-t1-chain": msg(0x80, bytes(range(40)), seq=3, b9=0x01),
    "slotstatus-absent": msg(0x81, seq=4, b7=0x02),
    "slotstatus-failed-mute": msg(0x81, seq=5, b7=0x41, b8=0xFE),
    "slotstatus-time-extension": msg(0x81, seq=6, b7=0x80, b8=0x02),
    "parameters-t1": msg(0x82, bytes.fromhex("11100000FE0000"), b9=1),
    "parameters-t0": msg(0x82, bytes.fromhex("1100000A00"), b9=0),
    "escape": msg(0x83, b"\x01\x02\x03"),
    "datarate": msg(0x84, bytes.fromhex("A00F00000054000000")[:8]),
    "length-mismatch": msg(0x80, b"\x90\x00")[:-1],
    "pc_to_rdr-type": msg(0x6F, b"\x00\xA4\x04\x00"),
    "header-only-9": msg(0x81)[:9],
    "notify-2slots": bytes([0x50, 0x0B]),
    "notify-16slots": bytes([0x50]) + bytes([0xFF] * 4),
    "hwerror": bytes([0x51, 0x00, 0x03, 0x01]),
    "empty-input": b"",  # once UB in the harness (NULL + 0)
})
