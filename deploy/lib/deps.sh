# SPDX-License-Identifier: BSD-2-Clause
# Sourced by deploy/lab (and, through tests/lib/deps.sh, by tests/run-all
# and the tests): the Debian packages the project needs, and
# ensure_packages, which installs the missing ones.  Needs root for apt-get.
# shellcheck shell=bash
# shellcheck disable=SC2034  # package lists used by the scripts sourcing this

# What the build needs (configure names the package of anything missing).
ANYPOOL_BUILD_PACKAGES="autoconf automake libtool pkg-config make gcc bison flex
 libmnl-dev libsctp-dev libssl-dev libcmocka-dev libjansson-dev libpcap-dev
 libmicrohttpd-dev liburing-dev"

# Network namespaces with real FRR (deploy/lab, the tests in tests/netns
# and the withdraw benchmark): FRR (zebra, bgpd, ospfd, vtysh), iproute2,
# procps (sysctl: forwarding in the namespaces), jq, systemd
# (systemd-analyze for tests/deploy/units.sh); python3 for deploy/render.
ANYPOOL_NETNS_PACKAGES="frr iproute2 procps jq systemd python3"

# The multi-PoP lab (deploy/lab, deploy/render, tests/lab): the inventory
# renderer (Python 3.11 tomllib), openssl(1) for the lab's CA, certificates
# and keys (render's [security] generate), and the timeline picture.
ANYPOOL_LAB_PACKAGES="python3 openssl gnuplot-nox"

# monitoring: the lab's own Prometheus and Alertmanager (Debian's, run as
# processes of the lab in its namespace "mon", never the system services;
# deploy/lib/monitoring.sh) and curl for their HTTP APIs.  Installing them
# also installs Debian's prometheus.service and prometheus-alertmanager.service
# (started by the package on a systemd host; the lab does not use them).
ANYPOOL_MONITORING_PACKAGES="prometheus prometheus-alertmanager curl"

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
