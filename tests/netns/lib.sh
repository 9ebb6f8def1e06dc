# SPDX-License-Identifier: BSD-2-Clause
# Shared helpers of the tests/netns/*.sh integration tests: network
# namespaces named after the test's PID (so parallel runs never collide),
# veth links, FRR daemons started per namespace exactly as DESIGN.md
# describes (their own -N, --vty_socket, -z and pid files in a directory
# owned by frr), vtysh wrappers, a wait_until poll with a deadline instead of
# fixed sleeps, a millisecond clock, and one cleanup trap that kills only
# the processes this test started (by PID) and deletes its namespaces.
# Source it, then call netns_init.

B=${B:-.}
SRC=${SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NS_PREFIX="ap$$"
NS_LIST=()
PIDS=()		# processes started here (killed by PID at exit)
PIDFILES=()	# daemons that wrote a pid file
npass=0 nfail=0
T=

pass() { echo "ok: $*"; npass=$((npass + 1)); }
fail() { echo "FAIL: $*"; nfail=$((nfail + 1)); }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
now_ms() { local t; t=$(date +%s%N); echo $((t / 1000000)); }

# wait_until MS CMD...: run CMD every 20 ms until it succeeds (0) or MS
# milliseconds have passed (1).
wait_until() {
	local limit=$1 t0 n=0; shift
	t0=$(now_ms)
	while :; do
		"$@" && return 0
		n=$((n + 1))
		[ $(( $(now_ms) - t0 )) -ge "$limit" ] && return 1
		[ "$n" -ge 100000 ] && return 1
		sleep 0.02
	done
}

netns_cleanup() {
	local pf p ns
	for p in "${PIDS[@]}"; do
		kill -9 "$p" 2>/dev/null
	done
	for pf in "${PIDFILES[@]}"; do
		[ -s "$pf" ] && kill -9 "$(cat "$pf")" 2>/dev/null
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
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: network namespaces need root"
		exit 77
	fi
	local p
	for p in ip vtysh /usr/lib/frr/zebra /usr/lib/frr/bgpd \
	    /usr/lib/frr/ospfd jq; do
		command -v "$p" >/dev/null || [ -x "$p" ] || {
			echo "ERROR: $p missing (tests/run-all installs" \
			    "\$ANYPOOL_NETNS_PACKAGES)"; exit 99; }
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

# stop_pid PID [SIGNAL]: signal a process this test started and reap it.
stop_pid() {
	kill "-${2:-TERM}" "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	true
}
