# SPDX-License-Identifier: BSD-2-Clause
# Helpers of the tshark-judged shell tests (tests/wire, and
# tests/registrar/live-judge.sh and tls-judge.sh) on top of
# tests/lib/common.sh: the message generator, tshark's presence, hex to
# text2pcap's input format, a capture in a network namespace of the test's
# own, and the verdict on tshark's marks.
# Sourced, not run.  Tests run from the build directory (automake does).
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the tests sourcing this

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
GEN=$B/tests/wire/gen_messages

# setup_tmp: $T and its cleanup (test_init).
setup_tmp() { test_init wire; }

# tshark and text2pcap come with Debian's tshark package (tests/run-all
# installs it): their absence is a broken test machine, not a skip.
need_tshark() {
	for p in tshark text2pcap; do
		command -v "$p" >/dev/null 2>&1 ||
			error "$p not installed (apt-get install tshark)"
	done
}

# tshark without the "running as root" chatter.
ts() {
	tshark -n "$@" 2>/dev/null
}

# hex2txt HEX...: each argument one packet, in the hexdump form text2pcap
# reads (offset, then up to 16 bytes).
hex2txt() {
	# One awk for all of them (a capture holds thousands).
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | awk '{
		n = length($0) / 2
		for (i = 0; i < n; i += 16) {
			line = sprintf("%06x", i)
			for (j = i; j < i + 16 && j < n; j++)
				line = line " " substr($0, 2 * j + 1, 2)
			print line
		}
		print ""
	}'
}

# t2p ARGS...: text2pcap, quiet unless it fails.
t2p() {
	if ! text2pcap -q "$@" > "${T:?}/t2p.log" 2>&1; then
		echo "ERROR: text2pcap $*:"
		cat "$T/t2p.log"
		exit 99
	fi
}

# capture_start NAME FILTER PCAP: a network namespace of the test's own
# ($NS, anypool-NAME-PID, with lo up: the test's fixed ports are free there
# whatever else runs on the machine, and the capture sees only this test)
# and dumpcap writing what FILTER matches on its lo to PCAP; the test then
# runs its programs with "ip netns exec $NS".  capture_stop ends dumpcap;
# the namespace goes when the test exits.  Needs root.
capture_start() {
	command -v dumpcap >/dev/null ||
		error "dumpcap missing (tshark package)"
	NS=anypool-$1-$$
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	dpid=
	test_atexit() {
		[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
		ip netns del "$NS" 2>/dev/null
	}
	ip netns exec "$NS" dumpcap -q -i lo -f "$2" -w "$3" \
		2>"$T/dumpcap.log" &
	dpid=$!
	wait_until 10000 grep -q 'File:' "$T/dumpcap.log" ||
		{ cat "$T/dumpcap.log"; error "dumpcap did not start"; }
}
capture_stop() {
	kill -INT "$dpid"; wait "$dpid" 2>/dev/null || true
	dpid=
}

# judge_marks PCAP PROTO [LABEL]: pass if tshark marks no frame of PCAP
# malformed or with an expert warning; else fail, with the first two
# marked frames decoded (-O PROTO).  LABEL prefixes the verdict.
judge_marks() {
	local bad f
	bad=$(ts -r "$1" -Y '_ws.malformed || _ws.expert.severity >= 6291456' \
		-T fields -e frame.number | head -5)
	if [ -z "$bad" ]; then
		pass "${3:+$3: }no malformed or expert-warning marks"
	else
		# shellcheck disable=SC2086  # one line of frame numbers
		fail "${3:+$3: }tshark marks frames $(echo $bad)"
		for f in $(echo "$bad" | head -2); do
			ts -r "$1" -Y "frame.number == $f" -V -O "$2" | tail -25
		done
	fi
}
