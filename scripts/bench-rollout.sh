#!/usr/bin/env bash
# A gated rollout against a plain apply of the same change (printed figures, nothing asserted):
# N tenants (default 1,000) of examples/rollouts, every provider call of the mock taking 50 ms,
# a new backend image for every tenant, applied
#   A: in 4 waves (1, 5%, 25%, 100%) with each tenant's health check against examples/rollouts/
#      health.py on 127.0.0.1, failure budget 0, bake 0;
#   B: as one plain apply, no health checks, no rollout policy.
# Prints the whole-process times of each (median of RUNS, A/B pair by pair) and the time the
# health checks of each wave took, from the rollout's own progress lines.
#   scripts/bench-rollout.sh [TENANTS] [RUNS]      (LANDLORD_BIN: the binary, default the release one)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000}"
runs="${2:-5}"
bin="${LANDLORD_BIN:-$PWD/.build/release/landlord}"
[ -x "$bin" ] || swift build -c release --product landlord
work="$(mktemp -d)"
trap 'kill "${health_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

make_fleet() {  # DIR GATED
  mkdir -p "$1/blueprints" "$1/tenants"
  cp examples/rollouts/platform.yaml examples/rollouts/blueprints/web.yaml "$1/"
  mv "$1/web.yaml" "$1/blueprints/web.yaml"
  sed -i 's/waves: \[1, 5%, 100%\]/waves: [1, 5%, 25%, 100%]/; /autoApprove/d' "$1/platform.yaml"
  # Room for every tenant's rule on the three listeners.
  sed -i 's|^\(      dnsName: .*\)$|\1\n      maxRules: 100000\n      maxTargetGroups: 100000|' "$1/platform.yaml"
  if [ "$2" = 0 ]; then
    sed -i '/^rollout:/,/^inputs:/{/^inputs:/!d}' "$1/platform.yaml"
    sed -i '/^health:/,$d' "$1/blueprints/web.yaml"
  fi
  for i in $(seq -f '%04g' 1 "$n"); do
    printf 'apiVersion: landlord/v1\nkind: Tenant\nid: t%s\nblueprint: web\nparameters: {backendImage: "registry.example.com/backend:1.0.0"}\n' "$i" >"$1/tenants/t$i.yaml"
  done
}

make_fleet "$work/gated" 1
make_fleet "$work/plain" 0
python3 examples/rollouts/health.py "$work/gated" 0 "$work/port" >/dev/null 2>&1 &
health_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
sed -i "s|http://127.0.0.1:8471|http://127.0.0.1:$(cat "$work/port")|" "$work/gated/platform.yaml"
"$bin" -C "$work/gated" apply --auto-approve --parallelism 50 >/dev/null 2>&1
"$bin" -C "$work/plain" apply --auto-approve --parallelism 50 >/dev/null 2>&1

# Each run gives every tenant a new image, then applies it.
cat >"$work/run.sh" <<RUN
#!/usr/bin/env bash
set -e
tag="\$(date +%s%N)"
sed -i "s/backend:[0-9a-z.]*\"/backend:\$tag\"/" "\$1"/tenants/*.yaml
LANDLORD_MOCK_LATENCY_MS=50 LANDLORD_PLAN_CACHE=0 "$bin" -C "\$1" apply --auto-approve --parallelism 50 >>"\$1/out.log" 2>&1
RUN
chmod +x "$work/run.sh"
echo "rollout of a new image to $n tenants, 50 ms a provider call, parallelism 50: A gated (4 waves, health checks), B plain"
# A and B in turn, run by run, so a drift in the machine's speed hits both alike.
for i in $(seq "$runs"); do
  for f in gated plain; do /usr/bin/time -f "run $i $f: %e s wall, %U s user, %M KB peak" "$work/run.sh" "$work/$f"; done
done
echo "health checks per wave (gated runs):"
grep -o 'wave [0-9]* completed: .*' "$work/gated/out.log" | sed 's/^/  /' | tail -8
