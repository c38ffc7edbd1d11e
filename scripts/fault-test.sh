#!/usr/bin/env bash
# Applies and then destroys a fleet (the quickstart blueprint, mock provider) with S3 state
# through scripts/fault_proxy.py in front of moto_server, rerunning each until it succeeds; then,
# with no faults, checks what the issue-31 test asks: a no-change plan, the simulated cloud equal
# to state (no duplicate, no orphan), no lock left, no run past its deadline, no crash. Prints
# the fault counts and the runs each phase took. Exits 1 when a check fails.
#
#   scripts/moto.sh start   (or: scripts/test.sh starts it)
#   AWS_ENDPOINT_URL=http://127.0.0.1:5123 scripts/fault-test.sh [TENANTS] [SEED ...]
#
# TENANTS defaults to 20, SEED to 31. LANDLORD_BIN (default .build/debug/landlord),
# FAULT_RUN_DEADLINE (seconds a run may take before it counts as hung and is killed; default
# 180), FAULT_MAX_RUNS (per phase; default 15), FAULT_RATES (fault_proxy.py options; default
# "--error 0.10 --slow 0.05 --drop 0.05 --reset 0.03 --slow-seconds 1"). Runs use short HTTP
# deadlines (LANDLORD_HTTP_STALL_TIMEOUT=5, LANDLORD_HTTP_TIMEOUT=30) so faults resolve fast.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
TENANTS="${1:-20}"
shift || true
SEEDS=("${@:-31}")
BIN="${LANDLORD_BIN:-$ROOT/.build/debug/landlord}"
DEADLINE="${FAULT_RUN_DEADLINE:-180}"
MAX_RUNS="${FAULT_MAX_RUNS:-15}"
read -r -a RATES <<<"${FAULT_RATES:---error 0.10 --slow 0.05 --drop 0.05 --reset 0.03 --slow-seconds 1}"
: "${AWS_ENDPOINT_URL:?set AWS_ENDPOINT_URL to a moto_server started with scripts/moto.sh}"
[ -x "$BIN" ] || { echo "error: $BIN not found; build it (swift build --product landlord) or set LANDLORD_BIN" >&2; exit 1; }
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}" AWS_REGION="${AWS_REGION:-us-east-1}"
export LANDLORD_STATE_FSYNC=0 LANDLORD_HTTP_STALL_TIMEOUT="${LANDLORD_HTTP_STALL_TIMEOUT:-5}" LANDLORD_HTTP_TIMEOUT="${LANDLORD_HTTP_TIMEOUT:-30}"
MOTO="$AWS_ENDPOINT_URL"
# Sole use of moto while it runs: the Swift suites that reset moto take the same lock
# (Tests/TestSupport/MotoExclusive.swift).
exec 9>"${TMPDIR:-/tmp}/landlord-moto-$(sed 's/[^[:alnum:]]/-/g' <<<"$MOTO").lock"
flock 9
WORK="$(mktemp -d)"
PROXY_PID=""
cleanup() {
    if [ -n "$PROXY_PID" ]; then kill "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
failed=0

# runs PHASE FLEET: `apply --auto-approve` through the proxy until it exits 0, each run killed
# at the deadline. Sets RUNS, LONGEST; records a hung or crashed run as a failure.
runs() {
    local phase="$1" fleet="$2" code start end took
    RUNS=0
    LONGEST=0
    while [ "$RUNS" -lt "$MAX_RUNS" ]; do
        RUNS=$((RUNS + 1))
        start=$(date +%s.%N)
        set +e
        AWS_ENDPOINT_URL="$PROXY" timeout -s KILL "$DEADLINE" "$BIN" -C "$fleet" apply --auto-approve --lock-timeout 10 \
            >"$WORK/$phase-$RUNS.txt" 2>&1
        code=$?
        set -e
        end=$(date +%s.%N)
        took=$(python3 -c "print(f'{$end - $start:.1f}')")
        LONGEST=$(python3 -c "print(max($LONGEST, $took))")
        echo "  $phase run $RUNS: exit $code after $took s$( [ "$code" = 0 ] || echo "; $(grep -m1 -E 'error|Error' "$WORK/$phase-$RUNS.txt" | cut -c1-160)")"
        if [ "$code" = 137 ]; then
            echo "FAIL: $phase run $RUNS ran past its ${DEADLINE}s deadline and was killed (a hang)"; failed=1
        elif [ "$code" -ge 128 ]; then
            echo "FAIL: $phase run $RUNS crashed (exit $code)"; tail -5 "$WORK/$phase-$RUNS.txt"; failed=1
        fi
        [ "$code" = 0 ] && return 0
    done
    echo "FAIL: $phase did not succeed in $MAX_RUNS runs"; failed=1
}

# check PHASE FLEET: without faults, a no-change plan and the cloud against state.
check() {
    local phase="$1" fleet="$2" code
    set +e
    AWS_ENDPOINT_URL="$MOTO" "$BIN" -C "$fleet" plan --detailed-exitcode >"$WORK/$phase-plan.txt" 2>&1
    code=$?
    set -e
    if [ "$code" = 0 ]; then echo "  $phase: no-change plan"; else
        echo "FAIL: $phase: plan without faults exited $code, expected 0 (no changes)"; tail -5 "$WORK/$phase-plan.txt"; failed=1
    fi
    AWS_ENDPOINT_URL="$MOTO" "$BIN" -C "$fleet" state list >"$WORK/$phase-list.txt" 2>"$WORK/$phase-list.err" || true
    python3 scripts/fault_check.py "$fleet" "$WORK/$phase-list.txt" "$MOTO" "$BUCKET" fleet | sed 's/^/  /' || failed=1
}

for SEED in "${SEEDS[@]}"; do
    F="$WORK/fleet-$SEED"
    python3 scripts/bench_fleet.py landlord "$F" "$TENANTS"
    BUCKET="landlord-faults-$SEED-$(date +%s%N | tail -c 8)"
    curl -fsS -X PUT "$MOTO/$BUCKET" >/dev/null
    sed -i "s/state: {backend: local}/state: {backend: s3, bucket: $BUCKET, prefix: fleet}/" "$F/platform.yaml"
    PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    PROXY="http://127.0.0.1:$PORT"
    python3 scripts/fault_proxy.py --port "$PORT" --upstream "${MOTO#http://}" --seed "$SEED" "${RATES[@]}" \
        --stats "$WORK/faults-$SEED.json" 2>"$WORK/proxy-$SEED.log" &
    PROXY_PID=$!
    for _ in $(seq 1 50); do curl -fsS -o /dev/null "$PROXY/moto-api/data.json" 2>/dev/null && break; sleep 0.1; done
    echo "seed $SEED: $TENANTS tenants, S3 state through $PROXY (${RATES[*]})"
    runs apply "$F"
    APPLY_RUNS=$RUNS APPLY_LONGEST=$LONGEST
    check "after apply" "$F"
    rm -f "$F"/tenants/*.yaml
    runs destroy "$F"
    DESTROY_RUNS=$RUNS DESTROY_LONGEST=$LONGEST
    check "after destroy" "$F"
    kill "$PROXY_PID"; wait "$PROXY_PID" 2>/dev/null || true; PROXY_PID=""
    echo "seed $SEED: faults $(python3 -c "import json; print(', '.join(f'{k} {v}' for k, v in json.load(open('$WORK/faults-$SEED.json')).items()))");" \
        "apply took $APPLY_RUNS run(s) (longest ${APPLY_LONGEST}s), destroy $DESTROY_RUNS (longest ${DESTROY_LONGEST}s); deadline ${DEADLINE}s"
done
if [ "$failed" = 0 ]; then echo "fault test: passed"; else echo "fault test: FAILED"; fi
exit $failed
