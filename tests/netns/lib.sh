# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers of the tests/netns/*.sh integration tests: network
# namespaces named after the test's PID (so parallel runs never collide),
# veth links, FRR daemons started per namespace exactly as DESIGN.md
# describes (their own -N, --vty_socket, -z and pid files in a directory
# owned by frr), vtysh wrappers, and one cleanup trap that kills only the
# processes this test started (by PID) and deletes its namespaces.  The
# verdicts, wait_until (milliseconds) and now_ms are tests/lib/common.sh's.
# On top of those, the plumbing the anycast and ENRP tests share: the
# pop/up topology and its BGP session, starting
# registrard and healthd in pop, healthd's service state, the timed
# kill -9 / restart checks, GET /metrics, and ENRP peer agreement.
# Source it, then call netns_init.
# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the tests sourcing this

# shellcheck source=../lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
NS_PREFIX="ap$$"
NS_LIST=()
PIDS=()		# processes started here (killed by PID at exit)
PIDFILES=()	# daemons that wrote a pid file
T=

netns_cleanup() {
	local pf p ns
	# Only our own: a PID of one that ended may be a stranger's by now.
	for p in "${PIDS[@]}"; do
		own_child "$p" && kill -9 "$p" 2>/dev/null
	done
	for pf in "${PIDFILES[@]}"; do
		[ -s "$pf" ] || continue
		p=$(cat "$pf")
		tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$pf" &&
		    kill -9 "$p" 2>/dev/null
	done
	wait 2>/dev/null
	for ns in "${NS_LIST[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "$nfail" -gt 0 ] && [ -n "$T" ]; then
		for f in "$T"/*.log "$T"/*/*.log; do
			[ -f "$f" ] || continue
			echo "---- $f"; tail -25 "$f"
		done
	fi
	[ -n "$T" ] && [ -z "${KEEP:-}" ] && rm -rf "$T"
	true
}

# netns_init: root check, tools, temporary directory, the cleanup trap.
netns_init() {
	need_root "network namespaces"
	local p
	for p in ip vtysh /usr/lib/frr/zebra /usr/lib/frr/bgpd \
	    /usr/lib/frr/ospfd jq; do
		command -v "$p" >/dev/null || [ -x "$p" ] ||
			error "$p missing (tests/run-all installs" \
			    "\$ANYPOOL_NETNS_PACKAGES)"
	done
	T=$(mktemp -d /tmp/anypool-netns.XXXXXX)
	chmod 755 "$T"
	trap netns_cleanup EXIT
	trap 'exit 1' INT TERM
}

# ns NAME: the full namespace name for a short one.
ns() { echo "$NS_PREFIX-$1"; }

# ns_add NAME: a namespace with lo up and DAD off.
ns_add() {
	local n; n=$(ns "$1")
	ip netns add "$n" || return 1
	NS_LIST+=("$n")
	ip -n "$n" link set lo up
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
	    net.ipv6.conf.default.accept_dad=0 net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1
}

# nsx NAME CMD...: run CMD in namespace NAME.
nsx() { local n; n=$(ns "$1"); shift; ip netns exec "$n" "$@"; }

# link A IFA ADDR4A ADDR6A B IFB ADDR4B ADDR6B: a veth between two namespaces.
link() {
	local a; a=$(ns "$1"); local b; b=$(ns "$5")
	ip link add "$2" netns "$a" type veth peer name "$6" netns "$b" ||
	    return 1
	ip -n "$a" link set "$2" up
	ip -n "$b" link set "$6" up
	ip -n "$a" addr add "$3" dev "$2"
	ip -n "$a" -6 addr add "$4" dev "$2" nodad
	ip -n "$b" addr add "$7" dev "$6"
	ip -n "$b" -6 addr add "$8" dev "$6" nodad
}

# frr_start NAME CONF DAEMON...: zebra plus the daemons in namespace NAME,
# reading CONF as their integrated frr.conf; state in $T/frr-NAME.
frr_start() {
	local name=$1 conf=$2 n d dir; shift 2
	n=$(ns "$name")
	dir="$T/frr-$name"
	mkdir -p "$dir"
	cp "$conf" "$dir/frr.conf"
	chown -R frr:frr "$dir"
	for d in zebra "$@"; do
		PIDFILES+=("$dir/$d.pid")
		ip netns exec "$n" "/usr/lib/frr/$d" -d -N "$n" \
		    -i "$dir/$d.pid" --vty_socket "$dir" -z "$dir/zserv.api" \
		    -u frr -g frr -f "$dir/frr.conf" \
		    --log "file:$dir/$d.log" >>"$dir/start.log" 2>&1 || {
			echo "ERROR: $d did not start in $n"; cat "$dir/start.log"
			return 1; }
	done
}

# frr_dir NAME: the --vty_socket directory of namespace NAME's FRR.
frr_dir() { echo "$T/frr-$1"; }

# vty NAME CMD...: vtysh -c CMD... against namespace NAME's FRR (5 s max).
vty() {
	local name=$1 a=(); shift
	local c
	for c in "$@"; do a+=(-c "$c"); done
	timeout 5 vtysh --vty_socket "$(frr_dir "$name")" "${a[@]}"
}

# kroute NAME PREFIX: 0 if namespace NAME's kernel has a route for PREFIX.
kroute() {
	local fam=-4
	case $2 in *:*) fam=-6;; esac
	[ -n "$(ip -n "$(ns "$1")" $fam route show "$2" 2>/dev/null)" ]
}
no_kroute() { ! kroute "$@"; }

# bgp_has NAME PREFIX: 0 if NAME's BGP table holds PREFIX.
bgp_has() {
	local afi=ipv4
	case $2 in *:*) afi=ipv6;; esac
	vty "$1" "show bgp $afi unicast $2 json" 2>/dev/null |
	    jq -e '(.paths // []) | length > 0' >/dev/null 2>&1
}

# bgp_established NAME: every configured neighbor of NAME is Established.
bgp_established() {
	vty "$1" "show bgp summary json" 2>/dev/null | jq -e '
	    [.ipv4Unicast.peers // {} | to_entries[] | .value.state] |
	    length > 0 and all(. == "Established")' >/dev/null 2>&1
}

# start_bg LOG CMD...: start CMD in the background, record its PID in $BGPID.
start_bg() {
	local log=$1; shift
	"$@" >>"$log" 2>&1 &
	BGPID=$!
	PIDS+=("$BGPID")
}

# start_monitor NAME LOG: `ip monitor route` in namespace NAME, appending to
# LOG, its PID in $BGPID; returns once it listens (a log that exists says
# only that the shell opened it): a marker route, blackhole 203.0.113.254/32,
# is added or removed until the log shows it, then removed.  The marker's
# lines name no address a test counts.
start_monitor() {
	local n
	n=$(ns "$1")
	start_bg "$2" ip -n "$n" monitor route
	wait_until 10000 monitor_marked "$n" "$2" ||
	    fail "ip monitor route in $1 does not listen"
	ip -n "$n" route del blackhole 203.0.113.254/32 2>/dev/null
	true
}
monitor_marked() {
	grep -q '203\.0\.113\.254' "$2" && return 0
	ip -n "$1" route add blackhole 203.0.113.254/32 2>/dev/null ||
	    ip -n "$1" route del blackhole 203.0.113.254/32 2>/dev/null
	return 1
}

# stop_pid PID [SIGNAL]: signal a process this test started and reap it.
stop_pid() {
	kill "-${2:-TERM}" "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	true
}

# --- The anycast tests: pop (registrard + healthd + FRR) and up ----------

# pop_up: namespaces pop and up joined by a veth: pop's v-up 10.0.0.1/30
# and 2001:db8:1::1/64, up's v-pop 10.0.0.2/30 and 2001:db8:1::2/64.
pop_up() {
	ns_add pop
	ns_add up
	link pop v-up 10.0.0.1/30 2001:db8:1::1/64 up v-pop 10.0.0.2/30 \
	    2001:db8:1::2/64
}

# bgp_start: zebra + bgpd in pop and up with the shipped
# deploy/frr/bgp-pop.conf and bgp-upstream.conf (exit 99 if they do not
# start); checks that the eBGP session comes up within 30 s.
bgp_start() {
	frr_start pop "$SRC/deploy/frr/bgp-pop.conf" bgpd || exit 99
	frr_start up "$SRC/deploy/frr/bgp-upstream.conf" bgpd || exit 99
	check "BGP session established" wait_until 30000 bgp_established up
}

# registrar_conf ADDR...: $T/registrard.conf serving ASAP over TCP on port
# 3863 of each ADDR, control socket $T/registrard.sock (append for more).
registrar_conf() {
	local a
	for a in "$@"; do
		echo "listen on $a port 3863 transport tcp"
	done >"$T/registrard.conf"
	echo "control socket \"$T/registrard.sock\"" >>"$T/registrard.conf"
}

# start_registrar: registrard -d -f $T/registrard.conf in namespace pop,
# output in $T/registrard.log; its PID in $RPID.
start_registrar() {
	start_bg "$T/registrard.log" ip netns exec "$(ns pop)" \
	    "$REGISTRARD" -d -f "$T/registrard.conf"
	RPID=$BGPID
}

# start_healthd [OPTION...]: healthd -d OPTION... -f $T/healthd.conf in
# namespace pop, output in $T/healthd.log; its PID in $HPID.
start_healthd() {
	start_bg "$T/healthd.log" ip netns exec "$(ns pop)" \
	    "$HEALTHD" -d "$@" -f "$T/healthd.conf"
	HPID=$BGPID
}

# svc JQ-EXPR: 0 if JQ-EXPR holds for healthd's first service (anypoolctl
# --json show services on $T/healthd.sock).  svcq JQ-EXPR: print it.
svc() {
	"$CTL" -s "$T/healthd.sock" --json show services 2>/dev/null |
	    jq -e ".services[0] | $1" >/dev/null 2>&1
}
svcq() {
	"$CTL" -s "$T/healthd.sock" --json show services 2>/dev/null |
	    jq -r ".services[0] | $1"
}

# frr_withdraw_confirmed: checks that healthd saw FRR withdraw the route
# (6 s), then prints healthd's two withdrawal times.
frr_withdraw_confirmed() {
	check "metrics: FRR confirmed the withdrawal" \
	    wait_until 6000 svc '.last_frr_withdraw_ms >= 0'
	svcq '"# healthd: failure -> address off \(.last_time_to_withdraw_ms) ms, address off -> FRR withdrawn \(.last_frr_withdraw_ms) ms"'
}

# kill9_registrar GONE...: kill -9 registrard ($RPID); checks that the
# command GONE... holds within 1 s (waiting up to 5 s to measure it).
kill9_registrar() {
	local t0 ms
	t0=$(now_ms)
	stop_pid "$RPID" KILL
	if wait_until 5000 "$@"; then
		ms=$(( $(now_ms) - t0 ))
		echo "# registrar kill -9 -> route gone upstream: $ms ms"
		check "withdrawn within 1 s of kill -9 ($ms ms)" [ "$ms" -le 1000 ]
	else
		fail "route still upstream 5 s after kill -9 registrard"
	fi
}

# registrar_back LIMIT-MS MIN-MS UP...: start registrard again; checks that
# the command UP... holds within LIMIT-MS but not before MIN-MS (the
# service's rise + hold-down).
registrar_back() {
	local limit=$1 min=$2 t0 ms
	shift 2
	t0=$(now_ms)
	start_registrar
	if wait_until "$limit" "$@"; then
		ms=$(( $(now_ms) - t0 ))
		echo "# registrar back -> route upstream: $ms ms"
		check "returns only after rise + hold-down ($ms ms >= $min)" \
		    [ "$ms" -ge "$min" ]
	else
		fail "route did not come back after the registrar restarted"
	fi
}

# kill9_healthd LIFETIME GONE...: kill -9 healthd ($HPID); checks that the
# command GONE... holds within the address lifetime (LIFETIME s) + 2 s
# (waiting up to LIFETIME + 3 s): without the lifetime the route would stay
# for good; the 2 s cover zebra and BGP on a loaded machine (seen: 1.2 s).
kill9_healthd() {
	local lifetime=$1 t0 ms
	shift
	t0=$(now_ms)
	stop_pid "$HPID" KILL
	if wait_until $(( lifetime * 1000 + 3000 )) "$@"; then
		ms=$(( $(now_ms) - t0 ))
		echo "# healthd kill -9 -> route gone upstream: $ms ms"
		check "withdrawn within the address lifetime + 2 s ($ms ms)" \
		    [ "$ms" -le $(( lifetime * 1000 + 2000 )) ]
	else
		fail "route still upstream after healthd died"
	fi
}

# metrics_get NAME PORT: GET /metrics from 127.0.0.1:PORT inside namespace
# NAME (bash /dev/tcp, 3 s at most); the whole HTTP response on stdout.
metrics_get() {
	# shellcheck disable=SC2016  # $0 is the inner shell's (PORT)
	nsx "$1" timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0" &&
	    printf "GET /metrics HTTP/1.0\r\nHost: x\r\n\r\n" >&3 &&
	    cat <&3' "$2" 2>/dev/null
}

# --- The ENRP tests: registrars on one bridge ----------------------------

# bridge_join NAME ADDR4/LEN [ADDR6/LEN]: a namespace NAME joined to the
# bridge br0 of namespace sw by a veth (eth0 on NAME's side).
bridge_join() {
	local n=$1 nn; nn=$(ns "$1")
	ns_add "$n"
	ip link add "ap$$-$n" netns "$nn" type veth peer name "p-$n" \
	    netns "$(ns sw)"
	ip -n "$nn" link set "ap$$-$n" name eth0
	ip -n "$nn" addr add "$2" dev eth0
	[ -z "${3:-}" ] || ip -n "$nn" -6 addr add "$3" dev eth0 nodad
	ip -n "$nn" link set eth0 up
	ip -n "$(ns sw)" link set "p-$n" master br0
	ip -n "$(ns sw)" link set "p-$n" up
}

# enrp_registrar NAME ADDR LOG STATEMENT...: registrard in namespace NAME
# with $T/NAME.conf: ASAP over TCP on ADDR port 3863, control socket
# $T/NAME.sock, ENRP on ADDR with the STATEMENTs (one enrp-block line each)
# and fast timers (heartbeat-cycle 300ms, max-time-last-heard 1s,
# max-time-no-response 700ms); output in LOG, its PID in $BGPID.
enrp_registrar() {
	local n=$1 addr=$2 log=$3 st
	shift 3
	{
		echo "listen on $addr port 3863 transport tcp"
		echo "control socket \"$T/$n.sock\""
		echo "enrp {"
		echo "	listen on $addr"
		for st in "$@"; do echo "	$st"; done
		echo "	heartbeat-cycle 300ms"
		echo "	max-time-last-heard 1s"
		echo "	max-time-no-response 700ms"
		echo "}"
	} >"$T/$n.conf"
	start_bg "$log" ip netns exec "$(ns "$n")" "$REGISTRARD" -d \
	    -f "$T/$n.conf"
}

# A registrar NAME has its control socket at $T/NAME.sock.
# q NAME WHAT: anypoolctl --json show WHAT of registrar NAME.
q() { "$CTL" -s "$T/$1.sock" --json show "$2" 2>/dev/null; }
# npes NAME: how many PEs registrar NAME lists; npes_is NAME N.
npes() { q "$1" pes | jq '.pes | length' 2>/dev/null; }
npes_is() { [ "$(npes "$1")" = "$2" ]; }
synced() { q "$1" summary | jq -e '.summary.synchronized' >/dev/null 2>&1; }
# all_synced NAME...: every registrar NAME reports itself synchronized.
all_synced() {
	local n
	for n in "$@"; do synced "$n" || return 1; done
}

# peers_agree JQ-AND NAME...: every registrar NAME lists each other NAME as
# an active peer whose local_checksum equals that one's own pe_checksum
# (and for which the jq condition JQ-AND, "and ..." or "", holds too).
peers_agree() {
	local extra=$1 n m j
	declare -A id sum
	shift
	for n in "$@"; do
		j=$(q "$n" peers) || return 1
		id[$n]=$(echo "$j" | jq -r .server_id)
		sum[$n]=$(echo "$j" | jq -r .pe_checksum)
	done
	for n in "$@"; do
		j=$(q "$n" peers) || return 1
		for m in "$@"; do
			[ "$m" = "$n" ] && continue
			echo "$j" | jq -e --arg id "${id[$m]}" --arg sum "${sum[$m]}" \
			    '[.peers[] | select(.id == $id and .state == "active"
			      and .local_checksum == $sum '"$extra"')] | length == 1' \
			    >/dev/null || return 1
		done
	done
}
