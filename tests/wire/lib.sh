# SPDX-License-Identifier: BSD-2-Clause
# Helpers shared by the tests/wire shell tests: where the programs are, a
# temporary directory removed on exit, and hex to text2pcap's input format.
# Sourced, not run.  Tests run from the build directory (automake does).

B=${B:-.}				# build directory
DECODE=$B/monitoring/anypool-decode
GEN=$B/tests/wire/gen_messages
nfail=0
npass=0

fail() {
	echo "FAIL: $*"
	nfail=$((nfail + 1))
}

pass() {
	echo "ok: $*"
	npass=$((npass + 1))
}

finish() {
	echo "$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ]
}

cleanup() {
	[ -n "${T:-}" ] && rm -rf "$T"
}

setup_tmp() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/anypool-wire.XXXXXX")
	trap cleanup EXIT
}

# tshark and text2pcap come with Debian's tshark package (tests/run-all
# installs it): their absence is a broken test machine, not a skip.
need_tshark() {
	for p in tshark text2pcap; do
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "ERROR: $p not installed (apt-get install tshark)"
			exit 99
		fi
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
