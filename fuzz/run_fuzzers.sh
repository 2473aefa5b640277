#!/bin/sh
# Builds the libFuzzer targets (clang, AddressSanitizer + UndefinedBehaviorSanitizer) and
# runs each for a bounded time on the committed corpus. Any crash, sanitizer report, leak,
# timeout or allocation over the malloc limit fails; the reproducer is left in
# BUILD/artifacts/ and is to be added to fuzz/corpus/TARGET/ with the fix.
#   fuzz/run_fuzzers.sh [SECONDS_PER_TARGET] [TARGET...]   (default: 45, model image run)
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_JOBS (targets run at once,
# default 1).
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-45}
[ $# -gt 0 ] && shift
targets=${*:-model image run}
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-1}

mkdir -p "$build/artifacts"
if ! { cmake -S fuzz -B "$build" -DCMAKE_C_COMPILER=clang &&
  cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"; } >"$build/build.log" 2>&1; then
  tail -n 40 "$build/build.log" >&2
  echo "fuzz: build failed (clang and libclang-rt-14-dev installed?)" >&2
  exit 1
fi

run_one() { # target
  t=$1
  work="$build/corpus/$t"
  mkdir -p "$work"
  dict=""
  case $t in
    model | run) dict="-dict=fuzz/model.dict" ;;
    image) dict="-dict=fuzz/image.dict" ;;
  esac
  # New inputs go to the first directory (the build's); the committed corpus is read only.
  # shellcheck disable=SC2086
  "$build/fuzz_$t" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 \
    -malloc_limit_mb=512 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/$t-" $dict "$work" "fuzz/corpus/$t" \
    >"$build/fuzz_$t.log" 2>&1
}

report() { # target status
  t=$1
  case $2 in '' | *[!0-9]*) set -- "$1" 1 ;; esac # no status: count it as a failure
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build/fuzz_$t.log")
  if [ "$2" -ne 0 ]; then
    tail -n 60 "$build/fuzz_$t.log" >&2
    echo "fuzz_$t: FAILED after ${execs:-?} executions; reproducer in $build/artifacts/" >&2
    return 1
  fi
  cov=$(grep -o 'cov: [0-9]*' "$build/fuzz_$t.log" | tail -n 1)
  echo "fuzz_$t: ${execs:-?} executions in ${seconds}s, $cov, corpus $(ls "$build/corpus/$t" | wc -l) new + $(ls "fuzz/corpus/$t" | wc -l) committed, no crash"
}

failed=0
if [ "$jobs" -le 1 ]; then
  for t in $targets; do
    status=0
    run_one "$t" || status=$?
    report "$t" "$status" || failed=1
  done
else
  pids=""
  for t in $targets; do
    rm -f "$build/fuzz_$t.status"
    (
      status=0
      run_one "$t" || status=$?
      echo "$status" >"$build/fuzz_$t.status"
    ) &
    pids="$pids $!"
  done
  # shellcheck disable=SC2086
  wait $pids
  for t in $targets; do
    report "$t" "$(cat "$build/fuzz_$t.status" 2>/dev/null || echo 1)" || failed=1
  done
fi
exit $failed
