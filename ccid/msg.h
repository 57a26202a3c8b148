/* ccidkit — CCID bulk messages (CCID 1.1 §6.1 and §6.2).  Pure codec.
 * All multi-byte fields are little-endian.  The encoders write the 10-byte
 * header plus abData into the caller's buffer (buf, cap) and return the
 * total length in *len; CCID_E_OVERFLOW when cap is too small,
 * CCID_E_INVAL on NULL or a data length that does not fit dwLength. */
#ifndef CCID_MSG_H
#define CCID_MSG_H

#include <stddef.h>
#include <stdint.h>

/* bMessageType values, spec names verbatim */
enum {
	PC_to_RDR_SetParameters = 0x61,
	PC_to_RDR_IccPowerOn = 0x62,
	PC_to_RDR_IccPowerOff = 0x63,
	PC_to_RDR_GetSlotStatus = 0x65,
	PC_to_RDR_T0APDU = 0x6A,
	PC_to_RDR_Escape = 0x6B,
	PC_to_RDR_GetParameters = 0x6C,
	PC_to_RDR_ResetParameters = 0x6D,
	PC_to_RDR_IccClock = 0x6E,
	PC_to_RDR_XfrBlock = 0x6F,
	PC_to_RDR_Secure = 0x69,
	PC_to_RDR_Mechanical = 0x71,
	PC_to_RDR_Abort = 0x72,
	PC_to_RDR_SetDataRateAndClockFrequency = 0x73,

	RDR_to_PC_DataBlock = 0x80,
	RDR_to_PC_SlotStatus = 0x81,
	RDR_to_PC_Parameters = 0x82,
	RDR_to_PC_Escape = 0x83,
	RDR_to_PC_DataRateAndClockFrequency = 0x84,

	RDR_to_PC_NotifySlotChange = 0x50,
	RDR_to_PC_HardwareError = 0x51,
};

/* bPowerSelect (CCID 1.1 §6.1.1) */
enum ccid_voltage {
	CCID_VOLTAGE_AUTO = 0,
	CCID_VOLTAGE_5V = 1,
	CCID_VOLTAGE_3V = 2,
	CCID_VOLTAGE_1_8V = 3,
};

/* bmICCStatus (bStatus bits 1..0) */
enum ccid_icc_status {
	CCID_ICC_ACTIVE = 0,   /* present and powered */
	CCID_ICC_INACTIVE = 1, /* present, not powered */
	CCID_ICC_ABSENT = 2,
};

/* bmCommandStatus (bStatus bits 7..6) */
enum ccid_cmd_status {
	CCID_CMD_OK = 0,
	CCID_CMD_FAILED = 1,
	CCID_CMD_TIME_EXTENSION = 2,
};

/* bError values (CCID 1.1 §6.2.6) */
enum {
	CCID_ERR_CMD_ABORTED = 0xFF,
	CCID_ERR_ICC_MUTE = 0xFE,
	CCID_ERR_XFR_PARITY_ERROR = 0xFD,
	CCID_ERR_XFR_OVERRUN = 0xFC,
	CCID_ERR_HW_ERROR = 0xFB,
	CCID_ERR_BAD_ATR_TS = 0xF8,
	CCID_ERR_BAD_ATR_TCK = 0xF7,
	CCID_ERR_ICC_PROTOCOL_NOT_SUPPORTED = 0xF6,
	CCID_ERR_ICC_CLASS_NOT_SUPPORTED = 0xF5,
	CCID_ERR_PROCEDURE_BYTE_CONFLICT = 0xF4,
	CCID_ERR_DEACTIVATED_PROTOCOL = 0xF3,
	CCID_ERR_BUSY_WITH_AUTO_SEQUENCE = 0xF2,
	CCID_ERR_PIN_TIMEOUT = 0xF0,
	CCID_ERR_PIN_CANCELLED = 0xEF,
	CCID_ERR_CMD_SLOT_BUSY = 0xE0,
	CCID_ERR_CMD_NOT_SUPPORTED = 0x00,
};

/* Class-specific requests (CCID 1.1 §5.3) */
enum {
	CCID_REQ_ABORT = 0x01,
	CCID_REQ_GET_CLOCK_FREQUENCIES = 0x02,
	CCID_REQ_GET_DATA_RATES = 0x03,
};

/* Generic encoder: header fields + abData.  param = header bytes 7..9. */
int ccid_msg_encode(uint8_t bMessageType, uint8_t bSlot, uint8_t bSeq,
		    const uint8_t param[3], const uint8_t *data,
		    size_t data_len, uint8_t *buf, size_t cap, size_t *len);

/* One encoder per message the driver sends. */
int ccid_msg_icc_power_on(uint8_t bSlot, uint8_t bSeq, uint8_t bPowerSelect,
			  uint8_t *buf, size_t cap, size_t *len);
int ccid_msg_icc_power_off(uint8_t bSlot, uint8_t bSeq, uint8_t *buf,
			   size_t cap, size_t *len);
int ccid_msg_get_slot_status(uint8_t bSlot, uint8_t bSeq, uint8_t *buf,
			     size_t cap, size_t *len);
int ccid_msg_xfr_block(uint8_t bSlot, uint8_t bSeq, uint8_t bBWI,
		       uint16_t wLevelParameter, const uint8_t *data,
		       size_t data_len, uint8_t *buf, size_t cap, size_t *len);
int ccid_msg_get_parameters(uint8_t bSlot, uint8_t bSeq, uint8_t *buf,
			    size_t cap, size_t *len);
int ccid_msg_reset_parameters(uint8_t bSlot, uint8_t bSeq, uint8_t *buf,
			      size_t cap, size_t *len);
/* bProtocolNum 0: data_len must be 5; 1: must be 7 (CCID 1.1 §6.1.7). */
int ccid_msg_set_parameters(uint8_t bSlot, uint8_t bSeq, uint8_t bProtocolNum,
			    const uint8_t *data, size_t data_len, uint8_t *buf,
			    size_t cap, size_t *len);
int ccid_msg_escape(uint8_t bSlot, uint8_t bSeq, const uint8_t *data,
		    size_t data_len, uint8_t *buf, size_t cap, size_t *len);
int ccid_msg_icc_clock(uint8_t bSlot, uint8_t bSeq, uint8_t bClockCommand,
		       uint8_t *buf, size_t cap, size_t *len);
int ccid_msg_abort(uint8_t bSlot, uint8_t bSeq, uint8_t *buf, size_t cap,
		   size_t *len);

/* A decoded RDR_to_PC bulk message; data points into the decoded buffer. */
struct ccid_reply {
	uint8_t bMessageType;
	uint32_t dwLength;
	uint8_t bSlot;
	uint8_t bSeq;
	uint8_t bStatus;
	uint8_t bError;
	uint8_t bSpecific; /* byte 9: bChainParameter / bClockStatus / bProtocolNum */
	const uint8_t *data; /* dwLength bytes; NULL when dwLength == 0 */
};

/* Decode one RDR_to_PC message.  CCID_E_PROTO when len < 10, when
 * bMessageType is not an RDR_to_PC bulk type (0x80..0x84), or when dwLength
 * != len - 10 (a short or long transfer).  CCID_E_INVAL on NULL. */
int ccid_msg_decode(const uint8_t *buf, size_t len, struct ccid_reply *out);

/* How many bytes a message whose first `len` (>= 10) bytes are in buf
 * announces in total (10 + dwLength); 0 if len < 10. */
size_t ccid_msg_total_len(const uint8_t *buf, size_t len);

/* The RDR_to_PC type that answers a PC_to_RDR type (CCID 1.1 §6.2);
 * 0 for an unknown command type. */
uint8_t ccid_msg_reply_type(uint8_t pc_to_rdr_type);

/* The one place where bStatus/bError become enum ccid_err:
 *  bmCommandStatus 0 → CCID_OK; 2 → CCID_OK (caller checks time extension);
 *  1 → by bError: ICC_MUTE → CCID_E_NO_CARD if bmICCStatus == 2, else
 *  CCID_E_UNPOWERED if bmICCStatus == 1, else CCID_E_CARD_MUTE;
 *  CMD_ABORTED → CCID_E_ABORTED; XFR_PARITY_ERROR/XFR_OVERRUN → CCID_E_XFR;
 *  HW_ERROR → CCID_E_HW; BAD_ATR_TS/BAD_ATR_TCK → CCID_E_BAD_ATR;
 *  ICC_CLASS_NOT_SUPPORTED → CCID_E_VOLTAGE; CMD_SLOT_BUSY →
 *  CCID_E_BUSY; 0x00 (command not supported) → CCID_E_NOT_SUPPORTED;
 *  anything else → CCID_E_CMD_FAILED.
 *  bmCommandStatus 3 (RFU) → CCID_E_PROTO. */
int ccid_msg_status_err(uint8_t bStatus, uint8_t bError);

static inline unsigned ccid_icc_status(uint8_t bStatus) { return bStatus & 3u; }
static inline unsigned ccid_cmd_status(uint8_t bStatus) { return bStatus >> 6; }

/* RDR_to_PC_NotifySlotChange (CCID 1.1 §6.3.1): for slots 0..nslots-1 set
 * bit n of *present / *changed.  CCID_E_PROTO when buf[0] != 0x50 or the
 * message is shorter than 1 + ceil(2*nslots/8). */
int ccid_msg_decode_notify(const uint8_t *buf, size_t len, unsigned nslots,
			   uint32_t *present, uint32_t *changed);

/* Names for traces and errors: "PC_to_RDR_XfrBlock", "ICC_MUTE", ...;
 * never NULL ("unknown"). */
const char *ccid_msg_type_name(uint8_t bMessageType);
const char *ccid_msg_error_name(uint8_t bError);

#endif
