#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# ASAP Server Announce over UDP multicast, IPv4 and IPv6 (RFC 5352 §3.6), in
# a network namespace of the test's own with a veth pair (IPv6 multicast
# does not loop on lo): with `announce on` both groups receive announces
# naming registrard's server id and its listen addresses, which tshark
# decodes cleanly; with `announce off` nothing is sent.
set -u
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
need_root "network namespaces"
for p in ip dumpcap tshark; do
	command -v "$p" >/dev/null || error "$p missing"
done

NS=anypool-ann-$$
test_init ann
rpid=
test_atexit() {
	[ -n "$rpid" ] && kill -9 "$rpid" 2>/dev/null
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
}

ip netns add "$NS"
nsx() { ip netns exec "$NS" "$@"; }
nsx sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
ip -n "$NS" link set lo up
ip -n "$NS" link add va type veth peer name vb
ip -n "$NS" link set va up
ip -n "$NS" link set vb up
ip -n "$NS" addr add 192.0.2.1/24 dev va
ip -n "$NS" -6 addr add 2001:db8::1/64 dev va nodad
ip -n "$NS" route add 224.0.0.0/4 dev va

run_registrar() {	# $1: "on" or "off"
	cat >"$T/r.conf" <<EOF
listen on 192.0.2.1 port 3863 transport tcp
listen on 2001:db8::1 port 3863 transport tcp
control socket "$T/r.sock"
announce $1 {
	group 239.0.0.50 port 3863
	group ff05::133 port 3863
	interval 200ms
}
EOF
	# Not through nsx: $! must be the daemon itself (ip netns exec execs it).
	ip netns exec "$NS" "$REGISTRARD" -d -f "$T/r.conf" >>"$T/registrard.log" 2>&1 &
	rpid=$!
	wait_until 5000 "$CTL" -s "$T/r.sock" show summary
}

# Announces on: capture at the other end of the veth until 6 have come
# (about 0.6 s), 5 s at most.
check "registrard starts with announces on" run_registrar on
sid=$("$CTL" -s "$T/r.sock" --json show summary | sed -n 's/.*"server_id": *"0x\([^"]*\)".*/\1/p')
nsx dumpcap -q -i vb -f 'udp port 3863' -c 6 -a duration:5 -w "$T/on.pcapng" 2>/dev/null
"$DECODE" "$T/on.pcapng" >"$T/on.txt" 2>&1
v4=$(grep -c "> 239.0.0.50:3863 ASAP ServerAnnounce .*server=0x$sid .*tcp:192.0.2.1:3863 tcp:\[2001:db8::1\]:3863" "$T/on.txt")
v6=$(grep -c "> \[ff05::133\]:3863 ASAP ServerAnnounce .*server=0x$sid .*tcp:192.0.2.1:3863 tcp:\[2001:db8::1\]:3863" "$T/on.txt")
check "IPv4 group 239.0.0.50 receives announces ($v4)" test "$v4" -ge 2
check "IPv6 group ff05::133 receives announces ($v6)" test "$v6" -ge 2
n=$(tshark -n -r "$T/on.pcapng" -Y 'asap.message_type == 10' -T fields -e frame.number 2>/dev/null | wc -l)
bad=$(tshark -n -r "$T/on.pcapng" -Y '_ws.malformed || _ws.expert.severity >= 6291456' -T fields -e frame.number 2>/dev/null | wc -l)
check "tshark decodes $n Server Announces" test "$n" -ge 4
check "tshark marks none malformed" test "$bad" -eq 0
kill -TERM "$rpid"; wait "$rpid" 2>/dev/null; rpid=

# Announces off: nothing in a second (twice the interval is enough to see one).
check "registrard starts with announces off" run_registrar off
nsx dumpcap -q -i vb -f 'udp port 3863' -a duration:1 -w "$T/off.pcapng" 2>/dev/null
n=$(tshark -n -r "$T/off.pcapng" 2>/dev/null | wc -l)
check "no announce with announce off" test "$n" -eq 0
kill -TERM "$rpid"; wait "$rpid" 2>/dev/null; rpid=

finish announce
