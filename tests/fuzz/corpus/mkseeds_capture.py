#!/usr/bin/env python3
"""Seeds for fuzz_capture: tests/data's captures (made by
tests/data/mkcaptures.py: usbmon 189/220 in both byte orders, USBPcap,
a two-section pcapng), copied as they are, plus cut and bent versions."""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import glob
import os

from seedlib import write_seeds

data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                    "data")
seeds = {}
for path in sorted(glob.glob(os.path.join(data, "*.pcap*"))):
    with open(path, "rb") as f:
        seeds[os.path.basename(path)] = f.read()
b = seeds["usbmon220_le_ns.pcap"]
seeds["cut-in-record"] = b[:len(b) - 7]
seeds["header-only"] = b[:24]
seeds["linktype-ethernet"] = b[:20] + b"\x01\x00\x00\x00" + b[24:]
n = seeds["two_sections.pcapng"]
seeds["pcapng-cut-block"] = n[:len(n) // 2]
write_seeds("capture", seeds)
