#!/bin/sh
echo "FAIL: cmocka was not found at configure time; install libcmocka-dev and re-run ./configure" >&2
exit 1
