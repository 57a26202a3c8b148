/* ccidkit — PC/SC Part 10 PIN-pad features through the winscard API,
 * against `ccidkit vreader --reader pinpad` (pcsc-abi.md §4, ccid-spec.md
 * §9): the exact GET_FEATURE_REQUEST, GET_TLV_PROPERTIES and
 * IFD_PIN_PROPERTIES bytes, VERIFY / MODIFY PIN DIRECT (PC_to_RDR_Secure)
 * with the right PIN, a wrong one and a cancelled entry, and no PIN in
 * the CCIDKIT_DEBUG=3 output; and the Part 3 pseudo-APDUs the driver
 * answers itself on this contact reader.
 *
 * The library reads CCIDKIT_USBREDIR once per process, and each case
 * needs another PIN-pad configuration: every group runs in its own child
 * process with its own vreader (fork before any SCard call). */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

#define PP_READER "ccidkit Virtual PIN-pad Reader 00 00"
/* The PIN the simulated keypad "types", and the card's. */
#define PIN_TYPED "739146"
#define PIN_CARD "739146"
#define PIN_WRONG "555555"

#define IOCTL_VERIFY 0x42330006u
#define IOCTL_MODIFY 0x42330007u
#define IOCTL_PIN_PROPERTIES 0x4233000Au
#define IOCTL_TLV_PROPERTIES 0x42330012u

/* ---- the structures an application builds (Part 10 §2.5.2, §2.5.3) */

/* VERIFY (ISO 7816-4 INS 20) of reference 81, an 8-byte ASCII PIN block
 * padded with FF: bmFormatString 0x82 = byte units, PIN at offset 0,
 * left-justified, ASCII; no length field; 4..8 digits; OK key ends entry. */
static const uint8_t verify_apdu[] = {
	0x00, 0x20, 0x00, 0x81, 0x08,
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

static size_t build_verify(uint8_t *buf)
{
	PIN_VERIFY_STRUCTURE *v = (PIN_VERIFY_STRUCTURE *)buf;

	memset(v, 0, sizeof(*v));
	v->bTimerOut = 5;
	v->bmFormatString = 0x82;
	v->bmPINBlockString = 0x08;
	v->wPINMaxExtraDigit = 0x0408;
	v->bEntryValidationCondition = 0x02;
	v->bNumberMessage = 0x01;
	v->wLangId = 0x0409;
	v->ulDataLength = sizeof(verify_apdu);
	memcpy(buf + sizeof(*v), verify_apdu, sizeof(verify_apdu));
	return sizeof(*v) + sizeof(verify_apdu);
}

/* CHANGE REFERENCE DATA (INS 24) of reference 81: old PIN block at
 * offset 0, new one at offset 8 of the data. */
static const uint8_t modify_apdu[] = {
	0x00, 0x24, 0x00, 0x81, 0x10,
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
	0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

static size_t build_modify(uint8_t *buf)
{
	PIN_MODIFY_STRUCTURE *m = (PIN_MODIFY_STRUCTURE *)buf;

	memset(m, 0, sizeof(*m));
	m->bTimerOut = 5;
	m->bmFormatString = 0x82;
	m->bmPINBlockString = 0x08;
	m->bInsertionOffsetOld = 0;
	m->bInsertionOffsetNew = 8;
	m->wPINMaxExtraDigit = 0x0408;
	m->bConfirmPIN = 0x03; /* old PIN entered, new one confirmed */
	m->bEntryValidationCondition = 0x02;
	m->bNumberMessage = 0x03;
	m->wLangId = 0x0409;
	m->bMsgIndex2 = 1;
	m->bMsgIndex3 = 2;
	m->ulDataLength = sizeof(modify_apdu);
	memcpy(buf + sizeof(*m), modify_apdu, sizeof(modify_apdu));
	return sizeof(*m) + sizeof(modify_apdu);
}

/* ---- helpers */

static SCARDHANDLE pp_connect(SCARDCONTEXT ctx)
{
	DWORD proto = 0;
	SCARDHANDLE h = connect_ok(ctx, PP_READER, SCARD_SHARE_SHARED, &proto);

	assert_int_equal(proto, SCARD_PROTOCOL_T1); /* the test card's */
	return h;
}

/* SCardControl expecting SCARD_S_SUCCESS; the answer's length returned. */
static DWORD control_ok(SCARDHANDLE h, DWORD code, const uint8_t *in,
			size_t in_len, uint8_t *out, DWORD cap)
{
	DWORD len = 0;

	assert_rv(SCardControl(h, code, in, (DWORD)in_len, out, cap, &len),
		  SCARD_S_SUCCESS);
	return len;
}

static void assert_sw(const uint8_t *out, DWORD len, uint8_t sw1, uint8_t sw2)
{
	assert_int_equal(len, 2);
	assert_int_equal(out[0], sw1);
	assert_int_equal(out[1], sw2);
}

static void verify_expect(SCARDCONTEXT ctx, uint8_t sw1, uint8_t sw2)
{
	uint8_t in[64], out[258];
	SCARDHANDLE h = pp_connect(ctx);
	size_t n = build_verify(in);
	DWORD len = control_ok(h, IOCTL_VERIFY, in, n, out, sizeof(out));

	assert_sw(out, len, sw1, sw2);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- group "right PIN": discovery, properties, VERIFY, MODIFY */

/* Part 10 §2.3: tag, length 4, control code big-endian; the PIN features
 * first, then GET_TLV_PROPERTIES and the escape (libccid's order). */
static void test_feature_request(void **state)
{
	static const uint8_t want[] = {
		0x06, 4, 0x42, 0x33, 0x00, 0x06,
		0x07, 4, 0x42, 0x33, 0x00, 0x07,
		0x0A, 4, 0x42, 0x33, 0x00, 0x0A,
		0x12, 4, 0x42, 0x33, 0x00, 0x12,
		0x13, 4, 0x42, 0x00, 0x00, 0x01,
	};
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE h = pp_connect(ctx);
	uint8_t out[256], small[sizeof(want) - 1];
	DWORD len = control_ok(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, out,
			       sizeof(out));

	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	/* one byte short: pcsc-lite's SCARD_E_INSUFFICIENT_BUFFER */
	assert_rv(SCardControl(h, CM_IOCTL_GET_FEATURE_REQUEST, NULL, 0, small,
			       sizeof(small), &len),
		  SCARD_E_INSUFFICIENT_BUFFER);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* Part 10 §2.6.14: tag, length, little-endian value, ascending tags. */
static void test_tlv_properties(void **state)
{
	static const uint8_t want[] = {
		0x01, 2, 0x10, 0x02,             /* wLcdLayout: 2 lines x 16 */
		0x02, 1, 0x07,                   /* bEntryValidationCondition */
		0x03, 1, 0x00,                   /* bTimeOut2 */
		0x04, 2, 0x10, 0x00,             /* wLcdMaxCharacters 16 */
		0x05, 2, 0x02, 0x00,             /* wLcdMaxLines 2 */
		0x09, 1, 0x00,                   /* bPPDUSupport */
		0x0A, 4, 0x00, 0x00, 0x01, 0x00, /* dwMaxAPDUDataSize 65536 */
		0x0B, 2, 0x09, 0x12,             /* wIdVendor 0x1209 */
		0x0C, 2, 0x03, 0x00,             /* wIdProduct 0x0003 */
	};
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE h = pp_connect(ctx);
	uint8_t out[256];
	DWORD len = control_ok(h, IOCTL_TLV_PROPERTIES, NULL, 0, out,
			       sizeof(out));

	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* PIN_PROPERTIES_STRUCTURE: wLcdLayout 0210 (the vreader's default
 * display, little-endian), validation 07, bTimeOut2 0. */
static void test_pin_properties(void **state)
{
	static const uint8_t want[] = { 0x10, 0x02, 0x07, 0x00 };
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE h = pp_connect(ctx);
	uint8_t out[64];
	DWORD len = control_ok(h, IOCTL_PIN_PROPERTIES, NULL, 0, out,
			       sizeof(out));

	assert_int_equal(len, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(sizeof(PIN_PROPERTIES_STRUCTURE), 4);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

static void test_verify_right_pin(void **state)
{
	verify_expect(*(SCARDCONTEXT *)*state, 0x90, 0x00);
}

/* A structure whose ulDataLength disagrees with its size is refused
 * before anything reaches the reader: libccid answers IFD_NOT_SUPPORTED,
 * which pcscd turns into SCARD_E_UNSUPPORTED_FEATURE. */
static void test_verify_bad_structure(void **state)
{
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE h = pp_connect(ctx);
	uint8_t in[64], out[64];
	size_t n = build_verify(in);
	DWORD len = 0;

	((PIN_VERIFY_STRUCTURE *)in)->ulDataLength = 99;
	assert_rv(SCardControl(h, IOCTL_VERIFY, in, (DWORD)n, out, sizeof(out),
			       &len),
		  SCARD_E_UNSUPPORTED_FEATURE);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* PC/SC Part 3 pseudo-APDUs on this contact reader (no Part 3 firmware)
 * are answered by the driver, never sent to the card: GET DATA P1 01 the
 * ATR's historical bytes, everything else refused with Part 3's status
 * words. */
static void test_pseudo_apdus_contact(void **state)
{
	static const struct {
		uint8_t apdu[12];
		size_t len;
		uint8_t resp[12];
		size_t rlen;
	} cases[] = {
		/* historical bytes of 3B 88 81 31 FE 45 "ccidkit1" C9 */
		{ { 0xFF, 0xCA, 0x01, 0x00, 0x00 }, 5,
		  { 'c', 'c', 'i', 'd', 'k', 'i', 't', '1', 0x90, 0x00 }, 10 },
		{ { 0xFF, 0xCA, 0x01, 0x00, 0x04 }, 5, { 0x6C, 0x08 }, 2 },
		{ { 0xFF, 0xCA, 0x00, 0x00, 0x00 }, 5, { 0x6A, 0x81 }, 2 },
		{ { 0xFF, 0xCA, 0x00, 0x00 }, 4, { 0x67, 0x00 }, 2 },
		{ { 0xFF, 0x82, 0x00, 0x00, 0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
		    0xFF }, 11, { 0x6A, 0x81 }, 2 },
		{ { 0xFF, 0x86, 0x00, 0x00, 0x05, 0x01, 0x00, 0x04, 0x60, 0x00 },
		  10, { 0x6A, 0x81 }, 2 },
		{ { 0xFF, 0xB0, 0x00, 0x04, 0x10 }, 5, { 0x6A, 0x81 }, 2 },
		{ { 0xFF, 0xD6, 0x00, 0x04, 0x01, 0x00 }, 6, { 0x6A, 0x81 }, 2 },
		{ { 0xFF, 0x12, 0x00, 0x00 }, 4, { 0x6D, 0x00 }, 2 },
	};
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE h = pp_connect(ctx);

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t resp[64];
		DWORD rlen = sizeof(resp);

		assert_rv(xmit(h, SCARD_PCI_T1, cases[i].apdu, cases[i].len,
			       resp, &rlen), SCARD_S_SUCCESS);
		assert_int_equal(rlen, cases[i].rlen);
		assert_memory_equal(resp, cases[i].resp, rlen);
	}
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* MODIFY PIN DIRECT: the pad types the current PIN (--pin) and the new
 * one (--new-pin); CHANGE REFERENCE DATA succeeds; a VERIFY with the new
 * PIN sent by the application itself then succeeds too.  Last in its
 * group: the card's PIN has changed. */
static void test_modify(void **state)
{
	static const uint8_t verify_new[] = {
		0x00, 0x20, 0x00, 0x81, 0x08,
		'2', '4', '6', '8', 0xFF, 0xFF, 0xFF, 0xFF,
	};
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE h = pp_connect(ctx);
	uint8_t in[64], out[258];
	size_t n = build_modify(in);
	DWORD len = control_ok(h, IOCTL_MODIFY, in, n, out, sizeof(out));

	assert_sw(out, len, 0x90, 0x00);
	/* the card took the new PIN the pad typed (--new-pin) */
	len = sizeof(out);
	assert_rv(SCardTransmit(h, SCARD_PCI_T1, verify_new, sizeof(verify_new),
				NULL, out, &len), SCARD_S_SUCCESS);
	assert_sw(out, len, 0x90, 0x00);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
}

/* ---- group "wrong PIN": the card counts the failure down */
static void test_verify_wrong_pin(void **state)
{
	verify_expect(*(SCARDCONTEXT *)*state, 0x63, 0xC2);
}

/* ---- group "cancel": bError PIN_CANCELLED becomes SW 64 01 (libccid) */
static void test_verify_cancelled(void **state)
{
	verify_expect(*(SCARDCONTEXT *)*state, 0x64, 0x01);
}

/* ---- group "timeout": bError PIN_TIMEOUT becomes SW 64 00 (libccid) */
static void test_verify_timeout(void **state)
{
	verify_expect(*(SCARDCONTEXT *)*state, 0x64, 0x00);
}

/* ---- group "debug": CCIDKIT_DEBUG=3 output never shows a PIN, neither
 * the one the pad enters nor one an application puts in a VERIFY APDU */

static int saved_stderr = -1;
static char log_path[96];

static int debug_setup(void **state)
{
	int fd;

	(void)state;
	/* the vreader first, so that only the library's output is captured
	 * (the vreader's own messages are not what is under test) */
	if (vr_group_setup_args((const char *const[]){ "--reader", "pinpad",
		"--pin", PIN_TYPED, "--card-pin", PIN_CARD, NULL }) != 0)
		return -1;
	snprintf(log_path, sizeof(log_path), "%s/ccidkit-pinlog.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(log_path);
	if (fd < 0)
		return -1;
	/* before the library's first log line: it reads the level once */
	setenv("CCIDKIT_DEBUG", "3", 1);
	fflush(stderr);
	saved_stderr = dup(2);
	if (saved_stderr < 0 || dup2(fd, 2) < 0)
		return -1;
	close(fd);
	return 0;
}

static char *read_log(void)
{
	FILE *f = fopen(log_path, "r");
	char *text = calloc(1, 1 << 20);

	assert_non_null(f);
	assert_non_null(text);
	if (fread(text, 1, (1 << 20) - 1, f) == 0)
		print_error("the debug output is empty\n");
	fclose(f);
	return text;
}

static void assert_no_pin(const char *log, const char *forms[], size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strstr(log, forms[i]) != NULL) {
			print_error("the debug output contains '%s'\n", forms[i]);
			fail();
		}
}

static void test_debug_redacts_pin(void **state)
{
	/* "739146" in ASCII (as typed and as put in an APDU) and in BCD */
	static const char *forms[] = {
		PIN_CARD, "37 33 39 31 34 36", "373339313436", "73 91 46",
	};
	static const uint8_t verify_plain[] = {
		0x00, 0x20, 0x00, 0x81, 0x08,
		'7', '3', '9', '1', '4', '6', 0xFF, 0xFF,
	};
	SCARDCONTEXT ctx = *(SCARDCONTEXT *)*state;
	SCARDHANDLE h;
	uint8_t resp[64];
	DWORD rlen = sizeof(resp);
	char *log;

	verify_expect(ctx, 0x90, 0x00);
	h = pp_connect(ctx);
	assert_rv(xmit(h, SCARD_PCI_T1, verify_plain, sizeof(verify_plain),
		       resp, &rlen), SCARD_S_SUCCESS);
	assert_int_equal(rlen, 2);
	assert_int_equal(resp[0], 0x90);
	assert_int_equal(resp[1], 0x00);
	assert_rv(SCardDisconnect(h, SCARD_LEAVE_CARD), SCARD_S_SUCCESS);
	fflush(stderr);
	log = read_log();
	/* the trace is really on: it shows the VERIFY header (not secret) */
	if (strstr(log, "ccidkit debug") == NULL ||
	    strstr(log, "00 20 00 81") == NULL) {
		print_error("CCIDKIT_DEBUG=3 did not trace the VERIFY\n");
		free(log);
		fail();
	}
	assert_no_pin(log, forms, sizeof(forms) / sizeof(forms[0]));
	free(log);
}

static int debug_teardown(void **state)
{
	fflush(stderr);
	if (saved_stderr >= 0) {
		dup2(saved_stderr, 2);
		close(saved_stderr);
	}
	unlink(log_path);
	return vr_group_teardown(state);
}

/* ---- groups, one process each */

#define T(f) cmocka_unit_test_setup_teardown(f, ctx_setup, ctx_teardown)

static int setup_right(void **state)
{
	(void)state;
	return vr_group_setup_args((const char *const[]){ "--reader", "pinpad",
		"--pin", PIN_TYPED, "--new-pin", "2468", "--card-pin", PIN_CARD,
		NULL });
}

static int setup_wrong(void **state)
{
	(void)state;
	return vr_group_setup_args((const char *const[]){ "--reader", "pinpad",
		"--pin", PIN_WRONG, "--card-pin", PIN_CARD, NULL });
}

static int setup_cancel(void **state)
{
	(void)state;
	/* no --pin: the simulated user presses Cancel */
	return vr_group_setup_args((const char *const[]){ "--reader", "pinpad",
		"--card-pin", PIN_CARD, NULL });
}

static int setup_timeout(void **state)
{
	(void)state;
	return vr_group_setup_args((const char *const[]){ "--reader", "pinpad",
		"--pin-timeout", "--card-pin", PIN_CARD, NULL });
}

static int run_group(int which)
{
	const struct CMUnitTest right[] = {
		T(test_feature_request), T(test_tlv_properties),
		T(test_pin_properties), T(test_verify_right_pin),
		T(test_verify_bad_structure), T(test_pseudo_apdus_contact),
		T(test_modify),
	};
	const struct CMUnitTest wrong[] = { T(test_verify_wrong_pin) };
	const struct CMUnitTest cancel[] = { T(test_verify_cancelled) };
	const struct CMUnitTest timeout[] = { T(test_verify_timeout) };
	const struct CMUnitTest debug[] = { T(test_debug_redacts_pin) };

	switch (which) {
	case 0:
		return cmocka_run_group_tests_name("pinpad right PIN", right,
						   setup_right, vr_group_teardown);
	case 1:
		return cmocka_run_group_tests_name("pinpad wrong PIN", wrong,
						   setup_wrong, vr_group_teardown);
	case 2:
		return cmocka_run_group_tests_name("pinpad cancel", cancel,
						   setup_cancel, vr_group_teardown);
	case 3:
		return cmocka_run_group_tests_name("pinpad timeout", timeout,
						   setup_timeout, vr_group_teardown);
	default:
		return cmocka_run_group_tests_name("pinpad debug", debug,
						   debug_setup, debug_teardown);
	}
}

int main(void)
{
	int failed = 0;

	vr_require_binary("test_pinpad");
	for (int which = 0; which < 5; which++) {
		int status;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0)
			_exit(run_group(which) == 0 ? 0 : 1);
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	}
	return failed ? 1 : 0;
}
