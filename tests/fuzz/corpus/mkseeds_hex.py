#!/usr/bin/env python3
"""Seeds for fuzz_hex: command-line hex text as `ccidkit apdu` takes it."""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from seedlib import write_seeds

write_seeds("hex", {
    "apdu-spaces": b"00 A4 04 00 07 A0 00 00 00 03 10 10",
    "colons": b"3B:8A:80:01",
    "tabs-newline": b"80\t10\n00 00",
    "lower-case": b"deadbeef",
    "odd-digits": b"00 A",
    "bad-digit": b"00 G0",
    "split-byte": b"0 0",
    "empty": b"",
    "too-long-for-small-cap": b"05" * 12,
    "high-bytes": b"\xff\xfe 00",
})
