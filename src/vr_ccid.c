/* ccidkit — the virtual reader's CCID model (see vr_ccid.h).
 * Message layouts: CCID 1.1 §6.1 (PC_to_RDR), §6.2 (RDR_to_PC), §6.3
 * (interrupt), all multi-byte fields little-endian. */
#include "config.h"
#include "src/vr_ccid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* CCID 1.1 §6.1 / §6.2 message types. */
enum {
	PC_to_RDR_SetParameters = 0x61,
	PC_to_RDR_IccPowerOn = 0x62,
	PC_to_RDR_IccPowerOff = 0x63,
	PC_to_RDR_GetSlotStatus = 0x65,
	PC_to_RDR_Secure = 0x69,
	PC_to_RDR_T0APDU = 0x6A,
	PC_to_RDR_Escape = 0x6B,
	PC_to_RDR_GetParameters = 0x6C,
	PC_to_RDR_ResetParameters = 0x6D,
	PC_to_RDR_IccClock = 0x6E,
	PC_to_RDR_XfrBlock = 0x6F,
	PC_to_RDR_Mechanical = 0x71,
	PC_to_RDR_Abort = 0x72,
	PC_to_RDR_SetDataRateAndClockFrequency = 0x73,
	RDR_to_PC_DataBlock = 0x80,
	RDR_to_PC_SlotStatus = 0x81,
	RDR_to_PC_Parameters = 0x82,
	RDR_to_PC_Escape = 0x83,
	RDR_to_PC_DataRateAndClockFrequency = 0x84,
	RDR_to_PC_NotifySlotChange = 0x50,
};

/* bStatus (CCID 1.1 §6.2.6): bmICCStatus | bmCommandStatus << 6. */
enum {
	ICC_ACTIVE = 0, ICC_INACTIVE = 1, ICC_ABSENT = 2,
	CMD_FAILED = 0x40, CMD_TIME_EXTENSION = 0x80,
};

/* Clock and data rate values of the class descriptor and class requests. */
#define VR_CLOCK_KHZ 4000u
#define VR_DATA_RATE 10752u		/* 4 MHz / 372 (Fi 372, Di 1) */
#define VR_MAX_DATA_RATE 344086u	/* 4 MHz * 32 / 372 (Di 32) */
static const uint32_t data_rates[] = { VR_DATA_RATE, VR_MAX_DATA_RATE };

struct vr_msg {
	struct vr_msg *next;
	size_t len, off;
	uint8_t data[];
};

struct vr_queue {
	struct vr_msg *head, *tail;
};

struct vr_slot {
	const struct vr_card *card;
	bool powered;
	bool clock_stopped;
	bool changed;			/* since the last NotifySlotChange */
	uint8_t params[7];		/* CCID §6.1.7 abProtocolDataStructure */
	uint8_t proto;			/* bProtocolNum of params */
	/* extended APDU chaining, CCID 1.1 §6.1.4 */
	uint8_t *cmd;			/* command being assembled */
	size_t cmd_len;
	uint8_t *resp;			/* response parts not yet sent */
	size_t resp_len, resp_off;
	/* TPDU level */
	struct vr_tpdu *tpdu;		/* the card's T=0/T=1 side */
	struct vr_ctls *ctls;		/* contactless: firmware + card memory */
	bool pps_allowed;		/* ISO 7816-3 §9.1: right after the ATR */
	bool lost;			/* an XfrBlock left unanswered (lose-block) */
	uint8_t lost_hdr[VR_CCID_HDR];
};

struct vr_ccid {
	struct vr_ccid_config cfg;
	struct vr_slot slot[VR_CCID_MAX_SLOTS];
	uint8_t *in;			/* bulk-OUT reassembly */
	size_t in_len;
	size_t skip;			/* bytes of an oversized message to drop */
	uint8_t *work;			/* card response scratch */
	struct vr_queue bulk, intr;
	uint8_t atr_t1[VR_CARD_ATR_MAX];	/* T=1 card's ATR with --ifsc/--t1-crc */
	size_t atr_t1_len;
	struct vr_faults faults;
	bool disconnect;
};

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xFF;
	p[1] = v >> 8;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint8_t *queue_push(struct vr_queue *q, size_t len)
{
	struct vr_msg *m = calloc(1, sizeof(*m) + len);

	if (m == NULL)
		return NULL;
	m->len = len;
	if (q->tail)
		q->tail->next = m;
	else
		q->head = m;
	q->tail = m;
	return m->data;
}

static void queue_pop(struct vr_queue *q)
{
	struct vr_msg *m = q->head;

	if (m == NULL)
		return;
	q->head = m->next;
	if (q->head == NULL)
		q->tail = NULL;
	free(m);
}

static void queue_clear(struct vr_queue *q)
{
	while (q->head)
		queue_pop(q);
}

static void slot_drop_chain(struct vr_slot *s)
{
	free(s->cmd);
	s->cmd = NULL;
	s->cmd_len = 0;
	free(s->resp);
	s->resp = NULL;
	s->resp_len = s->resp_off = 0;
}

/* The ATR's defaults; a T=1 card's IFSC and EDC follow its ATR. */
static void slot_default_params(const struct vr_ccid *c, struct vr_slot *s)
{
	memset(s->params, 0, sizeof(s->params));
	if (s->card == NULL)
		return;
	s->proto = s->card->protocol;
	memcpy(s->params, s->card->params, s->card->params_len);
	if (s->card->protocol == 1) {
		s->params[1] = (uint8_t)(0x10 | (c->cfg.t1_crc ? 1 : 0));
		s->params[5] = (uint8_t)c->cfg.ifsc;
	}
}

static const uint8_t *card_atr(const struct vr_ccid *c,
			       const struct vr_card *card, size_t *len)
{
	if (card->protocol == 1 && card->ctls == VR_CTLS_NONE) {
		*len = c->atr_t1_len;
		return c->atr_t1;
	}
	*len = card->atr_len;
	return card->atr;
}

static uint8_t icc_status(const struct vr_ccid *c, unsigned slot)
{
	const struct vr_slot *s;

	if (slot >= c->cfg.nslots)
		return ICC_ABSENT;
	s = &c->slot[slot];
	if (s->card == NULL)
		return ICC_ABSENT;
	return s->powered ? ICC_ACTIVE : ICC_INACTIVE;
}

/* Queue an RDR_to_PC message echoing the command's bSlot and bSeq (§6.2). */
static int reply(struct vr_ccid *c, uint8_t type, const uint8_t *cmd,
		  uint8_t status, uint8_t error, uint8_t b9,
		  const uint8_t *data, size_t len)
{
	uint8_t *m;

	/* wrong-bseq: a late answer to the previous command comes first */
	if (vr_fault_take(&c->faults, VR_FAULT_WRONG_BSEQ)) {
		m = queue_push(&c->bulk, VR_CCID_HDR);
		if (m) {
			memcpy(m, (const uint8_t[]){ type, 0, 0, 0, 0 }, 5);
			m[5] = cmd[5];
			m[6] = (uint8_t)(cmd[6] - 1);
			m[7] = status;
			m[8] = error;
			m[9] = b9;
		}
	}
	m = queue_push(&c->bulk, VR_CCID_HDR + len);
	if (m == NULL)
		return -ENOMEM;	/* the host times out */
	/* short: the message ends early (half its data, or half a header) */
	if (vr_fault_take(&c->faults, VR_FAULT_SHORT))
		c->bulk.tail->len = len ? VR_CCID_HDR + len / 2 : VR_CCID_HDR / 2;
	m[0] = type;
	put_le32(m + 1, (uint32_t)len);
	m[5] = cmd[5];
	m[6] = cmd[6];
	m[7] = status;
	m[8] = error;
	m[9] = b9;
	if (len)
		memcpy(m + VR_CCID_HDR, data, len);
	return 0;
}

static int fail(struct vr_ccid *c, uint8_t type, const uint8_t *cmd,
		 uint8_t error)
{
	return reply(c, type, cmd, icc_status(c, cmd[5]) | CMD_FAILED, error,
		     0, NULL, 0);
}

static int slot_status(struct vr_ccid *c, const uint8_t *cmd)
{
	const struct vr_slot *s = &c->slot[cmd[5]];

	/* bClockStatus: 0 running, 1 stopped in state L (CCID §6.2.2) */
	return reply(c, RDR_to_PC_SlotStatus, cmd, icc_status(c, cmd[5]), 0,
		     s->powered && s->clock_stopped ? 1 : 0, NULL, 0);
}

/* A card fits a reader: contactless cards only in the contactless model,
 * which takes no contact card; both special models need an APDU level
 * (their firmware sees whole APDUs). */
static bool card_fits(const struct vr_ccid_config *cfg, const struct vr_card *card)
{
	if (card == NULL)
		return true;
	if ((cfg->reader == VR_READER_CONTACTLESS) != (card->ctls != VR_CTLS_NONE))
		return false;
	return card->ctls == VR_CTLS_NONE ||
	       cfg->uid_len == 0 || vr_ctls_uid_ok(card->ctls, cfg->uid_len);
}

static bool model_ok(const struct vr_ccid_config *cfg)
{
	if (cfg->reader != VR_READER_CONTACT &&
	    cfg->level != VR_LEVEL_SHORT && cfg->level != VR_LEVEL_EXTENDED)
		return false;
	if (cfg->reader > VR_READER_PINPAD || cfg->uid_len > VR_CTLS_UID_MAX)
		return false;
	return card_fits(cfg, cfg->start_card) && card_fits(cfg, cfg->insert_card);
}

/* The card entered the field: the firmware's view of it follows. */
static void slot_card_in(struct vr_ccid *c, struct vr_slot *s)
{
	if (s->ctls && s->card)
		vr_ctls_tap(s->ctls, s->card, c->cfg.uid, c->cfg.uid_len);
}

struct vr_ccid *vr_ccid_new(const struct vr_ccid_config *cfg, int *err)
{
	struct vr_ccid *c;
	int e = -EINVAL;

	if (cfg == NULL || cfg->nslots < 1 || cfg->nslots > VR_CCID_MAX_SLOTS ||
	    cfg->dwMaxCCIDMessageLength < 64 ||
	    cfg->dwMaxCCIDMessageLength > VR_CCID_APDU_MAX + VR_CCID_HDR ||
	    ((cfg->level == VR_LEVEL_SHORT || cfg->level == VR_LEVEL_EXTENDED) &&
	     cfg->dwMaxCCIDMessageLength < 271) ||
	    (cfg->level != VR_LEVEL_TPDU && cfg->level != VR_LEVEL_SHORT &&
	     cfg->level != VR_LEVEL_EXTENDED &&
	     cfg->level != VR_LEVEL_CHARACTER) ||
	    cfg->ifsc > 254 || cfg->card_class < 1 || cfg->card_class > 3 ||
	    !model_ok(cfg))
		goto out;
	e = -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		goto out;
	c->cfg = *cfg;
	if (c->cfg.insert_card == NULL)
		c->cfg.insert_card = vr_card_find(
			cfg->reader == VR_READER_CONTACTLESS ? "mifare-classic-1k" : "test");
	if (c->cfg.wLcdLayout == 0)
		c->cfg.wLcdLayout = 0x0210;
	if (c->cfg.ifsc == 0)
		c->cfg.ifsc = 254;
	c->atr_t1_len = vr_card_t1_atr(c->cfg.ifsc, c->cfg.t1_crc, c->atr_t1);
	c->faults = cfg->faults;
	c->in = malloc(cfg->dwMaxCCIDMessageLength);
	c->work = malloc(VR_CARD_RESP_MAX);
	if (c->in == NULL || c->work == NULL) {
		vr_ccid_free(&c);
		goto out;
	}
	for (unsigned i = 0; i < cfg->nslots; i++) {
		c->slot[i].tpdu = vr_tpdu_new();
		if (cfg->reader == VR_READER_CONTACTLESS)
			c->slot[i].ctls = vr_ctls_new();
		if (c->slot[i].tpdu == NULL ||
		    (cfg->reader == VR_READER_CONTACTLESS && c->slot[i].ctls == NULL)) {
			vr_ccid_free(&c);
			goto out;
		}
		c->slot[i].card = cfg->start_card;
		c->slot[i].changed = cfg->start_card != NULL;
		slot_default_params(c, &c->slot[i]);
		slot_card_in(c, &c->slot[i]);
	}
	return c;
out:
	if (err)
		*err = e;
	return NULL;
}

void vr_ccid_free(struct vr_ccid **ccid)
{
	struct vr_ccid *c;

	if (ccid == NULL || *ccid == NULL)
		return;
	c = *ccid;
	for (unsigned i = 0; i < VR_CCID_MAX_SLOTS; i++) {
		slot_drop_chain(&c->slot[i]);
		vr_tpdu_free(&c->slot[i].tpdu);
		vr_ctls_free(&c->slot[i].ctls);
	}
	queue_clear(&c->bulk);
	queue_clear(&c->intr);
	free(c->in);
	free(c->work);
	free(c);
	*ccid = NULL;
}

const struct vr_ccid_config *vr_ccid_config(const struct vr_ccid *ccid)
{
	return &ccid->cfg;
}

void vr_ccid_reset(struct vr_ccid *ccid)
{
	for (unsigned i = 0; i < ccid->cfg.nslots; i++) {
		struct vr_slot *s = &ccid->slot[i];

		slot_drop_chain(s);
		s->powered = false;
		s->clock_stopped = false;
		s->lost = false;
		s->pps_allowed = false;
		slot_default_params(ccid, s);
	}
	ccid->disconnect = false;
	ccid->in_len = 0;
	ccid->skip = 0;
	queue_clear(&ccid->bulk);
	queue_clear(&ccid->intr);
}

/* CCID 1.1 §5.1, Table 5.1-1. */
void vr_ccid_class_descriptor(const struct vr_ccid *ccid,
			      uint8_t d[VR_CCID_CLASS_DESC_LEN])
{
	/* 0x02 automatic parameters from the ATR, 0x10 automatic clock
	 * change, 0x20 automatic baud rate change, 0x80 automatic PPS made by
	 * the CCID: the driver needs no PPS of its own. */
	uint32_t features = 0x02 | 0x10 | 0x20 | 0x80;

	if (ccid->cfg.auto_voltage)
		features |= 0x08;
	if (ccid->cfg.no_auto_pps)
		features &= ~0x80u;
	if (ccid->cfg.no_auto_param)
		features &= ~0x02u;
	if (ccid->cfg.auto_negotiate)
		features |= 0x40;
	if (ccid->cfg.auto_ifsd)
		features |= 0x400;
	features |= (uint32_t)ccid->cfg.level;
	memset(d, 0, VR_CCID_CLASS_DESC_LEN);
	d[0] = VR_CCID_CLASS_DESC_LEN;
	d[1] = 0x21;
	put_le16(d + 2, 0x0110);			/* bcdCCID */
	d[4] = (uint8_t)(ccid->cfg.nslots - 1);		/* bMaxSlotIndex */
	d[5] = 0x07;					/* bVoltageSupport 5/3/1.8 V */
	put_le32(d + 6, 0x03);				/* dwProtocols T=0, T=1 */
	put_le32(d + 10, VR_CLOCK_KHZ);			/* dwDefaultClock */
	put_le32(d + 14, VR_CLOCK_KHZ);			/* dwMaximumClock */
	d[18] = 1;					/* bNumClockSupported */
	put_le32(d + 19, VR_DATA_RATE);			/* dwDataRate */
	put_le32(d + 23, VR_MAX_DATA_RATE);		/* dwMaxDataRate */
	d[27] = sizeof(data_rates) / sizeof(data_rates[0]); /* bNumDataRatesSupported */
	put_le32(d + 28, 254);				/* dwMaxIFSD */
	put_le32(d + 32, 0);				/* dwSynchProtocols */
	put_le32(d + 36, 0);				/* dwMechanical */
	put_le32(d + 40, features);			/* dwFeatures */
	put_le32(d + 44, ccid->cfg.dwMaxCCIDMessageLength);
	d[48] = 0xFF;					/* bClassGetResponse: echo */
	d[49] = 0xFF;					/* bClassEnvelope: echo */
	if (ccid->cfg.reader == VR_READER_PINPAD) {
		/* lines << 8 | characters per line; verify + modify */
		put_le16(d + 50, ccid->cfg.wLcdLayout);	/* wLcdLayout */
		d[52] = 0x03;				/* bPINSupport */
	}
	d[53] = 1;					/* bMaxCCIDBusySlots */
}

/* After the ATR: the card's protocol state starts afresh with the
 * current parameters, and a PPS may follow (ISO 7816-3 §9.1). */
static void slot_activate(struct vr_ccid *c, struct vr_slot *s)
{
	struct vr_tpdu_config tc = {
		.ifsc = s->params[5] ? s->params[5] : c->cfg.ifsc,
		.crc = s->params[1] & 1,
		.envelope = !c->cfg.no_envelope,
	};

	vr_tpdu_activate(s->tpdu, s->card, &tc);
	if (s->ctls)
		vr_ctls_activate(s->ctls);
	s->pps_allowed = true;
	s->lost = false;
}

/* CCID 1.1 §6.1.1 PC_to_RDR_IccPowerOn: bPowerSelect 0 auto, 1 5 V, 2 3 V,
 * 3 1.8 V. The card refuses voltages above its class (ISO 7816-3 §6.2.4). */
static int cmd_power_on(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	struct vr_slot *s = &c->slot[cmd[5]];
	uint8_t sel = cmd[7];
	const uint8_t *atr;
	size_t atr_len;

	if (dlen != 0)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_BAD_LENGTH);
	if (sel > 3)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_BAD_POWERSELECT);
	if (s->card == NULL)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_ICC_MUTE);
	if (vr_fault_take(&c->faults, VR_FAULT_MUTE)) {
		s->powered = false;	/* no ATR within 40000 clocks */
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_ICC_MUTE);
	}
	if (sel != 0 && sel < c->cfg.card_class) {
		s->powered = false;
		return fail(c, RDR_to_PC_DataBlock, cmd,
			    VR_ERR_ICC_CLASS_NOT_SUPPORTED);
	}
	/* a (warm) reset ends any chaining and restores the ATR's defaults */
	slot_drop_chain(s);
	slot_default_params(c, s);
	slot_activate(c, s);
	s->powered = true;
	s->clock_stopped = false;
	atr = card_atr(c, s->card, &atr_len);
	return reply(c, RDR_to_PC_DataBlock, cmd, ICC_ACTIVE, 0, 0, atr, atr_len);
}

static int cmd_power_off(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	struct vr_slot *s = &c->slot[cmd[5]];

	if (dlen != 0)
		return fail(c, RDR_to_PC_SlotStatus, cmd, VR_ERR_BAD_LENGTH);
	slot_drop_chain(s);
	s->powered = false;
	s->clock_stopped = false;
	return slot_status(c, cmd);
}

/* §6.1.5-§6.1.7 and §6.2.3: answer with the current parameters. */
static int parameters(struct vr_ccid *c, const uint8_t *cmd)
{
	const struct vr_slot *s = &c->slot[cmd[5]];

	return reply(c, RDR_to_PC_Parameters, cmd, icc_status(c, cmd[5]), 0,
		     s->proto, s->params, s->proto == 1 ? 7 : 5);
}

static int cmd_parameters(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	struct vr_slot *s = &c->slot[cmd[5]];

	if (cmd[0] != PC_to_RDR_SetParameters && dlen != 0)
		return fail(c, RDR_to_PC_Parameters, cmd, VR_ERR_BAD_LENGTH);
	if (s->card == NULL)
		return fail(c, RDR_to_PC_Parameters, cmd, VR_ERR_ICC_MUTE);
	if (cmd[0] == PC_to_RDR_ResetParameters)
		slot_default_params(c, s);
	if (cmd[0] == PC_to_RDR_SetParameters) {
		/* bIFSC 0 and FF do not exist (ISO 7816-3 §11.4.2) */
		if (cmd[7] == 1 && dlen == 7 &&
		    (cmd[VR_CCID_HDR + 5] == 0 || cmd[VR_CCID_HDR + 5] == 0xFF))
			return fail(c, RDR_to_PC_Parameters, cmd,
				    VR_CCID_HDR + 5);
		/* bProtocolNum must be the one protocol the card offers; a
		 * contactless card's Part 3 ATR offers T=0 and T=1, both
		 * meaningless over the air (T=CL): the firmware takes either */
		if (cmd[7] != s->card->protocol &&
		    !(s->card->ctls != VR_CTLS_NONE && cmd[7] == 0))
			return fail(c, RDR_to_PC_Parameters, cmd,
				    VR_ERR_BAD_PROTOCOLNUM);
		if (dlen != (cmd[7] == 1 ? 7u : 5u))
			return fail(c, RDR_to_PC_Parameters, cmd,
				    VR_ERR_BAD_LENGTH);
		s->proto = cmd[7];
		memset(s->params, 0, sizeof(s->params));
		memcpy(s->params, cmd + VR_CCID_HDR, dlen);
	}
	/* the card's T=1 side uses what the host set (IFSC, EDC) */
	if (s->proto == 1)
		vr_tpdu_set_t1(s->tpdu, s->params[5], s->params[1] & 1);
	return parameters(c, cmd);
}

/* §6.1.9 PC_to_RDR_IccClock: bClockCommand 0 restart, 1 stop. */
static int cmd_clock(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	if (dlen != 0)
		return fail(c, RDR_to_PC_SlotStatus, cmd, VR_ERR_BAD_LENGTH);
	if (cmd[7] > 1)
		return fail(c, RDR_to_PC_SlotStatus, cmd,
			    VR_ERR_BAD_CLOCKCOMMAND);
	c->slot[cmd[5]].clock_stopped = cmd[7] == 1;
	return slot_status(c, cmd);
}

/* §6.1.14: echo the requested clock and rate as if applied. */
static int cmd_rate_clock(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	if (dlen != 8)
		return fail(c, RDR_to_PC_DataRateAndClockFrequency, cmd,
			    VR_ERR_BAD_LENGTH);
	return reply(c, RDR_to_PC_DataRateAndClockFrequency, cmd,
		     icc_status(c, cmd[5]), 0, 0, cmd + VR_CCID_HDR, 8);
}

/* Send the next part of a response: the first with bChainParameter 1, the
 * following ones 3 (more follows) or 2 (last) — CCID 1.1 §6.2.1. */
static int send_resp_part(struct vr_ccid *c, const uint8_t *cmd)
{
	struct vr_slot *s = &c->slot[cmd[5]];
	size_t room = c->cfg.dwMaxCCIDMessageLength - VR_CCID_HDR;
	size_t left = s->resp_len - s->resp_off;
	size_t n = left < room ? left : room;
	uint8_t chain;

	if (s->resp_off == 0)
		chain = 0x01;
	else
		chain = n < left ? 0x03 : 0x02;
	reply(c, RDR_to_PC_DataBlock, cmd, ICC_ACTIVE, 0, chain,
	      s->resp + s->resp_off, n);
	s->resp_off += n;
	if (s->resp_off == s->resp_len) {
		free(s->resp);
		s->resp = NULL;
		s->resp_len = s->resp_off = 0;
	}
	return 0;
}

/* Run the complete APDU through the card and answer per exchange level. */
static int run_apdu(struct vr_ccid *c, const uint8_t *cmd,
		    const uint8_t *apdu, size_t len)
{
	struct vr_slot *s = &c->slot[cmd[5]];
	size_t room = c->cfg.dwMaxCCIDMessageLength - VR_CCID_HDR;
	size_t rlen = 0;
	int r;

	if (s->ctls)
		r = vr_ctls_process(s->ctls, apdu, len, c->work,
				    VR_CARD_RESP_MAX, &rlen);
	else
		r = vr_card_process(s->card, apdu, len, c->work,
				    VR_CARD_RESP_MAX, &rlen);
	if (r < 0)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_HW_ERROR);
	/* Short APDU level: at most 256 data bytes + SW fit (§6.1.4). */
	if (c->cfg.level == VR_LEVEL_SHORT && rlen > 258)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_XFR_OVERRUN);
	if (rlen <= room)
		return reply(c, RDR_to_PC_DataBlock, cmd, ICC_ACTIVE, 0, 0,
			     c->work, rlen);
	s->resp = malloc(rlen);
	if (s->resp == NULL)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_HW_ERROR);
	memcpy(s->resp, c->work, rlen);
	s->resp_len = rlen;
	s->resp_off = 0;
	return send_resp_part(c, cmd);
}

/* Append a command chunk; an over-long command is a bad dwLength. */
static int chain_append(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	struct vr_slot *s = &c->slot[cmd[5]];

	if (s->cmd == NULL) {
		s->cmd = malloc(VR_CCID_APDU_MAX);
		s->cmd_len = 0;
		if (s->cmd == NULL)
			return -ENOMEM;
	}
	if (dlen > VR_CCID_APDU_MAX - s->cmd_len)
		return -EMSGSIZE;
	memcpy(s->cmd + s->cmd_len, cmd + VR_CCID_HDR, dlen);
	s->cmd_len += dlen;
	return 0;
}

/* Extended APDU level, CCID 1.1 §6.1.4 wLevelParameter: 0 whole APDU,
 * 1 begins, 3 continues, 2 ends, 0x10 "next part of the response". */
static int xfr_extended(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	struct vr_slot *s = &c->slot[cmd[5]];
	uint16_t level = (uint16_t)(cmd[8] | cmd[9] << 8);
	int r;

	if (level == 0x10) {
		if (s->resp == NULL || dlen != 0)
			return fail(c, RDR_to_PC_DataBlock, cmd,
				    VR_ERR_BAD_LEVEL_PARAMETER);
		return send_resp_part(c, cmd);
	}
	if (level != 0 && level != 1 && level != 2 && level != 3)
		return fail(c, RDR_to_PC_DataBlock, cmd,
			    VR_ERR_BAD_LEVEL_PARAMETER);
	/* a new command abandons an unread response */
	free(s->resp);
	s->resp = NULL;
	s->resp_len = s->resp_off = 0;
	if (level == 0 || level == 1) {
		free(s->cmd);
		s->cmd = NULL;
		s->cmd_len = 0;
		if (level == 0)
			return run_apdu(c, cmd, cmd + VR_CCID_HDR, dlen);
	} else if (s->cmd == NULL) {
		/* continuation without a beginning */
		return fail(c, RDR_to_PC_DataBlock, cmd,
			    VR_ERR_BAD_LEVEL_PARAMETER);
	}
	r = chain_append(c, cmd, dlen);
	if (r < 0) {
		slot_drop_chain(s);
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_BAD_LENGTH);
	}
	if (level != 2)		/* "send the next part of the command" */
		return reply(c, RDR_to_PC_DataBlock, cmd, ICC_ACTIVE, 0, 0x10,
			     NULL, 0);
	r = run_apdu(c, cmd, s->cmd, s->cmd_len);
	free(s->cmd);
	s->cmd = NULL;
	s->cmd_len = 0;
	return r;
}

/* ISO 7816-3 §9: the first block after the ATR, starting with PPSS = FF,
 * is a PPS request when the reader leaves PPS to the host (no 0x80 and no
 * 0x40 in dwFeatures). A card that does not answer: ICC_MUTE. */
static int xfr_pps(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	struct vr_slot *s = &c->slot[cmd[5]];
	uint8_t out[6], fidi = 0x11;
	size_t n = 0;
	bool refuse = vr_fault_take(&c->faults, VR_FAULT_PPS_REFUSED);

	if (vr_pps_answer(cmd + VR_CCID_HDR, dlen, s->card->protocol, refuse,
			  out, &n, &fidi) < 0)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_ICC_MUTE);
	s->params[0] = fidi;
	return reply(c, RDR_to_PC_DataBlock, cmd, ICC_ACTIVE, 0, 0, out, n);
}

/* TPDU level: one T=0 TPDU or one T=1 block through the card. */
static int xfr_tpdu(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	struct vr_slot *s = &c->slot[cmd[5]];
	const uint8_t *in = cmd + VR_CCID_HDR;
	size_t room = c->cfg.dwMaxCCIDMessageLength - VR_CCID_HDR, n = 0;
	bool pps = s->pps_allowed && c->cfg.no_auto_pps &&
		   !c->cfg.auto_negotiate;
	int r;

	s->pps_allowed = false;
	if (pps && dlen > 0 && in[0] == 0xFF)
		return xfr_pps(c, cmd, dlen);
	if (s->card->protocol == 0)
		r = vr_tpdu_t0(s->tpdu, &c->faults, in, dlen, c->work,
			       VR_CARD_RESP_MAX, &n);
	else
		r = vr_tpdu_t1(s->tpdu, &c->faults, in, dlen, c->work,
			       VR_CARD_RESP_MAX, &n);
	switch (r) {
	case 0:
		break;
	case VR_TPDU_MUTE:
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_ICC_MUTE);
	case VR_TPDU_PROCEDURE:
		return fail(c, RDR_to_PC_DataBlock, cmd,
			    VR_ERR_PROCEDURE_BYTE_CONFLICT);
	case VR_TPDU_BAD_LENGTH:
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_BAD_LENGTH);
	default:
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_HW_ERROR);
	}
	/* an answer the host's message size cannot carry (CCID §6.2.1) */
	if (n > room)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_XFR_OVERRUN);
	return reply(c, RDR_to_PC_DataBlock, cmd, ICC_ACTIVE, 0, 0, c->work, n);
}

/* Faults that take the XfrBlock before the card sees it; true when the
 * message is dealt with. */
static bool xfr_faults(struct vr_ccid *c, const uint8_t *cmd)
{
	struct vr_slot *s = &c->slot[cmd[5]];
	unsigned *d = &c->faults.n[VR_FAULT_DISCONNECT_AFTER];

	if (*d && --*d == 0) {		/* hang up in the middle of it */
		c->disconnect = true;
		return true;
	}
	if (vr_fault_take(&c->faults, VR_FAULT_MUTE)) {
		fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_ICC_MUTE);
		return true;
	}
	if (vr_fault_take(&c->faults, VR_FAULT_LOSE_BLOCK)) {
		/* no answer until the host aborts (CCID 1.1 §5.3.1) */
		memcpy(s->lost_hdr, cmd, VR_CCID_HDR);
		s->lost = true;
		return true;
	}
	return false;
}

/* §6.1.4 PC_to_RDR_XfrBlock. */
static int cmd_xfr_block(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	struct vr_slot *s = &c->slot[cmd[5]];

	if (s->card == NULL || !s->powered)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_ICC_MUTE);
	if (xfr_faults(c, cmd))
		return 0;
	/* character level is announced but not implemented by this model */
	if (c->cfg.level == VR_LEVEL_CHARACTER)
		return fail(c, RDR_to_PC_DataBlock, cmd,
			    VR_ERR_CMD_NOT_SUPPORTED);
	if (c->cfg.level == VR_LEVEL_SHORT && dlen > 261)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_BAD_LENGTH);
	/* §6.2.6 time extension: bmCommandStatus 2, bError = BWT multiplier */
	for (unsigned i = 0; i < c->cfg.time_extension; i++)
		reply(c, RDR_to_PC_DataBlock, cmd, ICC_ACTIVE | CMD_TIME_EXTENSION,
		      1, 0, NULL, 0);
	if (c->cfg.level == VR_LEVEL_TPDU)
		return xfr_tpdu(c, cmd, dlen);
	s->pps_allowed = false;
	if (c->cfg.level == VR_LEVEL_SHORT)
		return run_apdu(c, cmd, cmd + VR_CCID_HDR, dlen);
	return xfr_extended(c, cmd, dlen);
}

static void slot_abort(struct vr_ccid *c, unsigned slot)
{
	struct vr_slot *s = &c->slot[slot];

	if (s->lost) {
		s->lost = false;
		fail(c, RDR_to_PC_DataBlock, s->lost_hdr, VR_ERR_CMD_ABORTED);
	}
	slot_drop_chain(s);
	vr_tpdu_reader_abort(s->tpdu);
}

/* Commands that answer with a SlotStatus and carry no abData. */
static int cmd_simple(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	if (dlen != 0)
		return fail(c, RDR_to_PC_SlotStatus, cmd, VR_ERR_BAD_LENGTH);
	switch (cmd[0]) {
	case PC_to_RDR_Abort:
		/* §6.1.13: an XfrBlock left unanswered (lose-block) is
		 * answered CMD_ABORTED first; any chaining of the slot ends */
		slot_abort(c, cmd[5]);
		return slot_status(c, cmd);
	case PC_to_RDR_Mechanical:	/* dwMechanical is 0 */
		return fail(c, RDR_to_PC_SlotStatus, cmd,
			    VR_ERR_CMD_NOT_SUPPORTED);
	default:			/* GetSlotStatus, T0APDU */
		return slot_status(c, cmd);
	}
}

/* CCID 1.1 §6.1.8 PC_to_RDR_Escape, answered only with --escape (vendor
 * commands: `01` firmware version, else the data echoed after EC). */
static int cmd_escape(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	const uint8_t *in = cmd + VR_CCID_HDR;
	uint8_t *out;
	int r;

	if (!c->cfg.escape)
		return fail(c, RDR_to_PC_Escape, cmd, VR_ERR_CMD_NOT_SUPPORTED);
	if (dlen == 1 && in[0] == 0x01)
		return reply(c, RDR_to_PC_Escape, cmd, icc_status(c, cmd[5]), 0,
			     0, (const uint8_t *)VR_CCID_FIRMWARE,
			     strlen(VR_CCID_FIRMWARE));
	out = malloc(dlen + 1);
	if (out == NULL)
		return fail(c, RDR_to_PC_Escape, cmd, VR_ERR_HW_ERROR);
	out[0] = VR_CCID_ESCAPE_ECHO;
	if (dlen)
		memcpy(out + 1, in, dlen);
	r = reply(c, RDR_to_PC_Escape, cmd, icc_status(c, cmd[5]), 0, 0, out,
		  dlen + 1);
	free(out);
	return r;
}

/* CCID 1.1 §6.1.11 PC_to_RDR_Secure on the PIN-pad model: the simulated
 * user's PIN goes into the APDU template (vr_pinpad.h), which the card then
 * gets like an XfrBlock. The built APDU holds the PIN: wiped after use. */
static int cmd_secure(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	struct vr_slot *s = &c->slot[cmd[5]];
	uint8_t apdu[5 + 255];
	size_t len = 0;
	int r;

	if (c->cfg.reader != VR_READER_PINPAD)	/* bPINSupport is 0 */
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_CMD_NOT_SUPPORTED);
	if (s->card == NULL || !s->powered)
		return fail(c, RDR_to_PC_DataBlock, cmd, VR_ERR_ICC_MUTE);
	if (cmd[8] != 0 || cmd[9] != 0)		/* no chained Secure */
		return fail(c, RDR_to_PC_DataBlock, cmd,
			    VR_ERR_BAD_LEVEL_PARAMETER);
	r = vr_pinpad_build(&c->cfg.user, cmd + VR_CCID_HDR, dlen, apdu,
			    sizeof(apdu), &len);
	if (r == 0) {
		slot_drop_chain(s);
		r = run_apdu(c, cmd, apdu, len);
	} else {
		r = fail(c, RDR_to_PC_DataBlock, cmd, (uint8_t)r);
	}
	explicit_bzero(apdu, sizeof(apdu));
	return r;
}

/* Reply type for a failure answer to each command (CCID 1.1 §6.2). */
static uint8_t reply_type(uint8_t type)
{
	switch (type) {
	case PC_to_RDR_IccPowerOn:
	case PC_to_RDR_XfrBlock:
	case PC_to_RDR_Secure:
		return RDR_to_PC_DataBlock;
	case PC_to_RDR_GetParameters:
	case PC_to_RDR_ResetParameters:
	case PC_to_RDR_SetParameters:
		return RDR_to_PC_Parameters;
	case PC_to_RDR_Escape:
		return RDR_to_PC_Escape;
	case PC_to_RDR_SetDataRateAndClockFrequency:
		return RDR_to_PC_DataRateAndClockFrequency;
	default:
		return RDR_to_PC_SlotStatus;
	}
}

/* One complete message: 10-byte header + dwLength bytes. */
static int handle(struct vr_ccid *c, const uint8_t *cmd, size_t dlen)
{
	if (cmd[5] >= c->cfg.nslots)
		return fail(c, reply_type(cmd[0]), cmd, VR_ERR_BAD_SLOT);
	switch (cmd[0]) {
	case PC_to_RDR_IccPowerOn:
		return cmd_power_on(c, cmd, dlen);
	case PC_to_RDR_IccPowerOff:
		return cmd_power_off(c, cmd, dlen);
	case PC_to_RDR_XfrBlock:
		return cmd_xfr_block(c, cmd, dlen);
	case PC_to_RDR_GetParameters:
	case PC_to_RDR_ResetParameters:
	case PC_to_RDR_SetParameters:
		return cmd_parameters(c, cmd, dlen);
	case PC_to_RDR_IccClock:
		return cmd_clock(c, cmd, dlen);
	case PC_to_RDR_SetDataRateAndClockFrequency:
		return cmd_rate_clock(c, cmd, dlen);
	case PC_to_RDR_GetSlotStatus:
	case PC_to_RDR_T0APDU:
	case PC_to_RDR_Abort:
	case PC_to_RDR_Mechanical:
		return cmd_simple(c, cmd, dlen);
	case PC_to_RDR_Escape:
		return cmd_escape(c, cmd, dlen);
	case PC_to_RDR_Secure:
		return cmd_secure(c, cmd, dlen);
	default:
		return fail(c, RDR_to_PC_SlotStatus, cmd, VR_ERR_CMD_NOT_SUPPORTED);
	}
}

/* Header complete: a message longer than dwMaxCCIDMessageLength can never
 * be buffered; answer it at once and drop the rest of its bytes. */
static bool check_oversized(struct vr_ccid *c, size_t chunk)
{
	uint64_t total = VR_CCID_HDR + (uint64_t)get_le32(c->in + 1);

	if (total <= c->cfg.dwMaxCCIDMessageLength)
		return false;
	fail(c, reply_type(c->in[0]), c->in, VR_ERR_BAD_LENGTH);
	/* only a full packet says that more of this transfer follows */
	if (chunk % VR_CCID_PACKET == 0 && total > c->in_len)
		c->skip = (size_t)(total - c->in_len);
	c->in_len = 0;
	return true;
}

/* The hangup:N fault: true when this whole bulk-OUT message is the N-th
 * since the fault was armed (any message type, so that a test can unplug
 * the reader at every step of an exchange). */
static bool hangup_now(struct vr_ccid *c)
{
	unsigned *h = &c->faults.n[VR_FAULT_HANGUP];

	return *h != 0 && --*h == 0;
}

void vr_ccid_bulk_out(struct vr_ccid *c, const uint8_t *data, size_t len)
{
	size_t cap = c->cfg.dwMaxCCIDMessageLength, total, n;

	if (len == 0) {
		/* a zero-length packet ends the transfer: whatever was begun
		 * is all there is */
		if (c->in_len >= VR_CCID_HDR)
			fail(c, reply_type(c->in[0]), c->in, VR_ERR_BAD_LENGTH);
		c->in_len = 0;
		c->skip = 0;
		return;
	}
	if (c->skip) {
		n = len < c->skip ? len : c->skip;
		c->skip = len % VR_CCID_PACKET ? 0 : c->skip - n;
		return;
	}
	n = len < cap - c->in_len ? len : cap - c->in_len;
	memcpy(c->in + c->in_len, data, n);
	c->in_len += n;
	if (c->in_len < VR_CCID_HDR) {
		/* a transfer too short to hold a header cannot be answered */
		if (len % VR_CCID_PACKET)
			c->in_len = 0;
		return;
	}
	if (check_oversized(c, len))
		return;
	total = VR_CCID_HDR + get_le32(c->in + 1);
	if (c->in_len < total && len % VR_CCID_PACKET == 0)
		return;			/* the next packet continues it */
	if (hangup_now(c))
		c->disconnect = true;	/* unplugged before it is read */
	else if (c->in_len != total || n != len)
		fail(c, reply_type(c->in[0]), c->in, VR_ERR_BAD_LENGTH);
	else
		handle(c, c->in, total - VR_CCID_HDR);
	c->in_len = 0;
}

size_t vr_ccid_bulk_in_pending(const struct vr_ccid *ccid)
{
	const struct vr_msg *m = ccid->bulk.head;

	return m ? m->len - m->off : 0;
}

size_t vr_ccid_bulk_in(struct vr_ccid *ccid, uint8_t *buf, size_t cap)
{
	struct vr_msg *m = ccid->bulk.head;
	size_t n;

	if (m == NULL)
		return 0;
	n = m->len - m->off < cap ? m->len - m->off : cap;
	memcpy(buf, m->data + m->off, n);
	m->off += n;
	if (m->off == m->len)
		queue_pop(&ccid->bulk);
	return n;
}

size_t vr_ccid_notify_len(const struct vr_ccid *ccid)
{
	return 1 + (2 * ccid->cfg.nslots + 7) / 8;
}

/* CCID 1.1 §6.3.1 RDR_to_PC_NotifySlotChange: bmSlotICCState, two bits per
 * slot from the LSB: bit 2n present, bit 2n+1 changed. Clears the changed
 * bits it reports. */
static size_t notify_build(struct vr_ccid *c, uint8_t *buf, size_t cap)
{
	size_t len = vr_ccid_notify_len(c);

	if (cap < len)
		return 0;
	memset(buf, 0, len);
	buf[0] = RDR_to_PC_NotifySlotChange;
	for (unsigned i = 0; i < c->cfg.nslots; i++) {
		uint8_t bits = (c->slot[i].card ? 1 : 0) |
			       (c->slot[i].changed ? 2 : 0);

		buf[1 + i / 4] |= (uint8_t)(bits << (2 * (i % 4)));
		c->slot[i].changed = false;
	}
	return len;
}

static void notify_queue(struct vr_ccid *c)
{
	uint8_t tmp[1 + VR_CCID_MAX_SLOTS / 4];
	size_t len = notify_build(c, tmp, sizeof(tmp));
	uint8_t *m = queue_push(&c->intr, len);

	if (m)
		memcpy(m, tmp, len);
}

int vr_ccid_insert(struct vr_ccid *ccid, unsigned slot, const struct vr_card *card)
{
	struct vr_slot *s;

	if (slot >= ccid->cfg.nslots)
		return -EINVAL;
	s = &ccid->slot[slot];
	if (card && !card_fits(&ccid->cfg, card))
		return -EINVAL;
	if (s->card)
		return -EALREADY;
	s->card = card ? card : ccid->cfg.insert_card;
	s->powered = false;
	s->clock_stopped = false;
	slot_default_params(ccid, s);
	slot_card_in(ccid, s);
	s->changed = true;
	notify_queue(ccid);
	return 0;
}

int vr_ccid_remove(struct vr_ccid *ccid, unsigned slot)
{
	struct vr_slot *s;

	if (slot >= ccid->cfg.nslots)
		return -EINVAL;
	s = &ccid->slot[slot];
	if (s->card == NULL)
		return -EALREADY;
	slot_drop_chain(s);
	s->card = NULL;
	s->lost = false;
	s->powered = false;
	s->clock_stopped = false;
	slot_default_params(ccid, s);
	s->changed = true;
	notify_queue(ccid);
	return 0;
}

bool vr_ccid_present(const struct vr_ccid *ccid, unsigned slot)
{
	return slot < ccid->cfg.nslots && ccid->slot[slot].card != NULL;
}

bool vr_ccid_powered(const struct vr_ccid *ccid, unsigned slot)
{
	return slot < ccid->cfg.nslots && ccid->slot[slot].powered;
}

size_t vr_ccid_interrupt(struct vr_ccid *ccid, uint8_t *buf, size_t cap)
{
	struct vr_msg *m = ccid->intr.head;
	size_t n;

	if (m == NULL || cap < m->len)
		return 0;
	n = m->len;
	memcpy(buf, m->data, n);
	queue_pop(&ccid->intr);
	return n;
}

size_t vr_ccid_interrupt_initial(struct vr_ccid *ccid, uint8_t *buf, size_t cap)
{
	queue_clear(&ccid->intr);
	/* a host that starts listening knows nothing: every card is news */
	for (unsigned i = 0; i < ccid->cfg.nslots; i++)
		ccid->slot[i].changed = ccid->slot[i].card != NULL;
	return notify_build(ccid, buf, cap);
}

static size_t put_u32_array(const uint32_t *v, size_t n, uint8_t *out,
			    size_t cap)
{
	size_t len = 0;

	for (size_t i = 0; i < n && len + 4 <= cap; i++, len += 4)
		put_le32(out + len, v[i]);
	return len;
}

/* CCID 1.1 §5.3 class-specific requests. */
int vr_ccid_control(struct vr_ccid *ccid, uint8_t bRequest, uint16_t wValue,
		    uint8_t *out, size_t cap, size_t *out_len)
{
	static const uint32_t clocks[] = { VR_CLOCK_KHZ };
	unsigned slot = wValue & 0xFF;

	*out_len = 0;
	switch (bRequest) {
	case 0x01:	/* ABORT: wValue = bSeq << 8 | bSlot */
		if (slot >= ccid->cfg.nslots)
			return -EINVAL;
		/* the bulk PC_to_RDR_Abort that follows answers the rest */
		slot_drop_chain(&ccid->slot[slot]);
		vr_tpdu_reader_abort(ccid->slot[slot].tpdu);
		return 0;
	case 0x02:	/* GET_CLOCK_FREQUENCIES */
		*out_len = put_u32_array(clocks, 1, out, cap);
		return 0;
	case 0x03:	/* GET_DATA_RATES */
		*out_len = put_u32_array(data_rates, sizeof(data_rates) /
					 sizeof(data_rates[0]), out, cap);
		return 0;
	default:
		return -EINVAL;
	}
}

int vr_ccid_add_fault(struct vr_ccid *ccid, const char *spec)
{
	return vr_fault_parse(&ccid->faults, spec);
}

bool vr_ccid_fault_take(struct vr_ccid *ccid, enum vr_fault_kind k)
{
	return vr_fault_take(&ccid->faults, k);
}

bool vr_ccid_take_disconnect(struct vr_ccid *ccid)
{
	bool d = ccid->disconnect;

	ccid->disconnect = false;
	return d;
}
