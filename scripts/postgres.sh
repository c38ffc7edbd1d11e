#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 15 for the postgres provider's tests and examples.
#   scripts/postgres.sh start   # initdb in a temp directory, server on 127.0.0.1:${LANDLORD_PG_PORT:-5433}
#   scripts/postgres.sh stop    # stops that server and removes its directory
# The directory is ${LANDLORD_PG_DIR:-${TMPDIR:-/tmp}/landlord-pg-PORT}; start removes what it held.
# Install the server with: apt-get install postgresql-15 libpq-dev
# The superuser is `landlord` with password `landlord` (scram-sha-256 over TCP); then:
#   export LANDLORD_PG_PORT=5433 PGPASSWORD=landlord
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user.
set -euo pipefail
PORT="${LANDLORD_PG_PORT:-5433}"
DIR="${LANDLORD_PG_DIR:-${TMPDIR:-/tmp}/landlord-pg-$PORT}"
BIN="${PG_BINDIR:-/usr/lib/postgresql/15/bin}"
DATA="$DIR/data"
LOG="$DIR/postgres.log"

as_owner() {
    if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    if [[ ! -x "$BIN/initdb" ]]; then
        echo "error: $BIN/initdb not found; install PostgreSQL 15 with: apt-get install postgresql-15 libpq-dev (or set PG_BINDIR)" >&2
        exit 1
    fi
    if [[ -f "$DATA/postmaster.pid" ]] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        echo "postgres already running on 127.0.0.1:$PORT ($DATA)"
        return 0
    fi
    rm -rf "$DIR"
    mkdir -p "$DIR"
    if [[ "$(id -u)" == 0 ]]; then
        id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
        chown postgres "$DIR"
        if ! runuser -u postgres -- test -w "$DIR"; then
            echo "error: the postgres user cannot reach $DIR (a parent directory is private); set LANDLORD_PG_DIR to a directory under /tmp" >&2
            exit 1
        fi
    fi
    echo landlord >"$DIR/pwfile"
    [[ "$(id -u)" == 0 ]] && chown postgres "$DIR/pwfile"
    as_owner "$BIN/initdb" -D "$DATA" -U landlord --pwfile="$DIR/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
    if ! as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 30 \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; then
        echo "error: postgres did not start on 127.0.0.1:$PORT; see $LOG (is the port taken? set LANDLORD_PG_PORT)" >&2
        cat "$LOG" >&2 || true
        exit 1
    fi
    as_owner "$BIN/createdb" -h "$DIR" -p "$PORT" -U landlord app
    echo "postgres running on 127.0.0.1:$PORT (user landlord, password landlord, database app; data in $DATA)"
}

stop() {
    if [[ ! -d "$DATA" ]]; then
        echo "no postgres data directory at $DATA; nothing to stop"
        return 0
    fi
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
    echo "postgres on port $PORT stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop   (port: LANDLORD_PG_PORT, default 5433)" >&2; exit 2 ;;
esac
