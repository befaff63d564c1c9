#!/usr/bin/env bash
# out-of-tree.sh PREFIX - checks an installed svcfw the way a plugin author uses it.
#
# After `cmake --install BUILD --prefix PREFIX`, builds two plugins outside
# the source tree, in a temporary directory:
#   - my_service.so with exactly SPEC §5's line:
#       cc -shared -fPIC $(pkg-config --cflags svcfw) my_service.c -o my_service.so
#   - greeter.so with a CMake project: find_package(svcfw) + svcfw_add_plugin;
# then runs each with PREFIX/bin/svcfw, sends it one request from a raw
# ZeroMQ REQ socket and checks the reply, the log line under the request's
# workflow id, and a clean exit on SIGTERM.
#
# Exits non-zero on any failure. Every process it starts is stopped by PID,
# and every wait is bounded. KEEP=1 keeps the temporary directory.
set -euo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
    echo "usage: $0 PREFIX   (an install prefix: cmake --install BUILD --prefix PREFIX)" >&2
    exit 2
fi
prefix=$(cd "$1" && pwd)
sources=$(cd "$(dirname "$0")" && pwd)/out-of-tree
work=$(mktemp -d "${TMPDIR:-/tmp}/svcfw-out-of-tree.XXXXXX")
svcfw="$prefix/bin/svcfw"
pids=()

say ()  { printf '%s\n' "$*"; }
fail () { printf 'out-of-tree: FAIL: %s\n' "$*" >&2; exit 1; }
section () { printf '\n=== %s\n' "$*"; }

# Stops PID with SIGTERM, waiting up to 5 s, then SIGKILL. Prints nothing.
stop_pid () {
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

# Drops a reaped PID from the list cleanup stops (the number may be reused).
forget_pid () {
    local kept=() pid
    for pid in "${pids[@]}"; do
        [ "$pid" = "$1" ] || kept+=("$pid")
    done
    pids=("${kept[@]}")
}

cleanup () {
    local status=$?
    for pid in "${pids[@]}"; do
        stop_pid "$pid"
    done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ] || [ $status -ne 0 ]; then
        say "out-of-tree: files kept in $work"
    else
        rm -rf "$work"
    fi
    exit $status
}
trap cleanup EXIT

# Waits up to TIMEOUT_S for FILE to hold TEXT while PID lives.
wait_for_text () {
    local file=$1 text=$2 pid=$3 timeout_s=$4
    for _ in $(seq $((timeout_s * 10))); do
        grep -qF -- "$text" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$file" >&2; fail "svcfw (pid $pid) exited before logging '$text'"; }
        sleep 0.1
    done
    cat "$file" >&2
    fail "no '$text' in $file within ${timeout_s} s"
}

# Sends SIGTERM to PID and expects exit status 0 within 3 s (the runtime's
# contract is 2 s).
expect_clean_stop () {
    local pid=$1 name=$2
    kill -TERM "$pid"
    for _ in $(seq 30); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$pid" 2>/dev/null && fail "$name did not stop within 3 s of SIGTERM"
    local status=0
    wait "$pid" || status=$?
    forget_pid "$pid"
    [ $status -eq 0 ] || fail "$name exited with status $status after SIGTERM, expected 0"
    say "$name stopped on SIGTERM, exit status 0"
}

# run_plugin NAME PLUGIN.so CONNECTION PORT REQUEST EXPECTED [SVCFW ARGS...]
# Runs the plugin as a replyer on 127.0.0.1:PORT, sends REQUEST, expects the
# reply to contain EXPECTED (cJSON's unformatted text) and the request's
# workflow id.
run_plugin () {
    local name=$1 plugin=$2 connection=$3 port=$4 request=$5 expected=$6
    shift 6
    local log="$work/$name.log" addresses="$work/$name.addresses.json"
    printf '{"connections": {"in": {"%s": {"replyer": "127.0.0.1:%s"}}, "out": {}}}\n' \
        "$connection" "$port" > "$addresses"
    "$svcfw" -s "$plugin" -a "$addresses" "$@" 2> "$log" &
    local pid=$!
    pids+=("$pid")
    wait_for_text "$log" " ready: " "$pid" 10
    say "$name: $(grep -F ' ready: ' "$log")"

    local reply
    reply=$("$work/raw_request" "tcp://127.0.0.1:$port" "$request" 5000) \
        || fail "$name: no reply to $request"
    say "$name: request $request"
    say "$name: reply   $reply"
    case "$reply" in
        *"$expected"*) ;;
        *) fail "$name: reply does not contain $expected" ;;
    esac
    case "$reply" in
        *'"workflow_id":"oot-'"$name"'"'*) ;;
        *) fail "$name: reply does not carry the request's workflow id" ;;
    esac
    wait_for_text "$log" "[oot-$name]" "$pid" 5
    say "$name: log: $(grep -F "[oot-$name]" "$log")"
    expect_clean_stop "$pid" "$name"
}

section "installed files under $prefix"
for file in bin/svcfw include/svcfw.h share/pkgconfig/svcfw.pc \
            share/cmake/svcfw/svcfwConfig.cmake share/cmake/svcfw/svcfwConfigVersion.cmake \
            share/cmake/svcfw/svcfwPlugin.cmake share/cmake/svcfw/svcfwEmbedModels.cmake \
            share/man/man1/svcfw.1; do
    [ -e "$prefix/$file" ] || fail "missing $prefix/$file"
    say "  $file"
done
"$svcfw" --version

section "pkg-config"
export PKG_CONFIG_PATH="$prefix/share/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
say "pkg-config --modversion svcfw: $(pkg-config --modversion svcfw)"
say "pkg-config --cflags svcfw:     $(pkg-config --cflags svcfw)"

section "build my_service.so with cc and pkg-config"
cp "$sources/my_service.c" "$work/"
say '$ cc -shared -fPIC $(pkg-config --cflags svcfw) my_service.c -o my_service.so'
(cd "$work" && cc -shared -fPIC $(pkg-config --cflags svcfw) my_service.c -o my_service.so)
# The API is resolved from the svcfw executable at load time, not linked.
nm -D --undefined-only "$work/my_service.so" | grep -q ' svcfw_log$' \
    || fail "my_service.so does not leave svcfw_log to the executable"

section "build greeter.so with find_package(svcfw) and svcfw_add_plugin"
cmake -S "$sources/cmake" -B "$work/greeter-build" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS="-Wall -Wextra -Werror"
cmake --build "$work/greeter-build"
[ -f "$work/greeter-build/greeter.so" ] || fail "no greeter.so in $work/greeter-build"

section "build the raw ZeroMQ client"
cc -Wall -Wextra -Werror "$sources/raw_request.c" $(pkg-config --cflags --libs libzmq) -o "$work/raw_request"

section "run my_service.so with the installed svcfw"
run_plugin my_service "$work/my_service.so" shout 28191 \
    '{"args": {"text": "out of tree"}, "workflow_id": "oot-my_service"}' \
    '"return_args":{"shout":"OUT OF TREE","length":11}'

section "run greeter.so with the installed svcfw"
run_plugin greeter "$work/greeter-build/greeter.so" greet 28192 \
    '{"args": {"name": "svcfw"}, "workflow_id": "oot-greeter"}' \
    '"return_args":{"greeting":"Bonjour, svcfw!"}' \
    --greeting Bonjour

section "out-of-tree: OK"
