# SPDX-License-Identifier: BSD-2-Clause
# Sourced by deploy/lab: the lab's live monitoring.  Debian's prometheus and
# prometheus-alertmanager run as processes of the lab (never the system
# services) in the lab's namespace "mon", with their data under $RUN/mon,
# killed by PID on `deploy/lab down` like every other lab process.  "mon"
# has an out-of-band management link to every PoP and client network
# (deploy/render --lab: 198.19.K.0/30, the daemons' metrics listen on
# their end) and one to the host (198.18.0.X/30, X free on the host), so
# Prometheus (:9090) and Alertmanager (:9093) listen only on an address the
# lab made, and a browser on the host reaches them.
#
# Prometheus scrapes every registrard, healthd and anyprobe every
# MON_SCRAPE_MS and loads deploy/monitoring/alerts.yml.  The real file's
# "for:" durations (up to 10 min) are too slow for a lab run, so the lab
# loads a copy whose only change is every "for:" and every range window
# ([5m]...) divided by ANYPOOL_LAB_ALERT_SCALE (default 20: 2m -> 6 s);
# thresholds, expressions, labels and annotations are the file's.  With
# ANYPOOL_LAB_ALERT_SCALE=1 the lab loads alerts.yml itself.
# `deploy/lab demo` and `up` run them unless ANYPOOL_LAB_MONITORING=0; a
# script that sources deploy/lab (tests/lab/lab.sh, the benchmarks) only
# with ANYPOOL_LAB_MONITORING=1.  Without them the daemons still serve
# metrics on the management links.
#
# Uses deploy/lab's J, nx, nsn, ns_make, spawn, alive, die, wait_until.
# shellcheck shell=bash
# shellcheck disable=SC2154  # top, RUN, PREFIX: deploy/lab's

MON_SCALE=${ANYPOOL_LAB_ALERT_SCALE:-20}
MON_SCRAPE_MS=${ANYPOOL_LAB_SCRAPE_MS:-500}
MON_PROM_PORT=9090
MON_AM_PORT=9093

# mon_lab: the rendered lab has a management network.
mon_lab() { [ "$(J '.lab.monitoring != null')" = true ]; }
# mon_wanted: the lab runs Prometheus and Alertmanager.
MON_DEFAULT=0	# deploy/lab's main (demo, up) sets 1; sourced: ANYPOOL_LAB_MONITORING=1
mon_wanted() {
	[ "${ANYPOOL_LAB_MONITORING:-$MON_DEFAULT}" != 0 ] && mon_lab &&
	    command -v prometheus >/dev/null && command -v prometheus-alertmanager >/dev/null &&
	    command -v curl >/dev/null
}
# mon_up: they were started (and their address is known).
mon_up() { [ -s "$RUN/mon/address" ] && alive mon prometheus && alive mon alertmanager; }
mon_addr() { cat "$RUN/mon/address" 2>/dev/null; }
mon_prom_url() { echo "http://$(mon_addr):$MON_PROM_PORT"; }
mon_am_url() { echo "http://$(mon_addr):$MON_AM_PORT"; }

# mon_metrics_addr NAME: the address NAME's daemons serve metrics on.
mon_metrics_addr() {
	J --arg n "$1" '.lab.monitoring.targets[]? | select(.name == $n) | .address | split("/")[0]'
}
# mon_probe_args CLIENT: anyprobe's metrics option (nothing without the
# management network).
mon_probe_args() {
	mon_lab || return 0
	echo "-m $(mon_metrics_addr "$1"):$(J .lab.monitoring.ports.anyprobe)"
}

# mon_links: namespace "mon", a management link to every node and client
# network, and one to the host.  Before the daemons start: they bind their
# metrics listeners to these addresses.
mon_links() {
	local name ifn ma a i h m hostif
	mon_lab || return 0
	ns_make mon
	# "mon" forwards nothing: the management links never join two networks.
	nx mon sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
	while read -r name ifn ma a; do
		ip link add "$ifn" netns "$(nsn mon)" type veth peer name "$(J .lab.monitoring.ifname)" \
		    netns "$(nsn "$name")" || die "management link mon - $name"
		ip -n "$(nsn mon)" addr add "$ma" dev "$ifn"
		ip -n "$(nsn mon)" link set "$ifn" up
		ip -n "$(nsn "$name")" addr add "$a" dev "$(J .lab.monitoring.ifname)"
		ip -n "$(nsn "$name")" link set "$(J .lab.monitoring.ifname)" up
	done < <(J '.lab.monitoring.targets[] | "\(.name) \(.ifname) \(.mon_address) \(.address)"')
	# The host's link: the first 198.18.0.X/30 no host interface has.
	hostif=${PREFIX}mon
	[ ${#hostif} -le 15 ] || hostif=apmon$(cksum <<<"$PREFIX" | cut -c1-8)
	for i in $(seq 0 63); do
		h=198.18.0.$((4 * i + 1)) m=198.18.0.$((4 * i + 2))
		ip -4 -o addr show | grep -q " inet $h/" && continue
		ip link add "$hostif" type veth peer name host0 netns "$(nsn mon)" ||
		    die "management link host - mon ($hostif)"
		ip addr add "$h/30" dev "$hostif"
		ip link set "$hostif" up
		ip -n "$(nsn mon)" addr add "$m/30" dev host0
		ip -n "$(nsn mon)" link set host0 up
		echo "$m" >"$RUN/mon/address"
		return 0
	done
	die "no free 198.18.0.X/30 on the host for the monitoring link"
}

# mon_rules: the alert rules the lab loads (see the top of this file).
mon_rules() {
	local src=$top/deploy/monitoring/alerts.yml
	if [ "$MON_SCALE" = 1 ]; then cat "$src"; return; fi
	python3 - "$src" "$MON_SCALE" <<'EOF'
import re, sys
src, scale = sys.argv[1], float(sys.argv[2])
UNIT = {"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000}
def short(n, u):
    return f"{max(1, round(int(n) * UNIT[u] / scale))}ms"
print(f"# deploy/lab's copy of deploy/monitoring/alerts.yml.  The only change: every\n"
      f"# 'for:' and every range window divided by {sys.argv[2]} (lab time: a lab run\n"
      f"# lasts minutes, the file's durations up to 10 min).  Thresholds,\n"
      f"# expressions, labels and annotations are the file's.")
for line in open(src):
    line = re.sub(r"^(\s*for:\s*)(\d+)(ms|s|m|h|d)\b",
                  lambda m: m.group(1) + short(m.group(2), m.group(3)), line)
    line = re.sub(r"\[(\d+)(ms|s|m|h|d)\]",
                  lambda m: "[" + short(m.group(1), m.group(2)) + "]", line)
    sys.stdout.write(line)
EOF
}

# mon_user: run as Debian's "prometheus" user (the packages make it).
mon_user() {
	id prometheus >/dev/null 2>&1 &&
	    echo setpriv --reuid=prometheus --regid=prometheus --init-groups
}

mon_config() {
	local d=$RUN/mon a=$1 name kind addr p
	echo "# Rendered by deploy/lab for this lab run; do not edit."
	cat <<EOF
global:
  scrape_interval: ${MON_SCRAPE_MS}ms
  scrape_timeout: $((MON_SCRAPE_MS * 4 / 5))ms
  evaluation_interval: ${MON_SCRAPE_MS}ms
alerting:
  alertmanagers:
    - static_configs:
        - targets: ["$a:$MON_AM_PORT"]
rule_files: ["$d/alerts.yml"]
scrape_configs:
EOF
	for kind in registrard healthd anyprobe; do
		p=$(J --arg k "$kind" '.lab.monitoring.ports[$k]')
		echo "  - job_name: $kind"
		echo "    static_configs:"
		while read -r name addr; do
			echo "      - targets: [\"${addr%/*}:$p\"]"
			echo "        labels: {instance: \"$name\"}"
		done < <(J --arg k "$([ $kind = anyprobe ] && echo client || echo node)" \
		    '.lab.monitoring.targets[] | select(.kind == $k) | "\(.name) \(.address)"')
	done
}

mon_am_config() {
	cat <<EOF
# Rendered by deploy/lab for this lab run; do not edit.  One receiver that
# notifies nobody: the lab reads the alerts from the API.
route:
  receiver: lab
  group_by: [alertname, instance]
  group_wait: 1s
  group_interval: 5s
  repeat_interval: 1h
receivers:
  - name: lab
EOF
}

# mon_get PATH [CURL ARGS...]: GET from Prometheus (/api/v1/...) or, for
# /api/v2/..., Alertmanager, in the namespace "mon".
mon_get() {
	local path=$1 url; shift
	case $path in /api/v2/*) url=$(mon_am_url) ;; *) url=$(mon_prom_url) ;; esac
	nx mon curl -sf --noproxy '*' --max-time 5 -G "$@" "$url$path"
}
# mon_query EXPR [TIME]: the instant query's .data.result.
mon_query() {
	mon_get /api/v1/query --data-urlencode "query=$1" ${2:+--data-urlencode "time=$2"} |
	    jq -c '.data.result'
}
# mon_targets: "UP TOTAL" of Prometheus's scrape targets.
mon_targets() {
	mon_get /api/v1/targets --data-urlencode state=active 2>/dev/null |
	    jq -r '[.data.activeTargets[].health] | "\([.[] | select(. == "up")] | length) \(length)"'
}
mon_all_up() {
	local up all
	read -r up all <<<"$(mon_targets)"
	[ "${all:-0}" -gt 0 ] && [ "$up" = "$all" ]
}
mon_ready() {
	mon_get /-/ready >/dev/null 2>&1 &&
	    nx mon curl -sf --noproxy '*' --max-time 2 "$(mon_am_url)/-/ready" >/dev/null
}
# mon_am_alerts: Alertmanager's active alerts, one JSON object a line
# (name, instance, severity, startsAt).
mon_am_alerts() {
	mon_get /api/v2/alerts --data-urlencode active=true --data-urlencode silenced=false \
	    --data-urlencode inhibited=false 2>/dev/null |
	    jq -c '.[] | select(.status.state == "active") |
	    {name: .labels.alertname, instance: (.labels.instance // .labels.vantage // ""), severity: (.labels.severity // ""), startsAt}'
}
# mon_am_active NAME [INSTANCE]: Alertmanager has NAME active (for INSTANCE).
mon_am_active() {
	mon_am_alerts | jq -e -s --arg n "$1" --arg i "${2:-}" \
	    'any(.[]; .name == $n and ($i == "" or .instance == $i))' >/dev/null
}
# mon_am_quiet INSTANCE: no alert for INSTANCE is active in Alertmanager.
mon_am_quiet() {
	local out
	out=$(mon_get /api/v2/alerts --data-urlencode active=true) || return 1
	jq -e --arg i "$1" '[.[] | select(.status.state == "active" and .labels.instance == $i)] | length == 0' \
	    <<<"$out" >/dev/null
}

# mon_start: Prometheus and Alertmanager, as the lab's processes; returns
# once both answer and every scrape target is up.
mon_start() {
	local d=$RUN/mon a u n
	mon_lab || return 0
	if ! mon_wanted; then
		[ "${ANYPOOL_LAB_MONITORING:-$MON_DEFAULT}" = 0 ] ||
		    say "no Prometheus / Alertmanager: the Debian packages prometheus, prometheus-alertmanager and curl are missing (deploy/lab demo installs them)"
		return 0
	fi
	say "Prometheus + Alertmanager in namespace $(nsn mon), scraping every registrard, healthd and anyprobe"
	a=$(mon_addr)
	mon_rules >"$d/alerts.yml" || die "cannot render the lab's alert rules"
	mon_config "$a" >"$d/prometheus.yml"
	mon_am_config >"$d/alertmanager.yml"
	if command -v promtool >/dev/null; then
		promtool check config "$d/prometheus.yml" >"$d/promtool.log" 2>&1 ||
		    { cat "$d/promtool.log" >&2; die "promtool rejects the lab's Prometheus configuration"; }
	fi
	mkdir -p "$d/prometheus" "$d/alertmanager"
	u=$(mon_user)
	[ -n "$u" ] && chown prometheus: "$d/prometheus" "$d/alertmanager"
	# shellcheck disable=SC2086
	spawn mon alertmanager $u prometheus-alertmanager --config.file="$d/alertmanager.yml" \
	    --storage.path="$d/alertmanager" --web.listen-address="$a:$MON_AM_PORT" \
	    --web.external-url="http://$a:$MON_AM_PORT/" --cluster.listen-address= --log.level=warn
	# shellcheck disable=SC2086
	spawn mon prometheus $u prometheus --config.file="$d/prometheus.yml" \
	    --storage.tsdb.path="$d/prometheus" --storage.tsdb.retention.time=1d \
	    --web.listen-address="$a:$MON_PROM_PORT" --web.external-url="http://$a:$MON_PROM_PORT/" \
	    --log.level=warn
	wait_until 60000 mon_ready ||
	    die "Prometheus or Alertmanager did not answer within 60 s (see $d/*.log)"
	n=$(J '.lab.monitoring.targets | map(if .kind == "node" then 2 else 1 end) | add')
	wait_until 30000 mon_all_up || die "Prometheus: $(mon_targets | tr ' ' /) of $n scrape targets up after 30 s (see $(mon_prom_url)/targets)"
	# Alertmanager's view, sampled for the demo's timeline (a lab process
	# like the others, in "mon", killed by PID on down).
	spawn mon am-poll python3 -c '
import json, sys, time, urllib.request
url, out = sys.argv[1], sys.argv[2]
op = urllib.request.build_opener(urllib.request.ProxyHandler({}))
while True:
    t = time.time()
    try:
        al = json.load(op.open(url, timeout=2))
        al = [{"name": a["labels"].get("alertname", ""),
               "instance": a["labels"].get("instance", a["labels"].get("vantage", "")),
               "severity": a["labels"].get("severity", "")}
              for a in al if a.get("status", {}).get("state") == "active"]
        with open(out, "a") as f:
            f.write(json.dumps({"t": int(t * 1000), "alerts": al}) + "\n")
    except (OSError, ValueError):
        pass
    time.sleep(max(0.05, 0.5 - (time.time() - t)))
' "$(mon_am_url)/api/v2/alerts?active=true" "$d/am.jsonl"
}

# mon_status: one line each for Prometheus and Alertmanager (lab status).
mon_status() {
	local n
	mon_lab && [ -s "$RUN/mon/address" ] || return 0
	if ! mon_up; then
		echo "monitoring: Prometheus / Alertmanager not running"
		return 0
	fi
	echo "Prometheus   $(mon_prom_url)/  ($(mon_targets | tr ' ' /) scrape targets up; rules: $RUN/mon/alerts.yml$([ "$MON_SCALE" = 1 ] || echo ", alerts.yml with for:/ranges / $MON_SCALE"))"
	n=$(mon_am_alerts | jq -r -s 'map("\(.name) \(.instance)") | join(", ")')
	echo "Alertmanager $(mon_am_url)/  (active: ${n:-none})"
}

# mon_timeline FROM TO T0: the alerts between the epoch ms FROM and TO, from
# Prometheus's ALERTS series (when each alert went pending, firing, and
# when it ended) and the samples of Alertmanager's API (when it was active
# there): one line per event, times in seconds after T0.
mon_timeline() {
	local from=$1 to=$2 t0=$3
	mon_get /api/v1/query_range --data-urlencode 'query=ALERTS' \
	    --data-urlencode "start=$(awk -v t="$from" 'BEGIN { printf "%.3f", t / 1000 }')" \
	    --data-urlencode "end=$(awk -v t="$to" 'BEGIN { printf "%.3f", t / 1000 }')" \
	    --data-urlencode "step=$(awk -v m="$MON_SCRAPE_MS" 'BEGIN { printf "%.3f", m / 1000 }')" |
	python3 -c '
import json, sys
frm, to, t0, step = (int(x) / 1000 for x in sys.argv[1:5])
res = json.load(sys.stdin)["data"]["result"]
am = []
try:
    for line in open(sys.argv[5]):
        x = json.loads(line)
        if frm * 1000 <= x["t"] <= to * 1000:
            am.append((x["t"] / 1000, {(a["name"], a["instance"]) for a in x["alerts"]}))
except OSError:
    pass
def rel(t):
    return f"{t - t0:+.1f} s"
ev = []
for s in res:
    m = s["metric"]
    key = (m["alertname"], m.get("instance", m.get("vantage", "")))
    ts = [float(v[0]) for v in s["values"]]
    runs, a = [], ts[0]
    for i in range(1, len(ts) + 1):
        if i == len(ts) or ts[i] - ts[i - 1] > step * 1.5:
            runs.append((a, ts[i - 1]))
            if i < len(ts):
                a = ts[i]
    for a, b in runs:
        ev.append((a, key, m.get("severity", ""), m["alertstate"], a <= frm + step / 2))
        if b + step * 1.5 < to:
            ev.append((b + step, key, m.get("severity", ""), "end-" + m["alertstate"], False))
ev.sort(key=lambda e: (e[0], e[3] != "pending"))
# A pending episode that did not end in firing was never notified: counted,
# not listed.
def fired(key, t):
    return any(e[1] == key and e[3] == "firing" and abs(e[0] - t) <= step for e in ev)
quiet = {}
for e in ev:
    if e[3] == "end-pending" and not fired(e[1], e[0]):
        quiet[e[1][0]] = quiet.get(e[1][0], 0) + 1
pend = [e for e in ev if e[3] == "pending"]
keep = []
for e in ev:
    if e[3] == "end-pending":
        continue
    if e[3] == "pending":
        ends = [x[0] for x in ev if x[1] == e[1] and x[3] == "end-pending" and x[0] > e[0]]
        if ends and not fired(e[1], ends[0]):
            continue
    keep.append(e)
for t, key, sev, st, before in keep:
    what = {"pending": "pending", "firing": "FIRING", "end-firing": "resolved",
            "end-pending": "cleared before it fired"}[st]
    if before:
        what += " (already at the start of this window)"
    note = ""
    if st == "firing":
        seen = [x for x, k in am if x >= t - step and key in k]
        note = f"; in Alertmanager from {rel(seen[0])}" if seen else "; not seen in Alertmanager"
    elif st == "end-firing":
        gone = [x for x, k in am if x >= t and key not in k]
        was = any(key in k for x, k in am if x < t)
        note = f"; gone from Alertmanager at {rel(gone[0])}" if gone and was else ""
    print(f"   {rel(t):>9}  {key[0]:<34} {key[1]:<3} {sev:<6} {what}{note}")
for key in sorted({e[1] for e in keep}):
    last = [e for e in keep if e[1] == key][-1]
    if last[3] == "firing":
        print(" " * 14 + f"{key[0]:<34} {key[1]:<3} still firing at {rel(to)}")
if not keep:
    print("   (no alert fired)")
if quiet:
    print("   (pending, then cleared within their for: and never notified: " +
          ", ".join(f"{n} x{k}" for n, k in sorted(quiet.items())) + ")")
' "$from" "$to" "$t0" "$MON_SCRAPE_MS" "$RUN/mon/am.jsonl"
}

# mon_case_fired HOW VICTIM T0: the alert a user expects of this failure is
# active in Alertmanager (a crash: healthd withdraws, AnycastNodeWithdrawn;
# a hang: healthd answers nothing, HealthdDown), and the page for "no PoP
# announces" is not.  Called before the heal.
mon_case_fired() {
	local how=$1 v=$2 t0=$3 want=AnycastNodeWithdrawn t
	mon_up || return 0
	[ "$how" = hang ] && want=HealthdDown
	if wait_until 30000 mon_am_active "$want" "$v"; then
		# When it appeared there: the first sample of Alertmanager's API
		# (every 0.5 s) that has it.
		t=$(jq -r --argjson t0 "$t0" --arg n "$want" --arg v "$v" 'select(.t >= $t0 and
		    any(.alerts[]; .name == $n and .instance == $v)) | .t' "$RUN/mon/am.jsonl" 2>/dev/null | head -1)
		[ -n "$t" ] || t=$(now_ms)
		echo "   Alertmanager: $want for $v active $(awk -v t="$((t - t0))" 'BEGIN { printf "%.1f", t / 1000 }') s after the failure" \
		    "(lab rules: for: / $MON_SCALE); the all-PoPs page AnycastServiceWithdrawnEverywhere: $(mon_am_active AnycastServiceWithdrawnEverywhere && echo "ACTIVE (wrong)" || echo "not active")"
	else
		echo "   Alertmanager: $want for $v NOT active within 30 s of the failure"
		MON_FAILED="$MON_FAILED; $how: no $want for $v in Alertmanager"
	fi
}

# mon_case_resolved HOW VICTIM T0: after the heal, every alert for VICTIM
# leaves Alertmanager; prints the case's alert timeline.
mon_case_resolved() {
	local how=$1 v=$2 t0=$3 what=crash
	mon_up || return 0
	[ "$how" = hang ] && what=hang
	wait_until 30000 mon_am_quiet "$v" ||
	    MON_FAILED="$MON_FAILED; $how: alerts for $v still active 30 s after the heal"
	echo
	echo "   Alerts, s after the $what (Prometheus's ALERTS series at ${MON_SCRAPE_MS} ms steps: an event shows"
	echo "   at the first step that saw it; Alertmanager's API sampled every 500 ms):"
	mon_timeline $((t0 - 2000)) "$(now_ms)" "$t0"
}
MON_FAILED=

# mon_plot_svg OUT: the demo's picture from Prometheus's data: per client
# network, the registrar its probes reached (anypool_probe_last_answer_info)
# and the probes that failed (anypool_probe_failures_total rising); per PoP,
# what healthd announced (anypool_healthd_service_state; no sample: the
# daemon did not answer the scrape).
mon_plot_svg() {
	local out=$1 dat=$RUN/mon/plot.dat t0 t1 step c n k=0 ytics="" marks plots col
	t0=$(head -1 "$RUN/events" | cut -d' ' -f1)
	t1=$(now_ms)
	step=$(awk -v m="$MON_SCRAPE_MS" 'BEGIN { printf "%.3f", m / 1000 }')
	range() {
		mon_get /api/v1/query_range --data-urlencode "query=$1" \
		    --data-urlencode "start=$(awk -v t="$t0" 'BEGIN { printf "%.3f", t / 1000 }')" \
		    --data-urlencode "end=$(awk -v t="$t1" 'BEGIN { printf "%.3f", t / 1000 }')" \
		    --data-urlencode "step=$step"
	}
	: >"$dat"
	local rows=""
	for c in $(clients); do k=$((k + 1)); rows="$rows $c"; ytics="$ytics\"$c probes\" $k,"; done
	for n in $(nodes); do k=$((k + 1)); rows="$rows $n"; ytics="$ytics\"PoP $n\" $k,"; done
	{
		range anypool_probe_last_answer_info | jq -r '.data.result[] |
		    .metric.instance as $v | .metric.node as $n | .values[] | [.[0], $v, $n] | @tsv'
		range 'increase(anypool_probe_failures_total['"$((MON_SCRAPE_MS * 2))"'ms]) > 0' |
		    jq -r '.data.result[] | .metric.instance as $v | .values[] | [.[0], $v, "none"] | @tsv'
		range anypool_healthd_service_state | jq -r '.data.result[] |
		    .metric.instance as $v | .values[] |
		    [.[0], $v, (if .[1] == "1" then "announced" elif .[1] == "0" then "withdrawn" else "draining" end)] | @tsv'
	} | awk -F'\t' -v t0="$t0" -v rows="$rows" 'BEGIN { n = split(rows, r, " ")
	    for (i = 1; i <= n; i++) y[r[i]] = i }
	    ($2 in y) { printf "%.3f\t%d\t%s\n", $1 - t0 / 1000, y[$2], $3 }' >"$dat"
	[ -s "$dat" ] || return 1
	marks=$(awk -v t0="$t0" '$2 == "fail" || $2 == "heal" {
	    printf "set arrow from %.2f, graph 0 to %.2f, graph 1 nohead dt 2 lw 1.5 lc rgb \"%s\"\n", ($1 - t0) / 1000, ($1 - t0) / 1000, ($2 == "fail" ? "red" : "forest-green");
	    printf "set label \"%s %s\" at %.2f, graph 1.03 center\n", $2, $3, ($1 - t0) / 1000 }' "$RUN/events")
	# The registrars in colours that are not the states' (green, red, gold).
	local colors=("#ff7f0e" "#1f77b4" "#9467bd" "#8c564b" "#e377c2" "#17becf" "#7f7f7f")
	plots="" col=-1
	for n in $(nodes); do
		col=$(( (col + 1) % ${#colors[@]} ))
		plots="$plots '$dat' using 1:(strcol(3) eq \"$n\" ? \$2 : 1/0) with points pt 7 ps 0.5 lc rgb \"${colors[$col]}\" title \"answered by $n\","
	done
	plots="$plots '$dat' using 1:(strcol(3) eq \"none\" ? \$2 + 0.2 : 1/0) with points pt 2 ps 0.7 lc rgb \"black\" title \"probes failed\","
	plots="$plots '$dat' using 1:(strcol(3) eq \"announced\" ? \$2 : 1/0) with points pt 5 ps 0.4 lc rgb \"forest-green\" title \"announced\","
	plots="$plots '$dat' using 1:(strcol(3) eq \"withdrawn\" ? \$2 : 1/0) with points pt 5 ps 0.4 lc rgb \"red\" title \"withdrawn\","
	plots="$plots '$dat' using 1:(strcol(3) eq \"draining\" ? \$2 : 1/0) with points pt 5 ps 0.4 lc rgb \"gold\" title \"draining\""
	local term='svg size 1000,420 dynamic font "sans,11"'
	case $out in *.png) term='pngcairo size 1000,420 font "sans,10"' ;; esac
	gnuplot <<EOF
set terminal $term
set output "$out"
set title "anypool lab, from Prometheus ($(mon_prom_url), every ${MON_SCRAPE_MS} ms): who answered each client's probes; what each PoP announced" offset 0,1
set xlabel "seconds since the lab came up (no mark: no sample - the daemon did not answer the scrape)"
set ytics (${ytics%,})
set yrange [0.5:$k.5]
set key outside right
set grid xtics
$marks
plot $plots
EOF
}
