#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# healthd with an FRR that hangs: its vtysh is a stand-in that never answers
# (it sleeps), "frr timeout 2s".  In a namespace of its own with registrard,
# no FRR.  Asserts that vtysh runs off the event loop: the control socket
# answers at once while a vtysh hangs; each hung run is killed by its PID
# at the timeout and logged; the announcement waits until the attribute
# runs are over (so a route never goes out with stale attributes) and then
# happens; a kill -9 of registrard while vtysh runs are hanging still
# removes the address at once (the withdrawal is netlink, not behind
# vtysh); no vtysh child outlives its timeout.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A=198.51.100.71

ns_add pop
cat >"$T/slow-vtysh" <<EOC
#!/bin/sh
echo \$\$ >>"$T/vtysh.pids"
exec sleep 30
EOC
chmod 755 "$T/slow-vtysh"
registrar_conf 127.0.0.1
cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
frr vtysh "$T/slow-vtysh" timeout 2s
service registrar {
	prefix $A/32
	registrar control "$T/registrard.sock"
	probe off
	rise 2; fall 2
	holddown 500ms
	drain-wait 30s
	address-lifetime 3s refresh 1s
	bgp as 65001
}
EOC
on_lo() { [ -n "$(ip -n "$(ns pop)" addr show dev lo to "$A/32")" ]; }
alive() {	# how many of the stand-in vtysh processes still run
	local n=0 p
	[ -f "$T/vtysh.pids" ] || { echo 0; return; }
	while read -r p; do kill -0 "$p" 2>/dev/null && n=$((n + 1)); done \
	    <"$T/vtysh.pids"
	echo $n
}

start_registrar
start_healthd -v
check "a vtysh run is hanging" wait_until 3000 eval '[ "$(alive)" -ge 1 ]'
t0=$(now_ms)
p=$(svcq .frr_pending)
ms=$(( $(now_ms) - t0 ))
echo "# show services while vtysh hangs: $ms ms, frr_pending $p"
# (anypoolctl and jq start in about 250 ms here, over 1 s on a loaded
# machine; a blocked loop would answer only once the 2 s timeout has
# killed the run, so 2 s is the bound that tells the two apart)
check "control socket answers while vtysh hangs ($ms ms < 2000)" \
    [ "$ms" -lt 2000 ]
check "the hanging runs are queued (frr_pending $p >= 2)" [ "${p:-0}" -ge 2 ]
check "hung run killed by PID at the timeout, and logged" \
    wait_until 4000 grep -q 'vtysh (pid [0-9]*) killed after 2000 ms' \
    "$T/healthd.log"
check "not announced while the attribute runs are out" eval '! on_lo'
t0=$(now_ms)
check "announced once they are over" wait_until 10000 on_lo
echo "# announced after a further $(( $(now_ms) - t0 )) ms"
check "FRR errors counted" eval '[ "$(svcq .frr_errors)" -ge 3 ]'

# Drain queues runs that hang; a registrar killed meanwhile is withdrawn
# at once all the same.
check "anypoolctl drain" "$CTL" -s "$T/healthd.sock" drain registrar
check "drain runs hanging" wait_until 2000 eval '[ "$(alive)" -ge 1 ]'
t0=$(now_ms)
stop_pid "$RPID" KILL
check "kill -9 registrard: address gone while vtysh hangs" \
    wait_until 2000 eval '! on_lo'
ms=$(( $(now_ms) - t0 ))
echo "# registrar kill -9 -> address off lo: $ms ms"
check "withdrawn within 1 s, not behind vtysh ($ms ms)" [ "$ms" -le 1000 ]
check "no stand-in vtysh outlives its timeout" \
    wait_until 9000 eval '[ "$(alive)" -eq 0 ] && [ "$(svcq .frr_pending)" = 0 ]'
echo "# vtysh runs started: $(wc -l <"$T/vtysh.pids"), killed: $(grep -c 'killed after' "$T/healthd.log")"

finish health-slow-frr
