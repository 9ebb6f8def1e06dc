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
#    are answered by another registrar within 1 s (BGP and OSPF); heal (SIGCONT; FRR
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
#  - cover (issue 13, item 2; BGP): the routers play strict transits that
#    take from a PoP nothing longer than the covering prefixes (/24, /48):
#    every router's BGP table has the covers and no host route inside them,
#    though the PoPs advertise their /32 and /128 (NO_EXPORT); the crash,
#    the hang and the heals above run through the covers alone; a PoP whose
#    service is withdrawn withdraws its covers (and their blackhole routes),
#    and announces them again once healed;
#  - unicast (issue 13, item 3): every demo PE moves its association to its
#    home's unicast address; across the heal of a (the anycast route of ca
#    comes back to a) no demo PE's association is reset (same registrar,
#    same association, messages still arriving on it), while a control PE
#    in ca with -U never (on the anycast address) is reset and re-registers
#    at a;
#  - unreachable (issue 13, item 5): a PE of ca (homed at a) stopped with
#    SIGSTOP (its association stays open) and reported unreachable by a pool
#    user in cc, whose registrar is c: c's answer right after the report
#    (same association) no longer lists it, a bystander PE stays; the
#    cluster converges (no registrar lists it) within keepalive-timeout +
#    3 s (the home's keep-alive, sent at once, goes unanswered);
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
# started PID: the process's start time (in clock ticks since boot), so that
# a PID the kernel hands to another process later is not taken for ours.
started() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $20 }'; }
pidst=""
for p in $pids; do pidst="$pidst $p:$(started "$p")"; done
if [ -n "$crashed" ]; then
	old=""
	for p in $crashed; do running "$p" && ! grep -qx "$p" <<<"$pids" && old="$old $p"; done
	check "up over a crashed lab: none of its processes left (${old:-none})" [ -z "$old" ]
fi

owner 0 >/dev/null	# load the address map before the sampler forks
A4=$(J .service.anycast4)
# The RIB sampler: every ~20 ms, where each client's router forwards the
# anycast address ("t0 t1 client pop": the FIB was read at some instant
# between t0 and t1; on a loaded machine the read itself can take hundreds
# of ms, and the judge below must not take the end of it for the instant).
(
	n=0
	while [ $n -lt 20000 ]; do
		for c in ca cb cc; do
			t0=${EPOCHREALTIME/[.,]/}
			rib_pop_var "r${c#c}"
			t=${EPOCHREALTIME/[.,]/}
			echo "$((t0 / 1000)) $((t / 1000)) $c $RIB_POP"
		done
		n=$((n + 1))
		sleep 0.02
	done
) >"$RUN/rib.samples" 2>/dev/null &
SAMPLER=$!

check "every client's probes succeed and agree with the RIB" wait_until 60000 all_agree
for c in ca cb cc; do
	p=${c#c}
	check "$c reaches its nearest registrar $p" \
	    wait_until 15000 eval "[ \"\$(last_probe $c | jq -r .node)\" = $p ]"
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

# cover (issue 13, item 2): the covering prefixes through strict transits.
C4=$(J 'first(.service.covering[]? | select(contains(":") | not)) // empty')
C6=$(J 'first(.service.covering[]? | select(contains(":"))) // empty')
inside() {	# inside NAME COVER: the prefixes of NAME's BGP table inside COVER
	local fam=ipv4
	case $2 in *:*) fam=ipv6 ;; esac
	vty "$1" "show bgp $fam unicast json" 2>/dev/null | jq -r '.routes // {} | keys[]' |
	    python3 -c 'import ipaddress, sys
c = ipaddress.ip_network(sys.argv[1])
for l in sys.stdin:
    n = ipaddress.ip_network(l.strip())
    if n.version == c.version and n.subnet_of(c):
        print(n)' "$2"
}
covers_only() {	# covers_only ROUTER: its BGP table has the covers, nothing longer inside
	[ "$(inside "$1" "$C4")" = "$C4" ] && { [ -z "$C6" ] || [ "$(inside "$1" "$C6")" = "$C6" ]; }
}
cover_states() {	# cover_states NODE: healthd's cover states, "prefix=state ..."
	"$CTL" -s "$RUN/$1/healthd.sock" --json show services 2>/dev/null |
	    jq -r '[.covers[]? | "\(.prefix)=\(.state)"] | join(" ")'
}
covers_are() {	# covers_are NODE STATE: every cover of NODE is in STATE
	local want="$C4=$2${C6:+ $C6=$2}"
	[ "$(cover_states "$1")" = "$want" ]
}
cover_from() {	# cover_from ROUTER NODE: ROUTER has a path to the v4 cover from NODE's AS
	vty "$1" "show bgp ipv4 unicast $C4 json" 2>/dev/null | jq -e --arg as "$(J --arg n "$2" \
	    '.nodes[] | select(.name == $n) | .asn')" '[.paths[]? | .aspath.string | split(" ") | last] |
	    index($as) != null' >/dev/null 2>&1
}
blackhole() {	# blackhole NODE: the v4 cover's blackhole route at NODE (healthd's)
	ip -n "$(nsn "$1")" route show "$C4" 2>/dev/null | grep -q '^blackhole'
}
if [ -n "$C4" ] && [ "$(J .lab.routing)" = bgp ]; then
	check "cover: the inventory's covers are $C4 ${C6:-} and the routers are strict transits" \
	    eval "[ \"\$(J .lab.strict_transit)\" = true ]"
	for n in a b c; do
		check "cover: healthd at $n announces its covers" wait_until 10000 covers_are $n announced
		check "cover: ... with the blackhole route $C4 at $n" blackhole $n
	done
	for r in ra rb rc; do
		check "cover: $r has the covers and no host route inside them" wait_until 10000 covers_only $r
		echo "# $r: BGP prefixes inside the covers: $(inside $r "$C4" | tr '\n' ' ')$(inside $r "$C6" | tr '\n' ' ')"
	done
	adv=$(vty a "show bgp ipv4 unicast neighbors $(link_addr ra a) advertised-routes json" 2>/dev/null |
	    jq -r '.advertisedRoutes // {} | keys[]' | tr '\n' ' ')
	check "cover: ... though a advertises to ra its host route too ($adv)" \
	    eval "grep -qw '$A4/32' <<<'$adv' && grep -qw '$C4' <<<'$adv'"
	check "cover: ra's best path to $C4 originates at a, rc's at c" \
	    eval "[ \"\$(bgp_path ra | awk '{ print \$NF }')\$(bgp_path rc | awk '{ print \$NF }')\" = \
	    \"\$(J '.nodes[] | select(.name == \"a\") | .asn')\$(J '.nodes[] | select(.name == \"c\") | .asn')\" ]"
fi
cover_on() { [ -n "$C4" ] && [ "$(J .lab.routing)" = bgp ]; }

# unicast (issue 13, item 3): the demo PEs keep their associations on their
# home's unicast address; a control PE in ca stays on the anycast address.
UCTL=unicast-ctl
# uassocs CLIENT: "NODE ID LOCAL RX" of each association with PEs from CLIENT
uassocs() {
	local addr n
	addr=$(J --arg c "$1" '.lab.clients[] | select(.name == $c) | .address4' | cut -d/ -f1)
	for n in $(nodes); do
		hung "$n" && continue
		"$CTL" -s "$RUN/$n/registrard.sock" --json show associations 2>/dev/null |
		    jq -r --arg a "$addr" --arg n "$n" '.associations[]? | select(.pes > 0 and
		    (.peer | startswith($a + ":"))) | "\($n) \(.id) \(.local) \(.rx_msgs)"'
	done
}
demo_assoc() { uassocs "$1" | awk -v a="$A4:" 'index($3, a) != 1' | head -1; }
ctl_assoc() { uassocs "$1" | awk -v a="$A4:" 'index($3, a) == 1' | head -1; }
on_unicast() {	# on_unicast CLIENT: its demo PE's association is on its home's unicast address
	local x n
	read -r n _ x _ <<<"$(demo_assoc "$1")"
	[ -n "$n" ] && [ "${x%:*}" = "$(J --arg n "$n" '.nodes[] | select(.name == $n) | .unicast4')" ]
}
reg_counters() {	# sum over the running registrars: "registrations assoc_lost_removals"
	local n
	for n in $(nodes); do
		"$CTL" -s "$RUN/$n/registrard.sock" --json show stats 2>/dev/null |
		    jq -r '.stats | "\(.registrations // 0) \(.assoc_lost_removals // 0)"'
	done | awk '{ r += $1; l += $2 } END { printf "%d %d\n", r, l }'
}
for c in ca cb cc; do
	check "unicast: $c's demo PE moved its association to its home's unicast address ($(demo_assoc $c))" \
	    wait_until 10000 on_unicast $c
done
me=$(J '.lab.clients[] | select(.name == "ca") | .address4' | cut -d/ -f1)
# shellcheck disable=SC2046
spawn ca ctl-pe "$PE" -r "$A4:$(asap_port)" -p "$UCTL" -L "$me:$((PE_PORT + 3))" -i 2000 -U never $(pe_tls ca)
check "unicast: a control PE in ca with -U never registers on the anycast address ($(ctl_assoc ca))" \
    wait_until 10000 eval '[ -n "$(ctl_assoc ca)" ]'

# Secured (issue 12): what a user would check on the control sockets and
# from a client network.
all_listed() { local c; for c in ca cb cc; do [ "$(last_probe $c | jq -r .pes)" = 3 ] || return 1; done; }
# keep_own SINCE_MS: cb and cc were answered by their own registrars, b and
# c, in their last answered probe, and that answer came after SINCE_MS and
# within the last 2 s (probes go every 100 ms; one in flight or lost at the instant of
# reading is no answer from another registrar, but a client that stopped
# being answered fails); prints the last line of each and how many of
# their probes failed since SINCE_MS.
last_answer() {	# last_answer CLIENT SINCE_MS: node of the last answer after both
	jq -r --argjson t "$2" 'select(.ok and .ts_ms >= $t) | .node' \
	    "$RUN/$1/probes.jsonl" 2>/dev/null | tail -n 1
}
lost_since() { jq -s --argjson t "$2" 'map(select((.ok | not) and .ts_ms >= $t)) | length' "$RUN/$1/probes.jsonl" 2>/dev/null; }
# The first 4 failed probes of CLIENT after SINCE_MS: when, after the
# event, and why (an open question: cb and cc lose 0-4 during a's hang).
lost_why() {
	jq -c --argjson t "$2" 'select((.ok | not) and .ts_ms >= $t) |
	    {after_ms: (.ts_ms - $t), error, rtt_ms}' "$RUN/$1/probes.jsonl" 2>/dev/null | head -n 4 | tr '\n' ' '
}
keep_own() {
	local t=$(( $(now_ms) - 2000 )) c
	[ "$t" -ge "$1" ] || t=$1
	echo "# cb, cc: last probe $(last_probe cb | jq -c '{ok, node}') $(last_probe cc | jq -c '{ok, node}'); failed since: $(lost_since cb "$1") $(lost_since cc "$1")"
	for c in cb cc; do
		[ "$(lost_since $c "$1")" = 0 ] || echo "# $c: failed: $(lost_why $c "$1")"
	done
	[ "$(last_answer cb "$t")$(last_answer cc "$t")" = bc ]
}
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
check "cb and cc keep their registrars" keep_own "$t_fail"
pu_judge pu-crash crash "$t_fail"
if cover_on; then	# cover: a's service withdrawn, so are its covers
	check "cover: a withdrew its covers (healthd: withdrawn)" wait_until 5000 covers_are a withdrawn
	check "cover: ... and their blackhole route" eval '! blackhole a'
	check "cover: ra has no path to $C4 from a's AS any more" wait_until 5000 eval '! cover_from ra a'
	check "cover: ra still has the covers only (the failover ran on them)" covers_only ra
fi
# unicast: before the heal: where each demo PE's association is, and the
# control PE's (at b now, both: a crashed).
for c in ca cb cc; do
	check "unicast: before the heal, $c's demo PE is on a unicast address" wait_until 15000 on_unicast $c
done
check "unicast: before the heal, the control PE re-registered (on the anycast address, not at a)" \
    wait_until 15000 eval '[ -n "$(ctl_assoc ca)" ] && [ "$(ctl_assoc ca | cut -d" " -f1)" != a ]'
declare -A U_BEFORE=()
for c in ca cb cc; do U_BEFORE[$c]=$(demo_assoc $c | cut -d" " -f1-2); done
ctl_before=$(ctl_assoc ca | cut -d" " -f1-2)
read -r u_reg0 u_lost0 <<<"$(reg_counters)"
echo "# unicast: before the heal: demo PEs ca ${U_BEFORE[ca]}, cb ${U_BEFORE[cb]}, cc ${U_BEFORE[cc]}; control PE $ctl_before (node, association)"

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
# unicast: the anycast route of ca leads to a again.  Each demo PE must
# still be on its association of before (same registrar, same association
# id) after sending on it since (the re-registrations every 2 s: a message
# that the anycast address would have taken to a, which resets it); the
# control PE, on the anycast address, is reset and re-registers at a.
declare -A U_RX=()
for c in ca cb cc; do U_RX[$c]=$(demo_assoc $c | cut -d" " -f4); done
u_sent() {	# every demo PE sent on its association since the route came back
	local c x
	for c in ca cb cc; do
		x=$(demo_assoc $c | cut -d" " -f4)
		[ "${x:-0}" -gt "${U_RX[$c]:-0}" ] || return 1
	done
}
check "unicast: the control PE (-U never) was reset and re-registered at a" \
    wait_until 15000 eval '[ "$(ctl_assoc ca | cut -d" " -f1)" = a ]'
check "unicast: every demo PE sent on its association since the route came back" wait_until 10000 u_sent
resets=0
for c in ca cb cc; do
	x=$(demo_assoc $c | cut -d" " -f1-2)
	[ -n "$x" ] && [ "$x" = "${U_BEFORE[$c]}" ] || resets=$((resets + 1))
	echo "# unicast: $c's demo PE: ${U_BEFORE[$c]} before the heal, $x after"
done
read -r u_reg1 u_lost1 <<<"$(reg_counters)"
echo "# unicast: control PE: $ctl_before before, $(ctl_assoc ca | cut -d" " -f1-2) after; counters summed over the registrars (a's restarted at 0): registrations +$((u_reg1 - u_reg0)), PEs removed on lost associations +$((u_lost1 - u_lost0))"
check "unicast: the heal of a reset 0 demo PE associations ($resets)" [ "$resets" -eq 0 ]
check "unicast: ... while the control PE's association was reset ($ctl_before -> $(ctl_assoc ca | cut -d" " -f1-2))" \
    eval '[ "$(ctl_assoc ca | cut -d" " -f1-2)" != "$ctl_before" ]'
if cover_on; then	# cover: back with the service
	check "cover: a announces its covers again after the heal" wait_until 10000 covers_are a announced
	check "cover: ra's best path to $C4 originates at a again" \
	    eval "[ \"\$(bgp_path ra | awk '{ print \$NF }')\" = \"\$(J '.nodes[] | select(.name == \"a\") | .asn')\" ]"
	check "cover: ra has the covers only" covers_only ra
fi
# healthd announces once the checks have stayed good for the current
# hold-down (doubled after a short-lived route: the larger of what it
# reports before and after); the restart is logged a few ms after it
# happened, hence the 50 ms.
h2=$("$CTL" -s "$RUN/a/healthd.sock" --json show services 2>/dev/null |
    jq -r '.services[0].holddown_ms // 0')
[ "${h2:-0}" -gt "$holddown" ] && holddown=$h2
check "... not before healthd's hold-down (${ms:--} ms >= $holddown - 50)" \
    [ "${ms:-0}" -ge $((holddown - 50)) -a "$holddown" -ge 1000 ]
check "every client agrees with the RIB after the heal" wait_until 15000 all_agree
check "all 3 PEs resolvable from every client after the heal" wait_until 15000 all_listed
if secured; then
	check "after the heal: ENRP among the 3 registrars all over TLS again" wait_until 15000 enrp_all_tls
	check "after the heal: every demo PE registered over TLS with its identity" \
	    wait_until 15000 all_pes_secured
fi

# Hang (issue 13, item 1): every process of a stopped; only BFD can tell.
# ospf: on OSPF too (lab-ospf.sh): the anycast /32 is a stub link of a's
# router LSA, which ra's next SPF stops using once BFD drops the adjacency.
t_hang=0 t_heal2=0
if true; then	# ospf: BGP and OSPF alike
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
	# ospf: the same 1 s on OSPF (an intra-area stub, no external-route timer)
	check "hang: ... within 1 s (${ms:--} ms; target p50 0.5 s, max 1 s)" [ "${ms:-99999}" -le 1000 ]
	check "hang: ra's BFD sessions to a are down" eval '[ "$(bfd_peers ra | cut -d" " -f1)" = 0 ]'
	check "hang: ra's RIB leads to b" wait_until 3000 eval '[ "$(rib_pop ra)" = b ]'
	if cover_on; then	# cover: BFD took a's covers away from ra
		check "hang: ra has no path to $C4 from a's AS, the covers only" eval '! cover_from ra a && covers_only ra'
	fi
	check "hang: cb and cc keep their registrars" keep_own "$t_hang"
	pu_judge pu-hang hang "$t_hang"
	check "hang: all 3 PEs resolvable again from every client within 15 s" wait_until 15000 all_listed
	lab_heal a >/dev/null
	t_heal2=$(last_event heal)
	check "hang heal: none of a's processes stopped, its FRR daemons the same ones (SIGCONT)" eval 'resumed && [ ! -e "$RUN/a/hung" ]'
	check "hang heal: BFD up again on every PoP session" wait_until 20000 all_bfd_up
	check "hang heal: ca's probes answered by a again" \
	    wait_until 30000 eval "[ -n \"\$(first_answer ca $t_heal2 '.node == \"a\"')\" ]"
	echo "# SIGCONT of PoP a -> first probe from ca answered by a: $(first_answer ca "$t_heal2" '.node == "a"') ms"
	check "hang heal: every client agrees with the RIB" wait_until 15000 all_agree
	check "hang heal: all 3 PEs resolvable from every client" wait_until 15000 all_listed
	if secured; then
		check "hang heal: ENRP among the 3 registrars all over TLS again" wait_until 15000 enrp_all_tls
		check "hang heal: every demo PE registered over TLS with its identity" \
		    wait_until 15000 all_pes_secured
	fi
fi

# unreachable (issue 13, item 5): a PE homed at a hangs (SIGSTOP: its
# association stays open, its home still thinks it alive); a pool user in
# cc, whose registrar is c, reports it there.  The PEs re-register every
# 30 s (registration life 90 s): only the report or the home's keep-alive
# can remove the stopped one within the test.
UPOOL=unreach
me_a=$(J '.lab.clients[] | select(.name == "ca") | .address4' | cut -d/ -f1)
me_b=$(J '.lab.clients[] | select(.name == "cb") | .address4' | cut -d/ -f1)
# shellcheck disable=SC2046
spawn ca dead-pe "$PE" -r "$A4:$(asap_port)" -p "$UPOOL" -L "$me_a:$((PE_PORT + 4))" -i 30000 $(pe_tls ca)
# shellcheck disable=SC2046
spawn cb live-pe "$PE" -r "$A4:$(asap_port)" -p "$UPOOL" -L "$me_b:$((PE_PORT + 4))" -i 30000 $(pe_tls cb)
upes() {	# upes NODE: "ID HOME ADDRESSES" of each PE of the pool at NODE's registrar
	"$CTL" -s "$RUN/$1/registrard.sock" --json show pes "$UPOOL" 2>/dev/null |
	    jq -r '.pes[]? | "\(.id) \(.home) \(.addresses | join(","))"'
}
check "unreachable: both PEs of pool $UPOOL listed at every registrar" \
    wait_until 15000 eval '[ "$(upes a | wc -l)$(upes b | wc -l)$(upes c | wc -l)" = 222 ]'
read -r dead dead_home _ <<<"$(upes c | awk -v a="$me_a" 'index($3, a)')"
dead_node=$(J --argjson h "$((dead_home))" '.nodes[] | select(.server_id == $h) | .name')
check "unreachable: ca's PE $dead is homed at ${dead_node:-?}, not at c" eval '[ -n "$dead_node" ] && [ "$dead_node" != c ]'
kill -STOP "$(cat "$RUN/ca/dead-pe.pid")"
t_rep=$(now_ms)
# shellcheck disable=SC2046
out=$(nx cc "$PU" -r "$A4:$(asap_port)" -p "$UPOOL" $(cert_tls) report "$dead" 2>&1)
t_rep2=$(now_ms)
echo "$out" | sed 's/^/# cc: asap-pu report: /'
echo "# unreachable: asap-pu report (resolve, report, resolve) took $((t_rep2 - t_rep)) ms"
check "unreachable: cc's pool user reported $dead at c (not its home)" \
    eval 'grep -q "^reported PE ${dead#0x} unreachable to c " <<<"$out"'
check "unreachable: c's answer right after the report no longer lists it, the live PE still" \
    eval 'grep -q "^pool \"$UPOOL\" at c .*: 1 PE$" <<<"$out" && ! grep -q "^PE ${dead#0x} " <<<"$out"'
gone_all() {
	local n
	for n in a b c; do
		upes $n | grep -q "^$dead " && return 1
		[ "$(upes $n | wc -l)" = 1 ] || return 1
	done
}
kt=$("$REGISTRARD" -n -f "$RUN/conf/a/registrard.conf" 2>/dev/null | awk '$1 == "keepalive-timeout" { print $2 }')
kt_ms=5000
case $kt in *ms) kt_ms=${kt%ms} ;; *s) kt_ms=$((${kt%s} * 1000)) ;; esac
check "unreachable: the cluster converges: no registrar lists it (the live one everywhere) within keepalive-timeout ${kt:-5s} + 3 s" \
    wait_until $((kt_ms + 3000 - ($(now_ms) - t_rep2))) gone_all
echo "# unreachable: dead PE $dead (home ${dead_node:-?}) gone at every registrar $(( $(now_ms) - t_rep2 )) ms after the report at c answered"
stop ca dead-pe KILL
stop cb live-pe

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
	FNR == NR { if ($3 == c) { st[++ns] = $1; se[ns] = $2; sp[ns] = $4 }; next }
	{
		ts = $1; rtt = $2; node = $3; id = $4; pes = $5
		if (ts > te || ts < st[1]) next
		total++
		if (!(node in sid) || sid[node] != id || rtt < 0 || pes < 0 || (ts > tp && pes < 1)) {
			bad++; if (bad <= 5) printf "wrong: malformed answer: %s\n", $0; next }
		if (node == "a" && ts >= tf && ts + rtt < th) {
			bad++; if (bad <= 5) printf "wrong: answer from the dead registrar a at t=%d ms\n", ts - tf; next }
		if (node == "a" && ts >= tf2 && ts + rtt < th2) {
			bad++; if (bad <= 5) printf "wrong: answer from the hung registrar a at t=%d ms\n", ts - tf2; next }
		# a sample counts if the instant it read lies near the answer
		ok = 0; seen = 0; said = ""
		for (i = 1; i <= ns; i++) {
			if (se[i] < ts - 200) continue
			if (st[i] > ts + rtt + 200) break
			seen = 1
			said = said " " sp[i] "@" (st[i] - ts) ".." (se[i] - ts)
			if (sp[i] == node) { ok = 1; break }
		}
		if (!seen) { nosample++; next }
		if (!ok) { bad++; if (bad <= 5) printf "wrong: %s answered by %s at %d (rtt %d ms), RIB samples (ms from the probe):%s\n", c, node, ts, rtt, substr(said, 1, 300) }
	}
	END { printf "%s %d %d %d\n", c, total, bad + 0, nosample + 0 }' "$RUN/rib.samples" -
}
awk '{ if (p) { g = $1 - p; if (g > m) m = g }; p = $2; d = $2 - $1; if (d > md) md = d } END {
    printf "# RIB samples: %d, largest gap %d ms, longest read %d ms\n", NR / 3, m, md }' "$RUN/rib.samples"
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
for ps in $pidst; do
	p=${ps%%:*}
	running "$p" && [ "$(started "$p")" = "${ps#*:}" ] &&
	    live="$live $p($(cat /proc/$p/comm 2>/dev/null))"
done
check "down: none of the lab's processes left (${live:-none})" [ -z "$live" ]
check "down: run directory removed" [ ! -e "$RUN" ]
check "down: no FRR state left in /var/run/frr" eval "! ls -d /var/run/frr/$PREFIX* >/dev/null 2>&1"

finish lab
