#!/usr/bin/env python3
"""What e2e.sh asks each server about a tenant of the onboarding blueprint, through that server's
own client: boto3 for AWS, Stripe's HTTP API for the customer, psql for PostgreSQL.

    check.py FLEET_DIR present acme globex   # every resource of these tenants exists and is right
    check.py FLEET_DIR absent acme           # nothing of these tenants is left anywhere

Needs AWS_ENDPOINT_URL (moto), LANDLORD_STRIPE_URL and STRIPE_API_KEY (localstripe), and
LANDLORD_PG_PORT and PGPASSWORD (PostgreSQL), as e2e.sh exports them. `present` also reads each
tenant's outputs (`landlord output --tenant ID --json`, written by e2e.sh to FLEET_DIR/out-ID.json
and out-ID-sensitive.json) and checks them against what the servers hold.
"""
import json
import os
import subprocess
import sys
import urllib.request

import boto3
import yaml

fleet, mode, tenants = sys.argv[1], sys.argv[2], sys.argv[3:]
inputs = yaml.safe_load(open(os.path.join(fleet, "platform.yaml")))["inputs"]
domain, zone, cluster, table = inputs["domain"], inputs["hostedZoneId"], inputs["cluster"], inputs["tenantTable"]
problems = []


def expect(ok, what):
    if not ok:
        problems.append(what)
    return ok


def tagmap(tags, key="Key", value="Value"):
    return {t[key]: t[value] for t in tags or []}


def stripe(path):
    req = urllib.request.Request(os.environ["LANDLORD_STRIPE_URL"] + path, headers={"Authorization": "Bearer " + os.environ["STRIPE_API_KEY"]})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


def psql(sql, *args, user="landlord", password=None):
    env = dict(os.environ, PGPASSWORD=password or os.environ["PGPASSWORD"])
    cmd = ["psql", "-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-p", os.environ["LANDLORD_PG_PORT"], "-U", user, "-d", "app", "-v", "ON_ERROR_STOP=1"]
    for i, a in enumerate(args):
        cmd += ["-v", f"a{i}={a}"]
    out = subprocess.run(cmd, input=sql, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"psql as {user}: {out.stderr.strip()}")
    return out.stdout.strip()


elb, ecs, idp = boto3.client("elbv2"), boto3.client("ecs"), boto3.client("cognito-idp")
ci, iam, r53 = boto3.client("cognito-identity"), boto3.client("iam"), boto3.client("route53")
ddb, ses = boto3.client("dynamodb"), boto3.client("sesv2")

# Everything of a tenant on every server, found by tag (landlord:tenant) where the type has
# tags and by its natural key where it has none.
found = {t: {} for t in tenants}


def note(tenant, kind, value):
    if tenant in found:
        found[tenant].setdefault(kind, []).append(value)


tgs = elb.describe_target_groups()["TargetGroups"]
rules = []
for lb in elb.describe_load_balancers()["LoadBalancers"]:
    for listener in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]:
        rules += [r for r in elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"] if not r["IsDefault"]]
arns = [t["TargetGroupArn"] for t in tgs] + [r["RuleArn"] for r in rules]
kinds = {t["TargetGroupArn"]: ("target group", t) for t in tgs} | {r["RuleArn"]: ("listener rule", r) for r in rules}
for i in range(0, len(arns), 20):
    for d in elb.describe_tags(ResourceArns=arns[i:i + 20])["TagDescriptions"]:
        kind, value = kinds[d["ResourceArn"]]
        note(tagmap(d["Tags"]).get("landlord:tenant"), kind, value)
for s in ecs.describe_services(cluster=cluster, services=ecs.list_services(cluster=cluster)["serviceArns"] or ["none"], include=["TAGS"])["services"]:
    if s["status"] == "ACTIVE":
        note(tagmap(s.get("tags"), "key", "value").get("landlord:tenant"), "ecs service", s)
for arn in ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]:
    note(tagmap(ecs.list_tags_for_resource(resourceArn=arn).get("tags"), "key", "value").get("landlord:tenant"), "task definition", arn)
for p in idp.list_user_pools(MaxResults=60)["UserPools"]:
    pool = idp.describe_user_pool(UserPoolId=p["Id"])["UserPool"]
    note(pool.get("UserPoolTags", {}).get("landlord:tenant"), "user pool", pool)
for p in ci.list_identity_pools(MaxResults=60)["IdentityPools"]:
    pool = ci.describe_identity_pool(IdentityPoolId=p["IdentityPoolId"])
    note(pool.get("IdentityPoolTags", {}).get("landlord:tenant"), "identity pool", pool)
for r in iam.list_roles()["Roles"]:
    note(tagmap(iam.list_role_tags(RoleName=r["RoleName"])["Tags"]).get("landlord:tenant"), "iam role", r["RoleName"])
customers, after = [], None
while True:
    page = stripe("/v1/customers?limit=100" + (f"&starting_after={after}" if after else ""))
    customers += page["data"]
    if not page.get("has_more") or not page["data"]:
        break
    after = page["data"][-1]["id"]
for c in customers:
    note((c.get("metadata") or {}).get("landlord:tenant"), "stripe customer", c)
for t in tenants:
    # Not taggable: by natural key.
    pools = [p for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == f"{t}-users"]
    for p in pools:
        for g in idp.list_groups(UserPoolId=p["Id"])["Groups"]:
            note(t, "user group", g)
        for u in idp.list_users(UserPoolId=p["Id"])["Users"]:
            note(t, "user", u)
        for c in idp.list_user_pool_clients(UserPoolId=p["Id"], MaxResults=60)["UserPoolClients"]:
            note(t, "app client", c)
    for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]:
        if r["Name"] == f"{t}.{domain}.":
            note(t, "dns record", r)
    item = ddb.get_item(TableName=table, Key={"pk": {"S": f"tenant#{t}"}}).get("Item")
    if item:
        note(t, "tenant record", item)
    for c in ses.list_contacts(ContactListName=inputs["contactList"])["Contacts"]:
        if c["EmailAddress"] == f"admin@{t}.{domain}":
            note(t, "contact", c)
    # PostgreSQL: the catalogs.
    if psql("SELECT count(*) FROM pg_namespace WHERE nspname = :'a0'", t) != "0":
        note(t, "schema", t)
    for role in (f"{t}_owner", f"{t}_app"):
        if psql("SELECT count(*) FROM pg_roles WHERE rolname = :'a0'", role) != "0":
            note(t, "role", role)
    for what, sql in [("schema privilege", "SELECT count(*) FROM pg_namespace n, aclexplode(n.nspacl) a JOIN pg_roles r ON r.oid = a.grantee WHERE r.rolname = :'a0'"),
                      ("default privilege", "SELECT count(*) FROM pg_default_acl d, aclexplode(d.defaclacl) a JOIN pg_roles r ON r.oid = a.grantee WHERE r.rolname = :'a0'")]:
        if psql(sql, f"{t}_app") != "0":
            note(t, what, f"{t}_app")

if mode == "absent":
    for t in tenants:
        left = [f"{kind} ({len(v)})" for kind, v in sorted(found[t].items())]
        expect(not left, f"{t}: still there after destroy: {', '.join(left)}")
else:
    every = ["target group", "listener rule", "ecs service", "task definition", "user pool", "identity pool", "iam role", "stripe customer",
             "user group", "user", "app client", "dns record", "tenant record", "contact", "schema", "role", "schema privilege", "default privilege"]
    for t in tenants:
        f = found[t]
        missing = [k for k in every if k not in f]
        if not expect(not missing, f"{t}: not found: {', '.join(missing)}"):
            continue
        out = json.load(open(os.path.join(fleet, f"out-{t}.json")))
        secret = json.load(open(os.path.join(fleet, f"out-{t}-sensitive.json")))
        # Outputs against what the servers hold.
        pool = f["user pool"][0]
        expect(out.get("userPoolId") == pool["Id"], f"{t}: output userPoolId {out.get('userPoolId')} is not the pool {pool['Id']}")
        expect(out.get("clientId") == f["app client"][0]["ClientId"], f"{t}: output clientId is not the app client")
        expect(out.get("url") == f"https://{t}.{domain}", f"{t}: output url {out.get('url')}")
        customer = f["stripe customer"][0]
        expect(len(f["stripe customer"]) == 1, f"{t}: {len(f['stripe customer'])} Stripe customers, want 1")
        expect(out.get("stripeCustomerId") == customer["id"], f"{t}: output stripeCustomerId is not the customer {customer['id']}")
        expect(out.get("dbRole") == "(sensitive)" and out.get("dbPassword") == "(sensitive)", f"{t}: dbRole/dbPassword printed without --show-sensitive: {out}")
        expect(secret.get("dbRole") == f"{t}_app", f"{t}: output dbRole with --show-sensitive is {secret.get('dbRole')}")
        # Each resource through its own client.
        expect(customer["email"] == f"admin@{t}.{domain}" and customer["metadata"].get("tenant") == t, f"{t}: Stripe customer {customer}")
        expect(pool["Name"] == f"{t}-users", f"{t}: user pool name {pool['Name']}")
        groups = [g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool["Id"], Username="admin")["Groups"]]
        expect(groups == ["tenant"], f"{t}: admin is in groups {groups}, want [tenant]")
        ip = f["identity pool"][0]
        expect(ip["IdentityPoolName"] == f"{t}_identities" and ip["CognitoIdentityProviders"][0]["ClientId"] == out["clientId"], f"{t}: identity pool {ip}")
        policy = json.dumps(iam.get_role_policy(RoleName=f"t-{t}-isolation", PolicyName="tenant-isolation")["PolicyDocument"])
        expect(f'"tenant#{t}"' in policy and "dynamodb:LeadingKeys" in policy, f"{t}: isolation policy {policy}")
        item = f["tenant record"][0]
        expect(item["stripeCustomerId"]["S"] == customer["id"] and item["userPoolId"]["S"] == pool["Id"], f"{t}: tenant record {item}")
        contact = f["contact"][0]
        expect(contact["TopicPreferences"][0]["SubscriptionStatus"] == "OPT_IN", f"{t}: contact {contact}")
        tg = f["target group"][0]
        rule = f["listener rule"][0]
        expect(rule["Actions"][0]["TargetGroupArn"] == tg["TargetGroupArn"], f"{t}: the listener rule does not forward to t-{t}")
        hosts = [v for c in rule["Conditions"] if c["Field"] == "host-header" for v in c.get("Values", []) + c.get("HostHeaderConfig", {}).get("Values", [])]
        expect(f"{t}.{domain}" in hosts, f"{t}: the listener rule matches hosts {hosts}")
        svc = f["ecs service"][0]
        expect(svc["runningCount"] == svc["desiredCount"] == 1, f"{t}: service running {svc['runningCount']} of {svc['desiredCount']}")
        expect(svc["loadBalancers"][0]["targetGroupArn"] == tg["TargetGroupArn"], f"{t}: service not in its target group")
        owner = psql("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = :'a0'", t)
        expect(owner == f"{t}_owner", f"{t}: schema owner {owner}")
        login = psql("SELECT rolcanlogin FROM pg_roles WHERE rolname = :'a0'", f"{t}_app")
        expect(login == "t", f"{t}: {t}_app cannot log in")
        # The application's role logs in with the password from the outputs and may use its schema, not the other's.
        sql = "SELECT current_user, has_schema_privilege(:'a0', 'USAGE'), has_schema_privilege(:'a0', 'CREATE')"
        got = psql(sql, t, user=f"{t}_app", password=secret["dbPassword"])
        expect(got == f"{t}_app|t|f", f"{t}: as {t}_app with the output password: {got}")
        for other in tenants:
            if other != t:
                got = psql("SELECT has_schema_privilege(:'a0', 'USAGE')", other, user=f"{t}_app", password=secret["dbPassword"])
                expect(got == "f", f"{t}: {t}_app may use schema {other}")
        defaults = psql("SELECT array_to_string(d.defaclacl, ',') FROM pg_default_acl d JOIN pg_namespace n ON n.oid = d.defaclnamespace WHERE n.nspname = :'a0'", t)
        expect(f"{t}_app=arwd/" in defaults, f"{t}: default privileges {defaults}")

for p in problems:
    print(f"e2e FAILED: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"{mode}: {', '.join(f'{t} ({sum(len(v) for v in found[t].values())} things)' for t in tenants)}")
