# Shared helpers for .ci/run and .ci/steps/*.sh (sourced, not executed).

# step NAME: prints a header; on the next step (or at exit) prints the previous step's time.
# .ci/run installs `trap _ci_on_exit EXIT` to print a summary table of every step's time.
_ci_step_name=""
_ci_step_start=0
_ci_summary=""
_ci_close_step() {
    if [ -n "$_ci_step_name" ]; then
        local took=$((SECONDS - _ci_step_start))
        printf '=== %s took %ss\n' "$_ci_step_name" "$took"
        _ci_summary+="$(printf '%6ss  %s' "$took" "$_ci_step_name")"$'\n'
    fi
}
step() {
    _ci_close_step
    _ci_step_name="$*"
    _ci_step_start=$SECONDS
    printf '\n=== %s (at %ss)\n' "$*" "$SECONDS"
}
_ci_on_exit() {
    local rc=$?
    _ci_close_step
    _ci_step_name=""
    printf '\n=== step times (total %ss, exit %s)\n%s' "$SECONDS" "$rc" "$_ci_summary"
}

# in_ci: true when CI=true (checks that need root or devices are mandatory there).
in_ci() { [ "${CI:-}" = "true" ]; }

# need_or_skip WHAT CONDITION...: runs CONDITION; when it fails, exits 1 in CI and otherwise
# prints one SKIP line and returns 1 so the caller can skip its part.
need_or_skip() {
    local what="$1"
    shift
    if "$@"; then
        return 0
    fi
    if in_ci; then
        echo "FAIL: $what is required when CI=true" >&2
        exit 1
    fi
    echo "SKIP: $what is missing (outside CI this part is skipped; CI=true makes it mandatory)"
    return 1
}

is_root() { [ "$(id -u)" = "0" ]; }

# ensure_pkg CMD PACKAGE: installs PACKAGE with apt-get when CMD is missing (as root only).
ensure_pkg() {
    command -v "$1" >/dev/null 2>&1 && return 0
    if is_root && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    fi
    command -v "$1" >/dev/null 2>&1
}
