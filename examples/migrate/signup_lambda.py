#!/usr/bin/env python3
"""What the sign-up Lambda did before Landlord: for each tenant id given, a Cognito user pool
(ID-users), app client (ID-web), identity pool (ID_identities), `tenant` group and admin user in
it, the tenant's record in the tenants table, a target group (t-ID-web) and a CNAME
(ID.tenants.example.com), all untagged. The first run also makes what the platform owns (the
hosted zone, the VPC, the tenants table). Prints {"hostedZoneId", "vpcId"} for platform.yaml.

    python3 examples/migrate/signup_lambda.py acme globex initech
    python3 examples/migrate/signup_lambda.py --plan pro acme      # the record's plan attribute
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
    if TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    return zone.split("/")[-1], vpc


def sign_up(tenant, zone, vpc, plan):
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
    boto3.client("elbv2").create_target_group(
        Name=f"t-{tenant}-web", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip", HealthCheckPath="/health")
    boto3.client("route53").change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": {
            "Name": f"{tenant}.{DOMAIN}", "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": ALB}]}}]})


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plan", default="free")
    ap.add_argument("tenants", nargs="+")
    args = ap.parse_args()
    zone, vpc = platform()
    for t in args.tenants:
        sign_up(t, zone, vpc, args.plan)
    print(json.dumps({"hostedZoneId": zone, "vpcId": vpc}))


if __name__ == "__main__":
    main()
