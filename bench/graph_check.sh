#!/usr/bin/env bash
# bench/graph_check.sh [BUILD_DIR] [CHAINS] - how long `svcfw check` and `svcfw graph` take on a large graph.
#
# Writes a graph of CHAINS (default 10) copies of the chain example
# (order_feed -> order_router -> pricer) and as many of the cancel_order
# pair (order_sender -> cancel_order), 5 x CHAINS services, every copy on
# its own ports (inline addresses), with the example plugins of BUILD_DIR
# (default build/). Runs each command RUNS (default 10) times and prints
#   BENCH graph_check services=N links=L median_ms=M
#   BENCH graph_dot services=N median_ms=M
# Exits 1 if check finds a problem. KEEP=1 keeps the graph file (and its
# SVG, when Graphviz is installed) in the printed directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
chains=${2:-10}
runs=${RUNS:-10}
svcfw=$build/svcfw
work=$(mktemp -d "${TMPDIR:-/tmp}/svcfw-graph-bench.XXXXXX")
[ "${KEEP:-0}" = 1 ] && echo "graph in $work" || trap 'rm -rf "$work"' EXIT

port=30000
{
    echo '{"services": {'
    for i in $(seq "$chains"); do
        o=$port; p=$((port + 1)); c=$((port + 2)); port=$((port + 3))
        cat <<JSON
  "pricer_$i": {"plugin": "pricer.so", "addresses": {"connections": {"in": {"pricing": {"replyer": "127.0.0.1:$p"}}}}},
  "order_router_$i": {"plugin": "order_router.so", "addresses": {"connections": {
      "in": {"orders": {"subscriber": "127.0.0.1:$o"}}, "out": {"pricing": {"requester": "127.0.0.1:$p"}}}}},
  "order_feed_$i": {"plugin": "order_feed.so", "main": true, "args": {"interval_ms": 300},
      "addresses": {"connections": {"out": {"orders": {"publisher": "127.0.0.1:$o"}}}}},
  "cancel_order_$i": {"plugin": "cancel_order.so", "addresses": {"connections": {"in": {"cancel_order": {"replyer": "127.0.0.1:$c"}}}}},
  "order_sender_$i": {"plugin": "order_sender.so", "main": true, "restart": "never",
      "addresses": {"connections": {"out": {"cancel_order": {"requester": "127.0.0.1:$c"}}}}}$([ "$i" -lt "$chains" ] && echo ,)
JSON
    done
    echo '}}'
} > "$work/graph.json"

# median_ms COMMAND...: the median wall time of RUNS runs, in ms.
median_ms () {
    local times=() start end
    for _ in $(seq "$runs"); do
        start=$(date +%s%N)
        "$@" > "$work/out" 2>&1 || { cat "$work/out" >&2; exit 1; }
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f", a[int((NR + 1) / 2)] / 1000 }'
}

services=$((5 * chains))
check_ms=$(median_ms "$svcfw" check "$work/graph.json")
links=$(sed -n 's/.* \([0-9]*\) links\{0,1\}: no problem$/\1/p' "$work/out")
echo "BENCH graph_check services=$services links=$links median_ms=$check_ms"
dot_ms=$(median_ms "$svcfw" graph "$work/graph.json" -o "$work/graph.dot")
echo "BENCH graph_dot services=$services median_ms=$dot_ms"
if [ "${KEEP:-0}" = 1 ] && command -v dot > /dev/null; then
    "$svcfw" graph "$work/graph.json" -o "$work/graph.svg"
fi
