"""Shared helpers for the seed generators mkseeds_*.py (ccidkit fuzz
corpora).  Facts from CCID 1.1 §5.1 (class descriptor), §6 (messages),
USB 2.0 §9.6 (standard descriptors), ISO/IEC 7816-3 §8 (ATR)."""
import os
import struct


def out_dir(name):
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), name)
    os.makedirs(d, exist_ok=True)
    return d


def write_seeds(name, seeds):
    """seeds: {file name: bytes}; replaces the generator's own files only."""
    d = out_dir(name)
    for fname, data in seeds.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)
    print("%s: %d seeds" % (name, len(seeds)))


def class_desc(level=1, slots=1, features=None, maxmsg=271, voltage=7,
               protocols=3, dtype=0x21, length=54):
    """A CCID class descriptor (CCID 1.1 §5.1, table 5.1-1): level 0
    character, 1 TPDU, 2 short APDU, 3 extended APDU."""
    if features is None:
        features = 0x000000BA | ({0: 0, 1: 0x10000, 2: 0x20000,
                                  3: 0x40000}[level])
    return struct.pack("<BBHBBIIIBIIBIIIIIBBHBB", length, dtype, 0x0110,
                       slots - 1, voltage, protocols, 4000, 12000, 0,
                       10752, 344086, 0, 254, 0, 0, features, maxmsg,
                       0xFF, 0xFF, 0, 0, 1)


def msg(mtype, data=b"", slot=0, seq=0, b7=0, b8=0, b9=0):
    """A bulk message: 10-byte header (CCID 1.1 §6) + abData."""
    return struct.pack("<BIBBBBB", mtype, len(data), slot, seq, b7, b8,
                       b9) + data


def atr(groups, hist=b"", ts=0x3B, tck=None):
    """An ATR from interface byte groups [(protocol_of_next_TD or None,
    {"TA": x, "TB": y, "TC": z}), ...]: T0 and every TDi are computed;
    TCK is added when a protocol other than T=0 is announced."""
    body = b""
    y = []
    for i, (nxt, g) in enumerate(groups):
        bits = 0
        for k, bit in (("TA", 1), ("TB", 2), ("TC", 4)):
            if k in g:
                bits |= bit
        if nxt is not None:
            bits |= 8
        y.append((bits, nxt, g))
    t0 = (y[0][0] << 4) | len(hist) if y else len(hist)
    need_tck = False
    for i, (bits, nxt, g) in enumerate(y):
        if i > 0:
            pass
        for k in ("TA", "TB", "TC"):
            if k in g:
                body += bytes([g[k]])
        if nxt is not None:
            nbits = y[i + 1][0] if i + 1 < len(y) else 0
            body += bytes([(nbits << 4) | nxt])
            if nxt != 0:
                need_tck = True
    raw = bytes([ts, t0]) + body + hist
    if tck is None and need_tck:
        x = 0
        for b in raw[1:]:
            x ^= b
        raw += bytes([x])
    elif tck is not None:
        raw += bytes([tck])
    return raw
