#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ENRP peer discovery by multicast PRESENCE (RSPLIB practice, 239.0.0.51:9901
# by default): three registrards in their own namespaces on one bridge know
# no peer at all, only "multicast on".  They must find each other, become
# synchronized with all three peers active and equal checksums, and a PE
# registered at one must be resolvable at the other two.  Run twice: IPv4
# (RSPLIB's default group) and IPv6 (ENRP between IPv6 unicast addresses,
# group ff05::51), since IPv6 multicast does not loop on lo.  A bogus
# PRESENCE (not from the address it announces) adds no peer.
set -u
. "$(dirname "$0")/lib.sh"
netns_init

ns_add sw
ip -n "$(ns sw)" link add br0 type bridge
# No querier here: flood multicast instead of snooping half-learnt groups.
ip -n "$(ns sw)" link set br0 type bridge mcast_snooping 0
ip -n "$(ns sw)" link set br0 up
declare -A A4=([a]=10.9.1.1 [b]=10.9.1.2 [c]=10.9.1.3)
declare -A A6=([a]=2001:db8:9::1 [b]=2001:db8:9::2 [c]=2001:db8:9::3)
for n in a b c; do
	bridge_join "$n" "${A4[$n]}/24" "${A6[$n]}/64"
done

declare -A RPID PEPID
# Each registrar knows the other two (discovered, not configured) as active,
# and its checksum of each one's PEs equals that one's own.
all_peered() {
	local n
	for n in a b c; do
		q "$n" peers | jq -e '.peers | length == 2' >/dev/null || return 1
	done
	peers_agree 'and .configured == false' a b c
}
# resolvable N REGISTRAR PE-ADDR HOME: registrar N answers a resolution
# with exactly one PE, at PE-ADDR, owned by HOME.
resolvable() {
	nsx "$1" "$PU" -r "$2" -p mcpool resolve --json 2>/dev/null |
	    jq -e --arg a "$3" --arg h "$4" '(.pes | length == 1) and
	      ([.pes[] | select(.home == $h and (.addresses | index($a)))]
	       | length == 1)' >/dev/null
}

# run_family 4|6 GROUP
run_family() {
	local fam=$1 group=$2 n r addr t0 ids home
	declare -A AD
	for n in a b c; do
		if [ "$fam" = 4 ]; then AD[$n]=${A4[$n]}; else AD[$n]=${A6[$n]}; fi
	done
	for n in a b c; do
		enrp_registrar "$n" "${AD[$n]}" "$T/r$fam-$n.log" "multicast on" \
		    "group $group" "mentor-discovery 1500ms" "takeover-expiry 2s"
		RPID[$n]=$BGPID
	done
	t0=$(now_ms)
	check "IPv$fam: three registrars synchronized" wait_until 15000 all_synced a b c
	check "IPv$fam: each found the other two by multicast (group $group), all active, checksums equal" \
	    wait_until 15000 all_peered
	echo "# IPv$fam: discovered and peered $(( $(now_ms) - t0 )) ms after start"
	ids=$(for n in a b c; do q "$n" peers | jq -r .server_id; done | sort -u | wc -l)
	check "IPv$fam: three distinct server ids" test "$ids" = 3

	# A PE registered at A, resolvable at B and C (and listed there).
	if [ "$fam" = 4 ]; then addr=${AD[a]}:7001; else addr="[${AD[a]}]:7001"; fi
	start_bg "$T/pe$fam.log" ip netns exec "$(ns a)" "$PE" -r "${AD[a]}" \
	    -p mcpool -L "$addr" -i 1000
	PEPID[$fam]=$BGPID
	check "IPv$fam: the PE is registered at A" wait_until 10000 npes_is a 1
	home=$(q a peers | jq -r .server_id); home=${home#0x}
	for n in b c; do
		if [ "$fam" = 4 ]; then r=${AD[$n]}; else r="[${AD[$n]}]"; fi
		check "IPv$fam: the PE registered at A is resolvable at $n" \
		    wait_until 10000 resolvable "$n" "$r" "$addr" "$home"
	done
	check "IPv$fam: checksums equal with the PE" wait_until 10000 all_peered

	stop_pid "${PEPID[$fam]}" TERM
	for n in a b c; do
		stop_pid "${RPID[$n]}" TERM
		check "IPv$fam: registrar $n stopped cleanly" \
		    bash -c "! grep -q Sanitizer '$T/r$fam-$n.log'"
	done
}

run_family 4 239.0.0.51
run_family 6 ff05::51

# Bad input: a PRESENCE of an unknown server sent from c's address but
# announcing another one is believed by nobody; nor is garbage.
for n in a b; do
	enrp_registrar "$n" "${A4[$n]}" "$T/rbad-$n.log" "multicast on" \
	    "mentor-discovery 500ms"
	RPID[$n]=$BGPID
done
two_peered() {
	q a peers | jq -e '.peers | length == 1 and .[0].state == "active"' >/dev/null &&
	q b peers | jq -e '.peers | length == 1 and .[0].state == "active"' >/dev/null
}
check "bad input: a and b peered by multicast" wait_until 10000 two_peered
# PRESENCE (type 1), sender 0x0badbad0, PE Checksum (0x000f), Server
# Information (0x000b) naming 10.9.1.99:9901 (SCTP Transport 0x0004, IPv4
# Address 0x0001): sent from 10.9.1.3 (bash's /dev/udp, so a route).
ip -n "$(ns c)" route add 224.0.0.0/4 dev eth0
bogus='\x01\x00\x00\x2c\x0b\xad\xba\xd0\x00\x00\x00\x00'
bogus+='\x00\x0f\x00\x06\x00\x00\x00\x00'
bogus+='\x00\x0b\x00\x18\x0b\xad\xba\xd0'
bogus+='\x00\x04\x00\x10\x26\xad\x00\x00\x00\x01\x00\x08\x0a\x09\x01\x63'
garbage='\x01\x00\x00\x02garbage'
short='\x01\x00\x00\x2c\x0b\xad\xba\xd0\x00\x00\x00\x00\x00\x0f\x00\x06\x00'
printf "$bogus" >"$T/bogus.bin"
printf "$garbage" >"$T/garbage.bin"
printf "$short" >"$T/short.bin"
# 60 datagrams at once, one write each (cat), from one shell.
t0=$(now_ms)
nsx c bash -c 'for i in $(seq 20); do for f in "$@"; do
	cat "$f" >/dev/udp/239.0.0.51/9901; done; done' - \
    "$T/bogus.bin" "$T/garbage.bin" "$T/short.bin"
send_ms=$(( $(now_ms) - t0 ))
errs() { grep -c 'multicast.*ignored\|multicast.*bad message' "$T/rbad-a.log"; }
check "bad input: a logged the bogus PRESENCE" wait_until 5000 \
    bash -c "grep -q 'multicast PRESENCE of 0x0badbad0 .* ignored' '$T/rbad-a.log'"
check "bad input: a logged the garbage" \
    grep -q 'multicast from 10.9.1.3.*bad message' "$T/rbad-a.log"
check "bad input: no peer added at a or b, both still serve" two_peered
# Which of a and b learns the other from multicast first is a race (the
# other may learn it from the ENRP connection that follows): count both.
check "bad input: the discovered peer and a's refused datagrams are counted" \
    bash -c "{ '$CTL' -s '$T/a.sock' --json show peers; '$CTL' -s '$T/b.sock' --json show peers; } |
        jq -s -e '(map(.peers_discovered) | add) >= 1 and .[0].mcast_errors >= 20' >/dev/null"
n=$(errs)
# The limiter (registrar/enrp.c): a burst of 10, then one line per 2 s;
# on a loaded machine the 60 cat runs take seconds, so allow what the
# limiter lets through in the time they took (+1 for the rounding).
max=$(( 10 + send_ms / 2000 + 2 ))
check "bad input: log lines are rate-limited ($n lines for 60 datagrams in $send_ms ms, <= $max)" \
    test "$n" -ge 2 -a "$n" -le "$max"
for n in a b; do
	stop_pid "${RPID[$n]}" TERM
	check "bad input: registrar $n stopped cleanly" \
	    bash -c "! grep -q Sanitizer '$T/rbad-$n.log'"
done
finish enrp-multicast
