/* ccidkit — PC/SC Part 10 reader features, computed from what the reader
 * really supports (CCID descriptor + quirks), shared by SCardControl
 * (pcsc-api/control.c) and `ccidkit features`. */
#ifndef CCID_FEATURES_H
#define CCID_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "ccid/reader.h"

/* Part 10 feature tags (reader.h FEATURE_*), values verbatim. */
enum {
	CCID_FEATURE_VERIFY_PIN_DIRECT = 0x06,
	CCID_FEATURE_MODIFY_PIN_DIRECT = 0x07,
	CCID_FEATURE_IFD_PIN_PROPERTIES = 0x0A,
	CCID_FEATURE_GET_TLV_PROPERTIES = 0x12,
	CCID_FEATURE_CCID_ESC_COMMAND = 0x13,
};

struct ccid_feature {
	uint8_t tag;           /* FEATURE_* */
	uint32_t control_code; /* SCARD_CTL_CODE value to pass to SCardControl */
};

/* Control codes: libccid's values, SCARD_CTL_CODE(0x330000 + tag) for the
 * Part 10 features and SCARD_CTL_CODE(1) for the escape (ccid-spec.md §9),
 * so scripts that hard-code them keep working.  SCARD_CTL_CODE(c) is
 * 0x42000000 + c on pcsc-lite. */
#define CCID_IOCTL_FEATURE(tag) (0x42330000u + (uint32_t)(tag))
#define CCID_IOCTL_ESCAPE 0x42000001u

/* bPINSupport bits (CCID 1.1 §5.1) */
#define CCID_PIN_SUPPORT_VERIFY 0x01u
#define CCID_PIN_SUPPORT_MODIFY 0x02u

/* bPINOperation of PC_to_RDR_Secure (CCID 1.1 §6.1.11) */
#define CCID_PIN_OP_VERIFY 0
#define CCID_PIN_OP_MODIFY 1

/* Fixed parts of the Part 10 structures (pcsc-abi.md §4). */
#define CCID_PIN_VERIFY_HDR 19
#define CCID_PIN_MODIFY_HDR 24

/* The bPINSupport bits (CCID_PIN_SUPPORT_*) this reader's keypad really
 * has: the descriptor's, unless the quirk table says the keypad is not
 * to be used (CCID_QUIRK_NO_PINPAD). */
uint8_t ccid_features_pin_support(const struct ccid_reader *r);

/* The tag of the feature whose control code is `code`, when this reader
 * offers it (ccid_features_list); 0 when it does not. */
uint8_t ccid_features_tag_of(const struct ccid_reader *r, uint32_t code);

/* The features this reader supports, in the order GET_FEATURE_REQUEST
 * lists them; *n = count (at most cap written). */
int ccid_features_list(const struct ccid_reader *r, struct ccid_feature *out,
		       size_t cap, size_t *n);
/* Human-readable name of a feature tag ("FEATURE_VERIFY_PIN_DIRECT"). */
const char *ccid_feature_name(uint8_t tag);
/* FEATURE_GET_TLV_PROPERTIES answer (Part 10 §2.6.14, little-endian
 * values) into (out, cap). */
int ccid_features_tlv_properties(const struct ccid_reader *r, uint8_t *out,
				 size_t cap, size_t *len);
/* FEATURE_IFD_PIN_PROPERTIES answer (PIN_PROPERTIES_STRUCTURE, 4 bytes). */
int ccid_features_pin_properties(const struct ccid_reader *r, uint8_t *out,
				 size_t cap, size_t *len);

/* PC_to_RDR_Secure from a Part 10 PIN_VERIFY_STRUCTURE (op 0) or
 * PIN_MODIFY_STRUCTURE (op 1) as the application gave it to SCardControl
 * (ccid-spec.md §9): validates its lengths (CCID_E_INVAL), converts it to
 * the CCID abPINDataStructure, sends it with a PIN-entry deadline, and
 * returns the card's response (data + SW); bError PIN_CANCELLED /
 * PIN_TIMEOUT become SW 64 01 / 64 00 as libccid does.  Buffers that held
 * PIN material are wiped. */
int ccid_slot_secure(struct ccid_reader *r, unsigned slot, int op,
		     const uint8_t *pin_struct, size_t len, uint8_t *resp,
		     size_t cap, size_t *resp_len, uint64_t deadline);

#endif
