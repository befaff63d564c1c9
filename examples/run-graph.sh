#!/usr/bin/env bash
# run-graph.sh BUILD_DIR [GRAPH ...] - runs the example service graphs and prints what flows.
#
# GRAPH is one of cancel_order, ticker, chain, order_book (default: all, in
# that order). Each graph's services run as real svcfw processes with the
# example's addresses.json (fixed ports 281xx on 127.0.0.1); their log lines
# (INFO and up) are printed as they come, in the order they were written,
# prefixed by the service's name. A graph ends
# when its main-mode producer has finished, or, for producers that run until
# stopped, once MESSAGES (default 5) messages went through; then every
# process is stopped by PID with SIGTERM and must exit 0.
#
# Builds nothing: build first (cmake -S . -B build && cmake --build build).
# Exits 0 when every graph did what it shows, 1 otherwise. Every wait is
# bounded. KEEP=1 keeps the services' log files.
set -euo pipefail

usage () {
    echo "usage: $0 BUILD_DIR [cancel_order|ticker|chain|order_book ...]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
build=$(cd "$1" 2>/dev/null && pwd) || usage
shift
graphs=("$@")
[ ${#graphs[@]} -gt 0 ] || graphs=(cancel_order ticker chain order_book)

examples=$(cd "$(dirname "$0")" && pwd)
svcfw="$build/svcfw"
plugins="$build/examples"
messages=${MESSAGES:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/svcfw-run-graph.XXXXXX")
[ -x "$svcfw" ] || { echo "run-graph: no $svcfw; build first" >&2; exit 1; }

declare -A pid_of=()            # service name -> pid, while it may run
printed=0                       # lines of the graph's shared log printed so far
services=()                     # services of the current graph, in start order
graph=""

# ---- Output ----------------------------------------------------------------

# Prints the log lines that arrived since the last call, from every service
# of the graph, in the order they were written: every service also logs
# (-l, INFO and up) to the graph's one shared file, which each line is
# appended to whole, so a cause is never printed after its effect (a sort by
# time stamp cannot promise that within one millisecond).
#   "name | HH:MM:SS.mmm LEVEL [workflow id] text"
pump () {
    local file="$work/$graph/all.log" total
    [ -f "$file" ] || return 0
    total=$(wc -l < "$file")
    [ "$total" -gt "$printed" ] || return 0
    sed -n "$((printed + 1)),${total}p" "$file" \
        | sed -E 's/^[0-9-]+T([0-9:.]+)Z ([A-Z]+ *)([^ ]+) /\3\t\1 \2/' \
        | awk '{ i = index ($0, "\t"); printf "%-13s | %s\n", substr ($0, 1, i - 1), substr ($0, i + 1) }'
    printed=$total
}

say () { printf '%s\n' "$*"; }

fail () {
    if [ -n "$graph" ]; then
        pump
        # Start-up errors go to the console only (there is no log yet).
        grep -h '^svcfw: ' "$work/$graph"/*.log 2>/dev/null || true
    fi
    printf 'run-graph: FAIL: %s%s\n' "${graph:+$graph: }" "$*" >&2
    exit 1
}

# ---- Processes -------------------------------------------------------------

alive () { [ -n "${pid_of[$1]:-}" ] && kill -0 "${pid_of[$1]}" 2>/dev/null; }

# start NAME [SVCFW ARGS...]: runs svcfw with plugin NAME.so, from the
# graph's example directory, its console log going to NAME.log and its INFO
# lines also to the graph's shared all.log (which pump prints).
start () {
    local name=$1
    shift
    local plugin="$plugins/$name.so"
    [ -f "$plugin" ] || fail "no $plugin; build the examples first"
    : > "$work/$graph/$name.log"
    services+=("$name")
    (cd "$examples/$graph" && exec "$svcfw" -s "$plugin" -l "$work/$graph/all.log" -f INFO "$@") \
        2> "$work/$graph/$name.log" &
    pid_of[$name]=$!
    say "-- started $name (pid ${pid_of[$name]}): svcfw -s $name.so $*"
}

now_ms () { echo $(($(date +%s%N) / 1000000)); }

# poll TIMEOUT_S WHAT COMMAND...: runs COMMAND every 100 ms, printing what
# flows meanwhile, until it succeeds; fails after TIMEOUT_S seconds.
poll () {
    local timeout_s=$1 what=$2
    shift 2
    local deadline=$(($(now_ms) + timeout_s * 1000))
    while true; do
        pump
        if "$@"; then
            return 0
        fi
        [ "$(now_ms)" -lt "$deadline" ] || fail "no $what within ${timeout_s} s"
        sleep 0.1
    done
}

# count NAME PATTERN: lines of NAME's log matching the extended regex.
count () { grep -cE -- "$2" "$work/$graph/$1.log" || true; }

# Conditions for poll; each fails the run at once if NAME died.
is_ready () {
    grep -qF ' ready: ' "$work/$graph/$1.log" && return 0
    alive "$1" || fail "$1 exited before it was ready"
    return 1
}
has_lines () {     # NAME PATTERN N
    [ "$(count "$1" "$2")" -ge "$3" ] && return 0
    alive "$1" || fail "$1 exited"
    return 1
}
has_exited () { ! alive "$1"; }

# reap NAME: sets $status to the exit status of NAME, which has exited.
reap () {
    status=0
    wait "${pid_of[$1]}" || status=$?
    unset "pid_of[$1]"
}

# expect_exit NAME TIMEOUT_S: NAME ends by itself with status 0.
expect_exit () {
    poll "$2" "exit of $1" has_exited "$1"
    local status
    reap "$1"
    [ "$status" -eq 0 ] || fail "$1 exited with status $status, expected 0"
    say "-- $1 finished, exit status 0"
}

# stop NAME: SIGTERM, then NAME must exit 0 within 3 s (the runtime
# promises 2 s).
stop () {
    alive "$1" || fail "$1 is not running any more"
    kill -TERM "${pid_of[$1]}"
    poll 3 "exit of $1 after SIGTERM" has_exited "$1"
    local status
    reap "$1"
    [ "$status" -eq 0 ] || fail "$1 exited with status $status after SIGTERM, expected 0"
    say "-- stopped $1 (SIGTERM), exit status 0"
}

# Stops whatever still runs (after a failure): SIGTERM, up to 3 s, SIGKILL.
cleanup () {
    local status=$? name pid
    for name in "${!pid_of[@]}"; do
        pid=${pid_of[$name]}
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [ "${KEEP:-0}" = 1 ] || [ $status -ne 0 ]; then
        say "run-graph: logs kept in $work" >&2
    else
        rm -rf "$work"
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

begin () {
    graph=$1
    services=()
    printed=0
    mkdir -p "$work/$graph"
    printf '\n=== %s: %s\n' "$graph" "$2"
}

# ---- The graphs ------------------------------------------------------------

# The seed's example: a replyer, and a main-mode requester that sends five
# orders and exits; the last is past the replyer's limit, so it gets an
# error reply.
graph_cancel_order () {
    begin cancel_order "order_sender (main mode, requester) -> cancel_order (replyer)"
    start cancel_order -a addresses.json -c config.json
    poll 10 "ready line from cancel_order" is_ready cancel_order
    start order_sender -a addresses.json -m --count 5 --interval_ms 200
    expect_exit order_sender 30
    stop cancel_order
    pump
    [ "$(count order_sender 'order [0-9]+: cancelled')" -eq 4 ] \
        || fail "order_sender did not log 4 cancelled orders"
    [ "$(count order_sender 'past the cancellation window')" -eq 1 ] \
        || fail "order_sender did not log the refused order"
    say "== cancel_order: 4 orders cancelled, 1 refused with an error reply"
}

# Two publishers (topics AAPL and MSFT) connect to one binding subscriber
# of topic AAPL: MSFT never arrives.
graph_ticker () {
    begin ticker "ticker (main mode; AAPL and MSFT publishers) -> price_watcher (binds, topic AAPL)"
    start price_watcher -a addresses.json
    poll 10 "ready line from price_watcher" is_ready price_watcher
    start ticker -a addresses.json -c config.json -m
    poll 20 "$messages AAPL prices at price_watcher" has_lines price_watcher 'heard AAPL' "$messages"
    stop ticker
    stop price_watcher
    pump
    local aapl msft published
    aapl=$(count price_watcher 'heard AAPL')
    msft=$(count price_watcher 'MSFT')
    published=$(count ticker 'published MSFT')
    [ "$msft" -eq 0 ] || fail "price_watcher heard MSFT, which it does not subscribe to"
    [ "$published" -gt 0 ] || fail "ticker published no MSFT price"
    say "== ticker: price_watcher heard $aapl AAPL prices and none of the $published MSFT prices"
}

# producer -> transformer -> replyer, and one workflow id family in all three.
graph_chain () {
    begin chain "order_feed (main mode, publisher) -> order_router (subscriber, requester) -> pricer (replyer)"
    start pricer -a addresses.json
    start order_router -a addresses.json
    poll 10 "ready line from pricer" is_ready pricer
    poll 10 "ready line from order_router" is_ready order_router
    start order_feed -a addresses.json -c config.json -m
    poll 20 "$messages priced orders at order_router" \
        has_lines order_router 'order [0-9]+ (approved|refused)' "$messages"
    stop order_feed
    stop order_router
    stop pricer
    pump

    #  The workflow id W of the first order order_router priced, in all
    #  three logs: W at order_feed and order_router, W_1 at pricer.
    local log="$work/chain" line wf
    line=$(grep -m1 -E 'order [0-9]+ (approved|refused)' "$log/order_router.log")
    wf=$(sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p' <<< "$line")
    [ -n "$wf" ] || fail "no workflow id in: $line"
    grep -qF "[$wf] published order" "$log/order_feed.log" || fail "order_feed did not log under $wf"
    grep -qF "[${wf}_1] " "$log/pricer.log" || fail "pricer did not log under ${wf}_1"
    say "== chain: workflow $wf through all three services:"
    grep -F -e "[$wf]" -e "[${wf}_1]" "$log/all.log" | sed 's/^/     /'
}

# The replicated-state example: market_price owns an order book (a delta
# state), order_book holds a replica and answers price_checker's requests.
graph_order_book () {
    begin order_book "market_price (main mode, delta state out) -> order_book (state in, replyer) <- price_checker (main mode, requester)"
    start market_price -a addresses.json -c config.json -m --interval_ms 250
    start order_book -a addresses.json
    poll 10 "snapshot sync at order_book" has_lines order_book 'synced from snapshot' 1
    start price_checker -a addresses.json -m --count "$messages" --interval_ms 300
    expect_exit price_checker 30
    stop order_book
    stop market_price
    pump
    [ "$(count price_checker 'best bid')" -eq "$messages" ] \
        || fail "price_checker did not get $messages answers"
    #  The feed moves the top of the book every tick: the replica follows, so
    #  the answers cannot all be the same.
    local tops
    tops=$(grep -oE 'best bid [0-9.]+ / ask [0-9.]+' "$work/$graph/price_checker.log" | sort -u | wc -l)
    [ "$tops" -ge 2 ] || fail "price_checker got the same best bid and ask every time: the replica did not follow the feed"
    say "== order_book: price_checker got $messages answers from order_book's replica, $tops different tops of the book"
}

for name in "${graphs[@]}"; do
    case "$name" in
        cancel_order|ticker|chain|order_book) "graph_$name" ;;
        *) graph=""; fail "unknown graph '$name' (cancel_order, ticker, chain, order_book)" ;;
    esac
done
graph=""
printf '\nrun-graph: OK (%s)\n' "${graphs[*]}"
