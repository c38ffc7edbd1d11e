#!/usr/bin/env bash
# Checks that no compiler can catch. Run by .ci/run; exits 1 naming each offending line.
#  1. No task-group child (or Task) returns a tuple: Swift 6.3 at -O corrupts a tuple result
#     split across a suspension (swiftlang/swift#91911); use ProviderAPI's `Keyed`.
#  2. Every `@unchecked Sendable` and `nonisolated(unsafe)` has a comment just above it
#     saying why it is safe.
#  3. The toolchain's formatter agrees with the tree (.swift-format: 150 columns, 4 spaces);
#     `swift format format -i -r Sources Providers Tests` fixes what it reports.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

if grep -rnE --include='*.swift' '^[^/]*(TaskGroup\(of: \(|Task<\()' Sources Providers; then
    echo "lint: a task group or Task returns a tuple (above); return Keyed(key, value) instead (see Sources/ProviderAPI/Keyed.swift)" >&2
    status=1
fi

while IFS=: read -r file line _; do
    prev="$(sed -n "$((line - 1))p" "$file")"
    if ! grep -qE '^\s*//' <<<"$prev"; then
        echo "$file:$line: @unchecked Sendable / nonisolated(unsafe) without a comment above saying why it is safe" >&2
        status=1
    fi
done < <(grep -rnE '@unchecked Sendable|nonisolated\(unsafe\)' Sources Providers || true)

if ! swift format lint --strict -r Sources Providers Tests scripts Package.swift; then
    echo "lint: formatting differs (above); run: swift format format -i -r Sources Providers Tests scripts Package.swift" >&2
    status=1
fi

exit $status
