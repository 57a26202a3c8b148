/* ccidkit — the layered decoder of CCID traffic, shared by the live trace
 * (trace.h, CCIDKIT_TRACE=text:...) and `ccidkit decode` (captures).
 * Sans-I/O: bytes in, text out; it keeps per-device state (exchange level,
 * per-slot protocol, T=1 and extended-APDU reassembly, the command each
 * bSeq answers) so that it can show the layers inside each message.
 *
 * OUTPUT FORMAT (golden files depend on it; change it only with them).
 * One event = one first line + zero or more detail lines, each ending in
 * '\n'.  The caller adds any prefix (time, device) before the first line
 * only.  Detail lines start with 4 spaces.
 *
 * First line of a bulk message:
 *   "> PC_to_RDR_XfrBlock slot 0 seq 4 bBWI 0 wLevelParameter 0x0000 len 8"
 *   "< RDR_to_PC_DataBlock slot 0 seq 4 status 0x00 (active, ok) chain 0x00 len 6"
 * i.e. direction '>' (host to reader) or '<', the CCID 1.1 name of
 * bMessageType (ccid-spec.md; unknown: "PC_to_RDR_0xNN"/"RDR_to_PC_0xNN"),
 * "slot N seq N", then the type's own header fields by their spec names
 * (bPowerSelect with its voltage "(5.0 V)"/"(auto)", bProtocolNum,
 * bClockCommand, ...), for RDR_to_PC the status as "status 0xSS (ICC,
 * command)" with ICC in {active, inactive, absent} and command in {ok,
 * failed, time extension}, plus "error 0xEE (NAME)" when failed (bError
 * names from CCID 1.1 §6.2.6: ICC_MUTE, XFR_PARITY_ERROR, CMD_ABORTED,
 * HW_ERROR, BAD_ATR_TS, ...; a time extension shows "multiplier N"), and
 * "len N" = dwLength.  A message shorter than 10 bytes or whose dwLength
 * disagrees with its size: "> malformed CCID message (N bytes): HEX".
 *
 * Detail lines (what is inside), in this order, as they apply:
 *   "    data HEX"                    the abData, when no layer below
 *                                     claims it (Escape, unknown, ...)
 *   "    ATR HEX (T=0|T=1|T=0,T=1 ...)" a DataBlock answering IccPowerOn
 *   "    T=0 parameters bmFindexDindex 0x11 ... " / "    T=1 parameters ..."
 *                                     SetParameters / Parameters bodies
 *   "    T=1 I(0) M=0 LEN 4 LRC 0x92 ok" / "R(1) ok" / "R(0) EDC error"
 *   "    T=1 S(WTX request) 03" ...     a T=1 block at TPDU level: type,
 *                                     N(S)/N(R), chaining, INF length, EDC
 *                                     and whether it checks ("bad LRC")
 *   "    T=0 header CLA INS P1 P2 P3" / "    T=0 procedure 0xNN (ACK|NULL|
 *                                     SW1)" at TPDU level with T=0
 *   "    APDU > CLA 00 INS A4 P1 04 P2 00 Lc 8 Le 256 (SELECT)" then
 *   "    APDU data HEX"               once the APDU is whole (after T=1 /
 *                                     extended chaining); name of INS for
 *                                     ISO 7816-4 commands and, for CLA FF,
 *                                     PC/SC Part 3 pseudo-APDUs (GET DATA,
 *                                     LOAD KEYS, GENERAL AUTHENTICATE, ...)
 *   "    APDU < SW 90 00 (success)" then "    APDU data HEX" (the response
 *                                     data, if any); meaning from sw.h
 *   "    (chained: part 2, 254 bytes so far)" while a chain is incomplete
 *   "    masked: N bytes (PIN)"       instead of the data of VERIFY (20,
 *                                     21), CHANGE REFERENCE DATA (24),
 *                                     RESET RETRY COUNTER (2C) and of
 *                                     PC_to_RDR_Secure's PIN structures,
 *                                     unless show_secrets
 *   "    bPINOperation N (PIN verification)" before "masked:" (Secure)
 *   "    dwClockFrequency N kHz dwDataRate N bps"   SetDataRateAndClock
 *   "    X malformed (N bytes): HEX" with X one of "APDU >", "APDU <",
 *                                     "T=0 TPDU", "T=0 parameters",
 *                                     "T=1 parameters", "clock and rate"
 *   "    T=1 block malformed (N bytes, LEN L): HEX"
 *   "    (chain too long: N bytes, dropped)"  (over 65544 bytes)
 *   "    (unknown wLevelParameter 0xNNNN)"
 * T=1 lines read "T=1 I(0) M=1 LEN 8 LRC 0x2F ok", "T=1 R(1) EDC error LEN
 * 0 LRC 0x91 ok", "T=1 S(WTX request) 02 LEN 1 LRC 0xC0 ok"; a bad check
 * "LRC 0xD6 bad LRC (0xD7 expected)", with CRC "CRC 0x1234 ok".  The T=0
 * header: "T=0 header CLA 00 INS A4 P1 00 P2 00 P3 02".  Part 3 names:
 * "GET DATA UID", "GET DATA ATS".  LOAD KEYS (FF 82) is masked too (a key).
 * Hex is upper case, bytes separated by one space; data longer than 64
 * bytes is cut: "HEX ... (N bytes)".
 *
 * Interrupt: "! RDR_to_PC_NotifySlotChange slot 0 present changed, slot 1
 * absent" / "! RDR_to_PC_HardwareError slot 0 seq 3 code 0x01 (overcurrent)"
 * / "! RDR_to_PC_0xNN len N" / "! malformed interrupt message (N bytes):
 * HEX".
 * Control: "> control ABORT slot 0 seq 4" / "> control GET_CLOCK_FREQUENCIES"
 * / "< control GET_DATA_RATES 4 rates: 9600 ..." / other requests
 * "> control bmRequestType 0xA1 bRequest 0x02 wValue 0x0000 wIndex 0 len 4".
 */
#ifndef CCID_DECODE_H
#define CCID_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/text.h"

struct ccid_decode_opts {
	bool show_secrets; /* PIN data shown instead of "masked: ..." */
};

struct ccid_decoder;

/* class_desc: the interface's CCID class descriptor (CCID 1.1 §5.1) when
 * known, else NULL/0: the exchange level is then learnt from the traffic
 * (SetParameters' protocol, the shape of XfrBlock payloads: a T=1 block
 * whose LRC checks at TPDU level, an APDU otherwise).  CCID_E_NOMEM. */
int ccid_decoder_new(const uint8_t *class_desc, size_t len,
		     const struct ccid_decode_opts *opts,
		     struct ccid_decoder **out);
/* NULL allowed; clears the pointer. */
void ccid_decoder_free(struct ccid_decoder **d);
/* The class descriptor learnt later (a capture's GET_DESCRIPTOR). */
void ccid_decoder_set_desc(struct ccid_decoder *d, const uint8_t *class_desc,
			   size_t len);

/* One whole CCID message from a bulk pipe: out = PC_to_RDR (bulk OUT),
 * else RDR_to_PC.  Appends its lines to t.  Never fails on bad input: it
 * is described ("malformed ..."), and state for that slot is reset. */
void ccid_decode_bulk(struct ccid_decoder *d, bool out, const uint8_t *msg,
		      size_t len, struct ccid_text *t);
/* One interrupt-IN message (CCID 1.1 §6.3). */
void ccid_decode_intr(struct ccid_decoder *d, const uint8_t *msg, size_t len,
		      struct ccid_text *t);
/* A class-specific control request (CCID 1.1 §5.3): the 8-byte setup
 * packet, and for the completion (complete) the data that came back
 * (IN) or went out (OUT). */
void ccid_decode_control(struct ccid_decoder *d, const uint8_t setup[8],
			 const uint8_t *data, size_t len, bool complete,
			 struct ccid_text *t);

/* The CCID 1.1 name of a message type, "PC_to_RDR_XfrBlock", or NULL. */
const char *ccid_decode_msg_name(uint8_t bMessageType);
/* A message type by name (case-insensitive; with or without the
 * "PC_to_RDR_"/"RDR_to_PC_" prefix, e.g. "XfrBlock"), for filters: fills
 * types[] (both directions may match: "Escape") and returns how many, 0
 * when unknown. */
size_t ccid_decode_msg_lookup(const char *name, uint8_t types[4]);

#endif
