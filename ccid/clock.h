/* ccidkit — deadlines on the monotonic clock.
 *
 * Every blocking call takes an absolute deadline in milliseconds of
 * CLOCK_MONOTONIC (ccid_now_ms() + budget) and passes it down unchanged;
 * only time extension (CCID bmCommandStatus = 2, later T=1 S(WTX)) moves a
 * deadline, and it does so explicitly in the caller's local copy. */
#ifndef CCID_CLOCK_H
#define CCID_CLOCK_H

#include <stdint.h>

#define CCID_DEADLINE_NEVER UINT64_MAX

uint64_t ccid_now_ms(void);
/* now + ms, saturating. */
uint64_t ccid_deadline_in(uint64_t ms);
/* Milliseconds left before deadline: 0 when passed, capped at INT32_MAX
 * (so it fits an int timeout argument of poll() or libusb). */
int ccid_remaining_ms(uint64_t deadline);

#endif
