/* ccidkit — print pcsc_stringify_error() for every code around the SCARD_*
 * range, and how its buffer behaves.
 *
 * Linked twice: as stringify_sys with the system's libpcsclite.so.1 and as
 * stringify_ours with ours.  test_stringify.sh compares the outputs; the
 * only lines allowed to differ are listed, exactly, in stringify_own.txt
 * (codes pcsc-lite leaves as "Unknown error", research/pcsc-abi.md §7). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <pcsclite.h>

static void print_code(LONG code)
{
	printf("0x%lX %s\n", (unsigned long)code, pcsc_stringify_error(code));
}

static void *other_thread(void *arg)
{
	const char **out = arg;

	*out = pcsc_stringify_error(SCARD_E_TIMEOUT);
	return NULL;
}

/* pcsc-lite returns one buffer per thread, rewritten by every call (§7):
 * two calls in one thread give the same pointer with the second text,
 * and another thread's call does not touch this thread's text. */
static int print_buffer_behaviour(void)
{
	const char *a = pcsc_stringify_error(SCARD_S_SUCCESS);
	const char *b = pcsc_stringify_error(SCARD_E_NO_SMARTCARD);
	const char *c = NULL;
	pthread_t t;

	printf("same pointer in one thread: %s\n", a == b ? "yes" : "no");
	printf("first text after second call: %s\n", a);
	if (pthread_create(&t, NULL, other_thread, &c) != 0 || pthread_join(t, NULL) != 0) {
		fprintf(stderr, "stringify: cannot run a thread\n");
		return 1;
	}
	printf("other thread's pointer differs: %s\n", c != b ? "yes" : "no");
	printf("other thread's text: %s\n", c);
	printf("this thread's text after it: %s\n", b);
	return 0;
}

int main(void)
{
	static const LONG extra[] = {
		1, -1, 0x7FFFFFFFL, 0x80100000L - 1, 0x123456789AL,
		(LONG)0x80100001 + 0x100000000L, -0x7FEFFFFFL,
	};

	print_code(SCARD_S_SUCCESS);
	for (LONG code = 0x80100000L; code <= 0x80100070L; code++)
		print_code(code);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++)
		print_code(extra[i]);
	/* The longest text must survive intact (buffer size). */
	printf("length of 0x123456789ABCDEF0: %zu\n",
		strlen(pcsc_stringify_error((LONG)0x123456789ABCDEF0L)));
	return print_buffer_behaviour();
}
