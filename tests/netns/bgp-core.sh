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
A4=198.51.100.53 A6=2001:db8:53::
LIFETIME=3

pop_up; ns_add client
link up v-cl 10.0.1.1/30 2001:db8:2::1/64 client v-up 10.0.1.2/30 2001:db8:2::2/64
ip -n "$(ns client)" route add default via 10.0.1.1
ip -n "$(ns client)" -6 route add default via 2001:db8:2::1
ip -n "$(ns pop)" route add 10.0.1.0/30 via 10.0.0.2
ip -n "$(ns pop)" -6 route add 2001:db8:2::/64 via 2001:db8:1::2

bgp_start

registrar_conf $A4 $A6
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
	drain-wait 6s
	address-lifetime ${LIFETIME}s refresh 1s
	bgp as 65001 route-map ANYCAST
}
EOC
check "healthd -n accepts the test configuration" \
    "$HEALTHD" -n -f "$T/healthd.conf" >/dev/null

both_up() { kroute up $A4 && kroute up $A6; }
both_gone() { no_kroute up $A4 && no_kroute up $A6; }

# A stale announcement healthd must remove at start (reconcile).
nsx pop ip addr add $A4/32 dev lo
check "stale address reaches upstream first" wait_until 5000 kroute up $A4
start_healthd -v
check "healthd answers on its control socket" wait_until 5000 svc '.state'
check "reconcile: stale announcement withdrawn" wait_until 10000 both_gone
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
kill9_registrar both_gone
check "metrics: time-to-withdraw recorded" \
    wait_until 10000 svc '.last_time_to_withdraw_ms >= 0'
frr_withdraw_confirmed
check "metrics: registrar loss counted" svc '.checks.registrar_losses >= 1'

# Back: only after rise (2 x 500 ms) + hold-down (1 s).
registrar_back 10000 1500 both_up
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
check "up sees the GRACEFUL_SHUTDOWN community" wait_until 5000 gshut
echo "# drain -> community upstream: $(( $(now_ms) - t0 )) ms"
check "state draining" svc '.state == "draining"'
check "still announced while draining" both_up
check "withdrawn after drain-wait" wait_until 9000 both_gone
ms=$(( $(now_ms) - t0 ))
check "not before drain-wait ($ms ms >= 6000)" [ "$ms" -ge 6000 ]
check "state drained" svc '.state == "drained"'
check "anypoolctl undrain" "$CTL" -s "$T/healthd.sock" undrain registrar
check "announced again after undrain" wait_until 5000 both_up
check "community back to normal" wait_until 10000 eval '! gshut'

# kill -9 healthd: the address expires, FRR withdraws.
kill9_healthd $LIFETIME both_gone

# SIGTERM withdraws at once.
start_healthd -v
check "announced again with a new healthd" wait_until 10000 both_up
t0=$(now_ms)
stop_pid "$HPID" TERM
check "SIGTERM withdraws" wait_until 2000 both_gone
echo "# healthd SIGTERM -> route gone upstream: $(( $(now_ms) - t0 )) ms"
check "SIGTERM leaves no address" eval \
    "[ -z \"\$(ip -n $(ns pop) addr show dev lo to $A4/32)\" ]"

finish bgp-core
