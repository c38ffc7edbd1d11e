#!/usr/bin/env bash
# The release build is what users run: this runs the AWS path and the crash test with it.
#   scripts/release-checks.sh [path/to/release/landlord]   (default .build/release/landlord)
# 1. examples/aws/e2e.sh against moto_server with the release binary, and
#    examples/onboarding/e2e.sh (its own moto, localstripe and PostgreSQL 15 on
#    ONBOARDING_MOTO_PORT 5125, ONBOARDING_STRIPE_PORT 8425, ONBOARDING_PG_PORT 5435);
# 2. the crash test (scripts/crash-test.sh, fixed seed, printed) with the release binary;
# 3. the AWS provider and S3 state suites against code compiled -O, against moto_server, and the
#    scenario tests, in one build of their own (RELEASE_CHECKS_SCRATCH, default .build-release-tests): -O with -enable-testing
#    and AddressSanitizer (RELEASE_CHECKS_SANITIZER=address, the default; `none` builds -O alone).
#    One build serves both checks: the optimiser is what turned a freed async frame into a
#    release-only crash (Sources/ProviderAPI/Keyed.swift), so memory errors are looked for in
#    optimised code; only the three test targets are compiled (LANDLORD_TEST_TARGETS), and
#    their own code -Onone (LANDLORD_TESTS_ONONE: the suites are not what is being optimised).
#    The scenario tests' docs checks (DocsTests) run in the debug build: they need landlord-server,
#    which this build leaves out.
# Steps 1 and 2 run beside step 3's build, and step 3's suites beside one another.
#   scripts/release-checks.sh --build-only   only step 3's build (no moto, no release binary); a
#    later run then finds it done.
# Starts moto_server on MOTO_PORT (default 5124), MOTO_S3_PORT (5128) and MOTO_S3B_PORT (5129) and stops them; prints
# each step's seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer="${RELEASE_CHECKS_SANITIZER:-address}"
case "$sanitizer" in address|none) ;; *) echo "error: RELEASE_CHECKS_SANITIZER=$sanitizer: use address or none" >&2; exit 2 ;; esac
# -gnone: no debug info in this test-only build (a sanitizer's report still names the functions):
# it is a large share of an optimised build's time and of the link.
flags=(-c release -Xswiftc -enable-testing -Xswiftc -gnone)
if [[ "$sanitizer" != none ]]; then flags+=(-Xswiftc "-sanitize=$sanitizer"); fi
# Every swift build and swift test of this build sees the same manifest settings (or it
# rebuilds): the three test targets only, no service, the suites' own code -Onone (Package.swift).
export LANDLORD_WITHOUT_SERVICE=1 LANDLORD_TEST_TARGETS=AWSProviderTests,S3StateTests,ScenarioTests LANDLORD_TESTS_ONONE=1
# Its own scratch directory by default, so it never replaces a developer's .build/release. CI
# passes .build, where scripts/install-landlord.sh has just built the release binary: the C targets
# (BoringSSL above all) compile with the same commands in both -c release builds (the flags above
# are the Swift compiler's), so this build finds them done. Measured: 275 s against 351 s in a
# scratch directory of its own (docs/performance.md, CI).
scratch="${RELEASE_CHECKS_SCRATCH:-.build-release-tests}"
build_tests() { swift build "${flags[@]}" --build-tests --scratch-path "$scratch"; }
if [[ "${1:-}" == --build-only ]]; then
    build_tests
    exit 0
fi
bin="$(realpath "${1:-${LANDLORD_RELEASE_BIN:-.build/release/landlord}}")"
[[ -x "$bin" ]] || { echo "error: no release binary at $bin; run swift build -c release (or scripts/install-landlord.sh) first" >&2; exit 1; }
command -v moto_server >/dev/null || { echo "error: moto_server not found: pip install 'moto[server]==5.2.1'" >&2; exit 1; }

export MOTO_PORT="${MOTO_PORT:-5124}"
# The S3 state suites get two motos of their own (MOTO_S3_PORT, default 5128, and MOTO_S3B_PORT,
# 5129: scripts/test.sh's are 5123, 5126 and 5127), beside the AWS provider's: a test that uses
# moto holds it alone, so each moto is one queue. The longest S3 tests (ShardTests,
# S3SnapshotTests) wait in one, the rest in the other: in one queue they took 100 s, the
# critical path of these checks.
s3_port="${MOTO_S3_PORT:-5128}"
s3b_port="${MOTO_S3B_PORT:-5129}"
s3_moto=(env MOTO_PORT="$s3_port" MOTO_STATE_DIR="${TMPDIR:-/tmp}/landlord-moto-$s3_port")
s3b_moto=(env MOTO_PORT="$s3b_port" MOTO_STATE_DIR="${TMPDIR:-/tmp}/landlord-moto-$s3b_port")
source scripts/lib/sides.sh
# The three motos stop at once: each takes a few seconds to exit.
trap 'stop_sides; scripts/moto.sh stop & "${s3_moto[@]}" scripts/moto.sh stop & "${s3b_moto[@]}" scripts/moto.sh stop & wait' EXIT
starts=()
scripts/moto.sh start & starts+=($!)
"${s3_moto[@]}" scripts/moto.sh start & starts+=($!)
"${s3b_moto[@]}" scripts/moto.sh start & starts+=($!)
for pid in "${starts[@]}"; do wait "$pid"; done
export AWS_ENDPOINT_URL="http://127.0.0.1:${MOTO_PORT}" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

# 1 and 2 run beside step 3's build: they mostly wait on moto, localstripe, PostgreSQL and the
# processes the crash test kills, while the build keeps both cores busy. Each one's output is
# printed whole when it ends, with its seconds.
t0=$SECONDS
side "examples/aws/e2e.sh with $bin" examples/aws/e2e.sh "$bin"
side "examples/onboarding/e2e.sh with $bin" \
    env MOTO_PORT="${ONBOARDING_MOTO_PORT:-5125}" LANDLORD_STRIPE_PORT="${ONBOARDING_STRIPE_PORT:-8425}" \
    LANDLORD_PG_PORT="${ONBOARDING_PG_PORT:-5435}" examples/onboarding/e2e.sh "$bin"
side "the crash test with $bin" \
    env LANDLORD_BIN="$bin" CRASH_SEED="${CRASH_SEED:-20261201}" scripts/crash-test.sh "${CRASH_ROUNDS:-6}"
echo "== release check: the AWS provider, S3 state and scenario suites built ${flags[*]}"
build_tests   # a few seconds when --build-only has run
t1=$SECONDS
wait_sides
t2=$SECONDS

# Leak reports are off: libcurl and Foundation keep a few allocations alive at exit by design.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
# The three suites side by side: the AWS provider's and the S3 state's mostly wait on their motos,
# the scenario tests on their rollouts' health checks and bake times (alone, they kept one core
# busy of two for their 63 s). Two run the test binary itself (what `swift test` runs): two
# `swift test` started at once race for the build database. The rollout tests' health endpoint
# (one Python process) answered a wave's 189 checks too late for a 2 s limit beside the motos
# under load: they allow 5 s (SafeRolloutTests).
test_bin="$(swift build "${flags[@]}" --scratch-path "$scratch" --show-bin-path)/LandlordPackageTests.xctest"
long_s3='S3StateTests\.(ShardTests|S3SnapshotTests)'
side "the S3 state suites -O but the longest two, against the moto on port $s3_port" \
    env AWS_ENDPOINT_URL="http://127.0.0.1:$s3_port" "$test_bin" --testing-library swift-testing --filter S3StateTests --skip "$long_s3"
side "the S3 state suites ShardTests and S3SnapshotTests -O, against the moto on port $s3b_port" \
    env AWS_ENDPOINT_URL="http://127.0.0.1:$s3b_port" "$test_bin" --testing-library swift-testing --filter "$long_s3"
side "the scenario tests -O ($sanitizer)" "$test_bin" --testing-library swift-testing --filter ScenarioTests --skip DocsTests
swift test "${flags[@]}" --skip-build --scratch-path "$scratch" --disable-xctest --filter AWSProviderTests
wait_sides
t3=$SECONDS
echo "release checks: the -O build ($sanitizer) $((t1 - t0)) s, the e2e runs and the crash test beside it" \
    "(both done $((t2 - t0)) s in), the AWS provider, S3 state and scenario suites side by side $((t3 - t2)) s"
