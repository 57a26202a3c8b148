#!/usr/bin/env python3
"""Seeds for fuzz_desc: class descriptors at each exchange level, the
pre-1.0 0xFF type, and the refusals ccid/desc.h lists."""
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from seedlib import class_desc, write_seeds

write_seeds("desc", {
    "tpdu-2slots": class_desc(1, slots=2),
    "character-level": class_desc(0),
    "short-apdu": class_desc(2, maxmsg=271),
    "extended-apdu": class_desc(3, maxmsg=65544 + 10),
    "proprietary-ff": class_desc(1, dtype=0xFF),
    "truncated-53": class_desc(1)[:53],
    "longer-buffer": class_desc(2) + b"\x07\x05\x81\x02\x40\x00\x00",
    "bad-blength": class_desc(1, length=55),
    "too-many-slots": class_desc(1, slots=17),
    "two-levels": class_desc(1, features=0x30000),
    "maxmsg-10": class_desc(1, maxmsg=10),
    "voltage-reserved": class_desc(1, voltage=0x0F),
})
