# A pinned Python tool in a virtual environment kept between runs (sourced by scripts/checkov.sh
# and scripts/schemathesis.sh).
#   ensure_venv DIR CHECK PACKAGE...
# CHECK is Python run by DIR's interpreter that exits 0 when the pinned versions are installed.
# When it does not (no venv yet, other versions, or a venv whose Python was removed or upgraded),
# the venv is made again from scratch and the packages installed. A lock file beside DIR keeps two
# runs (two CI clones on one machine) from installing into it at once.
ensure_venv() {
    local dir="$1" check="$2"
    shift 2
    mkdir -p "$(dirname "$dir")"
    (
        flock 9
        if ! "$dir/bin/python" -c "$check" 2>/dev/null; then
            python3 -m venv --clear "$dir"
            "$dir/bin/pip" install -q --disable-pip-version-check "$@"
        fi
    ) 9> "$dir.lock"
}
