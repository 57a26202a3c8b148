/* ccidkit — PC/SC Part 3 pseudo-APDUs (CLA = FF), pseudo_apdu.h.
 *
 * Why CLA FF must never reach a contact card raw: ISO 7816-4 §5.4.1 makes
 * CLA FF invalid, and at TPDU level a T=0 header starting with FF is what
 * a card reads as PPSS, the start of a PPS request (ISO 7816-3 §9.2).  The
 * pseudo-APDUs are addressed to the reader, not to the card.
 *
 * Routing (one decision for the whole class, then one table row per INS):
 *
 *  reader                                   | CLA FF APDU goes ...
 *  -----------------------------------------+-----------------------------
 *  quirk CCID_QUIRK_PART3_FIRMWARE          | to the reader unchanged
 *  card ATR = Part 3 storage-card form      | to the reader unchanged (only
 *   (RID A0 00 00 03 06, ctls.h)            |  Part 3 firmware makes it)
 *  anything else (contact reader)           | answered by the driver, below
 *
 *  On a contact reader (nothing on the wire for any of these):
 *  INS | command                  | answer                  | why
 *  ----+--------------------------+-------------------------+---------------
 *  CA  | GET DATA P1=01 (hist.)   | ATR historical bytes    | the driver holds
 *      |                          | 90 00 / 6C xx / 62 82   | the ATR
 *  CA  | GET DATA P1=00 (UID)     | 6A 81                   | a contact card
 *      |                          |                         | has no UID
 *  CA  | GET DATA other P1/P2     | 6A 81                   | not defined
 *  82  | LOAD KEYS                | 6A 81                   | keys live in the
 *  86  | GENERAL AUTHENTICATE     | 6A 81                   | reader's RF
 *  88  | AUTHENTICATE (legacy)    | 6A 81                   | front end; memory
 *  20  | VERIFY (storage card)    | 6A 81                   | cards are read
 *  B0  | READ BINARY              | 6A 81                   | through it:
 *  D6  | UPDATE BINARY            | 6A 81                   | nothing to do
 *  C2  | MANAGE SESSION / TRANSP. | 6A 81                   | without Part 3
 *      | EXCHANGE / SWITCH PROTO. |                         | firmware
 *  other INS                      | 6D 00 (INS not supported)
 *  malformed (ISO 7816-4 §5.1) or GET DATA without Le  | 67 00
 *  (except the legacy AUTHENTICATE FF 88 00 BB KT KN, whose layout is not
 *  an ISO 7816-4 one: 6A 81 whatever its length beyond the header)
 *
 * Status words per PC/SC Part 3 as ccid-spec.md §7 lists them.  CA 82 86
 * 88 B0 D6 are the commands of ccid-spec.md §7; 20 and C2 are the other
 * Part 3 commands (v2.02) as far as we know them (not in the research
 * notes).  A Part 3 reader gets every CLA FF APDU, known INS or not:
 * vendors extend the class (ACS FF 00 direct transmit, ...). */
#include "config.h"

#include <string.h>

#include "ccid/apdu.h"
#include "ccid/atr.h"
#include "ccid/ctls.h"
#include "ccid/err.h"
#include "ccid/log.h"
#include "ccid/pseudo_apdu.h"
#include "ccid/quirks.h"
#include "ccid/slot.h"

#define PSEUDO_CLA 0xFF
/* The longest answer the driver makes: 15 historical bytes + SW. */
#define PSEUDO_RESP_MAX (CCID_CTLS_HIST_MAX + 2)

struct pseudo_resp {
	uint8_t buf[PSEUDO_RESP_MAX];
	size_t len;
};

static void resp_sw(struct pseudo_resp *o, uint8_t sw1, uint8_t sw2)
{
	o->buf[o->len++] = sw1;
	o->buf[o->len++] = sw2;
}

/* GET DATA (FF CA P1 00 Le), PC/SC Part 3: P1 00 the UID, P1 01 the
 * historical bytes.  Le 00 asks for everything; a shorter Le gets 6C xx
 * (xx = the exact length), a longer one the data and 62 82 (end of data
 * before Le bytes). */
static void pseudo_get_data(const struct ccid_apdu *a,
			    const struct ccid_slot_state *s,
			    struct pseudo_resp *o)
{
	struct ccid_atr atr;
	size_t n;

	if (a->apdu_case != 2) {
		resp_sw(o, 0x67, 0x00); /* Le is mandatory, no data allowed */
		return;
	}
	if (a->p1 != 0x01 || a->p2 != 0x00 ||
	    ccid_atr_parse(s->atr, s->atr_len, &atr) != CCID_OK) {
		/* P1 00: a contact card has no UID; others are undefined */
		resp_sw(o, 0x6A, 0x81);
		return;
	}
	n = atr.nhist;
	if (a->ne == 256 || a->ne == 65536 || a->ne == n) {
		memcpy(o->buf, atr.hist, n);
		o->len = n;
		resp_sw(o, 0x90, 0x00);
	} else if (a->ne < n) {
		resp_sw(o, 0x6C, (uint8_t)n);
	} else {
		memcpy(o->buf, atr.hist, n);
		o->len = n;
		resp_sw(o, 0x62, 0x82);
	}
}

/* Commands that only Part 3 reader firmware can carry out. */
static void pseudo_needs_reader(const struct ccid_apdu *a,
				const struct ccid_slot_state *s,
				struct pseudo_resp *o)
{
	(void)a;
	(void)s;
	resp_sw(o, 0x6A, 0x81);
}

struct pseudo_cmd {
	uint8_t ins;
	bool any_layout; /* not an ISO 7816-4 APDU: no length check */
	const char *name;
	void (*answer)(const struct ccid_apdu *a,
		       const struct ccid_slot_state *s, struct pseudo_resp *o);
};

static const struct pseudo_cmd pseudo_table[] = {
	{ 0xCA, false, "GET DATA", pseudo_get_data },
	{ 0x82, false, "LOAD KEYS", pseudo_needs_reader },
	{ 0x86, false, "GENERAL AUTHENTICATE", pseudo_needs_reader },
	/* legacy FF 88 00 BB KT KN: KT sits where Lc would be */
	{ 0x88, true, "AUTHENTICATE", pseudo_needs_reader },
	{ 0x20, false, "VERIFY", pseudo_needs_reader },
	{ 0xB0, false, "READ BINARY", pseudo_needs_reader },
	{ 0xD6, false, "UPDATE BINARY", pseudo_needs_reader },
	{ 0xC2, false, "MANAGE SESSION", pseudo_needs_reader },
};

static const struct pseudo_cmd *pseudo_find(uint8_t ins)
{
	for (size_t i = 0; i < sizeof(pseudo_table) / sizeof(pseudo_table[0]);
	     i++)
		if (pseudo_table[i].ins == ins)
			return &pseudo_table[i];
	return NULL;
}

/* Does this reader's firmware take CLA FF itself? */
static bool pseudo_reader_part3(const struct ccid_reader *r,
				const struct ccid_slot_state *s)
{
	const struct ccid_usb_info *u = &r->tp->info;
	struct ccid_ctls_info ci;

	if (ccid_quirks_lookup(u->idVendor, u->idProduct, u->bcdDevice) &
	    CCID_QUIRK_PART3_FIRMWARE)
		return true;
	/* an unlisted contactless reader still shows itself by the ATR it
	 * made up for a storage card */
	return s != NULL && s->atr_len > 0 &&
	       ccid_ctls_decode(s->atr, s->atr_len, &ci) == CCID_OK &&
	       ci.kind == CCID_CTLS_STORAGE;
}

/* The driver's own answer into o; CCID_OK, or why there is none. */
static int pseudo_answer(const struct ccid_slot_state *s, const uint8_t *apdu,
			 size_t apdu_len, struct pseudo_resp *o)
{
	const struct pseudo_cmd *c;
	struct ccid_apdu a;

	if (!s->present)
		return CCID_E_NO_CARD;
	if (!s->powered)
		return CCID_E_UNPOWERED;
	o->len = 0;
	memset(&a, 0, sizeof(a));
	c = apdu_len >= 2 ? pseudo_find(apdu[1]) : NULL;
	if (ccid_apdu_parse(apdu, apdu_len, &a) != CCID_OK &&
	    (c == NULL || !c->any_layout || apdu_len < 4)) {
		resp_sw(o, 0x67, 0x00);
		return CCID_OK;
	}
	if (c == NULL) {
		resp_sw(o, 0x6D, 0x00);
		return CCID_OK;
	}
	c->answer(&a, s, o);
	ccid_log_dbg("FF %02X (%s) answered by the driver: SW %02X %02X",
		     c->ins, c->name, o->buf[o->len - 2], o->buf[o->len - 1]);
	return CCID_OK;
}

int ccid_pseudo_transmit(struct ccid_reader *r, unsigned slot,
			 const uint8_t *apdu, size_t apdu_len, uint8_t *resp,
			 size_t cap, size_t *resp_len, uint64_t deadline)
{
	struct ccid_slot_state s;
	struct pseudo_resp o;
	int err;

	if (r == NULL || apdu == NULL || apdu_len == 0 || resp_len == NULL ||
	    (resp == NULL && cap > 0))
		return CCID_E_INVAL;
	if (apdu[0] != PSEUDO_CLA || pseudo_reader_part3(r, NULL))
		return ccid_slot_transmit(r, slot, apdu, apdu_len, resp, cap,
					  resp_len, deadline);
	*resp_len = 0;
	err = ccid_reader_slot_state(r, slot, &s, NULL);
	if (err != CCID_OK)
		return err;
	if (pseudo_reader_part3(r, &s))
		return ccid_slot_transmit(r, slot, apdu, apdu_len, resp, cap,
					  resp_len, deadline);
	err = pseudo_answer(&s, apdu, apdu_len, &o);
	if (err != CCID_OK)
		return err;
	/* as ccid_slot_transmit: the full length even when it does not fit */
	*resp_len = o.len;
	if (o.len > cap) {
		if (cap > 0)
			memcpy(resp, o.buf, cap);
		return CCID_E_OVERFLOW;
	}
	memcpy(resp, o.buf, o.len);
	return CCID_OK;
}
