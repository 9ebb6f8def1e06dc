#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Outside judge of ASAP and ENRP over TLS (issue 12): capture the TLS
# end-to-end test's sessions with registrard on port 3864 (PSK, certificate
# and client certificate handshakes, a secured registrar, a key reload) and
# between two registrars on ENRP ports 9911/9912, with SSLKEYLOGFILE set for
# every side; tshark must decrypt every application-data record with the
# key log, and the messages inside (split by their length fields) must each
# decode with tshark's ASAP or ENRP dissector with no malformed or
# expert-warning mark.  tshark has no "decode as" ASAP or ENRP for TLS
# payloads, so the decrypted bytes are re-framed one message per packet:
# ASAP on TCP port 3863 (as live-judge.sh does), ENRP as SCTP PPID 12.
set -eu
. "$(dirname "$0")/../wire/lib.sh"
need_tshark
need_root "capturing on lo"
setup_tmp
capture_start tls 'tcp port 3864 or tcp port 9911 or tcp port 9912' \
	"$T/tls.pcapng"
if SSLKEYLOGFILE=$T/keys ANYPOOL_TLS_JUDGE=1 ANYPOOL_TEST_PORT=3863 \
    ANYPOOL_TEST_TLS_PORT=3864 ANYPOOL_TEST_ENRP_PORTS=9911,9912 \
    ip netns exec "$NS" "$B/tests/registrar/test_tls_e2e" >"$T/e2e.log" 2>&1
then
	pass "TLS end-to-end test under capture"
else
	fail "TLS end-to-end test under capture"; tail -30 "$T/e2e.log"
fi
# dumpcap lags behind the test: wait for the last test's ENRP records.
wait_until 10000 sh -c "tshark -n -r '$T/tls.pcapng' -Y 'tcp.port == 9912 && tcp.len > 0' 2>/dev/null | grep -q ." ||
	fail "the ENRP sessions are not in the capture"
capture_stop

[ -s "$T/keys" ] && pass "key log written ($(wc -l <"$T/keys") lines)" ||
	fail "no key log"
tsd() {
	ts -r "$T/tls.pcapng" -o "tls.keylog_file:$T/keys" \
	    -d tcp.port==3864,tls -d tls.port==3864,data \
	    -d tcp.port==9911,tls -d tls.port==9911,data \
	    -d tcp.port==9912,tls -d tls.port==9912,data "$@"
}
hs=$(tsd -Y 'tls.handshake.type == 1' -T fields -e frame.number | wc -l)
[ "$hs" -ge 4 ] && pass "$hs TLS handshakes captured" ||
	fail "only $hs TLS handshakes captured"
records=$(tsd -Y 'tls.app_data' -T fields -e frame.number | wc -l)
plain=$(tsd -Y 'data' -T fields -e frame.number | wc -l)
if [ "$records" -gt 0 ] && [ "$records" -eq "$plain" ]; then
	pass "tshark decrypts all $records application-data frames"
else
	fail "tshark decrypts $plain of $records application-data frames"
fi

# Decrypted payloads, split into ASAP messages by their length fields.
tsd -Y data -T fields -e tcp.srcport -e tcp.dstport -e data.data \
	>"$T/records"
awk -v out="$T/split" '
function hex(s,    i, v) {	# mawk has no strtonum
	v = 0
	for (i = 1; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
{
	h = $3
	proto = $1 == 3864 || $2 == 3864 ? "asap" : "enrp"
	while (length(h) >= 8) {
		n = hex(substr(h, 5, 4))
		n = int((n + 3) / 4) * 4
		if (n < 4 || 2 * n > length(h)) { print "bad " $3; exit 1 }
		print proto, $1, substr(h, 1, 2 * n) > out
		h = substr(h, 2 * n + 1)
	}
	if (length(h) > 0) { print "trailing " $3; exit 1 }
}
END { close(out) }' "$T/records" || fail "a decrypted record is not whole ASAP messages"
n=$(awk '$1 == "asap"' "$T/split" | wc -l)
from_reg=$(awk '$1 == "asap" && $2 == 3864' "$T/split" | wc -l)
[ "$n" -ge 8 ] && [ "$from_reg" -ge 4 ] &&
	pass "$n ASAP messages inside TLS ($from_reg from registrard)" ||
	fail "only $n ASAP messages inside TLS ($from_reg from registrard)"
# shellcheck disable=SC2046
hex2txt $(awk '$1 == "asap" { print $3 }' "$T/split") >"$T/msgs.txt"
t2p -T 3863,40000 "$T/msgs.txt" "$T/msgs.pcap"
frames=$(ts -r "$T/msgs.pcap" -Y asap -T fields -e frame.number | wc -l)
[ "$frames" -eq "$n" ] && pass "tshark decodes $frames ASAP messages" ||
	fail "tshark decodes $frames ASAP messages of $n"
judge_marks "$T/msgs.pcap" asap
# Registration, its response, resolution and its response went over TLS.
for t in 1 3 5 6; do
	c=$(ts -r "$T/msgs.pcap" -Y "asap.message_type == $t" -T fields -e frame.number | wc -l)
	[ "$c" -gt 0 ] && pass "message type $t: $c" || fail "no message of type $t"
done

# ENRP between the two registrars, as SCTP user messages with PPID 12.
ne=$(awk '$1 == "enrp"' "$T/split" | wc -l)
[ "$ne" -ge 4 ] && pass "$ne ENRP messages inside TLS" ||
	fail "only $ne ENRP messages inside TLS"
# shellcheck disable=SC2046
hex2txt $(awk '$1 == "enrp" { print $3 }' "$T/split") >"$T/enrp.txt"
t2p -S 9901,9901,12 "$T/enrp.txt" "$T/enrp.pcap"
frames=$(ts -r "$T/enrp.pcap" -Y enrp -T fields -e frame.number | wc -l)
[ "$frames" -eq "$ne" ] && pass "tshark decodes $frames ENRP messages" ||
	fail "tshark decodes $frames ENRP messages of $ne"
judge_marks "$T/enrp.pcap" enrp ENRP
# Presence, handle table request/response, handle update went over TLS.
for t in 1 2 3 4; do
	c=$(ts -r "$T/enrp.pcap" -Y "enrp.message_type == $t" -T fields -e frame.number | wc -l)
	[ "$c" -gt 0 ] && pass "ENRP message type $t: $c" || fail "no ENRP message of type $t"
done
# The PE registered over TLS: its Registrant Identity (0x8a02, inside the
# Pool Element of the HANDLE_UPDATE) goes to the peer and tshark passes
# over it as an unknown skip-class parameter without a mark.
c=$(ts -r "$T/enrp.pcap" -Y 'enrp.message_type == 4 && enrp.parameter_type == 0x8a02' \
	-T fields -e frame.number | wc -l)
[ "$c" -gt 0 ] && pass "ENRP: Registrant Identity in $c handle updates" ||
	fail "ENRP: no handle update carries a Registrant Identity"
finish tls-judge
