/* ccidkit — monotonic deadlines (see clock.h). */
#include "config.h"
#include "ccid/clock.h"

#include <stdint.h>
#include <time.h>

uint64_t ccid_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t ccid_deadline_in(uint64_t ms)
{
	uint64_t now = ccid_now_ms();

	return ms > UINT64_MAX - now ? UINT64_MAX : now + ms;
}

int ccid_remaining_ms(uint64_t deadline)
{
	uint64_t now = ccid_now_ms();

	if (deadline <= now)
		return 0;
	if (deadline - now > INT32_MAX)
		return INT32_MAX;
	return (int)(deadline - now);
}
