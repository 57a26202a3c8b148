/* ccidkit — the protocol matrix through the winscard API (issue 5):
 * {T=0 card, T=1 card} × {TPDU, short APDU, extended APDU level} ×
 * {ISO 7816-4 case 1, 2, 3, 4} × response/command lengths {0, 1, 254,
 * 255, 256, 257, 4096, 65535}, exact bytes, against `ccidkit vreader`;
 * then fault plans (`--fault SPEC`), each ending in its documented error
 * or a recovery, and the next APDU working.
 *
 * The library reads CCIDKIT_USBREDIR once per process (fixture.h), so
 * every reader configuration runs in a child process of its own, with its
 * own vreader; the parent only counts the children's verdicts.
 *
 * APDUs (the test card, `ccidkit vreader --help`):
 *  case 1  NOP      80 16 00 00                  → 90 00
 *  case 2  PATTERN  80 12 P1 P2 Le, N = P1P2 = L  → 00 01 .. (L bytes) 90 00
 *  case 3  SINK     80 14 00 00 Lc data (L bytes) → 90 00
 *  case 4  ECHO     80 10 00 00 Lc data Le = L    → data 90 00
 * (case 3 is SINK, not ECHO: the test card's ECHO without Le still
 * returns its data, which is no case-3 answer — over T=0 it would come
 * back as 61 xx — so the cell could not be the same for every protocol)
 * Lengths the spec forbids are skipped, each for its reason:
 *  - case 1 has no length: run once, as "length 0";
 *  - cases 3 and 4 need Nc ≥ 1 (ISO 7816-4 §5.1): no length 0.
 * Lengths that need the extended form (ISO 7816-4 §5.1: Ne > 256 for
 * case 2, Nc > 255 for cases 3 and 4) work at TPDU level (T=1 chains
 * blocks; T=0 uses ENVELOPE, which the vreader's T=0 card takes) and at
 * extended APDU level; a short-APDU reader cannot carry them (CCID 1.1
 * §5.1, dwFeatures 0x20000), and SCardTransmit answers with the
 * documented error SCARD_E_UNSUPPORTED_FEATURE (ccid/slot.h:
 * CCID_E_NOT_SUPPORTED). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

static const size_t lengths[] = { 0, 1, 254, 255, 256, 257, 4096, 65535 };
#define NLENGTHS (sizeof(lengths) / sizeof(lengths[0]))

/* The configuration this child process runs. */
struct matrix_cfg {
	const char *name;
	const char *args[8];   /* vreader arguments, NULL-terminated */
	bool t1;               /* the card speaks T=1 (else T=0) */
	bool no_ext;           /* extended APDUs cannot be carried */
};

static const struct matrix_cfg matrix[] = {
	{ "T=0 TPDU", { "--card", "test-t0", "--level", "tpdu" }, false, false },
	{ "T=0 short", { "--card", "test-t0", "--level", "short" }, false, true },
	{ "T=0 extended", { "--card", "test-t0", "--level", "extended" }, false, false },
	{ "T=1 TPDU", { "--card", "test", "--level", "tpdu" }, true, false },
	{ "T=1 short", { "--card", "test", "--level", "short" }, true, true },
	{ "T=1 extended", { "--card", "test", "--level", "extended" }, true, false },
	/* small IFSC (16): long chains both ways */
	{ "T=1 TPDU IFSC 16", { "--card", "test", "--level", "tpdu", "--ifsc", "16" },
	  true, false },
	/* 64-byte CCID messages: T=1 blocks shrink to fit (IFSD, IFSC ≤ 49) */
	{ "T=1 TPDU max-msg 64", { "--card", "test", "--level", "tpdu", "--max-msg", "64" },
	  true, false },
	/* CRC instead of LRC (ATR TC3 = 01, ISO 7816-3 §11.4.4) */
	{ "T=1 TPDU CRC", { "--card", "test", "--level", "tpdu", "--t1-crc" }, true, false },
	/* a T=0 card without ENVELOPE: extended APDUs cannot be carried
	 * (t0.h: ENVELOPE answered 6D 00 → CCID_E_NOT_SUPPORTED) */
	{ "T=0 TPDU no ENVELOPE", { "--card", "test-t0", "--level", "tpdu", "--envelope",
				    "off" }, false, true },
	/* the reader sends time extensions before every answer */
	{ "T=0 TPDU time extension", { "--card", "test-t0", "--level", "tpdu",
				       "--time-extension", "2" }, false, false },
};
#define NMATRIX (sizeof(matrix) / sizeof(matrix[0]))

static const struct matrix_cfg *g_cfg;

static SCARDCONTEXT C(void **state)
{
	return *(SCARDCONTEXT *)*state;
}

static const SCARD_IO_REQUEST *pci_of(DWORD proto)
{
	return proto == SCARD_PROTOCOL_T1 ? SCARD_PCI_T1 : SCARD_PCI_T0;
}

/* ------------------------------------------------------------------ */
/* APDU building (ISO 7816-4 §5.1) and the expected answers            */

struct apdu {
	uint8_t *cmd;
	size_t cmd_len;
	uint8_t *want;     /* expected response, SW included */
	size_t want_len;
	bool extended;
};

static void apdu_free(struct apdu *a)
{
	free(a->cmd);
	free(a->want);
	memset(a, 0, sizeof(*a));
}

static void want_sw9000(struct apdu *a, size_t data_len, const uint8_t *data)
{
	a->want = malloc(data_len + 2);
	assert_non_null(a->want);
	if (data_len > 0)
		memcpy(a->want, data, data_len);
	a->want[data_len] = 0x90;
	a->want[data_len + 1] = 0x00;
	a->want_len = data_len + 2;
}

/* Lc / Le fields: short when both fit, else both extended (§5.1: one
 * form for the whole APDU). */
static void apdu_build(struct apdu *a, int kase, size_t len)
{
	uint8_t *data = malloc(len + 1);
	size_t n = 0;
	uint8_t *c;

	assert_non_null(data);
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	a->extended = (kase == 2 && len > 256) || (kase >= 3 && len > 255);
	c = a->cmd = malloc(len + 16);
	assert_non_null(c);
	c[n++] = 0x80;
	c[n++] = kase == 1 ? 0x16 : kase == 2 ? 0x12 : kase == 3 ? 0x14 : 0x10;
	c[n++] = kase == 2 ? (uint8_t)(len >> 8) : 0x00;
	c[n++] = kase == 2 ? (uint8_t)len : 0x00;
	if (kase >= 3) {               /* Lc + data */
		if (a->extended) {
			c[n++] = 0x00;
			c[n++] = (uint8_t)(len >> 8);
		}
		c[n++] = (uint8_t)len;
		memcpy(c + n, data, len);
		n += len;
	}
	if (kase == 2 || kase == 4) {  /* Le = L (short 00 = 256) */
		if (a->extended && kase == 2)
			c[n++] = 0x00;
		if (a->extended)
			c[n++] = (uint8_t)(len >> 8);
		c[n++] = (uint8_t)len;
	}
	a->cmd_len = n;
	if (kase == 2) {
		for (size_t i = 0; i < len; i++)
			data[i] = (uint8_t)i;
		want_sw9000(a, len, data);
	} else {
		want_sw9000(a, kase == 4 ? len : 0, data);
	}
	free(data);
}

/* One cell: exact bytes, or the documented error.  Returns 1 when it
 * failed (printed), 0 when it passed. */
static int run_cell(SCARDHANDLE h, DWORD proto, int kase, size_t len,
		    uint8_t *resp)
{
	struct apdu a;
	DWORD rlen = MAX_BUFFER_SIZE_EXTENDED;
	LONG rv, want_rv;
	int bad = 0;

	apdu_build(&a, kase, len);
	want_rv = a.extended && g_cfg->no_ext ?
		  SCARD_E_UNSUPPORTED_FEATURE : SCARD_S_SUCCESS;
	rv = SCardTransmit(h, pci_of(proto), a.cmd, (DWORD)a.cmd_len, NULL,
			   resp, &rlen);
	if (rv != want_rv) {
		print_error("%s case %d length %zu: SCardTransmit 0x%08lX, expected 0x%08lX\n",
			    g_cfg->name, kase, len, (unsigned long)rv,
			    (unsigned long)want_rv);
		bad = 1;
	} else if (rv == SCARD_S_SUCCESS &&
		   (rlen != a.want_len || memcmp(resp, a.want, a.want_len))) {
		print_error("%s case %d length %zu: %lu response bytes (want %zu), SW %02X %02X\n",
			    g_cfg->name, kase, len, (unsigned long)rlen,
			    a.want_len, rlen >= 2 ? resp[rlen - 2] : 0,
			    rlen >= 2 ? resp[rlen - 1] : 0);
		bad = 1;
	}
	apdu_free(&a);
	return bad;
}

static void matrix_case(void **state, int kase)
{
	DWORD proto = 0;
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED,
				   &proto);
	uint8_t *resp = malloc(MAX_BUFFER_SIZE_EXTENDED);
	int bad = 0, ran = 0;

	assert_non_null(resp);
	assert_int_equal(proto, g_cfg->t1 ? SCARD_PROTOCOL_T1 :
			 SCARD_PROTOCOL_T0);
	for (size_t i = 0; i < NLENGTHS; i++) {
		size_t len = lengths[i];

		if (kase == 1 && len != 0)
			continue; /* case 1 carries no length */
		if (kase >= 3 && len == 0)
			continue; /* Nc = 0 is no case 3/4 APDU */
		bad += run_cell(h, proto, kase, len, resp);
		ran++;
	}
	print_message("%s case %d: %d cells, %d wrong\n", g_cfg->name, kase,
		      ran, bad);
	free(resp);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	assert_int_equal(bad, 0);
}

static void test_case1(void **state) { matrix_case(state, 1); }
static void test_case2(void **state) { matrix_case(state, 2); }
static void test_case3(void **state) { matrix_case(state, 3); }
static void test_case4(void **state) { matrix_case(state, 4); }

/* ------------------------------------------------------------------ */
/* Fault plans                                                        */

/* ECHO of 16 bytes, exact answer expected. */
static LONG echo16(SCARDHANDLE h, DWORD proto)
{
	uint8_t cmd[22] = { 0x80, 0x10, 0x00, 0x00, 0x10 };
	uint8_t resp[64];
	DWORD rlen = sizeof(resp);
	LONG rv;

	for (int i = 0; i < 16; i++)
		cmd[5 + i] = (uint8_t)(0xA0 + i);
	cmd[21] = 0x10;
	rv = SCardTransmit(h, pci_of(proto), cmd, sizeof(cmd), NULL, resp,
			   &rlen);
	if (rv != SCARD_S_SUCCESS)
		return rv;
	assert_int_equal(rlen, 18);
	assert_memory_equal(resp, cmd + 5, 16);
	assert_int_equal(resp[16], 0x90);
	assert_int_equal(resp[17], 0x00);
	return rv;
}

/* Recovered inside the driver: Connect, two APDUs, all fine (bad EDC →
 * R-block and retransmission, ISO 7816-3 §11.6.3; S(WTX) answered;
 * a lost block → abort sequence, R-block; stale bSeq skipped; a reply
 * split over bulk transfers reassembled). */
static void test_fault_recovers(void **state)
{
	DWORD proto = 0;
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED,
				   &proto);

	assert_rv(echo16(h, proto), SCARD_S_SUCCESS);
	assert_rv(echo16(h, proto), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* The card stays mute at the first power-on: SCardConnect reports
 * SCARD_W_UNRESPONSIVE_CARD (pcsc-abi.md), the next Connect powers it
 * again and APDUs work. */
static void test_fault_mute_power_on(void **state)
{
	SCARDHANDLE h = 0;
	DWORD proto = 0;

	assert_rv(SCardConnect(C(state), VR_READER, SCARD_SHARE_SHARED,
			       SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &h,
			       &proto), SCARD_W_UNRESPONSIVE_CARD);
	h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED, &proto);
	assert_rv(echo16(h, proto), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* T=0 at TPDU level: the reader reports a procedure byte conflict (bError
 * F4) for the first TPDU: that APDU fails with SCARD_E_NOT_TRANSACTED,
 * the next one works. */
static void test_fault_bad_procedure(void **state)
{
	DWORD proto = 0;
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED,
				   &proto);

	assert_int_equal(proto, SCARD_PROTOCOL_T0);
	assert_rv(echo16(h, proto), SCARD_E_NOT_TRANSACTED);
	assert_rv(echo16(h, proto), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* T=1: the card corrupts the EDC of six blocks in a row: the engine's
 * retries (§11.6.3: 3 attempts, then S(RESYNCH) 3 times) run out, the
 * card is deactivated (CCID_E_XFR → IccPowerOff), and the handle sees
 * SCARD_W_RESET_CARD until SCardReconnect powers it up again; then the
 * next APDU works. */
static void test_fault_t1_gives_up(void **state)
{
	DWORD proto = 0;
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED,
				   &proto);
	LONG rv;

	rv = echo16(h, proto);
	assert_rv(rv, SCARD_W_RESET_CARD);
	assert_rv(echo16(h, proto), SCARD_W_RESET_CARD);
	assert_rv(SCardReconnect(h, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
				 SCARD_RESET_CARD, &proto), SCARD_S_SUCCESS);
	assert_rv(echo16(h, proto), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* A hung reader: the T=0 TPDU gets no answer at all; after WT + margin
 * the driver aborts (class ABORT + PC_to_RDR_Abort, CCID 1.1 §5.3.1), the
 * APDU fails with SCARD_E_NOT_TRANSACTED (CCID_E_TIMEOUT), and the slot
 * works again. */
static void test_fault_hung(void **state)
{
	DWORD proto = 0;
	SCARDHANDLE h = connect_ok(C(state), VR_READER, SCARD_SHARE_SHARED,
				   &proto);

	assert_rv(echo16(h, proto), SCARD_E_NOT_TRANSACTED);
	assert_rv(echo16(h, proto), SCARD_S_SUCCESS);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* A character-level reader is refused at open (reader.h): no reader. */
static void test_character_refused(void **state)
{
	DWORD len = 0;

	assert_rv(SCardListReaders(C(state), NULL, NULL, &len),
		  SCARD_E_NO_READERS_AVAILABLE);
}

struct fault_cfg {
	const char *name;
	const char *args[10];
	void (*test)(void **state);
};

static const struct fault_cfg faults[] = {
	{ "T=1 bad-edc:2", { "--card", "test", "--level", "tpdu", "--fault", "bad-edc:2" },
	  test_fault_recovers },
	{ "T=1 wtx:3", { "--card", "test", "--level", "tpdu", "--fault", "wtx:3" },
	  test_fault_recovers },
	{ "T=1 lose-block:1", { "--card", "test", "--level", "tpdu", "--fault", "lose-block:1" },
	  test_fault_recovers },
	{ "T=1 wrong-bseq:2", { "--card", "test", "--level", "tpdu", "--fault", "wrong-bseq:2" },
	  test_fault_recovers },
	{ "T=1 split:4", { "--card", "test", "--level", "tpdu", "--fault", "split:4" },
	  test_fault_recovers },
	{ "T=0 wrong-bseq:2", { "--card", "test-t0", "--level", "tpdu", "--fault", "wrong-bseq:2" },
	  test_fault_recovers },
	{ "T=1 mute:1", { "--card", "test", "--level", "tpdu", "--fault", "mute:1" },
	  test_fault_mute_power_on },
	{ "T=0 mute:1", { "--card", "test-t0", "--level", "tpdu", "--fault", "mute:1" },
	  test_fault_mute_power_on },
	/* reader variants that must simply work */
	{ "T=1 --auto-negotiate", { "--card", "test", "--level", "tpdu", "--auto-negotiate" },
	  test_fault_recovers },
	{ "T=1 --no-auto-pps", { "--card", "test", "--level", "tpdu", "--no-auto-pps" },
	  test_fault_recovers },
	{ "T=0 --no-auto-pps", { "--card", "test-t0", "--level", "tpdu", "--no-auto-pps" },
	  test_fault_recovers },
	{ "T=0 lose-block:1", { "--card", "test-t0", "--level", "tpdu", "--fault", "lose-block:1" },
	  test_fault_hung },
	{ "T=1 stall:1", { "--card", "test", "--level", "tpdu", "--fault", "stall:1" },
	  test_fault_recovers },
	{ "character level", { "--card", "test", "--level", "character" },
	  test_character_refused },
	{ "T=0 bad-procedure:1", { "--card", "test-t0", "--level", "tpdu", "--fault", "bad-procedure:1" },
	  test_fault_bad_procedure },
	/* the reader sends S(IFS) itself (--auto-ifsd), so the six bad
	 * blocks (3 attempts + 3 S(RESYNCH)) all fall on the first APDU */
	{ "T=1 bad-edc:6", { "--card", "test", "--level", "tpdu", "--auto-ifsd", "--fault", "bad-edc:6" },
	  test_fault_t1_gives_up },
};
#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

/* ------------------------------------------------------------------ */
/* One child per reader configuration                                 */

#define T(f) cmocka_unit_test_setup_teardown(f, ctx_setup, ctx_teardown)

static int child_matrix(const struct matrix_cfg *cfg)
{
	const struct CMUnitTest tests[] = {
		T(test_case1), T(test_case2), T(test_case3), T(test_case4),
	};
	char name[64];
	int rc;

	g_cfg = cfg;
	if (vr_start(&g_vr, cfg->args) != 0)
		return 1;
	snprintf(name, sizeof(name), "matrix %s", cfg->name);
	rc = cmocka_run_group_tests_name(name, tests, NULL, NULL);
	vr_stop(&g_vr);
	return rc;
}

static int child_fault(const struct fault_cfg *cfg)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(cfg->test, ctx_setup,
						ctx_teardown),
	};
	char name[64];
	int rc;

	if (vr_start(&g_vr, cfg->args) != 0)
		return 1;
	snprintf(name, sizeof(name), "fault %s", cfg->name);
	rc = cmocka_run_group_tests_name(name, tests, NULL, NULL);
	vr_stop(&g_vr);
	return rc;
}

/* Run fn(i) in a child; its exit status, or 1 when it died. */
static int in_child(int (*fn)(size_t), size_t i)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0)
		_exit(fn(i) == 0 ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid)
		return 1;
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "child %zu killed by signal %d\n", i,
			WTERMSIG(status));
		return 1;
	}
	return WEXITSTATUS(status);
}

static int run_matrix(size_t i) { return child_matrix(&matrix[i]); }
static int run_fault(size_t i) { return child_fault(&faults[i]); }

int main(int argc, char **argv)
{
	int failed = 0;
	const char *only = argc > 1 ? argv[1] : NULL; /* a name to run alone */

	vr_require_binary("test_matrix");
	for (size_t i = 0; i < NMATRIX; i++)
		if (!only || strcmp(only, matrix[i].name) == 0)
			failed += in_child(run_matrix, i) != 0;
	for (size_t i = 0; i < NFAULTS; i++)
		if (!only || strcmp(only, faults[i].name) == 0)
			failed += in_child(run_fault, i) != 0;
	if (failed)
		fprintf(stderr, "test_matrix: %d configuration(s) failed\n",
			failed);
	return failed ? 1 : 0;
}
