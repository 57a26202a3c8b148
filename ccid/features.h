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
