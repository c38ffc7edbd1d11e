#!/usr/bin/env bash
# Times JSON.parse of a large state-like document (scripts/bench-json/main.swift), built with
# -O from the working tree's Sources/ProviderAPI/{JSON,Value}.swift and, given a git revision,
# from that revision's too, so a change to the parser can be compared:
#   scripts/bench-json.sh [REV] [TENANTS]     e.g. scripts/bench-json.sh HEAD~1 2000
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:-}"
tenants="${2:-2000}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
build() {  # build NAME DIR-WITH-JSON-AND-VALUE
    swiftc -O -module-name JSONBench "$2/JSON.swift" "$2/Value.swift" scripts/bench-json/main.swift -o "$tmp/$1"
}
build current Sources/ProviderAPI
if [[ -n "$rev" ]]; then
    mkdir -p "$tmp/src-old"
    git show "$rev:Sources/ProviderAPI/JSON.swift" >"$tmp/src-old/JSON.swift"
    git show "$rev:Sources/ProviderAPI/Value.swift" >"$tmp/src-old/Value.swift"
    build old "$tmp/src-old"
fi
for round in 1 2 3; do
    echo "working tree: $("$tmp/current" "$tenants")"
    if [[ -n "$rev" ]]; then echo "$rev: $("$tmp/old" "$tenants")"; fi
done
