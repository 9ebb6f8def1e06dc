# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers of the loopback shell tests in tests/registrar (clients.sh,
# anyprobe.sh): the programs under test, the check/pass/fail counters, a
# temporary directory with a cleanup trap that kills only the PIDs the test
# listed in $pids (continuing stopped ones first, so that SIGKILL reaches
# them) and shows the logs when a check failed, wait_until with a deadline
# in seconds, a free TCP port, and GET /metrics over bash /dev/tcp.
# Source it, then call reg_test_init NAME.

# shellcheck disable=SC2034  # variables used by the tests sourcing this
B=${B:-.}
REGISTRARD=$B/registrar/registrard
PE=$B/client/asap-pe
PU=$B/client/asap-pu
CTL=$B/monitoring/anypoolctl
npass=0 nfail=0
pids=()		# processes started here (killed by PID at exit)
T=

pass() { echo "ok: $*"; npass=$((npass + 1)); }
fail() { echo "FAIL: $*"; nfail=$((nfail + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

reg_test_cleanup() {
	local p f
	for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$nfail" -gt 0 ]; then
		for f in "$T"/*.log "$T"/*.jsonl; do
			[ -f "$f" ] || continue
			echo "---- $f"; tail -15 "$f"
		done
	fi
	rm -rf "$T"
}

# reg_test_init NAME: the temporary directory $T (/tmp/anypool-NAME.*) and
# the cleanup trap.
reg_test_init() {
	T=$(mktemp -d "/tmp/anypool-$1.XXXXXX")
	trap reg_test_cleanup EXIT
}

# wait_until SECONDS COMMAND...: poll every 50 ms until it succeeds.
wait_until() {
	local end=$(( $(date +%s%N) + $1 * 1000000000 ))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# free_port: a TCP port no socket uses (50 random tries).  Below the
# kernel's ephemeral range (32768-60999 by default), so no client
# connection of a test running beside this one can take it before the
# registrar binds it; and any state counts, not only listening sockets.
free_port() {
	local p
	for p in $(shuf -i 20000-32000 -n 50); do
		ss -Htan "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	return 1
}

# metrics PORT: the HTTP response to GET /metrics on 127.0.0.1:PORT.
metrics() {
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET /metrics HTTP/1.0\r\n\r\n' >&3
	cat <&3
	exec 3<&-
}
