/*  bench_trace - what tracing costs a handler thread: ns per handled
    message without an exporter (no traceparent, and one passed on), and
    ns per message with an exporter whose collector is dead (a SERVER span
    and a CLIENT span recorded and queued, or dropped when the queue is
    full).

      bench_trace DEAD_URL [MESSAGES]
    prints "TRACE off_ns=... passthrough_ns=... dead_collector_ns=..."
*/
#include <stdio.h>
#include <stdlib.h>
#include "metrics.h"
#include "trace.h"

#define S_PARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

//  One handled message that sends once, as a replyer's handler would.
static double
s_run (const char *traceparent, int messages)
{
    int64_t start = metrics_now ();
    for (int i = 0; i < messages; i++) {
        trace_in_begin ("orders", TRACE_SERVER, traceparent, 0);
        trace_out_begin ("downstream", TRACE_CLIENT, "w_1");
        trace_out_end (false);
        trace_in_end ("w", NULL);
    }
    return (double) (metrics_now () - start) / messages;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: bench_trace DEAD_URL [MESSAGES]\n");
        return 2;
    }
    int messages = argc > 2? atoi (argv [2]): 2000000;
    double off = s_run (NULL, messages);
    double passthrough = s_run (S_PARENT, messages);
    char err [ERR_LEN];
    if (trace_export_start (argv [1], "bench", err)) {
        fprintf (stderr, "bench_trace: %s\n", err);
        return 1;
    }
    double dead = s_run (NULL, messages);
    trace_export_stop ();
    printf ("TRACE off_ns=%.1f passthrough_ns=%.1f dead_collector_ns=%.1f\n", off, passthrough, dead);
    return 0;
}
