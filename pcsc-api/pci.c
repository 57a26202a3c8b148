/* ccidkit — the three exported protocol control information objects.
 *
 * pcsc-lite exports them as 16-byte read-only data objects (symbol type R,
 * research/pcsc-abi.md §2): applications take their address through
 * SCARD_PCI_T0/T1/RAW, and a non-PIE program even copies them into its own
 * data at load time (copy relocation), so they must stay data objects of
 * exactly this size and contents.  cbPciLength is the size of the
 * structure itself, as measured on pcsc-lite 1.9.9. */
#include "config.h"

#include <pcsclite.h>

const SCARD_IO_REQUEST g_rgSCardT0Pci = {
	SCARD_PROTOCOL_T0, sizeof(SCARD_IO_REQUEST)
};
const SCARD_IO_REQUEST g_rgSCardT1Pci = {
	SCARD_PROTOCOL_T1, sizeof(SCARD_IO_REQUEST)
};
const SCARD_IO_REQUEST g_rgSCardRawPci = {
	SCARD_PROTOCOL_RAW, sizeof(SCARD_IO_REQUEST)
};
