/* ccidkit — error strings (see err.h). */
#include "config.h"
#include "ccid/err.h"

#include <stddef.h>

struct err_row {
	int code;
	const char *name;
	const char *text;
};

static const struct err_row err_table[] = {
	{ CCID_OK, "CCID_OK", "success" },
	{ CCID_E_INVAL, "CCID_E_INVAL", "invalid argument" },
	{ CCID_E_NOMEM, "CCID_E_NOMEM", "out of memory" },
	{ CCID_E_IO, "CCID_E_IO", "input/output error talking to the reader" },
	{ CCID_E_TIMEOUT, "CCID_E_TIMEOUT", "timed out" },
	{ CCID_E_NO_DEVICE, "CCID_E_NO_DEVICE", "reader is gone (unplugged or disconnected)" },
	{ CCID_E_NO_CARD, "CCID_E_NO_CARD", "no card in the reader" },
	{ CCID_E_CARD_MUTE, "CCID_E_CARD_MUTE", "card is mute (does not answer)" },
	{ CCID_E_UNPOWERED, "CCID_E_UNPOWERED", "card is not powered" },
	{ CCID_E_PROTO, "CCID_E_PROTO", "protocol error: malformed or unexpected reply from the reader" },
	{ CCID_E_BUSY, "CCID_E_BUSY", "reader is busy (in use by another program?)" },
	{ CCID_E_ACCESS, "CCID_E_ACCESS", "permission denied on the reader (install the udev rule?)" },
	{ CCID_E_NOT_SUPPORTED, "CCID_E_NOT_SUPPORTED", "not supported by this reader or driver" },
	{ CCID_E_OVERFLOW, "CCID_E_OVERFLOW", "buffer too small" },
	{ CCID_E_STALL, "CCID_E_STALL", "USB endpoint stalled" },
	{ CCID_E_ABORTED, "CCID_E_ABORTED", "command aborted" },
	{ CCID_E_HW, "CCID_E_HW", "reader hardware error" },
	{ CCID_E_XFR, "CCID_E_XFR", "transmission error between reader and card (parity/overrun)" },
	{ CCID_E_BAD_ATR, "CCID_E_BAD_ATR", "invalid ATR" },
	{ CCID_E_VOLTAGE, "CCID_E_VOLTAGE", "card does not support the offered voltage" },
	{ CCID_E_CMD_FAILED, "CCID_E_CMD_FAILED", "reader refused the command" },
	{ CCID_E_NOT_FOUND, "CCID_E_NOT_FOUND", "not found" },
	{ CCID_E_CANCELLED, "CCID_E_CANCELLED", "cancelled" },
	{ CCID_E_RESET, "CCID_E_RESET",
	  "the card was reset by another process" },
};

static const struct err_row *err_lookup(int err)
{
	for (size_t i = 0; i < sizeof(err_table) / sizeof(err_table[0]); i++)
		if (err_table[i].code == err)
			return &err_table[i];
	return NULL;
}

const char *ccid_strerror(int err)
{
	const struct err_row *row = err_lookup(err);
	return row ? row->text : "unknown error";
}

const char *ccid_errname(int err)
{
	const struct err_row *row = err_lookup(err);
	return row ? row->name : "CCID_E_UNKNOWN";
}

const char *ccid_err_hint(int err)
{
	switch (err) {
	case CCID_E_ACCESS:
		return "no permission on the USB device node: install ccidkit's "
		       "udev rule (60-ccidkit.rules), then `udevadm trigger` "
		       "and replug, or ask the administrator";
	case CCID_E_BUSY:
		return "another program holds the reader and does not share it "
		       "(pcscd? `systemctl stop pcscd.socket pcscd.service`; or "
		       "a ccidkit run with CCIDKIT_SHARE=0 or another "
		       "CCIDKIT_LOCK_DIR)";
	default:
		return "";
	}
}
