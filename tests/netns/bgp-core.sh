#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The core anycast case with real FRR (zebra + bgpd, eBGP over a veth):
# namespaces pop (registrard + healthd + FRR), up (the upstream router) and
# client (behind up).  Asserts, for IPv4 and IPv6: no route upstream before
# the registrar serves; the route appears in up's BGP table and kernel RIB
# once it does and the client reaches the registrar over it; kill -9
# registrard withdraws it from up's RIB (time measured, bound 1 s); the
# registrar back brings it back only after rise + hold-down; drain makes up
# see GRACEFUL_SHUTDOWN, then the withdrawal, and undrain restores it;
# healthd's metrics show all of it; kill -9 healthd withdraws it within the
# address lifetime.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
REGISTRARD=$B/registrar/registrard
HEALTHD=$B/health/healthd
CTL=$B/monitoring/anypoolctl
A4=198.51.100.53 A6=2001:db8:53::
LIFETIME=3

ns_add pop; ns_add up; ns_add client
link pop v-up 10.0.0.1/30 2001:db8:1::1/64 up v-pop 10.0.0.2/30 2001:db8:1::2/64
link up v-cl 10.0.1.1/30 2001:db8:2::1/64 client v-up 10.0.1.2/30 2001:db8:2::2/64
ip -n "$(ns client)" route add default via 10.0.1.1
ip -n "$(ns client)" -6 route add default via 2001:db8:2::1
ip -n "$(ns pop)" route add 10.0.1.0/30 via 10.0.0.2
ip -n "$(ns pop)" -6 route add 2001:db8:2::/64 via 2001:db8:1::2

frr_start pop "$SRC/deploy/frr/bgp-pop.conf" bgpd || exit 99
frr_start up "$SRC/deploy/frr/bgp-upstream.conf" bgpd || exit 99
check "BGP session established" wait_until 30000 bgp_established up

cat >"$T/registrard.conf" <<EOC
listen on $A4 port 3863 transport tcp
listen on $A6 port 3863 transport tcp
control socket "$T/registrard.sock"
EOC
cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
frr vty-socket "$(frr_dir pop)" timeout 3s
service registrar {
	prefix $A4/32
	prefix $A6/128
	registrar control "$T/registrard.sock"
	probe asap $A4 port 3863 pool "probe" interval 500ms timeout 300ms
	rise 2; fall 2
	holddown 1s max 60s
	drain-wait 3s
	address-lifetime ${LIFETIME}s refresh 1s
	bgp as 65001 route-map ANYCAST
}
EOC
check "healthd -n accepts the test configuration" \
    "$HEALTHD" -n -f "$T/healthd.conf" >/dev/null

svc() {	# svc JQ-EXPR: evaluate against healthd's service
	"$CTL" -s "$T/healthd.sock" --json show services 2>/dev/null |
	    jq -e ".services[0] | $1" >/dev/null 2>&1
}
start_registrar() {
	start_bg "$T/registrard.log" ip netns exec "$(ns pop)" \
	    "$REGISTRARD" -d -f "$T/registrard.conf"
	RPID=$BGPID
}
start_healthd() {
	start_bg "$T/healthd.log" ip netns exec "$(ns pop)" \
	    "$HEALTHD" -d -v -f "$T/healthd.conf"
	HPID=$BGPID
}
both_up() { kroute up $A4 && kroute up $A6; }
both_gone() { no_kroute up $A4 && no_kroute up $A6; }

# A stale announcement healthd must remove at start (reconcile).
nsx pop ip addr add $A4/32 dev lo
check "stale address reaches upstream first" wait_until 5000 kroute up $A4
start_healthd
check "healthd answers on its control socket" wait_until 5000 svc '.state'
check "reconcile: stale announcement withdrawn" wait_until 3000 both_gone
sleep 2
check "no route upstream while no registrar serves" both_gone
check "state withdrawn" svc '.state == "withdrawn"'

t0=$(now_ms)
start_registrar
check "route appears upstream (IPv4 and IPv6)" wait_until 10000 both_up
echo "# announce after registrar start: $(( $(now_ms) - t0 )) ms"
check "up's BGP table has the /32" bgp_has up $A4/32
check "up's BGP table has the /128" bgp_has up $A6/128
check "client reaches the registrar over the anycast route (IPv4)" \
    nsx client timeout 2 bash -c "exec 3<>/dev/tcp/$A4/3863"
check "client reaches the registrar over the anycast route (IPv6)" \
    nsx client timeout 2 bash -c "exec 3<>/dev/tcp/$A6/3863"
check "state announced" svc '.state == "announced"'

# kill -9 registrard: withdrawn from up's RIB.
t0=$(now_ms)
stop_pid "$RPID" KILL
if wait_until 5000 both_gone; then
	ms=$(( $(now_ms) - t0 ))
	echo "# registrar kill -9 -> route gone upstream: $ms ms"
	check "withdrawn within 1 s of kill -9 ($ms ms)" [ "$ms" -le 1000 ]
else
	fail "route still upstream 5 s after kill -9 registrard"
fi
check "metrics: time-to-withdraw recorded" \
    wait_until 3000 svc '.last_time_to_withdraw_ms >= 0'
check "metrics: FRR confirmed the withdrawal" \
    wait_until 6000 svc '.last_frr_withdraw_ms >= 0'
"$CTL" -s "$T/healthd.sock" --json show services |
    jq -r '.services[0] | "# healthd: failure -> address off \(.last_time_to_withdraw_ms) ms, address off -> FRR withdrawn \(.last_frr_withdraw_ms) ms"'
check "metrics: registrar loss counted" svc '.checks.registrar_losses >= 1'

# Back: only after rise (2 x 500 ms) + hold-down (1 s).
t0=$(now_ms)
start_registrar
if wait_until 10000 both_up; then
	ms=$(( $(now_ms) - t0 ))
	echo "# registrar back -> route upstream: $ms ms"
	check "returns only after rise + hold-down ($ms ms >= 1500)" \
	    [ "$ms" -ge 1500 ]
else
	fail "route did not come back after the registrar restarted"
fi
check "metrics: hold-down doubled after the flap" \
    svc '.holddown_ms >= 1000 and .flaps == 1'

# Drain: GRACEFUL_SHUTDOWN upstream, then the withdrawal, then undrain.
gshut() {
	vty up "show bgp ipv4 unicast $A4/32 json" 2>/dev/null | jq -e \
	    '.paths[0].community.string // "" | test("graceful")' >/dev/null
}
check "no GRACEFUL_SHUTDOWN before draining" eval '! gshut'
t0=$(now_ms)
check "anypoolctl drain" "$CTL" -s "$T/healthd.sock" drain registrar
check "up sees the GRACEFUL_SHUTDOWN community" wait_until 3000 gshut
echo "# drain -> community upstream: $(( $(now_ms) - t0 )) ms"
check "state draining" svc '.state == "draining"'
check "still announced while draining" both_up
check "withdrawn after drain-wait" wait_until 6000 both_gone
ms=$(( $(now_ms) - t0 ))
check "not before drain-wait ($ms ms >= 3000)" [ "$ms" -ge 3000 ]
check "state drained" svc '.state == "drained"'
check "anypoolctl undrain" "$CTL" -s "$T/healthd.sock" undrain registrar
check "announced again after undrain" wait_until 5000 both_up
check "community back to normal" wait_until 3000 eval '! gshut'

# kill -9 healthd: the address expires, FRR withdraws.
t0=$(now_ms)
stop_pid "$HPID" KILL
if wait_until $(( LIFETIME * 1000 + 3000 )) both_gone; then
	ms=$(( $(now_ms) - t0 ))
	echo "# healthd kill -9 -> route gone upstream: $ms ms"
	check "withdrawn within the address lifetime + 1 s ($ms ms)" \
	    [ "$ms" -le $(( LIFETIME * 1000 + 1000 )) ]
else
	fail "route still upstream after healthd died"
fi

# SIGTERM withdraws at once.
start_healthd
check "announced again with a new healthd" wait_until 10000 both_up
t0=$(now_ms)
stop_pid "$HPID" TERM
check "SIGTERM withdraws" wait_until 2000 both_gone
echo "# healthd SIGTERM -> route gone upstream: $(( $(now_ms) - t0 )) ms"
check "SIGTERM leaves no address" eval \
    "[ -z \"\$(ip -n $(ns pop) addr show dev lo to $A4/32)\" ]"

echo "$npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
