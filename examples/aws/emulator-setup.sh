#!/usr/bin/env bash
# Creates the platform's shared resources in the AWS endpoint named by AWS_ENDPOINT_URL (a local
# moto_server: scripts/moto.sh start) and writes their ids into platform.yaml beside this script:
# a VPC with two subnets and a security group for tasks, an ALB with an HTTP listener, a hosted zone, an ECS cluster, the
# DynamoDB table for tenant records and the account's one SES contact list. Safe to rerun: existing resources are found and reused.
#
#   scripts/moto.sh start
#   export AWS_ENDPOINT_URL=http://127.0.0.1:5123 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
#   examples/aws/emulator-setup.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ -z "${AWS_ENDPOINT_URL:-}" ]]; then
    echo "error: AWS_ENDPOINT_URL is not set; start moto (scripts/moto.sh start) and export AWS_ENDPOINT_URL=http://127.0.0.1:5123" >&2
    echo "       (this script builds a throwaway platform in an emulator; for a real account write platform.yaml by hand, see README.md)" >&2
    exit 1
fi
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export AWS_REGION="${AWS_REGION:-us-east-1}" AWS_DEFAULT_REGION="${AWS_REGION:-us-east-1}"
if ! python3 -c 'import boto3' 2>/dev/null; then
    echo "error: python3 with boto3 is needed: pip install boto3" >&2
    exit 1
fi

python3 - "$here/platform.yaml" <<'PY'
import os, sys, uuid
import boto3

region = os.environ["AWS_REGION"]
domain = os.environ.get("LANDLORD_EXAMPLE_DOMAIN", "moamalat-pro.com")
cluster = "moamalat-cluster"
table = "moamalat-tenants"
ec2 = boto3.client("ec2", region_name=region)
elb = boto3.client("elbv2", region_name=region)
r53 = boto3.client("route53", region_name=region)
ecs = boto3.client("ecs", region_name=region)
ddb = boto3.client("dynamodb", region_name=region)

vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["landlord-example"]}])["Vpcs"]
if vpcs:
    vpc = vpcs[0]["VpcId"]
else:
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "landlord-example"}])
subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
for i, az in enumerate([region + "a", region + "b"][len(subnets):], start=len(subnets)):
    subnets.append(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"])

groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["landlord-tasks"]}])["SecurityGroups"]
security_group = groups[0]["GroupId"] if groups else ec2.create_security_group(
    GroupName="landlord-tasks", Description="Landlord tenant tasks", VpcId=vpc)["GroupId"]

try:
    lb = elb.describe_load_balancers(Names=["landlord-alb-1"])["LoadBalancers"][0]
except elb.exceptions.LoadBalancerNotFoundException:
    lb = elb.create_load_balancer(Name="landlord-alb-1", Subnets=subnets[:2], Type="application", Scheme="internet-facing")["LoadBalancers"][0]
listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
if listeners:
    listener = listeners[0]["ListenerArn"]
else:
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404"}}])["Listeners"][0]["ListenerArn"]

zones = [z for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == domain + "."]
zone = (zones[0] if zones else r53.create_hosted_zone(Name=domain, CallerReference=str(uuid.uuid4()))["HostedZone"])["Id"].split("/")[-1]

ecs.create_cluster(clusterName=cluster)
if table not in ddb.list_tables()["TableNames"]:
    ddb.create_table(TableName=table, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")

table_arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
contact_list = "moamalat-contacts"
ses = boto3.client("sesv2", region_name=region)
if contact_list not in [c["ContactListName"] for c in ses.list_contact_lists()["ContactLists"]]:
    ses.create_contact_list(ContactListName=contact_list, Description="Every tenant's contacts",
                            Topics=[{"TopicName": "product-news", "DisplayName": "Product news", "DefaultSubscriptionStatus": "OPT_OUT"}])

subnet_list = ", ".join(subnets[:2])
with open(sys.argv[1], "w") as f:
    f.write(f"""# Written by emulator-setup.sh against {os.environ['AWS_ENDPOINT_URL']}: the shared resources
# every tenant of the web blueprint sits on. For a real account, put your own ids here.
apiVersion: landlord/v1
kind: Platform
name: moamalat
provider: {{aws: {{region: {region}, subnets: [{subnet_list}], securityGroups: [{security_group}]}}}}
state: {{backend: local}}
inputs:
  domain: {domain}
  hostedZoneId: {zone}
  vpcId: {vpc}
  cluster: {cluster}
  tenantTable: {table}
  tenantTableArn: {table_arn}
  contactList: {contact_list}
  listeners:
    - arn: {listener}
      dnsName: {lb['DNSName']}
""")
print(f"platform ready: vpc {vpc}, subnets {subnet_list}, security group {security_group}, listener {listener}, zone {zone}, cluster {cluster}, table {table}, contact list {contact_list}")
print(f"wrote {sys.argv[1]}")
PY
