#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Build the decoder's libFuzzer target with clang and run it for a bounded
# time (FUZZ_SECONDS, default 60) from the committed seed corpus plus seeds
# made from the sample messages and RSPLIB vectors.  A crash, leak, sanitizer
# report or failed invariant fails the run; the input is kept in OUT.
# Usage: tests/fuzz/run.sh [OUTDIR]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$top/tests/fuzz/out}
secs=${FUZZ_SECONDS:-60}
mkdir -p "$out/corpus" "$out/seeds" "$out/artifacts"
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz: $CC not found (apt-get install clang)" >&2; exit 1; }
libsrc="$top/lib/codec.c $top/lib/codec_put.c $top/lib/codec_names.c"
$CC -g -O1 -std=gnu17 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$top/lib" $libsrc "$top/tests/fuzz/fuzz_decode.c" -o "$out/fuzz_decode"
$CC -g -O1 -std=gnu17 -I"$top/lib" $libsrc "$top/tests/common/samples.c" \
	"$top/tests/common/hex.c" "$top/tests/fuzz/seeds.c" -o "$out/seeds-gen"
"$out/seeds-gen" "$out/seeds" "$top/tests/vectors/rsplib"
echo "fuzz: $(ls "$out/seeds" | wc -l) generated seeds, $(ls "$top/tests/fuzz/corpus" | wc -l) committed; running ${secs}s"
"$out/fuzz_decode" -max_total_time="$secs" -timeout=5 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$out/artifacts/" \
	"$out/corpus" "$top/tests/fuzz/corpus" "$out/seeds" 2>"$out/fuzz.log" || {
	rc=$?
	tail -60 "$out/fuzz.log" >&2
	echo "fuzz: FAILED (exit $rc); reproducer in $out/artifacts/" >&2
	exit 1
}
grep -E 'stat::number_of_executed_units|cov:' "$out/fuzz.log" | tail -2
echo "fuzz: passed"
