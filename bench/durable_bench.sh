#!/usr/bin/env bash
# bench/durable_bench.sh BUILD_DIR [COUNT] - the durable-delivery figures of docs/resilience.md.
#
#   1. What one outbox transaction costs (bench/bench_outbox.c, built here with cc):
#      enqueue with synchronous=FULL and NORMAL; marking delivered 1/16/64/256 rows per transaction.
#   2. End to end, real binaries: the producer tests/plugins/durable_source (main mode) sends
#      COUNT (default 20000) durable messages to the dedupe replyer tests/plugins/durable_sink,
#      with outbox_batch 1 and 64; messages/s from the first send to the outbox's last ack.
#   3. A dead downstream's return: 5000 messages wait in the outbox while the replyer is dead
#      for 8 s (the sender is then in its backoff at the cap, runtime defaults timeout_ms 2500,
#      backoff_ms 100, backoff_max_ms 5000); the replyer starts; the time from its "ready"
#      to the first acknowledgement and to the outbox being empty.
# BUILD_DIR is a configured and built tree (cmake --build BUILD_DIR), Release or RelWithDebInfo.
# Every process is stopped by its PID; nothing is killed by name.
set -euo pipefail

build=${1:?usage: bench/durable_bench.sh BUILD_DIR [COUNT]}
count=${2:-20000}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$build" && pwd)
svcfw=$build/svcfw
plugins=$build/tests/plugins
work=$(mktemp -d /tmp/durable-bench.XXXXXX)
pids=()
cleanup () {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

port () { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits (bounded, 120 s) until FILE contains TEXT.
wait_for () {
    local file=$1 text=$2 end=$((SECONDS + 120))
    until grep -q -- "$text" "$file" 2>/dev/null; do
        [ $SECONDS -lt $end ] || { echo "timed out waiting for '$text' in $file" >&2; cat "$file" >&2; exit 1; }
        sleep 0.01
    done
}

# The log time (ms since the epoch) of the first line of FILE containing TEXT.
log_ms () {
    grep -m1 -- "$2" "$1" | python3 -c 'import sys, datetime
t = sys.stdin.read().split()[0]
d = datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(int(d.timestamp() * 1000))'
}

# start_sink DIR PORT: a dedupe replyer appending ids to DIR/ids.txt; its PID in $sink.
start_sink () {
    local dir=$1 port=$2
    echo "{\"connections\": {\"in\": {\"events\": {\"replyer\": \"127.0.0.1:$port\"}}, \"out\": {}}}" > "$dir/sink.addresses.json"
    echo "{\"out_file\": \"$dir/ids.txt\"}" > "$dir/sink.config.json"
    "$svcfw" -s "$plugins/durable_sink.so" -a "$dir/sink.addresses.json" -c "$dir/sink.config.json" \
        > "$dir/sink.out" 2>&1 &
    sink=$!
    pids+=("$sink")
}

# start_source DIR PORT CONFIG: the main-mode producer; its PID in $source.
start_source () {
    local dir=$1 port=$2 config=$3
    echo "{\"connections\": {\"in\": {}, \"out\": {\"events\": {\"requester\": \"127.0.0.1:$port\"}}}}" > "$dir/source.addresses.json"
    echo "$config" > "$dir/source.config.json"
    "$svcfw" -s "$plugins/durable_source.so" -a "$dir/source.addresses.json" -c "$dir/source.config.json" -m \
        > "$dir/source.out" 2>&1 &
    source=$!
    pids+=("$source")
}

echo "== 1. one outbox transaction (bench/bench_outbox.c, $count messages)"
cc -O2 -I"$root/base" -I"$root/stores" "$root/bench/bench_outbox.c" "$root/stores/outbox.c" "$root/stores/store.c" -lsqlite3 \
   -o "$work/bench_outbox"
"$work/bench_outbox" "$work" "$count"

echo "== 2. end to end: $count durable messages, producer -> dedupe replyer"
for batch in 1 64; do
    for run in 1 2 3; do
        dir=$work/e2e-$batch-$run; mkdir -p "$dir"; p=$(port)
        start_sink "$dir" "$p"
        wait_for "$dir/sink.out" " ready: "
        start_source "$dir" "$p" "{\"count\": $count, \"batch\": $batch}"
        wait "$source"
        kill -TERM "$sink"; wait "$sink" || true
        enq=$(grep -o 'enqueued [0-9]* in [0-9]* ms' "$dir/source.out" | awk '{print $4}')
        all=$(grep -o 'all delivered in [0-9]* ms' "$dir/source.out" | awk '{print $4}')
        lines=$(wc -l < "$dir/ids.txt")
        printf 'outbox_batch %3d, run %d: enqueued in %5d ms (%6.0f/s); delivered and acknowledged in %5d ms (%6.0f messages/s); %d ids in the file\n' \
            "$batch" "$run" "$enq" "$(echo "$count * 1000 / $enq" | bc -l)" "$all" "$(echo "$count * 1000 / $all" | bc -l)" "$lines"
    done
done

echo "== 3. a dead downstream comes back: 5000 pending, replyer dead for 8 s"
for run in 1 2 3; do
    dir=$work/drain-$run; mkdir -p "$dir"; p=$(port)
    start_source "$dir" "$p" '{"count": 5000, "timeout_ms": 2500, "backoff_ms": 100, "backoff_max_ms": 5000}'
    wait_for "$dir/source.out" "enqueued 5000"
    wait_for "$dir/source.out" "is down"
    sleep 8                     # the outage being measured, not a wait for a condition
    start_sink "$dir" "$p"
    wait "$source"
    kill -TERM "$sink"; wait "$sink" || true
    ready=$(log_ms "$dir/sink.out" " ready: ")
    back=$(log_ms "$dir/source.out" "is back after")
    drained=$(log_ms "$dir/source.out" "all delivered")
    printf 'run %d: replyer ready -> first acknowledgement %4d ms; -> outbox empty (5000 delivered) %5d ms\n' \
        "$run" $((back - ready)) $((drained - ready))
done
