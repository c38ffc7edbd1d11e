#!/usr/bin/env bash
# Adoption on the simulated cloud: N tenants of examples/migrate's signup blueprint (9 resources
# each) made untagged, as a sign-up Lambda would (LANDLORD_MOCK_UNTAGGED=1), and their state
# removed; then times `landlord adopt --out FILE` (it reports the lookups, the provider calls
# they took and the rounds) and `landlord apply FILE`, and checks that the next plan has no
# changes. Figures only: nothing fails on time.
#   scripts/bench-adopt.sh [N] [path/to/landlord]     default 1000 and .build/release/landlord
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-1000}"
BIN="${2:-$PWD/.build/release/landlord}"
DIR="$(mktemp -d)"
trap 'rm -rf "$DIR"' EXIT
cp -r examples/migrate/platform.yaml examples/migrate/blueprints "$DIR"/
# One listener holds every tenant's rule and target group (AWS would need a quota raise).
sed -i "s/^      dnsName: .*/&\n      maxRules: $N\n      maxTargetGroups: $N/" "$DIR/platform.yaml"
mkdir "$DIR/tenants"
for i in $(seq 1 "$N"); do
    printf 'apiVersion: landlord/v1\nkind: Tenant\nid: t%d\nblueprint: signup\nparameters: {adminEmail: admin@t%d.example}\n' "$i" "$i" \
        >"$DIR/tenants/t$i.yaml"
done
LANDLORD_MOCK_UNTAGGED=1 "$BIN" -C "$DIR" apply --auto-approve --parallelism 100 >/dev/null 2>&1
# Only the simulated cloud stays: the fleet is now one Landlord never made.
find "$DIR/.landlord" -mindepth 1 -maxdepth 1 ! -name 'mock-cloud.json*' -exec rm -rf {} +
now() { date +%s.%N; }
t0=$(now)
set +e
"$BIN" -C "$DIR" adopt --out "$DIR/adopt.plan" >"$DIR/adopt.txt" 2>"$DIR/adopt.err"
code=$?
set -e
t1=$(now)
[ "$code" = 2 ] || { cat "$DIR/adopt.err"; echo "adopt exited $code, expected 2" >&2; exit 1; }
printf 'adopt  %d tenants: %.2f s wall; %s\n' "$N" "$(echo "$t1 - $t0" | bc)" "$(grep '^Looked up' "$DIR/adopt.err")"
tail -1 "$DIR/adopt.txt"
t0=$(now)
"$BIN" -C "$DIR" apply "$DIR/adopt.plan" --parallelism 100 >/dev/null 2>&1
t1=$(now)
printf 'apply  %d tenants: %.2f s wall\n' "$N" "$(echo "$t1 - $t0" | bc)"
"$BIN" -C "$DIR" plan --detailed-exitcode >/dev/null 2>&1 && echo "plan   no changes" || { echo "plan after adoption has changes" >&2; exit 1; }
