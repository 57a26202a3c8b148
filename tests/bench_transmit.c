/* Benchmark (not a test): N short ECHO APDUs through SCardTransmit on the
 * first reader (point CCIDKIT_USBREDIR at a `ccidkit vreader`); prints
 * the total and per-APDU time.  Run by `make bench`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <winscard.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, LONG rv)
{
	fprintf(stderr, "bench_transmit: %s: %s\n", what, pcsc_stringify_error(rv));
	return 1;
}

int main(int argc, char **argv)
{
	static const BYTE echo[] = { 0x80, 0x10, 0x00, 0x00, 0x10, 0, 1, 2, 3, 4, 5,
				     6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x10 };
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
	SCARDCONTEXT ctx;
	SCARDHANDLE card;
	DWORD proto, len = 0;
	char readers[4096];
	BYTE resp[64];
	long ok = 0;
	double t0, t1;
	LONG rv;

	rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx);
	if (rv != SCARD_S_SUCCESS)
		return fail("SCardEstablishContext", rv);
	len = sizeof(readers);
	rv = SCardListReaders(ctx, NULL, readers, &len);
	if (rv != SCARD_S_SUCCESS)
		return fail("SCardListReaders", rv);
	rv = SCardConnect(ctx, readers, SCARD_SHARE_SHARED,
			  SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto);
	if (rv != SCARD_S_SUCCESS)
		return fail("SCardConnect", rv);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		DWORD rlen = sizeof(resp);

		rv = SCardTransmit(card, proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 :
				   SCARD_PCI_T1, echo, sizeof(echo), NULL, resp, &rlen);
		if (rv != SCARD_S_SUCCESS)
			return fail("SCardTransmit", rv);
		if (rlen == 18 && resp[16] == 0x90 && resp[17] == 0x00 &&
		    memcmp(resp, echo + 5, 16) == 0)
			ok++;
	}
	t1 = now_s();
	printf("bench: %ld ECHO APDUs (16 bytes) through SCardTransmit: %.1f ms total, %.1f us per APDU, %ld answered correctly\n",
	       n, (t1 - t0) * 1e3, (t1 - t0) * 1e6 / (double)n, ok);
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return ok == n ? 0 : 1;
}
