#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The SCTP end-to-end test (make check runs it from the build directory).
#
# Where the kernel has SCTP: tests/registrar/test_registrar with
# ANYPOOL_TEST_TRANSPORT=sctp, right here.  Otherwise, where the sctp-vm of
# ../shared/sctp-vm exists: build (or reuse) its cached image, stage the
# built binaries with the shared libraries the guest lacks (the ASan/UBSan
# runtimes among them: the test build is sanitized) and tests/sctp/guest.sh
# into a temporary directory, and run guest.sh in the VM with a time limit:
# the same end-to-end test over SCTP, then interoperation with RSPLIB
# (see guest.sh).  Neither: exit 77 (skipped) and say so.
#
# Environment: SCTP_VM_DIR (default $top_srcdir/../shared/sctp-vm),
# SCTP_VM_TIMEOUT (seconds for the whole VM run, default 600),
# SCTP_VM_CACHE (image cache, default /var/tmp/sctp-vm), ANYPOOL_SCTP_INTEROP
# (0 skips the RSPLIB part), KEEP=1 keeps the staging directory.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
build=$(pwd)
vmdir=${SCTP_VM_DIR:-$top_srcdir/../shared/sctp-vm}
vm_timeout=${SCTP_VM_TIMEOUT:-600}

# shellcheck source=../lib/common.sh
. "$here/../lib/common.sh"
say() { printf '[sctp] %s\n' "$*"; }

for f in registrar/registrard tests/registrar/test_registrar; do
	if [ ! -x "$build/$f" ]; then
		say "$build/$f not built: run me from the build directory"
		exit 99
	fi
done

# ---- native: the kernel has SCTP (test_registrar exits 77 when it has not)
ANYPOOL_TEST_TRANSPORT=sctp REGISTRARD="$build/registrar/registrard" \
	"$build/tests/registrar/test_registrar"
rc=$?
if [ "$rc" -ne 77 ]; then
	say "native SCTP end-to-end test: exit $rc"
	exit "$rc"
fi

# ---- in the VM
if [ ! -x "$vmdir/run.sh" ] || [ ! -x "$vmdir/build-image.sh" ]; then
	skip "SCTP: no kernel SCTP and no ../shared/sctp-vm"
fi
vmdir=$(cd "$vmdir" && pwd)
cache=${SCTP_VM_CACHE:-/var/tmp/sctp-vm}
t0=$(date +%s)

if [ "$(id -u)" -eq 0 ]; then
	# shellcheck source=../lib/deps.sh
	. "$top_srcdir/tests/lib/deps.sh"
	# shellcheck disable=SC2086  # a list of package names
	if ! ensure_packages $ANYPOOL_VM_PACKAGES </dev/null; then
		say "FAIL: cannot install the host packages for the VM"
		exit 99
	fi
	# ~75 s (plus downloads) the first time, 0.2 s once cached.
	if ! DEBIAN_FRONTEND=noninteractive "$vmdir/build-image.sh" </dev/null; then
		say "FAIL: could not build the sctp-vm image"
		exit 99
	fi
elif [ ! -f "$cache/rootfs.ext4" ]; then
	skip "SCTP: no kernel SCTP, and the sctp-vm image is not built (needs root)"
fi
t_image=$(date +%s)

stage=$(mktemp -d "${TMPDIR:-/tmp}/anypool-sctp.XXXXXX") || exit 99
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then
		say "kept $stage"
	else
		rm -rf "$stage"
	fi
}
trap cleanup EXIT
mkdir -p "$stage/bin" "$stage/lib"

# The real executables, not libtool's wrapper scripts.
stage_bin() { # name path...
	local name=$1 p
	shift
	for p in "$@"; do
		if [ -f "$p" ] && head -c 4 "$p" | grep -q ELF; then
			cp "$p" "$stage/bin/$name"
			return 0
		fi
	done
	say "FAIL: no built $name"
	exit 99
}
stage_bin registrard "$build/registrar/registrard"
stage_bin test_registrar "$build/tests/registrar/test_registrar"
stage_bin asap-pe "$build/client/.libs/asap-pe" "$build/client/asap-pe"
stage_bin asap-pu "$build/client/.libs/asap-pu" "$build/client/asap-pu"
stage_bin anypoolctl "$build/monitoring/.libs/anypoolctl" "$build/monitoring/anypoolctl"
cp -P "$build"/client/.libs/libasap.so* "$stage/lib/"
# Every shared library the binaries use except the C library itself:
# the guest has libc, libssl, libsctp, libmnl and libcmocka of the same
# Debian 12, but not libasan/libubsan (the test build is sanitized),
# libjansson or libmicrohttpd.  Same release, so copying is safe.
LD_LIBRARY_PATH="$stage/lib" ldd "$stage"/bin/* 2>/dev/null |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
	while read -r lib; do
		case ${lib##*/} in
		libc.so.* | libm.so.* | ld-linux* | libpthread.so.* | libdl.so.* | librt.so.* | libasap.so*) ;;
		*) cp -L "$lib" "$stage/lib/" ;;
		esac
	done
cp "$here/guest.sh" "$stage/guest.sh"
chmod 755 "$stage/guest.sh"
# What guest.sh sources, where it sits in the tree.
mkdir -p "$stage/tests/lib" "$stage/deploy/lib"
cp "$top_srcdir/tests/lib/common.sh" "$stage/tests/lib/"
cp "$top_srcdir/deploy/lib/wait.sh" "$stage/deploy/lib/"

nbin=$(find "$stage/bin" -type f | wc -l)
nlib=$(find "$stage/lib" -type f | wc -l)
say "image ready in $((t_image - t0)) s; staged $nbin binaries, $nlib libraries; booting the VM (limit ${vm_timeout} s)"
"$vmdir/run.sh" -t "$vm_timeout" -q \
	-e "ANYPOOL_SCTP_INTEROP=${ANYPOOL_SCTP_INTEROP:-1}" \
	-e "ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}" \
	-e "UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}" \
	"$stage" guest.sh
rc=$?
# The guest console (the guest script's output), kept out of the way of
# qemu's own messages above.
sed -e '/^SCTPVM-\(START\|EXIT\)/d' -e 's/\r$//' "$stage/sctp-vm-out/console.log" 2>/dev/null
for f in "$stage"/sctp-vm-out/logs/*; do
	[ -f "$f" ] || continue
	if [ "$rc" -ne 0 ]; then
		echo "---- guest log ${f##*/}"
		tail -n 40 "$f"
	fi
done
case $rc in
0) say "PASS: SCTP tests in the VM ($(($(date +%s) - t0)) s in all)" ;;
124) say "FAIL: the VM run hit its ${vm_timeout} s limit"; rc=1 ;;
125) say "FAIL: the VM stopped without a result"; rc=99 ;;
*) say "FAIL: exit $rc in the VM ($(($(date +%s) - t0)) s in all)" ;;
esac
exit "$rc"
