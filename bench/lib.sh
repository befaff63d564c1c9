# bench/lib.sh - shell functions bench/run and bench/compare share (sourced).

# median COLUMN FILE [FORMAT]: the median of a whitespace-separated column
# ("-" if none); the mean of the middle two, printed with FORMAT (default
# %.1f), when the count is even.
median () {
    awk -v c="$1" '{ print $c }' "$2" | sort -g \
        | awk -v f="${3:-%.1f}\n" '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
                                                     else printf f, (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# stop PID: SIGTERM, then wait (bounded), SIGKILL as a last resort.
stop () {
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
    kill -KILL "$1" 2>/dev/null || true
}
