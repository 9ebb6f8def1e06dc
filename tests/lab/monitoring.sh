#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Live monitoring in the lab (issue 15): deploy/lab's own Prometheus and
# Alertmanager (Debian's packages, deploy/lib/monitoring.sh) on the 3-PoP
# lab, with a namespace prefix and run directory of its own.  Asserts what
# an operator would check:
#  - Prometheus and Alertmanager run as processes of the lab (pid files in
#    $RUN/mon, in the lab's namespace "mon"), listen only on the address
#    the lab gave them, and their APIs answer;
#  - Prometheus loaded every alert rule of deploy/monitoring/alerts.yml,
#    each "for:" divided by the lab's scale and nothing else changed (its
#    expression, labels and annotations as the file has them), and scrapes
#    every registrard, healthd and anyprobe of the lab (9 targets, all up);
#  - a healthy lab has no active alert in Alertmanager;
#  - kill -9 of PoP a's registrard: AnycastNodeWithdrawn for a is active
#    in Alertmanager, the all-PoPs page AnycastServiceWithdrawnEverywhere is
#    neither active there nor pending/firing in Prometheus; after the heal
#    both are clear in Alertmanager and in Prometheus, and deploy/lab's alert
#    timeline shows AnycastNodeWithdrawn for a fired and resolved;
#  - every query of the Grafana dashboard deploy/monitoring/anypool.json
#    (panels and annotations) returns data from the lab's Prometheus;
#  - down kills Prometheus and Alertmanager by PID and removes their
#    namespace, the host's management link and the data directories.
# Root (network namespaces, real FRR); without root it skips (77).
set -u
B=$(cd "${B:-.}" && pwd)
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/common.sh
. "$SRC/tests/lib/common.sh"
need_root "network namespaces"
for p in ip vtysh jq python3 openssl curl prometheus prometheus-alertmanager promtool \
    /usr/lib/frr/zebra /usr/lib/frr/bgpd /usr/lib/frr/bfdd; do
	command -v "$p" >/dev/null || [ -x "$p" ] ||
		error "$p missing (tests/run-all installs \$ANYPOOL_NETNS_PACKAGES \$ANYPOOL_LAB_PACKAGES \$ANYPOOL_MONITORING_PACKAGES)"
done
[ -x "$B/monitoring/anyprobe" ] || error "$B/monitoring/anyprobe is not built"

export ANYPOOL_BUILD=$B ANYPOOL_LAB_MONITORING=1
unset ANYPOOL_LAB_ALERT_SCALE
# shellcheck source=deploy/lab
. "$SRC/deploy/lab"
set +e
PREFIX="apm$$-"
RUN=/run/anypool-montest.$$
INV=$SRC/deploy/inventory/lab.toml
bins
DASH=$SRC/deploy/monitoring/anypool.json
ALERTS_FILE=$SRC/deploy/monitoring/alerts.yml

cleanup() {
	if [ -d "$RUN" ]; then
		if [ "$nfail" -gt 0 ]; then
			for f in "$RUN"/*/*.log; do
				echo "---- $f"; tail -n 15 "$f"
			done
		fi
		lab_down
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

t_up=$(now_ms)
check "lab up, with Prometheus and Alertmanager" lab_up
echo "# lab up in $(( $(now_ms) - t_up )) ms"
[ "$nfail" -eq 0 ] || exit 1

# --- the processes and their addresses
A=$(mon_addr)
check "Prometheus and Alertmanager run in the lab's namespace $(nsn mon) (pid files in $RUN/mon)" mon_up
pp=$(cat "$RUN/mon/prometheus.pid") ap=$(cat "$RUN/mon/alertmanager.pid")
echo "# prometheus pid $pp ($(readlink "/proc/$pp/exe"), user $(stat -c %U "/proc/$pp")), alertmanager pid $ap ($(readlink "/proc/$ap/exe"))"
listen=$(nx mon ss -Htln | awk '{ print $4 }' | sort -u | tr '\n' ' ')
echo "# listening in $(nsn mon): $listen"
check "they listen only on the lab's address $A (:9090, :9093)" \
    eval "[ \"\$listen\" = \"$A:9090 $A:9093 \" ]"
host_pp=$(ip netns identify "$pp")
check "Prometheus is the lab's process, not the system service (namespace ${host_pp:-none}, data in $RUN/mon)" \
    eval "[ \"$host_pp\" = \"$(nsn mon)\" ] && tr '\\0' ' ' </proc/$pp/cmdline | grep -q -- '--storage.tsdb.path=$RUN/mon/prometheus'"
check "Prometheus's web page answers from the host at $(mon_prom_url)/" \
    eval "curl -sf --noproxy '*' --max-time 5 '$(mon_prom_url)/-/ready' >/dev/null"

# --- the rules: alerts.yml's, only "for:" and range windows shorter
rules=$(mon_get /api/v1/rules --data-urlencode type=alert)
# rules_match: every alert rule of alerts.yml loaded, with the file's
# "for:" over the scale and the file's severity; nothing more.
rules_match() {
	python3 - "$ALERTS_FILE" "$MON_SCALE" "$rules" <<'EOF'
import json, re, sys
UNIT = {"s": 1, "m": 60, "h": 3600}
want, cur = {}, None
for line in open(sys.argv[1]):
    m = re.match(r"\s*- alert:\s*(\S+)", line)
    if m:
        cur = want[m.group(1)] = {"for": 0, "severity": None}
    m = re.match(r"\s*for:\s*(\d+)([smh])\s*$", line)
    if m and cur:
        cur["for"] = int(m.group(1)) * UNIT[m.group(2)]
    m = re.search(r"labels:.*severity:\s*(\w+)", line)
    if m and cur:
        cur["severity"] = m.group(1)
got = {r["name"]: r for g in json.loads(sys.argv[3])["data"]["groups"] for r in g["rules"]}
bad = [f"{n} not loaded" for n in want if n not in got] + \
      [f"{n} is not in alerts.yml" for n in got if n not in want]
for n, w in want.items():
    r = got.get(n)
    if r and abs(r["duration"] - w["for"] / float(sys.argv[2])) > 0.002:
        bad.append(f"{n}: for: {w['for']} s in the file, {r['duration']} s loaded")
    if r and r["labels"].get("severity") != w["severity"]:
        bad.append(f"{n}: severity {r['labels'].get('severity')}, file {w['severity']}")
print(f"# {len(want)} alert rules in alerts.yml, {len(got)} loaded; {len(bad)} differ" +
      "".join(f"\n#   {b}" for b in bad))
sys.exit(1 if bad or not want else 0)
EOF
}
check "Prometheus loaded every alert rule of alerts.yml, each for: the file's / $MON_SCALE, severities as in the file" rules_match
x=$(mon_rules | grep -v '^#' | sed -E 's/^(\s*for:\s*)[0-9]+(ms|s|m|h)/\1D/; s/\[[0-9]+(ms|s|m|h)\]/[D]/g')
y=$(grep -v '^#' "$ALERTS_FILE" | sed -E 's/^(\s*for:\s*)[0-9]+(ms|s|m|h)/\1D/; s/\[[0-9]+(ms|s|m|h)\]/[D]/g')
check "the lab's rules differ from alerts.yml only in for: and range windows" [ "$x" = "$y" ]

# --- the targets
check "Prometheus scrapes 9 targets (3 registrard, 3 healthd, 3 anyprobe), all up" \
    wait_until 20000 eval '[ "$(mon_targets)" = "9 9" ]'
jobs=$(mon_get /api/v1/targets --data-urlencode state=active |
    jq -r '[.data.activeTargets[] | "\(.labels.job):\(.labels.instance)"] | sort | join(" ")')
echo "# targets: $jobs"
check "... one per daemon of the lab" [ "$jobs" = "anyprobe:ca anyprobe:cb anyprobe:cc healthd:a healthd:b healthd:c registrard:a registrard:b registrard:c" ]

check "every client's probes succeed and agree with the RIB" wait_until 60000 all_agree
healthy() { ! mon_am_alerts | grep -q '"severity":"page"\|"instance":"a"'; }
check "a healthy lab: no page and no alert for a active in Alertmanager" wait_until 30000 healthy
echo "# Alertmanager: $(mon_am_alerts | tr '\n' ' ')"

# --- failure of PoP a (kill -9 of its registrard)
lab_fail a registrar >/dev/null
t_fail=$(last_event fail)
check "crash of a: AnycastNodeWithdrawn for a active in Alertmanager" \
    wait_until 40000 mon_am_active AnycastNodeWithdrawn a
echo "# AnycastNodeWithdrawn for a in Alertmanager $(( $(now_ms) - t_fail )) ms after the kill (for: 2m / $MON_SCALE)"
echo "# Alertmanager: $(mon_am_alerts | jq -r -s 'map("\(.name) \(.instance) \(.severity)") | join(", ")')"
check "... the all-PoPs page AnycastServiceWithdrawnEverywhere is not active in Alertmanager" \
    eval '! mon_am_active AnycastServiceWithdrawnEverywhere'
check "... nor pending or firing in Prometheus" \
    eval '[ "$(mon_query "ALERTS{alertname=\"AnycastServiceWithdrawnEverywhere\"}")" = "[]" ]'
check "... and Prometheus has a withdrawn, b and c announced" \
    wait_until 10000 eval '[ "$(mon_query anypool_healthd_service_state | jq -r "sort_by(.metric.instance) | map(.metric.instance + \"=\" + .value[1]) | join(\" \")")" = "a=0 b=1 c=1" ]'

lab_heal a >/dev/null
t_heal=$(last_event heal)
clear_am() { ! mon_am_active AnycastNodeWithdrawn && ! mon_am_active AnycastServiceWithdrawnEverywhere; }
check "heal: AnycastNodeWithdrawn and AnycastServiceWithdrawnEverywhere clear in Alertmanager" \
    wait_until 40000 clear_am
echo "# clear in Alertmanager $(( $(now_ms) - t_heal )) ms after the heal"
check "... and in Prometheus (no ALERTS series for either)" \
    wait_until 10000 eval '[ "$(mon_query "ALERTS{alertname=~\"AnycastNodeWithdrawn|AnycastServiceWithdrawnEverywhere\"}")" = "[]" ]'
check "... no alert for a left in Alertmanager" wait_until 40000 mon_am_quiet a
# The timeline ends an episode only 1.5 scrape intervals after its last
# sample (mon_timeline), which may be later than Alertmanager's clearing:
# read it again until it shows the end, or the check below says what it saw.
tl_ended() {
	tl=$(mon_timeline $((t_fail - 2000)) "$(now_ms)" "$t_fail")
	grep -qE '^ +\+[0-9.]+ s +AnycastNodeWithdrawn +a +ticket resolved' <<<"$tl"
}
WAIT_POLL_MS=250 wait_until 10000 tl_ended || true
echo "# alert timeline (s after the kill; heal at +$(awk -v t=$((t_heal - t_fail)) 'BEGIN { printf "%.1f", t / 1000 }') s):"
sed 's/^/#/' <<<"$tl"
check "deploy/lab's timeline: AnycastNodeWithdrawn for a FIRING after the kill, then resolved" \
    eval "grep -qE '^ +\+[0-9.]+ s +AnycastNodeWithdrawn +a +ticket FIRING' <<<\"\$tl\" &&
        grep -qE '^ +\+[0-9.]+ s +AnycastNodeWithdrawn +a +ticket resolved' <<<\"\$tl\""

# --- the dashboard: every query returns data
check "anypool.json imports: a \${DS_PROMETHEUS} datasource input, schemaVersion >= 36" \
    eval "jq -e '(.__inputs | any(.name == \"DS_PROMETHEUS\" and .pluginId == \"prometheus\")) and .schemaVersion >= 36' '$DASH' >/dev/null"
# dash_data: every query of the dashboard (panels and annotations) as an
# instant query: each must return at least one series.
dash_data() {
	python3 - "$DASH" "$(mon_prom_url)" <<'EOF'
import json, sys, urllib.parse, urllib.request
d = json.load(open(sys.argv[1]))
op = urllib.request.build_opener(urllib.request.ProxyHandler({}))
qs = [(p["title"], t["expr"]) for p in d["panels"] if p["type"] != "row" for t in p["targets"]]
qs += [("annotation " + a["name"], a["expr"]) for a in d["annotations"]["list"] if "expr" in a]
empty = 0
for title, q in qs:
    url = sys.argv[2] + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    try:
        r = json.load(op.open(url, timeout=10))["data"]["result"]
    except (OSError, ValueError, KeyError) as e:
        r = []
        print(f"# {title}: {e}")
    if not r:
        empty += 1
    print(f"# {title}: {str(len(r)) + ' series' if r else 'NO DATA'}: {q}")
print(f"# {len(qs)} queries, {empty} without data")
sys.exit(1 if empty or len(qs) < 20 else 0)
EOF
}
check "every query of the dashboard returns data from the lab's Prometheus" dash_data

# --- down
lab_down
check "down: Prometheus and Alertmanager killed (pids $pp $ap)" eval "! running $pp && ! running $ap"
check "down: namespace $(nsn mon), the host's management link and $RUN are gone" \
    eval "[ ! -e /run/netns/$(nsn mon) ] && ! ip link show $(nsn mon) >/dev/null 2>&1 && [ ! -d $RUN ]"
finish monitoring
