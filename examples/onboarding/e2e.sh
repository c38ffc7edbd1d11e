#!/usr/bin/env bash
# End to end for the onboarding example: starts moto, localstripe and PostgreSQL on loopback
# (scripts/moto.sh, scripts/localstripe.sh, scripts/postgres.sh; ports MOTO_PORT,
# LANDLORD_STRIPE_PORT, LANDLORD_PG_PORT), builds the platform's shared AWS resources with
# examples/aws/emulator-setup.sh, applies acme and globex, checks every resource through its own
# client (check.py: boto3, Stripe's HTTP API, psql) and the tenants' outputs, plans again (no
# changes), destroys acme and checks that nothing of acme is left on any server while globex
# is intact. The servers are stopped on exit, whatever happened.
#
#   swift build --product landlord && examples/onboarding/e2e.sh [path/to/landlord]
#
# Needs moto_server, localstripe, python3 with boto3 and PyYAML, PostgreSQL 15 and psql (see
# scripts/moto.sh, scripts/localstripe.sh, scripts/postgres.sh for how to install them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
landlord="${1:-$repo/.build/debug/landlord}"
[[ -x "$landlord" ]] || { echo "error: no landlord binary at $landlord; run swift build --product landlord first or pass its path" >&2; exit 1; }
landlord="$(cd "$(dirname "$landlord")" && pwd)/$(basename "$landlord")"
python3 -c 'import boto3, yaml' 2>/dev/null || { echo "error: python3 with boto3 and PyYAML is needed: pip install boto3 pyyaml" >&2; exit 1; }
command -v psql >/dev/null || { echo "error: psql is needed: apt-get install postgresql-client-15" >&2; exit 1; }

export MOTO_PORT="${MOTO_PORT:-5123}" LANDLORD_STRIPE_PORT="${LANDLORD_STRIPE_PORT:-8420}" LANDLORD_PG_PORT="${LANDLORD_PG_PORT:-5433}"
work="$(mktemp -d "${TMPDIR:-/tmp}/landlord-onboarding-e2e.XXXXXX")"
chmod 755 "$work"   # PostgreSQL runs as the postgres user when this runs as root: it must reach $work/pg
export MOTO_STATE_DIR="$work/moto" LANDLORD_STRIPE_STATE_DIR="$work/stripe" LANDLORD_PG_DIR="$work/pg"
cleanup() {
    "$repo/scripts/moto.sh" stop >/dev/null 2>&1 || true
    "$repo/scripts/localstripe.sh" stop >/dev/null 2>&1 || true
    "$repo/scripts/postgres.sh" stop >/dev/null 2>&1 || true
    if [[ -n "${KEEP_E2E:-}" ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "e2e FAILED: $*" >&2; exit 1; }

echo "== servers: moto :$MOTO_PORT, localstripe :$LANDLORD_STRIPE_PORT, postgres :$LANDLORD_PG_PORT"
"$repo/scripts/moto.sh" start >/dev/null
"$repo/scripts/localstripe.sh" start >/dev/null
"$repo/scripts/postgres.sh" start >/dev/null
export AWS_ENDPOINT_URL="http://127.0.0.1:$MOTO_PORT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export LANDLORD_STRIPE_URL="http://127.0.0.1:$LANDLORD_STRIPE_PORT" STRIPE_API_KEY=sk_test_landlord PGPASSWORD=landlord

echo "== platform: examples/aws/emulator-setup.sh (ALB, listener, zone, cluster, table, contact list)"
mkdir -p "$work/aws" "$work/fleet"
cp "$repo/examples/aws/emulator-setup.sh" "$work/aws/"
"$work/aws/emulator-setup.sh" >/dev/null
cp -r "$here/blueprints" "$here/tenants" "$work/fleet/"
# This example's platform.yaml with the emulator's ids and these servers' addresses.
python3 - "$here/platform.yaml" "$work/aws/platform.yaml" "$work/fleet/platform.yaml" <<'PY'
import os, sys, yaml
ours, emulator = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
ours["provider"]["aws"] = emulator["provider"]["aws"]
ours["provider"]["stripe"]["apiBase"] = os.environ["LANDLORD_STRIPE_URL"]
ours["provider"]["postgres"]["url"] = f"postgres://landlord@127.0.0.1:{os.environ['LANDLORD_PG_PORT']}/app"
for name in ours["inputs"]:
    ours["inputs"][name] = emulator["inputs"][name]
yaml.safe_dump(ours, open(sys.argv[3], "w"), sort_keys=False)
PY
fleet="$work/fleet"

echo "== apply acme and globex"
"$landlord" -C "$fleet" apply --auto-approve >"$work/apply.log" 2>&1 || { cat "$work/apply.log"; fail "apply failed"; }
echo "== plan again: no changes"
set +e; "$landlord" -C "$fleet" plan --detailed-exitcode >"$work/plan.log" 2>&1; rc=$?; set -e
[[ $rc == 0 ]] || { cat "$work/plan.log"; fail "plan after apply should exit 0 (no changes), got $rc"; }

echo "== outputs and every resource through its own client"
for t in acme globex; do
    "$landlord" -C "$fleet" output --tenant "$t" --json >"$fleet/out-$t.json" || fail "landlord output --tenant $t --json failed"
    "$landlord" -C "$fleet" output --tenant "$t" --json --show-sensitive >"$fleet/out-$t-sensitive.json" || fail "landlord output --show-sensitive failed"
done
python3 "$here/check.py" "$fleet" present acme globex

echo "== destroy acme"
"$landlord" -C "$fleet" destroy --tenant acme --auto-approve >"$work/destroy.log" 2>&1 || { cat "$work/destroy.log"; fail "destroy failed"; }
echo "== nothing of acme left on any server; globex intact"
python3 "$here/check.py" "$fleet" absent acme
python3 "$here/check.py" "$fleet" present globex
# The same probes must see globex's things, or "absent" above proved nothing.
if python3 "$here/check.py" "$fleet" absent globex 2>/dev/null; then fail "check.py finds nothing of globex: its probes cannot see a tenant's resources"; fi
set +e; "$landlord" -C "$fleet" plan --detailed-exitcode --tenant globex >"$work/plan2.log" 2>&1; rc=$?; set -e
[[ $rc == 0 ]] || { cat "$work/plan2.log"; fail "globex should plan no changes after acme's destroy, got $rc"; }
echo "e2e passed in $SECONDS s (stopping the servers not counted)"
