# SPDX-License-Identifier: BSD-2-Clause
# Sourced by tests/run-all and the tests that install what they need: the
# package lists and ensure_packages of deploy/lib/deps.sh (deploy/lab's),
# plus what only the tests need.  Needs root for apt-get.
# shellcheck shell=bash
# shellcheck disable=SC2034  # package lists used by the scripts sourcing this

# shellcheck source=../../deploy/lib/deps.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/deploy/lib/deps.sh"

# Only the tests need these: the fuzzer (clang, libFuzzer) and the wire's
# outside judge (tshark).  deploy/lab does without them.
ANYPOOL_TEST_PACKAGES="clang libclang-rt-14-dev tshark"

# Host tools for the SCTP VM of ../shared/sctp-vm (tests/sctp/run.sh
# installs them only when the kernel has no SCTP and the VM is used).
ANYPOOL_VM_PACKAGES="qemu-system-x86 debootstrap e2fsprogs cpio xz-utils
 debian-archive-keyring"

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
