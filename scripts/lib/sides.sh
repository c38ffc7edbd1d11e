# Shared by scripts/test.sh and scripts/release-checks.sh: work run beside other work. Sourced,
# not run. `side NAME COMMAND...` starts COMMAND in the background, its output to a log of its
# own; `wait_sides` waits for every one, prints each one's output whole (with its seconds), and
# fails the run naming those that failed. `stop_sides` kills those still running (the caller's
# EXIT trap calls it, so a run that fails first leaves nothing behind).

side_pids=(); side_names=()
side_logs="$(mktemp -d)"

side() {
    local name="$1" i="${#side_pids[@]}"; shift
    (
        start=$SECONDS code=0
        "$@" || code=$?
        echo "$((SECONDS - start))" > "$side_logs/$i.seconds"
        exit "$code"
    ) > "$side_logs/$i.log" 2>&1 &
    side_pids+=("$!"); side_names+=("$name")
}

wait_sides() {
    local failed="" code i
    for i in "${!side_pids[@]}"; do
        code=0
        wait "${side_pids[$i]}" || code=$?
        echo "== ${side_names[$i]} (exit $code, $(cat "$side_logs/$i.seconds" 2>/dev/null || echo '?') s)"
        cat "$side_logs/$i.log"
        rm -f "$side_logs/$i.log" "$side_logs/$i.seconds"
        if [[ "$code" != 0 ]]; then failed+=" ${side_names[$i]};"; fi
    done
    side_pids=(); side_names=()
    [[ -z "$failed" ]] || { echo "error: failed:$failed (their output is above)" >&2; exit 1; }
}

stop_sides() {
    local pid
    for pid in "${side_pids[@]}"; do   # the command, then the subshell that times it
        pkill -TERM -P "$pid" 2>/dev/null || true
        kill "$pid" 2>/dev/null || true
    done
    rm -rf "$side_logs"
}
