#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The core anycast case with real FRR over OSPF (zebra + ospfd, area 0 over
# a veth): namespaces pop (registrard + healthd + FRR reading the shipped
# deploy/frr/ospf-pop.conf plus fast test timers) and up (the upstream
# router).  Asserts, for the IPv4 /32 (OSPFv2): no route upstream before the
# registrar serves; the route appears in up's zebra RIB (as OSPF) and kernel
# RIB once it does; kill -9 registrard withdraws it from up's kernel RIB
# (time measured, bound 1 s); drain makes up see the drain metric, then the
# withdrawal after drain-wait, and undrain restores the normal metric;
# kill -9 healthd withdraws it within the address lifetime.  healthd's
# Prometheus metrics (GET /metrics over bash /dev/tcp) follow all of it.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A4=198.51.100.53
LIFETIME=3 METRIC=10 DRAIN_METRIC=65000
# Long enough for the checks made while draining on a loaded machine.
DRAIN_WAIT=6

pop_up

# Fast OSPF: SPF and LSA throttling off, so a re-origination (announce
# again, metric change) is not held back by the 5 s LSA minimum interval.
FAST=' timers throttle spf 0 50 500\n timers throttle lsa all 0\n timers lsa min-arrival 0'
sed "s/^router ospf\$/&\n$FAST/" "$SRC/deploy/frr/ospf-pop.conf" >"$T/ospf-pop.conf"
cat >"$T/ospf-up.conf" <<EOC
frr defaults datacenter
!
router ospf
 ospf router-id 10.0.0.2
$(printf "$FAST")
 network 10.0.0.0/30 area 0
!
interface v-pop
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 3
!
EOC
check "pop configuration has the fast timers" \
    grep -q 'timers lsa min-arrival 0' "$T/ospf-pop.conf"
frr_start pop "$T/ospf-pop.conf" ospfd || exit 99
frr_start up "$T/ospf-up.conf" ospfd || exit 99

ospf_full() {
	vty up "show ip ospf neighbor json" 2>/dev/null | jq -e '
	    [.neighbors // {} | to_entries[] | .value[] |
	     (.nbrState // .state // "")] |
	    length > 0 and all(startswith("Full"))' >/dev/null 2>&1
}
check "OSPF adjacency Full" wait_until 30000 ospf_full

# ospf_route NAME: up's zebra RIB entry for the /32 (json), "" if none.
ospf_metric() {
	vty up "show ip route $A4/32 json" 2>/dev/null |
	    jq -r ".\"$A4/32\" // [] | map(select(.protocol == \"ospf\" and
	    (.selected // false))) | .[0].metric // empty" 2>/dev/null
}
ospf_has() { [ -n "$(ospf_metric)" ]; }
metric_is() { [ "$(ospf_metric)" = "$1" ]; }

registrar_conf $A4
cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
metrics listen 127.0.0.1 port 9465
frr vty-socket "$(frr_dir pop)" timeout 3s
service registrar {
	prefix $A4/32
	registrar control "$T/registrard.sock"
	probe asap $A4 port 3863 pool "probe" interval 500ms timeout 300ms
	rise 2; fall 2
	holddown 1s max 60s
	drain-wait ${DRAIN_WAIT}s
	address-lifetime ${LIFETIME}s refresh 1s
	ospf route-map ANYCAST-OSPF metric $METRIC drain-metric $DRAIN_METRIC
}
EOC
check "healthd -n accepts the test configuration" \
    "$HEALTHD" -n -f "$T/healthd.conf" >/dev/null

is_up() { kroute up $A4 && ospf_has; }
# prom: healthd's GET /metrics (bash /dev/tcp in pop) into $T/metrics.
prom() {
	metrics_get pop 9465 >"$T/metrics" && head -1 "$T/metrics" | grep -q ' 200 '
}
# pm NAME VALUE-TEST: after a fresh GET, the sample NAME (labels
# {service="registrar"} unless NAME has its own) passes VALUE-TEST, an awk
# condition on v.
pm() {
	local n=anypool_healthd_$1
	case $1 in *'{'*) ;; *) n="$n{service=\"registrar\"}";; esac
	prom && awk -v n="$n" '$1 == n { v = $2; f = 1 }
	    END { exit !(f && ('"$2"')) }' "$T/metrics"
}
is_gone() { no_kroute up $A4; }

start_healthd -v
check "healthd answers on its control socket" wait_until 5000 svc '.state'
sleep 2
check "no route upstream while no registrar serves" is_gone
check "state withdrawn" svc '.state == "withdrawn"'
check "GET /metrics answers 200" prom
check "metrics: service_state 0 (withdrawn)" pm service_state 'v == 0'
check "metrics: last_withdraw_ms -1 before any withdrawal" \
    pm last_withdraw_ms 'v == -1'

t0=$(now_ms)
start_registrar
check "route appears upstream (kernel RIB and zebra as OSPF)" \
    wait_until 10000 is_up
echo "# announce after registrar start: $(( $(now_ms) - t0 )) ms"
check "up sees metric $METRIC" metric_is $METRIC
check "state announced" svc '.state == "announced"'
check "metrics: service_state 1 (announced)" pm service_state 'v == 1'

# kill -9 registrard: withdrawn from up's RIB.
kill9_registrar is_gone
frr_withdraw_confirmed

check "metrics: last_withdraw_ms recorded" pm last_withdraw_ms 'v >= 0'
check "metrics: registrar check failure counted" \
    pm 'checks_failed_total{service="registrar",check="registrar"}' 'v >= 1'
check "metrics: transitions counted" pm transitions_total 'v >= 2'

# Back (re-announce is fast only thanks to the LSA timers above).
registrar_back 10000 1500 is_up
check "metric $METRIC again" wait_until 3000 metric_is $METRIC
check "metrics: hold-down reported" pm holddown_ms 'v >= 1000'

# Drain: the drain metric upstream, then the withdrawal, then undrain.
t0=$(now_ms)
check "anypoolctl drain" "$CTL" -s "$T/healthd.sock" drain registrar
check "up sees the drain metric $DRAIN_METRIC" \
    wait_until 3000 metric_is $DRAIN_METRIC
echo "# drain -> drain metric upstream: $(( $(now_ms) - t0 )) ms"
check "still announced while draining" is_up
check "state draining" svc '.state == "draining"'
check "metrics: service_state 2 (draining)" pm service_state 'v == 2'
check "withdrawn after drain-wait" \
    wait_until $(( DRAIN_WAIT * 1000 + 3000 )) is_gone
ms=$(( $(now_ms) - t0 ))
echo "# drain -> route gone upstream: $ms ms"
check "not before drain-wait ($ms ms >= $(( DRAIN_WAIT * 1000 )))" \
    [ "$ms" -ge $(( DRAIN_WAIT * 1000 )) ]
check "state drained" svc '.state == "drained"'
check "anypoolctl undrain" "$CTL" -s "$T/healthd.sock" undrain registrar
check "announced again after undrain" wait_until 5000 is_up
check "metric back to $METRIC" wait_until 3000 metric_is $METRIC

# kill -9 healthd: the address expires, OSPF flushes the LSA.
kill9_healthd $LIFETIME is_gone

finish ospf-core
