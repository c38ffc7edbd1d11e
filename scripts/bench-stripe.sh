#!/usr/bin/env bash
# Times the Stripe provider against a localstripe of its own (scripts/localstripe.sh), for N
# tenants of one stripe.customer each: apply (create), plan (refresh, no change), apply --adopt
# after the state is deleted (adoption by listing), and destroy. Figures are printed, never
# asserted.
#   scripts/bench-stripe.sh [N...]            # default: 200
#   LANDLORD_BIN=.build/release/landlord LANDLORD_STRIPE_PORT=8429 scripts/bench-stripe.sh 100 500
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${LANDLORD_BIN:-$PWD/.build/debug/landlord}"
[[ -x "$BIN" ]] || { echo "error: $BIN not found; run swift build (or set LANDLORD_BIN)" >&2; exit 1; }
export LANDLORD_STRIPE_PORT="${LANDLORD_STRIPE_PORT:-8429}"
work="$(mktemp -d "${TMPDIR:-/tmp}/landlord-bench-stripe.XXXXXX")"
export LANDLORD_STRIPE_STATE_DIR="$work/localstripe"
trap 'scripts/localstripe.sh stop >/dev/null; rm -rf "$work"' EXIT
scripts/localstripe.sh start >/dev/null
export STRIPE_API_KEY=sk_test_bench LANDLORD_STATE_FSYNC=0 NO_COLOR=1

timed() {  # label, command...
    local start end
    start=$(date +%s.%N)
    "${@:2}" >/dev/null 2>"$work/err" || { echo "error: $1 failed:" >&2; tail -5 "$work/err" >&2; exit 1; }
    end=$(date +%s.%N)
    printf '%-8s %-28s %8.2f s\n' "N=$n" "$1" "$(echo "$end - $start" | bc)"
}

for n in "${@:-200}"; do
    fleet="$work/fleet-$n"
    mkdir -p "$fleet/blueprints" "$fleet/tenants"
    printf 'apiVersion: landlord/v1\nkind: Platform\nname: bench-%s\nprovider: {stripe: {apiBase: "http://127.0.0.1:%s"}}\n' "$n" "$LANDLORD_STRIPE_PORT" >"$fleet/platform.yaml"
    cat >"$fleet/blueprints/billing.yaml" <<'YAML'
apiVersion: landlord/v1
kind: Blueprint
name: billing
resources:
  customer:
    type: stripe.customer
    properties: {email: "billing@${tenant.id}.example.com", name: "${tenant.id}", metadata: {plan: gold}}
YAML
    for i in $(seq 1 "$n"); do
        printf 'apiVersion: landlord/v1\nkind: Tenant\nid: t%05d\nblueprint: billing\nparameters: {}\n' "$i" >"$fleet/tenants/t$i.yaml"
    done
    timed "apply (create)" "$BIN" -C "$fleet" apply --auto-approve
    timed "plan (refresh, no change)" "$BIN" -C "$fleet" plan --detailed-exitcode
    rm -rf "$fleet/.landlord"
    timed "apply --adopt (lost state)" "$BIN" -C "$fleet" apply --auto-approve --adopt
    timed "plan after adopt" "$BIN" -C "$fleet" plan --detailed-exitcode
    timed "destroy (all tenants)" "$BIN" -C "$fleet" destroy --auto-approve $(for i in $(seq 1 "$n"); do printf -- '--tenant t%05d ' "$i"; done)
    total=$(curl -fsS -H "Authorization: Bearer $STRIPE_API_KEY" "http://127.0.0.1:$LANDLORD_STRIPE_PORT/v1/customers?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total_count"])')
    echo "N=$n     customers left on the server: $total (earlier N's fleets are destroyed too)"
done
