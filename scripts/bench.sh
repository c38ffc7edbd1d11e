#!/usr/bin/env bash
# Landlord's fleet benchmark: for each N, generate N tenants of the quickstart blueprint (14
# resources each) in a temp dir and time, with peak RSS, one line per step:
#   apply       plan the new fleet, then create it (mock provider, no latency); prints both
#               peaks of memory (the apply reads its plan back a segment at a time)
#   plan        no changes (state only, --refresh=false), and with a refresh of every resource;
#               then one tenant's refreshing plan (mostly the mock loading its whole cloud) and
#               the size of the simulated cloud's files
#               (the state-only and refreshing plans run with LANDLORD_PLAN_CACHE=0, as before
#               the plan cache existed)
#   plan-1%     1% of the tenants' backend image changed: reports exactly the changed resources
#   apply-lat   fleets of BENCH_LAT_TENANTS (default "100 1000") with
#               LANDLORD_MOCK_LATENCY_MS=BENCH_LATENCY_MS and --parallelism BENCH_PARALLELISM,
#               against the critical-path bound
#   destroy     every tenant file removed, applied
#   plugin      BENCH_PLUGIN_CALLS (default 10000) creates (one resource per tenant) through
#               the in-process mock and through a plugin that answers at once; prints the
#               difference (the protocol's overhead; target: under 2 s more)
#   json codec  decoding and encoding BENCH_JSON_TENANTS (default 1000) tenant state documents
#               with the hand-written codec vs JSONSerialization and JSONDecoder/JSONEncoder
#               (scripts/bench-json.sh; BENCH_JSON=0 skips it)
#   pooled      issue 16's shape: the same N tenants on ceil(N/50)+1 listeners of AWS's default
#               100 rules (bench_fleet.py --per-listener 50), resources per listener printed;
#               no-change plans without the plan cache, with it cold (its first plan) and warm,
#               with a refresh, and with 1% changed (BENCH_POOLED=0 skips it)
# Where terraform is on the PATH (and N <= TERRAFORM_MAX), the same fleet shape as
# terraform_data resources is applied and planned, and the ratio printed. Figures only: no
# step fails on time.
#
#   scripts/bench.sh 1000 5000 10000 20000     the curve
#   BENCH_SMOKE=1 scripts/bench.sh 50           what CI runs
# With BENCH_AWS_TENANTS=N and AWS_ENDPOINT_URL naming a local moto_server, it first runs
# scripts/bench-aws-refresh.sh N: a refreshing plan of N tenants of examples/aws against moto,
# its time and the requests moto answered (per API as the plan reports them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=("${@:-1000}")
BIN="${LANDLORD_BIN:-$ROOT/.build/release/landlord}"
PAR="${BENCH_PARALLELISM:-100}"
LAT="${BENCH_LATENCY_MS:-50}"
read -r -a LAT_TENANTS <<< "${BENCH_LAT_TENANTS:-100 1000}"
TF_MAX="${TERRAFORM_MAX:-200}"
TF_BUDGET="${TERRAFORM_BUDGET_S:-600}"
if [ ! -x "$BIN" ]; then
  echo "building $BIN (release)..." >&2
  swift build -c release --product landlord >&2
fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export LANDLORD_STATE_FSYNC="${LANDLORD_STATE_FSYNC:-1}"

# run LABEL N CMD...: prints "N=... LABEL  S s  RSS MB", keeps seconds in $SECS.
run() {
  local label=$1 n=$2; shift 2
  local t="$WORK/time.txt"
  set +e
  /usr/bin/time -f "%e %M" -o "$t" "$@" > "$WORK/out.txt" 2> "$WORK/err.txt"
  local code=$?
  set -e
  read -r SECS KB < <(tail -1 "$t")
  printf "N=%-6s %-22s %8.2f s %8.0f MB  (exit %s)\n" "$n" "$label" "$SECS" "$((KB / 1024))" "$code"
  LAST_CODE=$code
}

if [ -n "${BENCH_AWS_TENANTS:-}" ]; then
  scripts/bench-aws-refresh.sh "$BENCH_AWS_TENANTS" "$BIN"
fi

for N in "${SIZES[@]}"; do
  F="$WORK/fleet-$N"
  python3 scripts/bench_fleet.py landlord "$F" "$N"
  run "plan (new fleet)" "$N" "$BIN" -C "$F" plan --refresh=false
  PLAN_NEW_MB=$((KB / 1024))
  run "apply (create)" "$N" "$BIN" -C "$F" apply --auto-approve --parallelism "$PAR" --refresh=false
  APPLY_S=$SECS
  [ "$LAST_CODE" = 0 ] || { echo "apply failed:"; tail -5 "$WORK/err.txt"; exit 1; }
  echo "          apply memory: $((KB / 1024)) MB peak, planning alone $PLAN_NEW_MB MB (issue 16 target 3: apply under 600 MB at N=20000, the mock's cloud included)"
  run "plan (no change)" "$N" env LANDLORD_PLAN_CACHE=0 "$BIN" -C "$F" plan --refresh=false --detailed-exitcode
  PLAN_S=$SECS
  [ "$LAST_CODE" = 0 ] || { echo "expected no changes"; tail -5 "$WORK/out.txt"; exit 1; }
  run "plan (refresh)" "$N" env LANDLORD_PLAN_CACHE=0 "$BIN" -C "$F" plan --detailed-exitcode
  # One tenant's refreshing plan: the mock loads the whole simulated cloud, so this is mostly
  # what holding the cloud costs (its file size beside it).
  run "plan (1 tenant, refresh)" "$N" "$BIN" -C "$F" plan --tenant t00000 --detailed-exitcode
  CLOUD_BYTES=$(( $(stat -c %s "$F/.landlord/mock-cloud.json" 2>/dev/null || echo 0) + $(stat -c %s "$F/.landlord/mock-cloud.json.journal" 2>/dev/null || echo 0) ))
  echo "          simulated cloud: $((N * 14)) resources, $((CLOUD_BYTES / 1048576)) MB of files (mock-cloud.json and its journal)"
  CHANGED=$(python3 scripts/bench_fleet.py change "$F" 1)
  run "plan (1% changed)" "$N" env LANDLORD_PLAN_CACHE=0 "$BIN" -C "$F" plan --refresh=false --detailed-exitcode --format json
  SUMMARY=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["create"], s["update"], s["replace"], s["delete"])' "$WORK/out.txt")
  echo "          1% = $CHANGED tenants changed; plan: create/update/replace/delete = $SUMMARY (expected 0 $CHANGED $CHANGED 0)"
  rm -f "$F"/tenants/*.yaml
  run "destroy (all removed)" "$N" "$BIN" -C "$F" apply --auto-approve --parallelism "$PAR" --refresh=false
  rm -rf "$F"

  if command -v terraform >/dev/null 2>&1 && [ "${BENCH_TERRAFORM:-1}" = 1 ]; then
    if [ "$N" -le "$TF_MAX" ]; then
      T="$WORK/tf-$N"
      python3 scripts/bench_fleet.py terraform "$T" "$N" > /dev/null
      (cd "$T" && terraform init -input=false > /dev/null 2>&1)
      run "terraform apply" "$N" timeout "$TF_BUDGET" terraform -chdir="$T" apply -auto-approve -input=false -parallelism="$PAR"
      TF_APPLY=$SECS
      run "terraform plan" "$N" timeout "$TF_BUDGET" terraform -chdir="$T" plan -input=false -refresh=false -parallelism="$PAR"
      TF_PLAN=$SECS
      python3 -c 'import sys; a,b,c,d=map(float,sys.argv[1:]); print(f"          vs terraform: apply {a:.2f} s vs {b:.2f} s ({b/max(a,0.001):.0f}x), plan {c:.2f} s vs {d:.2f} s ({d/max(c,0.001):.0f}x)")' "$APPLY_S" "$TF_APPLY" "$PLAN_S" "$TF_PLAN"
      rm -rf "$T"
    else
      echo "          terraform skipped at N=$N (above TERRAFORM_MAX=$TF_MAX: it does not finish in reasonable time)"
    fi
  else
    echo "          terraform not on the PATH (or BENCH_TERRAFORM=0): no comparison"
  fi
done

# Issue 16's shape: one listener per 50 tenants. The plan cache's figures beside the plans
# without it (the cache is .landlord/cache/plan-cache; LANDLORD_PLAN_CACHE=0 turns it off).
if [ "${BENCH_POOLED:-1}" = 1 ]; then
  for N in "${SIZES[@]}"; do
    F="$WORK/pooled-$N"
    python3 scripts/bench_fleet.py landlord "$F" "$N" --per-listener 50
    LISTENERS=$(( (N + 49) / 50 + 1 ))
    run "apply (pooled)" "$N" "$BIN" -C "$F" apply --auto-approve --parallelism "$PAR" --refresh=false
    [ "$LAST_CODE" = 0 ] || { echo "apply failed:"; tail -5 "$WORK/err.txt"; exit 1; }
    RESOURCES=$((N * 14))
    echo "          $RESOURCES resources on $LISTENERS listeners: $((RESOURCES / LISTENERS)) resources ($((2 * N / LISTENERS)) rules) per listener"
    sleep 2  # the plan cache trusts a state document's file times only once they are 2 s old
    run "plan (no cache)" "$N" env LANDLORD_PLAN_CACHE=0 "$BIN" -C "$F" plan --refresh=false --detailed-exitcode
    [ "$LAST_CODE" = 0 ] || { echo "expected no changes"; tail -5 "$WORK/out.txt"; exit 1; }
    run "plan (cache cold)" "$N" "$BIN" -C "$F" plan --refresh=false --detailed-exitcode
    run "plan (cache warm)" "$N" "$BIN" -C "$F" plan --refresh=false --detailed-exitcode
    [ "$LAST_CODE" = 0 ] || { echo "expected no changes"; tail -5 "$WORK/out.txt"; exit 1; }
    run "refresh (no cache)" "$N" env LANDLORD_PLAN_CACHE=0 "$BIN" -C "$F" plan --detailed-exitcode
    run "refresh (cache)" "$N" "$BIN" -C "$F" plan --detailed-exitcode
    [ "$LAST_CODE" = 0 ] || { echo "expected no changes"; tail -5 "$WORK/out.txt"; exit 1; }
    CHANGED=$(python3 scripts/bench_fleet.py change "$F" 1)
    run "plan (1%, cache)" "$N" "$BIN" -C "$F" plan --refresh=false --detailed-exitcode --format json
    SUMMARY=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["create"], s["update"], s["replace"], s["delete"])' "$WORK/out.txt")
    echo "          1% = $CHANGED tenants changed; plan: create/update/replace/delete = $SUMMARY (expected 0 $CHANGED $CHANGED 0)"
    rm -rf "$F"
  done
fi

# Apply with latency against the critical-path bound.
for LN in "${LAT_TENANTS[@]}"; do
  F="$WORK/lat-$LN"
  python3 scripts/bench_fleet.py landlord "$F" "$LN"
  run "apply (${LAT}ms, P=$PAR)" "$LN" env LANDLORD_MOCK_LATENCY_MS="$LAT" "$BIN" -C "$F" apply --auto-approve --parallelism "$PAR" --refresh=false
  # Provider calls: one per resource, plus one readiness wait per ECS service (2 per tenant).
  # Longest dependency chain: backend_task -> backend (+wait) -> frontend (+wait) -> ... = 5
  # calls. The bound counts every Route53 record as a call; the apply sends a zone's records
  # in batches, which is how it can come in under the bound.
  python3 - "$SECS" "$LN" "$LAT" "$PAR" <<'PY'
import sys
secs, n, lat, par = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000, int(sys.argv[4])
calls = n * (14 + 2)
bound = max(calls * lat / par, 5 * lat)
print(f"          {calls} provider calls x {lat*1000:.0f} ms / P={par}: bound {bound:.2f} s; measured {secs:.2f} s = {secs/bound:.2f}x the bound (whole command: startup, plan, locks, state)")
PY
  rm -rf "$F"
done

# Plugin overhead: the same number of create calls through the mock and through a plugin.
PC="${BENCH_PLUGIN_CALLS:-10000}"
for KIND in mock plugin; do
  F="$WORK/plugin-$KIND"
  python3 scripts/bench_plugin.py "$F" "$PC" "$KIND"
  run "creates via $KIND" "$PC" "$BIN" -C "$F" apply --auto-approve --parallelism "$PAR" --refresh=false
  [ "$LAST_CODE" = 0 ] || { echo "apply through $KIND failed:"; tail -5 "$WORK/err.txt"; exit 1; }
  if [ "$KIND" = mock ]; then MOCK_S=$SECS; else PLUGIN_S=$SECS; fi
  rm -rf "$F"
done
python3 -c 'import sys; m,p=map(float,sys.argv[1:3]); print(f"          {sys.argv[3]} creates: plugin {p:.2f} s vs in-process mock {m:.2f} s: {p-m:+.2f} s (target: under +2 s)")' "$MOCK_S" "$PLUGIN_S" "$PC"
# The JSON codec against Foundation's, on a realistic fleet state (why the hand codec stays).
if [ "${BENCH_JSON:-1}" = 1 ]; then
  echo "json codec (scripts/bench-json.sh '' ${BENCH_JSON_TENANTS:-1000} 1):"
  scripts/bench-json.sh "" "${BENCH_JSON_TENANTS:-1000}" 1 | sed 's/^/          /'
fi
