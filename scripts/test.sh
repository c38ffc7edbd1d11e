#!/usr/bin/env bash
# Runs every test of the project. When moto_server is installed, starts it on 127.0.0.1 for the
# AWS provider's integration tests, and when localstripe is, starts it on 127.0.0.1 for the
# Stripe provider's (and stops both afterwards); without them those tests are reported as
# skipped, never as passed. Likewise PostgreSQL 15 (Debian's postgresql-15) for the postgres
# provider's tests: a throwaway server on 127.0.0.1:${LANDLORD_PG_PORT:-5433}.
set -euo pipefail
cd "$(dirname "$0")/.."

# Every temporary directory the tests make (fleets, state, crash-test runs) goes under one
# TMPDIR of this run, removed at the end, pass or fail.
export MOTO_STATE_DIR="${MOTO_STATE_DIR:-${TMPDIR:-/tmp}/landlord-moto-${MOTO_PORT:-5123}}"   # outside it
export LANDLORD_STRIPE_STATE_DIR="${LANDLORD_STRIPE_STATE_DIR:-${TMPDIR:-/tmp}/landlord-localstripe-${LANDLORD_STRIPE_PORT:-8420}}"
# Outside it too: as root the server runs as the postgres user, who cannot enter a 0700 mktemp dir.
export LANDLORD_PG_DIR="${LANDLORD_PG_DIR:-${TMPDIR:-/tmp}/landlord-pg-${LANDLORD_PG_PORT:-5433}}"
TMPDIR="$(mktemp -d "${TMPDIR:-/tmp}/landlord-tests.XXXXXX")"
export TMPDIR
# Work run beside other work: side NAME COMMAND... and wait_sides (scripts/lib/sides.sh).
source scripts/lib/sides.sh
cleanup() {
    stop_sides
    # The servers stop at once: each takes a few seconds to exit (one after another, 9 s).
    if [[ -n "${MOTO_STARTED:-}" ]]; then scripts/moto.sh stop & fi
    if [[ -n "${MOTO_S3_STARTED:-}" ]]; then MOTO_PORT="$MOTO_S3_PORT" MOTO_STATE_DIR="$MOTO_S3_DIR" scripts/moto.sh stop & fi
    if [[ -n "${MOTO_AWS_STARTED:-}" ]]; then MOTO_PORT="$MOTO_AWS_PORT" MOTO_STATE_DIR="$MOTO_AWS_DIR" scripts/moto.sh stop & fi
    if [[ -n "${STRIPE_STARTED:-}" ]]; then scripts/localstripe.sh stop & fi
    if [[ -n "${PG_STARTED:-}" ]]; then scripts/postgres.sh stop & fi
    wait
    rm -rf "$TMPDIR"
}
trap cleanup EXIT

if command -v moto_server >/dev/null 2>&1 && [ -x scripts/moto.sh ]; then
  export MOTO_PORT="${MOTO_PORT:-5123}"
  scripts/moto.sh start
  MOTO_STARTED=1
  export AWS_ENDPOINT_URL="http://127.0.0.1:${MOTO_PORT}"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
  # Two more moto_servers, for the S3 state suites and the AWS provider's, which run beside the
  # others: a test that uses moto holds it alone (MotoExclusive), so one moto is one queue of
  # every such test; three are three.
  MOTO_S3_PORT="${MOTO_S3_PORT:-$((MOTO_PORT + 3))}"
  MOTO_S3_DIR="${MOTO_S3_DIR:-${MOTO_STATE_DIR}-s3}"
  MOTO_PORT="$MOTO_S3_PORT" MOTO_STATE_DIR="$MOTO_S3_DIR" scripts/moto.sh start
  MOTO_S3_STARTED=1
  MOTO_AWS_PORT="${MOTO_AWS_PORT:-$((MOTO_PORT + 4))}"
  MOTO_AWS_DIR="${MOTO_AWS_DIR:-${MOTO_STATE_DIR}-aws}"
  MOTO_PORT="$MOTO_AWS_PORT" MOTO_STATE_DIR="$MOTO_AWS_DIR" scripts/moto.sh start
  MOTO_AWS_STARTED=1
else
  echo "note: moto_server not found: the AWS provider's moto tests will be skipped (pip install 'moto[server]==5.2.1')" >&2
fi

if python3 -c 'import localstripe' >/dev/null 2>&1 && [ -x scripts/localstripe.sh ]; then
  export LANDLORD_STRIPE_PORT="${LANDLORD_STRIPE_PORT:-8420}"
  scripts/localstripe.sh start
  STRIPE_STARTED=1
  export LANDLORD_STRIPE_URL="http://127.0.0.1:${LANDLORD_STRIPE_PORT}"
else
  echo "note: localstripe not found: the Stripe provider's localstripe tests will be skipped (pip install localstripe==1.15.10)" >&2
fi

if [ -x "${PG_BINDIR:-/usr/lib/postgresql/15/bin}/initdb" ] && [ -x scripts/postgres.sh ]; then
  export LANDLORD_PG_PORT="${LANDLORD_PG_PORT:-5433}"
  scripts/postgres.sh start
  PG_STARTED=1
else
  unset LANDLORD_PG_PORT
  echo "note: PostgreSQL 15 not found: the postgres provider's server tests will be skipped (apt-get install postgresql-15 libpq-dev)" >&2
fi

swift build --build-tests
# The test binary that `swift test` runs, run by this script itself: `swift test --skip-build`
# spends 3-7 s planning a build it then skips, once for each pass. Where it is not a program of
# its own (macOS's bundles), `swift test` runs it.
test_bin="$(swift build --show-bin-path)/LandlordPackageTests.xctest"
run_tests() {
    if [[ -f "$test_bin" && -x "$test_bin" ]]; then "$test_bin" --testing-library swift-testing "$@"
    else swift test --skip-build --disable-xctest "$@"; fi
}
# Two passes: the suites that run a whole service or kill loops against child processes
# (hundreds of applies at once) go second, after the short suites, so the short tests' time
# limits are not spent waiting for CPU they hold (the S3 and AWS suites, which wait on their
# motos, may still be finishing beside them). Each pass's closing line counts its tests.
HEAVY='ServiceConcurrencyTests|CrashTests|S3ServiceTests|CLIEventCrashTests'
if [[ -n "${MOTO_AWS_STARTED:-}" ]]; then
    # The S3 state suites and the AWS provider's each in a test process of its own against its
    # own moto, beside the rest; their output is printed when they end. They run the test binary
    # itself (what `swift test` runs): two `swift test` started at once race for .build/build.db.
    side "the S3 state suites (moto on port $MOTO_S3_PORT)" \
        env AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_S3_PORT" "$test_bin" --testing-library swift-testing --filter S3StateTests
    side "the AWS provider suites (moto on port $MOTO_AWS_PORT)" \
        env AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_AWS_PORT" "$test_bin" --testing-library swift-testing --filter AWSProviderTests
    run_tests --skip "$HEAVY|S3StateTests|AWSProviderTests"
else
    run_tests --skip "$HEAVY"
fi

# The checks after the short suites run beside the heavy ones and the S3 and AWS suites' last
# minutes (both mostly wait on their motos; measured, the cores were 0.6-0.8 busy there):
# Checkov and schemathesis are mostly Python waiting on a server or the disk, the fault test
# mostly moto. Each one's output is printed whole when it ends, and any failure fails the run.

# Checkov and the Rego policy read `plan --format terraform-json` as they read Terraform's plans
# (issue 25). Installs Checkov 3.3.30 and regopy 1.5.2 from PyPI into ~/.cache/landlord/ the
# first time (44 to 89 s on a 2-core machine, install and run; then about 20 s).
side checkov scripts/checkov.sh .build/debug/landlord

# The API against its own document (issue 26): schemathesis 4.32.5 (PyPI, in
# ~/.cache/landlord/) fuzzes a real landlord-server; no 5xx, no answer outside the spec.
side schemathesis scripts/schemathesis.sh .build/debug/landlord-server

run_tests --filter "$HEAVY"

# The reference plugin (examples/plugins) passes the provider protocol's conformance suite.
plugin_check_dir="$(mktemp -d)"
.build/debug/landlord -C "$plugin_check_dir" provider check -- python3 "$PWD/examples/plugins/plugins/localfs.py"

# Network faults (issue 31): 20 tenants with S3 state applied and destroyed through a fault
# proxy in front of moto on a fixed seed (scripts/fault-test.sh; docs/network.md). About 25 s on 2 busy cores.
if [[ -n "${MOTO_STARTED:-}" ]]; then
  scripts/fault-test.sh 20 31
else
  echo "note: moto_server not found: the network fault test (scripts/fault-test.sh) is skipped" >&2
fi

wait_sides
