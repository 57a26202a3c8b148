/* ccidkit — reader attributes, control codes and PC/SC Part 10 structures
 * (pcsc-lite's reader.h).
 *
 * Values are those of pcsc-lite 1.9.9 (research/pcsc-abi.md §5), the
 * structures follow PC/SC Part 10 "IFDs with Secure PIN Entry
 * Capabilities" (see research/ccid-spec.md §9 for their CCID mapping).
 *
 * Usable on its own: pcsc-lite's copy needs wintypes.h for
 * SCARD_ATTR_VALUE; this one spells the type out (unsigned long = ULONG),
 * which gives the same type and value.  It still brings <inttypes.h> in,
 * as pcsc-lite's does, because programs use uint8_t etc. after including
 * only this file.  The guard keeps pcsc-lite's name (see wintypes.h). */
#ifndef __reader_h__
#define __reader_h__

#include <inttypes.h>

/* Attribute identifiers for SCardGetAttrib()/SCardSetAttrib(): the class
 * in the high 16 bits, the tag in the low 16 (PC/SC Part 3). */
#define SCARD_ATTR_VALUE(Class, Tag) \
	((((unsigned long)(Class)) << 16) | ((unsigned long)(Tag)))

#define SCARD_CLASS_VENDOR_INFO         1
#define SCARD_CLASS_COMMUNICATIONS      2
#define SCARD_CLASS_PROTOCOL            3
#define SCARD_CLASS_POWER_MGMT          4
#define SCARD_CLASS_SECURITY            5
#define SCARD_CLASS_MECHANICAL          6
#define SCARD_CLASS_VENDOR_DEFINED      7
#define SCARD_CLASS_IFD_PROTOCOL        8
#define SCARD_CLASS_ICC_STATE           9
#define SCARD_CLASS_SYSTEM              0x7fff

/* Vendor information: strings, except IFD_VERSION (0xMMmmbbbb). */
#define SCARD_ATTR_VENDOR_NAME            SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_INFO, 0x0100)
#define SCARD_ATTR_VENDOR_IFD_TYPE        SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_INFO, 0x0101)
#define SCARD_ATTR_VENDOR_IFD_VERSION     SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_INFO, 0x0102)
#define SCARD_ATTR_VENDOR_IFD_SERIAL_NO   SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_INFO, 0x0103)

/* 0xDDDDCCCC: channel type (0x0020 = USB) and channel number. */
#define SCARD_ATTR_CHANNEL_ID             SCARD_ATTR_VALUE(SCARD_CLASS_COMMUNICATIONS, 0x0110)

/* Reader capabilities (clock in kHz, data rates in bit/s). */
#define SCARD_ATTR_ASYNC_PROTOCOL_TYPES   SCARD_ATTR_VALUE(SCARD_CLASS_PROTOCOL, 0x0120)
#define SCARD_ATTR_DEFAULT_CLK            SCARD_ATTR_VALUE(SCARD_CLASS_PROTOCOL, 0x0121)
#define SCARD_ATTR_MAX_CLK                SCARD_ATTR_VALUE(SCARD_CLASS_PROTOCOL, 0x0122)
#define SCARD_ATTR_DEFAULT_DATA_RATE      SCARD_ATTR_VALUE(SCARD_CLASS_PROTOCOL, 0x0123)
#define SCARD_ATTR_MAX_DATA_RATE          SCARD_ATTR_VALUE(SCARD_CLASS_PROTOCOL, 0x0124)
#define SCARD_ATTR_MAX_IFSD               SCARD_ATTR_VALUE(SCARD_CLASS_PROTOCOL, 0x0125)
#define SCARD_ATTR_SYNC_PROTOCOL_TYPES    SCARD_ATTR_VALUE(SCARD_CLASS_PROTOCOL, 0x0126)
#define SCARD_ATTR_POWER_MGMT_SUPPORT     SCARD_ATTR_VALUE(SCARD_CLASS_POWER_MGMT, 0x0131)
#define SCARD_ATTR_USER_TO_CARD_AUTH_DEVICE SCARD_ATTR_VALUE(SCARD_CLASS_SECURITY, 0x0140)
#define SCARD_ATTR_USER_AUTH_INPUT_DEVICE SCARD_ATTR_VALUE(SCARD_CLASS_SECURITY, 0x0142)
#define SCARD_ATTR_CHARACTERISTICS        SCARD_ATTR_VALUE(SCARD_CLASS_MECHANICAL, 0x0150)

/* The protocol parameters currently in force with the card. */
#define SCARD_ATTR_CURRENT_PROTOCOL_TYPE  SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x0201)
#define SCARD_ATTR_CURRENT_CLK            SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x0202)
#define SCARD_ATTR_CURRENT_F              SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x0203)
#define SCARD_ATTR_CURRENT_D              SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x0204)
#define SCARD_ATTR_CURRENT_N              SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x0205)
#define SCARD_ATTR_CURRENT_W              SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x0206)
#define SCARD_ATTR_CURRENT_IFSC           SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x0207)
#define SCARD_ATTR_CURRENT_IFSD           SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x0208)
#define SCARD_ATTR_CURRENT_BWT            SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x0209)
#define SCARD_ATTR_CURRENT_CWT            SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x020a)
#define SCARD_ATTR_CURRENT_EBC_ENCODING   SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x020b)
#define SCARD_ATTR_EXTENDED_BWT           SCARD_ATTR_VALUE(SCARD_CLASS_IFD_PROTOCOL, 0x020c)

/* Card state.  ICC_PRESENCE is one byte: 0 absent, 1 present but not
 * swallowed, 2 present (and swallowed where the reader can), 4
 * confiscated; ICC_INTERFACE_STATUS one byte, non-zero when the contacts
 * are active (PC/SC Part 3). */
#define SCARD_ATTR_ICC_PRESENCE           SCARD_ATTR_VALUE(SCARD_CLASS_ICC_STATE, 0x0300)
#define SCARD_ATTR_ICC_INTERFACE_STATUS   SCARD_ATTR_VALUE(SCARD_CLASS_ICC_STATE, 0x0301)
#define SCARD_ATTR_CURRENT_IO_STATE       SCARD_ATTR_VALUE(SCARD_CLASS_ICC_STATE, 0x0302)
#define SCARD_ATTR_ATR_STRING             SCARD_ATTR_VALUE(SCARD_CLASS_ICC_STATE, 0x0303)
#define SCARD_ATTR_ICC_TYPE_PER_ATR       SCARD_ATTR_VALUE(SCARD_CLASS_ICC_STATE, 0x0304)

#define SCARD_ATTR_ESC_RESET              SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_DEFINED, 0xA000)
#define SCARD_ATTR_ESC_CANCEL             SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_DEFINED, 0xA003)
#define SCARD_ATTR_ESC_AUTHREQUEST        SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_DEFINED, 0xA005)
/* libccid's: the longest APDU the reader takes, a native-endian 32-bit
 * value. */
#define SCARD_ATTR_MAXINPUT               SCARD_ATTR_VALUE(SCARD_CLASS_VENDOR_DEFINED, 0xA007)

#define SCARD_ATTR_DEVICE_UNIT            SCARD_ATTR_VALUE(SCARD_CLASS_SYSTEM, 0x0001)
#define SCARD_ATTR_DEVICE_IN_USE          SCARD_ATTR_VALUE(SCARD_CLASS_SYSTEM, 0x0002)
#define SCARD_ATTR_DEVICE_FRIENDLY_NAME_A SCARD_ATTR_VALUE(SCARD_CLASS_SYSTEM, 0x0003)
#define SCARD_ATTR_DEVICE_SYSTEM_NAME_A   SCARD_ATTR_VALUE(SCARD_CLASS_SYSTEM, 0x0004)
#define SCARD_ATTR_DEVICE_FRIENDLY_NAME_W SCARD_ATTR_VALUE(SCARD_CLASS_SYSTEM, 0x0005)
#define SCARD_ATTR_DEVICE_SYSTEM_NAME_W   SCARD_ATTR_VALUE(SCARD_CLASS_SYSTEM, 0x0006)
#define SCARD_ATTR_SUPRESS_T1_IFS_REQUEST SCARD_ATTR_VALUE(SCARD_CLASS_SYSTEM, 0x0007)

/* Strings are char on Linux; a UNICODE build selects the wide ids. */
#ifdef UNICODE
#define SCARD_ATTR_DEVICE_FRIENDLY_NAME   SCARD_ATTR_DEVICE_FRIENDLY_NAME_W
#define SCARD_ATTR_DEVICE_SYSTEM_NAME     SCARD_ATTR_DEVICE_SYSTEM_NAME_W
#else
#define SCARD_ATTR_DEVICE_FRIENDLY_NAME   SCARD_ATTR_DEVICE_FRIENDLY_NAME_A
#define SCARD_ATTR_DEVICE_SYSTEM_NAME     SCARD_ATTR_DEVICE_SYSTEM_NAME_A
#endif

/* SCardControl() codes.  pcsc-lite numbers them 0x42000000 + n; Windows
 * computes a different value for the same n (libccid also accepts the
 * Windows value of 3400, 0x313520, which RDP redirection sends). */
#define SCARD_CTL_CODE(code) (0x42000000 + (code))

/* PC/SC Part 10: returns the reader's FEATURE_* list as TLVs. */
#define CM_IOCTL_GET_FEATURE_REQUEST SCARD_CTL_CODE(3400)

/* PC/SC Part 10 feature tags (the T of each PCSC_TLV_STRUCTURE). */
#define FEATURE_VERIFY_PIN_START          0x01
#define FEATURE_VERIFY_PIN_FINISH         0x02
#define FEATURE_MODIFY_PIN_START          0x03
#define FEATURE_MODIFY_PIN_FINISH         0x04
#define FEATURE_GET_KEY_PRESSED           0x05
#define FEATURE_VERIFY_PIN_DIRECT         0x06
#define FEATURE_MODIFY_PIN_DIRECT         0x07
#define FEATURE_MCT_READER_DIRECT         0x08
#define FEATURE_MCT_UNIVERSAL             0x09
#define FEATURE_IFD_PIN_PROPERTIES        0x0A
#define FEATURE_ABORT                     0x0B
#define FEATURE_SET_SPE_MESSAGE           0x0C
#define FEATURE_VERIFY_PIN_DIRECT_APP_ID  0x0D
#define FEATURE_MODIFY_PIN_DIRECT_APP_ID  0x0E
#define FEATURE_WRITE_DISPLAY             0x0F
#define FEATURE_GET_KEY                   0x10
#define FEATURE_IFD_DISPLAY_PROPERTIES    0x11
#define FEATURE_GET_TLV_PROPERTIES        0x12
#define FEATURE_CCID_ESC_COMMAND          0x13
#define FEATURE_EXECUTE_PACE              0x20

/* Part 10 structures travel byte by byte through SCardControl(): no
 * padding anywhere.  Multi-byte fields are in host order (libccid stopped
 * caring about their order long ago; the conversion macros below are kept
 * as no-ops for old programs), except the TLV value, which is big-endian
 * on the wire. */
#pragma pack(push, 1)

/* One entry of the CM_IOCTL_GET_FEATURE_REQUEST answer: 6 bytes. */
typedef struct {
	uint8_t tag;                 /* FEATURE_* */
	uint8_t length;              /* 4 */
	uint32_t value;              /* control code, big-endian */
} PCSC_TLV_STRUCTURE;

#define HOST_TO_CCID_16(x) (x)
#define HOST_TO_CCID_32(x) (x)

/* A zero-length trailing array the C99 way where the language has it,
 * the older GNU way elsewhere (C89, C++). */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L
#define CCIDKIT_PCSC_TRAILING_ARRAY []
#else
#define CCIDKIT_PCSC_TRAILING_ARRAY [0]
#endif

/* FEATURE_VERIFY_PIN_DIRECT input: 19 bytes, then the APDU template. */
typedef struct {
	uint8_t bTimerOut;           /* seconds to wait for the first key, 0 = default */
	uint8_t bTimerOut2;          /* seconds after the first key */
	uint8_t bmFormatString;      /* PIN format, justification, position */
	uint8_t bmPINBlockString;    /* length field size (7-4), block size (3-0) */
	uint8_t bmPINLengthFormat;   /* length field position */
	uint16_t wPINMaxExtraDigit;  /* 0xXXYY: min XX, max YY digits */
	uint8_t bEntryValidationCondition; /* what ends the entry */
	uint8_t bNumberMessage;      /* messages to show */
	uint16_t wLangId;            /* language of the messages */
	uint8_t bMsgIndex;           /* which message */
	uint8_t bTeoPrologue[3];     /* T=1 prologue (zeros) */
	uint32_t ulDataLength;       /* bytes in abData */
	uint8_t abData CCIDKIT_PCSC_TRAILING_ARRAY; /* the VERIFY APDU */
} PIN_VERIFY_STRUCTURE;

/* FEATURE_MODIFY_PIN_DIRECT input: 24 bytes, then the APDU template. */
typedef struct {
	uint8_t bTimerOut;
	uint8_t bTimerOut2;
	uint8_t bmFormatString;
	uint8_t bmPINBlockString;
	uint8_t bmPINLengthFormat;
	uint8_t bInsertionOffsetOld; /* where the old PIN goes in the APDU */
	uint8_t bInsertionOffsetNew; /* where the new PIN goes */
	uint16_t wPINMaxExtraDigit;
	uint8_t bConfirmPIN;         /* ask for the new PIN twice? old PIN too? */
	uint8_t bEntryValidationCondition;
	uint8_t bNumberMessage;
	uint16_t wLangId;
	uint8_t bMsgIndex1;
	uint8_t bMsgIndex2;
	uint8_t bMsgIndex3;
	uint8_t bTeoPrologue[3];
	uint32_t ulDataLength;
	uint8_t abData CCIDKIT_PCSC_TRAILING_ARRAY;
} PIN_MODIFY_STRUCTURE;

/* FEATURE_IFD_PIN_PROPERTIES output: 4 bytes. */
typedef struct {
	uint16_t wLcdLayout;         /* lines (high byte) x characters (low) */
	uint8_t bEntryValidationCondition;
	uint8_t bTimeOut2;
} PIN_PROPERTIES_STRUCTURE;

#pragma pack(pop)

#undef CCIDKIT_PCSC_TRAILING_ARRAY

/* Tags of the FEATURE_GET_TLV_PROPERTIES answer (PC/SC Part 10 v2.02). */
#define PCSCv2_PART10_PROPERTY_wLcdLayout                1
#define PCSCv2_PART10_PROPERTY_bEntryValidationCondition 2
#define PCSCv2_PART10_PROPERTY_bTimeOut2                 3
#define PCSCv2_PART10_PROPERTY_wLcdMaxCharacters         4
#define PCSCv2_PART10_PROPERTY_wLcdMaxLines              5
#define PCSCv2_PART10_PROPERTY_bMinPINSize               6
#define PCSCv2_PART10_PROPERTY_bMaxPINSize               7
#define PCSCv2_PART10_PROPERTY_sFirmwareID               8
#define PCSCv2_PART10_PROPERTY_bPPDUSupport              9
#define PCSCv2_PART10_PROPERTY_dwMaxAPDUDataSize         10
#define PCSCv2_PART10_PROPERTY_wIdVendor                 11
#define PCSCv2_PART10_PROPERTY_wIdProduct                12

#endif /* __reader_h__ */
