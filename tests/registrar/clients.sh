#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# registrard with the real clients on loopback: three asap-pe echo servers
# and asap-pu.  A PE killed with SIGKILL disappears; a pool user echoing
# through the pool fails over from a killed PE to the next one, which gets
# its cookie (HMAC-signed by the first); a PE stopped with SIGTERM
# deregisters; a SIGHUP reload keeps every association; the registrar
# restarted, the PEs register again with the same identifiers and the pool
# user resolves again; the control socket and the Prometheus endpoint say so.
# Every wait is for a condition, with a deadline.
set -u
# shellcheck source=../lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
test_init clients

port=$(free_port)
mport=$(free_port)
conf=$T/registrard.conf
sock=$T/registrard.sock
# A keep-alive timeout that an asap-pe stalled on a loaded machine (two
# sanitized tests on two cores) does not miss: no check here is about it.
cat >"$conf" <<EOF
listen on 127.0.0.1 port $port transport tcp
control socket "$sock"
metrics listen 127.0.0.1 port $mport
asap {
	keepalive-interval 1s
	keepalive-timeout 5s
}
EOF

start_registrar() {
	"$REGISTRARD" -d -f "$conf" >>"$T/registrard.log" 2>&1 &
	rpid=$!
	pids+=("$rpid")
	wait_until 10000 "$CTL" -s "$sock" show summary
}
ctl() { "$CTL" -s "$sock" --json "$@"; }
npes() { "$PU" -r "127.0.0.1:$port" -p echo resolve -n 100 2>/dev/null | grep -c '^PE '; }
npes_is() { [ "$(npes)" -eq "$1" ]; }
server_id() { ctl show summary | sed -n 's/.*"server_id": *"\([^"]*\)".*/\1/p'; }
# stat NAME: a counter of 'show stats'
stat() { ctl show stats | sed -n "s/.*\"$1\": *\([0-9]*\).*/\1/p" | head -1; }
stat_ge() { [ "$(stat "$1")" -ge "$2" ] 2>/dev/null; }

check "registrard starts" start_registrar
sid1=$(server_id)

declare -A pe_pid pe_id
for i in 1 2 3; do
	"$PE" -r "127.0.0.1:$port" -p echo -L "127.0.0.1:$(free_port)" -c s3cret \
		-i 2000 >"$T/pe$i.log" 2>&1 &
	pe_pid[$i]=$!
	pids+=("$!")
done
check "three asap-pe registered" wait_until 30000 npes_is 3
for i in 1 2 3; do
	pe_id[$i]=$(sed -n 's/.*registered as PE \([0-9a-f]*\).*/\1/p' "$T/pe$i.log" | head -1)
done
check "control socket lists the three PEs" \
	test "$(ctl show pes | grep -Ec '"pool": *"echo"')" -eq 3

# SIGKILL: the association is lost at once (and a frozen PE would miss its keep-alive).
kill -9 "${pe_pid[3]}"
t0=$(date +%s%N)
check "PE killed with SIGKILL is removed" wait_until 5000 npes_is 2
echo "   removed after $(( ($(date +%s%N) - t0) / 1000000 )) ms"

# A pool user echoing through the pool; kill the PE it uses.
"$PU" -r "127.0.0.1:$port" -p echo echo -c 60 -i 50 >"$T/pu.log" 2>&1 &
pupid=$!
pids+=("$pupid")
check "asap-pu connects to a PE" wait_until 10000 grep -q 'connected to PE' "$T/pu.log"
used=$(sed -n 's/connected to PE \([0-9a-f]*\)/\1/p' "$T/pu.log" | head -1)
victim="" other=""
for i in 1 2; do
	if [ "${pe_id[$i]}" = "$used" ]; then victim=$i; else other=$i; fi
done
check "the PE in use is one of ours ($used)" test -n "$victim"
wait_until 5000 grep -q "reply from PE $used" "$T/pu.log"
kill -9 "${pe_pid[$victim]}"
check "asap-pu fails over to the other PE" \
	wait_until 10000 grep -q "failover: PE $used -> PE ${pe_id[$other]}" "$T/pu.log"
check "the cookie was echoed to the new PE" grep -q 'cookie echoed' "$T/pu.log"
check "the new PE accepted the signed cookie" \
	wait_until 5000 grep -q 'resumed by cookie echo.*signature ok' "$T/pe$other.log"
check "asap-pu finishes every message" wait_until 20000 grep -q '^60 replies' "$T/pu.log"
grep -E 'failover:|replies' "$T/pu.log" | sed 's/^/   /'

# SIGTERM: an orderly PE deregisters.
"$PE" -r "127.0.0.1:$port" -p echo -L "127.0.0.1:$(free_port)" >"$T/pe4.log" 2>&1 &
pe4=$!
pids+=("$pe4")
check "a fourth PE registers" wait_until 30000 npes_is 2
kill -TERM "$pe4"
check "SIGTERM deregisters it" wait_until 5000 npes_is 1
# Its association closes when it exits, which may be after the pool user saw
# the PE gone: wait for that, so that the count below does not include it.
wait "$pe4" 2>/dev/null
check "registrard counted the deregistration" stat_ge deregistrations 1

# SIGHUP: reload without dropping associations.
before=$(ctl show associations | grep -o '"id":' | wc -l)
sed -i 's/keepalive-interval 1s/keepalive-interval 2s/' "$conf"
kill -HUP "$rpid"
check "reload counted" wait_until 5000 stat_ge config_reloads 1
after=$(ctl show associations | grep -o '"id":' | wc -l)
check "SIGHUP kept all $before associations" test "$after" -eq "$before"
check "... and the PE" npes_is 1
printf 'listen on nowhere\n' >"$T/bad.conf"
cp "$conf" "$T/good.conf"; cp "$T/bad.conf" "$conf"
kill -HUP "$rpid"
check "a bad reload is refused and counted" wait_until 5000 stat_ge config_reload_failures 1
check "... the running configuration goes on serving" npes_is 1
cp "$T/good.conf" "$conf"

# Metrics over HTTP.
metrics "$mport" >"$T/metrics.txt" 2>/dev/null
check "metrics: pes gauge" grep -q '^anypool_registrar_pes 1$' "$T/metrics.txt"
check "metrics: registrations counted" grep -Eq '^anypool_registrar_registrations_total [4-9]' "$T/metrics.txt"

# The registrar restarts: the PE registers again, same id, new home.
kill -TERM "$rpid"
wait "$rpid" 2>/dev/null
check "registrard stopped cleanly" bash -c "! grep -q Sanitizer '$T/registrard.log'"
check "registrard restarts" start_registrar
sid2=$(server_id)
check "the PE registers again after the restart" wait_until 30000 npes_is 1
check "with the same PE identifier" bash -c \
	"'$PU' -r 127.0.0.1:$port -p echo resolve | grep -q 'PE ${pe_id[$other]}'"
check "and the new registrar ($sid2, was $sid1) as its home" \
	bash -c "'$CTL' -s '$sock' --json show pes | grep -Eq '\"home\": *\"$sid2\"'"

finish clients
