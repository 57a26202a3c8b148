/* ccidkit — unit tests for ccid/msg.c (CCID bulk and interrupt messages).
 * Expected bytes are written out by hand from CCID 1.1 §6, never produced
 * by the encoder under test. */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "ccid/err.h"
#include "ccid/msg.h"

#define BUFCAP 64

static void expect_bytes(const uint8_t *got, size_t got_len,
			 const uint8_t *want, size_t want_len)
{
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
}

static void test_encode_power_on(void **state)
{
	static const uint8_t want[] = { 0x62, 0, 0, 0, 0, 0x00, 0x05, 0x01, 0, 0 };
	uint8_t buf[BUFCAP];
	size_t len = 0;

	(void)state;
	assert_int_equal(ccid_msg_icc_power_on(0, 5, CCID_VOLTAGE_5V, buf,
					       sizeof(buf), &len), CCID_OK);
	expect_bytes(buf, len, want, sizeof(want));
	assert_int_equal(ccid_msg_icc_power_on(0, 5, 4, buf, sizeof(buf), &len),
			 CCID_E_INVAL);
}

static void test_encode_power_off(void **state)
{
	static const uint8_t want[] = { 0x63, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0 };
	uint8_t buf[BUFCAP];
	size_t len = 0;

	(void)state;
	assert_int_equal(ccid_msg_icc_power_off(1, 2, buf, sizeof(buf), &len),
			 CCID_OK);
	expect_bytes(buf, len, want, sizeof(want));
}

static void test_encode_get_slot_status(void **state)
{
	static const uint8_t want[] = { 0x65, 0, 0, 0, 0, 0x03, 0xFF, 0, 0, 0 };
	uint8_t buf[BUFCAP];
	size_t len = 0;

	(void)state;
	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(ccid_msg_get_slot_status(3, 0xFF, buf, sizeof(buf), &len),
			 CCID_OK);
	expect_bytes(buf, len, want, sizeof(want));
	assert_int_equal(buf[10], 0xEE); /* nothing written past the end */
}

static void test_encode_xfr_block(void **state)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
	static const uint8_t want[] = { 0x6F, 0x04, 0, 0, 0, 0x00, 0x07, 0x03,
					0x02, 0x01, 0x00, 0xA4, 0x04, 0x00 };
	static const uint8_t want_empty[] = { 0x6F, 0, 0, 0, 0, 0x00, 0x08,
					      0x00, 0x10, 0x00 };
	uint8_t buf[BUFCAP];
	size_t len = 0;

	(void)state;
	assert_int_equal(ccid_msg_xfr_block(0, 7, 0x03, 0x0102, apdu,
					    sizeof(apdu), buf, sizeof(buf), &len),
			 CCID_OK);
	expect_bytes(buf, len, want, sizeof(want));
	/* wLevelParameter 0x0010: empty block asking for the next part */
	assert_int_equal(ccid_msg_xfr_block(0, 8, 0, 0x0010, NULL, 0, buf,
					    sizeof(buf), &len), CCID_OK);
	expect_bytes(buf, len, want_empty, sizeof(want_empty));
}

static void test_encode_parameters(void **state)
{
	static const uint8_t want_get[] = { 0x6C, 0, 0, 0, 0, 0, 0x01, 0, 0, 0 };
	static const uint8_t want_reset[] = { 0x6D, 0, 0, 0, 0, 0, 0x02, 0, 0, 0 };
	static const uint8_t t0[] = { 0x11, 0x00, 0x00, 0x0A, 0x00 };
	static const uint8_t t1[] = { 0x96, 0x10, 0x00, 0x4D, 0x00, 0xFE, 0x00 };
	static const uint8_t want_t0[] = { 0x61, 0x05, 0, 0, 0, 0x00, 0x03, 0x00,
					   0, 0, 0x11, 0x00, 0x00, 0x0A, 0x00 };
	static const uint8_t want_t1[] = { 0x61, 0x07, 0, 0, 0, 0x01, 0x04, 0x01,
					   0, 0, 0x96, 0x10, 0x00, 0x4D, 0x00,
					   0xFE, 0x00 };
	uint8_t buf[BUFCAP];
	size_t len = 0;

	(void)state;
	assert_int_equal(ccid_msg_get_parameters(0, 1, buf, sizeof(buf), &len),
			 CCID_OK);
	expect_bytes(buf, len, want_get, sizeof(want_get));
	assert_int_equal(ccid_msg_reset_parameters(0, 2, buf, sizeof(buf), &len),
			 CCID_OK);
	expect_bytes(buf, len, want_reset, sizeof(want_reset));
	assert_int_equal(ccid_msg_set_parameters(0, 3, 0, t0, sizeof(t0), buf,
						 sizeof(buf), &len), CCID_OK);
	expect_bytes(buf, len, want_t0, sizeof(want_t0));
	assert_int_equal(ccid_msg_set_parameters(1, 4, 1, t1, sizeof(t1), buf,
						 sizeof(buf), &len), CCID_OK);
	expect_bytes(buf, len, want_t1, sizeof(want_t1));
	/* CCID 1.1 §6.1.7: 5 bytes for T=0, 7 for T=1, nothing else */
	assert_int_equal(ccid_msg_set_parameters(0, 3, 0, t1, 7, buf, sizeof(buf),
						 &len), CCID_E_INVAL);
	assert_int_equal(ccid_msg_set_parameters(0, 3, 1, t0, 5, buf, sizeof(buf),
						 &len), CCID_E_INVAL);
	assert_int_equal(ccid_msg_set_parameters(0, 3, 2, t1, 7, buf, sizeof(buf),
						 &len), CCID_E_INVAL);
	assert_int_equal(ccid_msg_set_parameters(0, 3, 0, NULL, 5, buf,
						 sizeof(buf), &len), CCID_E_INVAL);
}

static void test_encode_escape_clock_abort(void **state)
{
	static const uint8_t esc[] = { 0x02 };
	static const uint8_t want_esc[] = { 0x6B, 0x01, 0, 0, 0, 0x00, 0x09, 0,
					    0, 0, 0x02 };
	static const uint8_t want_clock[] = { 0x6E, 0, 0, 0, 0, 0x00, 0x0A, 0x01,
					      0, 0 };
	static const uint8_t want_abort[] = { 0x72, 0, 0, 0, 0, 0x02, 0x0B, 0, 0,
					      0 };
	uint8_t buf[BUFCAP];
	size_t len = 0;

	(void)state;
	assert_int_equal(ccid_msg_escape(0, 9, esc, sizeof(esc), buf, sizeof(buf),
					 &len), CCID_OK);
	expect_bytes(buf, len, want_esc, sizeof(want_esc));
	assert_int_equal(ccid_msg_icc_clock(0, 10, 1, buf, sizeof(buf), &len),
			 CCID_OK);
	expect_bytes(buf, len, want_clock, sizeof(want_clock));
	assert_int_equal(ccid_msg_abort(2, 11, buf, sizeof(buf), &len), CCID_OK);
	expect_bytes(buf, len, want_abort, sizeof(want_abort));
}

static void test_encode_generic(void **state)
{
	static const uint8_t param[3] = { 0xA1, 0xB2, 0xC3 };
	static const uint8_t data[] = { 0xDE, 0xAD };
	static const uint8_t want[] = { 0x69, 0x02, 0, 0, 0, 0x04, 0x05, 0xA1,
					0xB2, 0xC3, 0xDE, 0xAD };
	uint8_t buf[BUFCAP];
	size_t len = 0;

	(void)state;
	assert_int_equal(ccid_msg_encode(0x69, 4, 5, param, data, sizeof(data),
					 buf, sizeof(buf), &len), CCID_OK);
	expect_bytes(buf, len, want, sizeof(want));
	/* exact capacity is enough */
	assert_int_equal(ccid_msg_encode(0x69, 4, 5, param, data, sizeof(data),
					 buf, 12, &len), CCID_OK);
	assert_int_equal(len, 12);
}

static void test_encode_errors(void **state)
{
	static const uint8_t data[300] = { 0 };
	uint8_t buf[BUFCAP];
	size_t len = 77;

	(void)state;
	assert_int_equal(ccid_msg_encode(0x6F, 0, 0, NULL, data, 2, buf, 11, &len),
			 CCID_E_OVERFLOW);
	assert_int_equal(ccid_msg_get_slot_status(0, 0, buf, 9, &len),
			 CCID_E_OVERFLOW);
	assert_int_equal(ccid_msg_get_slot_status(0, 0, buf, 0, &len),
			 CCID_E_OVERFLOW);
	assert_int_equal(ccid_msg_xfr_block(0, 0, 0, 0, data, sizeof(data), buf,
					    sizeof(buf), &len), CCID_E_OVERFLOW);
	assert_int_equal(len, 77); /* untouched on failure */
	assert_int_equal(ccid_msg_get_slot_status(0, 0, NULL, 10, &len),
			 CCID_E_INVAL);
	assert_int_equal(ccid_msg_get_slot_status(0, 0, buf, 10, NULL),
			 CCID_E_INVAL);
	assert_int_equal(ccid_msg_escape(0, 0, NULL, 1, buf, sizeof(buf), &len),
			 CCID_E_INVAL);
#if SIZE_MAX > UINT32_MAX
	assert_int_equal(ccid_msg_encode(0x6F, 0, 0, NULL, data,
					 (size_t)UINT32_MAX + 1, buf, SIZE_MAX,
					 &len), CCID_E_INVAL);
#endif
}

static void test_decode_data_block(void **state)
{
	static const uint8_t msg[] = { 0x80, 0x04, 0, 0, 0, 0x01, 0x2A, 0x00,
				       0x00, 0x01, 0x3B, 0x02, 0x14, 0x50 };
	struct ccid_reply r;

	(void)state;
	assert_int_equal(ccid_msg_decode(msg, sizeof(msg), &r), CCID_OK);
	assert_int_equal(r.bMessageType, RDR_to_PC_DataBlock);
	assert_int_equal(r.dwLength, 4);
	assert_int_equal(r.bSlot, 1);
	assert_int_equal(r.bSeq, 0x2A);
	assert_int_equal(r.bStatus, 0);
	assert_int_equal(r.bError, 0);
	assert_int_equal(r.bSpecific, 1);
	assert_ptr_equal(r.data, msg + 10);
}

static void test_decode_slot_status(void **state)
{
	static const uint8_t msg[] = { 0x81, 0, 0, 0, 0, 0x00, 0x07, 0x42, 0xFE,
				       0x03 };
	struct ccid_reply r;

	(void)state;
	memset(&r, 0xAA, sizeof(r));
	assert_int_equal(ccid_msg_decode(msg, sizeof(msg), &r), CCID_OK);
	assert_int_equal(r.bMessageType, RDR_to_PC_SlotStatus);
	assert_int_equal(r.dwLength, 0);
	assert_int_equal(r.bSeq, 7);
	assert_int_equal(r.bStatus, 0x42);
	assert_int_equal(r.bError, 0xFE);
	assert_int_equal(r.bSpecific, 3);
	assert_null(r.data);
	assert_int_equal(ccid_icc_status(r.bStatus), CCID_ICC_ABSENT);
	assert_int_equal(ccid_cmd_status(r.bStatus), CCID_CMD_FAILED);
}

static void test_decode_short(void **state)
{
	static const uint8_t msg[] = { 0x81, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct ccid_reply r;

	(void)state;
	for (size_t len = 0; len < 10; len++)
		assert_int_equal(ccid_msg_decode(msg, len, &r), CCID_E_PROTO);
	assert_int_equal(ccid_msg_decode(msg, 10, &r), CCID_OK);
	assert_int_equal(ccid_msg_decode(NULL, 10, &r), CCID_E_INVAL);
	assert_int_equal(ccid_msg_decode(msg, 10, NULL), CCID_E_INVAL);
}

static void test_decode_length_mismatch(void **state)
{
	uint8_t msg[] = { 0x80, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0x90, 0x00 };
	struct ccid_reply r;

	(void)state;
	/* announces 3, carries 2 (short transfer) */
	assert_int_equal(ccid_msg_decode(msg, sizeof(msg), &r), CCID_E_PROTO);
	/* announces 1, carries 2 (long transfer) */
	msg[1] = 1;
	assert_int_equal(ccid_msg_decode(msg, sizeof(msg), &r), CCID_E_PROTO);
	/* a huge dwLength */
	msg[1] = 2;
	msg[4] = 0x80;
	assert_int_equal(ccid_msg_decode(msg, sizeof(msg), &r), CCID_E_PROTO);
	msg[4] = 0;
	assert_int_equal(ccid_msg_decode(msg, sizeof(msg), &r), CCID_OK);
	assert_int_equal(r.dwLength, 2);
}

static void test_decode_types(void **state)
{
	uint8_t msg[] = { 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t bad[] = { 0x00, 0x50, 0x51, 0x62, 0x6F, 0x7F, 0x85,
				       0xFF };
	struct ccid_reply r;

	(void)state;
	for (unsigned t = 0x80; t <= 0x84; t++) {
		msg[0] = (uint8_t)t;
		assert_int_equal(ccid_msg_decode(msg, sizeof(msg), &r), CCID_OK);
		assert_int_equal(r.bMessageType, t);
	}
	for (size_t i = 0; i < sizeof(bad); i++) {
		msg[0] = bad[i];
		assert_int_equal(ccid_msg_decode(msg, sizeof(msg), &r),
				 CCID_E_PROTO);
	}
}

static void test_total_len(void **state)
{
	static const uint8_t msg[] = { 0x80, 0x05, 0x01, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t big[] = { 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0,
				       0 };

	(void)state;
	assert_int_equal(ccid_msg_total_len(msg, 10), 10 + 0x105);
	assert_int_equal(ccid_msg_total_len(msg, 9), 0);
	assert_int_equal(ccid_msg_total_len(msg, 0), 0);
	assert_int_equal(ccid_msg_total_len(NULL, 10), 0);
#if SIZE_MAX > UINT32_MAX
	assert_int_equal(ccid_msg_total_len(big, 10), (size_t)UINT32_MAX + 10);
#else
	assert_int_equal(ccid_msg_total_len(big, 10), SIZE_MAX);
#endif
}

static void test_reply_type(void **state)
{
	(void)state;
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_IccPowerOn), 0x80);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_XfrBlock), 0x80);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_Secure), 0x80);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_IccPowerOff), 0x81);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_GetSlotStatus), 0x81);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_IccClock), 0x81);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_T0APDU), 0x81);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_Mechanical), 0x81);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_Abort), 0x81);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_GetParameters), 0x82);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_ResetParameters), 0x82);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_SetParameters), 0x82);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_Escape), 0x83);
	assert_int_equal(ccid_msg_reply_type(PC_to_RDR_SetDataRateAndClockFrequency),
			 0x84);
	assert_int_equal(ccid_msg_reply_type(0x64), 0);
	assert_int_equal(ccid_msg_reply_type(0x80), 0);
	assert_int_equal(ccid_msg_reply_type(0x00), 0);
	assert_int_equal(ccid_msg_reply_type(0xFF), 0);
}

/* One assertion per row of the mapping documented in msg.h. */
static void test_status_err(void **state)
{
	(void)state;
	/* bmCommandStatus 0 and 2 */
	assert_int_equal(ccid_msg_status_err(0x00, 0x00), CCID_OK);
	assert_int_equal(ccid_msg_status_err(0x02, 0xFE), CCID_OK);
	assert_int_equal(ccid_msg_status_err(0x80, 0x01), CCID_OK);
	/* ICC_MUTE by bmICCStatus */
	assert_int_equal(ccid_msg_status_err(0x42, 0xFE), CCID_E_NO_CARD);
	assert_int_equal(ccid_msg_status_err(0x41, 0xFE), CCID_E_UNPOWERED);
	assert_int_equal(ccid_msg_status_err(0x40, 0xFE), CCID_E_CARD_MUTE);
	assert_int_equal(ccid_msg_status_err(0x40, 0xFF), CCID_E_ABORTED);
	assert_int_equal(ccid_msg_status_err(0x40, 0xFD), CCID_E_XFR);
	assert_int_equal(ccid_msg_status_err(0x40, 0xFC), CCID_E_XFR);
	assert_int_equal(ccid_msg_status_err(0x40, 0xFB), CCID_E_HW);
	assert_int_equal(ccid_msg_status_err(0x40, 0xF8), CCID_E_BAD_ATR);
	assert_int_equal(ccid_msg_status_err(0x40, 0xF7), CCID_E_BAD_ATR);
	assert_int_equal(ccid_msg_status_err(0x41, 0xF5), CCID_E_VOLTAGE);
	assert_int_equal(ccid_msg_status_err(0x40, 0xE0), CCID_E_BUSY);
	assert_int_equal(ccid_msg_status_err(0x40, 0x00), CCID_E_NOT_SUPPORTED);
	/* anything else */
	assert_int_equal(ccid_msg_status_err(0x40, 0xF6), CCID_E_CMD_FAILED);
	assert_int_equal(ccid_msg_status_err(0x40, 0xF4), CCID_E_CMD_FAILED);
	assert_int_equal(ccid_msg_status_err(0x40, 0xF2), CCID_E_CMD_FAILED);
	assert_int_equal(ccid_msg_status_err(0x40, 0xEF), CCID_E_CMD_FAILED);
	assert_int_equal(ccid_msg_status_err(0x40, 0x05), CCID_E_CMD_FAILED);
	assert_int_equal(ccid_msg_status_err(0x40, 0xA2), CCID_E_CMD_FAILED);
	/* bmCommandStatus 3 is RFU */
	assert_int_equal(ccid_msg_status_err(0xC0, 0x00), CCID_E_PROTO);
	assert_int_equal(ccid_msg_status_err(0xC2, 0xFE), CCID_E_PROTO);
}

static void test_notify_one_slot(void **state)
{
	static const uint8_t inserted[] = { 0x50, 0x03 };
	static const uint8_t removed[] = { 0x50, 0x02 };
	static const uint8_t steady[] = { 0x50, 0x01 };
	uint32_t present = 99, changed = 99;

	(void)state;
	assert_int_equal(ccid_msg_decode_notify(inserted, 2, 1, &present,
						&changed), CCID_OK);
	assert_int_equal(present, 1);
	assert_int_equal(changed, 1);
	assert_int_equal(ccid_msg_decode_notify(removed, 2, 1, &present, &changed),
			 CCID_OK);
	assert_int_equal(present, 0);
	assert_int_equal(changed, 1);
	assert_int_equal(ccid_msg_decode_notify(steady, 2, 1, &present, &changed),
			 CCID_OK);
	assert_int_equal(present, 1);
	assert_int_equal(changed, 0);
}

static void test_notify_three_slots(void **state)
{
	/* slot 0 present+changed (11), slot 1 absent+changed (10),
	 * slot 2 present (01), the last pair is padding */
	static const uint8_t msg[] = { 0x50, 0xDB };
	uint32_t present = 0, changed = 0;

	(void)state;
	assert_int_equal(ccid_msg_decode_notify(msg, 2, 3, &present, &changed),
			 CCID_OK);
	assert_int_equal(present, 0x5);
	assert_int_equal(changed, 0x3);
}

static void test_notify_five_slots(void **state)
{
	/* 5 slots need 1 + ceil(10 / 8) = 3 bytes; slot 4 present+changed */
	static const uint8_t msg[] = { 0x50, 0x00, 0x03 };
	uint32_t present = 0, changed = 0;

	(void)state;
	assert_int_equal(ccid_msg_decode_notify(msg, 3, 5, &present, &changed),
			 CCID_OK);
	assert_int_equal(present, 0x10);
	assert_int_equal(changed, 0x10);
	assert_int_equal(ccid_msg_decode_notify(msg, 2, 5, &present, &changed),
			 CCID_E_PROTO);
}

static void test_notify_errors(void **state)
{
	static const uint8_t msg[] = { 0x50, 0x03 };
	static const uint8_t hw[] = { 0x51, 0x03, 0x00, 0x01 };
	uint32_t present = 7, changed = 7;

	(void)state;
	assert_int_equal(ccid_msg_decode_notify(msg, 1, 1, &present, &changed),
			 CCID_E_PROTO);
	assert_int_equal(ccid_msg_decode_notify(msg, 0, 1, &present, &changed),
			 CCID_E_PROTO);
	assert_int_equal(ccid_msg_decode_notify(hw, sizeof(hw), 1, &present,
						&changed), CCID_E_PROTO);
	assert_int_equal(present, 7); /* untouched on failure */
	assert_int_equal(changed, 7);
	assert_int_equal(ccid_msg_decode_notify(NULL, 2, 1, &present, &changed),
			 CCID_E_INVAL);
	assert_int_equal(ccid_msg_decode_notify(msg, 2, 1, NULL, &changed),
			 CCID_E_INVAL);
	assert_int_equal(ccid_msg_decode_notify(msg, 2, 1, &present, NULL),
			 CCID_E_INVAL);
	assert_int_equal(ccid_msg_decode_notify(msg, 2, 33, &present, &changed),
			 CCID_E_INVAL);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(ccid_msg_type_name(0x6F), "PC_to_RDR_XfrBlock");
	assert_string_equal(ccid_msg_type_name(0x62), "PC_to_RDR_IccPowerOn");
	assert_string_equal(ccid_msg_type_name(0x73),
			    "PC_to_RDR_SetDataRateAndClockFrequency");
	assert_string_equal(ccid_msg_type_name(0x80), "RDR_to_PC_DataBlock");
	assert_string_equal(ccid_msg_type_name(0x81), "RDR_to_PC_SlotStatus");
	assert_string_equal(ccid_msg_type_name(0x50), "RDR_to_PC_NotifySlotChange");
	assert_string_equal(ccid_msg_type_name(0x51), "RDR_to_PC_HardwareError");
	assert_string_equal(ccid_msg_type_name(0x00), "unknown");
	assert_string_equal(ccid_msg_type_name(0x85), "unknown");
	assert_string_equal(ccid_msg_error_name(0xFE), "ICC_MUTE");
	assert_string_equal(ccid_msg_error_name(0xFF), "CMD_ABORTED");
	assert_string_equal(ccid_msg_error_name(0xF5), "ICC_CLASS_NOT_SUPPORTED");
	assert_string_equal(ccid_msg_error_name(0xE0), "CMD_SLOT_BUSY");
	assert_string_equal(ccid_msg_error_name(0xEF), "PIN_CANCELLED");
	assert_string_equal(ccid_msg_error_name(0x00), "CMD_NOT_SUPPORTED");
	assert_string_equal(ccid_msg_error_name(0x05), "BAD_PARAMETER_INDEX");
	assert_string_equal(ccid_msg_error_name(0xA2), "VENDOR_ERROR");
	assert_string_equal(ccid_msg_error_name(0xD0), "unknown");
	assert_string_equal(ccid_msg_error_name(0x80), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_power_on),
		cmocka_unit_test(test_encode_power_off),
		cmocka_unit_test(test_encode_get_slot_status),
		cmocka_unit_test(test_encode_xfr_block),
		cmocka_unit_test(test_encode_parameters),
		cmocka_unit_test(test_encode_escape_clock_abort),
		cmocka_unit_test(test_encode_generic),
		cmocka_unit_test(test_encode_errors),
		cmocka_unit_test(test_decode_data_block),
		cmocka_unit_test(test_decode_slot_status),
		cmocka_unit_test(test_decode_short),
		cmocka_unit_test(test_decode_length_mismatch),
		cmocka_unit_test(test_decode_types),
		cmocka_unit_test(test_total_len),
		cmocka_unit_test(test_reply_type),
		cmocka_unit_test(test_status_err),
		cmocka_unit_test(test_notify_one_slot),
		cmocka_unit_test(test_notify_three_slots),
		cmocka_unit_test(test_notify_five_slots),
		cmocka_unit_test(test_notify_errors),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
