#!/usr/bin/env bash
# The review tools read Landlord's plans (issue 25): renders the plans of examples quickstart,
# tiers and onboarding with `landlord plan --mock --format terraform-json`, runs Checkov on them
# with the custom policy of examples/policy/checkov, evaluates examples/policy/rego with regopy
# (rego-cpp), and checks which check ids fire on which addresses (scripts/review_tools_check.py).
#
# Checkov and regopy are installed pinned from PyPI into a virtual environment of this script's
# ($LANDLORD_REVIEW_VENV, default ~/.cache/landlord/ named for the two versions), kept between runs
# and between clones: installing them took 30 s and 26 CPU-s of every clean-clone CI run (with
# pip's cache warm; schemathesis 11 s more), beside the release build. Installs are serialised by a lock file
# beside it; a venv whose Python is gone is made again. Checkov runs with --skip-download: it
# fetches nothing (no network in CI).
#
#   scripts/checkov.sh [path/to/landlord]        # default .build/debug/landlord
#   scripts/checkov.sh --install                 # only install the tools (CI does it beside the build)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-.build/debug/landlord}"
CHECKOV_VERSION=3.3.30
REGOPY_VERSION=1.5.2
VENV="${LANDLORD_REVIEW_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/landlord/checkov-$CHECKOV_VERSION-regopy-$REGOPY_VERSION}"
source scripts/lib/venv.sh
install_tools() {
    ensure_venv "$VENV" "import importlib.metadata as m, sys; sys.exit(not (m.version('checkov') == '$CHECKOV_VERSION' and m.version('regopy') == '$REGOPY_VERSION'))" \
        "checkov==$CHECKOV_VERSION" "regopy==$REGOPY_VERSION"
}
if [[ "$BIN" == --install ]]; then
    install_tools
    exit 0
fi
if [[ ! -x "$BIN" ]]; then
    echo "checkov.sh: no landlord binary at $BIN; build one with \`swift build --product landlord\` or pass its path" >&2
    exit 1
fi
install_tools

work="$(mktemp -d "${TMPDIR:-/tmp}/landlord-checkov.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The quickstart, plus a basic-tier tenant asking for 3 tasks: the custom policies must fail it.
cp -R examples/quickstart "$work/quickstart"
rm -rf "$work/quickstart/.landlord"
cat > "$work/quickstart/tenants/hooli.yaml" <<'YAML'
apiVersion: landlord/v1
kind: Tenant
id: hooli
blueprint: web
parameters: {subdomain: hooli, tier: basic, backendImage: "registry.example.com/backend:1.4.2", replicas: 3}
YAML
for fleet in tiers onboarding; do
    mkdir -p "$work/$fleet"
    cp -R "examples/$fleet/platform.yaml" "examples/$fleet/blueprints" "examples/$fleet/tenants" "$work/$fleet/"
done
for fleet in quickstart tiers onboarding; do
    "$BIN" -C "$work/$fleet" plan --mock --format terraform-json > "$work/$fleet.json"
    # Checkov exits 1 when a check fails, which the examples' plans are meant to show.
    "$VENV/bin/checkov" -f "$work/$fleet.json" --framework terraform_plan --external-checks-dir examples/policy/checkov \
        --skip-download --compact -o json > "$work/$fleet.checkov.json" || [[ $? == 1 ]]
done
"$VENV/bin/python" scripts/review_tools_check.py "$work"
