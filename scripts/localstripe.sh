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

start() {
    mkdir -p "$DIR"
    if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "localstripe already running (PID $(cat "$PIDFILE")) on port $PORT"
        return 0
    fi
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
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null -H 'Authorization: Bearer sk_test_landlord' "http://127.0.0.1:$PORT/v1/customers?limit=1" 2>/dev/null; then
            echo "localstripe running on http://127.0.0.1:$PORT (PID $(cat "$PIDFILE"))"
            return 0
        fi
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "error: localstripe exited; see $LOG" >&2
            cat "$LOG" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "error: localstripe did not answer on port $PORT within 20s; see $LOG (is the port taken? set LANDLORD_STRIPE_PORT)" >&2
    exit 1
}

stop() {
    if [[ ! -f "$PIDFILE" ]]; then
        echo "no localstripe PID file at $PIDFILE; nothing to stop"
        return 0
    fi
    PID="$(cat "$PIDFILE")"
    if kill -0 "$PID" 2>/dev/null; then
        kill "$PID"
        for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$PID" 2>/dev/null && kill -9 "$PID"
        echo "localstripe (PID $PID) stopped"
    fi
    rm -f "$PIDFILE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop   (port: LANDLORD_STRIPE_PORT, default 8420)" >&2; exit 2 ;;
esac
