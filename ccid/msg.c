/* ccidkit — CCID bulk and interrupt messages (see msg.h).
 *
 * CCID 1.1 §6: every bulk message is a 10-byte header (bMessageType,
 * dwLength LE, bSlot, bSeq, three message-specific bytes) followed by
 * dwLength bytes of abData.  Nothing here does I/O or allocates. */
#include "config.h"
#include "ccid/msg.h"

#include "ccid/desc.h"
#include "ccid/err.h"
#include "ccid/log.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

int ccid_msg_encode(uint8_t bMessageType, uint8_t bSlot, uint8_t bSeq,
		    const uint8_t param[3], const uint8_t *data,
		    size_t data_len, uint8_t *buf, size_t cap, size_t *len)
{
	if (buf == NULL || len == NULL || (data == NULL && data_len > 0))
		return CCID_E_INVAL;
	/* dwLength is 32 bits (CCID 1.1 §6.1) */
	if ((uint64_t)data_len > UINT32_MAX)
		return CCID_E_INVAL;
	if (cap < CCID_HEADER_LEN || cap - CCID_HEADER_LEN < data_len)
		return CCID_E_OVERFLOW;
	buf[0] = bMessageType;
	put_le32(buf + 1, (uint32_t)data_len);
	buf[5] = bSlot;
	buf[6] = bSeq;
	if (param != NULL)
		memcpy(buf + 7, param, 3);
	else
		memset(buf + 7, 0, 3); /* RFU bytes are zero */
	if (data_len > 0)
		memcpy(buf + CCID_HEADER_LEN, data, data_len);
	*len = CCID_HEADER_LEN + data_len;
	return CCID_OK;
}

/* A message with no abData and all three specific bytes given. */
static int encode_bare(uint8_t type, uint8_t bSlot, uint8_t bSeq, uint8_t p7,
		       uint8_t *buf, size_t cap, size_t *len)
{
	const uint8_t param[3] = { p7, 0, 0 };

	return ccid_msg_encode(type, bSlot, bSeq, param, NULL, 0, buf, cap, len);
}

/* CCID 1.1 §6.1.1: byte 7 is bPowerSelect */
int ccid_msg_icc_power_on(uint8_t bSlot, uint8_t bSeq, uint8_t bPowerSelect,
			  uint8_t *buf, size_t cap, size_t *len)
{
	if (bPowerSelect > CCID_VOLTAGE_1_8V)
		return CCID_E_INVAL;
	return encode_bare(PC_to_RDR_IccPowerOn, bSlot, bSeq, bPowerSelect,
			   buf, cap, len);
}

int ccid_msg_icc_power_off(uint8_t bSlot, uint8_t bSeq, uint8_t *buf,
			   size_t cap, size_t *len)
{
	return encode_bare(PC_to_RDR_IccPowerOff, bSlot, bSeq, 0, buf, cap, len);
}

int ccid_msg_get_slot_status(uint8_t bSlot, uint8_t bSeq, uint8_t *buf,
			     size_t cap, size_t *len)
{
	return encode_bare(PC_to_RDR_GetSlotStatus, bSlot, bSeq, 0, buf, cap,
			   len);
}

/* CCID 1.1 §6.1.4: byte 7 bBWI, bytes 8..9 wLevelParameter (LE) */
int ccid_msg_xfr_block(uint8_t bSlot, uint8_t bSeq, uint8_t bBWI,
		       uint16_t wLevelParameter, const uint8_t *data,
		       size_t data_len, uint8_t *buf, size_t cap, size_t *len)
{
	const uint8_t param[3] = { bBWI, (uint8_t)wLevelParameter,
				   (uint8_t)(wLevelParameter >> 8) };

	return ccid_msg_encode(PC_to_RDR_XfrBlock, bSlot, bSeq, param, data,
			       data_len, buf, cap, len);
}

int ccid_msg_get_parameters(uint8_t bSlot, uint8_t bSeq, uint8_t *buf,
			    size_t cap, size_t *len)
{
	return encode_bare(PC_to_RDR_GetParameters, bSlot, bSeq, 0, buf, cap,
			   len);
}

int ccid_msg_reset_parameters(uint8_t bSlot, uint8_t bSeq, uint8_t *buf,
			      size_t cap, size_t *len)
{
	return encode_bare(PC_to_RDR_ResetParameters, bSlot, bSeq, 0, buf, cap,
			   len);
}

/* CCID 1.1 §6.1.7: abProtocolDataStructure is 5 bytes for T=0 and 7 for
 * T=1; a reader rejects anything else, so refuse it before sending. */
int ccid_msg_set_parameters(uint8_t bSlot, uint8_t bSeq, uint8_t bProtocolNum,
			    const uint8_t *data, size_t data_len, uint8_t *buf,
			    size_t cap, size_t *len)
{
	const uint8_t param[3] = { bProtocolNum, 0, 0 };

	if (!(bProtocolNum == 0 && data_len == 5) &&
	    !(bProtocolNum == 1 && data_len == 7))
		return CCID_E_INVAL;
	return ccid_msg_encode(PC_to_RDR_SetParameters, bSlot, bSeq, param,
			       data, data_len, buf, cap, len);
}

int ccid_msg_escape(uint8_t bSlot, uint8_t bSeq, const uint8_t *data,
		    size_t data_len, uint8_t *buf, size_t cap, size_t *len)
{
	return ccid_msg_encode(PC_to_RDR_Escape, bSlot, bSeq, NULL, data,
			       data_len, buf, cap, len);
}

/* CCID 1.1 §6.1.9: byte 7 bClockCommand (0 restart, 1 stop) */
int ccid_msg_icc_clock(uint8_t bSlot, uint8_t bSeq, uint8_t bClockCommand,
		       uint8_t *buf, size_t cap, size_t *len)
{
	return encode_bare(PC_to_RDR_IccClock, bSlot, bSeq, bClockCommand, buf,
			   cap, len);
}

int ccid_msg_abort(uint8_t bSlot, uint8_t bSeq, uint8_t *buf, size_t cap,
		   size_t *len)
{
	return encode_bare(PC_to_RDR_Abort, bSlot, bSeq, 0, buf, cap, len);
}

/* ---- decoding ---------------------------------------------------------- */

int ccid_msg_decode(const uint8_t *buf, size_t len, struct ccid_reply *out)
{
	uint32_t dwLength;

	if (buf == NULL || out == NULL)
		return CCID_E_INVAL;
	if (len < CCID_HEADER_LEN) {
		ccid_log_err("short message: %zu bytes", len);
		return CCID_E_PROTO;
	}
	/* CCID 1.1 §6.2: bulk-IN carries only RDR_to_PC 0x80..0x84 */
	if (buf[0] < RDR_to_PC_DataBlock ||
	    buf[0] > RDR_to_PC_DataRateAndClockFrequency) {
		ccid_log_err("unexpected bMessageType 0x%02X", buf[0]);
		return CCID_E_PROTO;
	}
	dwLength = get_le32(buf + 1);
	if ((uint64_t)dwLength != (uint64_t)(len - CCID_HEADER_LEN)) {
		ccid_log_err("dwLength %u but %zu data bytes", (unsigned)dwLength,
			     len - CCID_HEADER_LEN);
		return CCID_E_PROTO;
	}
	out->bMessageType = buf[0];
	out->dwLength = dwLength;
	out->bSlot = buf[5];
	out->bSeq = buf[6];
	out->bStatus = buf[7];
	out->bError = buf[8];
	out->bSpecific = buf[9];
	out->data = dwLength ? buf + CCID_HEADER_LEN : NULL;
	return CCID_OK;
}

size_t ccid_msg_total_len(const uint8_t *buf, size_t len)
{
	uint64_t total;

	if (buf == NULL || len < CCID_HEADER_LEN)
		return 0;
	total = (uint64_t)get_le32(buf + 1) + CCID_HEADER_LEN;
	return total > SIZE_MAX ? SIZE_MAX : (size_t)total;
}

/* CCID 1.1 §6.2, table 6.2-1: which response answers which command. */
uint8_t ccid_msg_reply_type(uint8_t pc_to_rdr_type)
{
	switch (pc_to_rdr_type) {
	case PC_to_RDR_IccPowerOn:
	case PC_to_RDR_XfrBlock:
	case PC_to_RDR_Secure:
		return RDR_to_PC_DataBlock;
	case PC_to_RDR_IccPowerOff:
	case PC_to_RDR_GetSlotStatus:
	case PC_to_RDR_IccClock:
	case PC_to_RDR_T0APDU:
	case PC_to_RDR_Mechanical:
	case PC_to_RDR_Abort:
		return RDR_to_PC_SlotStatus;
	case PC_to_RDR_GetParameters:
	case PC_to_RDR_ResetParameters:
	case PC_to_RDR_SetParameters:
		return RDR_to_PC_Parameters;
	case PC_to_RDR_Escape:
		return RDR_to_PC_Escape;
	case PC_to_RDR_SetDataRateAndClockFrequency:
		return RDR_to_PC_DataRateAndClockFrequency;
	}
	return 0;
}

/* bError of a failed command (CCID 1.1 §6.2.6) as a driver error. */
static int error_to_err(uint8_t bStatus, uint8_t bError)
{
	switch (bError) {
	case CCID_ERR_ICC_MUTE:
		/* the same code means "no card", "not powered" and "mute":
		 * bmICCStatus tells them apart */
		if (ccid_icc_status(bStatus) == CCID_ICC_ABSENT)
			return CCID_E_NO_CARD;
		if (ccid_icc_status(bStatus) == CCID_ICC_INACTIVE)
			return CCID_E_UNPOWERED;
		return CCID_E_CARD_MUTE;
	case CCID_ERR_CMD_ABORTED:
		return CCID_E_ABORTED;
	case CCID_ERR_XFR_PARITY_ERROR:
	case CCID_ERR_XFR_OVERRUN:
		return CCID_E_XFR;
	case CCID_ERR_HW_ERROR:
		return CCID_E_HW;
	case CCID_ERR_BAD_ATR_TS:
	case CCID_ERR_BAD_ATR_TCK:
		return CCID_E_BAD_ATR;
	case CCID_ERR_ICC_CLASS_NOT_SUPPORTED:
		return CCID_E_VOLTAGE;
	case CCID_ERR_CMD_SLOT_BUSY:
		return CCID_E_BUSY;
	case CCID_ERR_CMD_NOT_SUPPORTED:
		return CCID_E_NOT_SUPPORTED;
	}
	return CCID_E_CMD_FAILED;
}

int ccid_msg_status_err(uint8_t bStatus, uint8_t bError)
{
	switch (ccid_cmd_status(bStatus)) {
	case CCID_CMD_OK:
	case CCID_CMD_TIME_EXTENSION: /* the caller reads again */
		return CCID_OK;
	case CCID_CMD_FAILED:
		return error_to_err(bStatus, bError);
	}
	return CCID_E_PROTO; /* bmCommandStatus 3 is RFU */
}

/* CCID 1.1 §6.3.1: bmSlotICCState, two bits per slot, LSB first:
 * bit 2n = card present, bit 2n+1 = changed. */
int ccid_msg_decode_notify(const uint8_t *buf, size_t len, unsigned nslots,
			   uint32_t *present, uint32_t *changed)
{
	uint32_t p = 0, c = 0;

	if (buf == NULL || present == NULL || changed == NULL || nslots > 32)
		return CCID_E_INVAL;
	if (len < 1 || buf[0] != RDR_to_PC_NotifySlotChange) {
		ccid_log_err("not a NotifySlotChange (%zu bytes)", len);
		return CCID_E_PROTO;
	}
	if (len - 1 < (2u * nslots + 7u) / 8u) {
		ccid_log_err("NotifySlotChange too short: %zu bytes for %u slots",
			     len, nslots);
		return CCID_E_PROTO;
	}
	for (unsigned n = 0; n < nslots; n++) {
		uint8_t bits = (uint8_t)(buf[1 + n / 4] >> (2 * (n % 4)));

		if (bits & 1)
			p |= UINT32_C(1) << n;
		if (bits & 2)
			c |= UINT32_C(1) << n;
	}
	*present = p;
	*changed = c;
	return CCID_OK;
}

/* ---- names ------------------------------------------------------------- */

struct name_row {
	uint8_t code;
	const char *name;
};

static const struct name_row type_names[] = {
	{ PC_to_RDR_SetParameters, "PC_to_RDR_SetParameters" },
	{ PC_to_RDR_IccPowerOn, "PC_to_RDR_IccPowerOn" },
	{ PC_to_RDR_IccPowerOff, "PC_to_RDR_IccPowerOff" },
	{ PC_to_RDR_GetSlotStatus, "PC_to_RDR_GetSlotStatus" },
	{ PC_to_RDR_T0APDU, "PC_to_RDR_T0APDU" },
	{ PC_to_RDR_Escape, "PC_to_RDR_Escape" },
	{ PC_to_RDR_GetParameters, "PC_to_RDR_GetParameters" },
	{ PC_to_RDR_ResetParameters, "PC_to_RDR_ResetParameters" },
	{ PC_to_RDR_IccClock, "PC_to_RDR_IccClock" },
	{ PC_to_RDR_XfrBlock, "PC_to_RDR_XfrBlock" },
	{ PC_to_RDR_Secure, "PC_to_RDR_Secure" },
	{ PC_to_RDR_Mechanical, "PC_to_RDR_Mechanical" },
	{ PC_to_RDR_Abort, "PC_to_RDR_Abort" },
	{ PC_to_RDR_SetDataRateAndClockFrequency,
	  "PC_to_RDR_SetDataRateAndClockFrequency" },
	{ RDR_to_PC_DataBlock, "RDR_to_PC_DataBlock" },
	{ RDR_to_PC_SlotStatus, "RDR_to_PC_SlotStatus" },
	{ RDR_to_PC_Parameters, "RDR_to_PC_Parameters" },
	{ RDR_to_PC_Escape, "RDR_to_PC_Escape" },
	{ RDR_to_PC_DataRateAndClockFrequency,
	  "RDR_to_PC_DataRateAndClockFrequency" },
	{ RDR_to_PC_NotifySlotChange, "RDR_to_PC_NotifySlotChange" },
	{ RDR_to_PC_HardwareError, "RDR_to_PC_HardwareError" },
};

static const struct name_row error_names[] = {
	{ CCID_ERR_CMD_ABORTED, "CMD_ABORTED" },
	{ CCID_ERR_ICC_MUTE, "ICC_MUTE" },
	{ CCID_ERR_XFR_PARITY_ERROR, "XFR_PARITY_ERROR" },
	{ CCID_ERR_XFR_OVERRUN, "XFR_OVERRUN" },
	{ CCID_ERR_HW_ERROR, "HW_ERROR" },
	{ CCID_ERR_BAD_ATR_TS, "BAD_ATR_TS" },
	{ CCID_ERR_BAD_ATR_TCK, "BAD_ATR_TCK" },
	{ CCID_ERR_ICC_PROTOCOL_NOT_SUPPORTED, "ICC_PROTOCOL_NOT_SUPPORTED" },
	{ CCID_ERR_ICC_CLASS_NOT_SUPPORTED, "ICC_CLASS_NOT_SUPPORTED" },
	{ CCID_ERR_PROCEDURE_BYTE_CONFLICT, "PROCEDURE_BYTE_CONFLICT" },
	{ CCID_ERR_DEACTIVATED_PROTOCOL, "DEACTIVATED_PROTOCOL" },
	{ CCID_ERR_BUSY_WITH_AUTO_SEQUENCE, "BUSY_WITH_AUTO_SEQUENCE" },
	{ CCID_ERR_PIN_TIMEOUT, "PIN_TIMEOUT" },
	{ CCID_ERR_PIN_CANCELLED, "PIN_CANCELLED" },
	{ CCID_ERR_CMD_SLOT_BUSY, "CMD_SLOT_BUSY" },
	{ CCID_ERR_CMD_NOT_SUPPORTED, "CMD_NOT_SUPPORTED" },
};

static const char *name_lookup(const struct name_row *rows, size_t n,
			       uint8_t code)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].code == code)
			return rows[i].name;
	return NULL;
}

const char *ccid_msg_type_name(uint8_t bMessageType)
{
	const char *s = name_lookup(type_names,
				    sizeof(type_names) / sizeof(type_names[0]),
				    bMessageType);
	return s ? s : "unknown";
}

const char *ccid_msg_error_name(uint8_t bError)
{
	const char *s = name_lookup(error_names,
				    sizeof(error_names) / sizeof(error_names[0]),
				    bError);
	if (s != NULL)
		return s;
	/* CCID 1.1 §6.2.6: 1..127 is the index of the offending byte,
	 * 0x81..0xC0 are vendor-defined */
	if (bError >= 0x01 && bError <= 0x7F)
		return "BAD_PARAMETER_INDEX";
	if (bError >= 0x81 && bError <= 0xC0)
		return "VENDOR_ERROR";
	return "unknown";
}
