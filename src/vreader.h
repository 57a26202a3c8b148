/* ccidkit — `ccidkit vreader`: a usbredir virtual CCID reader with built-in
 * test cards (vr_card.c), a sans-I/O CCID model (vr_ccid.c) and the usbredir
 * USB device (vr_usb.c). See `ccidkit vreader --help`. */
#ifndef CCIDKIT_VREADER_H
#define CCIDKIT_VREADER_H

/* argv[0] == "vreader"; returns the process exit code: 0 clean exit
 * (quit, SIGTERM, SIGINT), 1 runtime failure, 2 usage error. */
int vreader_main(int argc, char **argv);

/* Diagnostics of the virtual reader go to stderr, never stdout. verbose
 * messages only with --verbose. */
extern int vr_verbose;
void vr_logf(int verbose, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
