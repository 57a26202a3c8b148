#!/usr/bin/env python3
"""ccidkit -- builds the capture files that tests/unit/test_capture.c reads.

Written from the format descriptions, not from ccid/capture.c, so that the
test compares two independent readings of the specs:
  - pcap: 24-byte file header (magic a1b2c3d4 for microseconds, a1b23c4d
    for nanoseconds, in the writer's byte order), 16-byte record headers;
  - pcapng: SHB / IDB (if_tsresol option 9) / EPB / SPB / obsolete PB,
    Block Total Length at both ends, bodies padded to 4 bytes;
  - Linux usbmon (Documentation/usb/usbmon.rst): the 48-byte binary header
    (link type 189) and the 64-byte mmapped one (220), in the file's byte
    order, iso descriptors (16 bytes each) before the data in the latter;
  - USBPcap (USBPcap.h): USBPCAP_BUFFER_PACKET_HEADER, little-endian,
    plus the stage byte for control transfers.

For each NAME.pcap / NAME.pcapng it also writes NAME.expect: one line per
USB event that a reader must report, in file order:
  ts_ns bus dev ep xfer S|C status id setup|- urb_len len truncated data|-
The outputs are committed; run this again only to change them:
  python3 tests/data/mkcaptures.py tests/data
"""
import os
import struct
import sys

T0 = 1700000000  # seconds since the epoch of the first event


def ev(ts_ns, bus, dev, ep, xfer, submit, status, urb_id, urb_len, data=b"",
       setup=None, cap=None, flag_data=None, iso=0):
    """One event as the reader must report it.  cap: bytes stored (default
    all of data); flag_data: usbmon's data flag (default: 0 when data is
    stored, '<' for IN submissions, '>' for OUT completions)."""
    if flag_data is None:
        if data:
            flag_data = 0
        elif submit and ep & 0x80:
            flag_data = ord("<")
        elif not submit and not ep & 0x80:
            flag_data = ord(">")
        else:
            flag_data = 0
    return dict(ts=ts_ns, bus=bus, dev=dev, ep=ep, xfer=xfer, submit=submit,
                status=status, id=urb_id, urb_len=urb_len, data=data,
                setup=setup, cap=len(data) if cap is None else cap,
                flag_data=flag_data, iso=iso)


DEV_DESC = bytes.fromhex("12 01 10 01 00 00 00 08 e6 08 37 34 00 01 01 02 00 01")
POWER_ON = bytes.fromhex("62 00 00 00 00 00 01 01 00 00")
DATA_BLOCK_ATR = bytes.fromhex(
    "80 0d 00 00 00 00 01 00 00 00 3b 8a 80 01 80 31 80 65 b0 85 03 00 ef")
NOTIFY = bytes.fromhex("50 03")

# A usbmon conversation: descriptor request, IccPowerOn and its answer,
# a slot change, a completion the kernel cut short, an iso event (220
# files only: it carries two iso descriptors).
USBMON_EVENTS = [
    ev(T0 * 10**9 + 123456000, 3, 7, 0x80, 2, True, -115,
       0xffff888012345600, 18, setup=bytes.fromhex("80 06 00 01 00 00 12 00")),
    ev(T0 * 10**9 + 123789000, 3, 7, 0x80, 2, False, 0,
       0xffff888012345600, 18, DEV_DESC),
    ev(T0 * 10**9 + 200000000, 3, 7, 0x02, 3, True, -115,
       0xffff888012345700, 10, POWER_ON),
    ev(T0 * 10**9 + 200100000, 3, 7, 0x02, 3, False, 0,
       0xffff888012345700, 10),
    ev(T0 * 10**9 + 200200000, 3, 7, 0x82, 3, True, -115,
       0xffff888012345800, 65546),
    ev(T0 * 10**9 + 250000000, 3, 7, 0x82, 3, False, 0,
       0xffff888012345800, 23, DATA_BLOCK_ATR),
    ev(T0 * 10**9 + 260000000, 3, 7, 0x83, 1, False, 0,
       0xffff888012345900, 2, NOTIFY),
    ev((T0 + 1) * 10**9, 3, 7, 0x82, 3, False, -32,
       0xffff888012345a00, 20, bytes(range(5)), cap=5),
]
ISO_EVENT = ev((T0 + 2) * 10**9 + 5000, 3, 7, 0x81, 0, False, 0,
               0xffff888012345b00, 4, b"\xaa\xbb\xcc\xdd", iso=2)


def usbmon_packet(e, bo, mmapped, stored_ts_ns):
    """usbmon.rst mon_bin_hdr (+ the mmapped tail), then iso descriptors
    and the data.  len_cap says how much the kernel took (cap)."""
    sec, nsec = divmod(stored_ts_ns, 10**9)
    setup = e["setup"] if e["setup"] is not None else bytes(8)
    h = struct.pack(bo + "QBBBBHBBqiiII8s", e["id"],
                    ord("S") if e["submit"] else ord("C"), e["xfer"], e["ep"],
                    e["dev"], e["bus"], 0 if e["setup"] is not None else ord("-"),
                    e["flag_data"], sec, nsec // 1000, e["status"],
                    e["urb_len"], len(e["data"]), setup)
    assert len(h) == 48
    if mmapped:
        h += struct.pack(bo + "iiII", 0, 0, 0, e["iso"])
        h += b"".join(struct.pack(bo + "iIII", 0, i * 2, 2, 0)
                      for i in range(e["iso"]))
    return h + e["data"][:e["cap"]]


def pcap_file(bo, ns, link, packets):
    """packets: (ts_ns, bytes)"""
    magic = 0xa1b23c4d if ns else 0xa1b2c3d4
    out = struct.pack(bo + "IHHiIII", magic, 2, 4, 0, 0, 262144, link)
    for ts, pkt in packets:
        sec, frac = divmod(ts, 10**9)
        if not ns:
            frac //= 1000
        out += struct.pack(bo + "IIII", sec, frac, len(pkt), len(pkt)) + pkt
    return out


def stored_ts(ts, ns):
    return ts if ns else ts - ts % 1000


def expect_line(e, ts):
    setup = e["setup"].hex() if e["setup"] is not None else "-"
    data = e["data"][:e["cap"]].hex() or "-"
    trunc = 1 if e["cap"] < len(e["data"]) or (
        e["flag_data"] == 0 and len(e["data"]) < e["urb_len"]) else 0
    return "%d %d %d 0x%02x %d %s %d 0x%016x %s %d %d %d %s\n" % (
        ts, e["bus"], e["dev"], e["ep"], e["xfer"],
        "S" if e["submit"] else "C", e["status"], e["id"], setup,
        e["urb_len"], e["cap"], trunc, data)


def usbmon_capture(bo, ns, link):
    evs = USBMON_EVENTS + ([ISO_EVENT] if link == 220 else [])
    pkts, lines = [], []
    for e in evs:
        ts = stored_ts(e["ts"], ns)
        pkts.append((ts, usbmon_packet(e, bo, link == 220, ts)))
        lines.append(expect_line(e, ts))
    return pcap_file(bo, ns, link, pkts), "".join(lines)


# ---- USBPcap ----

def usbpcap_packet(irp, status, info, bus, dev, ep, transfer, data,
                   stage=None, stored=None, function=0x0009):
    """USBPCAP_BUFFER_PACKET_HEADER (+ stage) + data; dataLength is the
    full length of data, stored (default all) the bytes kept."""
    hlen = 27 if stage is None else 28
    h = struct.pack("<HQIHBHHBBI", hlen, irp, status, function, info, bus,
                    dev, ep, transfer, len(data))
    if stage is not None:
        h += bytes([stage])
    return h + data[:len(data) if stored is None else stored]


CONFIG_DESC = bytes.fromhex(
    # configuration: 93 bytes, 1 interface
    "09 02 5d 00 01 01 00 80 32"
    # interface 0: 3 endpoints, class 0x0B (smart card)
    "09 04 00 00 03 0b 00 00 00"
    # CCID class descriptor (CCID 1.1 5.1, 54 bytes): bLength,
    # bDescriptorType 0x21, bcdCCID 1.10, bMaxSlotIndex 0, bVoltageSupport 7,
    # dwProtocols T=0|T=1, dwDefaultClock/dwMaximumClock 4000 kHz,
    # bNumClockSupported 0, dwDataRate/dwMaxDataRate 9600,
    # bNumDataRatesSupported 0, dwMaxIFSD 254, dwSynchProtocols 0,
    # dwMechanical 0, dwFeatures 0x000404BA (short APDU level),
    # dwMaxCCIDMessageLength 271, bClassGetResponse/bClassEnvelope 0xFF,
    # wLcdLayout 0, bPINSupport 0, bMaxCCIDBusySlots 1
    "36 21 10 01 00 07 03 00 00 00 a0 0f 00 00 a0 0f 00 00 00"
    "80 25 00 00 80 25 00 00 00 fe 00 00 00 00 00 00 00 00 00 00 00"
    "ba 04 04 00 0f 01 00 00 ff ff 00 00 00 01"
    # bulk OUT 0x02, bulk IN 0x82, interrupt IN 0x83
    "07 05 02 02 40 00 00 07 05 82 02 40 00 00 07 05 83 03 08 00 10")
assert len(CONFIG_DESC) == 93
XFR_APDU = bytes.fromhex("6f 05 00 00 00 00 02 00 00 00 00 a4 04 00 00")
DATA_BLOCK_SW = bytes.fromhex("80 02 00 00 00 00 02 00 00 00 90 00")


def usbpcap_capture():
    """A CCID exchange as USBPcap 1.5+ records it (pcap, little-endian,
    microseconds): GET_DESCRIPTOR(configuration) SETUP + COMPLETE, a class
    request with OUT data, an XfrBlock both ways, an IRP_INFO record
    (skipped), a stalled completion, a completion cut by the snaplen."""
    ts = [(T0 + 10) * 10**9 + i * 1000000 for i in range(11)]
    get_cfg = bytes.fromhex("80 06 00 02 00 00 5d 00")
    class_out = bytes.fromhex("21 0a 00 00 00 00 02 00")  # class, OUT, wLength 2
    rows = [
        (usbpcap_packet(0x1000, 0, 0, 1, 5, 0x80, 2, get_cfg, stage=0,
                        function=0x000b),
         ev(ts[0], 1, 5, 0x80, 2, True, 0, 0x1000, 93, setup=get_cfg)),
        (usbpcap_packet(0x1000, 0, 1, 1, 5, 0x80, 2, CONFIG_DESC, stage=3,
                        function=0x000b),
         ev(ts[1], 1, 5, 0x80, 2, False, 0, 0x1000, 93, CONFIG_DESC)),
        (usbpcap_packet(0x1100, 0, 0, 1, 5, 0x00, 2, class_out + b"\x12\x34",
                        stage=0, function=0x001a),
         ev(ts[2], 1, 5, 0x00, 2, True, 0, 0x1100, 2, b"\x12\x34",
            setup=class_out)),
        (usbpcap_packet(0x1100, 0, 1, 1, 5, 0x00, 2, b"", stage=3,
                        function=0x001a),
         ev(ts[3], 1, 5, 0x00, 2, False, 0, 0x1100, 0)),
        (usbpcap_packet(0x2000, 0, 0, 1, 5, 0x02, 3, XFR_APDU),
         ev(ts[4], 1, 5, 0x02, 3, True, 0, 0x2000, 15, XFR_APDU)),
        (usbpcap_packet(0x2000, 0, 1, 1, 5, 0x02, 3, b""),
         ev(ts[5], 1, 5, 0x02, 3, False, 0, 0x2000, 0)),
        (usbpcap_packet(0x2100, 0, 0, 1, 5, 0x82, 3, b""),
         ev(ts[6], 1, 5, 0x82, 3, True, 0, 0x2100, 0)),
        (usbpcap_packet(0x2100, 0, 1, 1, 5, 0x82, 3, DATA_BLOCK_SW),
         ev(ts[7], 1, 5, 0x82, 3, False, 0, 0x2100, 12, DATA_BLOCK_SW)),
        (usbpcap_packet(0x3000, 0, 1, 1, 5, 0x00, 0xfe, b"", function=0),
         None),
        (usbpcap_packet(0x2200, 0xc0000004, 1, 1, 5, 0x82, 3, b""),
         ev(ts[9], 1, 5, 0x82, 3, False, -1, 0x2200, 0)),
        (usbpcap_packet(0x2300, 0, 1, 1, 5, 0x83, 1, bytes(range(100)),
                        stored=12),
         ev(ts[10], 1, 5, 0x83, 1, False, 0, 0x2300, 100, bytes(range(100)),
            cap=12)),
    ]
    pkts = [(ts[i], p) for i, (p, _) in enumerate(rows)]
    lines = [expect_line(e, e["ts"]) for _, e in rows if e is not None]
    return pcap_file("<", False, 249, pkts), "".join(lines)


# ---- pcapng ----

def block(bo, btype, body):
    body += bytes(-len(body) % 4)
    n = 12 + len(body)
    return struct.pack(bo + "II", btype, n) + body + struct.pack(bo + "I", n)


def shb(bo):
    return block(bo, 0x0A0D0D0A, struct.pack(bo + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(bo, link, snaplen, tsresol=None):
    body = struct.pack(bo + "HHI", link, 0, snaplen)
    if tsresol is not None:
        body += struct.pack(bo + "HH", 9, 1) + bytes([tsresol, 0, 0, 0])
        body += struct.pack(bo + "HH", 0, 0)
    return block(bo, 1, body)


def ticks(ts_ns, tsresol):
    if tsresol & 0x80:
        return ts_ns * (1 << (tsresol & 0x7f)) // 10**9
    return ts_ns // 10**(9 - tsresol)


def epb(bo, if_id, t, pkt):
    return block(bo, 6, struct.pack(bo + "IIIII", if_id, t >> 32,
                                     t & 0xffffffff, len(pkt), len(pkt)) + pkt)


def pb(bo, if_id, t, pkt):
    return block(bo, 2, struct.pack(bo + "HHIIII", if_id, 0, t >> 32,
                                     t & 0xffffffff, len(pkt), len(pkt)) + pkt)


def spb(bo, orig, pkt):
    return block(bo, 3, struct.pack(bo + "I", orig) + pkt)


def pcapng_capture():
    """Two sections.  1 (little-endian): interface 0 usbmon 220 in
    microseconds, interface 1 usbmon 189 in nanoseconds (if_tsresol 9);
    an unknown block and a name-resolution block to skip; EPBs on both,
    an SPB (interface 0, no timestamp) and an obsolete PB (interface 1).
    2 (big-endian): interface 0 USBPcap in 2^-10 s (if_tsresol 0x8A) with
    snaplen 40, interface 1 Ethernet; an EPB on each (the Ethernet one is
    skipped) and an SPB cut to the snaplen."""
    out, lines = b"", []
    e = USBMON_EVENTS
    le, be = "<", ">"
    out += shb(le) + idb(le, 220, 262144) + idb(le, 189, 262144, 9)
    out += block(le, 0x00000BAD, b"unknown block")
    out += block(le, 4, struct.pack(le + "HH", 0, 0))  # NRB: end of records
    t = stored_ts(e[2]["ts"], False)
    out += epb(le, 0, ticks(t, 6), usbmon_packet(e[2], le, True, t))
    lines.append(expect_line(e[2], t))
    t = e[3]["ts"] + 789
    out += epb(le, 1, ticks(t, 9), usbmon_packet(e[3], le, False, t))
    lines.append(expect_line(e[3], t))
    out += spb(le, 64 + 23, usbmon_packet(e[5], le, True, 0))
    lines.append(expect_line(e[5], 0))
    t = e[6]["ts"] + 1
    out += pb(le, 1, ticks(t, 9), usbmon_packet(e[6], le, False, t))
    lines.append(expect_line(e[6], t))

    out += shb(be) + idb(be, 249, 40, 0x8A) + idb(be, 1, 65535)
    t = (T0 + 20) * 10**9 + 500000000  # 0.5 s: exact in 2^-10 s
    pkt = usbpcap_packet(0x4000, 0, 0, 2, 9, 0x02, 3, POWER_ON)
    out += epb(be, 0, ticks(t, 0x8A), pkt)
    lines.append(expect_line(ev(t, 2, 9, 0x02, 3, True, 0, 0x4000, 10,
                                POWER_ON), t))
    out += epb(be, 1, 0, bytes(60))  # Ethernet: not USB, skipped
    payload = bytes(range(33))
    pkt = usbpcap_packet(0x4100, 0, 1, 2, 9, 0x82, 3, payload)
    out += spb(be, len(pkt), pkt[:40])
    lines.append(expect_line(ev(0, 2, 9, 0x82, 3, False, 0, 0x4100, 33,
                                payload, cap=13), 0))
    return out, "".join(lines)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    files = {
        "usbmon189_le_us.pcap": usbmon_capture("<", False, 189),
        "usbmon189_be_ns.pcap": usbmon_capture(">", True, 189),
        "usbmon220_le_ns.pcap": usbmon_capture("<", True, 220),
        "usbmon220_be_us.pcap": usbmon_capture(">", False, 220),
        "usbpcap_ccid.pcap": usbpcap_capture(),
        "two_sections.pcapng": pcapng_capture(),
    }
    for name, (blob, expect) in files.items():
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(blob)
        base = name.rsplit(".", 1)[0]
        with open(os.path.join(outdir, base + ".expect"), "w") as f:
            f.write(expect)


if __name__ == "__main__":
    main()
