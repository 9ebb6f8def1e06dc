#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Debian packages as an operator gets them (tests/run-all runs this):
# build them with dpkg-buildpackage from a fresh git clone of this tree
# (no sanitizers, dpkg-buildflags' hardening), lintian must find no error,
# then install them into a fresh Debian 12 root made with debootstrap
# (cached, like the SCTP VM image), and there:
#  - nothing is enabled or running after the install, the user anypool
#    exists, /etc/anypool holds the conffiles, libasap.pc works;
#  - "registrard -n" and "healthd -n" accept the shipped configuration
#    (the units' ExecStartPre lines);
#  - registrard and healthd start as their units' ExecStart lines say:
#    as their User/Group, with their capabilities (setpriv), LimitNOFILE
#    (prlimit) and RuntimeDirectory, chrooted into a network namespace of
#    this test (systemd does not run in a chroot); anypoolctl, run by an
#    operator in the group anypool, queries both; healthd as anypool puts
#    the shipped anycast address on lo, and SIGTERM takes it off;
#  - "apt-get purge" leaves nothing but the user anypool (kept, as
#    README.Debian says) and dpkg's and apt's own records.
# Exit 77 only when the Debian mirror of apt's configuration cannot be
# reached for the first debootstrap.  ~2-3 minutes once the root is cached
# (the package build is most of it); the first run adds a debootstrap.
#
# Environment: ANYPOOL_DEB_CACHE (the cached root, default
# /var/tmp/anypool-deb-root), ANYPOOL_DEB_MIRROR (default: the first
# bookworm source of /etc/apt/sources.list*), ANYPOOL_DEB_SRC=worktree
# (package the working tree's files, uncommitted ones too, instead of a
# clone of HEAD: for trying packaging changes), ANYPOOL_DEB_DEBS=DIR (take
# the .debs and .changes of an earlier dpkg-buildpackage in DIR: no build),
# JOBS, KEEP=1.
set -uo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../lib/common.sh
. "$SRC/tests/lib/common.sh"
# shellcheck source=../lib/deps.sh
. "$SRC/tests/lib/deps.sh"

SUITE=bookworm
CACHE=${ANYPOOL_DEB_CACHE:-/var/tmp/anypool-deb-root}
jobs=${JOBS:-$(nproc)}
say() { printf '[packaging %(%H:%M:%S)T] %s\n' -1 "$*"; }

need_root "debootstrap, chroot and network namespaces"
# shellcheck disable=SC2086  # package lists
ensure_packages $ANYPOOL_BUILD_PACKAGES git debhelper dpkg-dev lintian \
    debootstrap debian-archive-keyring wget iproute2 util-linux openssl </dev/null ||
	error "cannot install the packages the packaging test needs"

test_init packaging
NS=apdeb$$
ROOT=$T/root
MOUNTED=()
test_atexit() {
	local i
	for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p"; done
	ip netns del "$NS" 2>/dev/null
	for ((i = ${#MOUNTED[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTED[i]}" 2>/dev/null || umount -l "${MOUNTED[i]}"
	done
	if [ "$nfail" -gt 0 ]; then
		for f in "$T"/build.log "$T"/apt.log; do
			[ -f "$f" ] && { echo "---- $f"; tail -25 "$f"; }
		done
	fi
	# Never remove a root that still has something mounted below it.
	if [ -d "$ROOT" ] && ! grep -q " $ROOT/" /proc/mounts; then
		rm -rf --one-file-system "$ROOT"
	fi
}
t0=$(date +%s)
took() { echo "$(($(date +%s) - ${1:-$t0})) s"; }

# ---- 1. build from a fresh clone
mkdir -p "$T/build"
if [ -n "${ANYPOOL_DEB_DEBS:-}" ]; then
	say "taking the packages of $ANYPOOL_DEB_DEBS (ANYPOOL_DEB_DEBS): no build"
	cp "$ANYPOOL_DEB_DEBS"/*.deb "$ANYPOOL_DEB_DEBS"/*.changes "$ANYPOOL_DEB_DEBS"/*.buildinfo \
	    "$T/build/" || error "no packages in $ANYPOOL_DEB_DEBS"
else
	if [ "${ANYPOOL_DEB_SRC:-clone}" = worktree ]; then
		say "packaging the working tree (ANYPOOL_DEB_SRC=worktree)"
		mkdir -p "$T/build/anypool"
		(cd "$SRC" && git ls-files -co --exclude-standard -z |
		    grep -zv '^build' | xargs -0 cp --parents -t "$T/build/anypool") ||
			error "cannot copy the working tree"
	else
		[ -d "$SRC/.git" ] || error "$SRC is not a git clone"
		git clone -q "$SRC" "$T/build/anypool" || error "git clone $SRC"
		say "packaging $(git -C "$T/build/anypool" log -1 --format='%h %s' | cut -c1-70)"
	fi
	[ -f "$T/build/anypool/debian/control" ] || error "no debian/ in the clone (not committed?)"
	t=$(date +%s)
	if (cd "$T/build/anypool" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=$jobs" \
	    timeout 900 dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1 </dev/null; then
		pass "dpkg-buildpackage -us -uc -b from a fresh clone ($(took "$t"))"
	else
		fail "dpkg-buildpackage (see the end of build.log below)"
		exit 1
	fi
	grep -q -- '-fstack-protector-strong' "$T/build.log" &&
	    ! grep -q -- '-fsanitize' "$T/build.log"
	check "built with dpkg-buildflags' hardening, without sanitizers" test $? -eq 0
	if grep -q 'dpkg-gensymbols: warning' "$T/build.log"; then
		fail "dpkg-gensymbols: libasap's exports differ from debian/libasap0.symbols"
		grep -A20 'dpkg-gensymbols: warning' "$T/build.log" | head -30
	else
		pass "dpkg-gensymbols: libasap0's symbols match debian/libasap0.symbols"
	fi
fi
debs=()
for p in anypool libasap0 libasap-dev; do
	f=$(ls "$T/build/${p}"_*.deb 2>/dev/null | head -1)
	[ -n "$f" ] && debs+=("$f") || fail "no $p package built"
done
[ ${#debs[@]} -eq 3 ] || exit 1
t=$(date +%s)
lintian --tag-display-limit 0 "$T"/build/anypool_*.changes >"$T/lintian.log" 2>&1
if grep -q '^E:' "$T/lintian.log"; then
	fail "lintian found errors:"; grep '^E:' "$T/lintian.log"
else
	pass "lintian: no error ($(grep -c '^W:' "$T/lintian.log") warnings; $(took "$t"))"
fi
grep '^W:' "$T/lintian.log" | sed 's/^/    /'

# ---- 2. the cached Debian 12 root
# apt_uri SUITE: the first http(s) URI of an enabled deb source for SUITE
# in apt's configuration (one-line .list or deb822 .sources).
apt_uri() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
	    /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		case $f in
		*.sources) awk -v want="$1" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && en != "no") {
					n = split(suites, s, " ")
					for (i = 1; i <= n; i++) if (s[i] == want) {
						split(uris, u, " "); print u[1]; exit
					}
				}
				types = uris = suites = en = ""
			}
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{ k = tolower($1); sub(/:$/, "", k); v = $0; sub(/^[^:]*:[ \t]*/, "", v)
			  if (k == "types") types = v; else if (k == "uris") uris = v
			  else if (k == "suites") suites = v; else if (k == "enabled") en = tolower(v) }
			END { flush() }' "$f" ;;
		*) awk -v want="$1" '$1 == "deb" { i = 2
			if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) == want) { print $i; exit } }' "$f" ;;
		esac
	done | grep -E '^https?://' | head -n1
}

# What the packages need from Debian, installed into the cached root so
# that a cached run downloads nothing: the libraries of their Depends, and
# pkgconf for the check of libasap.pc.
BASE_PACKAGES="adduser libjansson4 libmicrohttpd12 libmnl0 libpcap0.8 libsctp1 libssl3 liburing2 pkgconf"
stamp="v1 $SUITE minbase $BASE_PACKAGES"
mkdir -p "$CACHE"
exec 8>"$CACHE/.lock"
flock 8 || error "cannot lock $CACHE/.lock"
if [ -f "$CACHE/.stamp" ] && [ "$(cat "$CACHE/.stamp")" = "$stamp" ] &&
    [ -x "$CACHE/base/usr/bin/apt-get" ]; then
	say "Debian 12 root cached in $CACHE/base"
else
	mirror=${ANYPOOL_DEB_MIRROR:-$(apt_uri "$SUITE")}
	security=$(apt_uri "$SUITE-security")
	if [ -z "$mirror" ]; then
		echo "**** SKIP: no Debian $SUITE mirror in /etc/apt/sources.list*: set ANYPOOL_DEB_MIRROR ****"
		exit 77
	fi
	if ! wget -q -T 20 -t 2 -O /dev/null "$mirror/dists/$SUITE/Release"; then
		echo "**** SKIP: the Debian mirror $mirror (from apt's configuration) cannot be reached:"
		echo "**** no Debian root for the packaging test; the packages were built and checked only ****"
		exit 77
	fi
	say "debootstrap $SUITE (minbase) from $mirror into $CACHE/base (first run: a few minutes)"
	rm -f "$CACHE/.stamp"
	rm -rf --one-file-system "$CACHE/base.tmp"
	mkdir -p "$CACHE/debs"
	t=$(date +%s)
	if ! debootstrap --variant=minbase --cache-dir="$CACHE/debs" "$SUITE" \
	    "$CACHE/base.tmp" "$mirror" >"$CACHE/debootstrap.log" 2>&1 </dev/null; then
		tail -20 "$CACHE/debootstrap.log"
		if grep -qiE "couldn't download|failed getting release|unable to fetch|connection (refused|timed out)" \
		    "$CACHE/debootstrap.log"; then
			echo "**** SKIP: debootstrap cannot download from $mirror ****"
			exit 77
		fi
		error "debootstrap failed (log: $CACHE/debootstrap.log)"
	fi
	{
		echo "deb $mirror $SUITE main"
		echo "deb $mirror $SUITE-updates main"
		[ -z "$security" ] || echo "deb $security $SUITE-security main"
	} >"$CACHE/base.tmp/etc/apt/sources.list"
	printf '%s\n' 'APT::Install-Recommends "false";' 'Acquire::Languages "none";' \
	    'Acquire::Check-Valid-Until "false";' >"$CACHE/base.tmp/etc/apt/apt.conf.d/90anypool-test"
	mount -t proc proc "$CACHE/base.tmp/proc" && MOUNTED+=("$CACHE/base.tmp/proc")
	# shellcheck disable=SC2086
	if ! { chroot "$CACHE/base.tmp" apt-get update -q &&
	    DEBIAN_FRONTEND=noninteractive chroot "$CACHE/base.tmp" \
		apt-get install -y -q $BASE_PACKAGES; } >"$CACHE/apt.log" 2>&1 </dev/null; then
		tail -20 "$CACHE/apt.log"
		error "apt-get in the new root failed (log: $CACHE/apt.log)"
	fi
	umount "$CACHE/base.tmp/proc" && MOUNTED=()
	chroot "$CACHE/base.tmp" apt-get clean
	rm -rf --one-file-system "$CACHE/base"
	mv "$CACHE/base.tmp" "$CACHE/base"
	echo "$stamp" >"$CACHE/.stamp"
	say "root ready ($(took "$t"), $(du -sh --one-file-system "$CACHE/base" | cut -f1))"
fi
t=$(date +%s)
cp -a "$CACHE/base" "$ROOT" || error "cannot copy the cached root"
exec 8>&-
# /proc and /dev (without /dev/pts: apt then says it cannot write its
# terminal log, which is harmless).
for m in proc dev; do
	case $m in
	proc) mount -t proc proc "$ROOT/proc" ;;
	dev) mount --bind /dev "$ROOT/dev" ;;
	esac && MOUNTED+=("$ROOT/$m") || error "cannot mount $m in the root"
done
in_root() { chroot "$ROOT" "$@"; }
# A fresh root without systemd: nothing may start services anyway.
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
# An operator, alice, who will be in the group anypool (made before the
# snapshot).
in_root useradd -m -U -s /bin/sh alice || error "useradd alice"
# What the root holds before the packages: a purge must return to it.
snapshot() {
	(cd "$ROOT" && find . -xdev \( -path ./proc -o -path ./dev -o -path ./tmp \
	    -o -path ./var/lib/dpkg -o -path ./var/lib/apt -o -path ./var/cache \
	    -o -path ./var/log \) -prune -o -print | LC_ALL=C sort)
}
snapshot >"$T/before.txt"
say "root copied ($(took "$t"))"

# ---- 3. install
mkdir -p "$ROOT/tmp/debs"
cp "${debs[@]}" "$ROOT/tmp/debs/"
t=$(date +%s)
if DEBIAN_FRONTEND=noninteractive in_root sh -c 'apt-get install -y -q /tmp/debs/*.deb' \
    >"$T/apt.log" 2>&1 </dev/null; then
	pass "apt-get install ./anypool_*.deb ./libasap0_*.deb ./libasap-dev_*.deb ($(took "$t"))"
else
	fail "apt-get install of the packages"; exit 1
fi
check "the system user anypool exists (and its group)" \
    sh -c "chroot '$ROOT' getent passwd anypool | grep -q ':/usr/sbin/nologin$' &&
	chroot '$ROOT' getent group anypool >/dev/null"
for c in registrard.conf healthd.conf; do
	check "/etc/anypool/$c is a conffile" \
	    grep -qx " /etc/anypool/$c [0-9a-f]*" <(in_root dpkg-query -W -f='${Conffiles}\n' anypool)
done
for u in registrard healthd anyprobe@; do
	check "$u.service installed in /lib/systemd/system" test -f "$ROOT/lib/systemd/system/$u.service"
done
check "no unit enabled by the install (no .wants link to an anypool unit)" \
    test -z "$(find "$ROOT/etc/systemd" -name '*.service' \( -lname '*registrard*' -o \
	-lname '*healthd*' -o -lname '*anyprobe*' \) 2>/dev/null)"
check "no daemon started by the install" \
    test -z "$(pgrep -f "^/usr/sbin/(registrard|healthd)" 2>/dev/null | while read -r p; do
	[ "$(readlink "/proc/$p/root")" = "$ROOT" ] && echo "$p"; done)"
for m in registrard.8 registrard.conf.5 healthd.8 healthd.conf.5 anypoolctl.8 anyprobe.1 \
    asap-pe.1 asap-pu.1 anypool-decode.1 libasap.3; do
	s=${m##*.}
	[ -f "$ROOT/usr/share/man/man$s/$m.gz" ] || fail "man page $m not installed"
done
pass "man pages installed"
pc=$(in_root pkg-config --cflags --libs libasap 2>&1 | xargs)
check "pkg-config libasap: '$pc', and the .so link reaches libasap.so.0" \
    sh -c "[ '$pc' = '-lasap' ] && [ -e '$ROOT/usr/lib/x86_64-linux-gnu/libasap.so' ] &&
	chroot '$ROOT' sh -c 'readlink -f /usr/lib/*/libasap.so' | grep -q 'libasap.so.0\.'"
in_root usermod -a -G anypool alice || fail "usermod alice"

# ---- 4. the shipped configuration, and the daemons as their units run them
# unit_key UNIT KEY: the value of KEY= in the installed unit (last one).
unit_key() { sed -n "s/^$2=//p" "$ROOT/lib/systemd/system/$1.service" | tail -1; }
for d in registrard healthd; do
	pre=$(unit_key "$d" ExecStartPre)
	# As systemd runs it: as the unit's user.
	# shellcheck disable=SC2086  # ExecStartPre's words
	if out=$(in_root setpriv --reuid="$(unit_key "$d" User)" --regid="$(unit_key "$d" Group)" \
	    --init-groups -- $pre 2>&1); then
		pass "$pre (as $(unit_key "$d" User)): the shipped configuration is accepted"
	else
		fail "$pre"; echo "$out" | head -20
	fi
done

# The secured part of the shipped registrard.conf, commented out there:
# uncommented, with key files made here as its comments ask (owned by
# anypool, mode 600), registrard -n accepts it too.
sec=$ROOT/tmp/sec
mkdir -p "$sec"
echo "pe-a $(openssl rand -hex 32)" >"$sec/psk.keys"
echo "reg-a $(openssl rand -hex 32)" >"$sec/enrp.keys"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj /CN=anycast.example -keyout "$sec/registrar.key" -out "$sec/registrar.crt" \
    >/dev/null 2>&1 && cp "$sec/registrar.crt" "$sec/ca.crt"
chmod 600 "$sec"/*
in_root chown -R anypool:anypool /tmp/sec
sed -e 's/^# \(secured\|listen\|tls\|authorize\|enrp\|}\)/\1/' -e 's/^#\t/\t/' \
    -e 's|/etc/anypool/|/tmp/sec/|g' "$ROOT/etc/anypool/registrard.conf" >"$sec/registrard.conf"
if grep -q '^secured on' "$sec/registrard.conf" && out=$(in_root setpriv --reuid=anypool \
    --regid=anypool --init-groups -- registrard -n -f /tmp/sec/registrard.conf 2>&1); then
	pass "registrard -n accepts the shipped secured statements, uncommented, with keys"
else
	fail "the secured statements of registrard.conf, uncommented:"; echo "$out" | head
fi

ip netns add "$NS" && ip -n "$NS" link set lo up || error "network namespace"
# unit_start UNIT: ExecStart in the root, in this test's namespace, with
# the unit's User, Group (and the user's groups, as systemd gives them),
# AmbientCapabilities, CapabilityBoundingSet, LimitNOFILE and NoNewPrivileges;
# RuntimeDirectory made first with its mode.  Sets $started.
unit_start() {
	local u=$1 user group caps bound nofile rtdir rtmode amb bset
	user=$(unit_key "$u" User) group=$(unit_key "$u" Group)
	caps=$(unit_key "$u" AmbientCapabilities)
	bound=$(unit_key "$u" CapabilityBoundingSet)
	nofile=$(unit_key "$u" LimitNOFILE)
	rtdir=$(unit_key "$u" RuntimeDirectory) rtmode=$(unit_key "$u" RuntimeDirectoryMode)
	[ -n "$user" ] && [ -n "$group" ] || { fail "$u.service has no User/Group"; return 1; }
	if [ -n "$rtdir" ]; then
		install -d -m "${rtmode:-0755}" "$ROOT/run/$rtdir" &&
		    in_root chown "$user:$group" "/run/$rtdir" || return 1
	fi
	amb=$(echo "$caps" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_/+/p' | paste -sd,)
	bset=-all
	[ -z "$bound" ] || bset="-all,$(echo "$bound" | tr 'A-Z ' 'a-z\n' | sed -n 's/^cap_/+/p' | paste -sd,)"
	# shellcheck disable=SC2046  # ExecStart's words
	ip netns exec "$NS" chroot "$ROOT" prlimit --nofile="${nofile:-1024}" -- \
	    setpriv --reuid="$user" --regid="$group" --init-groups \
	    ${amb:+--inh-caps="$amb" --ambient-caps="$amb"} --bounding-set="$bset" \
	    --no-new-privs -- $(unit_key "$u" ExecStart) >"$T/$u.log" 2>&1 &
	started=$!
	pids+=("$started")
}
ctl() { # ctl SOCKET ARGS...: anypoolctl run by the operator
	local s=$1; shift
	ip netns exec "$NS" chroot "$ROOT" setpriv --reuid=alice --regid=alice \
	    --init-groups -- anypoolctl -s "$s" "$@"
}
unit_start registrard; reg=$started
if wait_until 5000 test -S "$ROOT/run/anypool/registrard.sock"; then
	pass "registrard runs from its ExecStart line (pid $reg)"
else
	fail "registrard did not open its control socket"
fi
unit_start healthd; hd=$started
wait_until 5000 test -S "$ROOT/run/anypool/healthd.sock" ||
	fail "healthd did not open its control socket"
# is_anypool PID: its real and effective uid and gid are anypool's (in the
# root's passwd, not the host's).
auid=$(in_root id -u anypool) agid=$(in_root id -g anypool)
is_anypool() {
	grep -Eq "^Uid:[[:space:]]+${auid}[[:space:]]+${auid}[[:space:]]" "/proc/$1/status" &&
	    grep -Eq "^Gid:[[:space:]]+${agid}[[:space:]]+${agid}[[:space:]]" "/proc/$1/status"
}
check "registrard runs as anypool:anypool, LimitNOFILE $(unit_key registrard LimitNOFILE)" \
    sh -c "$(declare -f is_anypool); auid=$auid agid=$agid; is_anypool $reg &&
	grep -Eq '^Max open files +$(unit_key registrard LimitNOFILE) ' /proc/$reg/limits"
check "registrard has no capability" \
    grep -Eq '^CapEff:[[:space:]]+0+$' "/proc/$reg/status"
check "healthd runs as anypool:anypool with CAP_NET_ADMIN alone" \
    sh -c "$(declare -f is_anypool); auid=$auid agid=$agid; is_anypool $hd &&
	grep -Eq '^CapEff:[[:space:]]+0+1000$' /proc/$hd/status"
check "/run/anypool/registrard.sock: mode 660, group anypool" \
    test "$(in_root stat -c '%a %G' /run/anypool/registrard.sock)" = "660 anypool"
if out=$(ctl /run/anypool/registrard.sock --json show summary 2>&1) &&
    echo "$out" | grep -q '"synchronized": *true'; then
	pass "anypoolctl show summary (registrard) as a member of the group anypool"
else
	fail "anypoolctl show summary (registrard): $out"
fi
# A demo pool element registers through the loopback listener of the
# shipped configuration.
ip netns exec "$NS" chroot "$ROOT" setpriv --reuid=alice --regid=alice --init-groups -- \
    asap-pe -r 127.0.0.1 -p echo -L 127.0.0.1:7001 >"$T/asap-pe.log" 2>&1 &
pids+=($!)
pe_listed() { ctl /run/anypool/registrard.sock show pes 2>/dev/null | grep -q 7001; }
if wait_until 5000 pe_listed; then
	pass "asap-pe registered: anypoolctl show pes lists it"
else
	fail "asap-pe's PE not in anypoolctl show pes"
fi
prefix=$(sed -n 's/^[[:space:]]*prefix \([0-9.]*\)\/32.*/\1/p' "$ROOT/etc/anypool/healthd.conf" | head -1)
if wait_until 10000 sh -c "ip -n $NS -4 addr show dev lo | grep -q 'inet $prefix/32'"; then
	pass "healthd (as anypool) put the shipped address $prefix on lo"
else
	fail "healthd did not put $prefix on lo"
	ip -n "$NS" addr show dev lo
fi
if out=$(ctl /run/anypool/healthd.sock show services 2>&1) && echo "$out" | grep -q announced; then
	pass "anypoolctl -s /run/anypool/healthd.sock show services: announced"
else
	fail "anypoolctl show services (healthd): $out"
fi
kill -TERM "$hd"
if wait_until 10000 sh -c "! kill -0 $hd 2>/dev/null"; then
	check "SIGTERM: healthd withdrew $prefix from lo" \
	    sh -c "! ip -n $NS -4 addr show dev lo | grep -q 'inet $prefix/'"
else
	fail "healthd did not stop on SIGTERM"
fi
kill -TERM "$reg"
wait_until 10000 sh -c "! kill -0 $reg 2>/dev/null" || fail "registrard did not stop on SIGTERM"
for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p"; done
wait 2>/dev/null

# ---- 5. purge
t=$(date +%s)
if DEBIAN_FRONTEND=noninteractive in_root apt-get purge -y -q anypool libasap0 libasap-dev \
    >>"$T/apt.log" 2>&1 </dev/null; then
	pass "apt-get purge anypool libasap0 libasap-dev ($(took "$t"))"
else
	fail "apt-get purge"
fi
check "nothing left under /etc/anypool" test ! -e "$ROOT/etc/anypool"
check "the user anypool is kept (README.Debian)" sh -c "chroot '$ROOT' id -u anypool >/dev/null"
snapshot >"$T/after.txt"
# What Debian keeps: the user database (adduser's backups of it, and its
# lock file in /run).
left=$(LC_ALL=C comm -13 "$T/before.txt" "$T/after.txt" |
    grep -vxE '\./etc/(passwd|group|shadow|gshadow)-|\./run/adduser' || true)
gone=$(LC_ALL=C comm -23 "$T/before.txt" "$T/after.txt" || true)
if [ -z "$left" ] && [ -z "$gone" ]; then
	pass "after the purge the root holds what it held before (users aside)"
else
	fail "the purge left or took files:"
	[ -z "$left" ] || echo "$left" | sed 's/^/    left: /'
	[ -z "$gone" ] || echo "$gone" | sed 's/^/    gone: /'
fi

say "done in $(took)"
finish packaging
