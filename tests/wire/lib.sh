# SPDX-License-Identifier: BSD-2-Clause
# Helpers of the tshark-judged shell tests (tests/wire, and
# tests/registrar/live-judge.sh) on top of tests/lib/common.sh: the message
# generator, tshark's presence, and hex to text2pcap's input format.
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
	for h in "$@"; do
		echo "$h" | awk '{
			n = length($0) / 2
			for (i = 0; i < n; i += 16) {
				line = sprintf("%06x", i)
				for (j = i; j < i + 16 && j < n; j++)
					line = line " " substr($0, 2 * j + 1, 2)
				print line
			}
			print ""
		}'
	done
}

# t2p ARGS...: text2pcap, quiet unless it fails.
t2p() {
	if ! text2pcap -q "$@" > "${T:?}/t2p.log" 2>&1; then
		echo "ERROR: text2pcap $*:"
		cat "$T/t2p.log"
		exit 99
	fi
}
