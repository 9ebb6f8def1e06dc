#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Outside judge of the codec: gen_messages builds one of every ASAP (14) and
# ENRP (10) message with lib/codec.h; text2pcap wraps each in SCTP DATA with
# PPID 11/12 (and, for the TCP mapping, in one TCP segment each); tshark must
# decode every frame as the expected message type with the expected field
# values and without malformed or warning/error expert marks.
# anypool-decode must read the same captures (and the hex) with the same
# message names and exit 0, and agree with tshark on the PE identifiers.
set -eu
. "${srcdir:-.}/tests/wire/lib.sh"
need_tshark
setup_tmp

if ! "$GEN" > "$T/msgs.tsv"; then
	fail "gen_messages: the codec does not decode or re-encode its own messages"
fi
[ -s "$T/msgs.tsv" ] || error "gen_messages printed nothing"

# judge PROTO PCAP [tshark options]: types, fields, no malformed marks.
judge() {
	proto=$1 pcap=$2
	shift 2
	n=$(wc -l < "$T/$proto.tsv")
	got=$(ts -r "$pcap" "$@" -Y "$proto" -T fields -e frame.number | wc -l)
	if [ "$got" -eq "$n" ]; then
		pass "$pcap: tshark sees $proto in all $n frames"
	else
		fail "$pcap: tshark sees $proto in $got of $n frames"
	fi
	bad=$(ts -r "$pcap" "$@" -Y "_ws.malformed || _ws.expert.severity >= 6291456")
	if [ -z "$bad" ]; then
		pass "$pcap: no malformed or warning/error expert marks"
	else
		fail "$pcap: tshark marks:"
		echo "$bad"
	fi
	fields=$(cut -f5 "$T/$proto.tsv" | tr ' ' '\n' | sed -n 's/=.*//p' |
	    sort -u | tr '\n' ' ')
	set -- "$@" -T fields -E separator=/t -E occurrence=a -E aggregator=, \
	    -e frame.number -e "$proto.message_type" -e _ws.col.Info
	for f in $fields; do
		set -- "$@" -e "$f"
	done
	ts -r "$pcap" "$@" > "$T/got.tsv"
	awk -F'\t' -v fields="$fields" -v proto="$proto" '
	BEGIN { nf = split(fields, fname, " ") }
	FNR == NR { want[FNR] = $0; next }
	{
		split(want[FNR], w, "\t")
		split($2, types, ",")
		label = proto " " w[4] " (frame " $1 ")"
		if (types[1] != w[3]) {
			printf "FAIL: %s: tshark type %s, want %s\n", label, $2, w[3]
			next
		}
		bad = 0
		nexp = split(w[5], ex, " ")
		for (i = 1; i <= nexp; i++) {
			eq = index(ex[i], "=")
			f = substr(ex[i], 1, eq - 1)
			v = substr(ex[i], eq + 1)
			for (k = 1; k <= nf && fname[k] != f; k++)
				;
			if ($(3 + k) != v) {
				printf "FAIL: %s: %s is \"%s\", want \"%s\"\n", \
				    label, f, $(3 + k), v
				bad = 1
			}
		}
		if (!bad)
			printf "ok: %s: tshark \"%s\", %d fields as expected\n", \
			    label, $3, nexp
	}' "$T/$proto.tsv" "$T/got.tsv" > "$T/res.txt"
	cat "$T/res.txt"
	npass=$((npass + $(grep -c '^ok:' "$T/res.txt" || true)))
	nfail=$((nfail + $(grep -c '^FAIL:' "$T/res.txt" || true)))
	if [ "$(wc -l < "$T/res.txt")" -ne "$n" ]; then
		fail "$pcap: $(wc -l < "$T/res.txt") frames compared, want $n"
	fi
}

# decoded_by_us PROTO INPUT...: anypool-decode agrees on the names, exit 0.
decoded_by_us() {
	proto=$1
	shift
	rc=0
	"$DECODE" "$@" > "$T/dec.txt" 2> "$T/dec.err" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "anypool-decode $*: exit $rc"
		cat "$T/dec.txt" "$T/dec.err"
		return
	fi
	up=$(echo "$proto" | tr a-z A-Z)
	awk -F'\t' -v up="$up" '{ print up, $4 }' "$T/$proto.tsv" > "$T/want.names"
	awk '{ print $6, $7 }' "$T/dec.txt" > "$T/got.names"
	if cmp -s "$T/want.names" "$T/got.names"; then
		pass "anypool-decode $*: $(wc -l < "$T/got.names") names agree, exit 0"
	else
		fail "anypool-decode $*: names differ"
		diff "$T/want.names" "$T/got.names" || true
	fi
}

# pe_ids_agree PROTO PCAP [tshark options]: PE ids per frame, both tools.
pe_ids_agree() {
	proto=$1 pcap=$2
	shift 2
	# Frames of a type tshark does not know (our extension messages,
	# doc/spec/) are compared as empty on both sides.
	ts -r "$pcap" "$@" -T fields -E occurrence=a -E aggregator=' ' \
	    -e _ws.col.Info \
	    -e "$proto.pool_element_pe_identifier" -e "$proto.pe_identifier" |
	    awk -F'\t' -v skip="$T/skip.nr" '{
		if ($1 ~ /^Unknown/) { print NR > skip; print ""; next }
		$1 = ""; $0 = $0; n = split($0, a, /[ \t]+/);
		s = ""; for (i = 1; i <= n; i++) if (a[i] != "") s = s " " a[i];
		print s }' > "$T/ws.ids"
	touch "$T/skip.nr"
	"$DECODE" "$pcap" | awk -v skip="$T/skip.nr" '
	    BEGIN { while ((getline l < skip) > 0) no[l] = 1 }
	    { s = "";
		for (i = 8; i <= NF; i++)
			if ($i ~ /^\[?(pe|pe_id)=0x/) {
				sub(/^\[?[a-z_]*=/, "", $i)
				s = s " " $i
			}
		print (NR in no) ? "" : s }' > "$T/our.ids"
	rm -f "$T/skip.nr"
	if cmp -s "$T/ws.ids" "$T/our.ids"; then
		pass "$pcap: PE identifiers agree with tshark"
	else
		fail "$pcap: PE identifiers differ from tshark"
		diff "$T/ws.ids" "$T/our.ids" || true
	fi
}

for p in asap:3863:11 enrp:9901:12; do
	proto=${p%%:*}
	port=${p#*:}
	port=${port%%:*}
	ppid=${p##*:}
	awk -F'\t' -v p="$proto" '$1 == p' "$T/msgs.tsv" > "$T/$proto.tsv"
	# shellcheck disable=SC2046
	hex2txt $(cut -f2 "$T/$proto.tsv") > "$T/$proto.txt"

	# SCTP DATA chunks with the protocol's PPID.
	t2p -S "$port,$port,$ppid" "$T/$proto.txt" "$T/$proto-sctp.pcap"
	judge "$proto" "$T/$proto-sctp.pcap"
	decoded_by_us "$proto" "$T/$proto-sctp.pcap"
	pe_ids_agree "$proto" "$T/$proto-sctp.pcap"

	# The TCP mapping, one padded message per segment: all Wireshark
	# can frame (it dissects each tcp.port 3863 segment as exactly one
	# message).  Wireshark has no ENRP over TCP at all (not even with
	# -d tcp.port==9901,enrp): there only anypool-decode is checked.
	t2p -T "$port,$port" "$T/$proto.txt" "$T/$proto-tcp.pcap"
	if [ "$proto" = asap ]; then
		judge "$proto" "$T/$proto-tcp.pcap"
	fi
	decoded_by_us "$proto" "$T/$proto-tcp.pcap"

	# The same messages as hex lines.
	cut -f1,2 "$T/$proto.tsv" | tr '\t' ' ' > "$T/$proto.hex"
	decoded_by_us "$proto" "$T/$proto.hex"
done

finish
