/*  metrics.h - the process's metrics (SPEC §9): counters, gauges and
    histograms per connection and per state, rendered as Prometheus text.

    @discuss
    The families and their labels are fixed by the SPEC, so dashboards carry
    over; no label carries a workflow or message id. Each connection (and
    each state) has one record, interned by name for the life of the process
    (metrics_conn, metrics_state); the hot path then only does relaxed
    atomic adds on that record, so any thread may count (handlers may run on
    worker threads) and no lock is taken. Interning and rendering take one
    mutex; a fault's count (metrics_fault) interns by name too, which costs a
    lookup under that mutex, fine for a path that is not the common one.

    Histograms have fixed buckets (METRICS_BUCKETS, seconds); a render
    gives cumulative buckets with +Inf, _sum and _count, where _count is
    the sum of the buckets read, so a scrape is always self-consistent.
    @end
*/
#ifndef METRICS_H_INCLUDED
#define METRICS_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>

//  The outcome label of svcfw_messages_total and svcfw_requests_total: `ok`
//  or an error kind (SPEC §9). Order fixed; metrics_outcome_name names them.
typedef enum {
    METRICS_OK = 0,
    METRICS_INVALID_JSON,
    METRICS_INVALID_ENVELOPE,
    METRICS_INVALID_ARGS,
    METRICS_TOO_LARGE,
    METRICS_BAD_FRAMES,
    METRICS_HANDLER_FAILED,
    METRICS_INVALID_RETURN,
    METRICS_DEADLINE_EXCEEDED,
    METRICS_TIMEOUT,
    METRICS_CIRCUIT_OPEN,
    METRICS_ERROR_REPLY,
    METRICS_INVALID_REPLY,
    METRICS_ERROR,              //  a request that failed otherwise (e.g. its outbox could not store it)
    METRICS_OUTCOMES
} metrics_outcome_t;

//  What a connection is, for which families it appears in (OR'ed).
#define METRICS_IN          1u      //  inbound: messages in, handler seconds, handlers running
#define METRICS_OUT         2u      //  outbound: messages out
#define METRICS_REQUESTER   4u      //  requests total and seconds
#define METRICS_BREAKER     8u      //  circuit state
#define METRICS_OUTBOX     16u      //  outbox pending
#define METRICS_PUBLISHER  32u      //  publisher dropped
#define METRICS_CACHE      64u      //  a requester's reply cache: lookups by outcome

#define METRICS_BUCKET_COUNT 14     //  finite buckets; +Inf follows

typedef struct _metrics_conn_t metrics_conn_t;
typedef struct _metrics_state_t metrics_state_t;

/* The outcome's label value, e.g. "invalid_args". Static string. */
const char *metrics_outcome_name (metrics_outcome_t outcome);

/* The outcome named `kind` (an error kind such as "too_large"), or
   METRICS_ERROR if it is none of them. */
metrics_outcome_t metrics_outcome (const char *kind);

/* The record of connection `name`, made on first use (name copied) and
   kept until metrics_reset; `roles` (METRICS_IN ...) are added to what it
   is. Returns NULL if out of memory, or when the environment has
   SVCFW_METRICS=off (for bench/run, to measure what counting costs);
   every metrics_ call accepts NULL and then counts nothing. Any thread. */
metrics_conn_t *metrics_conn (const char *name, unsigned roles);

/* Counts one message of connection `self`, inbound (`in`) or outbound, with
   `outcome`. Any thread; lock-free. */
void metrics_message (metrics_conn_t *self, bool in, metrics_outcome_t outcome);

/* Counts an inbound fault of connection or state `name` (its kind's name):
   for wire/envelope.c's fault_log, which sees every one. Any thread. */
void metrics_fault (const char *name, const char *kind);

/* A handler call begins: counts it running and returns its start time, to
   pass to metrics_handler_end. Any thread; lock-free. */
int64_t metrics_handler_begin (metrics_conn_t *self);
void metrics_handler_end (metrics_conn_t *self, int64_t start);

/* Handler calls of one inbound connection, tallied by the one thread that
   makes them and added to the connection's counts in one go: a handler
   thread that runs a batch of messages back to back then does a few
   atomic adds per batch, not five per message. What a tally holds is
   added once it is METRICS_TALLY_NS old, so a scrape trails a batch of
   slow handlers by that at most. On the caller's stack:
   metrics_tally_begin starts it (and counts a handler running until
   metrics_tally_end, which adds the rest). A NULL connection counts
   nothing. */
#define METRICS_TALLY_NS 100000000      //  100 ms
typedef struct {
    metrics_conn_t *conn;
    int64_t since;                      //  metrics_now of the last add
    uint64_t calls;                     //  handler calls held
    uint64_t sum_ns;
    uint32_t buckets [METRICS_BUCKET_COUNT + 1];
    uint32_t outcomes [METRICS_OUTCOMES];   //  inbound messages, by outcome
} metrics_tally_t;
void metrics_tally_begin (metrics_tally_t *self, metrics_conn_t *conn, int64_t now);
/* One handler call of `ns` nanoseconds with `outcome`, ended at `now`
   (metrics_now). */
void metrics_tally_call (metrics_tally_t *self, int64_t ns, metrics_outcome_t outcome, int64_t now);
void metrics_tally_end (metrics_tally_t *self);

/* One svcfw_to_send on requester `self`, whatever its attempts, begun at
   `start` (metrics_now): counts its outcome in svcfw_requests_total and
   svcfw_messages_total{direction="out"}, and its time. Any thread. */
void metrics_request (metrics_conn_t *self, metrics_outcome_t outcome, int64_t start);

/* Gauges and counters of one connection. Any thread; lock-free. */
void metrics_circuit (metrics_conn_t *self, int state);        //  0 closed, 1 open, 2 half-open
void metrics_outbox_pending (metrics_conn_t *self, long pending);
void metrics_outbox_add (metrics_conn_t *self, long delta);       //  pending += delta
void metrics_publisher_dropped (metrics_conn_t *self);
void metrics_auth_denied (metrics_conn_t *self);

/* The outcome of one lookup in a requester's reply cache, for
   svcfw_cache_requests_total{connection,outcome}. */
typedef enum {
    METRICS_CACHE_HIT,          //  served without a round trip
    METRICS_CACHE_MISS,         //  no valid reply: a round trip (or another caller's, shared)
    METRICS_CACHE_REFRESH,      //  a valid reply refreshed early (XFetch): a round trip
    METRICS_CACHE_OUTCOMES
} metrics_cache_t;

/* Counts one lookup in requester `self`'s reply cache. Any thread; lock-free. */
void metrics_cache (metrics_conn_t *self, metrics_cache_t outcome);

/* The record of state `name` (copied), made on first use. NULL only if out
   of memory. Any thread. */
metrics_state_t *metrics_state (const char *name);

/* The last seq the state's in side applied or its out side published
   (`out`). Any thread; lock-free. */
void metrics_state_seq (metrics_state_t *self, bool out, uint64_t seq);

/* Counts a resync of an in-state for `reason` (a short fixed word such as
   "gap", "epoch", "late_join", "queue_full", "follow_up"; a label value,
   never an id). Any thread. */
void metrics_state_resync (metrics_state_t *self, const char *reason);

/* The trace counters (docs/observability.md): spans handed to the
   collector, spans dropped (the exporter's queue was full, or the
   collector did not take them), traceparent values refused. */
typedef enum {
    METRICS_SPANS_EXPORTED = 0,         //  svcfw_spans_exported_total
    METRICS_SPANS_QUEUE_FULL,           //  svcfw_spans_dropped_total{reason="queue_full"}
    METRICS_SPANS_EXPORT_FAILED,        //  svcfw_spans_dropped_total{reason="export_failed"}
    METRICS_TRACEPARENT_INVALID,        //  svcfw_traceparent_invalid_total
    METRICS_TRACE_COUNTERS
} metrics_trace_t;

/* Adds n to a trace counter. Any thread; lock-free. */
void metrics_trace (metrics_trace_t counter, uint64_t n);

/* Spans are exported (--otlp): the span families are rendered from now on.
   Any thread. */
void metrics_trace_exporting (void);

/* Monotonic nanoseconds, for metrics_request's start. */
int64_t metrics_now (void);

/* The handled messages and faults of every connection, one line each, for
   the stop summary: calls `line` with each (a NUL-terminated text such as
   "orders: 12 handled (10 ok), faults: invalid_args 2"). Any thread. */
void metrics_summary (void (*line) (const char *text, void *arg), void *arg);

/* Every family in Prometheus text exposition format 0.0.4, process metrics
   from /proc included. Returns a fresh string the caller frees with free(),
   or NULL if out of memory. Any thread. */
char *metrics_render (void);

/* Forgets every record: for tests only, when no other thread counts. */
void metrics_reset (void);

#endif
