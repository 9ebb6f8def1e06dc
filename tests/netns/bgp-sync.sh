#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# healthd gates the announcement on ENRP: a PoP (registrard + healthd +
# zebra/bgpd) peering with an upstream router, where registrard has ENRP
# configured with a peer that never answers, so it reports itself
# synchronized only when its mentor discovery runs out.  The registrar
# serves ASAP from the start, yet the route must not appear upstream while
# it is not synchronized, and must appear once it is.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A4=198.51.100.53
DISCOVERY_MS=4000

pop_up
bgp_start

registrar_conf $A4
cat >>"$T/registrard.conf" <<EOC
enrp {
	listen on 10.0.0.1
	peer 10.0.0.3
	mentor-discovery ${DISCOVERY_MS}ms
}
EOC
cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
frr vty-socket "$(frr_dir pop)" timeout 3s
service registrar {
	prefix $A4/32
	registrar control "$T/registrard.sock"
	require synchronized on
	probe asap $A4 port 3863 pool "probe" interval 500ms timeout 300ms
	rise 2; fall 2
	holddown 500ms max 60s
	address-lifetime 3s refresh 1s
	bgp as 65001 route-map ANYCAST
}
EOC
check "healthd -n accepts the test configuration" \
    "$HEALTHD" -n -f "$T/healthd.conf" >/dev/null

synchronized() {
	"$CTL" -s "$T/registrard.sock" --json show summary 2>/dev/null |
	    jq -e '.summary.synchronized == true' >/dev/null 2>&1
}
serving() {	# registrard answers on its control socket (it serves ASAP too)
	"$CTL" -s "$T/registrard.sock" show summary >/dev/null 2>&1
}

t0=$(now_ms)
start_registrar
start_healthd -v
check "registrard serves" wait_until 5000 serving
not_synchronized() { ! synchronized; }
check "registrard reports itself not synchronized at first" not_synchronized

# Until it is synchronized, the route must stay away: watch both together.
early=0
until synchronized; do
	if kroute up $A4; then
		early=1
		break
	fi
	[ $(( $(now_ms) - t0 )) -lt $((DISCOVERY_MS + 10000)) ] || break
	sleep 0.05
done
tsync=$(( $(now_ms) - t0 ))
check "no route upstream while the registrar is not synchronized" [ "$early" -eq 0 ]
check "registrard synchronized after its mentor discovery ($tsync ms)" synchronized
check "the route appears upstream once it is" wait_until 10000 kroute up $A4
echo "# synchronized after $tsync ms, announced upstream after $(( $(now_ms) - t0 )) ms (healthd state: $(svcq .state))"

stop_pid "$HPID" TERM
stop_pid "$RPID" TERM
finish bgp-sync
