#!/bin/sh
# linked.sh SVCFW: the svcfw binary does not link libcurl (the OTLP exporter
# loads it at run time, only with --otlp), so a service pays nothing for it.
# Exit 77 (skipped) without ldd.
set -eu
svcfw=$1
if ! command -v ldd > /dev/null 2>&1; then
    echo "linked: SKIPPED: no ldd on this machine"
    exit 77
fi
libraries=$(ldd "$svcfw") || { echo "linked: ldd $svcfw failed"; exit 1; }
# The list is read at all: libzmq is linked.
echo "$libraries" | grep -q libzmq || { echo "linked: ldd $svcfw lists no libzmq:"; echo "$libraries"; exit 1; }
# A line's first word is the soname (paths, e.g. the build directory's, may say anything).
if echo "$libraries" | grep -E '^[[:space:]]*libcurl'; then
    echo "linked: $svcfw links libcurl (it must be loaded at run time by trace/otlp.c)"
    exit 1
fi
echo "linked: $svcfw: $(echo "$libraries" | wc -l) libraries, no libcurl"
