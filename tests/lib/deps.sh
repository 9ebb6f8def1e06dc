# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/run-all and deploy/lab: install the Debian packages the
# project needs when they are missing.  Needs root for apt-get.

# What the build needs (configure names the package of anything missing).
ANYPOOL_BUILD_PACKAGES="autoconf automake libtool pkg-config make gcc bison flex
 libmnl-dev libsctp-dev libssl-dev libcmocka-dev libjansson-dev libpcap-dev
 libmicrohttpd-dev"

# Only the tests need these: the fuzzer (clang, libFuzzer) and the wire's
# outside judge (tshark).  deploy/lab does without them.
ANYPOOL_TEST_PACKAGES="clang libclang-rt-14-dev tshark"

# Host tools for the SCTP VM of ../shared/sctp-vm (tests/sctp/run.sh
# installs them only when the kernel has no SCTP and the VM is used).
ANYPOOL_VM_PACKAGES="qemu-system-x86 debootstrap e2fsprogs cpio xz-utils
 debian-archive-keyring"

# Integration tests in network namespaces (tests/netns) and the withdraw
# benchmark: real FRR (zebra, bgpd, ospfd, vtysh), iproute2, procps (sysctl:
# forwarding in the namespaces), jq, systemd
# (systemd-analyze for tests/deploy/units.sh); python3
# for the lab tests (tests/lab: deploy/render).
ANYPOOL_NETNS_PACKAGES="frr iproute2 procps jq systemd python3"

# The multi-PoP lab (deploy/lab, deploy/render, tests/lab): the inventory
# renderer (Python 3.11 tomllib) and the timeline picture.
ANYPOOL_LAB_PACKAGES="python3 gnuplot-nox"

deps_missing() {
	local p out=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			out="$out $p"
	done
	echo "$out"
}

# ensure_packages PKG...: apt-get install whatever is not installed yet.
ensure_packages() {
	local missing
	missing=$(deps_missing "$@")
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing Debian packages:$missing" >&2
		echo "run as root (sudo) so they can be installed, or: apt-get install$missing" >&2
		return 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; answer no, quietly.
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		debconf-set-selections 2>/dev/null || true
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	missing=$(deps_missing "$@")
	if [ -n "$missing" ]; then
		echo "could not install:$missing" >&2
		return 1
	fi
}

# ensure_promtool: print the path of a promtool (Prometheus' rule checker),
# for tests/deploy/alerts.sh.  Taken from the Debian package "prometheus"
# without installing it (that would start a Prometheus server): the .deb is
# downloaded once and only usr/bin/promtool extracted, into
# /var/cache/anypool/promtool.
ensure_promtool() {
	local dir=/var/cache/anypool/promtool tmp
	if command -v promtool >/dev/null 2>&1; then command -v promtool; return 0; fi
	if [ ! -x "$dir/usr/bin/promtool" ]; then
		mkdir -p "$dir" || return 1
		tmp=$(mktemp -d "$dir/dl.XXXXXX") || return 1
		chmod 755 "$tmp"
		(cd "$tmp" && { apt-get download prometheus >/dev/null 2>&1 ||
		    { apt-get update -qq && apt-get download prometheus >/dev/null 2>&1; }; } &&
		    dpkg-deb --fsys-tarfile prometheus_*.deb |
		    tar -x -C "$dir" ./usr/bin/promtool) || { rm -rf "$tmp"; return 1; }
		rm -rf "$tmp"
	fi
	echo "$dir/usr/bin/promtool"
}
