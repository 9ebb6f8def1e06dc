# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the benchmark scripts (POSIX sh).  bench_build DIR TARGET...
# builds the targets -O2 without sanitizers in DIR, from a fresh clone on a
# fresh machine as from a work tree: the Debian packages the build needs,
# plus BENCH_PACKAGES, installed when missing (as tests/run-all does; root
# for apt-get), autogen.sh run when the tree has no configure script yet,
# DIR configured when it has no Makefile (an existing one is kept as it
# is).  Needs SRC, the top of the source tree.
# shellcheck shell=sh
bench_build() {
	bb_dir=$1
	shift
	# shellcheck disable=SC2016,SC2086
	bash -c '. "$1/tests/lib/deps.sh" && shift &&
	    ensure_packages $ANYPOOL_BUILD_PACKAGES "$@"' bench_build "$SRC" \
	    ${BENCH_PACKAGES:-} >&2 || return 1
	if [ ! -x "$SRC/configure" ]; then
		(cd "$SRC" && ./autogen.sh >/dev/null 2>&1) || {
			echo "bench_build: $SRC/autogen.sh failed" >&2
			return 1
		}
	fi
	mkdir -p "$bb_dir" || return 1
	(cd "$bb_dir" && { [ -f Makefile ] ||
	    "$SRC/configure" -q CFLAGS="-O2 -g"; } &&
	    make -s -j"$(nproc)" "$@") || {
		echo "bench_build: building $* in $bb_dir failed" >&2
		return 1
	}
}
