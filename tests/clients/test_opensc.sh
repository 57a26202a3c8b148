#!/bin/sh
# opensc-tool (OpenSC) through `ccidkit run` against `ccidkit vreader`, in
# OpenSC's own output format.  OpenSC dlopen()s "libpcsclite.so.1" by name
# (opensc.conf's provider_library), so LD_LIBRARY_PATH reaches it.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/clients/lib.sh"
need opensc-tool opensc
# OpenSC reads its configuration from OPENSC_CONF; an empty one keeps a
# local opensc.conf (another reader driver, debug logs) out of the test.
: >"$TMP/opensc.conf"
export OPENSC_CONF="$TMP/opensc.conf"

vr_start sc
# The Features column stays empty: the virtual reader has no PIN pad (OpenSC
# asks with SCardControl(CM_IOCTL_GET_FEATURE_REQUEST)).
client_check "opensc-tool -l" 0 "$(expect "# Detected readers (pcsc)" \
	"Nr.  Card  Features  Name" \
	"0    Yes             ccidkit Virtual Reader 00 00")" "" \
	-- "$CK" run -- opensc-tool -l
client_check "opensc-tool -a" 0 "$(expect "3b:88:81:31:fe:45:63:63:69:64:6b:69:74:31:c9")" "" \
	-- "$CK" run -- opensc-tool -a
# -s first lets OpenSC's card drivers probe the card (a few dozen SELECTs
# and GET DATAs the test card refuses), then sends the APDU as given.
client_check "opensc-tool -s ECHO" 0 "$(expect "Sending: 80 10 00 00 03 01 02 03 " \
	"Received (SW1=0x90, SW2=0x00):" "01 02 03 ...")" "" \
	-- "$CK" run -- opensc-tool -s '80 10 00 00 03 01 02 03'
client_check "opensc-tool -s twice: ECHO, then a class the card refuses" 0 "$(expect \
	"Sending: 80 10 00 00 03 01 02 03 " "Received (SW1=0x90, SW2=0x00):" "01 02 03 ..." \
	"Sending: 90 10 00 00 " "Received (SW1=0x6E, SW2=0x00)")" "" \
	-- "$CK" run -- opensc-tool -s '80 10 00 00 03 01 02 03' -s '90 10 00 00'
vr_cmd remove
client_check "opensc-tool -l: no card" 0 "$(expect "# Detected readers (pcsc)" \
	"Nr.  Card  Features  Name" \
	"0    No              ccidkit Virtual Reader 00 00")" "" \
	-- "$CK" run -- opensc-tool -l
vr_stop sc

unset CCIDKIT_USBREDIR
client_check "opensc-tool -l: no reader" 0 "$(expect "No smart card readers found.")" "" \
	-- "$CK" run -- opensc-tool -l

finish
