#!/usr/bin/env bash
# Fuzzes the service's API against its own document (issue 26): starts a real landlord-server
# on the quickstart fleet (mock provider, tokens on) and runs schemathesis against the served
# GET /openapi.json: no 5xx answer, and no answer outside the document (status codes, content
# types, response schemas, 405s for methods a path does not take, auth that is not ignored).
#
# schemathesis is installed pinned from PyPI into a virtual environment of this script's
# ($LANDLORD_SCHEMATHESIS_VENV, default ~/.cache/landlord/ named for its version), kept between
# runs and between clones (like scripts/checkov.sh's; scripts/lib/venv.sh).
#
#   scripts/schemathesis.sh [path/to/landlord-server]     # default .build/debug/landlord-server
#   scripts/schemathesis.sh --install                     # only install schemathesis
# Environment: LANDLORD_SCHEMATHESIS_EXAMPLES (default 40 per operation), _SEED (default 26),
# _PORT (default: a free one).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.build/debug/landlord-server}"
SCHEMATHESIS_VERSION=4.32.5
VENV="${LANDLORD_SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/landlord/schemathesis-$SCHEMATHESIS_VERSION}"
source scripts/lib/venv.sh
EXAMPLES="${LANDLORD_SCHEMATHESIS_EXAMPLES:-40}"
SEED="${LANDLORD_SCHEMATHESIS_SEED:-26}"

install_tool() {
    ensure_venv "$VENV" "import importlib.metadata as m, sys; sys.exit(m.version('schemathesis') != '$SCHEMATHESIS_VERSION')" \
        "schemathesis==$SCHEMATHESIS_VERSION"
}
if [[ "$BIN" == --install ]]; then   # only install it (CI does it beside the build)
    mkdir -p "$(dirname "$VENV")"
    install_tool
    exit 0
fi
if [[ ! -x "$BIN" ]]; then
    echo "schemathesis.sh: no landlord-server binary at $BIN; build it with \`swift build --product landlord-server\` or pass its path" >&2
    exit 1
fi
install_tool

work="$(mktemp -d "${TMPDIR:-/tmp}/landlord-schemathesis.XXXXXX")"
pid=""
cleanup() {
    # The server ignores SIGTERM when its parent blocked it (see HELPER notes): SIGKILL.
    if [[ -n "$pid" ]]; then { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

fleet="$work/fleet"
mkdir -p "$fleet"
cp -R examples/quickstart/platform.yaml examples/quickstart/blueprints "$fleet/"
mkdir -p "$fleet/tenants"
# The quickstart names LANDLORD_API_TOKENS; this run's tokens are in a variable of its own.
sed -i.bak '/^api:/d' "$fleet/platform.yaml" && rm -f "$fleet/platform.yaml.bak"
printf '\napi: {tokensEnv: SCHEMATHESIS_TOKENS}\n' >> "$fleet/platform.yaml"
# Scheduled drift checks run during the fuzzing, so GET /v1/drift and a tenant's `drift` carry data.
printf 'drift: {every: 2s, callsPerSecond: 50}\n' >> "$fleet/platform.yaml"
port="${LANDLORD_SCHEMATHESIS_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
token="schemathesis-$RANDOM$RANDOM"
SCHEMATHESIS_TOKENS="$token" LANDLORD_STATE_FSYNC=0 "$BIN" -C "$fleet" --listen "127.0.0.1:$port" --log-format json \
    2> "$work/server.log" &
pid=$!
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/server.log" >&2; echo "schemathesis.sh: landlord-server exited" >&2; exit 1; }
    sleep 0.1
done

# One tenant provisioned before the run, so GET /v1/tenants/{id} answers a real tenant (its
# schema checked) instead of a 404 for every generated id; PATCH, suspend and resume change it.
curl -sf -X POST "http://127.0.0.1:$port/v1/tenants" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"id": "seeded", "blueprint": "web", "parameters": {"subdomain": "seeded", "backendImage": "registry.example.com/b:1"}}' > /dev/null
for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$port/v1/tenants/seeded" -H "Authorization: Bearer $token" | grep -q '"status":"active"' && break
    sleep 0.1
done
cat > "$work/schemathesis.toml" <<'TOML'
[[operations]]
include-path = "/v1/tenants/{id}"
include-method = "GET"
parameters = { "path.id" = "seeded" }

[[operations]]
include-operation-id = "updateTenant"
parameters = { "path.id" = "seeded" }

[[operations]]
include-operation-id = "suspendTenant"
parameters = { "path.id" = "seeded" }

[[operations]]
include-operation-id = "resumeTenant"
parameters = { "path.id" = "seeded" }
TOML

status=0
# Run from the scratch directory: schemathesis keeps its replay data in ./.schemathesis.
venv="$(cd "$VENV" && pwd)"
(cd "$work" && "$venv/bin/schemathesis" --config-file schemathesis.toml run "http://127.0.0.1:$port/openapi.json" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method,ignored_auth \
    -H "Authorization: Bearer $token" --max-examples "$EXAMPLES" --seed "$SEED" --phases examples,coverage,fuzzing \
    --generation-database none --no-color --workers 1 --request-timeout 30) || status=$?
if ! kill -0 "$pid" 2>/dev/null; then
    echo "schemathesis.sh: landlord-server died during the run:" >&2
    tail -50 "$work/server.log" >&2
    status=1
fi
requests=$(grep -c '"message":"request"' "$work/server.log" || true)
fivexx=$(grep -c '"status":5[0-9][0-9]' "$work/server.log" || true)
echo "schemathesis.sh: the server logged $requests requests, $fivexx of them answered 5xx"
[[ "$fivexx" == 0 ]] || { grep '"status":5[0-9][0-9]' "$work/server.log" | head -20 >&2; status=1; }
exit $status
