# ccidkit guest tests: Debian's pcscd and libccid packages, fetched with
# `apt-get download` and extracted (dpkg-deb -x) into the guest cache, never
# installed on this machine.  Sourced by bench_guest.sh and
# test_decode_qemu.sh, which define ME, skip (cannot run here: exit 77) and
# pkgs_broken (what a failed extraction means to them), then call
# pcscd_pkgs: PKG is the extracted tree, pv and lv the versions.
pcscd_pkgs() {
	CACHE=${CCIDKIT_GUEST_CACHE:-${HOME:-/tmp}/.cache/ccidkit-guest}
	pv=$(pkg_version pcscd) lv=$(pkg_version libccid)
	if [ -n "$pv" ] && [ -n "$lv" ]; then
		PKG=$CACHE/pcscd_$pv+libccid_$lv
	else
		# no apt lists (offline?): packages fetched before will do
		PKG=$(ls -d "$CACHE"/pcscd_*+libccid_*/.done 2>/dev/null | sort -V | tail -n 1)
		[ -n "$PKG" ] || skip "apt-cache knows no pcscd/libccid (run apt-get update)"
		PKG=${PKG%/.done}
	fi
	[ -f "$PKG/.done" ] || pkgs_fetch
	pv=${pv:-$(echo "$PKG" | sed 's/.*pcscd_\(.*\)+libccid_.*/\1/')}
	lv=${lv:-$(echo "$PKG" | sed 's/.*+libccid_//')}
}

pkg_version() {
	apt-cache show --no-all-versions "$1" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1
}

# Download and extract into a scratch directory, then move it into place
# (another run may have filled PKG meanwhile: then that one is kept).
pkgs_fetch() {
	mkdir -p "$CACHE" || skip "cannot create $CACHE"
	DL=$(mktemp -d "$CACHE/dl.XXXXXX") || skip "mktemp in $CACHE failed"
	echo "$ME: fetching pcscd $pv and libccid $lv with apt-get download" >&2
	if ! (cd "$DL" && apt-get download -q pcscd libccid >"$DL/log" 2>&1); then
		tail -n 3 "$DL/log" >&2; rm -rf "$DL"
		skip "apt-get download pcscd libccid failed"
	fi
	for deb in "$DL"/*.deb; do
		dpkg-deb -x "$deb" "$DL/x" || { rm -rf "$DL"; pkgs_broken "dpkg-deb -x $deb failed"; }
	done
	touch "$DL/x/.done"
	if ! [ -f "$PKG/.done" ]; then
		rm -rf "$PKG"
		mv "$DL/x" "$PKG" || [ -f "$PKG/.done" ] || pkgs_broken "cannot fill $PKG"
	fi
	rm -rf "$DL"
}
