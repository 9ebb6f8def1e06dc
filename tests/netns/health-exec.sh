#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# healthd's command check and state-change command against the real
# daemon, without FRR ("routing none": the address on lo is the
# announcement) and without a registrar (a command check alone checks the
# service), in a namespace of its own.  The check is a script the test
# flips through files: $T/ok present passes, absent fails (exit 1), $T/hang
# makes it exec a `sleep 30.PID`; the state-change command writes its
# ANYPOOL_* environment to $T/hook.N (N = the transition) and appends
# "OLD NEW" to $T/hook.log, and hangs while $T/hook-hang exists.  Asserts:
# a failing check keeps the service withdrawn and says why; passing
# announces it, failing withdraws it, each with the command run with the
# documented environment; a check that hangs is killed at its timeout
# (counted as a failure, "timed out" in show services), withdraws, and
# leaves neither its sleep nor a zombie behind; a state-change command that
# hangs holds up no route change, is killed at its timeout and counted
# (show services, metrics, the log); SIGTERM withdraws and the command
# still reports "announced stopped".
# Deadlines are generous (each wait ends as soon as its condition holds):
# on a loaded machine two check runs and a netlink change can take seconds.
# Not those for a withdrawal (no_addr): healthd refreshes the address's
# lifetime (5 s by default), so that a longer wait would let the kernel's
# expiry stand in for healthd's withdrawal.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A=198.51.100.71

ns_add pop
cat >"$T/check" <<EOC
#!/bin/sh
[ -e "$T/hang" ] && exec sleep 30.$$
[ -e "$T/ok" ]
EOC
cat >"$T/hook" <<EOC
#!/bin/sh
[ -e "$T/hook-hang" ] && exec sleep 30.$$
env | grep '^ANYPOOL_' | sort >"$T/hook.\$ANYPOOL_TRANSITIONS"
echo "\$ANYPOOL_OLD_STATE \$ANYPOOL_NEW_STATE" >>"$T/hook.log"
EOC
chmod 755 "$T/check" "$T/hook"
cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
metrics listen 127.0.0.1 port 9465
service cmd {
	prefix $A/32
	probe off
	check exec "$T/check" interval 400ms timeout 300ms
	notify exec "$T/hook" timeout 3s
	rise 2; fall 2
	holddown 0ms
	routing none
}
EOC
check "healthd -n accepts check exec and notify exec" \
    "$HEALTHD" -n -f "$T/healthd.conf" >"$T/n.out"
check "healthd -n prints them" grep -q "^	check exec \"$T/check\" interval 400ms timeout 300ms\$" "$T/n.out"

has_addr() { [ -n "$(ip -n "$(ns pop)" -4 addr show dev lo to "$A/32")" ]; }
no_addr() { ! has_addr; }
last_hook() { [ "$(tail -1 "$T/hook.log" 2>/dev/null)" = "$1" ]; }
# envis N NAME VALUE: the command's environment of transition N.
envis() { grep -qx "ANYPOOL_$2=$3" "$T/hook.$1" 2>/dev/null; }
# zombies: PIDs of healthd's children that have exited, not yet reaped.
zombies() { ps -o pid=,stat= --ppid "$HPID" 2>/dev/null | awk '$2 ~ /^Z/ { print $1 }'; }
# reaped PID: not a zombie child of healthd any more.
reaped() { ! zombies | grep -qx "$1"; }
# stray_sleeps: the sleeps the scripts start (any parent; this test's PID
# makes them this test's).
stray_sleeps() { pgrep -fx "sleep 30\.$$" | wc -l; }
no_sleeps() { [ "$(stray_sleeps)" -eq 0 ]; }

start_healthd -v
check "failing check: the service stays withdrawn (1 s)" \
    eval '! wait_until 1000 has_addr'
check "show services says why: exit 1" \
    svc '.state == "withdrawn" and .checks.exec[0].ok == false and
        .checks.exec[0].error == "exit 1" and .checks.exec[0].failures >= 2'
check "no state change, no command run" [ ! -e "$T/hook.log" ]

touch "$T/ok"
check "check passes: announced (address on lo)" wait_until 10000 has_addr
check "the command saw withdrawn -> announced" \
    wait_until 5000 last_hook "withdrawn announced"
check "its environment: service, prefixes, interface, routing" eval '
    envis 1 SERVICE cmd && envis 1 PREFIXES $A/32 &&
    envis 1 INTERFACE lo && envis 1 ROUTING none'
check "its environment: old and new state, reason, transitions" eval '
    envis 1 OLD_STATE withdrawn && envis 1 NEW_STATE announced &&
    envis 1 REASON "checks passed" && envis 1 TRANSITIONS 1'
check "its environment: the time" grep -q '^ANYPOOL_TIME=[0-9]\{10\}$' \
    "$T/hook.1"

rm -f "$T/ok"
t0=$(now_ms)
check "check fails: withdrawn" wait_until 3000 no_addr
echo "# check failing -> address off: $(( $(now_ms) - t0 )) ms"
check "the command saw announced -> withdrawn, checks failed" eval '
    wait_until 5000 last_hook "announced withdrawn" &&
    envis 2 REASON "checks failed"'
check "notify_runs 2, no failures" \
    svc '.notify_runs == 2 and .notify_failures == 0'

# A check that hangs: killed at its timeout, a failure, nothing left.
touch "$T/ok"
check "announced again" wait_until 10000 has_addr
touch "$T/hang"
t0=$(now_ms)
check "hanging check: withdrawn" wait_until 3000 no_addr
echo "# check hanging -> address off: $(( $(now_ms) - t0 )) ms"
check "show services: timed out after 300 ms (killed)" \
    wait_until 5000 svc '.checks.exec[0].error == "timed out after 300 ms (killed)"'
# A killed child is a zombie until the loop reaps it: briefly, never for
# 500 ms.
max=0 leaked=0
for _ in $(seq 15); do
	n=$(stray_sleeps); [ "$n" -gt "$max" ] && max=$n
	for z in $(zombies); do
		wait_until 500 reaped "$z" || leaked=$((leaked + 1))
	done
	sleep 0.1
done
check "never more than the one running sleep ($max)" [ "$max" -le 1 ]
check "every killed check reaped within 500 ms ($leaked left)" \
    [ "$leaked" -eq 0 ]
rm -f "$T/hang"
check "check passes again: announced" wait_until 10000 has_addr
check "no sleep left once the check passes" wait_until 5000 no_sleeps

# A state-change command that hangs holds up nothing and is counted.
wait_until 5000 last_hook "withdrawn announced"
touch "$T/hook-hang"
rm -f "$T/ok"
t0=$(now_ms)
check "withdrawn" wait_until 3000 no_addr
echo "# check failing -> address off: $(( $(now_ms) - t0 )) ms"
check "the route change did not wait: the command still hangs, healthd answers" \
    svc '.state == "withdrawn" and .notify_failures == 0'
check "the hanging command is killed and counted" \
    wait_until 5000 svc '.notify_failures == 1'
check "the log says so" wait_until 5000 grep -q \
    "notify exec $T/hook failed: timed out after 3000 ms (killed)" \
    "$T/healthd.log"
check "metrics: notify_failures_total 1, checks_failed_total exec" eval '
    metrics_get pop 9465 >"$T/metrics" &&
    grep -q "^anypool_healthd_notify_failures_total{service=\"cmd\"} 1\$" "$T/metrics" &&
    grep -q "^anypool_healthd_checks_failed_total{service=\"cmd\",check=\"exec\"} [1-9]" "$T/metrics"'
check "no sleep left by the command" wait_until 5000 no_sleeps
rm -f "$T/hook-hang"

# SIGTERM: withdrawn, and the command still reports it.
touch "$T/ok"
check "announced again" wait_until 10000 has_addr
wait_until 5000 last_hook "withdrawn announced"
stop_pid "$HPID" TERM
check "SIGTERM: address off" no_addr
check "SIGTERM: the command saw announced -> stopped" last_hook "announced stopped"
check "no sleep left" no_sleeps

finish health-exec
