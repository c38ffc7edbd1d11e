#!/usr/bin/env bash
# Starts or stops a local localstripe (a fake, stateful Stripe API) for the Stripe provider tests.
#   scripts/localstripe.sh start   # background server on 127.0.0.1:${LANDLORD_STRIPE_PORT:-8420}, waits until it answers
#   scripts/localstripe.sh stop    # stops the server started by `start` (by its recorded PID)
# Install it with: pip install localstripe==1.15.10
# Then: export LANDLORD_STRIPE_URL=http://127.0.0.1:8420 STRIPE_API_KEY=sk_test_landlord
#
# localstripe's own command listens on every interface and pickles its store to the fixed path
# /tmp/localstripe.pickle after every change (shared by every instance on the machine); this
# script runs its app on 127.0.0.1 only, from an empty store, and keeps nothing on disk.
set -euo pipefail
PORT="${LANDLORD_STRIPE_PORT:-8420}"
DIR="${LANDLORD_STRIPE_STATE_DIR:-${TMPDIR:-/tmp}/landlord-localstripe-$PORT}"
PIDFILE="$DIR/localstripe.pid"
LOG="$DIR/localstripe.log"
NAME=localstripe
PORT_VAR=LANDLORD_STRIPE_PORT
# shellcheck source=lib/background-server.sh
source "$(dirname "$0")/lib/background-server.sh"

start() {
    mkdir -p "$DIR"
    server_running && return 0
    if ! python3 -c 'import localstripe' 2>/dev/null; then
        echo "error: localstripe not found; install it with: pip install localstripe==1.15.10" >&2
        exit 1
    fi
    nohup python3 - "$PORT" >"$LOG" 2>&1 <<'PY' &
import sys
from aiohttp import web
from localstripe import resources, server
resources.Store.dump_to_disk = lambda self: None  # nothing on disk: each start is a fresh store
web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
PY
    echo $! >"$PIDFILE"
    wait_until_answers -H 'Authorization: Bearer sk_test_landlord' "http://127.0.0.1:$PORT/v1/customers?limit=1"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop   (port: LANDLORD_STRIPE_PORT, default 8420)" >&2; exit 2 ;;
esac
