#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The anycast /32 as an intra-area OSPF stub (healthd's "ospf stub", the
# shipped deploy/frr/ospf-stub-pop.conf, what deploy/render writes), with
# real FRR (zebra + ospfd + bfdd, area 0 over a veth between namespaces pop
# and up).  Asserts: no route upstream before the registrar serves; the
# route appears at up as an intra-area OSPF route (not an external one) at
# the cost healthd set; kill -9 registrard withdraws it (bound 1 s) and
# healthd sees FRR confirm it; back after rise + hold-down; drain makes up
# see the drain cost, undrain the normal one again; a PoP that hangs
# (SIGSTOP of registrard, healthd, zebra, ospfd and bfdd: nothing can be
# flushed) loses its route at up within 1 s through BFD (3 x 100 ms)
# alone, and gets it back after SIGCONT; kill -9 healthd withdraws it
# within the address lifetime.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A4=198.51.100.53
LIFETIME=3 METRIC=10 DRAIN_METRIC=65000 LINK=10
DRAIN_WAIT=6
[ -x /usr/lib/frr/bfdd ] || error "/usr/lib/frr/bfdd missing (frr)"

pop_up
BFD='bfd\n profile fast\n  detect-multiplier 3\n  receive-interval 100\n  transmit-interval 100\n!'
OSPF_BFD=' ip ospf bfd\n ip ospf bfd profile fast'
sed -e "s/^frr defaults datacenter\$/&\n$BFD/" \
    -e "s/^ ip ospf dead-interval 3\$/&\n$OSPF_BFD/" \
    "$SRC/deploy/frr/ospf-stub-pop.conf" >"$T/ospf-pop.conf"
cat >"$T/ospf-up.conf" <<EOC
frr defaults datacenter
!
$(printf %b "$BFD")
router ospf
 ospf router-id 10.0.0.2
 timers throttle spf 0 50 500
 timers throttle lsa all 0
 timers lsa min-arrival 0
!
interface v-pop
 ip ospf area 0
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 3
$(printf %b "$OSPF_BFD")
!
EOC
check "pop configuration: the /32 in the area on lo, BFD on the link" eval \
    "grep -qx ' ip ospf area 0 $A4' '$T/ospf-pop.conf' && grep -qx ' ip ospf bfd' '$T/ospf-pop.conf'"
frr_start pop "$T/ospf-pop.conf" ospfd bfdd || exit 99
frr_start up "$T/ospf-up.conf" ospfd bfdd || exit 99

ospf_full() {
	vty up "show ip ospf neighbor json" 2>/dev/null | jq -e '
	    [.neighbors // {} | to_entries[] | .value[] |
	     (.nbrState // .state // "")] |
	    length > 0 and all(startswith("Full"))' >/dev/null 2>&1
}
bfd_up() {
	vty up "show bfd peers json" 2>/dev/null |
	    jq -e 'length > 0 and all(.status == "up")' >/dev/null 2>&1
}
check "OSPF adjacency Full" wait_until 30000 ospf_full
check "BFD session up" wait_until 15000 bfd_up

# up's selected OSPF route to the /32: its metric, "" if none.
ospf_metric() {
	vty up "show ip route $A4/32 json" 2>/dev/null |
	    jq -r ".\"$A4/32\" // [] | map(select(.protocol == \"ospf\" and
	    (.selected // false))) | .[0].metric // empty" 2>/dev/null
}
metric_is() { [ "$(ospf_metric)" = "$1" ]; }
# intra_area: up's ospfd has the /32 as an intra-area network route ("N"),
# not an external one ("N E1"/"N E2").
intra_area() {
	vty up "show ip ospf route json" 2>/dev/null |
	    jq -e ".\"$A4/32\".routeType == \"N\"" >/dev/null 2>&1
}
is_up() { kroute up $A4 && [ -n "$(ospf_metric)" ]; }
is_gone() { no_kroute up $A4; }

registrar_conf $A4
cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
frr vty-socket "$(frr_dir pop)" timeout 3s
service registrar {
	prefix $A4/32
	registrar control "$T/registrard.sock"
	probe asap $A4 port 3863 pool "probe" interval 500ms timeout 300ms
	rise 2; fall 2
	holddown 1s max 60s
	drain-wait ${DRAIN_WAIT}s
	address-lifetime ${LIFETIME}s refresh 1s
	ospf stub metric $METRIC drain-metric $DRAIN_METRIC
}
EOC
check "healthd -n accepts the test configuration" \
    "$HEALTHD" -n -f "$T/healthd.conf" >/dev/null

start_healthd -v
check "healthd answers on its control socket" wait_until 5000 svc '.state'
sleep 2
check "no route upstream while no registrar serves" is_gone
check "state withdrawn" svc '.state == "withdrawn"'

t0=$(now_ms)
start_registrar
check "route appears upstream (kernel RIB and zebra as OSPF)" \
    wait_until 10000 is_up
echo "# announce after registrar start: $(( $(now_ms) - t0 )) ms"
check "an intra-area route at up, not an external one" intra_area
check "up sees cost $METRIC + link $LINK" metric_is $((METRIC + LINK))
check "state announced" svc '.state == "announced"'
check "pop's FRR has the cost healthd set" eval \
    "vty pop 'show running-config' | grep -qx ' ip ospf cost $METRIC $A4'"

kill9_registrar is_gone
frr_withdraw_confirmed
registrar_back 10000 1500 is_up
check "cost $METRIC again" wait_until 3000 metric_is $((METRIC + LINK))

# Drain: a higher cost on the stub, then the withdrawal, then undrain.
t0=$(now_ms)
check "anypoolctl drain" "$CTL" -s "$T/healthd.sock" drain registrar
check "up sees the drain cost $DRAIN_METRIC + link" \
    wait_until 3000 metric_is $((DRAIN_METRIC + LINK))
echo "# drain -> drain cost upstream: $(( $(now_ms) - t0 )) ms"
check "still announced while draining" is_up
check "withdrawn after drain-wait" \
    wait_until $(( DRAIN_WAIT * 1000 + 3000 )) is_gone
ms=$(( $(now_ms) - t0 ))
check "not before drain-wait ($ms ms >= $(( DRAIN_WAIT * 1000 )))" \
    [ "$ms" -ge $(( DRAIN_WAIT * 1000 )) ]
check "anypoolctl undrain" "$CTL" -s "$T/healthd.sock" undrain registrar
check "announced again after undrain" wait_until 5000 is_up
check "cost back to $METRIC" wait_until 3000 metric_is $((METRIC + LINK))

# Hang: every process of pop stopped; nothing can flush the stub, only
# up's BFD session can tell.
check "BFD up before the hang" wait_until 5000 bfd_up
hung="$RPID $HPID $(cat "$(frr_dir pop)"/{zebra,ospfd,bfdd}.pid)"
t0=$(now_ms)
# shellcheck disable=SC2086
kill -STOP $hung
if wait_until 5000 is_gone; then
	ms=$(( $(now_ms) - t0 ))
	echo "# SIGSTOP of pop -> route gone at up: $ms ms"
	check "hang: the route gone at up within 1 s ($ms ms)" [ "$ms" -le 1000 ]
else
	fail "hang: the route still at up 5 s after SIGSTOP"
fi
check "hang: up's BFD session down" eval '! bfd_up'
# shellcheck disable=SC2086
kill -CONT $hung
check "after SIGCONT: the route back at up" wait_until 15000 is_up
check "after SIGCONT: intra-area, at the normal cost" eval \
    "intra_area && metric_is $((METRIC + LINK))"

kill9_healthd $LIFETIME is_gone

finish ospf-stub
