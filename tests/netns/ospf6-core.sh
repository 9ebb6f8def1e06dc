#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The core anycast case over OSPFv3 with real FRR (zebra + ospf6d, area 0
# over a veth): namespaces pop (registrard + healthd + FRR reading the
# shipped deploy/frr/ospf6-pop.conf plus fast SPF timers) and up.  Asserts,
# for the IPv6 /128: no route upstream before the registrar serves; the
# route appears in up's zebra RIB as ospf6 and in its kernel RIB once it
# does; kill -9 registrard withdraws it from up's kernel RIB (bound 1 s);
# back after rise + hold-down; drain raises the metric up sees.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A6=2001:db8:53:: METRIC=10 DRAIN_METRIC=65000

pop_up
FAST=' timers throttle spf 0 50 500\n timers lsa min-arrival 0'
sed "s/^router ospf6\$/&\n$FAST/" "$SRC/deploy/frr/ospf6-pop.conf" \
    >"$T/ospf6-pop.conf"
cat >"$T/ospf6-up.conf" <<EOC
frr defaults datacenter
!
interface v-pop
 ipv6 ospf6 area 0
 ipv6 ospf6 network point-to-point
 ipv6 ospf6 hello-interval 1
 ipv6 ospf6 dead-interval 3
!
router ospf6
 ospf6 router-id 10.0.0.2
$(printf "$FAST")
!
EOC
check "pop configuration has the fast timers" \
    grep -q 'timers lsa min-arrival 0' "$T/ospf6-pop.conf"
frr_start pop "$T/ospf6-pop.conf" ospf6d || exit 99
frr_start up "$T/ospf6-up.conf" ospf6d || exit 99

ospf6_metric() {
	vty up "show ipv6 route $A6/128 json" 2>/dev/null |
	    jq -r ".\"$A6/128\" // [] | map(select(.protocol == \"ospf6\" and
	    (.selected // false))) | .[0].metric // empty" 2>/dev/null
}
is_up() { kroute up $A6 && [ -n "$(ospf6_metric)" ]; }
is_gone() { no_kroute up $A6; }
metric_is() { [ "$(ospf6_metric)" = "$1" ]; }

registrar_conf $A6
cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
frr vty-socket "$(frr_dir pop)" timeout 3s
service registrar6 {
	prefix $A6/128
	registrar control "$T/registrard.sock"
	probe asap $A6 port 3863 pool "probe" interval 500ms timeout 300ms
	rise 2; fall 2
	holddown 1s max 60s
	drain-wait 30s
	address-lifetime 3s refresh 1s
	ospf route-map ANYCAST-OSPF6 metric $METRIC drain-metric $DRAIN_METRIC
}
EOC
check "healthd -n accepts the test configuration" \
    "$HEALTHD" -n -f "$T/healthd.conf" >/dev/null
start_healthd -v
check "healthd answers on its control socket" wait_until 5000 svc '.state'
ospf6_full() {
	vty up "show ipv6 ospf6 neighbor json" 2>/dev/null |
	    jq -e '[.neighbors[]? | .state] | length > 0 and
	    all(. == "Full")' >/dev/null 2>&1
}
check "OSPFv3 adjacency Full" wait_until 30000 ospf6_full
check "no route upstream while no registrar serves" is_gone

t0=$(now_ms)
start_registrar
check "route appears upstream (kernel RIB and zebra as ospf6)" \
    wait_until 15000 is_up
echo "# announce after registrar start: $(( $(now_ms) - t0 )) ms"
check "up sees metric $METRIC" metric_is $METRIC

check "announced before the kill" is_up
kill9_registrar is_gone

registrar_back 15000 1500 is_up

t0=$(now_ms)
check "anypoolctl drain" "$CTL" -s "$T/healthd.sock" drain registrar6
check "up sees the drain metric $DRAIN_METRIC" \
    wait_until 10000 metric_is $DRAIN_METRIC
echo "# drain -> drain metric upstream: $(( $(now_ms) - t0 )) ms"
check "still announced while draining" is_up

finish ospf6-core
