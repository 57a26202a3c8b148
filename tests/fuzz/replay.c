/* ccidkit — corpus replay for the fuzz targets in normal builds: a main()
 * that feeds every file named on the command line, or found in a directory
 * named there (not recursively, in name order, so runs are identical), to
 * LLVMFuzzerTestOneInput.  Without arguments it replays FUZZ_CORPUS, the
 * target's corpus directory compiled in by tests/fuzz/Makemodule.am.
 * Exit 0 when every input ran; 1 when a file cannot be read or there was
 * nothing to replay (an empty corpus would test nothing); a bug crashes,
 * which is what ASan, valgrind and `make check` report. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/fuzz_util.h"

/* Optional in a target: libFuzzer calls it once before the first input. */
#pragma weak LLVMFuzzerInitialize

static int replay_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL, *nbuf;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				free(buf);
				fclose(f);
				fprintf(stderr, "replay: %s: out of memory\n", path);
				return -1;
			}
			buf = nbuf;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	/* An exact-size copy: a read past the input's end is caught. */
	nbuf = fuzz_dup(buf, len);
	free(buf);
	if (fuzz_verbose())
		fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(nbuf, len);
	free(nbuf);
	(*count)++;
	return 0;
}

static int skip_entry(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static int replay_dir(const char *dir, size_t *count)
{
	struct dirent **names;
	struct stat st;
	char path[4096];
	int n, rc = 0;

	n = scandir(dir, &names, skip_entry, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = replay_file(path, count);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	static char corpus[] = FUZZ_CORPUS;
	char *dflt[] = { argv[0], corpus, NULL };
	struct stat st;
	size_t count = 0;
	int rc = 0;

	if (argc < 2) {
		argv = dflt;
		argc = 2;
	}
	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc && rc == 0; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = replay_dir(argv[i], &count);
		else
			rc = replay_file(argv[i], &count);
	}
	printf("replay: %zu inputs\n", count);
	if (rc == 0 && count == 0) {
		fprintf(stderr, "replay: no input to replay\n");
		return 1;
	}
	return rc == 0 ? 0 : 1;
}
