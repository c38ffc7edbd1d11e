#!/usr/bin/env bash
# End to end against a local moto_server: the examples/aws fleet planned, applied, planned again
# (no changes), drifted by hand (plan shows it), then one tenant destroyed; afterwards the AWS
# APIs (not Landlord's state) must hold no resource tagged or named for that tenant.
#
#   scripts/moto.sh start
#   export AWS_ENDPOINT_URL=http://127.0.0.1:5123 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
#   swift build && examples/aws/e2e.sh [path/to/landlord]
#
# It resets the emulator first (POST /moto-api/reset), so it refuses an endpoint that is not local.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
landlord="${1:-$here/../../.build/debug/landlord}"
[[ -x "$landlord" ]] || { echo "error: no landlord binary at $landlord; run swift build first or pass its path" >&2; exit 1; }
case "${AWS_ENDPOINT_URL:-}" in
    http://127.0.0.1:*|http://localhost:*) ;;
    *) echo "error: AWS_ENDPOINT_URL must name a local moto_server (http://127.0.0.1:PORT); this script resets it" >&2; exit 1 ;;
esac
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}" AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"

fail() { echo "e2e FAILED: $*" >&2; exit 1; }
curl -fsS -X POST -H 'Content-Type: text/plain' "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null || fail "cannot reset moto at $AWS_ENDPOINT_URL"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$here/platform.yaml" "$here/blueprints" "$here/tenants" "$here/emulator-setup.sh" "$work/"
"$work/emulator-setup.sh" >/dev/null

echo "== plan (fresh)"
set +e; "$landlord" -C "$work" plan --detailed-exitcode >"$work/plan1.log" 2>&1; rc=$?; set -e
[[ $rc == 2 ]] || { cat "$work/plan1.log"; fail "first plan should exit 2 (changes), got $rc"; }
echo "== apply"
"$landlord" -C "$work" apply --auto-approve >"$work/apply.log" 2>&1 || { cat "$work/apply.log"; fail "apply failed"; }
echo "== plan again: no changes"
set +e; "$landlord" -C "$work" plan --detailed-exitcode >"$work/plan2.log" 2>&1; rc=$?; set -e
[[ $rc == 0 ]] || { cat "$work/plan2.log"; fail "plan after apply should exit 0 (no changes), got $rc"; }

echo "== drift: a health-check path changed by hand shows in plan"
python3 - <<'PY'
import boto3
elb = boto3.client("elbv2")
tg = elb.describe_target_groups(Names=["t-acme-be"])["TargetGroups"][0]
elb.modify_target_group(TargetGroupArn=tg["TargetGroupArn"], HealthCheckPath="/changed-by-hand")
PY
set +e; "$landlord" -C "$work" plan --detailed-exitcode --tenant acme >"$work/plan3.log" 2>&1; rc=$?; set -e
[[ $rc == 2 ]] && grep -q "changed-by-hand" "$work/plan3.log" || { cat "$work/plan3.log"; fail "drift of acme/backend_tg not shown (exit $rc)"; }
"$landlord" -C "$work" apply --auto-approve --tenant acme >"$work/apply2.log" 2>&1 || { cat "$work/apply2.log"; fail "apply repairing drift failed"; }

echo "== destroy acme"
"$landlord" -C "$work" destroy --tenant acme --auto-approve >"$work/destroy.log" 2>&1 || { cat "$work/destroy.log"; fail "destroy failed"; }

echo "== nothing of acme left in the cloud, globex untouched"
python3 - "$work/platform.yaml" <<'PY'
import sys, boto3
text = open(sys.argv[1]).read()
def inp(name):
    return next(l.split(":", 1)[1].strip() for l in text.splitlines() if l.strip().startswith(name + ":"))
zone, cluster, table = inp("hostedZoneId"), inp("cluster"), inp("tenantTable")
left = {"acme": [], "globex": []}

def note(tags, what):
    tenant = tags.get("landlord:tenant")
    if tenant in left: left[tenant].append(what)

elb = boto3.client("elbv2")
tgs = elb.describe_target_groups()["TargetGroups"]
arns = [t["TargetGroupArn"] for t in tgs]
for lb in elb.describe_load_balancers()["LoadBalancers"]:
    for l in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        arns += [r["RuleArn"] for r in elb.describe_rules(ListenerArn=l["ListenerArn"])["Rules"] if not r["IsDefault"]]
for i in range(0, len(arns), 20):
    for d in elb.describe_tags(ResourceArns=arns[i:i + 20])["TagDescriptions"]:
        note({t["Key"]: t["Value"] for t in d["Tags"]}, d["ResourceArn"])

ecs = boto3.client("ecs")
for arn in ecs.list_services(cluster=cluster)["serviceArns"]:
    s = ecs.describe_services(cluster=cluster, services=[arn], include=["TAGS"])["services"][0]
    if s["status"] == "ACTIVE": note({t["key"]: t["value"] for t in s.get("tags", [])}, arn)
for arn in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]:
    note({t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn).get("tags", [])}, arn)

idp = boto3.client("cognito-idp")
for p in idp.list_user_pools(MaxResults=60)["UserPools"]:
    note(idp.describe_user_pool(UserPoolId=p["Id"])["UserPool"].get("UserPoolTags", {}), p["Id"])
ci = boto3.client("cognito-identity")
for p in ci.list_identity_pools(MaxResults=60)["IdentityPools"]:
    note(ci.describe_identity_pool(IdentityPoolId=p["IdentityPoolId"]).get("IdentityPoolTags", {}), p["IdentityPoolId"])

iam = boto3.client("iam")
for r in iam.list_roles()["Roles"]:
    note({t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=r["RoleName"])["Tags"]}, r["RoleName"])

# Not taggable: found by natural key.
r53 = boto3.client("route53")
for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]:
    for tenant in left:
        if r["Name"].endswith(f"{tenant}.moamalat-pro.com."): left[tenant].append(r["Name"])
ddb = boto3.client("dynamodb")
for tenant in left:
    if "Item" in ddb.get_item(TableName=table, Key={"pk": {"S": f"tenant#{tenant}"}}): left[tenant].append(f"{table} tenant#{tenant}")

ses = boto3.client("sesv2")
contacts = [c["EmailAddress"] for c in ses.list_contacts(ContactListName=inp("contactList"))["Contacts"]]
for tenant in left:
    if f"admin@{tenant}.moamalat-pro.com" in contacts: left[tenant].append(f"contact admin@{tenant}.moamalat-pro.com")
pools = {idp.describe_user_pool(UserPoolId=p["Id"])["UserPool"]["Name"]: p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}
for tenant in left:
    if f"{tenant}-users" in pools:
        pool = pools[f"{tenant}-users"]
        left[tenant] += [f"group {g['GroupName']}" for g in idp.list_groups(UserPoolId=pool)["Groups"]]
        left[tenant] += [f"user {u['Username']}" for u in idp.list_users(UserPoolId=pool)["Users"]]

print(f"acme: {len(left['acme'])} resources left; globex: {len(left['globex'])} resources")
if left["acme"]:
    sys.exit("e2e FAILED: acme resources still in the cloud: " + ", ".join(left["acme"]))
if len(left["globex"]) < 15:
    sys.exit(f"e2e FAILED: globex should be untouched, found only {left['globex']}")
PY
echo "e2e passed"
