#!/usr/bin/env bash
# Requests a no-change plan with S3 state makes, from a machine with no local state (a fresh CI
# runner), counted by moto's recorder. For each N: N tenants of the quickstart blueprint
# (scripts/bench_fleet.py), applied with local state, moved into a fresh moto bucket with
# `state migrate`, then `plan --refresh=false` with state in the bucket and no .landlord/state.
# With OTHER_BIN, the same plan is made with that binary too (an older build: "before").
# Figures only.
#
#   scripts/moto.sh start   (MOTO_PORT=...; it sets the recorder's file)
#   AWS_ENDPOINT_URL=http://127.0.0.1:5123 scripts/bench-s3-requests.sh 1000
#   OTHER_BIN=/path/to/old/landlord AWS_ENDPOINT_URL=... scripts/bench-s3-requests.sh 1000 5000
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=("${@:-1000}")
BIN="${LANDLORD_BIN:-$ROOT/.build/release/landlord}"
: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to a moto_server started with scripts/moto.sh}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}" AWS_REGION="${AWS_REGION:-us-east-1}"
export LANDLORD_STATE_FSYNC=0
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
rec() { curl -fsS -X "${2:-POST}" "$AWS_ENDPOINT_URL/moto-api/recorder/$1"; }

# count BIN FLEET: runs a no-change plan, prints the requests moto answered, by kind.
count() {
  rec reset-recording >/dev/null; rec start-recording >/dev/null
  local t0 t1 code
  t0=$(date +%s.%N)
  set +e
  "$1" -C "$2" plan --refresh=false --detailed-exitcode > "$WORK/out.txt" 2> "$WORK/err.txt"
  code=$?
  set -e
  t1=$(date +%s.%N)
  rec stop-recording >/dev/null
  rec download-recording GET > "$WORK/rec.jsonl"
  rec reset-recording >/dev/null
  python3 - "$WORK/rec.jsonl" "$code" "$(echo "$t1 - $t0" | bc)" <<'PY'
import json, sys, collections, urllib.parse
kinds = collections.Counter()
for line in open(sys.argv[1]):
    m = json.loads(line)
    u = urllib.parse.urlparse(m["url"])
    kind = "LIST" if "list-type" in u.query else m["method"] + (" snapshot" if u.path.endswith("snapshot.bin") else " platform" if u.path.endswith("platform.json") else " tenant" if "/tenants/" in u.path else "")
    kinds[kind] += 1
print(f"{sum(kinds.values()):6d} requests  ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}); plan exit {sys.argv[2]}, {float(sys.argv[3]):.2f} s")
PY
}

for N in "${SIZES[@]}"; do
  F="$WORK/fleet-$N"
  python3 scripts/bench_fleet.py landlord "$F" "$N"
  "$BIN" -C "$F" apply --auto-approve --parallelism 100 --refresh=false > "$WORK/apply.txt" 2>&1 || { tail -5 "$WORK/apply.txt"; exit 1; }
  BUCKET="landlord-bench-$(date +%s%N | tail -c 10)"
  curl -fsS -X PUT "$AWS_ENDPOINT_URL/$BUCKET" > /dev/null
  "$BIN" -C "$F" state migrate --to s3 --bucket "$BUCKET" --prefix fleet > "$WORK/migrate.txt" 2>&1 || { tail -5 "$WORK/migrate.txt"; exit 1; }
  sed -i "s/state: {backend: local}/state: {backend: s3, bucket: $BUCKET, prefix: fleet}/" "$F/platform.yaml"
  mv "$F/.landlord/state" "$F/local-state"
  printf "N=%-6s %-10s " "$N" "this"
  count "$BIN" "$F"
  if [ -n "${OTHER_BIN:-}" ]; then
    printf "N=%-6s %-10s " "$N" "OTHER_BIN"
    count "$OTHER_BIN" "$F"
  fi
done
