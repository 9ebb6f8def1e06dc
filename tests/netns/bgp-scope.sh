#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Local-scope nodes with real FRR (RFC 1997 NO_EXPORT): a chain pop (AS
# 65001, registrard + healthd + FRR from deploy/frr/bgp-pop.conf) -- up (AS
# 65000) -- transit (AS 64999).  With "scope local" up receives the anycast
# /32 and /128 carrying NO_EXPORT and does not pass them on to transit,
# while transit does get the PoP's other routes (a control prefix on the
# same path); draining the local node makes up see GRACEFUL_SHUTDOWN and
# NO_EXPORT together; a SIGHUP reload to "scope global" lets the route
# through to transit without a withdrawal (healthd's transitions counter
# and up's route stay), and back to "scope local" takes it away again.
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A4=198.51.100.53 A6=2001:db8:53:: C4=192.0.2.99

pop_up; ns_add tr
link up v-tr 10.0.2.1/30 2001:db8:3::1/64 tr v-up 10.0.2.2/30 2001:db8:3::2/64

# The shipped PoP snippet, plus a control prefix that is not local.
sed "s|^  network 198.51.100.53/32 route-map ANYCAST\$|&\n  network $C4/32|" \
    "$SRC/deploy/frr/bgp-pop.conf" >"$T/pop.conf"
check "PoP configuration has the control prefix" grep -q "network $C4/32" \
    "$T/pop.conf"
# up: the shipped upstream snippet plus an eBGP transit neighbor.
sed -e 's|^ neighbor 2001:db8:1::1 remote-as 65001$|&\n neighbor 10.0.2.2 remote-as 64999\n neighbor 2001:db8:3::2 remote-as 64999|' \
    -e 's|^  neighbor 10.0.0.1 activate$|&\n  neighbor 10.0.2.2 activate|' \
    -e 's|^  neighbor 2001:db8:1::1 activate$|&\n  neighbor 2001:db8:3::2 activate|' \
    "$SRC/deploy/frr/bgp-upstream.conf" >"$T/up.conf"
check "upstream configuration has the transit neighbor" \
    grep -q "neighbor 2001:db8:3::2 activate" "$T/up.conf"
cat >"$T/tr.conf" <<EOC
frr defaults datacenter
!
router bgp 64999
 bgp router-id 10.0.2.2
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor 10.0.2.1 remote-as 65000
 neighbor 2001:db8:3::1 remote-as 65000
 address-family ipv4 unicast
  neighbor 10.0.2.1 activate
 exit-address-family
 address-family ipv6 unicast
  neighbor 2001:db8:3::1 activate
 exit-address-family
!
EOC
nsx pop ip addr add $C4/32 dev lo
frr_start pop "$T/pop.conf" bgpd || exit 99
frr_start up "$T/up.conf" bgpd || exit 99
frr_start tr "$T/tr.conf" bgpd || exit 99

registrar_conf $A4 $A6
# A probe timeout that a sanitized registrard on a loaded machine does not
# reach: two in a row would withdraw it, and the reload checks below count
# transitions.
healthd_conf() {	# healthd_conf SCOPE
	cat >"$T/healthd.conf" <<EOC
control socket "$T/healthd.sock"
frr vty-socket "$(frr_dir pop)" timeout 3s
service registrar {
	prefix $A4/32
	prefix $A6/128
	registrar control "$T/registrard.sock"
	probe asap $A4 port 3863 pool "probe" interval 500ms timeout 400ms
	rise 2; fall 2
	holddown 500ms
	drain-wait 60s
	bgp as 65001 route-map ANYCAST
	scope $1
}
EOC
}
healthd_conf local
check "healthd -n accepts scope local" "$HEALTHD" -n -f "$T/healthd.conf" \
    >/dev/null
# comm NAME PREFIX: the communities of NAME's best path to PREFIX.
comm() {
	local afi=ipv4
	case $2 in *:*) afi=ipv6;; esac
	vty "$1" "show bgp $afi unicast $2 json" 2>/dev/null |
	    jq -r '[.paths[]? | select(.bestpath.overall // false) |
	    .community.list // []] | .[0] // [] | join(" ")' 2>/dev/null
}
has_comm() { case " $(comm "$1" "$2") " in *" $3 "*) return 0;; esac; return 1; }
no_comm() { ! has_comm "$@"; }
both_up_local() {
	bgp_has up $A4/32 && bgp_has up $A6/128 &&
	    has_comm up $A4/32 noExport && has_comm up $A6/128 noExport
}
tr_has_any() { bgp_has tr $A4/32 || bgp_has tr $A6/128; }
tr_has_both() { bgp_has tr $A4/32 && bgp_has tr $A6/128; }

start_registrar
start_healthd -v
check "transit learns the control prefix through up" \
    wait_until 30000 bgp_has tr $C4/32
check "scope local: up has the /32 and /128 with NO_EXPORT" \
    wait_until 15000 both_up_local
echo "# up: $A4/32 communities: $(comm up $A4/32); $A6/128: $(comm up $A6/128)"
check "up installs the route in its kernel RIB" kroute up $A4
check "scope local: transit never gets the anycast route (2 s)" \
    eval '! wait_until 2000 tr_has_any'
check "the control prefix carries no NO_EXPORT at up" \
    no_comm up $C4/32 noExport
check "state announced" svc '.state == "announced"'

# Drain a local node: both communities upstream, still not at transit.
check "anypoolctl drain" "$CTL" -s "$T/healthd.sock" drain registrar
check "draining: up sees GRACEFUL_SHUTDOWN" \
    wait_until 10000 has_comm up $A4/32 gracefulShutdown
check "draining: and NO_EXPORT with it" has_comm up $A4/32 noExport
check "draining: IPv6 too" eval 'has_comm up $A6/128 gracefulShutdown &&
    has_comm up $A6/128 noExport'
echo "# up while draining: $(comm up $A4/32)"
check "draining local node: still not at transit" eval '! tr_has_any'
check "anypoolctl undrain" "$CTL" -s "$T/healthd.sock" undrain registrar
check "undrained: GRACEFUL_SHUTDOWN gone, NO_EXPORT stays" wait_until 10000 \
    eval 'no_comm up $A4/32 gracefulShutdown && has_comm up $A4/32 noExport'

# SIGHUP to scope global: through to transit, without a withdrawal.
tr0=$(svcq .transitions) w0=$(svcq .withdrawals)
start_monitor up "$T/monitor.log"
MPID=$BGPID
healthd_conf global
t0=$(now_ms)
kill -HUP "$HPID"
check "reload counted" wait_until 10000 eval \
    '"$CTL" -s "$T/healthd.sock" --json show summary | jq -e ".summary.config_reloads == 1" >/dev/null'
check "scope global: transit gets the /32 and /128" \
    wait_until 15000 tr_has_both
echo "# reload to scope global -> route at transit: $(( $(now_ms) - t0 )) ms"
check "scope global: up's route has no NO_EXPORT" \
    wait_until 10000 eval 'no_comm up $A4/32 noExport && no_comm up $A6/128 noExport'
stop_pid "$MPID"
check "reload: no withdrawal upstream (ip monitor saw no Deleted)" \
    eval "! grep -q '^Deleted.*$A4' '$T/monitor.log'"
check "reload: state and transitions unchanged" \
    svc ".state == \"announced\" and .transitions == $tr0 and .withdrawals == $w0"

# And back to scope local: transit loses it, up keeps it.
healthd_conf local
kill -HUP "$HPID"
check "scope local again: transit loses the route" \
    wait_until 15000 eval '! tr_has_any'
check "scope local again: up keeps it, with NO_EXPORT" both_up_local

finish bgp-scope
