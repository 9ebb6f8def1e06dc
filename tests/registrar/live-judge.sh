#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Outside judge on live traffic: capture the registrar end-to-end test's TCP
# traffic on port 3863, split it into ASAP messages by their length fields
# (anypool-decode), and have tshark decode every message the registrar sent,
# one per TCP segment, with no malformed or expert-warning marks.  The test
# clients send malformed messages on purpose; only registrard's are judged.
set -eu
. "$(dirname "$0")/../wire/lib.sh"
need_tshark
need_root "capturing on lo"
command -v dumpcap >/dev/null || error "dumpcap missing (tshark package)"
setup_tmp
# A network namespace of the test's own: port 3863 is free there whatever
# else runs on the machine, and the capture sees only this test.
NS=anypool-live-$$
ip netns add "$NS"
ip -n "$NS" link set lo up
dpid=
test_atexit() {
	[ -n "$dpid" ] && kill "$dpid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}
ip netns exec "$NS" dumpcap -q -i lo -f 'tcp port 3863' -w "$T/live.pcapng" \
	2>"$T/dumpcap.log" &
dpid=$!
wait_until 10000 grep -q 'File:' "$T/dumpcap.log" ||
	{ cat "$T/dumpcap.log"; error "dumpcap did not start"; }
if ANYPOOL_TEST_PORT=3863 ip netns exec "$NS" "$B/tests/registrar/test_registrar" \
    >"$T/e2e.log" 2>&1; then
	pass "end-to-end test under capture"
else
	fail "end-to-end test under capture"; tail -30 "$T/e2e.log"
fi
kill -INT $dpid; wait $dpid 2>/dev/null || true
dpid=

# Every message, split by length field; keep what registrard (port 3863) sent.
"$DECODE" --json "$T/live.pcapng" >"$T/all.json" 2>"$T/decode.err" || true
grep '"src":"127.0.0.1:3863"' "$T/all.json" |
	sed -n 's/.*"hex":"\([0-9a-f]*\)".*/\1/p' >"$T/sent.hex"
n=$(wc -l <"$T/sent.hex")
if [ "$n" -ge 300 ]; then
	pass "$n messages from registrard captured"
else
	fail "only $n messages from registrard captured"
fi
if grep -q '"src":"127.0.0.1:3863".*"malformed"' "$T/all.json"; then
	fail "anypool-decode finds a malformed message from registrard"
	grep '"src":"127.0.0.1:3863".*"malformed"' "$T/all.json" | head -3 | cut -c1-600
else
	pass "anypool-decode decodes every message from registrard"
fi
# One message per TCP segment, as tshark frames ASAP over TCP.
# shellcheck disable=SC2046
hex2txt $(cat "$T/sent.hex") >"$T/sent.txt"
t2p -T 3863,40000 "$T/sent.txt" "$T/sent.pcap"
frames=$(ts -r "$T/sent.pcap" -Y asap -T fields -e frame.number | wc -l)
[ "$frames" -eq "$n" ] && pass "tshark sees $frames ASAP messages" ||
	fail "tshark sees $frames ASAP messages of $n"
bad=$(ts -r "$T/sent.pcap" -Y '_ws.malformed || _ws.expert.severity >= 6291456' \
	-T fields -e frame.number | head -5)
if [ -z "$bad" ]; then
	pass "no malformed or expert-warning marks"
else
	fail "tshark marks frames $(echo $bad)"
	for f in $(echo "$bad" | head -2); do
		ts -r "$T/sent.pcap" -Y "frame.number == $f" -V -O asap | tail -25
	done
fi
for t in 3 4 6 7 14; do
	c=$(ts -r "$T/sent.pcap" -Y "asap.message_type == $t" -T fields -e frame.number | wc -l)
	[ "$c" -gt 0 ] && pass "message type $t: $c" || fail "no message of type $t"
done
finish live-judge
