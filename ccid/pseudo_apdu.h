/* ccidkit — PC/SC Part 3 pseudo-APDUs (CLA = FF), routed by one table:
 * answered by the driver where it holds the answer, passed to the reader
 * where its firmware implements Part 3 (quirk table), otherwise refused
 * with Part 3 status words — never sent raw to a contact card. */
#ifndef CCID_PSEUDO_APDU_H
#define CCID_PSEUDO_APDU_H

#include <stddef.h>
#include <stdint.h>

#include "ccid/reader.h"

/* Drop-in replacement of ccid_slot_transmit for everything above the
 * driver (pcsc-api SCardTransmit, the CLI): APDUs with CLA != FF go to
 * ccid_slot_transmit unchanged; CLA FF ones are routed as above.  Driver
 * answers and refusals are ordinary responses (data + SW1 SW2, CCID_OK). */
int ccid_pseudo_transmit(struct ccid_reader *r, unsigned slot,
			 const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
			 size_t cap, size_t *resp_len, uint64_t deadline);

#endif
