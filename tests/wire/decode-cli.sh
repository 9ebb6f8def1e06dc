#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# anypool-decode as an operator meets it: malformed messages (truncated,
# corrupted lengths, unknown types) give a MALFORMED line with the RFC 5354
# cause and exit 1; usage and file errors exit 2 with a clear message; the
# TCP mapping is reassembled per direction (two messages in one segment,
# messages split over segments, a hole reported); IPv6 over raw IP.
set -eu
. "${srcdir:-.}/tests/wire/lib.sh"
need_tshark
setup_tmp

"$GEN" > "$T/msgs.tsv"
msg() {	# msg PROTO NAME: hex of the first generated message of that name
	awk -F'\t' -v p="$1" -v n="$2" '$1 == p && $4 == n { print $2; exit }' "$T/msgs.tsv"
}
REG=$(msg asap Registration)
DEREG=$(msg asap Deregistration)
ACK=$(msg asap EndpointKeepAliveAck)
RES=$(msg asap HandleResolutionResponse)
[ -n "$REG" ] && [ -n "$RES" ] || error "gen_messages output"

# expect_run RC PATTERN DESC -- ARGS...: exit status and an output line.
expect_run() {
	want_rc=$1 pat=$2 desc=$3
	shift 4
	rc=0
	"$DECODE" "$@" > "$T/out" 2>&1 < "${STDIN:-/dev/null}" || rc=$?
	if [ "$rc" -ne "$want_rc" ]; then
		fail "$desc: exit $rc, want $want_rc"
		cat "$T/out"
	elif ! grep -Eq -- "$pat" "$T/out"; then
		fail "$desc: no line matching /$pat/"
		cat "$T/out"
	else
		pass "$desc: exit $rc, $(grep -E -m1 -- "$pat" "$T/out")"
	fi
}

# --- malformed messages: exit 1 and the cause --------------------------
n=$(( ${#REG} - 8 ))
echo "asap $(echo "$REG" | cut -c1-$n)" > "$T/trunc.hex"
expect_run 1 'ASAP Registration .*MALFORMED: .*\(cause 0x3 Invalid Values\)' \
    "truncated Registration" -- "$T/trunc.hex"

# Pool Handle length 0x00ff: overruns the message.
echo "asap: $(echo "$REG" | cut -c1-12)00ff$(echo "$REG" | cut -c17-)" > "$T/len.hex"
expect_run 1 'MALFORMED: .*\(cause 0x3 Invalid Values\)' \
    "corrupted parameter length" -- "$T/len.hex"

echo "enrp: 4b00000c 2c4f7a91 1b2a5d3e  # unknown type, report class" > "$T/type.hex"
expect_run 1 'ENRP Type0x4b .*MALFORMED: .*\(cause 0x2 Unrecognized Message\)' \
    "unknown ENRP message type" -- "$T/type.hex"
expect_run 1 '"malformed":\{.*"cause":2,"cause_name":"Unrecognized Message"' \
    "unknown type as JSON" -- --json "$T/type.hex"

# One bad message among good ones: all are printed, the exit says 1.
{ echo "# mixed"; echo "asap $ACK"; cat "$T/trunc.hex"; echo "asap $DEREG"; } > "$T/mixed.hex"
expect_run 1 '^4 - - > - ASAP Deregistration ' "good lines after a bad one" -- "$T/mixed.hex"

# --- good input, text and JSON, stdin -------------------------------------
echo "asap $RES" > "$T/res.hex"
STDIN=$T/res.hex expect_run 0 \
    'HandleResolutionResponse .*policy=LUD\(load=25\.00%,degradation=0\.39%\) pes=2 \[pe=0x0a0b0c0d .*user=udp:192\.0\.2\.13:5060 ' \
    "Handle Resolution Response from stdin" -- -
expect_run 0 '"pool_elements":\[\{"pe_id":168496141,.*\},\{"pe_id":168496142,' \
    "Handle Resolution Response as JSON" -- --json "$T/res.hex"
printf '%s\n' "$(msg enrp Presence)" > "$T/presence.hex"
expect_run 0 'ENRP Presence flags=0x01\(R\) .*checksum=0xe980 info=\[server=0x1b2a5d3e sctp:\{192\.0\.2\.1,2001:db8::1\}:9901/data\]' \
    "--proto enrp for lines without a prefix" -- --proto enrp "$T/presence.hex"

# --- usage and file errors: exit 2 ----------------------------------------
expect_run 2 '^usage: anypool-decode' "no file" --
expect_run 2 '^anypool-decode: --proto: expected asap or enrp' "bad --proto" -- --proto sip -
expect_run 2 "^anypool-decode: $T/none: No such file or directory" "missing file" -- "$T/none"
echo "asap 0e00000g" > "$T/bad.hex"
expect_run 2 "^anypool-decode: $T/bad.hex:1: not a hex digit: 'g'" "bad hex digit" -- "$T/bad.hex"
echo "asap 0e00000" > "$T/odd.hex"
expect_run 2 "odd number of hex digits" "odd hex" -- "$T/odd.hex"

# --- the TCP mapping --------------------------------------------------------
# Segments: [DEREG ACK] [REG 0..9] [REG 10.. RES 0..5] [RES 6..]
hex2txt "$DEREG$ACK" "$(echo "$REG" | cut -c1-20)" \
    "$(echo "$REG" | cut -c21-)$(echo "$RES" | cut -c1-12)" \
    "$(echo "$RES" | cut -c13-)" > "$T/tcp.txt"
t2p -T 40000,3863 "$T/tcp.txt" "$T/tcp.pcap"
"$DECODE" "$T/tcp.pcap" > "$T/tcp.out" || fail "TCP reassembly: exit $?"
awk '{ print $1, $7 }' "$T/tcp.out" > "$T/tcp.names"
printf '1 Deregistration\n1 EndpointKeepAliveAck\n3 Registration\n4 HandleResolutionResponse\n' > "$T/tcp.want"
if cmp -s "$T/tcp.want" "$T/tcp.names" &&
    grep -q 'reassembled from frames 2-3' "$T/tcp.out" &&
    grep -q 'reassembled from frames 3-4' "$T/tcp.out"; then
	pass "TCP: two messages in a segment, two split over segments"
else
	fail "TCP reassembly"
	cat "$T/tcp.out"
fi

# A lost segment that held one whole message: a NOTE, then in step again.
hex2txt "$DEREG" "$ACK" "$REG" > "$T/gap.txt"
t2p -T 40000,3863 "$T/gap.txt" "$T/gap-all.pcap"
editcap "$T/gap-all.pcap" "$T/gap.pcap" 2 > /dev/null
expect_run 0 '^2 .* ASAP NOTE: TCP gap: [0-9]+ bytes missing' "TCP gap reported" -- "$T/gap.pcap"
if grep -q '^2 .* ASAP Registration ' "$T/out"; then
	pass "TCP: decoding resumes after the gap"
else
	fail "TCP: nothing decoded after the gap"
fi

# A message cut off by the end of the capture.
hex2txt "$(echo "$REG" | cut -c1-40)" > "$T/cut.txt"
t2p -T 40000,3863 "$T/cut.txt" "$T/cut.pcap"
expect_run 0 'NOTE: end of capture: 20 bytes of an incomplete ASAP message' \
    "TCP message incomplete at the end" -- "$T/cut.pcap"

# --- IPv6 over raw IP (link type 101), SCTP ---------------------------------
hex2txt "$(msg enrp ListResponse)" > "$T/v6.txt"
t2p -l 101 -6 2001:db8::1,2001:db8::3 -S 9901,9901,12 "$T/v6.txt" "$T/v6.pcap"
expect_run 0 '^1 0\.000000 \[2001:db8::1\]:9901 > \[2001:db8::3\]:9901 ENRP ListResponse .*servers=2' \
    "IPv6 over raw IP" -- "$T/v6.pcap"

finish
