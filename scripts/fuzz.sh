#!/usr/bin/env bash
# The fuzzers and sanitizers (make fuzz): builds fuzz/ with clang, ASan and UBSan into
# build-fuzz/, runs the torch-free modules' unit tests under the sanitizers, replays every
# past crash (fuzz/regressions/<target>/), then runs each fuzzer for SECONDS from its seeds
# (fuzz/corpus/<target>/). Exit status 1 on any sanitizer report, uncaught exception,
# timeout or failed test; the input that did it is left in build-fuzz/artifacts/<target>/.
#
#   bash scripts/fuzz.sh [SECONDS per fuzzer, default 60] [target ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc)}
start=$(date +%s)

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ is missing (make deps installs clang and libclang-rt-14-dev)" >&2
  exit 1
fi
[[ -f $build/build.ninja ]] || cmake -S fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DDENSER_SANITIZED_TESTS=ON >/dev/null
cmake --build "$build" -j "$jobs"

echo "fuzz: unit tests of the torch-free modules under ASan + UBSan"
(cd "$build" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ./sanitized_unit_tests --gtest_brief=1)

targets=("$@")
if ((${#targets[@]} == 0)); then
  IFS=";" read -r -a targets <"$build/fuzzers.txt" || true
fi

for t in "${targets[@]}"; do
  if compgen -G "fuzz/regressions/$t/*" >/dev/null; then
    echo "fuzz: replaying fuzz/regressions/$t"
    "$build/fuzz_$t" fuzz/regressions/"$t"/* >"$build/regressions-$t.log" 2>&1 || {
      tail -40 "$build/regressions-$t.log"; echo "fuzz: a regression input of $t fails again" >&2; exit 1; }
  fi
done

run_one() {
  local t=$1 seconds=$2 build=$3
  local corpus=$build/corpus/$t artifacts=$build/artifacts/$t
  mkdir -p "$corpus" "$artifacts"
  cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
  if "$build/fuzz_$t" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$artifacts/" -print_final_stats=1 >"$build/fuzz-$t.log" 2>&1; then
    echo "fuzz: $t: $(grep -a -m1 "^stat::number_of_executed_units" "$build/fuzz-$t.log" | awk "{print \$2}") inputs in ${seconds} s, no failure"
  else
    grep -a -m1 -B2 -A30 -E "ERROR|uncaught|deadly|timeout" "$build/fuzz-$t.log" || tail -40 "$build/fuzz-$t.log"
    echo "fuzz: $t FAILED; the input is in $artifacts/ (replay: $build/fuzz_$t FILE; then add it to fuzz/regressions/$t/)" >&2
    return 1
  fi
}
export -f run_one
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$build"
echo "fuzz: ${#targets[@]} fuzzers passed in $(( $(date +%s) - start )) s"
