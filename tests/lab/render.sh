#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# deploy/render: every example inventory (deploy/inventory/*.toml) renders,
# and every file it writes is accepted by the program that reads it:
# registrard -n, healthd -n, and FRR's own parser (vtysh -C, when FRR is
# installed; the lab test starts FRR on the lab's configurations).  The
# rendered files say what the inventory says (server id, node name,
# anycast listeners, ENRP on the unicast address with the other nodes as
# peers, routing, run-time paths from --run-dir/--frr-dir).  --json gives
# the normalised inventory.  Bad inventories fail with exit 1 and a
# "FILE: node NAME: what" message naming the problem.  Security (issue
# 12): the lab inventories get a lab CA, a certificate per registrar that
# openssl verifies for the service name, ENRP and PE key files that differ,
# all secrets mode 600 and kept on a re-render; the configurations run
# secured (TLS listeners, secured on, ENRP over TLS, probes checking the
# certificate); the production example invents no key and lists the
# operator's files.  BFD (issue 13): [bfd] gives a bfd profile with the
# inventory's timers at every node and router, BFD on every BGP session
# and OSPF adjacency of a PoP (both ends) and on no transit-only one;
# without [bfd], none; bad timers are refused.  Covers (issue 13, item 2):
# the inventory's covering prefixes become healthd "cover" lines (healthd -n
# resolves them to the service, scope local by default), ANYCAST-COVER
# network statements at every BGP node, and with [lab] strict-transit the
# routers' inbound prefix-lists on PoP sessions (nothing longer than the
# covers); bad covers are refused.  Unicast (issue 13, item 3): one
# "unicast-address" per node unicast address a listen serves (IPv4 only
# for OSPF nodes), kept by registrard -n.
set -u
B=${B:-.}
SRC=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=../lib/common.sh
. "$SRC/tests/lib/common.sh"
RENDER=$SRC/deploy/render
command -v python3 >/dev/null || error "python3 missing"
python3 -c 'import tomllib' 2>/dev/null || skip "python3 without tomllib (3.11+)"
command -v jq >/dev/null || error "jq missing"
test_init render

accepted() {	# accepted DIR: every rendered file in DIR is accepted
	local d f ok=0
	for d in "$1"/*/; do
		[ -f "$d/frr.conf" ] || continue	# tls/: keys
		if [ -f "$d/registrard.conf" ]; then
			"$B/registrar/registrard" -n -f "$d/registrard.conf" >/dev/null || { echo "  rejected: $d/registrard.conf"; ok=1; }
			"$B/health/healthd" -n -f "$d/healthd.conf" >/dev/null || { echo "  rejected: $d/healthd.conf"; ok=1; }
		fi
		if command -v vtysh >/dev/null; then
			vtysh -C -f "$d/frr.conf" || { echo "  rejected by FRR: $d/frr.conf"; ok=1; }
		fi
	done
	return $ok
}

for inv in "$SRC"/deploy/inventory/*.toml; do
	name=$(basename "$inv" .toml)
	lab=
	grep -q '^\[lab\]' "$inv" && lab=--lab
	check "$name: renders" python3 "$RENDER" $lab --run-dir "/run/x/%n" \
	    --frr-dir "/run/x/%n/frr" "$inv" "$T/$name"
	check "$name: every file accepted (registrard -n, healthd -n, vtysh -C)" accepted "$T/$name"
	check "$name: --json" eval "python3 '$RENDER' $lab --json '$inv' >'$T/$name.json'"
	n=$(jq '.nodes | length' "$T/$name.json")
	check "$name: a folder per node ($n)" [ "$(ls -d "$T/$name"/*/ | wc -l)" -ge "$n" ]
done

# What the lab's files say.
L=$T/lab
J=$T/lab.json
check "lab: node a has server id 1 and its name" \
    grep -qx 'server-id 1' "$L/a/registrard.conf"
check "lab: node-name" grep -qx 'node-name "a"' "$L/a/registrard.conf"
check "lab: ASAP on the anycast IPv4 and IPv6 addresses" eval \
    "grep -q 'listen on 198.51.100.53 port 3863' '$L/a/registrard.conf' &&
     grep -q 'listen on 2001:db8:53:: port 3863' '$L/a/registrard.conf'"
check "lab: ENRP listens on the unicast address, never the anycast one" eval \
    "sed -n '/^enrp {/,/^}/p' '$L/a/registrard.conf' | grep -q 'listen on 10.255.0.1 ' &&
     ! sed -n '/^enrp {/,/^}/p' '$L/a/registrard.conf' | grep -q 198.51.100.53"
check "lab: the other nodes are ENRP peers" eval \
    "grep -q 'peer 10.255.0.2 port 9901' '$L/a/registrard.conf' &&
     grep -q 'peer 10.255.0.3 port 9901' '$L/a/registrard.conf' &&
     ! grep -q 'peer 10.255.0.1 ' '$L/a/registrard.conf'"
check "lab: --run-dir pattern gives the control sockets" eval \
    "grep -q 'control socket \"/run/x/a/registrard.sock\"' '$L/a/registrard.conf' &&
     grep -q 'registrar control \"/run/x/a/registrard.sock\"' '$L/a/healthd.conf'"
check "lab: --frr-dir pattern gives healthd's vty socket" \
    grep -q 'frr vty-socket "/run/x/a/frr"' "$L/a/healthd.conf"
check "lab: healthd's ASAP probe asks on the anycast address (issue 6)" \
    grep -q 'probe asap 198.51.100.53 port 3864 ' "$L/a/healthd.conf"
check "lab: healthd announces over BGP as the node's AS" grep -q 'bgp as 65101 ' "$L/a/healthd.conf"
check "lab: BGP neighbour derived from the link (ra, 65001)" \
    grep -q 'neighbor 10.0.1.2 remote-as 65001' "$L/a/frr.conf"
check "lab: the anycast network through route-map ANYCAST" \
    grep -q 'network 198.51.100.53/32 route-map ANYCAST' "$L/a/frr.conf"
check "lab: the router announces its client network" grep -q 'network 10.1.1.0/24' "$L/ra/frr.conf"
check "lab: --json derives BGP neighbours" \
    jq -e '.nodes[0].bgp_neighbors | map(.address) | index("10.0.1.2") != null' "$J" >/dev/null
check "lab: --json gives the client's addresses" \
    jq -e '.lab.clients[0] | .address4 == "10.1.1.2/24" and .gateway4 == "10.1.1.1"' "$J" >/dev/null
check "lab-ospf: healthd sets the OSPF cost of the anycast stub" grep -qx '	ospf stub metric 10 drain-metric 65000' "$T/lab-ospf/a/healthd.conf"
# ospf: the anycast /32 and the unicast loopback are stub links of the router
# LSA (lo in the area for those two addresses), no external route
check "lab-ospf: the anycast /32 and the unicast loopback are intra-area stubs, not redistributed" eval \
    "sed -n '/^interface lo\$/,/^!/p' '$T/lab-ospf/a/frr.conf' | grep -qx ' ip ospf area 0.0.0.0 198.51.100.53' &&
     sed -n '/^interface lo\$/,/^!/p' '$T/lab-ospf/a/frr.conf' | grep -qx ' ip ospf area 0.0.0.0 10.255.0.1' &&
     ! grep -q 'redistribute' '$T/lab-ospf/a/frr.conf'"
check "example: production paths by default" eval \
    "python3 '$RENDER' '$SRC/deploy/inventory/example.toml' '$T/prod' &&
     grep -q 'control socket \"/run/anypool/healthd.sock\"' '$T/prod/fra1/healthd.conf' &&
     grep -q 'frr vty-socket \"/var/run/frr\"' '$T/prod/fra1/healthd.conf'"
check "example: hex server id" grep -qx 'server-id 167772161' "$T/prod/fra1/registrard.conf"
check "example: per-node threshold override" grep -q 'holddown 5s max 60s' "$T/prod/ams1/healthd.conf"
check "example: scope local reaches healthd" grep -q 'scope local' "$T/prod/lon1/healthd.conf"
# deploy/frr/README.md: ANYCAST-OUT outbound on every neighbour; the
# local-scope prefix-list entries written out for a local node only.
check "lab: route-map ANYCAST-OUT outbound on every neighbour" eval \
    "[ \$(grep -c 'route-map ANYCAST-OUT out' '$L/a/frr.conf') -eq \$(grep -c 'remote-as' '$L/a/frr.conf') ]"
check "example: a local node lists its prefixes in ANYCAST-LOCAL(6)" eval \
    "grep -q 'ip prefix-list ANYCAST-LOCAL seq 5 permit 198.51.100.53/32' '$T/prod/lon1/frr.conf' &&
     grep -q 'ipv6 prefix-list ANYCAST-LOCAL6 seq 5 permit 2001:db8:53::/128' '$T/prod/lon1/frr.conf' &&
     ! grep -q 'prefix-list ANYCAST-LOCAL seq' '$T/prod/ams1/frr.conf'"

# cover (issue 13, item 2): covering prefixes, strict transits.
check "lab: healthd announces both covers" eval \
    "grep -qx 'cover 198.51.100.0/24 route-map ANYCAST-COVER' '$L/a/healthd.conf' &&
     grep -qx 'cover 2001:db8:53::/48 route-map ANYCAST-COVER' '$L/a/healthd.conf'"
check "lab: healthd -n resolves the covers to the service, which is scope local" eval \
    "'$B/health/healthd' -n -f '$L/a/healthd.conf' | grep -q '^cover 198.51.100.0/24' &&
     '$B/health/healthd' -n -f '$L/a/healthd.conf' | grep -A3 '^cover 2001:db8:53::/48' | grep -q registrar &&
     '$B/health/healthd' -n -f '$L/a/healthd.conf' | grep -qx '	scope local'"
check "lab: the covers' network statements and route-map at a PoP" eval \
    "grep -qx '  network 198.51.100.0/24 route-map ANYCAST-COVER' '$L/a/frr.conf' &&
     grep -qx '  network 2001:db8:53::/48 route-map ANYCAST-COVER' '$L/a/frr.conf' &&
     grep -qx 'route-map ANYCAST-COVER permit 10' '$L/a/frr.conf'"
check "lab: the host routes tagged NO_EXPORT (scope local: ANYCAST-LOCAL)" \
    grep -qx 'ip prefix-list ANYCAST-LOCAL seq 5 permit 198.51.100.53/32' "$L/a/frr.conf"
check "lab: --json says the routers are strict transits" jq -e '.lab.strict_transit == true' "$J"
check "lab: a router takes nothing longer than /24 and /48 from a PoP" eval \
    "grep -qx 'ip prefix-list TRANSIT-IN seq 5 deny 198.51.100.0/24 ge 25' '$L/ra/frr.conf' &&
     grep -qx 'ipv6 prefix-list TRANSIT-IN6 seq 5 deny 2001:db8:53::/48 ge 49' '$L/ra/frr.conf' &&
     grep -qx 'ip prefix-list TRANSIT-IN seq 1000 permit any' '$L/ra/frr.conf' &&
     grep -qx '  neighbor 10.0.1.1 prefix-list TRANSIT-IN in' '$L/ra/frr.conf' &&
     grep -qx '  neighbor 2001:db8:0:1::1 prefix-list TRANSIT-IN6 in' '$L/ra/frr.conf'"
check "lab: ... but everything from another router (the unicast routes pass)" \
    eval "! grep -q 'neighbor 10.0.12.2 prefix-list' '$L/ra/frr.conf'"
check "lab-ospf: no cover (BGP only), no strict transit" eval \
    "! grep -q '^cover' '$T/lab-ospf/a/healthd.conf' && ! grep -q 'TRANSIT-IN\|COVER' '$T/lab-ospf/ra/frr.conf'"
check "example: covers at every node, ams1 scope global as it says" eval \
    "grep -qx 'cover 2001:db8:53::/48 route-map ANYCAST-COVER' '$T/prod/lon1/healthd.conf' &&
     grep -qx '	scope global' '$T/prod/ams1/healthd.conf' && grep -qx '	scope local' '$T/prod/fra1/healthd.conf'"

# unicast (issue 13, item 3): PEs move to the node's own address.
check "lab: registrard tells PEs the node's unicast addresses" eval \
    "grep -qx 'unicast-address 10.255.0.1' '$L/a/registrard.conf' &&
     grep -qx 'unicast-address 2001:db8:ff::1' '$L/a/registrard.conf' &&
     ! grep -q 'unicast-address 198.51.100' '$L/a/registrard.conf'"
check "lab: registrard -n keeps them" eval \
    "'$B/registrar/registrard' -n -f '$L/b/registrard.conf' | grep -q '^unicast-address 10.255.0.2' &&
     '$B/registrar/registrard' -n -f '$L/b/registrard.conf' | grep -q '^unicast-address 2001:db8:ff::2'"
check "lab-ospf: the IPv4 unicast address only (OSPFv2 carries no IPv6)" eval \
    "[ \"\$(grep '^unicast-address' '$T/lab-ospf/a/registrard.conf')\" = 'unicast-address 10.255.0.1' ]"

# BFD (issue 13, a PoP that hangs): the profile with the inventory's
# timers, on the PoPs' sessions from both ends; FRR's parser took the
# files above (vtysh -C).
bfd_block() {	# bfd_block FILE: the bfd profile block, on one line
	sed -n '/^bfd$/,/^!$/p' "$1" | tr -s ' \n' ' '
}
check "lab: a bfd profile with the inventory's timers (100 ms x 3) at a PoP" eval \
    "[ \"\$(bfd_block '$L/a/frr.conf')\" = 'bfd profile anypool detect-multiplier 3 receive-interval 100 transmit-interval 100 ! ' ]"
check "lab: ... and the same at the routers" eval \
    "[ \"\$(bfd_block '$L/ra/frr.conf')\" = \"\$(bfd_block '$L/a/frr.conf')\" ]"
check "lab: BFD on every BGP session of PoP a (IPv4 and IPv6)" eval \
    "grep -qx ' neighbor 10.0.1.2 bfd profile anypool' '$L/a/frr.conf' &&
     grep -qx ' neighbor 2001:db8:0:1::2 bfd profile anypool' '$L/a/frr.conf' &&
     [ \$(grep -c '^ neighbor .* bfd\$' '$L/a/frr.conf') -eq \$(grep -c 'remote-as' '$L/a/frr.conf') ]"
check "lab: BFD on ra's sessions to PoP a, not on the transit session to rb" eval \
    "grep -qx ' neighbor 10.0.1.1 bfd' '$L/ra/frr.conf' && grep -qx ' neighbor 10.0.1.1 bfd profile anypool' '$L/ra/frr.conf' &&
     ! grep -q 'neighbor 10.0.12.2 bfd' '$L/ra/frr.conf'"
check "lab: --json has the BFD timers (detection 300 ms)" \
    eval "jq -e '.bfd == {profile: \"anypool\", transmit_interval_ms: 100, receive_interval_ms: 100, detect_multiplier: 3, detect_ms: 300}' '$J' >/dev/null"
ospf_bfd() {	# ospf_bfd FILE IFACE: the interface block has ip ospf bfd (+ profile)
	sed -n "/^interface $2\$/,/^!/p" "$1" | grep -qx ' ip ospf bfd' &&
	    sed -n "/^interface $2\$/,/^!/p" "$1" | grep -qx ' ip ospf bfd profile anypool'
}
check "lab-ospf: BFD on PoP a's adjacency, from both ends" eval \
    "ospf_bfd '$T/lab-ospf/a/frr.conf' v-ra && ospf_bfd '$T/lab-ospf/ra/frr.conf' v-a"
check "lab-ospf: no BFD on the transit adjacency ra - rb nor on a client interface" eval \
    "! ospf_bfd '$T/lab-ospf/ra/frr.conf' v-rb && ! sed -n '/^interface v-ca\$/,/^!/p' '$T/lab-ospf/ra/frr.conf' | grep -q bfd"
check "example: BFD on every BGP session of a production node" eval \
    "[ \$(grep -c '^ neighbor .* bfd profile anypool\$' '$T/prod/fra1/frr.conf') -eq 2 ] &&
     grep -q '^bfd\$' '$T/prod/fra1/frr.conf'"

# Security (issue 12): the lab's keys and what the configurations say.
command -v openssl >/dev/null || error "openssl missing (\$ANYPOOL_LAB_PACKAGES)"
K=$L/tls
NAME=$(jq -r '.security.service_name' "$J")
check "lab: --json names the service ($NAME)" [ "$NAME" = registrar.lab.anypool.test ]
mode() { stat -c %a "$1"; }
secrets_600() {
	local f ok=0
	for f in "$K/ca.key" "$K"/registrar-*.key "$K/enrp.keys" "$K/pe.keys" "$K"/clients/*.psk; do
		[ -f "$f" ] && [ "$(mode "$f")" = 600 ] || { echo "  $f: mode $(mode "$f" 2>/dev/null)"; ok=1; }
	done
	[ "$(mode "$K")" = 700 ] || { echo "  $K: mode $(mode "$K")"; ok=1; }
	return $ok
}
check "lab: every key file is mode 600 (the key folder 700)" secrets_600
for n in a b c; do
	check "lab: $n's certificate verifies against the lab CA for $NAME" \
	    openssl verify -CAfile "$K/ca.pem" -verify_hostname "$NAME" "$K/registrar-$n.pem"
done
check "lab: ... and not for another name" eval \
    "! openssl verify -CAfile '$K/ca.pem' -verify_hostname other.anypool.test '$K/registrar-a.pem' >/dev/null 2>&1"
check "lab: the certificate's key is the node's key" eval \
    "[ \"\$(openssl x509 -in '$K/registrar-a.pem' -noout -pubkey)\" = \"\$(openssl pkey -in '$K/registrar-a.key' -pubout)\" ]"
keys_of() { grep -v '^#' "$1" | awk '{ print $2 }' | sort; }
idents_of() { grep -v '^#' "$1" | awk '{ print $1 }' | sort | tr '\n' ' '; }
check "lab: ENRP keys: one per registrar (a b c)" [ "$(idents_of "$K/enrp.keys")" = "a b c " ]
check "lab: PE keys: one per client network's PE" [ "$(idents_of "$K/pe.keys")" = "pe-ca pe-cb pe-cc " ]
check "lab: the ENRP and PE key files differ and share no key" eval \
    "! cmp -s '$K/enrp.keys' '$K/pe.keys' && [ -z \"\$(comm -12 <(keys_of '$K/enrp.keys') <(keys_of '$K/pe.keys'))\" ]"
check "lab: a client's PSK file holds its PE's key" eval \
    "[ \"\$(grep -v '^#' '$K/clients/ca.psk')\" = \"\$(grep '^pe-ca ' '$K/pe.keys')\" ]"
check "lab: the CA's private key is in no configuration" eval "! grep -q ca.key '$L'/*/*.conf"
check "lab: registrard secured, TLS on the anycast address, certificate and PE keys" eval \
    "grep -qx 'secured on' '$L/a/registrard.conf' &&
     grep -q 'listen on 198.51.100.53 port 3864 transport tcp tls' '$L/a/registrard.conf' &&
     grep -q 'psk-file \"$K/pe.keys\"' '$L/a/registrard.conf' &&
     grep -q 'certificate \"$K/registrar-a.pem\" key \"$K/registrar-a.key\"' '$L/a/registrard.conf'"
check "lab: ENRP over TLS with the registrars' key file and the node's identity" eval \
    "sed -n '/^enrp {/,/^}/p' '$L/a/registrard.conf' | grep -q '^	tls on' &&
     sed -n '/^enrp {/,/^}/p' '$L/a/registrard.conf' | grep -q 'psk-file \"$K/enrp.keys\"' &&
     sed -n '/^enrp {/,/^}/p' '$L/a/registrard.conf' | grep -q 'identity \"a\"'"
check "lab: registrard -n keeps it: secured, TLS 1.3, ENRP tls on" eval \
    "'$B/registrar/registrard' -n -f '$L/a/registrard.conf' | grep -qx 'secured on' &&
     '$B/registrar/registrard' -n -f '$L/a/registrard.conf' | grep -q 'min-version 1.3' &&
     '$B/registrar/registrard' -n -f '$L/a/registrard.conf' | grep -q '^	tls on'"
check "lab: healthd's probe checks the certificate against the CA for $NAME" \
    grep -q "probe asap 198.51.100.53 port 3864 .* tls ca \"$K/ca.pem\" name \"$NAME\"" "$L/a/healthd.conf"
check "lab: --json with OUTDIR gives the clients' key files" \
    eval "python3 '$RENDER' --lab --json '$SRC/deploy/inventory/lab.toml' '$L' |
          jq -e '.security.clients.ca == {identity: \"pe-ca\", psk_file: \"$K/clients/ca.psk\"}' >/dev/null"
sums() { (cd "$K" && md5sum ca.key ca.pem registrar-* enrp.keys pe.keys clients/*); }
before=$(sums)
check "lab: a re-render succeeds" python3 "$RENDER" --lab --run-dir "/run/x/%n" \
    --frr-dir "/run/x/%n/frr" "$SRC/deploy/inventory/lab.toml" "$L"
check "lab: ... and keeps every key and certificate" [ "$(sums)" = "$before" ]
rm "$K/registrar-b.pem"
sed -i '/^pe-cb /d' "$K/pe.keys"
python3 "$RENDER" --lab "$SRC/deploy/inventory/lab.toml" "$L" 2>/dev/null
check "lab: a lost certificate is issued again for the same key" eval \
    "openssl verify -CAfile '$K/ca.pem' -verify_hostname '$NAME' '$K/registrar-b.pem' >/dev/null &&
     [ \"\$(openssl x509 -in '$K/registrar-b.pem' -noout -pubkey)\" = \"\$(openssl pkey -in '$K/registrar-b.key' -pubout)\" ]"
check "lab: a lost PE key is made again, the others kept" eval \
    "grep -q '^pe-cb ' '$K/pe.keys' && [ \"\$(grep '^pe-ca ' '$K/pe.keys')\" = \"\$(grep -v '^#' '$K/clients/ca.psk')\" ] &&
     [ \"\$(grep -v '^#' '$K/clients/cb.psk')\" = \"\$(grep '^pe-cb ' '$K/pe.keys')\" ] && [ \"\$(mode '$K/pe.keys')\" = 600 ]"
check "lab-ospf: secured too" grep -qx 'secured on' "$T/lab-ospf/a/registrard.conf"
check "example: no key made for a production inventory" eval "[ ! -e '$T/prod/tls' ] && ! ls '$T'/prod/*/*.key >/dev/null 2>&1"
check "example: the operator's files, by path, in the configurations" eval \
    "grep -q 'certificate \"/etc/anypool/tls/registrar-fra1.pem\" key \"/etc/anypool/tls/registrar-fra1.key\"' '$T/prod/fra1/registrard.conf' &&
     grep -q 'psk-file \"/etc/anypool/tls/enrp.keys\"' '$T/prod/fra1/registrard.conf' &&
     grep -q 'tls ca \"/etc/anypool/tls/ca.pem\" name \"registrar.anypool.example.net\"' '$T/prod/fra1/healthd.conf'"
check "example: each node's tls-files lists what the operator must install" eval \
    "grep -q '^/etc/anypool/tls/registrar-ams1.key' '$T/prod/ams1/tls-files' &&
     grep -q 'identity \"fra1\"' '$T/prod/fra1/tls-files'"

# Bad inventories: exit 1 and the expected message, at the right FILE:LINE.
BASE='[service]
prefixes = ["198.51.100.53/32"]
[[nodes]]
name = "a"
server-id = 1
unicast = ["10.0.0.1"]
asn = 65001
bgp-neighbors = [{ address = "10.0.0.2", remote-as = 65000 }]
'
bad() {	# bad WHAT EXPECTED-MESSAGE TOML-TAIL: rendering fails with the message
	local what=$1 want=$2 f=$T/bad.toml out rc
	printf '%s%s\n' "$BASE" "$3" >"$f"
	out=$(python3 "$RENDER" "$f" "$T/badout" 2>&1); rc=$?
	if [ "$rc" -eq 1 ] && grep -qF -- "$want" <<<"$out"; then
		pass "bad inventory: $what"
	else
		fail "bad inventory: $what (exit $rc, got: $out)"
	fi
}
NODE_B='[[nodes]]
name = "b"
asn = 65002
bgp-neighbors = [{ address = "10.0.1.2", remote-as = 65000 }]
'
bad "duplicate server id" 'bad.toml:13: node b: server-id 1 is also node a'"'"'s' \
    "$NODE_B"'server-id = 1
unicast = ["10.0.0.9"]'
bad "duplicate unicast address" 'bad.toml:14: node b: unicast 10.0.0.1 is also node a'"'"'s' \
    "$NODE_B"'server-id = 2
unicast = ["10.0.0.1"]'
bad "anycast used as unicast" 'bad.toml:14: node b: unicast 198.51.100.53 is the anycast service address' \
    "$NODE_B"'server-id = 2
unicast = ["198.51.100.53"]'
bad "duplicate node name" 'bad.toml:10: node #2: name "a" used twice (also node #1)' \
    '[[nodes]]
name = "a"
server-id = 2
unicast = ["10.0.0.2"]
asn = 1
bgp-neighbors = [{ address = "10.0.0.3", remote-as = 2 }]'
bad "unknown key with a hint" 'bad.toml:13: node b: unknown key "serverid" (did you mean "server-id"?)' \
    "$NODE_B"'serverid = 2
server-id = 2
unicast = ["10.0.0.2"]'
printf '[service]\nprefixes = ["198.51.100.0/24"]\n[[nodes]]\nname = "a"\nserver-id = 1\nunicast = ["10.0.0.1"]\nasn = 1\nbgp-neighbors = [{ address = "10.0.0.2", remote-as = 2 }]\n' >"$T/p.toml"
out=$(python3 "$RENDER" "$T/p.toml" "$T/x" 2>&1)
check "bad inventory: a /24 as anycast prefix" \
    grep -qF 'p.toml:2: service: prefix 198.51.100.0/24: the anycast service address must be a /32 or /128' <<<"$out"
bad "server id 0" 'bad.toml:13: node b: server-id must be a number from 1 to 4294967295' \
    "$NODE_B"'server-id = 0
unicast = ["10.0.0.2"]'
bad "bgp without asn" 'bad.toml:9: node b: routing bgp needs an asn' \
    '[[nodes]]
name = "b"
server-id = 2
unicast = ["10.0.0.2"]
bgp-neighbors = [{ address = "10.0.1.2", remote-as = 65000 }]'
bad "bad scope" 'bad.toml:15: node b: scope must be "global" or "local"' \
    "$NODE_B"'server-id = 2
unicast = ["10.0.0.2"]
scope = "regional"'
bad "bad neighbour address" 'bad.toml:14: node b: bgp-neighbors #1: address: '"'"'10.0.1.300'"'"' is not an IP address' \
    '[[nodes]]
name = "b"
server-id = 2
asn = 2
unicast = ["10.0.0.2"]
bgp-neighbors = [{ address = "10.0.1.300", remote-as = 65000 }]'
bad "duration without unit" 'bad.toml:10: service.thresholds: holddown = '"'"'5'"'"' is not a duration with a unit' \
    '[service.thresholds]
holddown = "5"'
printf '[service]\nprefixes = ["198.51.100.53/32"]\ncovering = ["198.51.100.0/24"]\n[[nodes]]\nname = "a"\nserver-id = 1\nunicast = ["198.51.100.7"]\nasn = 1\nbgp-neighbors = [{ address = "10.0.0.2", remote-as = 2 }]\n' >"$T/c.toml"
out=$(python3 "$RENDER" "$T/c.toml" "$T/x" 2>&1)
check "bad inventory: unicast inside the covering prefix" \
    grep -qF 'c.toml:7: node a: unicast 198.51.100.7 is inside the covering prefix 198.51.100.0/24' <<<"$out"
cov() {	# cov COVERING-LIST NODE-TAIL: an inventory with covers in $T/cov.toml
	printf '[service]\nprefixes = ["198.51.100.53/32"]\ncovering = %s\n[[nodes]]\nname = "a"\nserver-id = 1\nunicast = ["10.0.0.1"]\n%s\n' "$1" "$2" >"$T/cov.toml"
	python3 "$RENDER" "$T/cov.toml" "$T/covout" 2>&1
}
BGPN='asn = 1
bgp-neighbors = [{ address = "10.0.0.2", remote-as = 2 }]'
check "bad inventory: a cover with no anycast prefix in it" eval \
    "cov '[\"192.0.2.0/24\"]' \"\$BGPN\" | grep -qF 'cov.toml:3: service: covering prefix 192.0.2.0/24 contains no anycast prefix'"
check "bad inventory: overlapping covers" eval \
    "cov '[\"198.51.100.0/24\", \"198.51.0.0/16\"]' \"\$BGPN\" | grep -qF 'cov.toml:3: service: covering prefix 198.51.0.0/16 overlaps another one'"
check "bad inventory: covers on an OSPF node" eval \
    "cov '[\"198.51.100.0/24\"]' 'routing = \"ospf\"
ospf = { interfaces = [{ name = \"eth0\" }] }' | grep -qF 'node a: routing ospf: covering prefixes are announced over BGP only'"
check "an inventory with a cover renders it, scope local by default" eval \
    "cov '[\"198.51.100.0/24\"]' \"\$BGPN\" >/dev/null && grep -qx 'cover 198.51.100.0/24 route-map ANYCAST-COVER' '$T/covout/a/healthd.conf' &&
     grep -qx '	scope local' '$T/covout/a/healthd.conf' && accepted '$T/covout'"
printf 'this is = = not toml\n' >"$T/t.toml"
out=$(python3 "$RENDER" "$T/t.toml" "$T/x" 2>&1); rc=$?
check "bad inventory: TOML syntax error, exit 1 ($out)" eval "[ $rc -eq 1 ] && grep -q '^t.toml:1: Expected' <<<\"\$out\""
check "lab.toml without --lab: the neighbours come only from the lab" eval \
    "! python3 '$RENDER' '$SRC/deploy/inventory/lab.toml' '$T/y' 2>'$T/err' &&
     grep -q 'node a: routing bgp but no bgp-neighbors' '$T/err'"
check "several problems reported in one run" eval \
    "printf '%s%s\n' \"\$BASE\" '[[nodes]]
name = \"a\"
server-id = 1
unicast = [\"10.0.0.1\"]
asn = 1
bgp-neighbors = [{ address = \"10.0.0.3\", remote-as = 2 }]' >'$T/m.toml';
     [ \$(python3 '$RENDER' '$T/m.toml' '$T/z' 2>&1 | wc -l) -ge 3 ]"

printf '%s' "$BASE" >"$T/b0.toml"
check "an inventory without [bfd] renders no BFD" eval \
    "python3 '$RENDER' '$T/b0.toml' '$T/b0' && ! grep -q '^bfd\|ospf bfd\| bfd\$' '$T/b0/a/frr.conf' &&
     python3 '$RENDER' --json '$T/b0.toml' | jq -e '.bfd == null' >/dev/null"
printf '%s[bfd]\nenabled = false\n' "$BASE" >"$T/b1.toml"
check "[bfd] enabled = false renders no BFD" eval \
    "python3 '$RENDER' '$T/b1.toml' '$T/b1' && ! grep -q '^bfd\|ospf bfd\| bfd\$' '$T/b1/a/frr.conf'"
bad "bfd: a detect multiplier of 1" 'bad.toml:10: bfd: detect-multiplier must be a count from 2 to 255' \
    '[bfd]
detect-multiplier = 1'
bad "bfd: an interval below FRR's 10 ms" 'bad.toml:10: bfd: receive-interval 5ms: from 10ms to 60s' \
    '[bfd]
receive-interval = "5ms"'
bad "bfd: an interval without unit" 'bad.toml:10: bfd: transmit-interval = 100 is not a duration with a unit' \
    '[bfd]
transmit-interval = 100'
bad "bfd: unknown key with a hint" 'bad.toml:10: bfd: unknown key "detect_multiplier" (did you mean "detect-multiplier"?)' \
    '[bfd]
detect_multiplier = 3'

bad "security without service-name" 'bad.toml:9: security: "service-name" is required' \
    '[security]
secured = true'
bad "security: a lab CA for a production inventory" 'bad.toml:11: security: generate = true makes a lab CA' \
    '[security]
service-name = "r.example.net"
generate = true'
bad "security: a relative key-dir" 'bad.toml:11: security: key-dir '"'"'keys'"'"' must be an absolute path' \
    '[security]
service-name = "r.example.net"
key-dir = "keys"'
bad "security: not a DNS name" 'bad.toml:10: security: service-name '"'"'not a name'"'"' is not a DNS name' \
    '[security]
service-name = "not a name"'
bad "security: a PE identity that is a registrar's" 'node a: enrp-identity '"'"'a'"'"' is also in security.pe-identities' \
    '[security]
service-name = "r.example.net"
pe-identities = ["a"]'

finish render
