#!/usr/bin/env bash
# examples/migrate against a local moto_server: tenants made as the sign-up Lambda made them
# (signup_lambda.py, boto3, no tags) are adopted by `landlord adopt` and a saved plan (acme
# from a hand-written Terraform state holding moto's ids, the others by natural key); the next
# plan has no changes; destroying one tenant removes exactly its resources. Before that, the
# three refusals, each leaving state untouched: two pools of one name, a resource tagged for
# another address, a missing resource.
#
#   swift build && examples/migrate/e2e.sh [path/to/landlord]      (needs pip's moto[server]==5.2.1)
#
# It starts its own moto_server (moto_tagging.py: moto with Cognito's TagResource, which moto
# 5.2.1 lacks) on a free local port, and stops it at the end; AWS_ENDPOINT_URL is not used.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
landlord="${1:-$here/../../.build/debug/landlord}"
[[ -x "$landlord" ]] || { echo "error: no landlord binary at $landlord; run swift build first or pass its path" >&2; exit 1; }
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 NO_COLOR=1

fail() { echo "e2e FAILED: $*" >&2; exit 1; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
python3 "$here/moto_tagging.py" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
work="$(mktemp -d)"
trap 'kill -9 $moto_pid 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
for _ in $(seq 1 100); do curl -fsS "$AWS_ENDPOINT_URL/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done
cp -r "$here/platform.yaml" "$here/blueprints" "$here/tenants" "$work/"

echo "== the sign-up Lambda makes acme (its record says plan free; the spec says pro), globex, initech"
ids="$(python3 "$here/signup_lambda.py" --plan free acme)"
python3 "$here/signup_lambda.py" globex initech >/dev/null
zone="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["hostedZoneId"])' "$ids")"
vpc="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["vpcId"])' "$ids")"
sed -i "s/hostedZoneId: .*/hostedZoneId: $zone/; s/vpcId: .*/vpcId: $vpc/; s/, use: mock//" "$work/platform.yaml"
grep -q "^provider:.*use: mock" "$work/platform.yaml" && fail "platform.yaml still uses the mock"

state_empty() { [[ ! -d "$work/.landlord/tenants" ]] || [[ -z "$(ls -A "$work/.landlord/tenants")" ]]; }
refused() {  # tenant, expected message
    local t="$1" msg="$2"
    sed "s/^id: acme/id: $t/; s/admin@acme/admin@$t/" "$here/tenants/acme.yaml" >"$work/tenants/$t.yaml"
    set +e; "$landlord" -C "$work" adopt --tenant "$t" --out "$work/$t.plan" >"$work/$t.log" 2>&1; rc=$?; set -e
    [[ $rc == 1 ]] && grep -qF "$msg" "$work/$t.log" || { cat "$work/$t.log"; fail "adopt of $t: expected exit 1 and '$msg' (got $rc)"; }
    [[ ! -e "$work/$t.plan" ]] || fail "a plan was saved for $t"
    state_empty || fail "state changed by a refused adopt of $t"
    rm "$work/tenants/$t.yaml"
    echo "   $t refused: $msg"
}
echo "== refusals"
python3 "$here/signup_lambda.py" hooli >/dev/null
python3 - <<'PY'
import boto3
boto3.client("cognito-idp").create_user_pool(PoolName="hooli-users")  # a second pool of the same name
PY
refused hooli '2 resources found by name "hooli-users"'
python3 "$here/signup_lambda.py" wayne >/dev/null
python3 - <<'PY'
import boto3
elb = boto3.client("elbv2")
arn = elb.describe_target_groups(Names=["t-wayne-web"])["TargetGroups"][0]["TargetGroupArn"]
elb.add_tags(ResourceArns=[arn], Tags=[{"Key": "landlord:address", "Value": "acme/web_tg"}, {"Key": "landlord:platform", "Value": "signup"}])
PY
refused wayne 'is tagged for acme/web_tg'
python3 "$here/signup_lambda.py" umbrella >/dev/null
python3 - "$zone" <<'PY'
import sys, boto3
boto3.client("route53").change_resource_record_sets(HostedZoneId=sys.argv[1], ChangeBatch={"Changes": [{"Action": "DELETE",
    "ResourceRecordSet": {"Name": "umbrella.tenants.example.com", "Type": "CNAME", "TTL": 300,
    "ResourceRecords": [{"Value": "alb-signup-1.us-east-1.elb.amazonaws.com"}]}}]})
PY
refused umbrella 'nothing found by name "umbrella.tenants.example.com"'

echo "== adopt acme from a Terraform state (the hand-written template, moto's ids filled in)"
python3 - "$here/terraform/terraform.tfstate.template" "$zone" "$vpc" >"$work/fleet.tfstate" <<'PY'
import sys, boto3
text = open(sys.argv[1]).read().replace("@zone@", sys.argv[2]).replace("@vpc@", sys.argv[3])
idp, ident, elb = boto3.client("cognito-idp"), boto3.client("cognito-identity"), boto3.client("elbv2")
pools = {p["Name"]: p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}
idents = {p["IdentityPoolName"]: p["IdentityPoolId"] for p in ident.list_identity_pools(MaxResults=60)["IdentityPools"]}
for t in ("acme", "globex", "initech"):
    pool = pools[f"{t}-users"]
    client = [c for c in idp.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"] if c["ClientName"] == f"{t}-web"][0]["ClientId"]
    tg = elb.describe_target_groups(Names=[f"t-{t}-web"])["TargetGroups"][0]["TargetGroupArn"]
    for k, v in {"pool": pool, "client": client, "identity": idents[f"{t}_identities"], "tg": tg}.items():
        text = text.replace(f"@{t}.{k}@", v)
print(text)
PY
set +e; "$landlord" -C "$work" adopt --tenant acme --from-terraform "$work/fleet.tfstate" --out "$work/tf.plan" >"$work/tf.log" 2>&1; rc=$?; set -e
[[ $rc == 2 ]] || { cat "$work/tf.log"; fail "adopt --from-terraform should exit 2, got $rc"; }
n="$(grep -c 'found by Terraform address module.tenant\["acme"\]' "$work/tf.log")"
[[ $n == 8 ]] || { cat "$work/tf.log"; fail "expected acme's 8 resources found by Terraform address, got $n"; }
grep -q 'replace aws\.' "$work/tf.log" && { cat "$work/tf.log"; fail "the adoption from Terraform replaces something"; }
"$landlord" -C "$work" apply "$work/tf.plan" >"$work/tf-apply.log" 2>&1 || { cat "$work/tf-apply.log"; fail "apply of the Terraform adoption failed"; }

echo "== adopt the rest by natural key"
set +e; "$landlord" -C "$work" adopt --out "$work/adopt.plan" >"$work/adopt.log" 2>"$work/adopt.err"; rc=$?; set -e
[[ $rc == 2 ]] || { cat "$work/adopt.log" "$work/adopt.err"; fail "adopt should exit 2 (adoptions), got $rc"; }
n="$(grep -c '= adopt' "$work/adopt.log")"
[[ $n == 16 ]] || { cat "$work/adopt.log"; fail "expected 16 adoptions (globex and initech, 8 each; acme is adopted), got $n"; }
grep -q 'replace aws\.' "$work/adopt.log" && { cat "$work/adopt.log"; fail "the adoption replaces something"; }
grep -qF '~ tag aws.lb_target_group "globex/web_tg": + landlord tags' "$work/adopt.log" || { cat "$work/adopt.log"; fail "no tags for globex/web_tg"; }
grep -qF 'update aws.dynamodb_item "acme/record" after adoption: item' "$work/tf.log" || { cat "$work/tf.log"; fail "acme's record not updated"; }
grep '^Looked up' "$work/adopt.err"

echo "== apply the saved plan"
"$landlord" -C "$work" apply "$work/adopt.plan" >"$work/apply.log" 2>&1 || { cat "$work/apply.log"; fail "apply of the adoption plan failed"; }
echo "== plan: no changes"
set +e; "$landlord" -C "$work" plan --detailed-exitcode >"$work/plan.log" 2>&1; rc=$?; set -e
[[ $rc == 0 ]] || { cat "$work/plan.log"; fail "plan after adoption should exit 0 (no changes), got $rc"; }
python3 - <<'PY' || fail "tags or record not as adopted"
import boto3
idp, elb, ddb = boto3.client("cognito-idp"), boto3.client("elbv2"), boto3.client("dynamodb")
pools = {p["Name"]: p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}
tags = idp.describe_user_pool(UserPoolId=pools["acme-users"])["UserPool"].get("UserPoolTags", {})
assert tags.get("landlord:address") == "acme/users", tags
arn = elb.describe_target_groups(Names=["t-globex-web"])["TargetGroups"][0]["TargetGroupArn"]
t = {x["Key"]: x["Value"] for x in elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]}
assert t.get("landlord:address") == "globex/web_tg", t
item = ddb.get_item(TableName="signup-tenants", Key={"pk": {"S": "tenant#acme"}})["Item"]
assert item["plan"]["S"] == "pro", item
PY

echo "== destroy globex"
"$landlord" -C "$work" destroy --tenant globex --auto-approve >"$work/destroy.log" 2>&1 || { cat "$work/destroy.log"; fail "destroy failed"; }
python3 - "$zone" <<'PY' || fail "destroy of globex did not remove exactly its resources"
import sys, boto3
idp, elb, ddb, r53 = (boto3.client(s) for s in ("cognito-idp", "elbv2", "dynamodb", "route53"))
ident = boto3.client("cognito-identity")
pools = {p["Name"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}
assert "globex-users" not in pools and {"acme-users", "initech-users"} <= pools, pools
idents = {p["IdentityPoolName"] for p in ident.list_identity_pools(MaxResults=60)["IdentityPools"]}
assert "globex_identities" not in idents and "acme_identities" in idents, idents
tgs = {t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]}
assert "t-globex-web" not in tgs and {"t-acme-web", "t-initech-web"} <= tgs, tgs
assert "Item" not in ddb.get_item(TableName="signup-tenants", Key={"pk": {"S": "tenant#globex"}})
assert "Item" in ddb.get_item(TableName="signup-tenants", Key={"pk": {"S": "tenant#acme"}})
names = {r["Name"] for r in r53.list_resource_record_sets(HostedZoneId=sys.argv[1])["ResourceRecordSets"]}
assert "globex.tenants.example.com." not in names and "acme.tenants.example.com." in names, names
PY
echo "migrate e2e passed"
