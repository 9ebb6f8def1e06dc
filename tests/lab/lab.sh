#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The 3-PoP anycast lab of deploy/lab (deploy/inventory/lab.toml, or
# LAB_INVENTORY: lab-ospf.sh runs it on lab-ospf.toml) end to end, with
# the built binaries and a namespace prefix and run directory of
# its own (so it runs beside a user's lab and other tests).  Asserts:
#  - all three PoPs announce; every client reaches its nearest registrar
#    (ca -> a, cb -> b, cc -> c) and the probes agree with the FRR RIBs
#    (the best BGP path's origin AS, or the OSPF route's interface, and
#    the forwarding path);
#  - kill -9 of a's registrard (a is nearest to ca): ca's probes are
#    answered by another registrar (b, the next-nearest) within 3 s
#    (measured time printed; the target is 1 s);
#  - heal: ca's probes come back to a, only after healthd's hold-down;
#  - a libasap pool user in ca (asap-pu loop: a resolution every 20 ms
#    through the anycast address, deadline 2 s) gets 0 failed resolutions
#    across the crash and across the hang (issue 13, item 4); the p99 of
#    the resolutions started in the second after each failure is printed;
#  - hang (issue 13, item 1): BFD up on every PoP session first; then
#    every process of a (registrard, healthd, zebra, bfdd, bgpd/ospfd)
#    stopped with SIGSTOP: ra's BFD session to a goes down and ca's probes
#    are answered by another registrar within 1 s (OSPF: 2 s, see below); heal (SIGCONT; FRR
#    runs on, registrard and healthd are restarted, see deploy/lab
#    lab_heal): a rejoins (BFD up again, ca answered by a, PEs and ENRP
#    as before) and no answer is wrong, after the heal either;
#  - never a wrong answer, over the whole run and every client: a probe
#    that succeeds (ok) must name a lab node with that node's server id and
#    carry a PE count, and come from the registrar the client's router
#    forwarded the anycast address to at that moment (RIB sampled every
#    ~20 ms; a sample within 200 ms of the probe counts), and never from a
#    registrar that was killed and not yet restarted; and no probe may
#    fail on a malformed, unexpected or error reply (failing to connect
#    during the failover is not a wrong answer, it is the gap);
#  - the demo PEs, registered through the anycast address, stay resolvable
#    from every client: once all three are listed, every answer lists at
#    least one, and all three are listed again within 15 s of the failure
#    and of the heal;
#  - secured (the inventory's [security], issue 12): every demo PE is
#    registered over TLS with its own PSK identity (the registrar's control
#    socket says so), before the failure and at its new home after it; the
#    registrars' ENRP connections all run TLS, again after the heal; a
#    plaintext registration through the anycast address is rejected with
#    cause 0xa; pool users resolve through the anycast address checking
#    the registrar's certificate for the service name, and refuse one
#    checked for another name; deploy/lab's one-line summary says secured;
#  - down leaves no namespace, no process and no run directory;
#  - with LAB_CRASH_FIRST (lab-ospf.sh): up over a lab that crashed half
#    way clears its processes and comes up all the same.
set -u
B=$(cd "${B:-.}" && pwd)
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/common.sh
. "$SRC/tests/lib/common.sh"
need_root "network namespaces"
for p in ip vtysh jq python3 openssl /usr/lib/frr/zebra /usr/lib/frr/bgpd /usr/lib/frr/ospfd /usr/lib/frr/bfdd; do
	command -v "$p" >/dev/null || [ -x "$p" ] ||
		error "$p missing (tests/run-all installs \$ANYPOOL_NETNS_PACKAGES \$ANYPOOL_LAB_PACKAGES)"
done
[ -x "$B/monitoring/anyprobe" ] || error "$B/monitoring/anyprobe is not built"

export ANYPOOL_BUILD=$B ANYPOOL_LAB_PROBE_MS=50
# shellcheck source=deploy/lab
. "$SRC/deploy/lab"
set +e
PREFIX="apt$$-"
RUN=/run/anypool-labtest.$$
INV=${LAB_INVENTORY:-$SRC/deploy/inventory/lab.toml}
bins

SAMPLER= KEEPLOG=/tmp/anypool-labtest.$$.log
cleanup() {
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null && wait "$SAMPLER" 2>/dev/null
	if [ -d "$RUN" ]; then
		if [ "$nfail" -gt 0 ]; then
			for f in "$RUN"/*/*.log; do
				echo "---- $f"; tail -n 15 "$f"
			done
		fi
		lab_down
	fi
	rm -f "$KEEPLOG"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

crashed=""
if [ -n "${LAB_CRASH_FIRST:-}" ]; then
	# "Re-running up after a crash works": a first lab that crashed half
	# way (some daemons killed, the rest still running, one pid file lost,
	# namespaces and run directory left behind); the up below must clear
	# it all and still come up.
	check "a first lab up (the one to crash)" lab_up
	crashed=$(cat "$RUN"/*/*.pid "$RUN"/*/frr/*.pid 2>/dev/null)
	kill -9 "$(cat "$RUN/a/registrard.pid")" "$(cat "$RUN/rb/frr/zebra.pid")"
	rm -f "$RUN/b/healthd.pid"
	echo "# crashed a lab: registrard at a and zebra at rb killed," \
	    "healthd's pid file at b lost, $(echo "$crashed" | wc -w) processes were up"
fi
t_up=$(now_ms)
check "lab up (3 PoPs announce)${crashed:+, over the crashed one}" lab_up
echo "# lab up in $(( $(now_ms) - t_up )) ms"
[ "$nfail" -eq 0 ] || exit 1
pids=$(cat "$RUN"/*/*.pid "$RUN"/*/frr/*.pid 2>/dev/null)
if [ -n "$crashed" ]; then
	old=""
	for p in $crashed; do running "$p" && ! grep -qx "$p" <<<"$pids" && old="$old $p"; done
	check "up over a crashed lab: none of its processes left (${old:-none})" [ -z "$old" ]
fi

owner 0 >/dev/null	# load the address map before the sampler forks
A4=$(J .service.anycast4)
# The RIB sampler: every ~20 ms, where each client's router forwards the
# anycast address ("ts client pop").
(
	n=0
	while [ $n -lt 20000 ]; do
		for c in ca cb cc; do
			rib_pop_var "r${c#c}"
			t=${EPOCHREALTIME/[.,]/}
			echo "$((t / 1000)) $c $RIB_POP"
		done
		n=$((n + 1))
		sleep 0.02
	done
) >"$RUN/rib.samples" 2>/dev/null &
SAMPLER=$!

check "every client's probes succeed and agree with the RIB" wait_until 30000 all_agree
for c in ca cb cc; do
	p=${c#c}
	check "$c reaches its nearest registrar $p" \
	    eval "[ \"\$(last_probe $c | jq -r .node)\" = $p ]"
	if [ "$(J .lab.routing)" = bgp ]; then
		check "r$p's best BGP path originates at $p's AS" \
		    eval "[ \"\$(bgp_path r$p | awk '{ print \$NF }')\" = \"\$(J '.nodes[] | select(.name == \"$p\") | .asn')\" ]"
	else
		check "r$p's selected OSPF route goes straight to $p" \
		    eval "[ \"\$(ospf_path r$p | awk '{ print \$1, \$NF }')\" = 'ospf v-$p' ]"
	fi
	check "$c's answers list all 3 demo PEs" \
	    wait_until 15000 eval "[ \"\$(last_probe $c | jq -r .pes)\" = 3 ]"
done
t_pes=$(now_ms)

# Secured (issue 12): what a user would check on the control sockets and
# from a client network.
all_listed() { local c; for c in ca cb cc; do [ "$(last_probe $c | jq -r .pes)" = 3 ] || return 1; done; }
check "the lab inventory runs secured (it has [security])" secured
if secured; then
	name=$(J .security.service_name)
	check "every demo PE registered over TLS with its PSK identity (control socket)" \
	    wait_until 15000 all_pes_secured
	for c in ca cb cc; do echo "# $c's PE: $(pe_assoc $c)"; done
	check "ENRP: every registrar's connections to its 2 peers run TLS" wait_until 15000 enrp_all_tls
	for n in a b c; do echo "# $n: ENRP connections over TLS/up: $(enrp_tls $n | tr ' ' /)"; done
	out=$(plain_refused ca); rc=$?
	check "a plaintext registration through the anycast address is refused (${out:-no answer})" [ $rc -eq 0 ]
	for c in ca cb cc; do
		check "a pool user in $c resolves over TLS, the certificate checked for $name" pu_resolves $c
	done
	check "... and refuses a registrar certificate checked for another name" eval '! pu_resolves ca other.anypool.test'
	line=$(secured_line)
	echo "# $line"
	check "deploy/lab says the lab is secured" eval '[ "${line#secured: }" != "$line" ]'
fi

# pu_judge TAG WHAT T0: the pool user's loop ended with 0 failed (and 0
# stale) resolutions; print its summary and the p99 of the second after T0.
pu_judge() {
	local js n f p99 max
	check "$2: the pool user's loop ends" wait_until 15000 pu_loop_done ca "$1"
	js=$(pu_loop_json ca "$1")
	read -r n f p99 max <<<"$(pu_window ca "$1" "$3" $(($3 + 1000)))"
	echo "# $2: pool user in ca: $(jq -c '{sent, answered, failed, stale, p50_ms, p99_ms, max_ms, registrars}' <<<"$js" 2>/dev/null)"
	echo "# $2: resolutions started within 1 s of the failure: $n, $f failed, p99 $p99 ms, max $max ms"
	check "$2: 0 failed libasap resolutions (every 20 ms, deadline ${PU_DEADLINE_MS} ms)" \
	    eval "jq -e '.sent > 100 and .failed == 0 and .stale == 0' <<<'$js' >/dev/null"
}

# Fail a, nearest to ca: the first answer from another registrar.
check "crash: a libasap pool user in ca resolves (asap-pu loop)" pu_loop ca pu-crash 4000
lab_fail a registrar >/dev/null
t_fail=$(last_event fail)	# right after the kill
check "ca's probes answered by another registrar" \
    wait_until 10000 eval "[ -n \"\$(first_answer ca $t_fail '.node != \"a\"')\" ]"
ms=$(first_answer ca "$t_fail" '.node != "a"')
echo "# kill -9 registrard at a -> first probe from ca answered by $(last_probe ca | jq -r .node): ${ms:--} ms"
check "... within 3 s (${ms:--} ms; target 1 s)" [ "${ms:-99999}" -le 3000 ]
check "ca now reaches b, the next-nearest" wait_until 5000 eval '[ "$(last_probe ca | jq -r .node)" = b ]'
check "ra's RIB leads to b" eval '[ "$(rib_pop ra)" = b ]'
check "all 3 PEs resolvable again from every client within 15 s" wait_until 15000 all_listed
if secured; then
	check "ca's PE re-registered over TLS with its identity at its new home" \
	    wait_until 15000 eval 'pe_secured ca && [ "$(pe_assoc ca | jq -r .node)" != a ]'
fi
check "cb and cc keep their registrars" eval '[ "$(last_probe cb | jq -r .node)$(last_probe cc | jq -r .node)" = bc ]'
pu_judge pu-crash crash "$t_fail"

# Heal: back to a only after rise + hold-down (2 x 500 ms + 1 s, doubled
# after the flap).
holddown=$("$CTL" -s "$RUN/a/healthd.sock" --json show services 2>/dev/null |
    jq -r '.services[0].holddown_ms // 0')
lab_heal a >/dev/null
t_heal=$(last_event heal)	# right after the restart
check "ca's probes answered by a again" \
    wait_until 20000 eval "[ -n \"\$(first_answer ca $t_heal '.node == \"a\"')\" ]"
ms=$(first_answer ca "$t_heal" '.node == "a"')
echo "# heal a -> first probe from ca answered by a: ${ms:--} ms"
# healthd announces once the checks have stayed good for the current
# hold-down (doubled after a short-lived route: the larger of what it
# reports before and after); the restart is logged a few ms after it
# happened, hence the 50 ms.
h2=$("$CTL" -s "$RUN/a/healthd.sock" --json show services 2>/dev/null |
    jq -r '.services[0].holddown_ms // 0')
[ "${h2:-0}" -gt "$holddown" ] && holddown=$h2
check "... not before healthd's hold-down (${ms:--} ms >= $holddown - 50)" \
    [ "${ms:-0}" -ge $((holddown - 50)) -a "$holddown" -ge 1000 ]
check "every client agrees with the RIB after the heal" wait_until 5000 all_agree
check "all 3 PEs resolvable from every client after the heal" wait_until 15000 all_listed
if secured; then
	check "after the heal: ENRP among the 3 registrars all over TLS again" wait_until 15000 enrp_all_tls
	check "after the heal: every demo PE registered over TLS with its identity" \
	    wait_until 15000 all_pes_secured
fi

# Hang (issue 13, item 1): every process of a stopped; only BFD can tell.
# Not yet on OSPF (LAB_HANG=1 runs it there): a stopped PoP cannot flush
# its external LSA, so the route goes after ospfd's ~1 s external-route
# timer (1.3 s measured, target 1 s), and after the heal the stale LSA
# leads to a before its restarted registrar is synchronized (answers with
# no PE: wrong answers).  Both are open (issue 13, item 1).
t_hang=0 t_heal2=0
if [ "$(J .lab.routing)" = bgp ] || [ -n "${LAB_HANG:-}" ]; then
	check "the lab inventory runs BFD ([bfd])" bfd_on
	monitor ra route	# ra's FIB changes, timestamped by the kernel (for the baseline)
	check "BFD up on every PoP session before the hang" wait_until 15000 all_bfd_up
	for n in ra rb rc a b c; do echo "# $n: BFD sessions up/all $(bfd_peers $n | tr ' ' /)"; done
	check "ca answered by a before the hang" wait_until 10000 eval '[ "$(last_probe ca | jq -r .node)" = a ] && agree ca'
	check "hang: a libasap pool user in ca resolves (asap-pu loop)" pu_loop ca pu-hang 4000
	lab_fail a hang >/dev/null
	t_hang=$(last_event fail)
	hung_pids=$(cat "$RUN/a/hung")
	pstate() { awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
	stopped() {	# every process of a is stopped (state T)
		local p
		for p in $hung_pids; do [ "$(pstate "$p")" = T ] || return 1; done
	}
	resumed() {	# ... after the heal none is stopped; FRR's run on (SIGCONT)
		local p
		for p in $hung_pids; do [ "$(pstate "$p")" != T ] || return 1; done
		for p in $(cat "$RUN"/a/frr/*.pid); do running "$p" && grep -qx "$p" <<<"$(tr ' ' '\n' <<<"$hung_pids")" || return 1; done
	}
	check "hang: a's $(wc -w <<<"$hung_pids") processes are stopped (registrard, healthd, FRR)" stopped
	check "hang: ca's probes answered by another registrar" \
	    wait_until 10000 eval "[ -n \"\$(first_answer ca $t_hang '.node != \"a\"')\" ]"
	ms=$(first_answer ca "$t_hang" '.node != "a"')
	tr=$(route_moved ra "$t_hang" "$(link_addr a ra)")
	echo "# SIGSTOP of PoP a -> first probe from ca answered by $(last_probe ca | jq -r .node): ${ms:--} ms (ra's FIB moved after $tr ms)"
	# OSPF: when BFD drops a's adjacency, a's anycast route is an external
	# (type-5) LSA that a, stopped, cannot flush; ra's ospfd recomputes
	# external routes on its own timer (about 1 s in FRR 8.4), after the SPF.
	# The issue's 1 s target is BGP's here; OSPF is held to 2 s and misses 1 s
	# (the measured time is printed; BENCHMARKS.md).
	hang_max=1000
	[ "$(J .lab.routing)" = ospf ] && hang_max=2000
	check "hang: ... within $((hang_max / 1000)) s (${ms:--} ms; target p50 0.5 s, max 1 s)" [ "${ms:-99999}" -le $hang_max ]
	[ "${ms:-99999}" -le 1000 ] || echo "# NOTE: the 1 s target is missed here (${ms:--} ms, $(J .lab.routing))"
	check "hang: ra's BFD sessions to a are down" eval '[ "$(bfd_peers ra | cut -d" " -f1)" = 0 ]'
	check "hang: ra's RIB leads to b" wait_until 3000 eval '[ "$(rib_pop ra)" = b ]'
	check "hang: cb and cc keep their registrars" eval '[ "$(last_probe cb | jq -r .node)$(last_probe cc | jq -r .node)" = bc ]'
	pu_judge pu-hang hang "$t_hang"
	check "hang: all 3 PEs resolvable again from every client within 15 s" wait_until 15000 all_listed
	lab_heal a >/dev/null
	t_heal2=$(last_event heal)
	check "hang heal: none of a's processes stopped, its FRR daemons the same ones (SIGCONT)" eval 'resumed && [ ! -e "$RUN/a/hung" ]'
	check "hang heal: BFD up again on every PoP session" wait_until 20000 all_bfd_up
	check "hang heal: ca's probes answered by a again" \
	    wait_until 30000 eval "[ -n \"\$(first_answer ca $t_heal2 '.node == \"a\"')\" ]"
	echo "# SIGCONT of PoP a -> first probe from ca answered by a: $(first_answer ca "$t_heal2" '.node == "a"') ms"
	check "hang heal: every client agrees with the RIB" wait_until 5000 all_agree
	check "hang heal: all 3 PEs resolvable from every client" wait_until 15000 all_listed
	if secured; then
		check "hang heal: ENRP among the 3 registrars all over TLS again" wait_until 15000 enrp_all_tls
		check "hang heal: every demo PE registered over TLS with its identity" \
		    wait_until 15000 all_pes_secured
	fi
else
	check "the lab inventory runs BFD ([bfd])" bfd_on
	check "BFD up on every PoP adjacency" wait_until 15000 all_bfd_up
	echo "# SKIP: the hang on OSPF (LAB_HANG=1 runs it; see above)"
fi
t_end=$(now_ms)
kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; SAMPLER=

# Every answer over the whole run, judged against the RIB samples.
judge() {
	local c=$1
	jq -r 'select(.ok) | [.ts_ms, (.rtt_ms // -1), (.node // "?"),
	    (.server_id // -1), (.pes // -1)] | @tsv' "$RUN/$c/probes.jsonl" |
	awk -v c="$c" -v tf="$t_fail" -v th="$t_heal" -v tf2="$t_hang" -v th2="$t_heal2" \
	    -v tp="$t_pes" -v te="$t_end" \
	    -v ids="$(J '[.nodes[] | "\(.name)=\(.server_id)"] | join(",")')" '
	BEGIN { n = split(ids, kv, ","); for (i = 1; i <= n; i++) { split(kv[i], x, "="); sid[x[1]] = x[2] } }
	FNR == NR { if ($2 == c) { st[++ns] = $1; sp[ns] = $3 }; next }
	{
		ts = $1; rtt = $2; node = $3; id = $4; pes = $5
		if (ts > te || ts < st[1]) next
		total++
		if (!(node in sid) || sid[node] != id || rtt < 0 || pes < 0 || (ts > tp && pes < 1)) {
			bad++; if (bad <= 5) printf "malformed answer: %s\n", $0; next }
		if (node == "a" && ts >= tf && ts + rtt < th) {
			bad++; if (bad <= 5) printf "answer from the dead registrar a at t=%d ms\n", ts - tf; next }
		if (node == "a" && ts >= tf2 && ts + rtt < th2) {
			bad++; if (bad <= 5) printf "answer from the hung registrar a at t=%d ms\n", ts - tf2; next }
		ok = 0; seen = 0
		for (i = 1; i <= ns; i++) {
			if (st[i] < ts - 200) continue
			if (st[i] > ts + rtt + 200) break
			seen = 1
			if (sp[i] == node) { ok = 1; break }
		}
		if (!seen) { nosample++; next }
		if (!ok) { bad++; if (bad <= 5) printf "%s answered by %s at %d, RIB said otherwise\n", c, node, ts }
	}
	END { printf "%s %d %d %d\n", c, total, bad + 0, nosample + 0 }' "$RUN/rib.samples" -
}
awk '{ if (p) { g = $1 - p; if (g > m) m = g }; p = $1 } END {
    printf "# RIB samples: %d, largest gap %d ms\n", NR / 3, m }' "$RUN/rib.samples"
for c in ca cb cc; do
	out=$(judge "$c")
	echo "$out" | grep -v "^$c " | sed 's/^/# /'
	read -r _ total bad nos <<<"$(echo "$out" | tail -n 1)"
	echo "# $c: $total answers judged, $bad wrong, $nos without a RIB sample nearby"
	check "$c: no wrong answer among $total" eval "[ $total -gt 50 ] && [ $bad -eq 0 ]"
	check "$c: almost every answer judged against a RIB sample ($nos unjudged)" [ "$nos" -le $((total / 10)) ]
done
for c in ca cb cc; do
	# A reply that is not a proper answer is a wrong answer too.
	mal=$(jq -r 'select((.ok | not) and ((.error // "") |
	    test("malformed|sent Error|unexpected|another pool"))) | .error' "$RUN/$c/probes.jsonl")
	check "$c: no malformed or unexpected reply${mal:+ ($(echo "$mal" | head -3 | tr '\n' ';'))}" [ -z "$mal" ]
done
failed=$(jq -s --argjson t "$t_fail" '[.[] | select(.ok | not)] | length' "$RUN/ca/probes.jsonl")
echo "# ca: $failed probes failed in all (the failover gap)"

# down leaves nothing behind.
t0=$(now_ms)
lab_down
echo "# down in $(( $(now_ms) - t0 )) ms"
left=$(ip netns list | grep -c "^$PREFIX")
check "down: no namespace left ($left)" [ "$left" -eq 0 ]
live=""
for p in $pids; do running "$p" && live="$live $p($(cat /proc/$p/comm 2>/dev/null))"; done
check "down: none of the lab's processes left (${live:-none})" [ -z "$live" ]
check "down: run directory removed" [ ! -e "$RUN" ]
check "down: no FRR state left in /var/run/frr" eval "! ls -d /var/run/frr/$PREFIX* >/dev/null 2>&1"

finish lab
