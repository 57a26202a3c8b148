#!/usr/bin/env python3
"""Seeds for fuzz_decode: the golden trace scenarios of
tests/integ/test_trace.sh, recorded as pcap by `ccidkit --trace pcap:`
against `ccidkit vreader` (--show-secrets: the pcap masks PINs), turned into fuzz_decode's records.
Usage: mkseeds_decode.py PATH/TO/ccidkit

Record layout (tests/fuzz/fuzz_decode.c): a flags byte (bit 0: a 54-byte
class descriptor follows), then [dir][len u16 LE][bytes], dir 0 bulk OUT,
1 bulk IN, 2 interrupt, 3 control submission (setup + data), 4 control
completion.  The pcap is LINKTYPE_USB_LINUX_MMAPPED (220): 64-byte usbmon
header in host byte order (id, type 'S'/'C', transfer type, endpoint,
device, bus, setup flag, data flag, seconds, microseconds, status,
length, captured length, setup[8], ...), then the data."""
import os
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from seedlib import class_desc, msg, write_seeds

ECHO3 = "80 10 00 00 03 01 02 03 03"
VERIFY = "00 20 00 81 08 31 32 33 34 FF FF FF FF"
PAT40 = " ".join("%02X" % (i & 0xFF) for i in range(40))
PAT300 = " ".join("%02X" % (i & 0xFF) for i in range(300))
SCENARIOS = {
    "tpdu-t1": (["--level", "tpdu"], ["apdu", ECHO3]),
    "tpdu-t1-chain": (["--level", "tpdu", "--ifsc", "16"],
                      ["apdu", "80 10 00 00 28 " + PAT40 + " 28"]),
    "tpdu-t1-wtx": (["--level", "tpdu", "--fault", "wtx:1"], ["apdu", ECHO3]),
    "tpdu-t1-bad-edc": (["--level", "tpdu", "--fault", "bad-edc:1"],
                        ["apdu", ECHO3]),
    "tpdu-t1-crc": (["--level", "tpdu", "--t1-crc"], ["apdu", ECHO3]),
    "tpdu-t0": (["--level", "tpdu", "--card", "test-t0"], ["apdu", ECHO3]),
    "tpdu-t0-case2": (["--level", "tpdu", "--card", "test-t0"],
                      ["apdu", "80 12 00 08 08"]),
    "short": (["--level", "short"], ["apdu", ECHO3]),
    "short-verify": (["--level", "short"], ["apdu", VERIFY]),
    "extended-chain": (["--level", "extended"],
                       ["apdu", "80 10 00 00 00 01 2C " + PAT300 + " 01 2C"]),
    "time-extension": (["--level", "short", "--time-extension", "2"],
                       ["apdu", ECHO3]),
    "split-replies": (["--level", "short", "--fault", "split:2"],
                      ["apdu", ECHO3]),
    "stale-reply": (["--level", "short", "--fault", "wrong-bseq:1"],
                    ["apdu", ECHO3]),
    "escape": (["--level", "short", "--escape"], ["escape", "01"]),
}


def records(pcap):
    """fuzz_decode records of a usbmon (220) pcap, bulk/intr/control."""
    out = b""
    if len(pcap) < 24 or pcap[:4] not in (b"\xd4\xc3\xb2\xa1",
                                          b"\x4d\x3c\xb2\xa1"):
        raise SystemExit("not a little-endian pcap")
    pos, setups = 24, {}
    while pos + 16 <= len(pcap):
        incl = struct.unpack_from("<I", pcap, pos + 8)[0]
        rec = pcap[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if len(rec) < 64:
            continue
        urb, kind, xfer, ep = struct.unpack_from("<QBBB", rec, 0)
        setup = rec[40:48]
        data = rec[64:]
        submit = kind == ord("S")
        if xfer == 3 and submit and not ep & 0x80 and data:
            out += bytes([0]) + struct.pack("<H", len(data)) + data
        elif xfer == 3 and not submit and ep & 0x80 and data:
            out += bytes([1]) + struct.pack("<H", len(data)) + data
        elif xfer == 1 and not submit and data:
            out += bytes([2]) + struct.pack("<H", len(data)) + data
        elif xfer == 2 and submit and rec[14] == 0:
            setups[urb] = setup
            if setup[1] in (1, 2, 3) and setup[0] & 0x60 == 0x20:
                b = setup + data
                out += bytes([3]) + struct.pack("<H", len(b)) + b
        elif xfer == 2 and not submit and urb in setups:
            s = setups.pop(urb)
            if s[1] in (1, 2, 3) and s[0] & 0x60 == 0x20:
                b = s + data
                out += bytes([4]) + struct.pack("<H", len(b)) + b
    return out


def record(ccidkit, vopts, args, tmp):
    sock = os.path.join(tmp, "vr.sock")
    pcap = os.path.join(tmp, "t.pcap")
    for p in (sock, pcap):
        if os.path.exists(p):
            os.unlink(p)
    vr = subprocess.Popen([ccidkit, "vreader", "--listen", "unix:" + sock]
                          + vopts, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        if vr.stdout.readline().strip() != b"ready":
            raise SystemExit("vreader did not print ready")
        env = dict(os.environ, CCIDKIT_USBREDIR="unix:" + sock,
                   CCIDKIT_TIMEOUT="3")
        subprocess.run([ccidkit, "--show-secrets", "--trace", "pcap:" + pcap] +
                       args, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       timeout=30)
    finally:
        vr.terminate()
        vr.wait()
    time.sleep(0.05)
    with open(pcap, "rb") as f:
        return f.read()


def main():
    seeds = {}
    if len(sys.argv) > 1:
        with tempfile.TemporaryDirectory() as tmp:
            for name, (vopts, args) in SCENARIOS.items():
                level = {"tpdu": 1, "short": 2, "extended": 3}[vopts[1]]
                recs = records(record(sys.argv[1], vopts, args, tmp))
                seeds["trace-" + name] = b"\x00" + recs
                seeds["trace-" + name + "-desc"] = (b"\x01" +
                                                    class_desc(level) + recs)
    # by hand: what no scenario above sends
    rec = lambda d, b: bytes([d]) + struct.pack("<H", len(b)) + b
    seeds["hand-notify-hwerror"] = (b"\x00" +
                                    rec(2, bytes([0x50, 0x0B])) +
                                    rec(2, bytes([0x51, 0, 3, 1])))
    seeds["hand-control-abort-rates"] = (b"\x00" + rec(
        3, bytes([0x21, 1, 0x00, 0x04, 0, 0, 0, 0])) + rec(
        4, bytes([0xA1, 3, 0, 0, 0, 0, 8, 0]) +
        struct.pack("<2I", 9600, 10752)))
    seeds["hand-malformed"] = (b"\x02" + rec(0, msg(0x6F, b"\x00\xA4")[:11])
                               + rec(1, b"\x80\x05") + rec(5, b"\x36\x21"))
    write_seeds("decode", seeds)


main()
