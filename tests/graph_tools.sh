#!/usr/bin/env bash
# graph_tools.sh SVCFW TEST_PLUGIN_DIR - svcfw check, graph and describe, run as a user would.
#
# check: each tests/graphs/RULE/graph.json breaks one rule and must exit 1
# printing exactly RULE/expected; each example graph must pass (exit 0, one
# summary line). graph: the chain example's DOT has its nodes and edges;
# every example's DOT renders with `dot -Tsvg` (exit 77, skipped, when
# Graphviz is not installed, after everything else passed). describe: an
# example plugin's page. Usage and load errors: exit 2 and 1, one line.
set -euo pipefail
svcfw=$1
plugins=$2
here=$(cd "$(dirname "$0")" && pwd)
examples=$(cd "$here/../examples" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/graph_tools.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail () { echo "graph_tools: FAIL: $*" >&2; exit 1; }

# run EXPECTED_STATUS OUT_FILE COMMAND...: runs it, stdout to OUT_FILE, stderr to OUT_FILE.err.
run () {
    local want=$1 out=$2 status=0
    shift 2
    "$@" > "$out" 2> "$out.err" || status=$?
    [ "$status" -eq "$want" ] || fail "$* exited $status, expected $want: $(cat "$out" "$out.err")"
}

# ---- check: one graph per rule ----------------------------------------------
rules=0
for dir in "$here"/graphs/*/; do
    rule=$(basename "$dir")
    (cd "$dir" && SVCFW_PLUGIN_PATH="$plugins" run 1 "$work/$rule.out" "$svcfw" check graph.json)
    diff -u "$dir/expected" "$work/$rule.out" > "$work/$rule.diff" \
        || fail "check $rule: output differs from expected:
$(cat "$work/$rule.diff")"
    rules=$((rules + 1))
done
[ "$rules" -ge 8 ] || fail "only $rules rule graphs in $here/graphs"
echo "check: $rules rule graphs each fail with their exact lines"

# ---- check: every example graph passes (plugins found beside svcfw) ---------
unset SVCFW_PLUGIN_PATH
for example in cancel_order ticker chain order_book; do
    run 0 "$work/$example.out" "$svcfw" check "$examples/$example/graph.json"
    [ "$(wc -l < "$work/$example.out")" -eq 1 ] && grep -qE '^.*/graph.json: [0-9]+ services, [0-9]+ links?: no problem$' "$work/$example.out" \
        || fail "check $example: $(cat "$work/$example.out")"
done
echo "check: the four example graphs pass"
# Without its allow_unheard, the ticker's MSFT publisher is reported.
t=$examples/ticker
printf '{"services": {"price_watcher": {"plugin": "price_watcher.so", "addresses": "%s"},
  "ticker": {"plugin": "ticker.so", "addresses": "%s", "main": true}}}' "$t/addresses.json" "$t/addresses.json" \
    > "$work/unheard.json"
status=0
"$svcfw" check "$work/unheard.json" > "$work/unheard.out" 2>&1 || status=$?
[ "$status" -eq 1 ] && grep -qF 'ticker.msft (publisher) publishes topic "MSFT", which no subscriber hears: price_watcher.prices (subscriber) hears "AAPL"' "$work/unheard.out" \
    || fail "ticker without allow_unheard: status $status: $(cat "$work/unheard.out")"

# ---- errors and usage ---------------------------------------------------------
run 1 "$work/missing.out" "$svcfw" check "$work/none.json"
grep -qxF "svcfw: error: $work/none.json: cannot read: No such file or directory" "$work/missing.out.err" \
    || fail "check of a missing file: $(cat "$work/missing.out.err")"
printf '{"services": {"x": {"plugin": "ticker.so", "restart": "sometimes"}}}' > "$work/bad.json"
run 1 "$work/bad.out" "$svcfw" check "$work/bad.json"
grep -qxF "svcfw: error: $work/bad.json: service \"x\": \"restart\" must be one of on-failure, always, never, got \"sometimes\"" \
    "$work/bad.out.err" || fail "bad restart: $(cat "$work/bad.out.err")"
run 2 "$work/usage.out" "$svcfw" check
run 2 "$work/usage.out" "$svcfw" graph "$examples/chain/graph.json" -o "$work/x.png"
grep -qF 'svcfw: usage: graph GRAPH.json [-o FILE.svg|FILE.dot]' "$work/usage.out.err" || fail "graph -o x.png: $(cat "$work/usage.out.err")"
run 2 "$work/usage.out" "$svcfw" describe
echo "errors: one line each, exit 1; usage: exit 2"

# ---- graph: the chain's nodes and edges --------------------------------------
run 0 "$work/chain.dot" "$svcfw" graph "$examples/chain/graph.json"
grep -E '^    "[^"]+" \[label=' "$work/chain.dot" | sed 's/ \[.*//' | sort > "$work/nodes"
printf '    "order_feed"\n    "order_router"\n    "pricer"\n' > "$work/nodes.want"
diff -u "$work/nodes.want" "$work/nodes" || fail "the chain's nodes"
grep -E ' -> ' "$work/chain.dot" | sed 's/ \[label="\([^"\\]*\).*/ \1/' > "$work/edges"
printf '    "order_feed" -> "order_router" orders\n    "order_router" -> "pricer" pricing\n' > "$work/edges.want"
diff -u "$work/edges.want" "$work/edges" || fail "the chain's edges"
run 0 "$work/out" "$svcfw" graph "$examples/chain/graph.json" -o "$work/chain2.dot"
cmp "$work/chain.dot" "$work/chain2.dot" || fail "-o FILE.dot differs from stdout"
echo "graph: the chain's 3 nodes and 2 edges"
# Without Graphviz on PATH, -o FILE.svg says what is missing.
PATH=/nonexistent run 1 "$work/nodot.out" "$svcfw" graph "$examples/chain/graph.json" -o "$work/x.svg"
grep -qxF "svcfw: error: -o $work/x.svg needs Graphviz's dot program (not found: install graphviz), or write a .dot file" \
    "$work/nodot.out.err" || fail "graph -o x.svg without dot: $(cat "$work/nodot.out.err")"

# ---- describe ---------------------------------------------------------------
run 0 "$work/pricer.md" "$svcfw" describe "$(dirname "$svcfw")/examples/pricer.so"
for line in '# pricer' '### `pricing` (replyer)' 'Creation options: `on_new_request`: `"on_pricing"`.' \
            '| `quantity` | `int` | required |' '| `reason` | `str` | optional |' '| `max_quantity` | `int` | optional |'; do
    grep -qxF -- "$line" "$work/pricer.md" || fail "describe pricer.so lacks the line: $line"
done
run 1 "$work/out" "$svcfw" describe "$work/none.so"
echo "describe: pricer.so's page"

# ---- graph: SVG through Graphviz -------------------------------------------
if ! command -v dot > /dev/null; then
    echo "graph_tools: dot (Graphviz) is not installed: rendering not checked (skipped)"
    exit 77
fi
for example in cancel_order ticker chain order_book; do
    run 0 "$work/$example.dot" "$svcfw" graph "$examples/$example/graph.json"
    dot -Tsvg "$work/$example.dot" -o "$work/$example.svg" || fail "dot -Tsvg refused the DOT of $example"
    grep -q '<svg' "$work/$example.svg" || fail "no SVG for $example"
    run 0 "$work/out" "$svcfw" graph "$examples/$example/graph.json" -o "$work/$example-direct.svg"
    grep -q '</svg>' "$work/$example-direct.svg" || fail "svcfw graph -o $example.svg wrote no SVG"
done
echo "graph: every example renders with dot -Tsvg"
echo "graph_tools: OK"
