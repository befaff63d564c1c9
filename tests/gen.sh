#!/usr/bin/env bash
# gen.sh SVCFW SOURCE_DIR TEST_PLUGIN_DIR - `svcfw gen systemd|compose|k8s` on every
# example graph and on test graphs, checked by the tools that read the files:
#
#   systemd: systemd-analyze verify (package systemd) prints nothing and exits 0;
#            the units say Type=notify, WatchdogSec, Restart= from "restart",
#            an absolute ExecStart, After= the services they connect to
#   compose: docker-compose config (Debian's docker-compose 1.29; no daemon needed)
#   k8s:     tests/k8s_check.py, an offline structural check (see there), with
#            the Service names, ports, probes and StatefulSet choice of the
#            order_book graph asserted; the check must fail on a broken file
#
# No process of the graph runs: fixed example ports are fine here.
set -euo pipefail
svcfw=$(realpath "$1")
src=$(realpath "$2")
plugins=$(realpath "$3")
work=$(mktemp -d "${TMPDIR:-/tmp}/svcfw-gen-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
python=/usr/bin/python3
fail () { echo "gen.sh: FAIL: $*" >&2; exit 1; }
command -v systemd-analyze > /dev/null || fail "systemd-analyze is missing (apt-get install systemd)"
command -v docker-compose > /dev/null || fail "docker-compose is missing (apt-get install docker-compose)"

# ---- Every example graph, every kind ---------------------------------------
for graph in cancel_order ticker chain order_book; do
    out=$work/$graph
    "$svcfw" gen systemd "$src/examples/$graph/graph.json" -o "$out/systemd" > "$out.systemd.list"
    verify=$(cd "$out/systemd" && systemd-analyze verify --man=no ./*.service ./*.target 2>&1) \
        || fail "$graph: systemd-analyze verify: $verify"
    [ -z "$verify" ] || fail "$graph: systemd-analyze verify complained: $verify"
    for unit in "$out"/systemd/*.service; do
        grep -qx 'Type=notify' "$unit" || fail "$unit: no Type=notify"
        grep -qx 'WatchdogSec=10' "$unit" || fail "$unit: no WatchdogSec"
        grep -q "^ExecStart=$svcfw -s /" "$unit" || fail "$unit: ExecStart is not $svcfw with absolute paths"
    done
    [ "$(wc -l < "$out.systemd.list")" -ge 3 ] || fail "$graph: gen systemd listed $(cat "$out.systemd.list")"

    "$svcfw" gen compose "$src/examples/$graph/graph.json" -o "$out/compose" > /dev/null
    config=$(cd "$out/compose" && docker-compose config -q 2>&1) || fail "$graph: docker-compose config: $config"

    "$svcfw" gen k8s "$src/examples/$graph/graph.json" -o "$out/k8s" > /dev/null
    $python "$src/tests/k8s_check.py" "$out/k8s/${graph//_/-}.k8s.yaml" > /dev/null \
        || fail "$graph: $($python "$src/tests/k8s_check.py" "$out/k8s/${graph//_/-}.k8s.yaml")"
done

# ---- order_book in detail ----------------------------------------------------
ob=$src/examples/order_book
ex=$work/order_book
# systemd: restart policies, the binding side before its clients.
grep -qx 'Restart=no' "$ex/systemd/svcfw-order-book-price_checker.service" || fail "price_checker: not Restart=no"
grep -qx 'Restart=on-failure' "$ex/systemd/svcfw-order-book-order_book.service" || fail "order_book: not Restart=on-failure"
grep -qx 'After=svcfw-order-book-market_price.service' "$ex/systemd/svcfw-order-book-order_book.service" \
    || fail "order_book: not After=market_price"
grep -q -- ' -m --count 5 --interval_ms 300$' "$ex/systemd/svcfw-order-book-price_checker.service" \
    || fail "price_checker: main mode and args not on ExecStart"
# compose: names for hosts.
grep -q '"tcp://market_price:28142"' "$ex/compose/order_book/addresses.json" || fail "compose: order_book's subscriber not rewritten"
grep -q '"tcp://\*:28141"' "$ex/compose/order_book/addresses.json" || fail "compose: order_book's replyer does not bind every interface"

# The same graph with an admin endpoint on order_book, inline addresses for
# price_checker (written beside the units), and a durable pair of test plugins.
cat > "$work/ob.json" <<EOF
{"services": {
  "market_price": {"plugin": "market_price.so", "addresses": "$ob/addresses.json", "config": "$ob/config.json", "main": true},
  "order_book": {"plugin": "order_book.so", "addresses": "$ob/addresses.json", "args": {"svcfw_admin": "127.0.0.1:9464"}},
  "price_checker": {"plugin": "price_checker.so", "main": true, "restart": "never",
                    "addresses": {"connections": {"out": {"best_price": {"requester": "127.0.0.1:28141"}}}}},
  "sink": {"plugin": "$plugins/durable_sink.so", "args": {"out_file": "$work/sink.txt"},
           "addresses": {"connections": {"in": {"events": {"replyer": "0.0.0.0:28150"}}}}},
  "source": {"plugin": "$plugins/durable_source.so", "main": true,
             "addresses": {"connections": {"out": {"events": {"requester": "localhost:28150"}}}}}}}
EOF
"$svcfw" gen k8s "$work/ob.json" -o "$work/k8s" > /dev/null
$python "$src/tests/k8s_check.py" "$work/k8s/ob.k8s.yaml" \
    --service market-price-order-book-publisher:28142 \
    --service market-price-order-book-replyer:28143 \
    --service order-book-best-price-replyer:28141 \
    --service sink-events-replyer:28150 \
    --kind market-price:StatefulSet --kind order-book:Deployment --kind price-checker:Deployment \
    --kind sink:StatefulSet --kind source:StatefulSet \
    --probes order-book:9464 --no-probes market-price --no-probes price-checker \
    || fail "k8s manifests of $work/ob.json"
grep -q -- '- "0.0.0.0:9464"' "$work/k8s/ob.k8s.yaml" || fail "k8s: order_book's admin does not listen on every interface"
grep -q 'tcp://sink-events-replyer:28150' "$work/k8s/ob.k8s.yaml" || fail "k8s: source does not reach sink by its Service"
# The check can fail: a connect to a Service that is not there.
sed 's/market-price-order-book-replyer:28143/market-price-order-book-gone:28143/' "$work/k8s/ob.k8s.yaml" > "$work/broken.yaml"
if $python "$src/tests/k8s_check.py" "$work/broken.yaml" > "$work/broken.out"; then
    fail "k8s_check passed a manifest whose address names no Service"
fi
grep -q "no Service 'market-price-order-book-gone'" "$work/broken.out" || fail "k8s_check: $(cat "$work/broken.out")"

"$svcfw" gen systemd "$work/ob.json" -o "$work/systemd" > "$work/systemd.list"
grep -qx "$work/systemd/price_checker.addresses.json" "$work/systemd.list" || fail "inline addresses not listed: $(cat "$work/systemd.list")"
grep -q -- "-a $work/systemd/price_checker.addresses.json" "$work/systemd/svcfw-ob-price_checker.service" \
    || fail "inline addresses not written beside the units"
grep -q -- '--admin 127.0.0.1:9464' "$work/systemd/svcfw-ob-order_book.service" || fail "systemd: no --admin"
verify=$(cd "$work/systemd" && systemd-analyze verify --man=no ./*.service ./*.target 2>&1) || fail "ob: $verify"
[ -z "$verify" ] || fail "ob: systemd-analyze verify complained: $verify"
"$svcfw" gen compose "$work/ob.json" -o "$work/compose" > /dev/null
config=$(cd "$work/compose" && docker-compose config -q 2>&1) || fail "ob: docker-compose config: $config"

# ---- Usage ---------------------------------------------------------------------
set +e
"$svcfw" gen helm "$ob/graph.json" 2> "$work/usage.err"; status=$?
set -e
[ $status -eq 2 ] && grep -q '^svcfw: usage: gen: unknown kind "helm"' "$work/usage.err" || fail "gen helm: status $status, $(cat "$work/usage.err")"
set +e
"$svcfw" gen k8s "$work/missing.json" -o "$work/x" 2> "$work/missing.err"; status=$?
set -e
[ $status -eq 1 ] && grep -q "missing.json" "$work/missing.err" || fail "gen of a missing graph: status $status"
echo "gen.sh: OK"
