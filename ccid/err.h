/* ccidkit — the one error enum of the driver.
 *
 * 0 is success, every failure is negative.  Other error spaces are
 * translated into this one at the boundary, once each: libusb errors in
 * tp_libusb.c, usbredir statuses in tp_usbredir.c, CCID bStatus/bError in
 * msg.c (ccid_msg_status_err), and PC/SC codes later in pcsc-api/.
 * Card status words (SW1 SW2) are data, never errors.
 *
 * When adding a value: add its string to err.c; test_err checks every
 * value between CCID_E_LAST and 0 has one. */
#ifndef CCID_ERR_H
#define CCID_ERR_H

enum ccid_err {
	CCID_OK = 0,
	CCID_E_INVAL = -1,          /* bad argument from the caller */
	CCID_E_NOMEM = -2,          /* allocation failed */
	CCID_E_IO = -3,             /* transport I/O failed */
	CCID_E_TIMEOUT = -4,        /* deadline passed */
	CCID_E_NO_DEVICE = -5,      /* reader unplugged / connection gone */
	CCID_E_NO_CARD = -6,        /* no card in the slot */
	CCID_E_CARD_MUTE = -7,      /* card present but does not answer (ICC_MUTE) */
	CCID_E_UNPOWERED = -8,      /* card present but not powered */
	CCID_E_PROTO = -9,          /* malformed or unexpected reply from the reader */
	CCID_E_BUSY = -10,          /* interface or slot busy (another program) */
	CCID_E_ACCESS = -11,        /* permission denied on the device */
	CCID_E_NOT_SUPPORTED = -12, /* the reader or driver cannot do this */
	CCID_E_OVERFLOW = -13,      /* caller's buffer too small */
	CCID_E_STALL = -14,         /* endpoint stalled */
	CCID_E_ABORTED = -15,       /* CMD_ABORTED: activity aborted by the host */
	CCID_E_HW = -16,            /* reader hardware error */
	CCID_E_XFR = -17,           /* parity error / overrun while talking to the card */
	CCID_E_BAD_ATR = -18,       /* invalid ATR (TS, TCK, structure) */
	CCID_E_VOLTAGE = -19,       /* ICC class (voltage) not supported */
	CCID_E_CMD_FAILED = -20,    /* reader refused the command (other bError) */
	CCID_E_NOT_FOUND = -21,     /* no such reader / slot / endpoint */
	CCID_E_CANCELLED = -22,     /* cancelled by the caller */
	CCID_E_RESET = -23,         /* another process reset or re-powered the card */
	CCID_E_LAST = -23
};

/* Never NULL; unknown values give "unknown error". */
const char *ccid_strerror(int err);
/* What a user can do about a reader that cannot be opened with err
 * (CCID_E_ACCESS, CCID_E_BUSY): one sentence, or "" when there is nothing
 * to say.  Never NULL. */
const char *ccid_err_hint(int err);
/* Stable identifier, e.g. "CCID_E_TIMEOUT"; never NULL. */
const char *ccid_errname(int err);

#endif
