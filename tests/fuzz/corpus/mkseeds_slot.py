#!/usr/bin/env python3
"""Seed corpus of fuzz_slot and fuzz_pseudo (tests/fuzz/stateful_tp.h
describes the input): a class descriptor, then the reader's replies in
order.  bSeq/bSlot/dwLength/bMessageType are patched by the transport, so
replies are written with zeros there.  Flags byte: bit 0 interrupt pipe,
bits 1-2 slot, bits 3 and 4 the protocol of the first/second power-up.  Run from anywhere:
    mkseeds_slot.py            (writes corpus/slot and corpus/pseudo)"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

ATR_T1 = bytes.fromhex("3B88813 1FE45".replace(" ", "")) + b"ccidkit1" + b"\xC9"
ATR_T0 = bytes.fromhex("3B08") + b"ccidkit0"


def desc(features, maxmsg=271, slots=0, voltage=7):
    d = bytearray(54)
    d[0], d[1], d[2], d[3] = 54, 0x21, 0x10, 0x01
    d[4], d[5] = slots, voltage
    struct.pack_into("<IIII", d, 6, 3, 4000, 4000, 0)
    d[18] = 0
    struct.pack_into("<II", d, 19, 10752, 10752)
    struct.pack_into("<I", d, 28, 254)
    struct.pack_into("<II", d, 40, features, maxmsg)
    d[48], d[49], d[53] = 0xFF, 0xFF, 1
    return bytes(d)


def reply(status=0, error=0, chain=0, data=b"", flags=0):
    """One bulk_in chunk: control byte, length, RDR_to_PC message."""
    msg = bytes(10) + bytes(data)
    msg = bytearray(msg)
    msg[7], msg[8], msg[9] = status, error, chain
    if len(msg) > 255:
        flags |= 0x10
        return bytes([flags]) + struct.pack("<H", len(msg)) + bytes(msg)
    return bytes([flags, len(msg)]) + bytes(msg)


def slot_status(icc=1):
    return reply(status=icc)


def t1_block(pcb, inf=b"", nad=0):
    b = bytes([nad, pcb, len(inf)]) + inf
    lrc = 0
    for x in b:
        lrc ^= x
    return b + bytes([lrc])


APDU_FEAT = 0x000404BE  # ext APDU level, auto conf/voltage/clock/baud/PPS/IFSD
SHORT_FEAT = 0x000204BE
TPDU_FEAT = 0x00010030  # TPDU, auto clock + baud only: PPS + SetParameters by us


def header(feat, flags=0, **kw):
    d = desc(feat, **kw)
    return bytes([flags, len(d)]) + d


def apdu_session(feat, atr, flags=0):
    s = header(feat, flags)
    s += slot_status(1)                     # reader_new: GetSlotStatus
    s += slot_status(1)                     # our GetSlotStatus
    s += reply(status=0, data=atr)          # IccPowerOn
    s += reply(data=bytes(7))               # SetParameters (if sent)
    for _ in range(8):
        s += reply(data=b"\x90\x00")        # XfrBlocks / Escape
    s += slot_status(1)                     # IccPowerOff
    return s


def t0_session():
    s = header(TPDU_FEAT)
    s += slot_status(1) + slot_status(1)
    s += reply(data=ATR_T0)
    s += reply(data=bytes(5))               # SetParameters T=0
    s += reply(data=b"\x61\x10")            # case 2 -> 61xx
    s += reply(data=bytes(16) + b"\x90\x00")
    s += reply(data=b"\x6C\x08")            # 6Cxx re-send
    s += reply(data=bytes(8) + b"\x90\x00")
    for _ in range(6):
        s += reply(data=b"\x90\x00")
    s += slot_status(1)
    return s


def t1_session():
    s = header(TPDU_FEAT, flags=0x18)  # T=1 in both passes
    s += slot_status(1) + slot_status(1)
    s += reply(data=ATR_T1)
    s += reply(chain=1, data=bytes([0x11, 0x10, 0x00, 0x4D, 0x00, 0xFE, 0x00]))
    s += reply(data=t1_block(0xE1, b"\xFE"))   # S(IFS response)
    ns = 0
    for i in range(8):
        if i == 2:
            s += reply(data=t1_block(0xC3, b"\x02"))  # S(WTX request)
        if i == 3:  # chained answer: I(M) then R-block asked for the rest
            s += reply(data=t1_block(0x20 | ns << 6, b"\x01\x02"))
            ns ^= 1
        s += reply(data=t1_block(ns << 6, b"\x90\x00"))
        ns ^= 1
    s += slot_status(1)
    return s


def oddities():
    """Time extension, a stale reply, an interrupt, chained APDU
    responses, faults."""
    s = header(APDU_FEAT, flags=1)
    s += slot_status(1) + slot_status(1)
    s += reply(status=0x80, error=1)                    # time extension
    s += reply(flags=0x01, data=ATR_T1)                 # stale? (bSeq kept)
    s += reply(data=ATR_T1)
    s += bytes([0xC0, 2, 0x50, 0x03])                   # NotifySlotChange
    s += reply(data=b"\x01" * 20, chain=1)              # chained response
    s += reply(data=b"\x02" * 20, chain=2)
    s += reply(data=b"\x90\x00", chain=2)
    s += bytes([0xE0])                                  # bulk_in timeout
    s += bytes([0x00])                                  # control: ABORT ok
    s += reply(status=0x40, error=0xFF)                 # CMD_ABORTED
    s += bytes([0xE1])                                  # device gone
    return s


def pseudo_prefix(apdus):
    body = b"".join(bytes([len(a)]) + a for a in apdus)
    return struct.pack("<H", len(body)) + body


PSEUDO_APDUS = [
    bytes.fromhex("FFCA000000"),      # GET DATA UID
    bytes.fromhex("FFCA010000"),      # GET DATA ATS / historical
    bytes.fromhex("FF82000006FFFFFFFFFFFF"),  # LOAD KEYS
    bytes.fromhex("FFB0000010"),      # READ BINARY
    bytes.fromhex("FF00000002D44A"),  # direct transmit
    bytes.fromhex("FFC20000020000"),  # manage session
    bytes.fromhex("00A4040000"),      # not a pseudo-APDU
    bytes.fromhex("FF"),              # malformed
]


def write(name, blob, sub):
    d = os.path.join(HERE, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(blob)


SEEDS = {
    "ext-apdu-t1": apdu_session(APDU_FEAT, ATR_T1, flags=0x18),
    "short-apdu-t0-slot0": apdu_session(SHORT_FEAT, ATR_T0),
    "tpdu-t0-61xx-6cxx": t0_session(),
    "tpdu-t1-ifs-wtx-chain": t1_session(),
    "oddities-timeext-intr-abort": oddities(),
    "bad-desc": bytes([0, 10]) + bytes(10),
    "no-replies": header(APDU_FEAT),
    "no-card": header(APDU_FEAT) + slot_status(2) + slot_status(2) +
    reply(status=0x42, error=0xFE),
}

# A contactless storage card's ATR as PC/SC Part 3 §3.1.3.2.3 builds it
# (MIFARE Classic 1K): the driver answers FF CA itself.
ATR_STORAGE = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")


def pseudo_session(feat, atr, flags=0, answers=8):
    """fuzz_pseudo: no GetSlotStatus of its own, power-on unless flags
    bit 6."""
    s = header(feat, flags) + slot_status(1)
    if not flags & 0x40:
        s += reply(data=atr) + reply(chain=(flags >> 3) & 1, data=bytes(7))
    for _ in range(answers):
        s += reply(data=b"\x01\x02\x03\x04\x90\x00")
    return s


PSEUDO_SEEDS = {
    "apdu-reader-t1": pseudo_session(APDU_FEAT, ATR_T1, flags=0x08),
    "apdu-reader-storage-card": pseudo_session(APDU_FEAT, ATR_STORAGE),
    "acr122u-part3-firmware": pseudo_session(SHORT_FEAT, ATR_STORAGE,
                                             flags=0x20),
    "unpowered": pseudo_session(APDU_FEAT, ATR_T1, flags=0x40),
    "tpdu-t0": pseudo_session(TPDU_FEAT, ATR_T0),
    "no-replies": header(APDU_FEAT),
}

if __name__ == "__main__":
    for k, v in SEEDS.items():
        write(k, v, "slot")
    for k, v in PSEUDO_SEEDS.items():
        write(k, pseudo_prefix(PSEUDO_APDUS) + v, "pseudo")
