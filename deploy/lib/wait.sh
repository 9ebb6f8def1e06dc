# SPDX-License-Identifier: BSD-2-Clause
# Waiting for a condition with a deadline, the one way deploy/lab and every
# shell test (through tests/lib/common.sh) wait: now_ms, the wall clock in
# milliseconds, and wait_until, a poll with a deadline instead of a fixed
# sleep.  Every time here is in MILLISECONDS.  Bash 5 (EPOCHREALTIME: no
# fork per clock reading); sourced, not run.
# shellcheck shell=bash

# now_ms: milliseconds since the epoch.
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

# wait_until MS CMD...: run CMD, its output discarded, until it succeeds
# (return 0) or MS milliseconds have passed since the first try (return 1).
# CMD runs at least once; between two tries wait_until sleeps WAIT_POLL_MS
# milliseconds (default 20; deploy/lab polls every 50, the SCTP VM's guest,
# where every fork is slow, every 200).
wait_until() {
	local limit=$1 t0 poll=${WAIT_POLL_MS:-20}
	shift
	t0=$(now_ms)
	until "$@" >/dev/null 2>&1; do
		[ $(( $(now_ms) - t0 )) -lt "$limit" ] || return 1
		sleep "$((poll / 1000)).$(printf %03d $((poll % 1000)))"
	done
}
