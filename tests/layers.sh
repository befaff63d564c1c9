#!/usr/bin/env bash
# layers.sh - the source folders form layers (docs/architecture.md): each
# file includes project headers only from its own folder or a lower one.
# Prints every include that goes up or sideways and exits 1 if any.
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
layers=(base metrics trace resilience models security wire stores connections states admin core graph cmd)
declare -A rank
for i in "${!layers[@]}"; do rank[${layers[$i]}]=$i; done
# where each project header lives
declare -A home
for dir in "${layers[@]}"; do
    for h in "$dir"/*.h; do [ -e "$h" ] && home[$(basename "$h")]=$dir; done
done
bad=0
for dir in "${layers[@]}"; do
    for f in "$dir"/*.[ch]; do
        [ -e "$f" ] || continue
        while IFS= read -r header; do
            owner=${home[$header]:-}
            [ -n "$owner" ] || continue          # svcfw.h, system headers
            if [ "${rank[$owner]}" -gt "${rank[$dir]}" ]; then
                echo "layers: $f includes $owner/$header, a higher layer"
                bad=1
            fi
        done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
    done
done
# only core/wiring.c, in core/, includes a connection's or state's header
for f in core/*.[ch]; do
    [ "$f" = core/wiring.c ] && continue
    while IFS= read -r header; do
        owner=${home[$header]:-}
        if [ "$owner" = connections ] || [ "$owner" = states ]; then
            [ "$header" = host.h ] && continue
            echo "layers: $f includes $owner/$header (only core/wiring.c may)"
            bad=1
        fi
    done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
done
[ "$bad" = 0 ] && echo "layers: ${layers[*]}: every include goes down"
exit $bad
