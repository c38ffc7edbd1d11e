#!/usr/bin/env bash
# Makes the S3 bucket this fleet keeps its state in, in the endpoint AWS_ENDPOINT_URL names (a
# local moto_server), with versioning on (the S3 backend's backup: a damaged document is restored
# from an earlier version), and writes the bucket's name into platform.yaml beside this script.
# Safe to rerun: an existing bucket is reused.
#
#   scripts/moto.sh start                                   # moto_server on 127.0.0.1:5123
#   export AWS_ENDPOINT_URL=http://127.0.0.1:5123 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
#   examples/s3-state/moto-setup.sh [BUCKET]                # default landlord-state
#   landlord -C examples/s3-state apply --auto-approve
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bucket="${1:-landlord-state}"
if [[ -z "${AWS_ENDPOINT_URL:-}" ]]; then
    echo "error: AWS_ENDPOINT_URL is not set; start moto (scripts/moto.sh start) and export AWS_ENDPOINT_URL=http://127.0.0.1:5123" >&2
    echo "       (for a real account, make a versioned bucket yourself and name it in platform.yaml's state:)" >&2
    exit 1
fi
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
if ! python3 -c 'import boto3' 2>/dev/null; then
    echo "error: python3 with boto3 is needed: pip install boto3" >&2
    exit 1
fi
python3 - "$bucket" <<'PY'
import os, sys
import boto3

bucket = sys.argv[1]
s3 = boto3.client("s3", region_name=os.environ["AWS_REGION"], endpoint_url=os.environ["AWS_ENDPOINT_URL"])
if bucket not in [b["Name"] for b in s3.list_buckets().get("Buckets", [])]:
    s3.create_bucket(Bucket=bucket)
s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
print(f"bucket {bucket} ready (versioned) at {os.environ['AWS_ENDPOINT_URL']}")
PY
sed -i "s/^state: {backend: s3, bucket: [^,]*,/state: {backend: s3, bucket: $bucket,/" "$here/platform.yaml"
echo "wrote $here/platform.yaml (state in s3://$bucket/s3-demo)"
