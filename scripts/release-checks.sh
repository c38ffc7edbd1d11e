#!/usr/bin/env bash
# The release build is what users run: this runs the AWS path and the crash test with it.
#   scripts/release-checks.sh [path/to/release/landlord]   (default .build/release/landlord)
# 1. examples/aws/e2e.sh against moto_server with the release binary, then
#    examples/onboarding/e2e.sh (its own moto, localstripe and PostgreSQL 15 on
#    ONBOARDING_MOTO_PORT 5125, ONBOARDING_STRIPE_PORT 8425, ONBOARDING_PG_PORT 5435);
# 2. the crash test (scripts/crash-test.sh, fixed seed, printed) with the release binary;
# 3. the AWS provider and S3 state suites compiled -O (a build of their own under
#    .build-release-tests, with -enable-testing), against moto_server.
# Starts moto_server on MOTO_PORT (default 5124) and stops it; prints each step's seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-${LANDLORD_RELEASE_BIN:-.build/release/landlord}}")"
[[ -x "$bin" ]] || { echo "error: no release binary at $bin; run swift build -c release (or scripts/install-landlord.sh) first" >&2; exit 1; }
command -v moto_server >/dev/null || { echo "error: moto_server not found: pip install 'moto[server]==5.2.1'" >&2; exit 1; }

export MOTO_PORT="${MOTO_PORT:-5124}"
scripts/moto.sh start
trap 'scripts/moto.sh stop' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:${MOTO_PORT}" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

step() { echo "== release check: $1 ($(date +%s))"; }
t0=$SECONDS
step "examples/aws/e2e.sh with $bin"
examples/aws/e2e.sh "$bin"
ta=$SECONDS
step "examples/onboarding/e2e.sh with $bin"
MOTO_PORT="${ONBOARDING_MOTO_PORT:-5125}" LANDLORD_STRIPE_PORT="${ONBOARDING_STRIPE_PORT:-8425}" LANDLORD_PG_PORT="${ONBOARDING_PG_PORT:-5435}" \
    examples/onboarding/e2e.sh "$bin"
t1=$SECONDS
step "crash test with $bin"
LANDLORD_BIN="$bin" CRASH_SEED="${CRASH_SEED:-20261201}" scripts/crash-test.sh "${CRASH_ROUNDS:-6}"
t2=$SECONDS
step "AWS provider and S3 state suites built -O"
LANDLORD_WITHOUT_SERVICE=1 swift build -c release -Xswiftc -enable-testing --build-tests --scratch-path .build-release-tests
LANDLORD_WITHOUT_SERVICE=1 swift test -c release --skip-build --scratch-path .build-release-tests --disable-xctest --filter 'AWSProviderTests|S3StateTests'
t3=$SECONDS
echo "release checks: aws e2e $((ta - t0)) s, onboarding e2e $((t1 - ta)) s, crash test $((t2 - t1)) s, -O suites $((t3 - t2)) s"
