/* placeholder: being written */
#include "config.h"

#include <stdio.h>

#include "src/cli.h"

int cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ccidkit run: not yet\n");
	return EXIT_FAILURE_;
}
