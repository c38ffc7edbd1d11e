#!/usr/bin/env bash
# A refreshing plan of N tenants (default 40) of examples/aws against a local moto_server:
# applies the fleet once (--refresh=false), then times `plan` (which refreshes every recorded
# resource) and counts the HTTP requests moto answered during it (from moto's request log), so
# the figure does not depend on Landlord's own counting. Figures only: nothing fails on time.
#
#   MOTO_PORT=5218 scripts/moto.sh start
#   export AWS_ENDPOINT_URL=http://127.0.0.1:5218 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
#   MOTO_LOG=/tmp/landlord-moto-5218/moto.log scripts/bench-aws-refresh.sh [N] [path/to/landlord]
#
# It resets the emulator first (POST /moto-api/reset), so it refuses an endpoint that is not local.
# scripts/bench.sh runs it when BENCH_AWS_TENANTS is set.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N="${1:-40}"
BIN="${2:-${LANDLORD_BIN:-$ROOT/.build/release/landlord}}"
[[ -x "$BIN" ]] || { echo "error: no landlord binary at $BIN; build it (swift build -c release --product landlord) or pass its path" >&2; exit 1; }
case "${AWS_ENDPOINT_URL:-}" in
    http://127.0.0.1:*|http://localhost:*) ;;
    *) echo "error: AWS_ENDPOINT_URL must name a local moto_server (http://127.0.0.1:PORT, see scripts/moto.sh); this script resets it" >&2; exit 1 ;;
esac
PORT="${AWS_ENDPOINT_URL##*:}"
LOG="${MOTO_LOG:-${TMPDIR:-/tmp}/landlord-moto-$PORT/moto.log}"
[[ -f "$LOG" ]] || { echo "error: no moto request log at $LOG; start moto with scripts/moto.sh or set MOTO_LOG" >&2; exit 1; }
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}" AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"

curl -fsS -X POST -H 'Content-Type: text/plain' "$AWS_ENDPOINT_URL/moto-api/reset" >/dev/null
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
EXAMPLE="${BENCH_AWS_EXAMPLE:-examples/aws}"   # another copy of the example (e.g. an older revision's)
cp -r "$EXAMPLE/platform.yaml" "$EXAMPLE/blueprints" "$EXAMPLE/emulator-setup.sh" "$WORK/"
mkdir "$WORK/tenants"
"$WORK/emulator-setup.sh" >/dev/null
for i in $(seq 1 "$N"); do
    id=$(printf 't%03d' "$i")
    printf 'apiVersion: landlord/v1\nkind: Tenant\nid: %s\nblueprint: web\nparameters: {subdomain: %s, backendImage: "registry.example.com/backend:1.4.2"}\n' "$id" "$id" >"$WORK/tenants/$id.yaml"
done
requests() { grep -cE '" [0-9]{3} ' "$LOG" || true; }

"$BIN" -C "$WORK" apply --auto-approve --refresh=false >"$WORK/apply.log" 2>&1 || { tail -20 "$WORK/apply.log"; echo "error: apply failed" >&2; exit 1; }
before=$(requests)
set +e
/usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$BIN" -C "$WORK" plan --detailed-exitcode >"$WORK/plan.log" 2>"$WORK/plan.err"
code=$?
set -e
after=$(requests)
read -r SECS KB < <(tail -1 "$WORK/time.txt")
resources=$(python3 -c 'import json,glob; print(sum(len(json.load(open(p)).get("resources", {})) for p in glob.glob("'"$WORK"'/.landlord/state/tenants/*.json")))' 2>/dev/null || echo "?")
printf "N=%-6s %-22s %8.2f s %8.0f MB  (exit %s)  %s requests to moto for %s recorded resources\n" \
    "$N" "plan (refresh, moto)" "$SECS" "$((KB / 1024))" "$code" "$((after - before))" "$resources"
python3 -c 'import sys; r, c, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]); print(f"          {r/max(c,1):.1f} resources per request; {r/n:.0f} resources a tenant; {2*n} listener rules on 1 listener; {2*n+2} records in 1 hosted zone")' "$resources" "$((after - before))" "$N" 2>/dev/null || true
# What the plan printed about its refresh (calls per API), when it prints it.
grep -A20 '^Refreshed' "$WORK/plan.err" | sed 's/^/          /' || true
[[ $code == 0 ]] || { tail -30 "$WORK/plan.log" "$WORK/plan.err"; echo "error: expected no changes after apply (exit $code)" >&2; exit 1; }
