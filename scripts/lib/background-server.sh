# Shared by scripts/moto.sh and scripts/localstripe.sh: a test server run in the background,
# known by the PID it recorded in $PIDFILE, its output in $LOG. Sourced, not run; the caller
# sets NAME, PORT, PIDFILE, LOG and PORT_VAR (the variable that picks the port).

# True (and says so) when the server this PID file names is still running.
server_running() {
    if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "$NAME already running (PID $(cat "$PIDFILE")) on port $PORT"
        return 0
    fi
    return 1
}

# Waits up to 20 s until `curl ARGS...` succeeds; exits 1 with the log when the server dies
# or never answers.
wait_until_answers() {
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "$@" 2>/dev/null; then
            echo "$NAME running on http://127.0.0.1:$PORT (PID $(cat "$PIDFILE"))"
            return 0
        fi
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "error: $NAME exited; see $LOG" >&2
            cat "$LOG" >&2
            exit 1
        fi
        sleep 0.2
    done
    echo "error: $NAME did not answer on port $PORT within 20s; see $LOG (is the port taken? set $PORT_VAR)" >&2
    exit 1
}

# Stops the server by its recorded PID (TERM, then KILL after 5 s) and removes the PID file.
stop() {
    if [[ ! -f "$PIDFILE" ]]; then
        echo "no $NAME PID file at $PIDFILE; nothing to stop"
        return 0
    fi
    PID="$(cat "$PIDFILE")"
    if kill -0 "$PID" 2>/dev/null; then
        kill "$PID"
        for _ in $(seq 1 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$PID" 2>/dev/null && kill -9 "$PID"
        echo "$NAME (PID $PID) stopped"
    fi
    rm -f "$PIDFILE"
}
