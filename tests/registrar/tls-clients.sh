#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The clients over TLS against a real registrard on loopback (RFC 5352 §9):
# asap-pe registers with a PSK; asap-pu resolves checking the registrar's
# certificate against a CA and the service's name, and fails with a clear
# message when the name is wrong (never resolving in the clear); anyprobe
# over TLS names the registrar that answered, and counts a wrong name under
# reason "tls"; a key file others can read is refused before anything is
# sent.  Keys and certificates are made here with openssl(1).  Every wait
# is for a condition, with a deadline.
set -u
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
test_init tls-clients

command -v openssl >/dev/null || error "openssl(1) is not installed"
NAME=pool.example.net
KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
mk_pki() {
	(
		cd "$T" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout ca.key -out ca.pem -days 30 \
			-subj "/CN=anypool test CA" &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout reg.key -out reg.csr -subj "/CN=$NAME" &&
		printf 'subjectAltName=DNS:%s\nbasicConstraints=CA:FALSE\n' \
			"$NAME" >ext.cnf &&
		openssl x509 -req -in reg.csr -CA ca.pem -CAkey ca.key \
			-CAcreateserial -out reg.pem -days 30 -extfile ext.cnf &&
		chmod 600 reg.key ca.key &&
		printf '# registrar: every PE identity\npe-1 %s\n' "$KEY" >reg.psk &&
		printf 'pe-1 %s\n' "$KEY" >pe.psk &&
		printf 'pe-1 %s\n' "$KEY" >open.psk &&
		chmod 600 reg.psk pe.psk && chmod 644 open.psk
	) >"$T/openssl.log" 2>&1
}
check "a CA, a registrar certificate for $NAME and PSKs" mk_pki

port=$(free_port)
mport=$(free_port)
sock=$T/registrard.sock
# A keep-alive timeout that an asap-pe stalled on a loaded machine (two
# sanitized tests on two cores) does not miss: no check here is about it.
cat >"$T/registrard.conf" <<EOF
listen on 127.0.0.1 port $port transport tcp tls
control socket "$sock"
metrics listen 127.0.0.1 port $mport
node-name "pop-tls"
tls {
	psk-file "$T/reg.psk"
	certificate "$T/reg.pem" key "$T/reg.key"
}
asap {
	keepalive-interval 1s
	keepalive-timeout 5s
}
EOF
"$REGISTRARD" -d -f "$T/registrard.conf" >"$T/registrard.log" 2>&1 &
pids+=("$!")
check "registrard starts with a TLS listener" \
	wait_until 10000 "$CTL" -s "$sock" show summary

pu() { "$PU" -r "127.0.0.1:$port" --tls-ca "$T/ca.pem" --tls-name "$1" \
	-p echo resolve -n 10 2>"$T/pu.err"; }
resolves_one() { pu "$NAME" | grep -q '^PE '; }

"$PE" -r "127.0.0.1:$port" --tls-psk "$T/pe.psk" --tls-identity pe-1 \
	-p echo -L "127.0.0.1:$(free_port)" -i 2000 >"$T/pe.log" 2>&1 &
pids+=("$!")
check "asap-pe registers over TLS with a PSK" \
	wait_until 15000 grep -q 'registered as PE' "$T/pe.log"
check "the registrar knows the PE's PSK identity" \
	wait_until 5000 sh -c "'$CTL' -s '$sock' --json show associations |
	    grep -q '\"identity\": \"pe-1\"'"

check "asap-pu resolves over TLS with the CA and the service name" \
	wait_until 10000 resolves_one

# A wrong name: a clear failure, exit 1, and no answer in the clear.
out=$(pu other.example)
rc=$?
check "asap-pu with a wrong name fails (exit 1, no PE printed)" \
	test "$rc" -eq 1 -a -z "$out"
check "... and says the certificate is for another name" \
	grep -q 'TLS handshake failed: 127.0.0.1:'"$port"': cert_name: ' "$T/pu.err"
cat "$T/pu.err"

# A key file others can read is refused at once with the fix.
"$PU" -r "127.0.0.1:$port" --tls-psk "$T/open.psk" -p echo resolve \
	>/dev/null 2>"$T/open.err"
rc=$?
check "a PSK file others can read is refused (exit 1, chmod 600 said)" \
	sh -c "[ $rc -eq 1 ] && grep -q 'chmod 600' '$T/open.err'"

# anyprobe over TLS: who answered, and a wrong name as reason "tls".
"$PROBE" -r "127.0.0.1:$port" -p echo -c 2 -i 100 -t 2000 -n tls \
	--tls-ca "$T/ca.pem" --tls-name "$NAME" >"$T/probe.jsonl" 2>"$T/probe.log"
check "anyprobe over TLS: both probes answered by node pop-tls" \
	test "$(grep -c '"ok": true.*"node": "pop-tls", "pes": 1' "$T/probe.jsonl")" -eq 2
"$PROBE" -r "127.0.0.1:$port" -p echo -c 1 -t 2000 -n tls --tls-psk \
	"$T/pe.psk" >"$T/probe-psk.jsonl" 2>>"$T/probe.log"
check "anyprobe over TLS with a PSK answers too" \
	grep -q '"ok": true.*"node": "pop-tls"' "$T/probe-psk.jsonl"
pm=$(free_port)
"$PROBE" -r "127.0.0.1:$port" -p echo -i 100 -t 2000 -n tls -m "127.0.0.1:$pm" \
	--tls-ca "$T/ca.pem" --tls-name other.example >"$T/probe-bad.jsonl" \
	2>>"$T/probe.log" &
ppid=$!
pids+=("$ppid")
tls_failures() {
	metrics "$pm" | grep -q '^anypool_probe_failures_total{vantage="tls",target="127.0.0.1:'"$port"'",reason="tls"} [1-9]'
}
check "anyprobe counts a wrong name under reason \"tls\"" \
	wait_until 10000 tls_failures
kill "$ppid"
check "... and its JSON line says why" \
	grep -q '"ok": false.*"error": "TLS handshake failed: cert_name: ' "$T/probe-bad.jsonl"

finish tls-clients
