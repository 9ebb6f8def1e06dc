#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# BGP attributes per state with real FRR: pop (AS 65001, healthd + FRR
# from deploy/frr/bgp-pop.conf) -- up (AS 65000, bgp-upstream.conf).  The
# service (a command check stands in for the registrar) sets a MED, one
# prepend and a standard and a large community while announced, and a
# higher MED, three prepends and another community while draining.
# Asserts what up sees in `show bgp ... json` for the /32 and the /128:
# the announced attributes; after drain the draining ones next to
# GRACEFUL_SHUTDOWN, and none of the announced ones; after undrain the
# announced ones again; a SIGHUP reload without the attributes clears them
# from the route without a withdrawal (transitions unchanged).
set -u
. "$(dirname "$0")/lib.sh"
netns_init
A4=198.51.100.53 A6=2001:db8:53::

pop_up
bgp_start
healthd_conf() {	# healthd_conf [ATTRIBUTE-LINE...]
	local l
	{
		cat <<EOC
control socket "$T/healthd.sock"
frr vty-socket "$(frr_dir pop)" timeout 3s
service registrar {
	prefix $A4/32
	prefix $A6/128
	probe off
	check exec "/bin/true" interval 500ms timeout 400ms
	rise 2; fall 2
	holddown 0ms
	drain-wait 60s
	bgp as 65001 route-map ANYCAST
EOC
		for l in "$@"; do printf '\t%s\n' "$l"; done
		echo "}"
	} >"$T/healthd.conf"
}
healthd_conf "bgp announced med 50 prepend 1 community 65001:100 65001:1:1" \
    "bgp draining med 500 prepend 3 community 65001:666"
check "healthd -n accepts the attributes" "$HEALTHD" -n -f "$T/healthd.conf" \
    >/dev/null

# attrs NAME PREFIX: "MED|AS path|communities|large communities" of NAME's
# best path to PREFIX.
attrs() {
	local afi=ipv4
	case $2 in *:*) afi=ipv6;; esac
	vty "$1" "show bgp $afi unicast $2 json" 2>/dev/null | jq -r '
	    [.paths[]? | select(.bestpath.overall // false)] | .[0] // empty |
	    "\(.metric // 0)|\(.aspath.string)|\((.community.list // []) |
	    sort | join(" "))|\(.largeCommunity.string // "")"' 2>/dev/null
}
# both ATTRS: up sees ATTRS on the /32 and the /128.
both() { [ "$(attrs up $A4/32)" = "$1" ] && [ "$(attrs up $A6/128)" = "$1" ]; }
ANNOUNCED="50|65001 65001|65001:100|65001:1:1"
DRAINING="500|65001 65001 65001 65001|65001:666 gracefulShutdown|"
PLAIN="0|65001||"

start_healthd -v
check "announced: up sees MED 50, one prepend, the communities" \
    wait_until 15000 both "$ANNOUNCED"
echo "# up, announced: $(attrs up $A4/32)"
check "up installs the route in its kernel RIB" kroute up $A4

check "anypoolctl drain" "$CTL" -s "$T/healthd.sock" drain registrar
check "draining: MED 500, three prepends, 65001:666 and GRACEFUL_SHUTDOWN" \
    wait_until 10000 both "$DRAINING"
echo "# up, draining: $(attrs up $A4/32)"
check "anypoolctl undrain" "$CTL" -s "$T/healthd.sock" undrain registrar
check "undrained: the announced attributes again" \
    wait_until 10000 both "$ANNOUNCED"

tr0=$(svcq .transitions) w0=$(svcq .withdrawals)
healthd_conf
kill -HUP "$HPID"
check "reload without attributes: up sees none of them" \
    wait_until 8000 both "$PLAIN"
echo "# up, attributes removed: $(attrs up $A4/32)"
check "reload: state and transitions unchanged" \
    svc ".state == \"announced\" and .transitions == $tr0 and .withdrawals == $w0"
check "no FRR run failed" svc '.frr_errors == 0'

finish bgp-attrs
