#!/usr/bin/env bash
# Runs every test of the project. When moto_server is installed, starts it on 127.0.0.1 for the
# AWS provider's integration tests (and stops it afterwards); without it those tests are
# reported as skipped, never as passed.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v moto_server >/dev/null 2>&1 && [ -x scripts/moto.sh ]; then
  export MOTO_PORT="${MOTO_PORT:-5123}"
  scripts/moto.sh start
  trap 'scripts/moto.sh stop' EXIT
  export AWS_ENDPOINT_URL="http://127.0.0.1:${MOTO_PORT}"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  unset AWS_PROFILE AWS_SESSION_TOKEN
else
  echo "note: moto_server not found: the AWS provider's moto tests will be skipped (pip install 'moto[server]==5.2.1')" >&2
fi

swift build --build-tests
swift test --skip-build --disable-xctest
