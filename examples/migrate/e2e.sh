#!/usr/bin/env bash
# examples/migrate against a local moto_server: tenants made as the sign-up Lambda made them
# (signup_lambda.py, boto3, no tags) are adopted by `landlord adopt` and a saved plan (acme
# from a hand-written Terraform state holding moto's ids, the others by natural key), each
# listener rule found by its host header on the platform's listener and keeping the priority
# the Lambda gave it; the next plan has no changes; destroying one tenant removes exactly its
# resources. Before that, the three refusals, each leaving state untouched: two pools of one
# name, a resource tagged for another address, a missing resource; after it, a rule made at a
# priority the platform state gives another tenant (a clash).
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

echo "== the sign-up Lambda makes acme (its record says plan free; the spec says pro), globex, initech (rules at 10, 20, 30)"
ids="$(python3 "$here/signup_lambda.py" --plan free acme)"
python3 "$here/signup_lambda.py" globex initech >/dev/null
field() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$ids" "$1"; }
zone="$(field hostedZoneId)" vpc="$(field vpcId)" listener="$(field listenerArn)" albdns="$(field albDnsName)"
sed -i "s/hostedZoneId: .*/hostedZoneId: $zone/; s/vpcId: .*/vpcId: $vpc/; s/, use: mock//; s|- arn: .*|- arn: $listener|; s/dnsName: .*/dnsName: $albdns/" \
    "$work/platform.yaml"
grep -q "^provider:.*use: mock" "$work/platform.yaml" && fail "platform.yaml still uses the mock"
rules() {  # host -> priority of the listener's rules, with their landlord:address tags
    python3 - "$listener" <<'PY'
import sys, boto3
elb = boto3.client("elbv2")
rules = [r for r in elb.describe_rules(ListenerArn=sys.argv[1])["Rules"] if r["Priority"] != "default"]
tags = {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]} for d in elb.describe_tags(ResourceArns=[r["RuleArn"] for r in rules])["TagDescriptions"]} if rules else {}
for r in sorted(rules, key=lambda r: int(r["Priority"])):
    print(r["Conditions"][0]["HostHeaderConfig"]["Values"][0].split(".")[0], r["Priority"], tags.get(r["RuleArn"], {}).get("landlord:address", "-"))
PY
}

state_sum() { [[ ! -d "$work/.landlord" ]] || find "$work/.landlord" -type f ! -name 'mock-cloud*' ! -name '*.lock' -print0 | sort -z | xargs -0r md5sum; }
refused() {  # tenant, expected message
    local t="$1" msg="$2" before
    sed "s/^id: acme/id: $t/; s/admin@acme/admin@$t/" "$here/tenants/acme.yaml" >"$work/tenants/$t.yaml"
    before="$(state_sum)"
    set +e; "$landlord" -C "$work" adopt --tenant "$t" --out "$work/$t.plan" >"$work/$t.log" 2>&1; rc=$?; set -e
    [[ $rc == 1 ]] && grep -qF "$msg" "$work/$t.log" || { cat "$work/$t.log"; fail "adopt of $t: expected exit 1 and '$msg' (got $rc)"; }
    [[ ! -e "$work/$t.plan" ]] || fail "a plan was saved for $t"
    [[ "$(state_sum)" == "$before" ]] || fail "state changed by a refused adopt of $t"
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
python3 - "$here/terraform/terraform.tfstate.template" "$zone" "$vpc" "$listener" >"$work/fleet.tfstate" <<'PY'
import sys, boto3
text = open(sys.argv[1]).read().replace("@zone@", sys.argv[2]).replace("@vpc@", sys.argv[3]).replace("@listener@", sys.argv[4])
idp, ident, elb = boto3.client("cognito-idp"), boto3.client("cognito-identity"), boto3.client("elbv2")
pools = {p["Name"]: p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"]}
rules = {r["Conditions"][0]["HostHeaderConfig"]["Values"][0]: r["RuleArn"]
         for r in elb.describe_rules(ListenerArn=sys.argv[4])["Rules"] if r["Priority"] != "default"}
idents = {p["IdentityPoolName"]: p["IdentityPoolId"] for p in ident.list_identity_pools(MaxResults=60)["IdentityPools"]}
for t in ("acme", "globex", "initech"):
    pool = pools[f"{t}-users"]
    client = [c for c in idp.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"] if c["ClientName"] == f"{t}-web"][0]["ClientId"]
    tg = elb.describe_target_groups(Names=[f"t-{t}-web"])["TargetGroups"][0]["TargetGroupArn"]
    rule = rules[f"{t}.tenants.example.com"]
    for k, v in {"pool": pool, "client": client, "identity": idents[f"{t}_identities"], "tg": tg, "rule": rule}.items():
        text = text.replace(f"@{t}.{k}@", v)
print(text)
PY
set +e; "$landlord" -C "$work" adopt --tenant acme --from-terraform "$work/fleet.tfstate" --out "$work/tf.plan" >"$work/tf.log" 2>&1; rc=$?; set -e
[[ $rc == 2 ]] || { cat "$work/tf.log"; fail "adopt --from-terraform should exit 2, got $rc"; }
n="$(grep -c 'found by Terraform address module.tenant\["acme"\]' "$work/tf.log")"
[[ $n == 9 ]] || { cat "$work/tf.log"; fail "expected acme's 9 resources found by Terraform address, got $n"; }
grep -q 'replace aws\.' "$work/tf.log" && { cat "$work/tf.log"; fail "the adoption from Terraform replaces something"; }
"$landlord" -C "$work" apply "$work/tf.plan" >"$work/tf-apply.log" 2>&1 || { cat "$work/tf-apply.log"; fail "apply of the Terraform adoption failed"; }

echo "== adopt the rest by natural key"
set +e; "$landlord" -C "$work" adopt --out "$work/adopt.plan" >"$work/adopt.log" 2>"$work/adopt.err"; rc=$?; set -e
[[ $rc == 2 ]] || { cat "$work/adopt.log" "$work/adopt.err"; fail "adopt should exit 2 (adoptions), got $rc"; }
n="$(grep -c '= adopt' "$work/adopt.log")"
[[ $n == 18 ]] || { cat "$work/adopt.log"; fail "expected 18 adoptions (globex and initech, 9 each; acme is adopted), got $n"; }
grep -qF '= adopt aws.lb_listener_rule "globex/web_rule"' "$work/adopt.log" || { cat "$work/adopt.log"; fail "globex's rule not adopted"; }
grep -qF 'found by hostHeader "globex.tenants.example.com")' "$work/adopt.log" || { cat "$work/adopt.log"; fail "globex's rule not found by host"; }
grep -q 'update aws.lb_listener_rule' "$work/adopt.log" "$work/tf.log" && { cat "$work/adopt.log"; fail "an adopted rule is moved"; }
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

echo "== the rules keep the Lambda's priorities, tagged for their tenants"
want="acme 10 acme/web_rule
globex 20 globex/web_rule
initech 30 initech/web_rule"
got="$(rules | grep -E '^(acme|globex|initech) ')"
[[ "$got" == "$want" ]] || fail "rules after adoption: expected
$want
got
$got"
echo "$got" | sed 's/^/   /'

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
got="$(rules | grep -E '^(acme|globex|initech) ')"
[[ "$got" == "acme 10 acme/web_rule
initech 30 initech/web_rule" ]] || fail "destroy of globex left the rules as: $got"

echo "== a rule at a priority the platform state gives another tenant is a clash"
python3 - "$listener" <<'PY'
import sys, boto3
elb = boto3.client("elbv2")
# initech's rule deleted by hand; the Lambda then makes stark's at initech's priority, 30.
rule = [r for r in elb.describe_rules(ListenerArn=sys.argv[1])["Rules"] if r["Priority"] == "30"][0]
elb.delete_rule(RuleArn=rule["RuleArn"])
PY
python3 "$here/signup_lambda.py" --priority 30 stark >/dev/null
refused stark 'stark/web_rule (aws.lb_listener_rule): its priority 30 clashes with another tenant'"'"'s in the platform state'
echo "migrate e2e passed"
