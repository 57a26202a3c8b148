/* ccidkit — fuzz target: a whole USB configuration descriptor (USB 2.0
 * §9.6.3) walked to find CCID interfaces, plus the device and string
 * descriptor parsers on the same bytes.  A found interface must point at
 * a class descriptor inside the input. */
#include <string.h>

#include "fuzz/fuzz_util.h"

#include "ccid/desc.h"
#include "ccid/err.h"
#include "ccid/usbdesc.h"

#define MAX_INTERFACES 8 /* more would only repeat the same walk */

static void check_if(const uint8_t *buf, size_t len,
		     const struct ccid_usb_ccid_if *cif)
{
	struct ccid_desc d;

	if (cif->class_desc == NULL || cif->class_desc_len != CCID_DESC_LEN ||
	    cif->class_desc < buf ||
	    (size_t)(cif->class_desc - buf) > len - CCID_DESC_LEN)
		abort();
	if (cif->bAlternateSetting != 0)
		abort();
	/* what the transports do next with it */
	(void)ccid_desc_parse(cif->class_desc, cif->class_desc_len, &d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_dup(data, size);
	struct ccid_usb_device_desc dev;
	struct ccid_usb_ccid_if cif;
	char str[128], tiny[2];

	for (unsigned i = 0; i < MAX_INTERFACES; i++) {
		int rc = ccid_usbdesc_find_ccid(buf, size, i, &cif);

		if (rc != CCID_OK)
			break;
		check_if(buf, size, &cif);
	}
	(void)ccid_usbdesc_device(buf, size, &dev);
	if (ccid_usbdesc_string(buf, size, str, sizeof(str)) == CCID_OK &&
	    memchr(str, '\0', sizeof(str)) == NULL)
		abort();
	if (ccid_usbdesc_string(buf, size, tiny, sizeof(tiny)) == CCID_OK &&
	    memchr(tiny, '\0', sizeof(tiny)) == NULL)
		abort();
	free(buf);
	return 0;
}
