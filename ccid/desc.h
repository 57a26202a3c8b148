/* ccidkit — the CCID class descriptor (CCID 1.1 §5.1).  Pure codec:
 * bytes in, struct out, nothing allocated, every length checked. */
#ifndef CCID_DESC_H
#define CCID_DESC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CCID_DESC_LEN 54
#define CCID_DESC_TYPE 0x21
#define CCID_DESC_TYPE_PROPRIETARY 0xFF /* pre-1.0 readers */

/* dwFeatures bits (CCID 1.1 §5.1, table 5.1-1) */
#define CCID_FEAT_AUTO_CONF_ATR 0x00000002u
#define CCID_FEAT_AUTO_ACTIVATION 0x00000004u
#define CCID_FEAT_AUTO_VOLTAGE 0x00000008u
#define CCID_FEAT_AUTO_CLOCK 0x00000010u
#define CCID_FEAT_AUTO_BAUD 0x00000020u
#define CCID_FEAT_AUTO_PARAM_NEG 0x00000040u
#define CCID_FEAT_AUTO_PPS 0x00000080u
#define CCID_FEAT_CLOCK_STOP 0x00000100u
#define CCID_FEAT_NAD 0x00000200u
#define CCID_FEAT_AUTO_IFSD 0x00000400u
#define CCID_FEAT_ICCD_TOKEN 0x00000800u
#define CCID_FEAT_LEVEL_TPDU 0x00010000u
#define CCID_FEAT_LEVEL_SHORT_APDU 0x00020000u
#define CCID_FEAT_LEVEL_EXT_APDU 0x00040000u
#define CCID_FEAT_LEVEL_MASK 0x00070000u
#define CCID_FEAT_USB_WAKEUP 0x00100000u

#define CCID_MAX_SLOTS 16 /* bMaxSlotIndex above 15 is refused */
#define CCID_HEADER_LEN 10

enum ccid_level {
	CCID_LEVEL_CHARACTER = 0,
	CCID_LEVEL_TPDU = 1,
	CCID_LEVEL_SHORT_APDU = 2,
	CCID_LEVEL_EXT_APDU = 3,
};

struct ccid_desc {
	uint8_t bLength;
	uint8_t bDescriptorType;
	uint16_t bcdCCID;
	uint8_t bMaxSlotIndex;
	uint8_t bVoltageSupport; /* bit0 5.0 V, bit1 3.0 V, bit2 1.8 V */
	uint32_t dwProtocols;    /* bit0 T=0, bit1 T=1 */
	uint32_t dwDefaultClock; /* kHz */
	uint32_t dwMaximumClock; /* kHz */
	uint8_t bNumClockSupported;
	uint32_t dwDataRate;     /* bps */
	uint32_t dwMaxDataRate;  /* bps */
	uint8_t bNumDataRatesSupported;
	uint32_t dwMaxIFSD;
	uint32_t dwSynchProtocols;
	uint32_t dwMechanical;
	uint32_t dwFeatures;
	uint32_t dwMaxCCIDMessageLength;
	uint8_t bClassGetResponse;
	uint8_t bClassEnvelope;
	uint16_t wLcdLayout;
	uint8_t bPINSupport;
	uint8_t bMaxCCIDBusySlots;
};

/* Parse and validate one class descriptor.  CCID_E_PROTO (with a log line
 * saying which field) when: len < 54 or bLength != 54 or bLength > len,
 * bDescriptorType not 0x21/0xFF, bMaxSlotIndex >= CCID_MAX_SLOTS,
 * dwMaxCCIDMessageLength < 11 (header + 1) or > 65544 + 10 (well beyond
 * any extended APDU),
 * bVoltageSupport with no voltage bit or with reserved bits (bits 3..7),
 * more than one exchange-level bit set.  CCID_E_INVAL for NULL args. */
int ccid_desc_parse(const uint8_t *buf, size_t len, struct ccid_desc *out);

/* Exchange level from dwFeatures (bits 16..18; none set = character). */
enum ccid_level ccid_desc_level(const struct ccid_desc *d);
const char *ccid_level_name(enum ccid_level level); /* "TPDU", "short APDU", ... */

/* Human-readable decoding of every field, features spelled out, one
 * "name: value" per line, for `ccidkit info`. */
void ccid_desc_print(const struct ccid_desc *d, FILE *out);

#endif
