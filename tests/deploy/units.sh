#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The systemd units of deploy/systemd/ as systemd itself reads them:
# "systemd-analyze verify" must accept each one without a single complaint
# (unknown keys, bad values, missing binaries), with the installed paths
# pointed at this build.  Also the promises the units make: the daemons are
# Type=notify, check their configuration (-n) before starting, restart on
# failure, and healthd gives up after a burst of crashes (fail closed: the
# address lifetime then withdraws the route), and registrard may open more
# files than its default association limit (LimitNOFILE: one descriptor per
# association, with room for the rest).  The tests must not need a
# running systemd, and this one does not.
set -u
B=${B:-.}
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/common.sh
. "$SRC/tests/lib/common.sh"
command -v systemd-analyze >/dev/null || skip "no systemd-analyze"
B=$(cd "$B" && pwd)
T=$(mktemp -d /tmp/anypool-units.XXXXXX)
trap 'rm -rf "$T"' EXIT

for u in "$SRC"/deploy/systemd/*.service; do
	n=$(basename "$u")
	sed -e "s#/usr/sbin/registrard#$B/registrar/registrard#g" \
	    -e "s#/usr/sbin/healthd#$B/health/healthd#g" \
	    -e "s#/usr/bin/anyprobe#$B/monitoring/anyprobe#g" "$u" >"$T/$n"
	out=$(cd "$T" && systemd-analyze verify --man=no "$T/$n" 2>&1)
	if [ -z "$out" ]; then pass "$n: systemd-analyze verify is silent"
	else fail "$n: systemd-analyze verify says:"; echo "$out"; fi
done

key() { grep -Eq "^$2" "$SRC/deploy/systemd/$1" && pass "$1: $2" || fail "$1: no $2"; }
for d in registrard healthd; do
	key $d.service 'Type=notify$'
	key $d.service "ExecStartPre=/usr/sbin/$d -n -f "
	key $d.service 'Restart=on-failure$'
	key $d.service 'ExecReload=/bin/kill -HUP \$MAINPID$'
	key $d.service 'NoNewPrivileges=yes$'
	key $d.service 'ProtectSystem=strict$'
done
key healthd.service 'StartLimitBurst=[0-9]+$'

# Twice the default association limit (what registrard -n prints for an
# empty configuration) at least: listeners, peers, control clients, metrics.
assoc=$("$B/registrar/registrard" -n -f /dev/null 2>/dev/null |
    awk '$1 == "associations" { print $2 }')
nofile=$(sed -n 's/^LimitNOFILE=\([0-9]*\)$/\1/p' \
    "$SRC/deploy/systemd/registrard.service")
if [ -n "$assoc" ] && [ -n "$nofile" ] && [ "$nofile" -ge $((2 * assoc)) ]
then pass "registrard.service: LimitNOFILE=$nofile >= 2 x associations $assoc"
else fail "registrard.service: LimitNOFILE '${nofile}' not >= 2 x default associations '${assoc}'"; fi
key healthd.service 'AmbientCapabilities=CAP_NET_ADMIN$'

finish units
