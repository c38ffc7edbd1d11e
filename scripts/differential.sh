#!/usr/bin/env bash
# Differential check of the simulated cloud against moto (issue 24, section 1, first part): the
# examples/aws fleet applied twice from the same specs and the same platform.yaml, once with the
# mock (`--mock`) and once through the AWS provider against a local moto_server. Then:
#   - both refreshing plans are empty (`plan --detailed-exitcode` exits 0 on each);
#   - each resource's recorded inputs agree (values that are another resource's id or output are
#     compared as references to it, since the two clouds allocate their own ids);
#   - each resource's outputs agree by shape (the same attributes; ARNs by service, UUIDs,
#     timestamps and numbers by pattern, not by value).
#   - five attributes changed out of band on both sides (a target group's health check path, a
#     service's desired count, a record's TTL, a group's precedence, an item's attributes): both
#     refreshing plans show the same drift, and one apply puts it back on both (plans empty again).
# Prints one summary line and exits 1 when any disagreement is found. Drift covers those five
# attributes, not every updatable attribute of every type.
#
#   scripts/moto.sh start
#   export AWS_ENDPOINT_URL=http://127.0.0.1:5123 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
#   swift build --product landlord && scripts/differential.sh [path/to/landlord]
#
# It resets the emulator first (POST /moto-api/reset), so it refuses an endpoint that is not local.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
landlord="${1:-$root/.build/debug/landlord}"
[[ -x "$landlord" ]] || { echo "error: no landlord binary at $landlord; run swift build first or pass its path" >&2; exit 1; }
case "${AWS_ENDPOINT_URL:-}" in
    http://127.0.0.1:*|http://localhost:*) ;;
    *) echo "error: AWS_ENDPOINT_URL must name a local moto_server (http://127.0.0.1:PORT); this script resets it" >&2; exit 1 ;;
esac
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}" AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}" NO_COLOR=1

fail() { echo "differential FAILED: $*" >&2; exit 1; }
curl -fsS -X POST -H 'Content-Type: text/plain' "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null || fail "cannot reset moto at $AWS_ENDPOINT_URL"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/moto" "$work/mock"
cp -r "$root/examples/aws/platform.yaml" "$root/examples/aws/blueprints" "$root/examples/aws/tenants" "$root/examples/aws/emulator-setup.sh" "$work/moto/"
"$work/moto/emulator-setup.sh" >/dev/null
# The same specs and the same platform ids (those moto made) for the mock.
cp -r "$work/moto/platform.yaml" "$work/moto/blueprints" "$work/moto/tenants" "$work/mock/"

"$landlord" -C "$work/moto" apply --auto-approve >"$work/moto.log" 2>&1 || { cat "$work/moto.log"; fail "apply against moto failed"; }
"$landlord" -C "$work/mock" apply --auto-approve --mock >"$work/mock.log" 2>&1 || { cat "$work/mock.log"; fail "apply on the mock failed"; }
for side in moto mock; do
    flag=(); [[ $side == mock ]] && flag=(--mock)
    set +e; "$landlord" -C "$work/$side" plan --detailed-exitcode "${flag[@]}" >"$work/$side-plan.log" 2>&1; rc=$?; set -e
    [[ $rc == 0 ]] || { cat "$work/$side-plan.log"; fail "the refreshing plan after apply on $side is not empty (exit $rc)"; }
done

python3 "$root/scripts/differential_lib.py" compare "$work/moto/.landlord/state/tenants" "$work/mock/.landlord/state/tenants" "$work/counts.json"

# Drift: the same attributes changed out of band on both sides (moto through boto3, the mock
# through its journal, as another process's write), then both refreshing plans must show the
# same drift, and one apply must put it back on both.
python3 - "$work" <<'PY'
import json, sys
import boto3

work = sys.argv[1]
state = {t: json.load(open(f"{work}/moto/.landlord/state/tenants/{t}.json"))["resources"] for t in ("acme",)}
r = state["acme"]
DRIFTS = [  # (resource, attribute path, new value)
    ("backend_tg", ["healthCheckPath"], "/changed-by-hand"),
    ("backend", ["desiredCount"], 3),
    ("dns", ["ttl"], 60),
    ("admins", ["precedence"], 7),
    ("record", ["item", "status"], "suspended"),
]

def inputs(name): return r[name]["inputs"]

# moto, through the services' own APIs
elb, ecs, r53, idp, ddb = (boto3.client(s) for s in ("elbv2", "ecs", "route53", "cognito-idp", "dynamodb"))
elb.modify_target_group(TargetGroupArn=r["backend_tg"]["id"], HealthCheckPath="/changed-by-hand")
svc = r["backend"]
ecs.update_service(cluster=svc["inputs"]["cluster"], service=svc["outputs"].get("name") or svc["inputs"].get("name"), desiredCount=3)
d = inputs("dns")
r53.change_resource_record_sets(HostedZoneId=d["zoneId"], ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
    "Name": d["name"], "Type": d["type"], "TTL": 60, "ResourceRecords": [{"Value": v} for v in d["records"]]}}]})
g = inputs("admins")
idp.update_group(UserPoolId=g["userPoolId"], GroupName=g["name"], Description=g.get("description", ""), Precedence=7)
rec = inputs("record")
item = {k: {"S": str(v)} for k, v in rec["item"].items()}
item["status"] = {"S": "suspended"}
item.update({k: {"S": v} for k, v in rec["key"].items()})
ddb.put_item(TableName=rec["table"], Item=item)

# the mock, as another process writing its cloud would (scripts/differential_lib.py mock-drift)
json.dump(DRIFTS, open(f"{work}/mock-drifts.json", "w"))
json.dump(len(DRIFTS), open(f"{work}/drifts.json", "w"))
PY
python3 "$root/scripts/differential_lib.py" mock-drift "$work/mock" acme "$work/mock-drifts.json"

drifted() {  # the plan's changed attributes per address, as JSON
    local side="$1"; shift
    set +e; "$landlord" -C "$work/$side" plan --format json "$@" >"$work/$side-drift.json" 2>"$work/$side-drift.log"; set -e
    python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(json.dumps({c["address"]: sorted(c.get("changed", [])) for c in p["changes"] if c["action"] != "noop"}, sort_keys=True))' "$work/$side-drift.json" \
        || { cat "$work/$side-drift.log"; fail "no JSON plan on $side"; }
}
moto_drift="$(drifted moto)"
mock_drift="$(drifted mock --mock)"
drift_disagreements=0
if [[ "$moto_drift" != "$mock_drift" ]]; then
    echo "disagreement: drift planned on moto: $moto_drift"
    echo "disagreement: drift planned on the mock: $mock_drift"
    drift_disagreements=1
fi
"$landlord" -C "$work/moto" apply --auto-approve >"$work/moto-repair.log" 2>&1 || { cat "$work/moto-repair.log"; fail "apply repairing drift on moto failed"; }
"$landlord" -C "$work/mock" apply --auto-approve --mock >"$work/mock-repair.log" 2>&1 || { cat "$work/mock-repair.log"; fail "apply repairing drift on the mock failed"; }
for side in moto mock; do
    flag=(); [[ $side == mock ]] && flag=(--mock)
    set +e; "$landlord" -C "$work/$side" plan --detailed-exitcode "${flag[@]}" >"$work/$side-plan2.log" 2>&1; rc=$?; set -e
    if [[ $rc != 0 ]]; then
        echo "disagreement: after the repairing apply, the plan on $side is not empty (exit $rc)"; sed -n 1,40p "$work/$side-plan2.log"
        drift_disagreements=$((drift_disagreements + 1))
    fi
done
python3 - "$work/counts.json" "$work/drifts.json" "$drift_disagreements" "$moto_drift" <<'PY'
import json, sys
c, drifts, extra, planned = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3]), json.loads(sys.argv[4])
total = c["disagreements"] + extra
print(f"drift planned on both: {json.dumps(planned, sort_keys=True)}")
print(f"differential: {c['types']} types compared, {c['attributes']} attributes compared, {drifts} drifts injected, {total} disagreements found")
sys.exit(1 if total else 0)
PY
