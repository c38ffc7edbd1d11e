#!/usr/bin/env bash
# The scenario tests (and the landlord binary they spawn) built with a sanitizer.
#   scripts/sanitize.sh [address|thread]   (default address)
# AddressSanitizer found the release crash of the AWS path (a task-group tuple read from a
# freed async frame, see Sources/ProviderAPI/Keyed.swift); it runs here so memory errors fail
# CI instead of users. Leak reports are off: libcurl and Foundation keep a few allocations
# alive at exit by design. Builds under .build-SANITIZER-tests, the scenario tests' target only.
# CI runs AddressSanitizer in scripts/release-checks.sh's -O build instead (one build for the -O
# suites and the sanitizer); this debug build is for finding what that one reports.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-address}"
scratch=".build-${kind}-tests"
start=$SECONDS
LANDLORD_WITHOUT_SERVICE=1 LANDLORD_TEST_TARGETS=ScenarioTests swift build --build-tests -Xswiftc "-sanitize=$kind" --scratch-path "$scratch"
built=$SECONDS
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1}"
LANDLORD_WITHOUT_SERVICE=1 LANDLORD_TEST_TARGETS=ScenarioTests swift test --skip-build --scratch-path "$scratch" --disable-xctest --filter ScenarioTests --skip DocsTests
echo "sanitizer ($kind): build $((built - start)) s, scenario tests $((SECONDS - built)) s"
