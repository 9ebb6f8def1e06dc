#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A flapping registrar with real FRR (pop and up as in bgp-core.sh, IPv4):
# registrard is killed with -9 and restarted every second for 30 s (phase
# 1), then up 2.5 s / down 0.5 s for 30 s (phase 2).  up's route changes
# are counted from `ip monitor route`: the number of withdrawals upstream
# stays bounded (the hold-down grows with each flap and is visible in
# healthd's metrics), and after the flapping stops the route comes back.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A4=198.51.100.53

pop_up
bgp_start
registrar_conf $A4
cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
frr vty-socket "$(frr_dir pop)"
service registrar {
	prefix $A4/32
	registrar control "$T/registrard.sock"
	probe asap $A4
	holddown 1s max 60s decay 30s
	bgp as 65001
}
EOC
# shellcheck disable=SC2119  # healthd without -v here
start_healthd
reg_down() { stop_pid "$RPID" KILL; }
start_registrar
check "announced" wait_until 10000 kroute up $A4
start_monitor up "$T/monitor.log"
count() { grep -c "^$1$A4" "$T/monitor.log"; }

flap() {	# flap SECONDS UP_S DOWN_S
	local end=$(( $(now_ms) + $1 * 1000 )) n=0
	while [ "$(now_ms)" -lt "$end" ] && [ $n -lt 200 ]; do
		sleep "$2"; reg_down; sleep "$3"; start_registrar; n=$((n + 1))
	done
}
flap 30 0.5 0.5
w1=$(count Deleted\ ) a1=$(count '')
echo "# phase 1 (1 s period, 30 s): upstream withdrawals $w1, announcements $a1, hold-down $(svcq .holddown_ms) ms, flaps $(svcq .flaps)"
check "phase 1: at most 2 withdrawals upstream ($w1)" [ "$w1" -le 2 ]
flap 30 2.5 0.5
w2=$(count Deleted\ ) a2=$(count '')
hd=$(svcq .holddown_ms)
echo "# phase 2 (3 s period, 30 s): upstream withdrawals $((w2 - w1)), announcements $((a2 - a1)), hold-down $hd ms, flaps $(svcq .flaps)"
check "phase 2: at most 3 withdrawals upstream ($((w2 - w1)))" \
    [ $((w2 - w1)) -le 3 ]
check "hold-down grew and is visible in the metrics ($hd ms)" \
    [ "$hd" -ge 2000 ]
t0=$(now_ms)
check "route back once the registrar is stable" \
    wait_until $(( hd + 10000 )) kroute up $A4
echo "# back after $(( $(now_ms) - t0 )) ms (hold-down $hd ms)"
finish bgp-flap
