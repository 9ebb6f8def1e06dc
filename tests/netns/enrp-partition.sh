#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ENRP across a network partition that heals: three registrards in their
# own namespaces on one bridge (ENRP between their unicast addresses), two
# asap-pe at each.  Cut A off: each side keeps serving its own PEs and the
# other side's go once their registrations lapse.  Heal: without anyone
# touching them, all three converge again: every registrar lists all six
# PEs, each with its own home, and every checksum matches.
set -u
. "$(dirname "$0")/lib.sh"
netns_init

ns_add sw
ip -n "$(ns sw)" link add br0 type bridge
ip -n "$(ns sw)" link set br0 up
declare -A ADDR=([a]=10.9.0.1 [b]=10.9.0.2 [c]=10.9.0.3)
for n in a b c; do
	bridge_join "$n" "${ADDR[$n]}/24"
done

declare -A RPID
for n in a b c; do
	peers=()
	for m in a b c; do
		[ "$m" = "$n" ] || peers+=("peer ${ADDR[$m]}")
	done
	enrp_registrar "$n" "${ADDR[$n]}" "$T/r-$n.log" "${peers[@]}" \
	    "mentor-discovery 1500ms" "takeover-expiry 2s"
	RPID[$n]=$BGPID
done

# Every registrar's checksum of each peer's PEs equals that peer's own,
# and every registrar knows the other two as active.
checksums_equal() { peers_agree '' a b c; }
all_have() { npes_is a "$1" && npes_is b "$1" && npes_is c "$1"; }

check "three registrars synchronized" wait_until 15000 all_synced a b c
# Two PEs registered at each registrar, re-registering every second (life 3 s).
for n in a b c; do
	for i in 1 2; do
		start_bg "$T/pe-$n$i.log" ip netns exec "$(ns "$n")" "$PE" \
		    -r "${ADDR[$n]}" -p part -L "${ADDR[$n]}:$((7000 + i))" -i 1000
	done
done
check "six PEs at every registrar" wait_until 15000 all_have 6
check "checksums equal before the partition" wait_until 10000 checksums_equal

# Partition: A alone on one side, B and C on the other.
ip -n "$(ns sw)" link set p-a down
check "A sees only its own two PEs once the others' lives lapse" \
    wait_until 20000 npes_is a 2
check "B sees only its side's four PEs" wait_until 20000 npes_is b 4
check "C sees only its side's four PEs" wait_until 20000 npes_is c 4

# Heal.
t0=$(now_ms)
ip -n "$(ns sw)" link set p-a up
check "healed: all six PEs at every registrar again" wait_until 30000 all_have 6
check "healed: checksums equal everywhere" wait_until 30000 checksums_equal
echo "# converged $(( $(now_ms) - t0 )) ms after the partition healed"
for n in a b c; do
	stop_pid "${RPID[$n]}" TERM
	check "registrar $n stopped cleanly" bash -c "! grep -q Sanitizer '$T/r-$n.log'"
done
finish enrp-partition
