# SPDX-License-Identifier: BSD-2-Clause
# The helpers every shell test sources (bash; sourced, not run):
#  - where things are: $SRC (the source tree), $B (the build directory,
#    made absolute; default the current directory, where automake runs the
#    tests) and the programs under test;
#  - the verdicts: pass and fail print "ok: WHAT" / "FAIL: WHAT" and count
#    ($npass, $nfail), check WHAT CMD... is pass or fail by CMD's exit
#    status, finish [NAME] prints the totals and fails if a check failed
#    (or none ran); skip WHY exits 77 (automake's "skipped": only when a
#    prerequisite cannot exist, such as root) and error WHY exits 99 (a
#    broken test machine: a missing program is installed, not skipped);
#  - waiting: now_ms and wait_until MS CMD..., in milliseconds, from
#    deploy/lib/wait.sh (deploy/lab waits the same way);
#  - a temporary directory $T with a cleanup trap that kills only the PIDs
#    the test listed in $pids (test_init), a free TCP port, GET /metrics.
# The area libraries (tests/netns/lib.sh, tests/wire/lib.sh) source this
# and add what only their area needs.  TEST_TIMED=1 stamps every verdict
# with the seconds since the start (the SCTP VM's guest does).
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the tests sourcing this

SRC=${SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
B=$(cd "${B:-.}" && pwd)	# absolute: a test may cd elsewhere
# shellcheck source=../../deploy/lib/wait.sh
. "$SRC/deploy/lib/wait.sh"

# The programs under test, in the build directory.
REGISTRARD=$B/registrar/registrard
HEALTHD=$B/health/healthd
CTL=$B/monitoring/anypoolctl
DECODE=$B/monitoring/anypool-decode
PROBE=$B/monitoring/anyprobe
PE=$B/client/asap-pe
PU=$B/client/asap-pu

npass=0 nfail=0
TEST_T0=$(now_ms)

# elapsed: seconds since this file was sourced, to a tenth.
elapsed() {
	local ms=$(( $(now_ms) - TEST_T0 ))
	printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}
test_stamp() { [ -z "${TEST_TIMED:-}" ] || echo " [$(elapsed) s]"; }
pass() { echo "ok: $*$(test_stamp)"; npass=$((npass + 1)); }
fail() { echo "FAIL: $*$(test_stamp)"; nfail=$((nfail + 1)); }
# check WHAT CMD...: pass WHAT if CMD succeeds, else fail WHAT.
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
skip() { echo "SKIP: $*"; exit 77; }
error() { echo "ERROR: $*"; exit 99; }
# need_root WHAT: skip unless root, saying what needs it.
need_root() { [ "$(id -u)" -eq 0 ] || skip "$* (needs root)"; }

# finish [NAME]: "NAME: N passed, N failed"; 0 only if none failed and at
# least one check ran.  The last command of a test.
finish() {
	echo "${1:+$1: }$npass passed, $nfail failed"
	[ "$nfail" -eq 0 ] && [ "$npass" -gt 0 ]
}

# test_init NAME: the temporary directory $T (/tmp/anypool-NAME.XXXXXX)
# and the EXIT trap running test_cleanup.  Put the PID of every process
# the test starts in the array pids.
test_init() {
	pids=()
	T=$(mktemp -d "${TMPDIR:-/tmp}/anypool-$1.XXXXXX") || error "mktemp"
	trap test_cleanup EXIT
}

# own_child PID: PID is a process this shell started (and not a stranger
# that got the number of one that ended: PIDs wrap at 32768 on a machine
# that runs a test suite, and a SIGKILL there breaks another test).
own_child() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	# shellcheck disable=SC2086  # split into its fields
	set -- $st	# state ppid ...
	[ "${2:-}" = "$$" ]
}

# test_cleanup: the test's own test_atexit first, if it defines one; then
# SIGKILL to every PID in $pids that is still a child of this shell
# (SIGCONT first, so that stopped ones die too); the logs in $T when a
# check failed; $T removed unless KEEP is set.
test_cleanup() {
	local p f
	if declare -F test_atexit >/dev/null; then test_atexit; fi
	for p in "${pids[@]}"; do
		own_child "$p" || continue
		kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	if [ "$nfail" -gt 0 ] && [ -n "${T:-}" ]; then
		for f in "$T"/*.log "$T"/*.jsonl; do
			[ -f "$f" ] || continue
			echo "---- $f"; tail -15 "$f"
		done
	fi
	if [ -n "${T:-}" ] && [ -z "${KEEP:-}" ]; then rm -rf "$T"; fi
	true
}

# free_port: a TCP port no socket uses (50 random tries).  Below the
# kernel's ephemeral range (32768-60999 by default), so no client
# connection of a test running beside this one can take it before the
# daemon binds it; and any state counts, not only listening sockets.
free_port() {
	local p
	for p in $(shuf -i 20000-32000 -n 50); do
		ss -Htan "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
	return 1
}

# metrics PORT: the HTTP response to GET /metrics on 127.0.0.1:PORT (3 s at
# most).
metrics() {
	# shellcheck disable=SC2016  # $0 is the inner shell's (PORT)
	timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
	    printf "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n" >&3 &&
	    cat <&3' "$1" 2>/dev/null
}
