#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# registrard's configuration tests: for each NN.conf the driver's normalised
# output (what `registrard -n` prints) must equal NN.ok and must itself parse
# and print identically (the round trip); for each bad-NN.conf the driver
# must exit 1, print nothing on stdout and exactly bad-NN.err on stderr
# ("file:line: what").  The node name defaults to the host name, so that one
# line is compared as "node-name @HOSTNAME@".  The driver is $CONFTEST, or
# tests/config/conftest under the current directory (automake runs tests
# from the build directory).  `run.sh --update` rewrites the expected files
# from the current output: review the diff before committing it.
set -u
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
update=no
[ "${1:-}" = --update ] && update=yes

if [ -n "${CONFTEST:-}" ]; then
	conftest=$CONFTEST
elif [ -x tests/config/conftest ]; then
	conftest=$PWD/tests/config/conftest
else
	echo "run.sh: tests/config/conftest not found: build it or set CONFTEST" >&2
	exit 99
fi
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
# File names in messages are relative to this directory.
cd "$here" || exit 99

: >"$tmp/empty.conf"
host=$("$conftest" "$tmp/empty.conf" | sed -n 's/^node-name "\(.*\)"$/\1/p')
normalise() {
	awk -v l="node-name \"$host\"" \
	    '$0 == l { print "node-name @HOSTNAME@"; next } { print }'
}


for conf in [0-9]*.conf; do
	t=${conf%.conf}
	"$conftest" "$conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
		fail "$conf: exit $rc, expected 0 and no messages"
		cat "$tmp/err"
		continue
	fi
	normalise <"$tmp/out" >"$tmp/norm"
	if [ $update = yes ]; then
		cp "$tmp/norm" "$t.ok"
	elif ! diff -u "$t.ok" "$tmp/norm"; then
		fail "$conf: output differs from $t.ok"
		continue
	fi
	# The printout is a configuration too: it must mean the same.
	cp "$tmp/out" "$tmp/again.conf"
	if ! "$conftest" "$tmp/again.conf" >"$tmp/out2" 2>"$tmp/err2" ||
	    ! cmp -s "$tmp/out" "$tmp/out2"; then
		fail "$conf: the printout does not parse back to the same"
		cat "$tmp/err2"
		diff -u "$tmp/out" "$tmp/out2"
		continue
	fi
	pass "$conf"
done

for conf in bad-*.conf; do
	t=${conf%.conf}
	"$conftest" "$conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $update = yes ]; then
		cp "$tmp/err" "$t.err"
	fi
	if [ $rc -ne 1 ]; then
		fail "$conf: exit $rc, expected 1"
		cat "$tmp/err"
	elif [ -s "$tmp/out" ]; then
		fail "$conf: printed a configuration despite errors"
	elif ! diff -u "$t.err" "$tmp/err"; then
		fail "$conf: messages differ from $t.err"
	else
		pass "$conf"
	fi
done

finish config
