#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs INSIDE the sctp-vm guest (tests/sctp/run.sh stages it with bin/ and
# lib/ next to it, and tests/lib/common.sh and deploy/lib/wait.sh where the
# tree has them, and boots the VM).  Each step prints ok/FAIL; the last line
# says "N passed, N failed" and the exit status is 0 only if all passed.
#
#  1. registrard's end-to-end test over SCTP (ANYPOOL_TEST_TRANSPORT=sctp).
#  2. Interoperation with Debian's RSPLIB, in network namespaces on a bridge
#     (as ../shared/sctp-vm/examples/rsplib-capture.sh does: RSPLIB refuses
#     loopback-only PE addresses, and its multicast announces confuse
#     components that share one host):
#     a. our asap-pe registers over SCTP at RSPLIB's rspregistrar, and
#        RSPLIB's rspterminal resolves the pool and talks to our PE;
#     b. RSPLIB's rspserver -echo registers at our registrard, and our
#        asap-pu resolves it and echoes through it over SCTP.
#     The two scenarios run one after the other, so that no RSPLIB component
#     can find the other registrar through its multicast announces.
#  3. ENRP (RFC 5353) over SCTP (PPID 12) between our registrard and
#     RSPLIB's rspregistrar, configured as each other's peers (RSPLIB's fast
#     timers as in ../shared/sctp-vm/examples/rsplib-capture.sh):
#     a. they find each other (registrard logs the new peer and becomes
#        synchronized);
#     b. our asap-pe registered at registrard is resolvable at rspregistrar
#        (our asap-pu over SCTP to rspregistrar);
#     c. RSPLIB's rspserver registered at rspregistrar is resolvable at
#        registrard (our asap-pu over TCP to registrard);
#     d. registrard, restarted, downloads the handle table from
#        rspregistrar as its mentor.
#  4. Takeover with the home change (RFC 5353 §3.5.2, RFC 5352 §3.5): two
#     registrards A and B peer over ENRP/SCTP; RSPLIB's rspserver registers
#     at A; kill -9 A: B takes A's PEs over, opens an SCTP association to
#     the PE's ASAP transport address and sends ENDPOINT_KEEP_ALIVE with
#     H=1; rspserver adopts B as its home, acknowledges, and re-registers at
#     B over that association, which keeps it alive from then on.
#  5. Peer discovery by multicast PRESENCE (239.0.0.51:9901, RSPLIB's):
#     registrard with "multicast on" and rspregistrar, neither with a peer
#     configured, peer with each other; RSPLIB's rspserver registered at
#     rspregistrar is resolvable at registrard.
#     Every wait has a deadline.
#
# Environment: ANYPOOL_SCTP_INTEROP=0 skips step 2.  Logs of every
# component go to $SCTPVM_OUT/logs (the host's staging directory).
set -u
H=$(cd "$(dirname "$0")" && pwd)
# Verdicts stamped with the time since the start; wait_until polls every
# 200 ms (under TCG every fork costs 25 ms and more).
TEST_TIMED=1 WAIT_POLL_MS=200
# shellcheck source=../lib/common.sh
. "$H/tests/lib/common.sh"
OUT=${SCTPVM_OUT:-/tmp/anypool-sctp-out}
LOGS=$OUT/logs
W=/tmp/anypool-interop
rm -rf "$LOGS" "$W"
mkdir -p "$LOGS" "$W"
export PATH=$H/bin:$PATH LD_LIBRARY_PATH=$H/lib

echo "guest: $(uname -r), $(nproc) CPUs; SCTP: $(checksctp 2>&1)"

# ---- 1. the end-to-end test over SCTP
ulimit -c 0
ANYPOOL_TEST_TRANSPORT=sctp REGISTRARD=$H/bin/registrard \
	timeout 400 test_registrar >"$LOGS/test_registrar.log" 2>&1
rc=$?
grep -E '^\[ *(OK|FAILED|PASSED|SKIPPED) *\]|^\[==========\]|^ERROR|SCTP skipped|error:' \
	"$LOGS/test_registrar.log"
if [ "$rc" -eq 0 ]; then
	pass "registrard end-to-end test over SCTP (test_registrar, all cases)"
else
	fail "registrard end-to-end test over SCTP (test_registrar exit $rc)"
	for f in /tmp/anypool-e2e-*/registrard.log; do
		[ -f "$f" ] && cp "$f" "$LOGS/e2e-$(basename "$(dirname "$f")").log"
	done
fi

if [ "${ANYPOOL_SCTP_INTEROP:-1}" = 0 ]; then
	echo "interop with RSPLIB: skipped (ANYPOOL_SCTP_INTEROP=0)"
	finish
	exit
fi

# ---- 2. interoperation with RSPLIB
declare -A ADDR=([rsp-pr]=192.0.2.1 [our-pr]=192.0.2.2 [our-pr2]=192.0.2.3
	[our-pe]=192.0.2.11 [rsp-pe]=192.0.2.12
	[rsp-pu]=192.0.2.21 [our-pu]=192.0.2.22)
declare -A PID
# One ip process per namespace, not one per command: under TCG every exec
# costs ~25 ms and more.
{
	echo "link add br0 type bridge mcast_snooping 0 stp_state 0 forward_delay 0"
	echo "link set br0 up"
	for n in "${!ADDR[@]}"; do
		echo "netns add $n"
		echo "link add v-$n type veth peer name eth0 netns $n"
		echo "link set v-$n master br0 up"
	done
} | ip -batch -
for n in "${!ADDR[@]}"; do
	printf '%s\n' "link set lo up" "addr add ${ADDR[$n]}/24 dev eth0" \
		"link set eth0 up" "route add 224.0.0.0/4 dev eth0" | ip -n "$n" -batch -
done
# (The bridge forwards at once: no STP, no forward delay.)
echo "namespaces up [$(elapsed) s]"

start() { # name (= namespace and log name, unless LOGNAME_=...), command...
	local name=$1 log=${LOGNAME_:-$1}
	shift
	ip netns exec "$name" "$@" >"$LOGS/$log.log" 2>&1 </dev/null &
	PID[$name]=$!
	disown "${PID[$name]}"
	echo "  start $name [${ADDR[$name]}]: $* [$(elapsed) s]"
}
stop() { # name
	[ -n "${PID[$1]:-}" ] || return 0
	kill -INT "${PID[$1]}" 2>/dev/null
	wait_until 5000 eval "! kill -0 ${PID[$1]} 2>/dev/null" || kill -KILL "${PID[$1]}" 2>/dev/null
	PID[$1]=
}
log_has() { grep -q -- "$2" "$LOGS/$1.log" 2>/dev/null; }
RSPLOG=(-loglevel=2 -logcolor=off)

# -- 2a. our PE at RSPLIB's registrar, RSPLIB's terminal as the pool user
echo "== interop a: asap-pe -> rspregistrar, rspterminal -> asap-pe"
start rsp-pr rspregistrar -asap=192.0.2.1:3863 -enrp=192.0.2.1:9901 -quiet \
	-minaddressscope=sitelocal -asapannounce=239.0.0.50:3863 \
	-enrpannounce=239.0.0.51:9901 "${RSPLOG[@]}"
# Listening on SCTP port 3863 (LPORT, the 6th column of /proc/net/sctp/eps).
sctp_listening() { ip netns exec "$1" awk '$6 == 3863 { f = 1 } END { exit !f }' /proc/net/sctp/eps; }
wait_until 20000 sctp_listening rsp-pr || echo "  rspregistrar is not listening on SCTP yet"
start our-pe asap-pe -r sctp:192.0.2.1:3863 -p AnypoolEcho -T sctp -L 192.0.2.11 -d
if wait_until 30000 log_has our-pe "registered as PE"; then
	pass "interop: our asap-pe registered over SCTP at RSPLIB's rspregistrar"
else
	fail "interop: our asap-pe registered over SCTP at RSPLIB's rspregistrar"
fi
# rspterminal sends each stdin line to the PE it chose and prints replies.
# It does not exit at the end of its input: the timeout ends it.
(for i in 1 2 3 4 5 6; do echo "anypool-line-$i"; sleep 1; done) |
	timeout -s INT 12 ip netns exec rsp-pu rspterminal -poolhandle=AnypoolEcho \
		-registrar=192.0.2.1:3863 "${RSPLOG[@]}" >"$LOGS/rsp-pu.log" 2>&1
n=$(grep -c 'anypool-line-' "$LOGS/rsp-pu.log")
if [ "$n" -ge 3 ]; then
	pass "interop: RSPLIB's rspterminal resolved our PE and got $n of 6 lines echoed"
else
	fail "interop: RSPLIB's rspterminal resolved our PE and got $n of 6 lines echoed"
fi
stop our-pe
stop rsp-pr

# -- 2b. RSPLIB's PE at our registrar, our asap-pu as the pool user
echo "== interop b: rspserver -> registrard, asap-pu -> rspserver"
cat >"$W/registrard.conf" <<EOF
listen on 192.0.2.2 transport { tcp sctp }
control socket "$W/registrard.sock"
EOF
start our-pr registrard -d -v -f "$W/registrard.conf"
wait_until 10000 log_has our-pr "listening for ASAP on sctp" ||
	echo "  registrard is not listening on SCTP"
start rsp-pe rspserver -echo -poolhandle=RspEcho -registrar=192.0.2.2:3863 \
	-asapannounce=off "${RSPLOG[@]}"
if wait_until 30000 log_has our-pr "registered from sctp"; then
	pass "interop: RSPLIB's rspserver -echo registered at our registrard over SCTP"
else
	fail "interop: RSPLIB's rspserver -echo registered at our registrard over SCTP"
fi
ip netns exec our-pu timeout 20 asap-pu -r sctp:192.0.2.2:3863 -p RspEcho resolve \
	>"$LOGS/our-pu-resolve.log" 2>&1
rc=$?
cat "$LOGS/our-pu-resolve.log"
if [ "$rc" -eq 0 ] && grep -q "sctp 192.0.2.12" "$LOGS/our-pu-resolve.log"; then
	pass "interop: our asap-pu resolved RSPLIB's PE through our registrard"
else
	fail "interop: our asap-pu resolved RSPLIB's PE through our registrard (exit $rc)"
fi
ip netns exec our-pu timeout 30 asap-pu -r sctp:192.0.2.2:3863 -p RspEcho echo -c 5 -i 200 \
	>"$LOGS/our-pu-echo.log" 2>&1
rc=$?
tail -n 8 "$LOGS/our-pu-echo.log"
if [ "$rc" -eq 0 ]; then
	pass "interop: our asap-pu echoed 5 messages through RSPLIB's rspserver -echo over SCTP"
else
	fail "interop: our asap-pu echoed through RSPLIB's rspserver -echo over SCTP (exit $rc)"
fi
stop rsp-pe
stop our-pr
if log_has our-pr "Sanitizer\|runtime error"; then
	fail "registrard in the interop run: sanitizer report"
fi

# ---- 3. ENRP over SCTP between registrard and rspregistrar
echo "== interop c: ENRP over SCTP, registrard <-> rspregistrar"
PRARGS=(-quiet -endpointkeepalivetransmissioninterval=4000
	-endpointkeepalivetimeoutinterval=2000 -peerheartbeatcycle=3000
	-peermaxtimelastheard=5000 -peermaxtimenoresponse=2000
	-takeoverexpiryinterval=3000 -serverannouncecycle=3000
	-minaddressscope=sitelocal -asapannounce=239.0.0.50:3863
	-enrpannounce=239.0.0.51:9901)
cat >"$W/registrard-enrp.conf" <<EOF
listen on 192.0.2.2 transport { tcp sctp }
control socket "$W/registrard-enrp.sock"
enrp {
	listen on 192.0.2.2 transport sctp
	peer 192.0.2.1
}
EOF
LOGNAME_=rsp-pr-enrp start rsp-pr rspregistrar -asap=192.0.2.1:3863 \
	-enrp=192.0.2.1:9901 -peer=192.0.2.2:9901 "${PRARGS[@]}" "${RSPLOG[@]}"
wait_until 20000 sctp_listening rsp-pr || echo "  rspregistrar is not listening on SCTP yet"
LOGNAME_=our-pr-enrp start our-pr registrard -d -v -f "$W/registrard-enrp.conf"
if wait_until 30000 log_has our-pr-enrp "enrp: new peer 0x[0-9a-f]* 192.0.2.1:9901" &&
	wait_until 30000 log_has our-pr-enrp "enrp: synchronized"; then
	pass "interop: registrard and rspregistrar peer over ENRP/SCTP ($(grep -m1 -o 'synchronized.*' "$LOGS/our-pr-enrp.log"))"
else
	fail "interop: registrard and rspregistrar peer over ENRP/SCTP"
	grep -i "enrp" "$LOGS/our-pr-enrp.log" | tail -n 15
fi
LOGNAME_=our-pe-enrp start our-pe asap-pe -r sctp:192.0.2.2:3863 -p AnypoolEnrp -T sctp \
	-L 192.0.2.11 -d
wait_until 30000 log_has our-pe-enrp "registered as PE" ||
	echo "  our asap-pe did not register at registrard"
# resolve_at LOG REGISTRAR POOL ADDR: asap-pu resolves POOL there and
# lists a PE at ADDR.
resolve_at() {
	ip netns exec our-pu timeout 10 asap-pu -r "$2" -p "$3" resolve \
		>"$LOGS/$1" 2>&1 && grep -q " $4:" "$LOGS/$1"
}
if wait_until 30000 resolve_at our-pu-enrp-1.log sctp:192.0.2.1:3863 AnypoolEnrp 192.0.2.11; then
	pass "interop: our PE registered at registrard is resolvable at rspregistrar: $(grep -m1 '^PE' "$LOGS/our-pu-enrp-1.log")"
else
	fail "interop: our PE registered at registrard is resolvable at rspregistrar"
	cat "$LOGS/our-pu-enrp-1.log"
fi
LOGNAME_=rsp-pe-enrp start rsp-pe rspserver -echo -poolhandle=RspEnrp \
	-registrar=192.0.2.1:3863 -asapannounce=off "${RSPLOG[@]}"
if wait_until 40000 resolve_at our-pu-enrp-2.log 192.0.2.2:3863 RspEnrp 192.0.2.12; then
	pass "interop: RSPLIB's PE registered at rspregistrar is resolvable at registrard: $(grep -m1 '^PE' "$LOGS/our-pu-enrp-2.log")"
else
	fail "interop: RSPLIB's PE registered at rspregistrar is resolvable at registrard"
	cat "$LOGS/our-pu-enrp-2.log"
fi
grep -E "enrp|ENRP" "$LOGS/our-pr-enrp.log" | head -n 12
# d. registrard restarts: rspregistrar, synchronized by now, is its mentor
#    (RFC 5353 §3.2.2, §3.2.3: LIST and HANDLE_TABLE request/response).
stop our-pr
LOGNAME_=our-pr-enrp2 start our-pr registrard -d -v -f "$W/registrard-enrp.conf"
# (RSPLIB accepts a peer only when its PRESENCE names the association's own
# address and port: registrard's associations leave from the ENRP port.)
if wait_until 15000 log_has our-pr-enrp2 "enrp: synchronized by the mentor's table" &&
	wait_until 10000 resolve_at our-pu-enrp-3.log 192.0.2.2:3863 RspEnrp 192.0.2.12; then
	pass "interop: restarted registrard downloaded rspregistrar's handle table over SCTP ($(grep -m1 -o 'synchronized.*' "$LOGS/our-pr-enrp2.log"))"
else
	fail "interop: restarted registrard downloaded rspregistrar's handle table over SCTP"
	grep -i "enrp" "$LOGS/our-pr-enrp2.log" | grep -v "^control" | head -n 10
fi
stop rsp-pe
stop our-pe
stop our-pr
stop rsp-pr
if log_has our-pr-enrp "Sanitizer\|runtime error" ||
	log_has our-pr-enrp2 "Sanitizer\|runtime error"; then
	fail "registrard in the ENRP interop run: sanitizer report"
fi

# ---- 4. takeover: ENDPOINT_KEEP_ALIVE with the home flag over SCTP
echo "== takeover: kill -9 registrard A; B becomes the home of RSPLIB's PE"
for n in our-pr our-pr2; do
	other=${ADDR[our-pr]}
	[ "$n" = our-pr ] && other=${ADDR[our-pr2]}
	cat >"$W/$n-take.conf" <<EOF
listen on ${ADDR[$n]} transport { tcp sctp }
control socket "$W/$n-take.sock"
asap {
	keepalive-interval 1s
	keepalive-timeout 2s
}
enrp {
	listen on ${ADDR[$n]} transport sctp
	peer $other
	heartbeat-cycle 300ms
	max-time-last-heard 1s
	max-time-no-response 700ms
	mentor-discovery 1500ms
	takeover-expiry 2s
}
EOF
	LOGNAME_=$n-take start "$n" registrard -d -v -f "$W/$n-take.conf"
done
ctl_json() { # registrar-ns command...: its control socket's answer, one line
	anypoolctl -s "$W/$1-take.sock" --json "${@:2}" 2>/dev/null | tr -d ' \n'
}
pes_at() { # registrar-ns pool home-id: it lists such a PE
	ctl_json "$1" show pes | grep -q "\"pool\":\"$2\"[^}]*\"home\":\"$3\""
}
sid() { ctl_json "$1" show summary | sed -n 's/.*"server_id":"\(0x[0-9a-f]*\)".*/\1/p'; }
stat_at() { ctl_json "$1" show stats | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }
if wait_until 30000 log_has our-pr-take "enrp: synchronized" &&
	wait_until 30000 log_has our-pr2-take "enrp: synchronized" &&
	wait_until 30000 log_has our-pr2-take "enrp: new peer"; then
	pass "takeover: registrards A and B peer over ENRP/SCTP"
else
	fail "takeover: registrards A and B peer over ENRP/SCTP"
fi
idA=$(sid our-pr) idB=$(sid our-pr2)
LOGNAME_=rsp-pe-take start rsp-pe rspserver -echo -poolhandle=RspTake \
	-registrar=192.0.2.2:3863 -asapannounce=off -loglevel=3 -logcolor=off
if wait_until 40000 log_has our-pr-take "registered from sctp 192.0.2.12" &&
	wait_until 20000 pes_at our-pr2 RspTake "$idA"; then
	pass "takeover: rspserver registered at A ($idA), known at B ($idB)"
else
	fail "takeover: rspserver registered at A ($idA), known at B ($idB)"
fi
kill -KILL "${PID[our-pr]}" 2>/dev/null
PID[our-pr]=
if wait_until 30000 log_has our-pr2-take "home change: ENDPOINT_KEEP_ALIVE with H=1 to 1 PE(s) at sctp 192.0.2.12"; then
	pass "takeover: B took A's PE over and sent it ENDPOINT_KEEP_ALIVE with H=1 ($(grep -m1 -o 'took over.*' "$LOGS/our-pr2-take.log"))"
else
	fail "takeover: B sent ENDPOINT_KEEP_ALIVE with H=1 to the PE"
	grep -i "enrp\|keep" "$LOGS/our-pr2-take.log" | tail -n 15
fi
# The PE answers and re-registers at B over B's association: B is its home.
if wait_until 30000 log_has our-pr2-take "PE RspTake/0x[0-9a-f]* re-registered from sctp 192.0.2.12" &&
	pes_at our-pr2 RspTake "$idB"; then
	pass "takeover: rspserver adopted B as its home and re-registered there"
else
	fail "takeover: rspserver adopted B as its home and re-registered there"
	tail -n 20 "$LOGS/rsp-pe-take.log"
fi
# Kept alive over that association: 4 more keep-alives (about 4 s, longer
# than keepalive-timeout) and none went unanswered.
ka0=$(stat_at our-pr2 keepalives_sent)
ka_more() { [ "$(stat_at our-pr2 keepalives_sent)" -ge $((${ka0:-0} + 4)) ]; }
if wait_until 30000 ka_more && [ "$(stat_at our-pr2 keepalive_timeouts)" = 0 ] &&
	pes_at our-pr2 RspTake "$idB"; then
	pass "takeover: B keeps the PE alive (keep-alives acknowledged)"
else
	fail "takeover: B keeps the PE alive (keep-alives acknowledged)"
fi
stop rsp-pe
stop our-pr2
if log_has our-pr2-take "Sanitizer\|runtime error"; then
	fail "registrard in the takeover run: sanitizer report"
fi

# ---- 5. peer discovery by multicast PRESENCE with RSPLIB
echo "== multicast: registrard and rspregistrar find each other on 239.0.0.51:9901"
cat >"$W/registrard-mc.conf" <<EOF
listen on 192.0.2.2 transport { tcp sctp }
control socket "$W/registrard-mc.sock"
enrp {
	listen on 192.0.2.2 transport sctp
	multicast on
	group 239.0.0.51 port 9901
}
EOF
LOGNAME_=rsp-pr-mc start rsp-pr rspregistrar -asap=192.0.2.1:3863 \
	-enrp=192.0.2.1:9901 "${PRARGS[@]}" "${RSPLOG[@]}"
LOGNAME_=our-pr-mc start our-pr registrard -d -v -f "$W/registrard-mc.conf"
# Neither has a peer configured: whichever hears the other's multicast
# PRESENCE first connects (RSPLIB usually: registrard multicasts at once).
if wait_until 30000 log_has our-pr-mc "enrp: \(new \)\?peer 0x[0-9a-f]* 192.0.2.1:9901\( discovered by multicast\)\?$" &&
	wait_until 30000 log_has our-pr-mc "enrp: synchronized"; then
	pass "multicast: registrard and rspregistrar, no peers configured, peered by multicast PRESENCE ($(grep -m1 -o 'peer 0x.*' "$LOGS/our-pr-mc.log"))"
else
	fail "multicast: registrard and rspregistrar, no peers configured, peered by multicast PRESENCE"
	grep -i "enrp" "$LOGS/our-pr-mc.log" | tail -n 10
fi
LOGNAME_=rsp-pe-mc start rsp-pe rspserver -echo -poolhandle=RspMc \
	-registrar=192.0.2.1:3863 -asapannounce=off "${RSPLOG[@]}"
if wait_until 40000 resolve_at our-pu-mc.log 192.0.2.2:3863 RspMc 192.0.2.12; then
	pass "multicast: RSPLIB's PE registered at rspregistrar is resolvable at registrard"
else
	fail "multicast: RSPLIB's PE registered at rspregistrar is resolvable at registrard"
	cat "$LOGS/our-pu-mc.log"
fi
stop rsp-pe
stop our-pr
stop rsp-pr
if log_has our-pr-mc "Sanitizer\|runtime error"; then
	fail "registrard in the multicast run: sanitizer report"
fi

finish
