/* ccidkit — the layered decoder of CCID traffic (decode.h).
 *
 * Layers, outermost first: the CCID bulk message (CCID 1.1 §6.1, §6.2),
 * then by exchange level either a T=1 block (ISO/IEC 7816-3 §11) or a T=0
 * TPDU (§10) at TPDU level, or an APDU possibly chained over several
 * messages (CCID 1.1 §6.1.4 wLevelParameter, §6.2.1 bChainParameter) at
 * APDU level, and last the APDU itself (ISO/IEC 7816-4 §5.1).  State is
 * kept per slot (protocol, reassembly) and per bSeq (the command that a
 * reply answers).  Hostile input is described, never trusted: every
 * length is checked before reading, and a malformed message resets the
 * slot's state.  Nothing here does I/O; the text goes to a ccid_text. */
#include "config.h"
#include "ccid/decode.h"

#include "ccid/apdu.h"
#include "ccid/atr.h"
#include "ccid/desc.h"
#include "ccid/err.h"
#include "ccid/msg.h"
#include "ccid/sw.h"
#include "ccid/t1.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HEX_MAX 64        /* decode.h: longer data is cut */
/* The longest extended command APDU: CLA INS P1 P2, 00 Lc Lc, 65535
 * bytes, Le Le (ISO 7816-4 §5.1); anything longer is not an APDU. */
#define CHAIN_MAX 65544u
#define NOTIFY_MAX_SLOTS CCID_MAX_SLOTS

/* How the payload of an XfrBlock (and of its DataBlock) is read. */
enum layer {
	LAYER_DATA,   /* character level, or no slot state: raw bytes */
	LAYER_T1,     /* TPDU level, T=1 blocks */
	LAYER_T0,     /* TPDU level, T=0 TPDU and procedure bytes */
	LAYER_APDU,   /* short or extended APDU level */
};

/* One message being reassembled from parts. */
struct chain {
	uint8_t *buf;
	size_t len, cap;
	unsigned parts;
	size_t last_len; /* T=1: INF length of the last I-block */
	int last_ns;     /* T=1: N(S) of the last I-block, -1 none */
	bool done;       /* whole; kept until the next part for a resend */
};

struct dec_slot {
	int proto;   /* 0 or 1; -1 unknown */
	bool crc;    /* T=1 EDC is CRC (ATR TC3 bit 0, bmTCCKST1 bit 0) */
	struct chain t1_cmd, t1_resp;   /* I-block chains, ISO 7816-3 §11.6.2 */
	struct chain ext_cmd, ext_resp; /* CCID 1.1 §6.1.4 / §6.2.1 */
	bool t0_valid;                  /* a T=0 header awaits its reply */
	bool t0_case2;                  /* it carried no data: P3 is Le */
	uint8_t t0_hdr[5];
};

/* The command a bSeq is waiting for (CCID 1.1 §6: the reply echoes
 * bSlot and bSeq). */
struct pending {
	bool valid;
	uint8_t type, slot;
	enum layer layer;
};

struct ccid_decoder {
	struct ccid_decode_opts opts;
	bool have_desc;
	struct ccid_desc desc;
	bool learnt_tpdu; /* no descriptor: a T=1 block was seen */
	struct dec_slot slot[CCID_MAX_SLOTS];
	struct pending pend[256];
};

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* "    LABEL HEX\n" */
static void hex_line(struct ccid_text *t, const char *label,
		     const uint8_t *p, size_t n)
{
	ccid_text_printf(t, "    %s ", label);
	ccid_text_hex(t, p, n, HEX_MAX);
	ccid_text_printf(t, "\n");
}

/* "    WHAT malformed (N bytes): HEX\n" */
static void malformed_line(struct ccid_text *t, const char *what,
			   const uint8_t *p, size_t n)
{
	ccid_text_printf(t, "    %s malformed (%zu bytes)", what, n);
	if (n > 0) {
		ccid_text_printf(t, ": ");
		ccid_text_hex(t, p, n, HEX_MAX);
	}
	ccid_text_printf(t, "\n");
}

static void chain_reset(struct chain *c)
{
	c->len = 0;
	c->parts = 0;
	c->last_len = 0;
	c->last_ns = -1;
	c->done = false;
}

/* Append a part; false (and the chain dropped) when it would exceed
 * CHAIN_MAX or memory runs out. */
static bool chain_add(struct chain *c, const uint8_t *p, size_t n,
		      struct ccid_text *t)
{
	if (n > CHAIN_MAX - c->len) {
		ccid_text_printf(t, "    (chain too long: %zu bytes, dropped)\n",
				 c->len + n);
		chain_reset(c);
		return false;
	}
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 256;
		uint8_t *b;

		while (cap < c->len + n)
			cap *= 2;
		b = realloc(c->buf, cap);
		if (b == NULL) {
			ccid_text_printf(t, "    (out of memory, chain dropped)\n");
			chain_reset(c);
			return false;
		}
		c->buf = b;
		c->cap = cap;
	}
	if (n > 0)
		memcpy(c->buf + c->len, p, n);
	c->len += n;
	c->parts++;
	c->last_len = n;
	return true;
}

static void chained_line(struct ccid_text *t, const struct chain *c)
{
	ccid_text_printf(t, "    (chained: part %u, %zu bytes so far)\n",
			 c->parts, c->len);
}

/* Forget the exchanges in progress; keep_proto false: also the protocol
 * (a new card, a power cycle, malformed traffic). */
static void slot_reset(struct dec_slot *s, bool keep_proto)
{
	chain_reset(&s->t1_cmd);
	chain_reset(&s->t1_resp);
	chain_reset(&s->ext_cmd);
	chain_reset(&s->ext_resp);
	s->t0_valid = false;
	if (!keep_proto) {
		s->proto = -1;
		s->crc = false;
	}
}

static struct dec_slot *slot_of(struct ccid_decoder *d, uint8_t bSlot)
{
	return bSlot < CCID_MAX_SLOTS ? &d->slot[bSlot] : NULL;
}

/* ------------------------------------------------------------------ */
/* APDU layer (ISO/IEC 7816-4)                                        */

struct ins_name {
	uint8_t ins;
	const char *name;
};

/* ISO/IEC 7816-4 §5.4 / §7..§11 interindustry instructions. */
static const struct ins_name iso_ins[] = {
	{ 0x04, "DEACTIVATE FILE" },
	{ 0x0C, "ERASE RECORD" },
	{ 0x0E, "ERASE BINARY" },
	{ 0x0F, "ERASE BINARY" },
	{ 0x20, "VERIFY" },
	{ 0x21, "VERIFY" },
	{ 0x22, "MANAGE SECURITY ENVIRONMENT" },
	{ 0x24, "CHANGE REFERENCE DATA" },
	{ 0x26, "DISABLE VERIFICATION REQUIREMENT" },
	{ 0x28, "ENABLE VERIFICATION REQUIREMENT" },
	{ 0x2A, "PERFORM SECURITY OPERATION" },
	{ 0x2C, "RESET RETRY COUNTER" },
	{ 0x44, "ACTIVATE FILE" },
	{ 0x46, "GENERATE ASYMMETRIC KEY PAIR" },
	{ 0x47, "GENERATE ASYMMETRIC KEY PAIR" },
	{ 0x70, "MANAGE CHANNEL" },
	{ 0x82, "EXTERNAL AUTHENTICATE" },
	{ 0x84, "GET CHALLENGE" },
	{ 0x86, "GENERAL AUTHENTICATE" },
	{ 0x87, "GENERAL AUTHENTICATE" },
	{ 0x88, "INTERNAL AUTHENTICATE" },
	{ 0xA0, "SEARCH BINARY" },
	{ 0xA1, "SEARCH BINARY" },
	{ 0xA2, "SEARCH RECORD" },
	{ 0xA4, "SELECT" },
	{ 0xB0, "READ BINARY" },
	{ 0xB1, "READ BINARY" },
	{ 0xB2, "READ RECORD" },
	{ 0xB3, "READ RECORD" },
	{ 0xC0, "GET RESPONSE" },
	{ 0xC2, "ENVELOPE" },
	{ 0xC3, "ENVELOPE" },
	{ 0xCA, "GET DATA" },
	{ 0xCB, "GET DATA" },
	{ 0xD0, "WRITE BINARY" },
	{ 0xD1, "WRITE BINARY" },
	{ 0xD2, "WRITE RECORD" },
	{ 0xD6, "UPDATE BINARY" },
	{ 0xD7, "UPDATE BINARY" },
	{ 0xDA, "PUT DATA" },
	{ 0xDB, "PUT DATA" },
	{ 0xDC, "UPDATE RECORD" },
	{ 0xDD, "UPDATE RECORD" },
	{ 0xE0, "CREATE FILE" },
	{ 0xE2, "APPEND RECORD" },
	{ 0xE4, "DELETE FILE" },
	{ 0xE6, "TERMINATE DF" },
	{ 0xE8, "TERMINATE CARD USAGE" },
};

/* PC/SC Part 3 pseudo-APDUs, CLA FF (ccid-spec.md §7, pseudo_apdu.c). */
static const struct ins_name pcsc_ins[] = {
	{ 0x20, "VERIFY" },
	{ 0x82, "LOAD KEYS" },
	{ 0x86, "GENERAL AUTHENTICATE" },
	{ 0x88, "AUTHENTICATE" },
	{ 0xB0, "READ BINARY" },
	{ 0xD6, "UPDATE BINARY" },
};

static const char *ins_lookup(const struct ins_name *tab, size_t n,
			      uint8_t ins)
{
	for (size_t i = 0; i < n; i++)
		if (tab[i].ins == ins)
			return tab[i].name;
	return NULL;
}

static const char *apdu_name(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	if (cla != 0xFF)
		return ins_lookup(iso_ins, sizeof(iso_ins) / sizeof(iso_ins[0]),
				  ins);
	/* PC/SC Part 3: GET DATA P1 00 the UID, P1 01 the ATS historical
	 * bytes; C2 P2 00/01/02 MANAGE SESSION / TRANSPARENT EXCHANGE /
	 * SWITCH PROTOCOL */
	if (ins == 0xCA)
		return p1 == 0x00 ? "GET DATA UID" :
		       p1 == 0x01 ? "GET DATA ATS" : "GET DATA";
	if (ins == 0xC2)
		return p2 == 0x01 ? "TRANSPARENT EXCHANGE" :
		       p2 == 0x02 ? "SWITCH PROTOCOL" : "MANAGE SESSION";
	return ins_lookup(pcsc_ins, sizeof(pcsc_ins) / sizeof(pcsc_ins[0]),
			  ins);
}

/* Commands whose data is a PIN or a key to protect (VERIFY, CHANGE
 * REFERENCE DATA, RESET RETRY COUNTER; PC/SC Part 3 LOAD KEYS too). */
static bool apdu_secret(uint8_t cla, uint8_t ins)
{
	if (cla == 0xFF && ins == 0x82)
		return true;
	return ins == 0x20 || ins == 0x21 || ins == 0x24 || ins == 0x2C;
}

static void masked_line(struct ccid_text *t, size_t n)
{
	ccid_text_printf(t, "    masked: %zu bytes (PIN)\n", n);
}

/* "    APDU > CLA .. INS .. P1 .. P2 .. [Lc N] [Le N] [(NAME)]" + data */
static void apdu_cmd(const struct ccid_decoder *d, const uint8_t *p,
		     size_t n, struct ccid_text *t)
{
	struct ccid_apdu a;
	const char *name;
	bool secret = n >= 2 && apdu_secret(p[0], p[1]) &&
		      !d->opts.show_secrets;

	if (ccid_apdu_parse(p, n, &a) != CCID_OK) {
		if (secret) {
			ccid_text_printf(t, "    APDU > malformed (%zu bytes)\n", n);
			masked_line(t, n);
		} else {
			malformed_line(t, "APDU >", p, n);
		}
		return;
	}
	ccid_text_printf(t, "    APDU > CLA %02X INS %02X P1 %02X P2 %02X",
			 a.cla, a.ins, a.p1, a.p2);
	if (a.nc > 0)
		ccid_text_printf(t, " Lc %zu", a.nc);
	if (a.ne > 0)
		ccid_text_printf(t, " Le %zu", a.ne);
	name = apdu_name(a.cla, a.ins, a.p1, a.p2);
	if (name != NULL)
		ccid_text_printf(t, " (%s)", name);
	ccid_text_printf(t, "\n");
	if (a.nc == 0 || a.data == NULL)
		return;
	if (secret)
		masked_line(t, a.nc);
	else
		hex_line(t, "APDU data", a.data, a.nc);
}

/* "    APDU < SW 90 00 (success)" + the response data. */
static void apdu_resp(const uint8_t *p, size_t n, struct ccid_text *t)
{
	char why[96];

	if (n < 2) {
		malformed_line(t, "APDU <", p, n);
		return;
	}
	ccid_text_printf(t, "    APDU < SW %02X %02X (%s)\n", p[n - 2],
			 p[n - 1],
			 ccid_sw_describe(p[n - 2], p[n - 1], why, sizeof(why)));
	if (n > 2)
		hex_line(t, "APDU data", p, n - 2);
}

/* ------------------------------------------------------------------ */
/* T=1 blocks (ISO/IEC 7816-3 §11.3)                                  */

/* Is this a whole T=1 block whose EDC checks?  (Level learning.) */
static bool t1_checks(const uint8_t *p, size_t n, bool crc)
{
	size_t edc = crc ? 2 : 1;

	if (n < 3 + edc || p[2] == 0xFF || n != 3u + p[2] + edc)
		return false;
	if (crc) {
		uint16_t c = ccid_t1_crc(p, n - 2);

		return p[n - 2] == (uint8_t)(c >> 8) && p[n - 1] == (uint8_t)c;
	}
	return ccid_t1_lrc(p, n - 1) == p[n - 1];
}

static const char *t1_s_name(uint8_t type)
{
	switch (type) {
	case CCID_T1_S_RESYNCH: return "RESYNCH";
	case CCID_T1_S_IFS: return "IFS";
	case CCID_T1_S_ABORT: return "ABORT";
	case CCID_T1_S_WTX: return "WTX";
	case 0x04: return "VPP error";
	default: return NULL;
	}
}

/* The block's kind from PCB (§11.3.2.2): "I(0) M=1", "R(1) EDC error",
 * "S(WTX request) 03". */
static void t1_kind(const uint8_t *p, size_t inf_len, struct ccid_text *t)
{
	uint8_t pcb = p[1];

	if (!(pcb & 0x80)) {
		ccid_text_printf(t, "I(%u) M=%u", (pcb >> 6) & 1u,
				 (pcb >> 5) & 1u);
	} else if ((pcb & 0xC0) == CCID_T1_R_BLOCK) {
		static const char *const err[] = { "", " EDC error",
						   " other error" };
		unsigned e = pcb & 0x0Fu;

		ccid_text_printf(t, "R(%u)", (pcb >> 4) & 1u);
		if (e < 3)
			ccid_text_printf(t, "%s", err[e]);
		else
			ccid_text_printf(t, " error 0x%X", e);
	} else {
		const char *s = t1_s_name(pcb & 0x1F);
		const char *dir = pcb & CCID_T1_S_RESPONSE ? "response" :
							   "request";

		if (s != NULL)
			ccid_text_printf(t, "S(%s %s)", s, dir);
		else
			ccid_text_printf(t, "S(0x%02X %s)", pcb & 0x1Fu, dir);
		if (inf_len > 0) {
			ccid_text_printf(t, " ");
			ccid_text_hex(t, p + 3, inf_len, HEX_MAX);
		}
	}
}

/* " LRC 0x92 ok" / " CRC 0x1234 bad CRC (0x5678 expected)"; returns
 * whether it checks. */
static bool t1_edc(const uint8_t *p, size_t n, bool crc, struct ccid_text *t)
{
	if (crc) {
		uint16_t want = ccid_t1_crc(p, n - 2);
		uint16_t got = (uint16_t)(p[n - 2] << 8 | p[n - 1]);

		if (got == want) {
			ccid_text_printf(t, " CRC 0x%04X ok\n", got);
			return true;
		}
		ccid_text_printf(t, " CRC 0x%04X bad CRC (0x%04X expected)\n",
				 got, want);
		return false;
	}
	if (ccid_t1_lrc(p, n - 1) == p[n - 1]) {
		ccid_text_printf(t, " LRC 0x%02X ok\n", p[n - 1]);
		return true;
	}
	ccid_text_printf(t, " LRC 0x%02X bad LRC (0x%02X expected)\n",
			 p[n - 1], ccid_t1_lrc(p, n - 1));
	return false;
}

/* An I-block's INF joins its chain (§11.6.2); the same N(S) twice in a
 * row from one side is a retransmission (§11.6.3) and replaces the last
 * part.  M=0 ends the chain: the APDU or response is whole. */
static void t1_iblock(const struct ccid_decoder *d, struct chain *c,
		      bool host, const uint8_t *p, struct ccid_text *t)
{
	int ns = (p[1] >> 6) & 1;
	bool more = (p[1] & CCID_T1_I_MORE) != 0;

	if (c->last_ns == ns) {
		c->len -= c->last_len < c->len ? c->last_len : c->len;
		if (c->parts > 0)
			c->parts--;
		c->done = false;
	} else if (c->done) {
		chain_reset(c);
	}
	if (!chain_add(c, p + 3, p[2], t))
		return;
	c->last_ns = ns;
	if (more) {
		chained_line(t, c);
		return;
	}
	c->done = true;
	if (host)
		apdu_cmd(d, c->buf, c->len, t);
	else
		apdu_resp(c->buf, c->len, t);
}

/* One T=1 block, host (PC_to_RDR) or card side. */
static void t1_block(const struct ccid_decoder *d, struct dec_slot *s,
		     bool host, const uint8_t *p, size_t n,
		     struct ccid_text *t)
{
	size_t edc = s->crc ? 2 : 1;
	uint8_t pcb;

	if (n < 3 + edc || p[2] == 0xFF || n != 3u + p[2] + edc) {
		ccid_text_printf(t, "    T=1 block malformed (%zu bytes", n);
		if (n >= 3)
			ccid_text_printf(t, ", LEN %u", p[2]);
		ccid_text_printf(t, "): ");
		ccid_text_hex(t, p, n, HEX_MAX);
		ccid_text_printf(t, "\n");
		slot_reset(s, true);
		return;
	}
	pcb = p[1];
	ccid_text_printf(t, "    T=1 ");
	t1_kind(p, p[2], t);
	if (p[0] != 0)
		ccid_text_printf(t, " NAD 0x%02X", p[0]);
	ccid_text_printf(t, " LEN %u", p[2]);
	if (!t1_edc(p, n, s->crc, t))
		return; /* the receiver asks again with an R-block */
	if (!(pcb & 0x80)) {
		t1_iblock(d, host ? &s->t1_cmd : &s->t1_resp, host, p, t);
	} else if ((pcb & 0xC0) == CCID_T1_S_BLOCK &&
		   (pcb & CCID_T1_S_RESPONSE)) {
		/* RESYNCH restarts the sequence numbers, ABORT the chain */
		if ((pcb & 0x1F) == CCID_T1_S_RESYNCH ||
		    (pcb & 0x1F) == CCID_T1_S_ABORT) {
			chain_reset(&s->t1_cmd);
			chain_reset(&s->t1_resp);
		}
	}
}

/* ------------------------------------------------------------------ */
/* T=0 TPDU (ISO/IEC 7816-3 §10.3)                                    */

static void t0_cmd(const struct ccid_decoder *d, struct dec_slot *s,
		   const uint8_t *p, size_t n, struct ccid_text *t)
{
	if (n < 5) {
		malformed_line(t, "T=0 TPDU", p, n);
		slot_reset(s, true);
		return;
	}
	ccid_text_printf(t, "    T=0 header CLA %02X INS %02X P1 %02X P2 %02X"
			 " P3 %02X\n", p[0], p[1], p[2], p[3], p[4]);
	memcpy(s->t0_hdr, p, 5);
	s->t0_valid = true;
	s->t0_case2 = n == 5;
	apdu_cmd(d, p, n, t);
}

/* The reply: procedure bytes NULL (60) and ACK (INS, INS ^ FF) a reader
 * may pass on, then data and SW1 SW2 (§10.3.3).  Without them the reply
 * is 2 bytes, or P3 (00 = 256) + 2 for a case 2 header. */
static void t0_reply(struct dec_slot *s, const uint8_t *p, size_t n,
		     struct ccid_text *t)
{
	size_t i = 0, plain = 2;
	uint8_t ins = s->t0_hdr[1];
	uint8_t ins_one = (uint8_t)(0xFFu - ins); /* INS xor FF: one byte */

	if (s->t0_valid && s->t0_case2)
		plain = (s->t0_hdr[4] ? s->t0_hdr[4] : 256u) + 2;
	while (s->t0_valid && n - i > 2 && n - i != plain) {
		if (p[i] == 0x60)
			ccid_text_printf(t, "    T=0 procedure 0x60 (NULL)\n");
		else if (p[i] == ins || p[i] == ins_one)
			ccid_text_printf(t, "    T=0 procedure 0x%02X (ACK)\n",
					 p[i]);
		else
			break;
		i++;
	}
	s->t0_valid = false;
	if (n - i < 2) {
		malformed_line(t, "APDU <", p + i, n - i);
		return;
	}
	ccid_text_printf(t, "    T=0 procedure 0x%02X (SW1)\n", p[n - 2]);
	apdu_resp(p + i, n - i, t);
}

/* ------------------------------------------------------------------ */
/* APDU level: extended APDU chaining (CCID 1.1 §6.1.4, §6.2.1)        */

/* One part of a command (wLevelParameter) or response (bChainParameter):
 * 0 whole, 1 begins, 3 continues, 2 ends, 0x10 empty: "next part". */
static void ext_part(const struct ccid_decoder *d, struct chain *c,
		     bool host, unsigned level, const uint8_t *p, size_t n,
		     struct ccid_text *t)
{
	switch (level) {
	case 0x00:
		chain_reset(c);
		if (host)
			apdu_cmd(d, p, n, t);
		else if (n > 0)
			apdu_resp(p, n, t);
		return;
	case 0x01:
	case 0x03:
		if (level == 0x01)
			chain_reset(c); /* a new command or response begins */
		if (chain_add(c, p, n, t))
			chained_line(t, c);
		return;
	case 0x02:
		if (!chain_add(c, p, n, t))
			return;
		if (host)
			apdu_cmd(d, c->buf, c->len, t);
		else
			apdu_resp(c->buf, c->len, t);
		chain_reset(c);
		return;
	case 0x10:
		if (n > 0)
			hex_line(t, "data", p, n);
		return;
	default:
		ccid_text_printf(t, "    (unknown %s 0x%04X)\n",
				 host ? "wLevelParameter" : "bChainParameter",
				 level);
		if (n > 0)
			hex_line(t, "data", p, n);
		chain_reset(c);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* Exchange level                                                     */

/* The layer of an XfrBlock's payload: the descriptor's level, else
 * learnt (decode.h): a T=1 block whose EDC checks (and wLevelParameter
 * 0, no T=0 card) means TPDU level, and it stays so; anything else is
 * an APDU. */
static enum layer xfr_layer(struct ccid_decoder *d, struct dec_slot *s,
			    const uint8_t *p, size_t n, uint16_t wLevel)
{
	enum ccid_level level = CCID_LEVEL_SHORT_APDU;

	if (s == NULL)
		return LAYER_DATA;
	if (d->have_desc) {
		level = ccid_desc_level(&d->desc);
	} else if (d->learnt_tpdu) {
		level = CCID_LEVEL_TPDU;
	} else if (wLevel != 0) {
		/* TPDU level always has wLevelParameter 0 (CCID 1.1 §6.1.4) */
		level = CCID_LEVEL_EXT_APDU;
	} else if (s->proto != 0 && (t1_checks(p, n, s->crc) ||
				     (s->proto < 0 && t1_checks(p, n, true)))) {
		d->learnt_tpdu = true;
		level = CCID_LEVEL_TPDU;
	}
	switch (level) {
	case CCID_LEVEL_TPDU:
		if (s->proto < 0 && n > 0) {
			/* no ATR seen: the shape tells */
			if (t1_checks(p, n, false)) {
				s->proto = 1;
			} else if (t1_checks(p, n, true)) {
				s->proto = 1;
				s->crc = true;
			}
		}
		return s->proto == 1 ? LAYER_T1 : LAYER_T0;
	case CCID_LEVEL_SHORT_APDU:
	case CCID_LEVEL_EXT_APDU:
		return LAYER_APDU;
	default:
		return LAYER_DATA;
	}
}

/* ------------------------------------------------------------------ */
/* Names                                                              */

static bool is_out_type(uint8_t type)
{
	return type >= 0x61 && type <= 0x73 &&
	       ccid_decode_msg_name(type) != NULL;
}

static bool is_in_type(uint8_t type)
{
	return type >= RDR_to_PC_DataBlock &&
	       type <= RDR_to_PC_DataRateAndClockFrequency;
}

const char *ccid_decode_msg_name(uint8_t bMessageType)
{
	const char *s = ccid_msg_type_name(bMessageType);

	return strcmp(s, "unknown") == 0 ? NULL : s;
}

size_t ccid_decode_msg_lookup(const char *name, uint8_t types[4])
{
	size_t n = 0;

	if (name == NULL || types == NULL)
		return 0;
	for (unsigned v = 0; v < 256 && n < 4; v++) {
		const char *s = ccid_decode_msg_name((uint8_t)v);

		if (s == NULL)
			continue;
		/* every name is "PC_to_RDR_..." or "RDR_to_PC_...", both
		 * prefixes 10 characters long: the short form follows */
		if (strcasecmp(name, s) == 0 ||
		    strcasecmp(name, s + strlen("PC_to_RDR_")) == 0)
			types[n++] = (uint8_t)v;
	}
	return n;
}

static const char *voltage_name(uint8_t v)
{
	static const char *const names[] = { "auto", "5.0 V", "3.0 V",
					      "1.8 V" };

	return v < 4 ? names[v] : "RFU";
}

static const char *mech_name(uint8_t f)
{
	static const char *const names[] = { "RFU", "accept", "eject",
					      "capture", "lock", "unlock" };

	return f < 6 ? names[f] : "RFU";
}

static const char *clock_status_name(uint8_t c)
{
	static const char *const names[] = { "running", "stopped in L",
					      "stopped in H",
					      "stopped, unknown state" };

	return c < 4 ? names[c] : "RFU";
}

static const char *pin_op_name(uint8_t op)
{
	static const char *const names[] = {
		"PIN verification", "PIN modification",
		"transfer PIN from secure memory", "wait ICC response",
		"cancel PIN function", "re-send last I-block",
		"send next part of APDU",
	};

	return op < 7 ? names[op] : "RFU";
}

/* ------------------------------------------------------------------ */
/* First lines                                                        */

static void out_first_line(const uint8_t *m, uint32_t n, struct ccid_text *t)
{
	if (is_out_type(m[0]))
		ccid_text_printf(t, "> %s", ccid_decode_msg_name(m[0]));
	else
		ccid_text_printf(t, "> PC_to_RDR_0x%02X", m[0]);
	ccid_text_printf(t, " slot %u seq %u", m[5], m[6]);
	switch (m[0]) {
	case PC_to_RDR_IccPowerOn:
		ccid_text_printf(t, " bPowerSelect %u (%s)", m[7],
				 voltage_name(m[7]));
		break;
	case PC_to_RDR_XfrBlock:
	case PC_to_RDR_Secure:
		ccid_text_printf(t, " bBWI %u wLevelParameter 0x%04X", m[7],
				 get_le16(m + 8));
		break;
	case PC_to_RDR_SetParameters:
		ccid_text_printf(t, " bProtocolNum %u", m[7]);
		break;
	case PC_to_RDR_IccClock:
		ccid_text_printf(t, " bClockCommand %u (%s)", m[7],
				 m[7] == 0 ? "restart" :
				 m[7] == 1 ? "stop" : "RFU");
		break;
	case PC_to_RDR_T0APDU:
		ccid_text_printf(t, " bmChanges 0x%02X bClassGetResponse 0x%02X"
				 " bClassEnvelope 0x%02X", m[7], m[8], m[9]);
		break;
	case PC_to_RDR_Mechanical:
		ccid_text_printf(t, " bFunction %u (%s)", m[7],
				 mech_name(m[7]));
		break;
	default:
		break;
	}
	ccid_text_printf(t, " len %u\n", n);
}

/* "status 0xSS (ICC, command)" + error / multiplier (CCID 1.1 §6.2.6) */
static void status_fields(uint8_t bStatus, uint8_t bError,
			  struct ccid_text *t)
{
	static const char *const icc[] = { "active", "inactive", "absent",
					   "RFU" };
	static const char *const cmd[] = { "ok", "failed", "time extension",
					   "RFU" };

	ccid_text_printf(t, " status 0x%02X (%s, %s)", bStatus,
			 icc[ccid_icc_status(bStatus)],
			 cmd[ccid_cmd_status(bStatus)]);
	if (ccid_cmd_status(bStatus) == CCID_CMD_FAILED)
		ccid_text_printf(t, " error 0x%02X (%s)", bError,
				 ccid_msg_error_name(bError));
	else if (ccid_cmd_status(bStatus) == CCID_CMD_TIME_EXTENSION)
		ccid_text_printf(t, " multiplier %u", bError);
}

static void in_first_line(const uint8_t *m, uint32_t n, struct ccid_text *t)
{
	if (!is_in_type(m[0])) {
		ccid_text_printf(t, "< RDR_to_PC_0x%02X slot %u seq %u len %u\n",
				 m[0], m[5], m[6], n);
		return;
	}
	ccid_text_printf(t, "< %s slot %u seq %u", ccid_decode_msg_name(m[0]),
			 m[5], m[6]);
	status_fields(m[7], m[8], t);
	switch (m[0]) {
	case RDR_to_PC_DataBlock:
		ccid_text_printf(t, " chain 0x%02X", m[9]);
		break;
	case RDR_to_PC_SlotStatus:
		ccid_text_printf(t, " bClockStatus %u (%s)", m[9],
				 clock_status_name(m[9]));
		break;
	case RDR_to_PC_Parameters:
		ccid_text_printf(t, " bProtocolNum %u", m[9]);
		break;
	default:
		break;
	}
	ccid_text_printf(t, " len %u\n", n);
}

/* ------------------------------------------------------------------ */
/* Bodies                                                             */

/* abProtocolDataStructure (CCID 1.1 §6.1.7): 5 bytes for T=0, 7 for
 * T=1.  A well-formed one sets the slot's protocol (and T=1 EDC). */
static void params_body(struct dec_slot *s, uint8_t proto, const uint8_t *p,
			size_t n, struct ccid_text *t)
{
	if (n == 0)
		return;
	if (proto == 0 && n == 5) {
		ccid_text_printf(t, "    T=0 parameters bmFindexDindex 0x%02X"
				 " bmTCCKST0 0x%02X bGuardTimeT0 0x%02X"
				 " bWaitingIntegerT0 0x%02X bClockStop 0x%02X\n",
				 p[0], p[1], p[2], p[3], p[4]);
	} else if (proto == 1 && n == 7) {
		ccid_text_printf(t, "    T=1 parameters bmFindexDindex 0x%02X"
				 " bmTCCKST1 0x%02X (%s) bGuardTimeT1 0x%02X"
				 " bWaitingIntegerT1 0x%02X bClockStop 0x%02X"
				 " bIFSC %u bNadValue 0x%02X\n",
				 p[0], p[1], p[1] & 1 ? "CRC" : "LRC", p[2],
				 p[3], p[4], p[5], p[6]);
	} else {
		if (proto == 0)
			malformed_line(t, "T=0 parameters", p, n);
		else if (proto == 1)
			malformed_line(t, "T=1 parameters", p, n);
		else
			hex_line(t, "data", p, n);
		return;
	}
	if (s == NULL)
		return;
	if (s->proto != proto || (proto == 1 && s->crc != (p[1] & 1)))
		slot_reset(s, true);
	s->proto = proto;
	s->crc = proto == 1 && (p[1] & 1);
}

/* dwClockFrequency (kHz) and dwDataRate (bps), CCID 1.1 §6.1.14. */
static void rate_body(const uint8_t *p, size_t n, struct ccid_text *t)
{
	if (n == 8)
		ccid_text_printf(t, "    dwClockFrequency %u kHz dwDataRate %u"
				 " bps\n", get_le32(p), get_le32(p + 4));
	else if (n > 0)
		malformed_line(t, "clock and rate", p, n);
}

/* bPINOperation + abPINDataStructure (CCID 1.1 §6.1.11): masked. */
static void secure_body(const struct ccid_decoder *d, const uint8_t *p,
			size_t n, struct ccid_text *t)
{
	if (n == 0)
		return;
	ccid_text_printf(t, "    bPINOperation %u (%s)\n", p[0],
			 pin_op_name(p[0]));
	if (n == 1)
		return;
	if (d->opts.show_secrets)
		hex_line(t, "data", p + 1, n - 1);
	else
		masked_line(t, n - 1);
}

/* The ATR in a DataBlock answering IccPowerOn: protocols offered, and
 * the slot starts afresh with the first one (ISO 7816-3 §8.2.3). */
static void atr_body(struct dec_slot *s, const uint8_t *p, size_t n,
		     struct ccid_text *t)
{
	struct ccid_atr atr;
	const char *sep = "";

	ccid_text_printf(t, "    ATR ");
	ccid_text_hex(t, p, n, HEX_MAX);
	if (s != NULL)
		slot_reset(s, false);
	if (ccid_atr_parse(p, n, &atr) != CCID_OK) {
		ccid_text_printf(t, " (malformed)\n");
		return;
	}
	ccid_text_printf(t, " (");
	for (unsigned i = 0; i < 15; i++) {
		if (atr.protocols & (1u << i)) {
			ccid_text_printf(t, "%sT=%u", sep, i);
			sep = ",";
		}
	}
	ccid_text_printf(t, "%s)\n", atr.tck_ok ? "" : ", bad TCK");
	if (s != NULL && (atr.first_protocol == 0 || atr.first_protocol == 1)) {
		s->proto = atr.first_protocol;
		s->crc = atr.crc;
	}
}

/* The payload of an XfrBlock (host) or of the DataBlock answering one. */
static void xfr_payload(const struct ccid_decoder *d, struct dec_slot *s,
			enum layer layer, bool host, unsigned level,
			const uint8_t *p, size_t n, struct ccid_text *t)
{
	if (s == NULL)
		layer = LAYER_DATA;
	switch (layer) {
	case LAYER_T1:
		if (n > 0)
			t1_block(d, s, host, p, n, t);
		return;
	case LAYER_T0:
		if (host)
			t0_cmd(d, s, p, n, t);
		else if (n > 0)
			t0_reply(s, p, n, t);
		return;
	case LAYER_APDU:
		ext_part(d, host ? &s->ext_cmd : &s->ext_resp, host, level, p,
			 n, t);
		return;
	default:
		if (n > 0)
			hex_line(t, "data", p, n);
		return;
	}
}

/* ------------------------------------------------------------------ */
/* Bulk messages                                                      */

static void decode_out(struct ccid_decoder *d, const uint8_t *m, uint32_t n,
		       struct ccid_text *t)
{
	struct dec_slot *s = slot_of(d, m[5]);
	struct pending *pd = &d->pend[m[6]];
	const uint8_t *p = m + CCID_HEADER_LEN;

	out_first_line(m, n, t);
	pd->valid = is_out_type(m[0]);
	pd->type = m[0];
	pd->slot = m[5];
	pd->layer = LAYER_DATA;
	switch (m[0]) {
	case PC_to_RDR_XfrBlock:
		pd->layer = xfr_layer(d, s, p, n, get_le16(m + 8));
		xfr_payload(d, s, pd->layer, true, get_le16(m + 8), p, n, t);
		return;
	case PC_to_RDR_Secure:
		pd->layer = xfr_layer(d, s, NULL, 0, 0);
		/* at TPDU level the reader sent an I-block we cannot see */
		if (s != NULL)
			chain_reset(&s->t1_cmd);
		secure_body(d, p, n, t);
		return;
	case PC_to_RDR_SetParameters:
		params_body(s, m[7], p, n, t);
		return;
	case PC_to_RDR_SetDataRateAndClockFrequency:
		rate_body(p, n, t);
		return;
	case PC_to_RDR_IccPowerOff:
		if (s != NULL)
			slot_reset(s, false);
		break;
	default:
		break;
	}
	if (n > 0)
		hex_line(t, "data", p, n);
}

/* A DataBlock's abData by the command it answers. */
static void datablock_body(const struct ccid_decoder *d, struct dec_slot *s,
			   const struct pending *pd, const uint8_t *m,
			   uint32_t n, struct ccid_text *t)
{
	const uint8_t *p = m + CCID_HEADER_LEN;

	if (ccid_cmd_status(m[7]) != CCID_CMD_OK || pd == NULL) {
		if (ccid_cmd_status(m[7]) == CCID_CMD_FAILED && s != NULL &&
		    pd != NULL && pd->type != PC_to_RDR_Escape)
			slot_reset(s, true);
		if (n > 0)
			hex_line(t, "data", p, n);
		return;
	}
	if (pd->type == PC_to_RDR_IccPowerOn) {
		if (n > 0)
			atr_body(s, p, n, t);
		return;
	}
	if (pd->type == PC_to_RDR_XfrBlock || pd->type == PC_to_RDR_Secure) {
		xfr_payload(d, s, pd->layer, false, m[9], p, n, t);
		return;
	}
	if (n > 0)
		hex_line(t, "data", p, n);
}

static void decode_in(struct ccid_decoder *d, const uint8_t *m, uint32_t n,
		      struct ccid_text *t)
{
	struct dec_slot *s = slot_of(d, m[5]);
	struct pending *pd = &d->pend[m[6]];
	const struct pending *cmd = NULL;
	const uint8_t *p = m + CCID_HEADER_LEN;

	in_first_line(m, n, t);
	if (pd->valid && pd->slot == m[5] && is_in_type(m[0]) &&
	    ccid_msg_reply_type(pd->type) == m[0]) {
		cmd = pd;
		/* a time extension is followed by the real answer */
		if (ccid_cmd_status(m[7]) != CCID_CMD_TIME_EXTENSION)
			pd->valid = false;
	}
	if (is_in_type(m[0]) && ccid_icc_status(m[7]) == CCID_ICC_ABSENT &&
	    s != NULL)
		slot_reset(s, false);
	switch (m[0]) {
	case RDR_to_PC_DataBlock:
		datablock_body(d, s, cmd, m, n, t);
		return;
	case RDR_to_PC_Parameters:
		if (ccid_cmd_status(m[7]) == CCID_CMD_OK) {
			params_body(s, m[9], p, n, t);
			return;
		}
		break;
	case RDR_to_PC_DataRateAndClockFrequency:
		if (ccid_cmd_status(m[7]) == CCID_CMD_OK) {
			rate_body(p, n, t);
			return;
		}
		break;
	default:
		break;
	}
	if (n > 0)
		hex_line(t, "data", p, n);
}

void ccid_decode_bulk(struct ccid_decoder *d, bool out, const uint8_t *msg,
		      size_t len, struct ccid_text *t)
{
	if (d == NULL || t == NULL)
		return;
	if (msg == NULL)
		len = 0;
	if (len < CCID_HEADER_LEN || get_le32(msg + 1) != len - CCID_HEADER_LEN) {
		ccid_text_printf(t, "%c malformed CCID message (%zu bytes)",
				 out ? '>' : '<', len);
		if (len > 0) {
			ccid_text_printf(t, ": ");
			ccid_text_hex(t, msg, len, HEX_MAX);
		}
		ccid_text_printf(t, "\n");
		if (len > 5 && slot_of(d, msg[5]) != NULL)
			slot_reset(slot_of(d, msg[5]), true);
		if (len > 6)
			d->pend[msg[6]].valid = false;
		return;
	}
	if (out)
		decode_out(d, msg, (uint32_t)(len - CCID_HEADER_LEN), t);
	else
		decode_in(d, msg, (uint32_t)(len - CCID_HEADER_LEN), t);
}

/* ------------------------------------------------------------------ */
/* Interrupt IN (CCID 1.1 §6.3)                                       */

static void intr_malformed(const uint8_t *msg, size_t len,
			   struct ccid_text *t)
{
	ccid_text_printf(t, "! malformed interrupt message (%zu bytes)", len);
	if (len > 0) {
		ccid_text_printf(t, ": ");
		ccid_text_hex(t, msg, len, HEX_MAX);
	}
	ccid_text_printf(t, "\n");
}

/* bmSlotICCState: 2 bits a slot, bit 2n present, bit 2n+1 changed. */
static void notify(struct ccid_decoder *d, const uint8_t *msg, size_t len,
		   struct ccid_text *t)
{
	/* 4 slots a byte; never more than 16 slots are shown */
	size_t avail = len - 1 > NOTIFY_MAX_SLOTS ? NOTIFY_MAX_SLOTS * 4 :
						   (len - 1) * 4;
	size_t nslots = 1;

	if (d->have_desc) {
		nslots = d->desc.bMaxSlotIndex + 1u;
		if (avail < nslots) {
			intr_malformed(msg, len, t);
			return;
		}
	} else {
		if (avail > NOTIFY_MAX_SLOTS)
			avail = NOTIFY_MAX_SLOTS;
		/* unknown slot count: up to the last slot with a bit set */
		for (size_t i = 0; i < avail; i++)
			if ((msg[1 + i / 4] >> (2 * (i % 4))) & 3)
				nslots = i + 1;
	}
	ccid_text_printf(t, "! RDR_to_PC_NotifySlotChange");
	for (size_t i = 0; i < nslots; i++) {
		unsigned bits = (msg[1 + i / 4] >> (2 * (i % 4))) & 3u;

		ccid_text_printf(t, "%s slot %zu %s%s", i ? "," : "", i,
				 bits & 1 ? "present" : "absent",
				 bits & 2 ? " changed" : "");
		if ((bits & 2) && i < CCID_MAX_SLOTS)
			slot_reset(&d->slot[i], false);
	}
	ccid_text_printf(t, "\n");
}

void ccid_decode_intr(struct ccid_decoder *d, const uint8_t *msg, size_t len,
		      struct ccid_text *t)
{
	if (d == NULL || t == NULL)
		return;
	if (msg == NULL || len == 0) {
		intr_malformed(msg, 0, t);
		return;
	}
	if (msg[0] == RDR_to_PC_NotifySlotChange && len >= 2) {
		notify(d, msg, len, t);
	} else if (msg[0] == RDR_to_PC_HardwareError && len == 4) {
		ccid_text_printf(t, "! RDR_to_PC_HardwareError slot %u seq %u"
				 " code 0x%02X (%s)\n", msg[1], msg[2], msg[3],
				 msg[3] == 0x01 ? "overcurrent" : "unknown");
		if (slot_of(d, msg[1]) != NULL)
			slot_reset(slot_of(d, msg[1]), false);
	} else if (msg[0] == RDR_to_PC_NotifySlotChange ||
		   msg[0] == RDR_to_PC_HardwareError) {
		intr_malformed(msg, len, t);
	} else {
		ccid_text_printf(t, "! RDR_to_PC_0x%02X len %zu\n", msg[0], len);
		if (len > 1)
			hex_line(t, "data", msg + 1, len - 1);
	}
}

/* ------------------------------------------------------------------ */
/* Class requests (CCID 1.1 §5.3)                                     */

/* GET_CLOCK_FREQUENCIES / GET_DATA_RATES answer: u32 LE values. */
static void u32_list(const char *req, const char *what, const uint8_t *p,
		     size_t n, struct ccid_text *t)
{
	if (n % 4 != 0) {
		ccid_text_printf(t, "< control %s malformed (%zu bytes): ", req,
				 n);
		ccid_text_hex(t, p, n, HEX_MAX);
		ccid_text_printf(t, "\n");
		return;
	}
	ccid_text_printf(t, "< control %s %zu %s%s", req, n / 4, what,
			 n ? ":" : "");
	for (size_t i = 0; i < n / 4 && i < HEX_MAX; i++)
		ccid_text_printf(t, " %u", get_le32(p + 4 * i));
	if (n / 4 > HEX_MAX)
		ccid_text_printf(t, " ...");
	ccid_text_printf(t, "\n");
}

void ccid_decode_control(struct ccid_decoder *d, const uint8_t setup[8],
			 const uint8_t *data, size_t len, bool complete,
			 struct ccid_text *t)
{
	uint8_t type, req;
	uint16_t wValue;

	if (d == NULL || t == NULL || setup == NULL)
		return;
	if (data == NULL)
		len = 0;
	type = setup[0];
	req = setup[1];
	wValue = get_le16(setup + 2);
	/* class request to the interface: 0x21 out, 0xA1 in */
	if (type == 0x21 && req == CCID_REQ_ABORT) {
		ccid_text_printf(t, "%c control ABORT slot %u seq %u\n",
				 complete ? '<' : '>', wValue & 0xFFu,
				 (unsigned)wValue >> 8);
		return;
	}
	if (type == 0xA1 && (req == CCID_REQ_GET_CLOCK_FREQUENCIES ||
			     req == CCID_REQ_GET_DATA_RATES)) {
		bool clk = req == CCID_REQ_GET_CLOCK_FREQUENCIES;
		const char *name = clk ? "GET_CLOCK_FREQUENCIES" :
					 "GET_DATA_RATES";

		if (!complete)
			ccid_text_printf(t, "> control %s\n", name);
		else
			u32_list(name, clk ? "frequencies" : "rates", data, len,
				 t);
		return;
	}
	ccid_text_printf(t, "%c control bmRequestType 0x%02X bRequest 0x%02X"
			 " wValue 0x%04X wIndex %u len %zu\n",
			 complete ? '<' : '>', type, req, (unsigned)wValue,
			 (unsigned)get_le16(setup + 4),
			 complete ? len : (size_t)get_le16(setup + 6));
	if (complete && len > 0)
		hex_line(t, "data", data, len);
}

/* ------------------------------------------------------------------ */
/* Life cycle                                                         */

void ccid_decoder_set_desc(struct ccid_decoder *d, const uint8_t *class_desc,
			   size_t len)
{
	if (d == NULL)
		return;
	d->have_desc = class_desc != NULL &&
		       ccid_desc_parse(class_desc, len, &d->desc) == CCID_OK;
}

int ccid_decoder_new(const uint8_t *class_desc, size_t len,
		     const struct ccid_decode_opts *opts,
		     struct ccid_decoder **out)
{
	struct ccid_decoder *d;

	if (out == NULL)
		return CCID_E_INVAL;
	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return CCID_E_NOMEM;
	if (opts != NULL)
		d->opts = *opts;
	for (size_t i = 0; i < CCID_MAX_SLOTS; i++)
		slot_reset(&d->slot[i], false);
	ccid_decoder_set_desc(d, class_desc, len);
	*out = d;
	return CCID_OK;
}

void ccid_decoder_free(struct ccid_decoder **d)
{
	if (d == NULL || *d == NULL)
		return;
	for (size_t i = 0; i < CCID_MAX_SLOTS; i++) {
		struct dec_slot *s = &(*d)->slot[i];

		free(s->t1_cmd.buf);
		free(s->t1_resp.buf);
		free(s->ext_cmd.buf);
		free(s->ext_resp.buf);
	}
	free(*d);
	*d = NULL;
}
