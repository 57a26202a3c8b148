#!/usr/bin/env python3
"""Seed corpus of fuzz_winscard (input format: tests/fuzz/fuzz_winscard.c,
vr_config and run_op)."""
import os

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "winscard")

# configuration byte 0
CONTACT, CTLS, PINPAD = 3, 1, 2
TPDU, SHORT, EXT = 0 << 2, 1 << 2, 2 << 2
INTR, AUTO_V, NO_PPS, ESCAPE = 0x10, 0x20, 0x40, 0x80
# byte 1: cards
TEST, TEST_T0, CLASSIC_1K, ULTRALIGHT, ISO14443_4, NO_CARD = 0, 1, 2, 3, 4, 5
TWO_SLOTS, CRC, NO_ENV, TIME_EXT, AUTO_NEG = 1, 0x10, 0x20, 0x40, 0x80
# faults (index into fast_faults)
BAD_EDC, WTX, MUTE, BAD_PROC, PPS_REFUSED, WRONG_BSEQ, SPLIT, DISC_AFTER, \
    HANGUP = range(9)


def cfg(b0, card, b1=0, faults=()):
    out = bytes([b0, b1 | card << 1, len(faults)])
    return out + bytes(k | (n - 1) << 4 for k, n in faults)


def establish(i=0, scope=2):
    return bytes([0, i | scope << 1])


def release(i=0):
    return bytes([1, i])


def list_readers(i=0, mode=3):
    return bytes([2, i | mode << 1])


def gsc(i=0, readers=1, pnp=False, unaware=True, wait=0):
    return bytes([3, i, readers | (4 if pnp else 0) |
                  (0x10 if unaware else 0) | wait << 5])


def connect(i=0, reader=0, share=2, protos=3, slot=0):
    return bytes([4, i, reader | share << 1 | protos << 3 | slot << 6])


def reconnect(h=0, share=2, protos=3, init=1):
    return bytes([5, h, share | protos << 2 | init << 5])


def disconnect(h=0, disp=0):
    return bytes([6, h | disp << 2])


def transmit(apdu, h=0, pci=3, small=False, recv_pci=False):
    apdu = bytes.fromhex(apdu) if isinstance(apdu, str) else apdu
    a = h | pci << 2 | (0x40 if small else 0) | (0x20 if recv_pci else 0)
    return bytes([7, a, len(apdu)]) + apdu


def begin(h=0):
    return bytes([8, h])


def end(h=0, disp=0):
    return bytes([9, h | disp << 2])


def control(code_idx, data=b"", h=0, small=False):
    return bytes([10, h | (0x40 if small else 0), code_idx, len(data)]) + data


def attrib(idx, h=0, auto=False, small=False):
    return bytes([11, h, idx | (8 if small else 0) | (0x10 if auto else 0)])


def status(h=0, small_name=False, small_atr=False):
    return bytes([12, h | (0x10 if small_name else 0) |
                  (0x20 if small_atr else 0)])


def cancel(i=0):
    return bytes([13, i])


def card(insert, slot=0):
    return bytes([15, slot | (2 if insert else 0)])


SELECT = "00A4040007A000000003101000"
GETDATA_UID = "FFCA000000"

common = (establish() + list_readers() + gsc() + connect() +
          transmit(SELECT) + status() + attrib(1) + begin() +
          transmit("00B0000010") + end() + control(0) +
          reconnect(init=1) + transmit(SELECT) + disconnect(disp=1) +
          release())

SEEDS = {
    "contact-short-t1": cfg(CONTACT | SHORT, TEST) + common,
    "contact-tpdu-t1-crc-faults": cfg(CONTACT | TPDU | NO_PPS, TEST, CRC,
                                      [(BAD_EDC, 2), (WTX, 1)]) + common,
    "contact-tpdu-t0": cfg(CONTACT | TPDU, TEST_T0) + establish() +
    list_readers() + connect(protos=1) + transmit("00B0000010", pci=0) +
    transmit("00D6000005" + "0102030405", pci=0) +
    transmit("00CA010200", pci=0) + release(),
    "contact-ext-interrupt-escape": cfg(CONTACT | EXT | INTR | ESCAPE, TEST,
                                        TIME_EXT) + establish() +
    list_readers(mode=1) + gsc(pnp=True) + connect(share=1) +
    transmit("00D60000" + "0000C8" + "00" * 200 + "0000") +
    control(1, b"\x01") + control(0) + attrib(0, auto=True) + release(),
    "contactless-storage-uid": cfg(CTLS | SHORT, CLASSIC_1K) + establish() +
    list_readers() + connect() + transmit(GETDATA_UID) +
    transmit("FF82000006FFFFFFFFFFFF") + transmit("FFB0000010") +
    release(),
    "pinpad-features": cfg(PINPAD | SHORT, TEST) + establish() +
    list_readers() + connect(share=3, protos=0) + control(0) +
    control(3, bytes(20)) + control(5) + release(),
    "remove-insert": cfg(CONTACT | SHORT | INTR, TEST, TWO_SLOTS) +
    establish() + list_readers() + connect() + card(False) +
    gsc(unaware=False, wait=2) + transmit(SELECT) + status() +
    card(True) + gsc(wait=3) + reconnect() + transmit(SELECT) + release(),
    "hangup-midway": cfg(CONTACT | SHORT, TEST, 0, [(HANGUP, 4), (HANGUP, 4)]) +
    establish() + list_readers() + connect() + transmit(SELECT) +
    transmit(SELECT) + gsc(wait=1) + list_readers() + release(),
    "misuse": cfg(CONTACT | SHORT, TEST) + transmit(SELECT) + release() +
    establish() + establish(1) + release(0x80) + connect(reader=1) +
    begin() + begin(0x80) + end(0x81) + status(0x80) + cancel() +
    list_readers(mode=2) + list_readers(mode=0) + release() + release() +
    release(1),
    "no-card-two-contexts": cfg(CONTACT | SHORT, NO_CARD, TWO_SLOTS) +
    establish() + establish(1, 0) + list_readers(1) + gsc(1, readers=3) +
    connect(1) + connect(0, share=3, protos=0) + cancel(1) + release(1),
}

if __name__ == "__main__":
    os.makedirs(HERE, exist_ok=True)
    for k, v in SEEDS.items():
        with open(os.path.join(HERE, k), "wb") as f:
            f.write(v)
