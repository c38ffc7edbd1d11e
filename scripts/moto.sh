#!/usr/bin/env bash
# Starts or stops a local moto_server for the AWS provider tests and examples.
#   scripts/moto.sh start   # background server on 127.0.0.1:${MOTO_PORT:-5123}, waits until it answers
#   scripts/moto.sh stop    # stops the server started by `start` (by its recorded PID)
# Install moto with: pip install 'moto[server]==5.2.1'
# Then: export AWS_ENDPOINT_URL=http://127.0.0.1:5123 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
set -euo pipefail
PORT="${MOTO_PORT:-5123}"
DIR="${MOTO_STATE_DIR:-${TMPDIR:-/tmp}/landlord-moto-$PORT}"
PIDFILE="$DIR/moto.pid"
LOG="$DIR/moto.log"

start() {
    mkdir -p "$DIR"
    if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "moto_server already running (PID $(cat "$PIDFILE")) on port $PORT"
        return 0
    fi
    if ! command -v moto_server >/dev/null; then
        echo "error: moto_server not found; install it with: pip install 'moto[server]==5.2.1'" >&2
        exit 1
    fi
    # The recorder (off until a test starts it: S3SnapshotTests counts requests) writes here.
    MOTO_RECORDER_FILEPATH="${MOTO_RECORDER_FILEPATH:-$DIR/recording.jsonl}" \
    MOTO_ECS_SERVICE_RUNNING="${MOTO_ECS_SERVICE_RUNNING:-1}" nohup moto_server -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$PORT/moto-api/data.json" 2>/dev/null; then
            echo "moto_server running on http://127.0.0.1:$PORT (PID $(cat "$PIDFILE"))"
            return 0
        fi
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "error: moto_server exited; see $LOG" >&2
            cat "$LOG" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "error: moto_server did not answer on port $PORT within 20s; see $LOG (is the port taken? set MOTO_PORT)" >&2
    exit 1
}

stop() {
    if [[ ! -f "$PIDFILE" ]]; then
        echo "no moto_server PID file at $PIDFILE; nothing to stop"
        return 0
    fi
    PID="$(cat "$PIDFILE")"
    if kill -0 "$PID" 2>/dev/null; then
        kill "$PID"
        for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$PID" 2>/dev/null && kill -9 "$PID"
        echo "moto_server (PID $PID) stopped"
    fi
    rm -f "$PIDFILE"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop   (port: MOTO_PORT, default 5123)" >&2; exit 2 ;;
esac
