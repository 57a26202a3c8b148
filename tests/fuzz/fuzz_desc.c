/* ccidkit — fuzz target: the CCID class descriptor (CCID 1.1 §5.1), as a
 * hostile USB device would send it.  A descriptor that parses must keep
 * the promises of ccid/desc.h (slot count, message length, one exchange
 * level) and be printable. */
#include "fuzz/fuzz_util.h"

#include "ccid/desc.h"
#include "ccid/err.h"

static void check_desc(const struct ccid_desc *d, size_t len)
{
	enum ccid_level level = ccid_desc_level(d);

	if (len < CCID_DESC_LEN || d->bLength != CCID_DESC_LEN)
		abort();
	if (d->bDescriptorType != CCID_DESC_TYPE &&
	    d->bDescriptorType != CCID_DESC_TYPE_PROPRIETARY)
		abort();
	if (d->bMaxSlotIndex >= CCID_MAX_SLOTS)
		abort();
	if (d->dwMaxCCIDMessageLength < CCID_HEADER_LEN + 1 ||
	    d->dwMaxCCIDMessageLength > 65544 + CCID_HEADER_LEN)
		abort();
	if (level > CCID_LEVEL_EXT_APDU || ccid_level_name(level) == NULL)
		abort();
	ccid_desc_print(d, fuzz_sink());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fuzz_dup(data, size);
	struct ccid_desc d;

	if (ccid_desc_parse(buf, size, &d) == CCID_OK)
		check_desc(&d, size);
	free(buf);
	return 0;
}
