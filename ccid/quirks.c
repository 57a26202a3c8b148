/* ccidkit — the reader quirk table (quirks.h).
 *
 * One row per VID:PID and bcdDevice range (inclusive); several rows may
 * match one device and their flags add up.  bcdDevice is the firmware
 * version as the reader reports it (BCD: 2.06 is 0x0206).  Sources:
 * research/readers.md §3 (what libccid does for each reader) and the IDs in
 * libccid's readers/ folder for the contactless models.
 *
 * PART3_FIRMWARE rows: contactless readers whose firmware answers the
 * PC/SC Part 3 pseudo-APDUs (CLA = FF).  On dual devices (a contact or
 * SAM interface beside the contactless one, same VID:PID) the flag covers
 * every interface, which is what pcscd + libccid do too: they send CLA FF
 * to every reader unchanged. */
#include "config.h"

#include <stddef.h>

#include "ccid/quirks.h"

struct quirk_row {
	uint16_t vid, pid;
	uint16_t bcd_min, bcd_max;
	uint32_t flags;
};

#define ANY 0x0000u, 0xFFFFu
#define P3 CCID_QUIRK_PART3_FIRMWARE

static const struct quirk_row quirk_table[] = {
	/* ---- contactless readers: firmware speaks PC/SC Part 3 ---- */
	{ 0x072F, 0x2200, ANY, P3 | CCID_QUIRK_SLOW_OPEN }, /* ACS ACR122U PICC */
	{ 0x072F, 0x2200, 0x0000, 0x0205, CCID_QUIRK_BOGUS_FIRMWARE }, /* < 2.06 */
	{ 0x072F, 0x221A, ANY, P3 }, /* ACS ACR1251 Dual Reader */
	{ 0x072F, 0x223B, ANY, P3 }, /* ACS ACR1252 Dual Reader */
	{ 0x072F, 0x223E, ANY, P3 }, /* ACS ACR1252 Reader */
	{ 0x072F, 0x2259, ANY, P3 }, /* ACS ACR1252IMP Reader */
	{ 0x072F, 0x223F, ANY, P3 }, /* ACS ACR1255U-J1 */
	{ 0x072F, 0x2224, ANY, P3 }, /* ACS ACR1281U */
	{ 0x072F, 0x2303, ANY, P3 }, /* ACS ACR1552U */
	{ 0x072F, 0x2308, ANY, P3 }, /* ACS ACR1552 */
	{ 0x072F, 0x2301, ANY, P3 }, /* ACS ACR1581 */
	{ 0x076B, 0x5022, ANY, P3 }, /* HID OMNIKEY 5022 CL */
	{ 0x076B, 0x5023, ANY, P3 }, /* HID OMNIKEY 5023 CL */
	{ 0x076B, 0x502A, ANY, P3 }, /* HID OMNIKEY 5025-CL */
	{ 0x076B, 0x5340, ANY, P3 }, /* HID OMNIKEY 5021 CL */
	{ 0x076B, 0x532A, ANY, P3 }, /* OMNIKEY 5321 CLi USB */
	{ 0x076B, 0x5422, ANY, P3 }, /* HID OMNIKEY 5422 (contact + CL) */
	{ 0x076B, 0x5427, ANY, P3 | CCID_QUIRK_ESCAPE_ALLOWED }, /* 5427 CK */
	{ 0x04E6, 0x5291, ANY, P3 }, /* SCM SCL010 */
	{ 0x04E6, 0x5291, 0x0000, 0x0111, CCID_QUIRK_BOGUS_FIRMWARE }, /* < 1.12 */
	{ 0x04E6, 0x5292, ANY, P3 }, /* SCM SCL01x */
	{ 0x04E6, 0x5293, ANY, P3 | CCID_QUIRK_SLOW_OPEN }, /* SCM SCL011 */
	{ 0x04E6, 0x5790, ANY, P3 | CCID_QUIRK_SLOW_OPEN }, /* uTrust 3700 F */
	{ 0x04E6, 0x5791, ANY, P3 | CCID_QUIRK_SLOW_OPEN }, /* uTrust 3701 F */
	{ 0x04E6, 0x5724, ANY, P3 | CCID_QUIRK_SLOW_OPEN }, /* uTrust 4701 F */
	{ 0x04E6, 0x5725, ANY, P3 }, /* uTrust 4711 F CL + SAM */
	{ 0x04E6, 0x5612, ANY, P3 }, /* uTrust 3720 */
	{ 0x04E6, 0x5613, ANY, P3 }, /* uTrust 3721 */
	{ 0x04E6, 0x5720, ANY, P3 }, /* Identive CLOUD 4500 F / 4700 F */
	{ 0x04E6, 0x5721, ANY, P3 }, /* Identive CLOUD 4510 F / 4710 F */
	{ CCID_VREADER_CTLS_VID, CCID_VREADER_CTLS_PID, ANY, P3 },
	/* ccidkit vreader, contactless model */

	/* ---- other quirks, documented for the layers that need them ---- */
	{ 0x09D8, 0x0427, ANY, CCID_QUIRK_SLOW_OPEN }, /* Elatec TWN4 */
	{ 0x09D8, 0x0428, ANY, CCID_QUIRK_SLOW_OPEN }, /* Elatec TWN4 */
	{ 0x03F0, 0x1024, ANY, CCID_QUIRK_NO_PINPAD }, /* HP keyboard */
	{ 0x03F0, 0x0036, ANY, CCID_QUIRK_NO_PINPAD }, /* HP keyboard */
	{ 0x03F0, 0x0036, 0x0000, 0x0123, CCID_QUIRK_BOGUS_FIRMWARE },
	{ 0x0BF8, 0x1017, ANY, CCID_QUIRK_NO_PINPAD }, /* Fujitsu SmartCase KB */
	{ 0x04F2, 0x1469, ANY, CCID_QUIRK_NO_PINPAD }, /* Chicony HP Skylab */
	{ 0x0783, 0x0006, ANY, CCID_QUIRK_NO_PINPAD }, /* C3PO LTC31 v2 */
	{ 0x076B, 0x3031, ANY, CCID_QUIRK_NO_PINPAD | CCID_QUIRK_FORCE_EXTENDED },
	/* OMNIKEY 3x21 */
	{ 0x076B, 0x3A21, ANY, CCID_QUIRK_NO_PINPAD | CCID_QUIRK_FORCE_EXTENDED },
	/* HID Aviator */
	{ 0x076B, 0x6632, ANY, CCID_QUIRK_NO_PINPAD | CCID_QUIRK_FORCE_EXTENDED },
	/* OMNIKEY 6121 */
	{ 0x046A, 0x00A7, ANY, CCID_QUIRK_NO_PINPAD | CCID_QUIRK_FORCE_EXTENDED },
	/* Cherry XX44 */
	{ 0x0BF8, 0x1024, ANY, CCID_QUIRK_NO_PINPAD | CCID_QUIRK_FORCE_EXTENDED },
	/* Fujitsu D323 */
	{ 0x25DD, 0x3111, 0x0111, 0x0111, CCID_QUIRK_NO_PINPAD }, /* bit4id fw 1.11 */
	{ 0x2F7C, 0x6007, ANY, CCID_QUIRK_FORCE_EXTENDED }, /* Diebold PN7362AU */
	{ 0x046A, 0x00A1, 0x0100, 0x0100, CCID_QUIRK_FORCE_EXTENDED },
	/* Cherry KC 1000 SC firmware 1.00 */
	{ 0x0D46, 0x3010, ANY, CCID_QUIRK_FORCE_SHORT }, /* Kobil TriBank */
	{ 0x0529, 0x0620, 0x0012, 0x0013, CCID_QUIRK_NO_IFSD_REQUEST },
	/* SafeNet eToken 5100 firmware 0.12, 0.13 */
	{ 0x08E6, 0x3437, 0x0200, 0x0200, CCID_QUIRK_ZLP }, /* GemPC Twin */
	{ 0x08E6, 0x3438, 0x0200, 0x0200, CCID_QUIRK_ZLP }, /* GemPC Key */
	{ 0x413C, 0x2101, 0x0200, 0x0200, CCID_QUIRK_ZLP }, /* Dell SCRK */
	{ 0x0783, 0x0003, ANY, CCID_QUIRK_NO_AUTOSUSPEND }, /* C3PO LTC31 v1 */
	{ 0x058F, 0x9520, ANY, CCID_QUIRK_NO_AUTOSUSPEND }, /* Alcor AU9520 */
	{ 0x058F, 0x9520, 0x0000, 0x0101, CCID_QUIRK_BOGUS_FIRMWARE },
	{ 0x04E6, 0xE001, 0x0000, 0x0515, CCID_QUIRK_BOGUS_FIRMWARE }, /* SCR331 */
	{ 0x04E6, 0x5111, 0x0000, 0x0619, CCID_QUIRK_BOGUS_FIRMWARE }, /* SCR331-DI */
	{ 0x04E6, 0xE003, 0x0000, 0x0509, CCID_QUIRK_BOGUS_FIRMWARE }, /* SPR532 */
	{ 0x0DC3, 0x1004, 0x0000, 0x0501, CCID_QUIRK_BOGUS_FIRMWARE }, /* ASE IIIe */
};

uint32_t ccid_quirks_lookup(uint16_t vid, uint16_t pid, uint16_t bcd)
{
	uint32_t flags = 0;

	for (size_t i = 0; i < sizeof(quirk_table) / sizeof(quirk_table[0]);
	     i++) {
		const struct quirk_row *q = &quirk_table[i];

		if (q->vid == vid && q->pid == pid && bcd >= q->bcd_min &&
		    bcd <= q->bcd_max)
			flags |= q->flags;
	}
	return flags;
}

const char *ccid_quirk_name(uint32_t flag)
{
	static const char *const names[] = {
		"PART3_FIRMWARE", "SLOW_OPEN", "NO_PINPAD", "FORCE_EXTENDED",
		"FORCE_SHORT", "NO_IFSD_REQUEST", "ESCAPE_ALLOWED",
		"BOGUS_FIRMWARE", "NO_AUTOSUSPEND", "ZLP",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flag == (1u << i))
			return names[i];
	return NULL;
}
