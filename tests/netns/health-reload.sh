#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# healthd's SIGHUP reload, without FRR ("routing none": the address on lo is
# the announcement), in a namespace of its own with registrard.  Asserts:
# a reload with the same file changes nothing (no address deletion seen by
# `ip monitor address`, transitions unchanged); a changed address-lifetime
# reaches the kernel without a withdrawal; a broken file is refused with
# "file:line: what" in the log and the old configuration keeps running;
# removing a service withdraws its address and leaves the other alone; a
# new service starts withdrawn and is announced after rise; the reload and
# failure counters show in `show summary` and in the Prometheus metrics.
# Deadlines are generous (each wait ends as soon as its condition holds): a
# loaded machine can take seconds for a reload and a netlink change.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A=198.51.100.61 BB=198.51.100.62 C=198.51.100.63

ns_add pop
registrar_conf 127.0.0.1
svc_block() {	# svc_block NAME ADDR LIFETIME
	cat <<EOC
service $1 {
	prefix $2/32
	registrar control "$T/registrard.sock"
	probe off
	rise 2; fall 2
	holddown 500ms
	address-lifetime ${3}s refresh 1s
	routing none
}
EOC
}
head_conf() {
	printf 'control socket "%s"\nmetrics listen 127.0.0.1 port 9465\n' \
	    "$T/healthd.sock"
}
{ head_conf; svc_block a $A 5; svc_block b $BB 3; } >"$T/healthd.conf"
check "healthd -n accepts the configuration" "$HEALTHD" -n -f \
    "$T/healthd.conf" >/dev/null

sq() {	# sq SERVICE JQ: a field of one service
	"$CTL" -s "$T/healthd.sock" --json show services 2>/dev/null |
	    jq -r ".services[] | select(.name == \"$1\") | $2"
}
sumq() { "$CTL" -s "$T/healthd.sock" --json show summary 2>/dev/null |
    jq -r ".summary.$1"; }
reloads_are() { [ "$(sumq config_reloads)" = "$1" ] &&
    [ "$(sumq config_reload_failures)" = "$2" ]; }
on_lo() { [ -n "$(ip -n "$(ns pop)" addr show dev lo to "$1/32")" ]; }
lft() {	# the valid_lft of ADDR on lo, in seconds
	ip -n "$(ns pop)" addr show dev lo to "$1/32" |
	    sed -n 's/.*valid_lft \([0-9]*\)sec.*/\1/p'
}
prom() {	# prom NAME: a sample of GET /metrics
	metrics_get pop 9465 | awk -v n="anypool_healthd_$1" \
	    '$1 == n { print $2 }'
}

start_registrar
start_healthd -v
check "both services announced" wait_until 10000 eval "on_lo $A && on_lo $BB"
check "state announced" wait_until 10000 eval \
    '[ "$(sq a .state)" = announced ] && [ "$(sq b .state)" = announced ]'
start_bg "$T/monitor.log" ip -n "$(ns pop)" monitor address
MPID=$BGPID
ta=$(sq a .transitions) tb=$(sq b .transitions)
deleted() { grep -A1 '^Deleted' "$T/monitor.log" | grep -q "inet $1/32"; }

# 1. The same file again: nothing happens.
kill -HUP "$HPID"
check "reload with the same file counted" wait_until 10000 reloads_are 1 0
check "same file: no address deleted" eval "! deleted $A && ! deleted $BB"
check "same file: transitions unchanged" eval \
    '[ "$(sq a .transitions)" = $ta ] && [ "$(sq b .transitions)" = $tb ]'

# 2. A longer address lifetime for a: applied without a withdrawal.
{ head_conf; svc_block a $A 20; svc_block b $BB 3; } >"$T/healthd.conf"
kill -HUP "$HPID"
check "changed lifetime: reload counted" wait_until 10000 reloads_are 2 0
check "changed lifetime reaches the kernel (valid_lft > 5 s)" \
    wait_until 10000 eval '[ "$(lft $A)" -gt 5 ]'
echo "# valid_lft of $A after the reload: $(lft $A) s"
check "changed lifetime: no address deleted, transitions unchanged" eval \
    '! deleted $A && [ "$(sq a .transitions)" = $ta ]'

# 3. A broken file: refused with file:line, the old configuration runs.
{ head_conf; svc_block a $A 20; echo 'service b {'; echo '	rise many'
  echo '}'; } >"$T/healthd.conf"
line=$(grep -n 'rise many' "$T/healthd.conf" | cut -d: -f1)
kill -HUP "$HPID"
check "broken file: failure counted, no reload" \
    wait_until 10000 reloads_are 2 1
check "broken file: the log says file:line ($T/healthd.conf:$line)" \
    grep -q "reload: $T/healthd.conf:$line: " "$T/healthd.log"
grep "reload:" "$T/healthd.log" | tail -2 | sed 's/^/# /'
check "broken file: both services still announced" eval \
    "on_lo $A && on_lo $BB && [ \"\$(sq b .state)\" = announced ]"
check "broken file: lifetime refresh goes on (b's address outlives 3 s)" \
    eval '! wait_until 4000 eval "! on_lo $BB"'

# 4. b removed, c added: b withdrawn, a untouched, c starts withdrawn.
{ head_conf; svc_block a $A 20; svc_block c $C 5; } >"$T/healthd.conf"
kill -HUP "$HPID"
check "remove + add: reload counted" wait_until 10000 reloads_are 3 1
check "removed service b: its address withdrawn" wait_until 3000 \
    eval "! on_lo $BB"
check "ip monitor saw b's deletion (so it would have seen a's)" \
    wait_until 5000 deleted $BB
check "removed service b: gone from show services" \
    eval '[ -z "$(sq b .name)" ]'
check "new service c: announced after rise" wait_until 5000 on_lo $C
check "new service c: started withdrawn (announces counted once)" \
    eval '[ "$(sq c .announces)" = 1 ] && [ "$(sq c .transitions)" -ge 1 ]'
check "service a untouched" eval \
    '! deleted $A && on_lo $A && [ "$(sq a .transitions)" = $ta ]'
check "metrics: config_reloads_total 3" eval '[ "$(prom config_reloads_total)" = 3 ]'
check "metrics: config_reload_failures_total 1" \
    eval '[ "$(prom config_reload_failures_total)" = 1 ]'
stop_pid "$MPID"

finish health-reload
