#!/usr/bin/env bash
# Differential check of the simulated cloud against localstripe and PostgreSQL (issue 24, section
# 1, second part; scripts/differential.sh is the AWS part): examples/onboarding (aws.*,
# stripe.customer, postgres.role, postgres.schema, postgres.grant) and examples/tiers (aws.*,
# postgres.role, postgres.schema) applied from the same specs twice, once on the mock (`--mock`)
# and once against moto, localstripe and PostgreSQL. Then, as in differential.sh:
#   - both refreshing plans are empty;
#   - each resource's recorded inputs agree, its outputs agree by shape;
#   - ten attributes of the Stripe and PostgreSQL types changed out of band on both sides (HTTP to
#     localstripe, psql; the mock through its journal): both refreshing plans show the same drift,
#     and one apply puts it back on both.
# Tenant ids get a random suffix (acme -> acmeo4k2), so a run never meets roles, schemas or DNS
# names of another run or test on the same servers. Prints one summary line; exits 1 when any
# disagreement is found, 0 with a "skipped" line (naming what is missing) when a server is not there.
#
#   scripts/moto.sh start; scripts/localstripe.sh start; scripts/postgres.sh start
#   export AWS_ENDPOINT_URL=http://127.0.0.1:5123 LANDLORD_STRIPE_URL=http://127.0.0.1:8420 LANDLORD_PG_PORT=5433
#   swift build --product landlord && scripts/differential-services.sh [path/to/landlord]
#
# It resets moto first (POST /moto-api/reset), so it refuses an endpoint that is not local.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
landlord="${1:-$root/.build/debug/landlord}"
[[ -x "$landlord" ]] || { echo "error: no landlord binary at $landlord; run swift build first or pass its path" >&2; exit 1; }
missing=()
case "${AWS_ENDPOINT_URL:-}" in http://127.0.0.1:*|http://localhost:*) ;; *) missing+=("moto (AWS_ENDPOINT_URL=http://127.0.0.1:PORT)") ;; esac
case "${LANDLORD_STRIPE_URL:-}" in http://127.0.0.1:*|http://localhost:*) ;; *) missing+=("localstripe (LANDLORD_STRIPE_URL)") ;; esac
[[ -n "${LANDLORD_PG_PORT:-}" ]] && command -v psql >/dev/null || missing+=("PostgreSQL and psql (LANDLORD_PG_PORT)")
python3 -c 'import boto3, yaml' 2>/dev/null || missing+=("python3 with boto3 and PyYAML")
if (( ${#missing[@]} )); then
    echo "differential (services): skipped: not there: $(IFS=,; echo "${missing[*]}" | sed 's/,/, /g')"
    exit 0
fi
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}" AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}" NO_COLOR=1
export STRIPE_API_KEY="${STRIPE_API_KEY:-sk_test_landlord}" PGPASSWORD="${PGPASSWORD:-landlord}" LANDLORD_STATE_KEY=""
lib="$root/scripts/differential_lib.py"

fail() { echo "differential (services) FAILED: $*" >&2; exit 1; }
curl -fsS -X POST -H 'Content-Type: text/plain' "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null || fail "cannot reset moto at $AWS_ENDPOINT_URL"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/aws"
cp "$root/examples/aws/emulator-setup.sh" "$work/aws/"
(cd "$work/aws" && ./emulator-setup.sh >/dev/null) || fail "examples/aws/emulator-setup.sh failed against moto"
# Both mock fleets share one simulated cloud, as both real fleets share moto's ALB listener (a
# rule priority allocated by the second fleet depends on the first fleet's rules).
export LANDLORD_MOCK_CLOUD="$work/mock-cloud.json"
run="$(python3 -c 'import random, string; print("".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(3)))')"

# FLEET/{real,mock}: the example's specs with suffixed tenant ids, platform.yaml given the
# emulator's platform ids, this localstripe and this PostgreSQL (the mock ignores the last two).
prepare() {
    local example="$1" letter="$2"
    for side in real mock; do
        mkdir -p "$work/$example/$side/tenants"
        cp -r "$root/examples/$example/blueprints" "$work/$example/$side/"
        for f in "$root/examples/$example/tenants/"*.yaml; do
            t="$(basename "$f" .yaml)"
            sed -E "s/\b$t\b/$t$letter$run/g" "$f" >"$work/$example/$side/tenants/$t$letter$run.yaml"
        done
    done
    python3 - "$root/examples/$example/platform.yaml" "$work/aws/platform.yaml" "$work/$example/real/platform.yaml" <<'PY'
import os, sys, yaml
ours, emulator = (yaml.safe_load(open(p)) for p in sys.argv[1:3])
providers = ours.get("provider") or {}
providers["aws"] = emulator["provider"]["aws"]
providers["postgres"] = {"url": f"postgres://landlord@127.0.0.1:{os.environ['LANDLORD_PG_PORT']}/app", "passwordEnv": "PGPASSWORD"}
if "stripe" in providers:
    providers["stripe"]["apiBase"] = os.environ["LANDLORD_STRIPE_URL"]
ours["provider"] = providers
for name in ours["inputs"]:
    ours["inputs"][name] = emulator["inputs"][name]
ours["inputs"].setdefault("listeners", emulator["inputs"]["listeners"])
yaml.safe_dump(ours, open(sys.argv[3], "w"), sort_keys=False)
PY
    cp "$work/$example/real/platform.yaml" "$work/$example/mock/"
    if grep -q "desiredCount: 2" "$work/$example/real/blueprints/"*.yaml; then
        # moto's ECS reports runningCount 1 whatever desiredCount is, so a service of 2 never
        # becomes stable there; both sides run it with 1 (AWS and the mock reach any count).
        echo "moto gap (not counted): ECS runningCount stays 1; $example's desiredCount 2 set to 1 on both sides"
        sed -i "s/desiredCount: 2/desiredCount: 1/" "$work/$example/real/blueprints/"*.yaml "$work/$example/mock/blueprints/"*.yaml
    fi
}

# Applies FLEET on both sides; both refreshing plans must be empty.
apply_both() {
    local example="$1"
    "$landlord" -C "$work/$example/real" apply --auto-approve >"$work/$example-real.log" 2>&1 \
        || { cat "$work/$example-real.log"; fail "apply of $example against the servers failed"; }
    "$landlord" -C "$work/$example/mock" apply --auto-approve --mock >"$work/$example-mock.log" 2>&1 \
        || { cat "$work/$example-mock.log"; fail "apply of $example on the mock failed"; }
    empty_plans "$example" "after apply" || fail "the refreshing plan of $example after apply is not empty"
}

empty_plans() {  # 0 when both sides plan no changes; prints each side that does not
    local example="$1" when="$2" ok=0
    for side in real mock; do
        flag=(); [[ $side == mock ]] && flag=(--mock)
        set +e; "$landlord" -C "$work/$example/$side" plan --detailed-exitcode "${flag[@]}" >"$work/$example-$side-plan.log" 2>&1; rc=$?; set -e
        if [[ $rc != 0 ]]; then
            echo "disagreement: $when, the plan of $example on $side is not empty (exit $rc)"; sed -n 1,40p "$work/$example-$side-plan.log"
            ok=1
        fi
    done
    return $ok
}

prepare onboarding o
prepare tiers t
apply_both onboarding
apply_both tiers
for example in onboarding tiers; do
    python3 "$lib" compare "$work/$example/real/.landlord/state/tenants" "$work/$example/mock/.landlord/state/tenants" \
        "$work/$example-counts.json" servers
done

# Drift on onboarding's first tenant: its Stripe customer through Stripe's HTTP API, its roles,
# schema and grant through psql; the mock through its journal.
tenant="acmeo$run"
python3 - "$work/onboarding/real/.landlord/state/tenants/$tenant.json" "$work/drifts.json" <<'PY'
import base64, json, os, subprocess, sys, urllib.parse, urllib.request
r = json.load(open(sys.argv[1]))["resources"]
DRIFTS = [  # (resource, attribute path, new value)
    ("billing", ["description"], "changed by hand"),
    ("billing", ["email"], "billing@elsewhere.example.com"),
    ("billing", ["name"], "Renamed by hand"),
    ("billing", ["metadata", "tier"], "gold"),
    ("billing", ["metadata", "note"], "added by hand"),
    ("db_app", ["connectionLimit"], 5),
    ("db_app", ["login"], False),
    ("db", ["owner"], r["db_app"]["id"]),
    ("db_grant", ["privileges"], []),
    ("db_grant", ["defaultPrivileges"], False),
]
# localstripe: one update of the customer, as the Stripe dashboard or API would make it
form = {"description": "changed by hand", "email": "billing@elsewhere.example.com", "name": "Renamed by hand",
        "metadata[tier]": "gold", "metadata[note]": "added by hand"}
request = urllib.request.Request(f"{os.environ['LANDLORD_STRIPE_URL']}/v1/customers/{r['billing']['id']}",
                                 data=urllib.parse.urlencode(form).encode(), method="POST")
request.add_header("Authorization", "Basic " + base64.b64encode((os.environ["STRIPE_API_KEY"] + ":").encode()).decode())
urllib.request.urlopen(request).read()
# PostgreSQL, as a DBA with psql would
app, schema, owner = r["db_app"]["id"], r["db"]["id"], r["db_owner"]["id"]
sql = f'''ALTER ROLE "{app}" CONNECTION LIMIT 5; ALTER ROLE "{app}" NOLOGIN;
ALTER DEFAULT PRIVILEGES FOR ROLE "{owner}" IN SCHEMA "{schema}" REVOKE INSERT ON TABLES FROM "{app}";
REVOKE USAGE ON SCHEMA "{schema}" FROM "{app}"; ALTER SCHEMA "{schema}" OWNER TO "{app}";'''
subprocess.run(["psql", "-h", "127.0.0.1", "-p", os.environ["LANDLORD_PG_PORT"], "-U", "landlord", "-d", "app", "-qAtX",
                "-v", "ON_ERROR_STOP=1", "-c", sql], check=True)
json.dump(DRIFTS, open(sys.argv[2], "w"))
PY
python3 "$lib" mock-drift "$work/onboarding/mock" "$tenant" "$work/drifts.json" "$LANDLORD_MOCK_CLOUD"

drifted() {  # the plan's changed attributes per address, as JSON
    local side="$1"; shift
    set +e; "$landlord" -C "$work/onboarding/$side" plan --format json "$@" >"$work/$side-drift.json" 2>"$work/$side-drift.log"; set -e
    python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(json.dumps({c["address"]: sorted(c.get("changed", [])) for c in p["changes"] if c["action"] != "noop"}, sort_keys=True))' "$work/$side-drift.json" \
        || { cat "$work/$side-drift.log"; fail "no JSON plan on $side"; }
}
real_drift="$(drifted real)"
mock_drift="$(drifted mock --mock)"
drift_disagreements=0
if [[ "$real_drift" != "$mock_drift" ]]; then
    echo "disagreement: drift planned against the servers: $real_drift"
    echo "disagreement: drift planned on the mock: $mock_drift"
    drift_disagreements=1
fi
"$landlord" -C "$work/onboarding/real" apply --auto-approve >"$work/real-repair.log" 2>&1 || { cat "$work/real-repair.log"; fail "apply repairing drift against the servers failed"; }
"$landlord" -C "$work/onboarding/mock" apply --auto-approve --mock >"$work/mock-repair.log" 2>&1 || { cat "$work/mock-repair.log"; fail "apply repairing drift on the mock failed"; }
empty_plans onboarding "after the repairing apply" || drift_disagreements=$((drift_disagreements + 1))

python3 - "$work" "$drift_disagreements" "$real_drift" <<'PY'
import json, sys
work, extra, planned = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
counts = [json.load(open(f"{work}/{e}-counts.json")) for e in ("onboarding", "tiers")]
types = sorted(set().union(*(c["type_names"] for c in counts)))
services = [t for t in types if not t.startswith("aws.")]
attributes = sum(c["attributes"] for c in counts)
drifts = len(json.load(open(f"{work}/drifts.json")))
total = sum(c["disagreements"] for c in counts) + extra
print(f"types compared: {', '.join(types)}")
print(f"drift planned on both: {json.dumps(planned, sort_keys=True)}")
print(f"differential (services): {len(types)} types compared ({len(services)} stripe/postgres), {attributes} attributes compared, "
      f"{drifts} drifts injected, {total} disagreements found")
sys.exit(1 if total else 0)
PY
