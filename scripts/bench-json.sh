#!/usr/bin/env bash
# Times the hand-written JSON codec (scripts/bench-json/main.swift): JSON.parse of one large
# state-like document, and decoding and encoding a fleet of TENANTS tenant state documents with
# it, with JSONSerialization and with JSONDecoder/JSONEncoder. Built with -O from the working
# tree's Sources/ProviderAPI/{JSON,Value}.swift and, given a git revision, from that revision's
# too, so a change to the codec can be compared. scripts/bench.sh runs it once at 1,000 tenants.
#   scripts/bench-json.sh [REV] [TENANTS] [ROUNDS]     e.g. scripts/bench-json.sh HEAD~1 1000
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:-}"
tenants="${2:-1000}"
rounds="${3:-3}"
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
for ((round = 1; round <= rounds; round++)); do
    echo "working tree:"
    "$tmp/current" "$tenants"
    if [[ -n "$rev" ]]; then
        echo "$rev:"
        "$tmp/old" "$tenants"
    fi
done
