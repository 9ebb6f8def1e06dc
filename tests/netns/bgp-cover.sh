#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Covering prefixes with real FRR (issue 13, BCP §4.4.2): pop (AS 65001,
# healthd + FRR) has two upstreams: up (AS 65000, inside the operator's
# network, takes host routes) and tr (AS 64999, a transit that accepts
# nothing longer than /24 and /48); up also feeds tr, without a filter.
# Two services (a command check each stands in for the registrar) lie in
# 192.0.2.0/24 and 2001:db8:53::/48, the cover healthd announces.
# Asserts: nothing before a service is up; with both up, tr has the /24
# and the /48 and never a host route, while up has the host routes with
# NO_EXPORT (so it does not pass them to tr either); with one of two down
# the cover stays; draining the last one puts GRACEFUL_SHUTDOWN on the
# cover; with both down tr loses the cover; a reload without a cover
# withdraws it; SIGTERM removes the rest.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
C4=192.0.2.0/24 C6=2001:db8:53::/48
A4=192.0.2.53 A6=2001:db8:53::53 B4=192.0.2.54 B6=2001:db8:53::54

pop_up; ns_add tr
link pop v-tr 10.0.3.1/30 2001:db8:4::1/64 tr v-pop 10.0.3.2/30 2001:db8:4::2/64
link up v-tr 10.0.2.1/30 2001:db8:3::1/64 tr v-up 10.0.2.2/30 2001:db8:3::2/64

# pop: the shipped PoP snippet's policy (ANYCAST-OUT adds NO_EXPORT to the
# ANYCAST-LOCAL prefixes healthd fills), both upstreams, no network
# statement: healthd writes them.
cat >"$T/pop.conf" <<EOC
frr defaults datacenter
!
route-map ANYCAST-OUT permit 10
 match ip address prefix-list ANYCAST-LOCAL
 set community no-export additive
!
route-map ANYCAST-OUT permit 20
 match ipv6 address prefix-list ANYCAST-LOCAL6
 set community no-export additive
!
route-map ANYCAST-OUT permit 100
!
router bgp 65001
 bgp router-id 10.0.0.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 bgp network import-check
 neighbor 10.0.0.2 remote-as 65000
 neighbor 2001:db8:1::2 remote-as 65000
 neighbor 10.0.3.2 remote-as 64999
 neighbor 2001:db8:4::2 remote-as 64999
 address-family ipv4 unicast
  neighbor 10.0.0.2 activate
  neighbor 10.0.0.2 route-map ANYCAST-OUT out
  neighbor 10.0.3.2 activate
  neighbor 10.0.3.2 route-map ANYCAST-OUT out
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:1::2 activate
  neighbor 2001:db8:1::2 route-map ANYCAST-OUT out
  neighbor 2001:db8:4::2 activate
  neighbor 2001:db8:4::2 route-map ANYCAST-OUT out
 exit-address-family
!
EOC
cat >"$T/up.conf" <<EOC
frr defaults datacenter
!
router bgp 65000
 bgp router-id 10.0.0.2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 10.0.0.1 remote-as 65001
 neighbor 2001:db8:1::1 remote-as 65001
 neighbor 10.0.2.2 remote-as 64999
 neighbor 2001:db8:3::2 remote-as 64999
 address-family ipv4 unicast
  neighbor 10.0.0.1 activate
  neighbor 10.0.2.2 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:1::1 activate
  neighbor 2001:db8:3::2 activate
 exit-address-family
!
EOC
# tr: an ordinary transit import policy from the PoP (nothing longer than
# /24 or /48); from up it takes everything (only NO_EXPORT keeps the host
# routes away).
cat >"$T/tr.conf" <<EOC
frr defaults datacenter
!
ip prefix-list TRANSIT-IN seq 5 permit 0.0.0.0/0 le 24
ipv6 prefix-list TRANSIT-IN6 seq 5 permit ::/0 le 48
!
router bgp 64999
 bgp router-id 10.0.3.2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 10.0.3.1 remote-as 65001
 neighbor 2001:db8:4::1 remote-as 65001
 neighbor 10.0.2.1 remote-as 65000
 neighbor 2001:db8:3::1 remote-as 65000
 address-family ipv4 unicast
  neighbor 10.0.3.1 activate
  neighbor 10.0.3.1 prefix-list TRANSIT-IN in
  neighbor 10.0.2.1 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:4::1 activate
  neighbor 2001:db8:4::1 prefix-list TRANSIT-IN6 in
  neighbor 2001:db8:3::1 activate
 exit-address-family
!
EOC
frr_start pop "$T/pop.conf" bgpd || exit 99
frr_start up "$T/up.conf" bgpd || exit 99
frr_start tr "$T/tr.conf" bgpd || exit 99
check "BGP sessions established (up, tr)" wait_until 30000 eval \
    'bgp_established up && bgp_established tr'

# The check's timeout is one a loaded machine does not reach by starting a
# shell (two in a row would withdraw a service the test keeps up).
svc_block() {	# svc_block NAME ADDR4 ADDR6
	cat <<EOC
service $1 {
	prefix $2/32
	prefix $3/128
	probe off
	check exec "/bin/sh" "-c" "test -e $T/$1.up" interval 500ms timeout 400ms
	rise 2; fall 2
	holddown 0ms
	drain-wait 60s
	address-lifetime 3s refresh 1s
	bgp as 65001 route-map ANYCAST-$1 network
}
EOC
}
healthd_conf() {	# healthd_conf COVER-LINE...
	local l
	{
		echo "control socket \"$T/healthd.sock\""
		echo "frr vty-socket \"$(frr_dir pop)\" timeout 3s"
		for l in "$@"; do echo "$l"; done
		svc_block a $A4 $A6
		svc_block b $B4 $B6
	} >"$T/healthd.conf"
}
healthd_conf "cover $C4" "cover $C6 services a b"
check "healthd -n accepts the covers" eval \
    '"$HEALTHD" -n -f "$T/healthd.conf" >/dev/null'
check "healthd -n: the covered services are scope local" eval \
    '[ "$("$HEALTHD" -n -f "$T/healthd.conf" | grep -c "scope local")" = 2 ]'

# comm NAME PREFIX: the communities of NAME's best path to PREFIX.
comm() {
	local afi=ipv4
	case $2 in *:*) afi=ipv6;; esac
	vty "$1" "show bgp $afi unicast $2 json" 2>/dev/null |
	    jq -r '[.paths[]? | select(.bestpath.overall // false) |
	    .community.list // []] | .[0] // [] | join(" ")' 2>/dev/null
}
has_comm() { case " $(comm "$1" "$2") " in *" $3 "*) return 0;; esac; return 1; }
cover() {	# cover JQ-EXPR: it holds for every cover in show services
	"$CTL" -s "$T/healthd.sock" --json show services 2>/dev/null |
	    jq -e "[.covers[] | $1] | length == 2 and all" >/dev/null 2>&1
}
tr_cover() { bgp_has tr $C4 && bgp_has tr $C6; }
tr_has4() { bgp_has tr $C4; }
tr_no_cover() { ! bgp_has tr $C4 && ! bgp_has tr $C6; }
tr_hosts() {
	bgp_has tr $A4/32 || bgp_has tr $A6/128 || bgp_has tr $B4/32 ||
	    bgp_has tr $B6/128
}
up_local() {	# up_local ADDR4 ADDR6: up has both, with NO_EXPORT
	bgp_has up "$1/32" && bgp_has up "$2/128" &&
	    has_comm up "$1/32" noExport && has_comm up "$2/128" noExport
}
gshut() { has_comm tr $C4 gracefulShutdown && has_comm tr $C6 gracefulShutdown; }

start_healthd -v
check "healthd answers, covers withdrawn" wait_until 10000 \
    cover '.state == "withdrawn"'
check "no cover at tr before a service is up (2 s)" \
    eval '! wait_until 2000 eval "bgp_has tr $C4 || bgp_has tr $C6"'

t0=$(now_ms)
touch "$T/a.up" "$T/b.up"
check "both services up: tr has the /24 and the /48" \
    wait_until 15000 tr_cover
echo "# services up -> cover at tr: $(( $(now_ms) - t0 )) ms"
check "up has both services' host routes, with NO_EXPORT" \
    wait_until 10000 eval 'up_local $A4 $A6 && up_local $B4 $B6'
check "the cover carries no NO_EXPORT" eval '! has_comm up $C4 noExport'
check "tr has no host route (from pop: filtered; from up: NO_EXPORT)" \
    eval '! wait_until 2000 tr_hosts'
check "covers announced" cover '.state == "announced"'
check "the cover's route is a blackhole in pop's kernel" eval \
    '[ -n "$(ip -n "$(ns pop)" route show type blackhole $C4 proto 250)" ]'
check "metrics: healthd's FRR runs did not fail" \
    cover '.frr_errors == 0'

# One of two down: its host routes go, the cover stays.
rm -f "$T/a.up"
check "service a down: up loses its host routes" wait_until 10000 eval \
    '! bgp_has up $A4/32 && ! bgp_has up $A6/128'
check "one of two down: tr keeps the cover (2 s)" \
    eval '! wait_until 2000 eval "! tr_cover"'
check "covers still announced" cover '.state == "announced"'

# The last one drains: the cover carries GRACEFUL_SHUTDOWN, then undrain.
check "anypoolctl drain b" eval '"$CTL" -s "$T/healthd.sock" drain b >/dev/null'
check "draining: tr sees GRACEFUL_SHUTDOWN on the cover" \
    wait_until 10000 gshut
check "covers draining" cover '.state == "draining"'
check "anypoolctl undrain b" eval \
    '"$CTL" -s "$T/healthd.sock" undrain b >/dev/null'
check "undrained: GRACEFUL_SHUTDOWN gone from the cover" \
    wait_until 10000 eval '! gshut'

# Both down: the cover goes.
t0=$(now_ms)
rm -f "$T/b.up"
check "both down: tr loses the cover" wait_until 10000 tr_no_cover
echo "# last service down -> cover gone at tr: $(( $(now_ms) - t0 )) ms"
check "covers withdrawn" cover '.state == "withdrawn" and .changes >= 2'
check "no blackhole route left" eval \
    '[ -z "$(ip -n "$(ns pop)" route show type blackhole proto 250)" ]'

# Back, then SIGTERM withdraws the cover too.
touch "$T/a.up"
check "service a back: the cover returns" wait_until 10000 tr_cover
check "still no host route at tr" eval '! tr_hosts'

# Reload without the /48: it goes, the /24 stays.
healthd_conf "cover $C4"
kill -HUP "$HPID"
check "reload without the /48 cover: tr loses it" \
    wait_until 10000 eval '! bgp_has tr $C6'
check "reload: the /24 stays" tr_has4
stop_pid "$HPID" TERM
check "SIGTERM: tr loses the cover" wait_until 10000 tr_no_cover
check "SIGTERM: no blackhole route left" eval \
    '[ -z "$(ip -n "$(ns pop)" route show type blackhole proto 250)" ]'

finish bgp-cover
