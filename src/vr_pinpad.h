/* ccidkit — the virtual PIN-pad reader's PIN entry (sans-I/O).
 *
 * PC_to_RDR_Secure (CCID 1.1 §6.1.11): the reader lets its user type a PIN
 * and inserts it into the APDU template the host sent, then gives the APDU
 * to the card. The "user" is simulated: the PIN typed is fixed up front.
 *
 * abPINDataStructure (after bPINOperation, ccid-spec.md §9):
 *   verify (0): bTimerOut bmFormatString bmPINBlockString bmPINLengthFormat
 *     wPINMaxExtraDigit(2) bEntryValidationCondition bNumberMessage
 *     wLangId(2) bMsgIndex bTeoPrologue(3) abData
 *   modify (1): bTimerOut bmFormatString bmPINBlockString bmPINLengthFormat
 *     bInsertionOffsetOld bInsertionOffsetNew wPINMaxExtraDigit(2)
 *     bConfirmPIN bEntryValidationCondition bNumberMessage wLangId(2)
 *     bMsgIndex1 [bMsgIndex2 [bMsgIndex3]] bTeoPrologue(3) abData
 *   (hosts send 1 to 3 bMsgIndex bytes: the count that makes abData a
 *   well-formed case-3 APDU, 4 + 1 + Lc bytes, is taken, trying 3, 2, 1).
 *
 * Insertion rule, for each PIN (verify: one block at data offset 0; modify:
 * the current PIN at bInsertionOffsetOld, if bConfirmPIN bit 1 asks for it,
 * and the new one at bInsertionOffsetNew, offsets in bytes into the APDU
 * data field). Bit positions count from the most significant bit of the
 * block's first byte:
 *   - digits: bmFormatString bits 1-0: 0 binary (one byte per digit, 00-09),
 *     1 BCD (one nibble per digit), 2 ASCII ('0'-'9'); 3 is invalid;
 *   - where: bmFormatString bits 6-3 = position, in bytes if bit 7 is set
 *     else in bits; bit 2 set = right-justified: the last digit ends at the
 *     end of the PIN block (bmPINBlockString bits 3-0 bytes), else the
 *     first digit starts at the position;
 *   - PIN length: when bmPINBlockString bits 7-4 (size in bits) is not 0,
 *     the number of digits is written there, at bmPINLengthFormat bits 3-0,
 *     in bytes if bit 4 is set else in bits;
 *   - bytes of the template not written keep their value (the host pads).
 * A PIN whose length is outside wPINMaxExtraDigit (min = high byte,
 * max = low byte) is never validated: the entry times out.
 */
#ifndef CCIDKIT_VR_PINPAD_H
#define CCIDKIT_VR_PINPAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What the simulated user does at the keypad. */
struct vr_pinpad_user {
	const char *pin;	/* digits typed; NULL: presses Cancel */
	const char *new_pin;	/* for modify; NULL: the same as pin */
	bool timeout;		/* types nothing: the entry times out */
};

/* CCID bError values of a PIN entry (CCID 1.1 §6.2.6). */
enum { VR_PIN_TIMEOUT = 0xF0, VR_PIN_CANCELLED = 0xEF };

/* Build the APDU from d = bPINOperation + abPINDataStructure (dlen bytes).
 * Returns 0 with the APDU in apdu[0..*apdu_len), else the bError to answer:
 * VR_PIN_CANCELLED, VR_PIN_TIMEOUT, 0 is never returned for errors; a
 * malformed structure gives the offset of the bad byte in the message
 * (10 + index, as CCID reports bad fields), an unsupported bPINOperation
 * 10 (its own offset). The caller wipes apdu after use. */
int vr_pinpad_build(const struct vr_pinpad_user *user, const uint8_t *d,
		    size_t dlen, uint8_t *apdu, size_t cap, size_t *apdu_len);

#endif
