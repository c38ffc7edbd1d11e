#!/usr/bin/env python3
"""What the sign-up Lambda did before Landlord: for each tenant id given, a Cognito user pool
(ID-users), app client (ID-web), identity pool (ID_identities), `tenant` group and admin user in
it, the tenant's record in the tenants table, a target group (t-ID-web), a listener rule
forwarding ID.tenants.example.com to it (at the next free priority, counting by 10) and a CNAME
(ID.tenants.example.com), all untagged. The first run also makes what the platform owns (the
hosted zone, the VPC and its subnets, the load balancer and its HTTP listener, the tenants
table). Prints {"hostedZoneId", "vpcId", "listenerArn", "albDnsName"} for platform.yaml.

    python3 examples/migrate/signup_lambda.py acme globex initech
    python3 examples/migrate/signup_lambda.py --plan pro acme      # the record's plan attribute
    python3 examples/migrate/signup_lambda.py --priority 30 acme   # the rule's priority
"""
import argparse
import json

import boto3

DOMAIN = "tenants.example.com"
TABLE = "signup-tenants"
ALB = "alb-signup-1.us-east-1.elb.amazonaws.com"


def platform():
    r53, ec2, ddb = boto3.client("route53"), boto3.client("ec2"), boto3.client("dynamodb")
    zones = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == DOMAIN + "."]
    zone = zones[0]["Id"] if zones else r53.create_hosted_zone(Name=DOMAIN, CallerReference="signup")["HostedZone"]["Id"]
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.42.0.0/16"]}])["Vpcs"]
    vpc = vpcs[0]["VpcId"] if vpcs else ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    elb = boto3.client("elbv2")
    lbs = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] == "alb-signup-1"]
    if not lbs:
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
                   for i, az in ((1, "a"), (2, "b"))]
        lbs = elb.create_load_balancer(Name="alb-signup-1", Subnets=subnets, Type="application", Scheme="internet-facing")["LoadBalancers"]
    lb = lbs[0]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    listener = listeners[0]["ListenerArn"] if listeners else elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]
    if TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    return zone.split("/")[-1], vpc, listener, lb["DNSName"]


def sign_up(tenant, zone, vpc, listener, plan, priority=None):
    idp, ident = boto3.client("cognito-idp"), boto3.client("cognito-identity")
    pool = idp.create_user_pool(PoolName=f"{tenant}-users")["UserPool"]["Id"]
    client = idp.create_user_pool_client(UserPoolId=pool, ClientName=f"{tenant}-web")["UserPoolClient"]["ClientId"]
    region = boto3.session.Session().region_name or "us-east-1"
    ident.create_identity_pool(
        IdentityPoolName=f"{tenant}_identities", AllowUnauthenticatedIdentities=False,
        CognitoIdentityProviders=[{"ProviderName": f"cognito-idp.{region}.amazonaws.com/{pool}", "ClientId": client}])
    idp.create_group(UserPoolId=pool, GroupName="tenant", Description="Tenant administrators")
    idp.admin_create_user(
        UserPoolId=pool, Username="admin", MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"admin@{tenant}.example"}])
    idp.admin_add_user_to_group(UserPoolId=pool, Username="admin", GroupName="tenant")
    boto3.client("dynamodb").put_item(
        TableName=TABLE, Item={"pk": {"S": f"tenant#{tenant}"}, "plan": {"S": plan}, "status": {"S": "active"}})
    elb = boto3.client("elbv2")
    tg = elb.create_target_group(
        Name=f"t-{tenant}-web", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip", HealthCheckPath="/health")["TargetGroups"][0]
    taken = [int(r["Priority"]) for r in elb.describe_rules(ListenerArn=listener)["Rules"] if r["Priority"] != "default"]
    elb.create_rule(
        ListenerArn=listener, Priority=priority or max(taken, default=0) + 10,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [f"{tenant}.{DOMAIN}"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    boto3.client("route53").change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": f"{tenant}.{DOMAIN}", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": ALB}]}}]})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", default="free")
    ap.add_argument("--priority", type=int, help="the listener rule's priority (default: the highest taken + 10)")
    ap.add_argument("tenants", nargs="+")
    args = ap.parse_args()
    zone, vpc, listener, dns = platform()
    for t in args.tenants:
        sign_up(t, zone, vpc, listener, args.plan, args.priority)
    print(json.dumps({"hostedZoneId": zone, "vpcId": vpc, "listenerArn": listener, "albDnsName": dns}))


if __name__ == "__main__":
    main()
