#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# anyprobe against real registrars on loopback: two registrars with their
# own server-id and node-name, a demo PE (asap-pe) on each.  Five probes at
# 50 ms give five JSON lines that name the registrar that answered and count
# its PE; a probe of an unknown pool is answered (ok) with "handle not
# found"; a long-running probe with a metrics endpoint counts what it saw,
# records timeouts while its registrar is stopped (SIGSTOP) and refusals
# once it is gone, keeps running, and exits 0 on SIGTERM with every line
# whole; "anyprobe matrix" over two vantage points' files shows who answered
# whom, in text and JSON, and skips a malformed line naming file:line.
# Every wait is for a condition, with a deadline; only our own PIDs are
# killed.
set -u
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/deps.sh
. "$SRC/tests/lib/deps.sh"
ensure_packages jq || exit 99

test_init anyprobe

# forget PID: reaped, so its number may belong to someone else now.
forget() {
	local p keep=()
	for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	pids=("${keep[@]}")
}

# start_registrar N ID NODE: registrar N on a free port, PE "demo" on it.
declare -A rport rpid
start_registrar() {
	local n=$1 id=$2 node=$3 port peport
	port=$(free_port)
	peport=$(free_port)
	cat >"$T/r$n.conf" <<EOF
server-id $id
node-name "$node"
listen on 127.0.0.1 port $port transport tcp
control socket "$T/r$n.sock"
EOF
	"$REGISTRARD" -d -f "$T/r$n.conf" >>"$T/r$n.log" 2>&1 &
	rpid[$n]=$!
	pids+=("${rpid[$n]}")
	rport[$n]=$port
	wait_until 10000 "$CTL" -s "$T/r$n.sock" show summary || return 1
	"$PE" -r "127.0.0.1:$port" -p demo -L "127.0.0.1:$peport" >>"$T/pe$n.log" 2>&1 &
	pids+=("$!")
	wait_until 10000 pes_registered "$n"
}
pes_registered() {
	"$CTL" -s "$T/r$1.sock" --json show summary | jq -e '.summary.pes >= 1'
}

jqe() { jq -e "$@" >/dev/null; }
# lines FILE: number of complete JSON lines
lines() { jq -c . "$1" 2>/dev/null | wc -l; }
lines_ge() { [ "$(lines "$1")" -ge "$2" ]; }
has_error() { jq -e --arg e "$2" 'select(.ok == false and .error == $e)' "$1" | grep -q .; }
# metric PORT SERIES: value of one exposition line (exact series text)
metric() { metrics "$1" | awk -v s="$2" 'index($0, s " ") == 1 { print $NF }'; }
metric_ge() { local v; v=$(metric "$1" "$2"); [ -n "$v" ] && awk -v v="$v" -v m="$3" 'BEGIN { exit !(v >= m) }'; }

check "registrar 1 (id 1, node a1) with a PE" start_registrar 1 1 a1
check "registrar 2 (id 2, node a2) with a PE" start_registrar 2 2 a2

# Five probes, 50 ms apart, to registrar 1 as vantage v1.
"$PROBE" -c 5 -i 50 -p demo -n v1 -r "127.0.0.1:${rport[1]}" -o "$T/v1.jsonl" 2>"$T/probe-v1.log"
check "anyprobe -c 5 exits 0" [ $? -eq 0 ]
check "five JSON lines" [ "$(lines "$T/v1.jsonl")" -eq 5 ]
check "every line: exactly the documented keys, in order" \
	jqe -s 'all(.[]; keys_unsorted == ["ts_ms","vantage","target","pool","ok","rtt_ms","server_id","node","pes","error"])' "$T/v1.jsonl"
check "every probe answered by server 1, node a1, with the PE" \
	jqe -s --arg t "127.0.0.1:${rport[1]}" 'all(.[]; .ok == true and .server_id == 1 and .node == "a1" and .pes >= 1 and .error == null and .vantage == "v1" and .pool == "demo" and .target == $t)' "$T/v1.jsonl"
check "RTT measured (0 < rtt_ms < 500) and ts_ms is epoch ms" \
	jqe -s --argjson now "$(date +%s%3N)" 'all(.[]; (.rtt_ms | type) == "number" and .rtt_ms > 0 and .rtt_ms < 500 and .ts_ms > $now - 60000 and .ts_ms <= $now)' "$T/v1.jsonl"
check "probes 50 ms apart (first to last >= 150 ms)" \
	jqe -s '(.[4].ts_ms - .[0].ts_ms) >= 150' "$T/v1.jsonl"

"$PROBE" -c 3 -i 50 -p demo -n v2 -r "127.0.0.1:${rport[2]}" -o "$T/v2.jsonl" 2>"$T/probe-v2.log"
check "vantage v2 answered by server 2, node a2" \
	jqe -s 'length == 3 and all(.[]; .ok and .server_id == 2 and .node == "a2")' "$T/v2.jsonl"

"$PROBE" -c 1 -p nosuchpool -n v1 -r "127.0.0.1:${rport[2]}" >"$T/unknown.jsonl" 2>"$T/probe-unknown.log"
check "unknown pool: answered (ok), 0 PEs, \"handle not found\", identity given" \
	jqe '.ok == true and .pes == 0 and .error == "handle not found" and .node == "a2" and .server_id == 2' "$T/unknown.jsonl"

# A long-running probe with metrics; then its registrar stops answering.
mport=$(free_port)
"$PROBE" -i 50 -t 200 -p demo -n v3 -r "127.0.0.1:${rport[1]}" -o "$T/v3.jsonl" -m "127.0.0.1:$mport" 2>"$T/probe-v3.log" &
ppid=$!
pids+=("$ppid")
check "long-running probe: answers recorded" wait_until 10000 lines_ge "$T/v3.jsonl" 3
vt="vantage=\"v3\",target=\"127.0.0.1:${rport[1]}\""
check "metrics: probe_total counts" wait_until 5000 metric_ge "$mport" "anypool_probe_total{$vt}" 3
# Waited for too: a probe of these three may have timed out (200 ms) on a
# loaded machine; the answers go on coming every 50 ms.
check "metrics: answered_total by node and server id" \
	wait_until 10000 metric_ge "$mport" 'anypool_probe_answered_total{vantage="v3",node="a1",server_id="0x00000001"}' 3
check "metrics: last_answer_info names a1" \
	metric_ge "$mport" 'anypool_probe_last_answer_info{vantage="v3",node="a1",server_id="0x00000001"}' 1
check "metrics: RTT histogram has the answers" \
	wait_until 10000 metric_ge "$mport" "anypool_probe_rtt_seconds_count{$vt}" 3
check "metrics: last success timestamp is recent" \
	metric_ge "$mport" "anypool_probe_last_success_timestamp_seconds{$vt}" "$(( $(date +%s) - 60 ))"

kill -STOP "${rpid[1]}"
check "registrar stopped: probes time out" wait_until 10000 has_error "$T/v3.jsonl" timeout
check "... and start late rather than pile up (delayed counted)" \
	wait_until 5000 metric_ge "$mport" "anypool_probe_delayed_total{$vt}" 1
check "metrics: timeouts counted" \
	metric_ge "$mport" "anypool_probe_failures_total{$vt,reason=\"timeout\"}" 1
kill -CONT "${rpid[1]}"
kill -TERM "${rpid[1]}"
wait "${rpid[1]}" 2>/dev/null
forget "${rpid[1]}"
check "registrar gone: connection refused recorded" \
	wait_until 10000 has_error "$T/v3.jsonl" "connect: Connection refused"
check "metrics: refusals counted" \
	wait_until 5000 metric_ge "$mport" "anypool_probe_failures_total{$vt,reason=\"refused\"}" 1
check "failed probes carry no identity, RTT or PE count" \
	jqe -s 'all(.[] | select(.ok == false); .server_id == null and .node == null and .rtt_ms == null and .pes == null and (.error | type) == "string")' "$T/v3.jsonl"
check "the probe keeps running after network errors" kill -0 "$ppid"
kill -TERM "$ppid"
wait "$ppid"
rc=$?
forget "$ppid"
check "SIGTERM: exit status 0" [ "$rc" -eq 0 ]
check "every line written is whole JSON" \
	[ "$(lines "$T/v3.jsonl")" -eq "$(wc -l <"$T/v3.jsonl")" ]

# Catchment matrix over two vantage points.
"$PROBE" matrix "$T/v1.jsonl" "$T/v2.jsonl" >"$T/matrix.txt" 2>"$T/matrix.log"
check "matrix: exit 0" [ $? -eq 0 ]
check "matrix text: header names both nodes and failed" \
	grep -Eq '^vantage +a1 +a2 +failed +total +last$' "$T/matrix.txt"
check "matrix text: v1 5 x a1" \
	grep -Eq '^v1 +5 \(100\.0%\) +0 \(0\.0%\) +0 \(0\.0%\) +5 +a1$' "$T/matrix.txt"
check "matrix text: v2 3 x a2" \
	grep -Eq '^v2 +0 \(0\.0%\) +3 \(100\.0%\) +0 \(0\.0%\) +3 +a2$' "$T/matrix.txt"
{ head -2 "$T/v1.jsonl"; echo '{"vantage": "v1", "ok": tru'; echo '[1, 2]'; tail -n +3 "$T/v1.jsonl"; } >"$T/v1-bad.jsonl"
"$PROBE" matrix --json "$T/v1-bad.jsonl" "$T/v2.jsonl" "$T/v3.jsonl" >"$T/matrix.json" 2>"$T/matrix-bad.log"
check "matrix: malformed lines skipped with file:line" \
	grep -q "v1-bad.jsonl:3: " "$T/matrix-bad.log"
check "... both of them" grep -q "v1-bad.jsonl:4: " "$T/matrix-bad.log"
check "matrix --json: columns" jqe '.columns == ["a1", "a2", "failed"]' "$T/matrix.json"
check "matrix --json: counts and shares" jqe '
	.vantages.v1.counts == {"a1": 5, "a2": 0, "failed": 0} and .vantages.v1.total == 5 and
	.vantages.v1.percent.a1 == 100 and .vantages.v1.last_node == "a1" and
	.vantages.v2.counts == {"a1": 0, "a2": 3, "failed": 0} and .vantages.v2.last_node == "a2"' "$T/matrix.json"
ok3=$(jq -s '[.[] | select(.ok)] | length' "$T/v3.jsonl")
bad3=$(jq -s '[.[] | select(.ok | not)] | length' "$T/v3.jsonl")
check "matrix --json: v3's answers and failures" jqe --argjson a "$ok3" --argjson f "$bad3" '
	.vantages.v3.counts.a1 == $a and .vantages.v3.counts.failed == $f and
	.vantages.v3.total == $a + $f and .vantages.v3.last_node == "a1"' "$T/matrix.json"

finish anyprobe
