/* ccidkit run — run an unmodified PC/SC program with ccidkit's
 * libpcsclite.so.1 in front of the system's, so that it needs no pcscd. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/cli.h"

/* The file name the dynamic linker and dlopen() callers look for: the SONAME
 * of pcsc-lite's client library (pcsc-abi.md §1). */
#define RUN_LIBNAME "libpcsclite.so.1"
/* Java's smartcardio dlopen()s an absolute path, chosen by this system
 * property; it never consults LD_LIBRARY_PATH (pcsc-abi.md §1). */
#define RUN_JAVA_PROP "-Dsun.security.smartcardio.library="

/* Shells exit with these when a command cannot be run (POSIX XCU 2.8.2). */
#define EXIT_NOT_EXECUTABLE 126
#define EXIT_NOT_FOUND 127

static const char run_usage[] =
	"Usage: ccidkit run [--] COMMAND [ARGS...]\n"
	"\n"
	"Run COMMAND with ccidkit's libpcsclite.so.1 in front of the system's, so\n"
	"that an existing PC/SC program (pcsc_scan, pyscard, opensc-tool, Java\n"
	"smartcardio, GnuPG's scdaemon...) talks to the readers directly, without\n"
	"pcscd. Examples:\n"
	"  ccidkit run -- pcsc_scan\n"
	"  ccidkit run -- python3 my_pyscard_script.py\n"
	"  ccidkit run -- opensc-tool -l\n"
	"\n"
	"The library directory is CCIDKIT_LIBDIR when set, else pcsc-api/.libs\n"
	"next to this ccidkit when it runs from its build tree, else the private\n"
	"directory it is installed into:\n"
	"  " PKGLIBDIR "\n"
	"COMMAND gets that directory prepended to LD_LIBRARY_PATH, and\n"
	"  " RUN_JAVA_PROP "DIR/" RUN_LIBNAME "\n"
	"appended to JAVA_TOOL_OPTIONS (Java ignores LD_LIBRARY_PATH for it).\n"
	"Everything else passes through unchanged, CCIDKIT_USBREDIR,\n"
	"CCIDKIT_LIBUSB and CCIDKIT_DEBUG included: with\n"
	"  CCIDKIT_USBREDIR=unix:/tmp/x.sock ccidkit run -- pcsc_scan\n"
	"the program sees the virtual reader of 'ccidkit vreader'. pcscd's socket\n"
	"and PCSCLITE_CSOCK_NAME play no part.\n"
	"\n"
	"Set-user-ID programs ignore LD_LIBRARY_PATH, and programs that load a\n"
	"libpcsclite by absolute path (other than Java) bypass it.\n"
	"\n"
	"Exit status: COMMAND's; 1 when the library is missing, 2 on bad usage,\n"
	"126 when COMMAND cannot be executed, 127 when it is not found.\n";

/* Whether DIR holds the library (stat follows libtool's symlink). */
static int run_has_lib(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;
	int n = snprintf(path, sizeof(path), "%s/%s", dir, RUN_LIBNAME);

	if (n < 0 || (size_t)n >= sizeof(path))
		return 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* <dir of this executable>/pcsc-api/.libs: where libtool leaves the library
 * in a build tree.  Looks through a libtool wrapper's own .libs/. */
static int run_build_tree_dir(char *out, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;
	int len;

	if (n <= 0)
		return 0;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return 0;
	*slash = '\0';
	slash = strrchr(exe, '/');
	if (slash != NULL && strcmp(slash, "/.libs") == 0)
		*slash = '\0';
	len = snprintf(out, cap, "%s/pcsc-api/.libs", exe);
	return len > 0 && (size_t)len < cap && run_has_lib(out);
}

/* Find the directory of our libpcsclite.so.1 as an absolute path (a relative
 * LD_LIBRARY_PATH entry would follow COMMAND's chdir()s).  Prints why and
 * returns EXIT_FAILURE_ when there is none. */
static int run_find_libdir(char *out)
{
	const char *env = getenv("CCIDKIT_LIBDIR");
	const char *dir;

	if (env != NULL && *env != '\0') {
		if (realpath(env, out) == NULL || !run_has_lib(out)) {
			fprintf(stderr, "ccidkit run: CCIDKIT_LIBDIR=%s holds no %s\n",
				env, RUN_LIBNAME);
			return EXIT_FAILURE_;
		}
		return EXIT_OK;
	}
	if (run_build_tree_dir(out, PATH_MAX))
		return EXIT_OK;
	dir = PKGLIBDIR;
	if (realpath(dir, out) == NULL || !run_has_lib(out)) {
		fprintf(stderr, "ccidkit run: %s/%s not found: ccidkit's library is "
			"not installed (run 'make install', or set CCIDKIT_LIBDIR "
			"to the directory that holds it)\n", dir, RUN_LIBNAME);
		return EXIT_FAILURE_;
	}
	return EXIT_OK;
}

/* NAME=A SEP B, or just the non-empty one of A and B: an empty
 * LD_LIBRARY_PATH element would mean the current directory. */
static int run_setenv_join(const char *name, const char *a, const char *sep,
			   const char *b)
{
	char *v;
	int rc;

	if (a == NULL || *a == '\0')
		return setenv(name, b, 1);
	if (b == NULL || *b == '\0')
		return setenv(name, a, 1);
	if (asprintf(&v, "%s%s%s", a, sep, b) < 0)
		return -1;
	rc = setenv(name, v, 1);
	free(v);
	return rc;
}

static int run_set_env(const char *dir)
{
	/* HotSpot splits JAVA_TOOL_OPTIONS at white space but honours quotes. */
	const char *q = strpbrk(dir, " \t\n") != NULL ? "\"" : "";
	char *prop;
	int rc;

	if (run_setenv_join("LD_LIBRARY_PATH", dir, ":",
			    getenv("LD_LIBRARY_PATH")) != 0)
		return -1;
	if (asprintf(&prop, "%s%s%s/%s%s", q, RUN_JAVA_PROP, dir, RUN_LIBNAME, q) < 0)
		return -1;
	/* Appended last, our property wins over one set earlier. */
	rc = run_setenv_join("JAVA_TOOL_OPTIONS", getenv("JAVA_TOOL_OPTIONS"),
			     " ", prop);
	free(prop);
	return rc;
}

/* Parse "[--help] [--] COMMAND..."; *argi is COMMAND's index. */
static int run_opts(int argc, char **argv, int *argi, int *help)
{
	int i = 1;

	*help = 0;
	if (i < argc && (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)) {
		*help = 1;
		fputs(run_usage, stdout);
		return EXIT_OK;
	}
	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	else if (i < argc && argv[i][0] == '-') {
		fprintf(stderr, "ccidkit run: unknown option '%s'\n%s", argv[i], run_usage);
		return EXIT_USAGE;
	}
	if (i >= argc) {
		fprintf(stderr, "ccidkit run: no COMMAND given\n%s", run_usage);
		return EXIT_USAGE;
	}
	*argi = i;
	return EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	char dir[PATH_MAX];
	int argi = 0, help, rc, err;

	rc = run_opts(argc, argv, &argi, &help);
	if (rc != EXIT_OK || help)
		return rc;
	rc = run_find_libdir(dir);
	if (rc != EXIT_OK)
		return rc;
	if (run_set_env(dir) != 0) {
		fprintf(stderr, "ccidkit run: cannot set the environment: %s\n",
			strerror(errno));
		return EXIT_FAILURE_;
	}
	fflush(stdout);
	execvp(argv[argi], argv + argi);
	err = errno;
	fprintf(stderr, "ccidkit run: %s: %s\n", argv[argi],
		err == ENOENT ? "command not found" : strerror(err));
	return err == ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}
