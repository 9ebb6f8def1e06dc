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
setup_tmp
capture_start live 'tcp port 3863' "$T/live.pcapng"
# Not test_unread_answers: its tens of thousands of answers are the same
# Registration and Deregistration Responses the other tests bring.
if ANYPOOL_TEST_PORT=3863 ANYPOOL_TEST_SKIP=test_unread_answers ip netns exec "$NS" "$B/tests/registrar/test_registrar" \
    >"$T/e2e.log" 2>&1; then
	pass "end-to-end test under capture"
else
	fail "end-to-end test under capture"; tail -30 "$T/e2e.log"
fi
capture_stop

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
judge_marks "$T/sent.pcap" asap
for t in 3 4 6 7 14; do
	c=$(ts -r "$T/sent.pcap" -Y "asap.message_type == $t" -T fields -e frame.number | wc -l)
	[ "$c" -gt 0 ] && pass "message type $t: $c" || fail "no message of type $t"
done
finish live-judge
