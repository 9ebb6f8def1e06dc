#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The example alert rules of deploy/monitoring/ are what an operator loads
# into Prometheus, so check them with Prometheus' own promtool: the rules
# parse (promtool check rules), they fire and stay quiet as
# deploy/monitoring/alerts-test.yml says (promtool test rules), and every
# anypool_* metric they use is really exported, by a running registrard and
# healthd in a namespace of this test, and anyprobe, so a
# renamed metric cannot silently disarm an alert or blank a dashboard panel.
set -u
B=${B:-.}
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/common.sh
. "$SRC/tests/lib/common.sh"
# shellcheck source=../lib/deps.sh
. "$SRC/tests/lib/deps.sh"

need_root "a network namespace"
PROMTOOL=$(ensure_promtool) || error "no promtool"

T=$(mktemp -d /tmp/anypool-alerts.XXXXXX)
NS=apalerts$$
PIDS=()
cleanup() {
	exec 2>/dev/null	# no "Killed" notices from the shell
	local p
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	# Whatever still runs in this test's own namespace was started here.
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p"; done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	if [ "$nfail" -gt 0 ]; then
		for f in "$T"/*.log; do [ -f "$f" ] && { echo "---- $f"; tail -20 "$f"; }; done
	fi
	rm -rf "$T"
}
trap cleanup EXIT

cp "$SRC/deploy/monitoring/alerts.yml" "$SRC/deploy/monitoring/alerts-test.yml" "$T/"
if (cd "$T" && "$PROMTOOL" check rules alerts.yml) >"$T/check.log" 2>&1; then
	pass "promtool check rules: $(grep -o '[0-9]* rules found' "$T/check.log")"
else
	fail "promtool check rules"; cat "$T/check.log"
fi
if (cd "$T" && "$PROMTOOL" test rules alerts-test.yml) >"$T/unit.log" 2>&1; then
	pass "promtool test rules: every alert case fires or stays quiet as expected"
else
	fail "promtool test rules"; cat "$T/unit.log"
fi

# Real daemons, their /metrics.  Started with "ip netns exec" itself (it
# execs the program), so that $! is the daemon's PID and not a subshell's.
ip netns add "$NS" && ip -n "$NS" link set lo up
nx() { ip netns exec "$NS" "$@"; }
cat >"$T/registrard.conf" <<EOC
server-id 7
node-name "alerts"
listen on 127.0.0.1 port 3863 transport tcp
control socket "$T/registrard.sock"
metrics listen 127.0.0.1 port 9464
EOC
cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
metrics listen 127.0.0.1 port 9465
service registrar {
	prefix 198.51.100.53/32
	registrar control "$T/registrard.sock"
	probe asap 127.0.0.1 port 3863 pool "probe" interval 200ms timeout 150ms
}
EOC
ip netns exec "$NS" "$B/registrar/registrard" -d -f "$T/registrard.conf" >"$T/registrard.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS" "$B/health/healthd" -d -f "$T/healthd.conf" >"$T/healthd.log" 2>&1 &
PIDS+=($!)
ip netns exec "$NS" "$B/monitoring/anyprobe" -r 127.0.0.1 -p probe -n alerts -i 100 \
    -o "$T/probe.jsonl" -m 127.0.0.1:9466 >"$T/anyprobe.log" 2>&1 &
PIDS+=($!)

# get PORT: GET /metrics from the namespace, appended to $T/all.
get() {
	nx timeout 3 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 &&
	    printf 'GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n' >&3 && cat <&3" \
	    >"$T/m.$1" 2>/dev/null && head -1 "$T/m.$1" | grep -q ' 200 ' &&
	    grep -q anypool_ "$T/m.$1"
}
wait_get() { wait_until 10000 get "$1"; }
ports="9464 9465 9466"
: >"$T/all"
for p in $ports; do
	if wait_get "$p"; then cat "$T/m.$p" >>"$T/all"; else fail "GET /metrics on port $p"; fi
done
# Metric names the rules and the dashboard use; a histogram's _bucket,
# _sum and _count belong to the family named in its "# TYPE" line.
exported() {
	local base=${1%_bucket}
	grep -Eq "^$1(\{| )" "$T/all" || grep -Eq "^# TYPE ($1|$base) " "$T/all"
}
for m in $(cat "$SRC/deploy/monitoring/alerts.yml" \
    "$SRC/deploy/monitoring/dashboard.md" | grep -oE 'anypool_[a-z_]+' | sort -u); do
	if exported "$m"; then pass "$m (alerts, dashboard) is exported"
	else fail "$m is used by the alerts or dashboard, but no daemon exports it"; fi
done

finish alerts
