#!/usr/bin/env bash
# Starts or stops a local moto_server for the AWS provider tests and examples (scripts/moto_server.py:
# moto_server with conditional writes made atomic, as S3's are).
#   scripts/moto.sh start   # background server on 127.0.0.1:${MOTO_PORT:-5123}, waits until it answers
#   scripts/moto.sh stop    # stops the server started by `start` (by its recorded PID)
# Install moto with: pip install 'moto[server]==5.2.1'
# Then: export AWS_ENDPOINT_URL=http://127.0.0.1:5123 AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
set -euo pipefail
PORT="${MOTO_PORT:-5123}"
DIR="${MOTO_STATE_DIR:-${TMPDIR:-/tmp}/landlord-moto-$PORT}"
PIDFILE="$DIR/moto.pid"
LOG="$DIR/moto.log"
NAME=moto_server
PORT_VAR=MOTO_PORT
# shellcheck source=lib/background-server.sh
source "$(dirname "$0")/lib/background-server.sh"

start() {
    mkdir -p "$DIR"
    server_running && return 0
    if ! python3 -c 'import moto.server' 2>/dev/null; then
        echo "error: moto is not installed for python3; install it with: pip install 'moto[server]==5.2.1'" >&2
        exit 1
    fi
    # The recorder (off until a test starts it: S3SnapshotTests counts requests) writes here.
    # moto_server.py is moto_server with S3's atomic conditional writes (see its docstring).
    MOTO_RECORDER_FILEPATH="${MOTO_RECORDER_FILEPATH:-$DIR/recording.jsonl}" \
    MOTO_ECS_SERVICE_RUNNING="${MOTO_ECS_SERVICE_RUNNING:-1}" nohup python3 "$(dirname "$0")/moto_server.py" -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
    echo $! >"$PIDFILE"
    wait_until_answers "http://127.0.0.1:$PORT/moto-api/data.json"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop   (port: MOTO_PORT, default 5123)" >&2; exit 2 ;;
esac
