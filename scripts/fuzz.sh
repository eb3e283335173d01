#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ with AddressSanitizer and runs each over its corpus.
#
#   scripts/fuzz.sh [SECONDS | -runs=N] [TARGET...]
#
# SECONDS (default 60) bounds each target's run in time, -runs=N in executions. TARGETs are the
# folder names under Tests/FuzzCorpora (json x-matrix dns-message well-known server-name config);
# all of them by default, one after another.
#
# The committed corpus Tests/FuzzCorpora/<target> is read but not grown: inputs that add coverage
# go to .build-fuzz/corpus/<target>, kept between runs. An input that breaks a target is saved in
# the committed folder as crash-<sha1> (or timeout-, oom-, leak-): fix the bug, then commit the
# input under a name that says what it found, so that `swift test` replays it.
#
# Fuzz/Dictionaries/<target>.dict, when present, gives libFuzzer the target's tokens.
#
# Environment: FUZZ_SCRATCH (default .build-fuzz), FUZZ_CONFIGURATION (debug or release; debug).
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${1:-60}
shift || true
if [[ $budget == -runs=* ]]; then
    limit=("$budget")
elif [[ $budget =~ ^[0-9]+$ ]]; then
    limit=("-max_total_time=$budget")
else
    echo "usage: scripts/fuzz.sh [SECONDS | -runs=N] [TARGET...]" >&2
    exit 64
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(json x-matrix dns-message well-known server-name config)
fi
scratch=${FUZZ_SCRATCH:-.build-fuzz}
configuration=${FUZZ_CONFIGURATION:-debug}

# SwiftPM's --sanitize=fuzzer makes libFuzzer supply main (it then leaves the executable's entry
# point alone) and instruments C code. It passes one -sanitize= per sanitizer to swiftc, whose
# driver keeps only the last, so Swift code would get ASan without coverage: the explicit
# -sanitize=fuzzer,address, appended after them, gives Swift code both.
build=(swift build --package-path Fuzz --scratch-path "$scratch" -c "$configuration"
    --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address)

echo "== building the fuzz targets ($configuration, ASan + libFuzzer) in $scratch"
started=$(date +%s)
# The linker warns once per ASan helper symbol; those lines say nothing about this build.
set +e
"${build[@]}" 2>&1 | grep --line-buffered -v "Cannot export local symbol"
build_status=${PIPESTATUS[0]}
set -e
if [ "$build_status" -ne 0 ]; then
    echo "build failed" >&2
    exit 1
fi
echo "== build took $(($(date +%s) - started)) s"
bin=$("${build[@]}" --show-bin-path)

summary=()
failed=0
for target in "${targets[@]}"; do
    seeds=Tests/FuzzCorpora/$target
    work=$scratch/corpus/$target
    log=$scratch/logs/$target.log
    if [ ! -d "$seeds" ]; then
        echo "no corpus folder $seeds" >&2
        exit 64
    fi
    mkdir -p "$work" "$(dirname "$log")"
    dictionary=()
    if [ -f "Fuzz/Dictionaries/$target.dict" ]; then dictionary=("-dict=Fuzz/Dictionaries/$target.dict"); fi
    echo "== fuzz-$target ${limit[*]} over $seeds (log: $log)"
    status=0
    # The Swift runtime's own backtracer would race libFuzzer's crash handler; libFuzzer reports.
    SWIFT_BACKTRACE=enable=no "$bin/fuzz-$target" "${limit[@]}" \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dictionary[@]}" \
        -artifact_prefix="$seeds/" "$work" "$seeds" >"$log" 2>&1 || status=$?
    executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if [ "$status" -ne 0 ]; then
        failed=1
        grep -E "^(==[0-9]+==ERROR|Fatal error|SUMMARY|artifact_prefix|Test unit written)" "$log" || tail -n 20 "$log"
    fi
    tail -n 12 "$log" | grep -E "^(#[0-9]+|Done)" || true
    summary+=("$(printf '%-12s executions: %-10s exit: %s' "$target" "${executed:-?}" "$status")")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
exit $failed
