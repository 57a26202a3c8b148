/* ccidkit — where the secrets are in a PC_to_RDR message (DESIGN.md:
 * PIN-carrying APDUs and PIN-pad blocks never reach a log or a trace
 * unless asked).  Stateless: it looks at one message. */
#ifndef CCID_SECRET_H
#define CCID_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccid/desc.h"

/* The offset from which the bytes of msg are secret, or 0 when it carries
 * none.  Secret: PC_to_RDR_Secure's abData after bPINOperation and the
 * first three bytes of its PIN structure (bTimeOut, bmFormatString,
 * bmPINBlockString: formats, not the PIN; offset 14); in a
 * PC_to_RDR_XfrBlock, the command data (after CLA INS P1 P2 and Lc, short
 * or extended) of VERIFY (INS 20/21), CHANGE REFERENCE DATA (24) and
 * RESET RETRY COUNTER (2C): at APDU levels only in the first chunk of a
 * chained APDU (wLevelParameter 0 or 1, CCID 1.1 §6.1.4: later chunks
 * cannot be told apart from other data, a limit: no PIN is that long), at
 * TPDU level after a T=0 header or in a T=1 I-block (after NAD PCB LEN
 * and the APDU header; the EDC is not secret, see ccid_secret_mask).
 * protocol: the slot's (0: T=0, 1: T=1), which decides how a TPDU-level
 * XfrBlock reads (a T=1 block's NAD PCB could pass for CLA INS); -1 when
 * unknown: a T=1 I-block is tried first, then a T=0 header. */
size_t ccid_secret_start(enum ccid_level level, int protocol,
			 const uint8_t *msg, size_t len);

/* Overwrite the secret bytes of msg (a copy the caller owns) with '*',
 * keeping it well formed: a T=1 block gets its EDC (LRC or CRC, whichever
 * the original carried) computed again over the masked bytes, so that a
 * decoder still sees the VERIFY and its length.  Returns true when
 * something was masked. */
bool ccid_secret_mask(enum ccid_level level, int protocol, uint8_t *msg,
		      size_t len);

#endif
