#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# healthd's configuration tests: for each NN.conf, `healthd -n -f NN.conf`
# must print exactly NN.ok, and that output must itself parse and print
# identically (the round trip); for each bad-NN.conf it must exit 1, print
# nothing on stdout and exactly bad-NN.err on stderr ("file:line: what").
# The daemon is $HEALTHD or health/healthd under the current directory.
# `run.sh --update` rewrites the expected files: review the diff.
set -u
update=no
[ "${1:-}" = --update ] && update=yes
if [ -n "${HEALTHD:-}" ]; then
	healthd=$HEALTHD
elif [ -x health/healthd ]; then
	healthd=$PWD/health/healthd
else
	echo "run.sh: health/healthd not found: build it or set HEALTHD" >&2
	exit 99
fi
here=$(cd "$(dirname "$0")" && pwd)
# (After the look-up above: common.sh sets HEALTHD to the build's.)
# shellcheck source=../lib/common.sh
. "$here/../lib/common.sh"
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
cd "$here" || exit 99

for conf in [0-9]*.conf; do
	t=${conf%.conf}
	"$healthd" -n -f "$conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
		fail "$conf: exit $rc, expected 0 and no messages"
		cat "$tmp/err"
		continue
	fi
	[ $update = yes ] && cp "$tmp/out" "$t.ok"
	if ! diff -u "$t.ok" "$tmp/out"; then
		fail "$conf: output differs from $t.ok"
		continue
	fi
	"$healthd" -n -f "$tmp/out" >"$tmp/out2" 2>&1
	if ! cmp -s "$tmp/out" "$tmp/out2"; then
		fail "$conf: the printed configuration does not round-trip"
		diff -u "$tmp/out" "$tmp/out2"
		continue
	fi
	pass "$conf"
done
for conf in bad-*.conf; do
	t=${conf%.conf}
	"$healthd" -n -f "$conf" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $update = yes ] && cp "$tmp/err" "$t.err"
	if [ $rc -ne 1 ] || [ -s "$tmp/out" ]; then
		fail "$conf: exit $rc, expected 1 and nothing on stdout"
		continue
	fi
	if ! diff -u "$t.err" "$tmp/err"; then
		fail "$conf: messages differ from $t.err"
		continue
	fi
	pass "$conf"
done
finish config-health
