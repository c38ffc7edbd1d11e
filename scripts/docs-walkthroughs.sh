#!/usr/bin/env bash
# Runs the walk-throughs of README.md and docs/*.md, so a stale command in them fails.
#
# A walk-through is one or more ```sh blocks, each right after a line
#   <!-- walkthrough: NAME -->            (or <!-- walkthrough: NAME needs=moto -->)
# Blocks of one NAME run as one script, in the order they appear (README.md first, then docs/
# by file name). Each walk-through runs in a fresh scratch directory holding a copy of the
# repository's examples/ (so commands like `landlord -C examples/tiers plan` work and change
# nothing in git), with `set -eu`, and with the built binaries first on PATH: `landlord` is
# $LANDLORD_BIN_DIR/landlord (default .build/debug), and `landlord serve` finds landlord-server
# beside it. The examples' well-known ports, 8080 (the service) and 8471 (examples/rollouts' health
# endpoint), are replaced by free ports, so runs never collide: each as a word in the walk-through,
# and as `127.0.0.1:PORT` in the copied examples.
# Background jobs a walk-through starts are killed (SIGKILL, by pid) when it ends.
# `needs=moto` walk-throughs run only when AWS_ENDPOINT_URL names a running moto_server;
# otherwise they are reported as skipped.
#
# Usage: scripts/docs-walkthroughs.sh --list | --print NAME | [NAME...]   (no NAME: all of them)
# Tests/ScenarioTests/DocsTests.swift runs each one.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
bindir="${LANDLORD_BIN_DIR:-.build/debug}"
case "$bindir" in /*) ;; *) bindir="$root/$bindir" ;; esac
files=(README.md docs/*.md)

# NAME<TAB>needs of every marked block, in order (one line per block).
blocks() {
  awk '
    FNR == 1 { mark = "" }
    /^<!-- walkthrough: [a-z0-9-]+( needs=[a-z]+)? -->$/ { n = $3; need = ""; if ($4 ~ /^needs=/) { need = substr($4, 7) }; mark = n "\t" need; next }
    mark != "" && /^```sh$/ { print mark; mark = ""; next }
    { mark = "" }
  ' "${files[@]}"
}

# The text of walk-through NAME: its blocks, joined.
script_of() {
  awk -v want="$1" '
    FNR == 1 { mark = ""; inside = 0 }
    inside && /^```$/ { inside = 0; next }
    inside { print; next }
    /^<!-- walkthrough: [a-z0-9-]+( needs=[a-z]+)? -->$/ { mark = $3; next }
    mark == want && /^```sh$/ { inside = 1; mark = ""; print "# ---- " FILENAME; next }
    { mark = "" }
  ' "${files[@]}"
}

names() { blocks | cut -f1 | awk '!seen[$0]++'; }

if [ "${1:-}" = --list ]; then names; exit 0; fi
if [ "${1:-}" = --print ]; then script_of "$2"; exit 0; fi

if [ ! -x "$bindir/landlord" ]; then
  echo "error: no landlord in $bindir: run \`swift build\` first, or set LANDLORD_BIN_DIR" >&2
  exit 1
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

run_one() {
  local name="$1" needs body scratch port well_known code=0
  needs="$(blocks | awk -F'\t' -v n="$name" '$1 == n && $2 != "" { print $2; exit }')"
  body="$(script_of "$name")"
  if [ -z "$body" ]; then echo "error: no walk-through named '$name' (see --list)" >&2; return 1; fi
  if [ "$needs" = moto ] && ! curl -sf -o /dev/null "${AWS_ENDPOINT_URL:-http://127.0.0.1:1}/moto-api/"; then
    echo "walk-through $name: skipped (needs moto_server: set AWS_ENDPOINT_URL)"
    return 0
  fi
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/landlord-walkthrough-$name.XXXXXX")"
  tar --exclude=.landlord --exclude=localfs-root --exclude=out -cf - examples | tar -xf - -C "$scratch"
  for well_known in 8080 8471; do
    port="$(free_port)"
    body="$(sed -E "s/\b$well_known\b/$port/g" <<<"$body")"
    { grep -rlF "127.0.0.1:$well_known" "$scratch/examples" || true; } | while read -r f; do
      sed -i "s/127\.0\.0\.1:$well_known\b/127.0.0.1:$port/g" "$f"
    done
  done
  {
    echo 'set -eu'
    echo 'trap '"'"'for p in $(jobs -p); do kill -9 "$p" 2>/dev/null || true; done'"'"' EXIT'
    echo 'set -x'
    printf '%s\n' "$body"
  } > "$scratch/.walkthrough.sh"
  echo "walk-through $name: in $scratch"
  # In a process group of its own, so whatever it leaves running (a server it started in the
  # background) is killed with it, and killed (SIGKILL: a test runner's children may have SIGTERM
  # blocked) when it overruns WALKTHROUGH_TIMEOUT seconds.
  (cd "$scratch" && PATH="$bindir:$PATH" NO_COLOR=1 exec setsid bash .walkthrough.sh) &
  local pid=$! deadline=$((SECONDS + ${WALKTHROUGH_TIMEOUT:-300}))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "walk-through $name: still running after ${WALKTHROUGH_TIMEOUT:-300} s: killed" >&2
      kill -9 -- "-$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
  wait "$pid" || code=$?
  kill -9 -- "-$pid" 2>/dev/null || true
  if [ "$code" != 0 ]; then
    echo "walk-through $name: FAILED (exit $code); the script and its files are in $scratch" >&2
    return "$code"
  fi
  rm -rf "$scratch"
  echo "walk-through $name: ok"
}

status=0
if [ "$#" = 0 ]; then set -- $(names); fi
for name in "$@"; do run_one "$name" || status=1; done
cd "$root"
exit "$status"
