#!/usr/bin/env bash
# partition.sh - a real partition between two hosts (issue 10, Must show 2).
#
#   tests/partition.sh SVCFW_BIN TEST_PLUGIN_DIR
#
# Makes two network namespaces joined by a veth pair (10.200.0.1 and
# 10.200.0.2, addresses that exist only inside them) and runs:
#   ns A: part_owner (main mode): requester `work` -> B, out-state `tally`
#   ns B: part_mirror: replyer `work`, in-state `tally` <- A
# then cuts the link for 10 s (tc netem loss 100 % where the kernel has it,
# else the veth is set down) and heals it. Checks, with bounded waits:
#   - during the cut, requests fail within their timeout (2 attempts of
#     1000 ms, well under 5 s each) and say so;
#   - the in-state logs that its owner is lost;
#   - after the heal, a request succeeds within the reconnect ceiling plus
#     one request's budget (2 s + 2 s; asserted with a loose 15 s), the
#     in-state logs its owner back, and it converges exactly (keys == n);
#   - power loss: A is cut off, its owner killed and its namespace deleted
#     (no FIN or RST ever reaches B), then A comes back with a new owner:
#     B's in-state, whose connection nobody will answer, notices through the
#     ZMTP heartbeats, reconnects, syncs and converges with the new owner.
# Every namespace (with its veth) and process is removed on any exit.
# Exit 77 (CTest: skipped) when not root or `ip netns` cannot be used.
set -uo pipefail

svcfw=${1:?usage: partition.sh SVCFW_BIN TEST_PLUGIN_DIR}
plugins=${2:?usage: partition.sh SVCFW_BIN TEST_PLUGIN_DIR}

skip () { echo "partition.sh: SKIPPED: $*"; exit 77; }
fail () { echo "partition.sh: FAILED: $*"; dump; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
command -v ip >/dev/null || skip "no 'ip' command (iproute2)"

tag=$$
ns_b="svcfw-part-b-$tag"
namespaces=()
dir=$(mktemp -d /tmp/svcfw-partition-XXXXXX)
pids=()
cut_by=""

cleanup () {
    local pid
    for pid in "${pids[@]}"; do
        kill -CONT "$pid" 2>/dev/null
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    local ns
    for ns in "${namespaces[@]}" "$ns_b"; do ip netns del "$ns" 2>/dev/null; done
    [ -n "${KEEP:-}" ] || rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

dump () {
    local f
    for f in "$dir"/*.out; do
        [ -f "$f" ] || continue
        echo "---- $f (last 40 lines) ----"
        tail -n 40 "$f"
    done
}

# Host A (its namespace) and the veth pair to B; run again after A's power loss.
make_host_a () {
    host_gen=$(( ${host_gen:-0} + 1 ))
    veth_a="svpa$tag$host_gen"
    veth_b="svpb$tag$host_gen"
    ns_a="svcfw-part-a-$tag-$host_gen"
    namespaces+=("$ns_a")
    ip netns add "$ns_a" || fail "cannot add namespace $ns_a"
    ip link add "$veth_a" netns "$ns_a" type veth peer name "$veth_b" netns "$ns_b" || fail "cannot add the veth pair"
    ip -n "$ns_a" addr add 10.200.0.1/24 dev "$veth_a" || fail "cannot address $veth_a"
    ip -n "$ns_b" addr add 10.200.0.2/24 dev "$veth_b" || fail "cannot address $veth_b"
    ip -n "$ns_a" link set lo up
    ip -n "$ns_a" link set "$veth_a" up
    ip -n "$ns_b" link set "$veth_b" up
}
ip netns add "$ns_b" 2>/dev/null || skip "'ip netns add' does not work here"
ip -n "$ns_b" link set lo up
make_host_a

# wait_for FILE NEEDLE TIMEOUT_S: polls every 0.1 s until FILE holds NEEDLE.
wait_for () {
    local deadline=$(( $(date +%s%N) / 1000000 + $3 * 1000 ))
    while [ $(( $(date +%s%N) / 1000000 )) -lt $deadline ]; do
        grep -qF -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
now_ms () { echo $(( $(date +%s%N) / 1000000 )); }

# Fixed ports are safe here: nothing else lives in these namespaces.
cat > "$dir/mirror.json" <<JSON
{"connections": {"in": {"work": {"replyer": "10.200.0.2:7001"}}},
 "states": {"in": {"tally": {"subscriber": "10.200.0.1:7002", "requester": "10.200.0.1:7003"}}}}
JSON
cat > "$dir/owner.json" <<JSON
{"connections": {"out": {"work": {"requester": "10.200.0.2:7001"}}},
 "states": {"out": {"tally": {"publisher": "10.200.0.1:7002", "replyer": "10.200.0.1:7003"}}}}
JSON

ip netns exec "$ns_b" "$svcfw" -s "$plugins/part_mirror.so" -a "$dir/mirror.json" > "$dir/mirror.out" 2>&1 &
pids+=($!)
# start_owner NAME: part_owner in A, output in NAME.out, stopping once NAME.stop exists.
start_owner () {
    echo "{\"period_ms\": 200, \"stop_file\": \"$dir/$1.stop\"}" > "$dir/$1.config.json"
    ip netns exec "$ns_a" "$svcfw" -s "$plugins/part_owner.so" -a "$dir/owner.json" -c "$dir/$1.config.json" -m \
        > "$dir/$1.out" 2>&1 &
    owner_pid=$!
    pids+=($owner_pid)
}
start_owner owner

wait_for "$dir/owner.out" "reply n=5 in" 15 || fail "no replies across the link before the cut"
wait_for "$dir/mirror.out" "tally: synced from snapshot" 15 || fail "the in-state did not sync before the cut"

# The cut.
replies_before=$(grep -c "reply n=" "$dir/owner.out")
if ip netns exec "$ns_a" tc qdisc add dev "$veth_a" root netem loss 100% 2>/dev/null \
&& ip netns exec "$ns_b" tc qdisc add dev "$veth_b" root netem loss 100% 2>/dev/null; then
    cut_by="tc netem loss 100%"
else
    ip netns exec "$ns_a" tc qdisc del dev "$veth_a" root 2>/dev/null
    ip -n "$ns_a" link set "$veth_a" down || fail "cannot cut the link"
    cut_by="ip link set $veth_a down"
fi
cut_at=$(now_ms)
echo "partition.sh: link cut ($cut_by)"
wait_for "$dir/owner.out" "failed after" 10 || fail "no request failed during the cut"
wait_for "$dir/mirror.out" "tally: owner lost" 10 || fail "the in-state did not say its owner was lost"
while [ $(( $(now_ms) - cut_at )) -lt 10000 ]; do sleep 0.2; done

# The heal.
if [ "$cut_by" = "tc netem loss 100%" ]; then
    ip netns exec "$ns_a" tc qdisc del dev "$veth_a" root
    ip netns exec "$ns_b" tc qdisc del dev "$veth_b" root
else
    ip -n "$ns_a" link set "$veth_a" up
fi
healed_at=$(now_ms)
echo "partition.sh: link healed after $(( healed_at - cut_at )) ms"

# During the cut: each failed request failed within its budget, and said why.
failures=$(grep "failed after" "$dir/owner.out")
[ -n "$failures" ] || fail "no failed request logged"
while IFS= read -r line; do
    took=$(sed -n 's/.*failed after \([0-9]*\) ms: .*/\1/p' <<<"$line")
    [ -n "$took" ] || fail "a failed request without its time and reason: $line"
    [ "$took" -le 5000 ] || fail "a request failed after $took ms, past its 2 x 1000 ms budget: $line"
    grep -q "no reply" <<<"$line" || grep -q "timeout\|timed out" <<<"$line" \
        || fail "a failed request does not say it timed out: $line"
done <<<"$failures"
echo "partition.sh: $(wc -l <<<"$failures") requests failed during the cut, each within its budget"

# After the heal: requests succeed again, within the reconnect ceiling plus a request's budget.
deadline=$(( healed_at + 15000 ))
while [ "$(grep -c "reply n=" "$dir/owner.out")" -le "$replies_before" ] || \
      ! tail -n 1 "$dir/owner.out" | grep -q "reply n="; do
    [ "$(now_ms)" -lt $deadline ] || fail "no request succeeded within 15 s of the heal"
    sleep 0.1
done
echo "partition.sh: requests succeed again $(( $(now_ms) - healed_at )) ms after the heal"
wait_for "$dir/mirror.out" "tally: owner back after" 15 || fail "the in-state did not say its owner was back"

# Exact again.
touch "$dir/owner.stop"
wait_for "$dir/owner.out" "FINAL n=" 10 || fail "the owner did not stop changing its state"
final=$(sed -n 's/.*FINAL n=\([0-9]*\).*/\1/p' "$dir/owner.out" | tail -n 1)
wait_for "$dir/mirror.out" "tally n=$final keys=$final" 15 \
    || fail "the in-state did not converge to n=$final with every key"
echo "partition.sh: the in-state converged exactly (n=$final keys=$final)"
# Power loss: host A vanishes while cut off (its kernel, and every
# connection it had, gone without a word to B) and comes back with a fresh
# owner. B's in-state holds a connection nobody will ever answer: only the
# ZMTP heartbeats find that out and make it connect again.
syncs_before=$(grep -c "tally: synced from snapshot" "$dir/mirror.out")
ip -n "$ns_a" link set "$veth_a" down
kill -KILL "$owner_pid"
wait "$owner_pid" 2>/dev/null
ip -n "$ns_b" link del "$veth_b" || fail "cannot remove the old link"
ip netns del "$ns_a" || fail "cannot remove host A"
make_host_a
start_owner owner2
lost_at=$(now_ms)
echo "partition.sh: host A lost its power and came back with a new owner"
wait_for "$dir/owner2.out" "reply n=" 15 || fail "the new owner's requests do not reach B"
deadline=$(( lost_at + 15000 ))
while [ "$(grep -c "tally: synced from snapshot" "$dir/mirror.out")" -le "$syncs_before" ]; do
    [ "$(now_ms)" -lt $deadline ] || fail "the in-state did not sync with the new owner within 15 s"
    sleep 0.1
done
echo "partition.sh: the in-state synced with the new owner $(( $(now_ms) - lost_at )) ms after it started"
touch "$dir/owner2.stop"
wait_for "$dir/owner2.out" "FINAL n=" 10 || fail "the new owner did not stop changing its state"
final=$(sed -n 's/.*FINAL n=\([0-9]*\).*/\1/p' "$dir/owner2.out" | tail -n 1)
wait_for "$dir/mirror.out" "tally n=$final keys=$final" 15 \
    || fail "the in-state did not converge to the new owner's n=$final"
echo "partition.sh: the in-state converged exactly with the new owner (n=$final keys=$final)"

if grep -qE "ERROR: (Address|Leak)Sanitizer|runtime error:" "$dir"/*.out; then
    fail "a sanitizer report in the output"
fi
echo "partition.sh: PASSED"
