/*  trace.h - W3C Trace Context and spans: which trace the calling thread
    works in, the spans it records, and the traceparent its sends carry.

    @discuss
    An envelope may carry "traceparent": "00-TRACEID-SPANID-FLAGS" (W3C
    Trace Context, lowercase hex). Each thread keeps what it handles in a
    record of its own (as crash.c keeps the running handler and log.c the
    workflow id), so nothing is looked up per message and no lock is taken:
      - an inbound span: the message the thread handles (a replyer's
        request: SERVER; a subscriber's message: CONSUMER), the child of
        the sender's span, or the root of a new trace when the message came
        without one (a leading edge);
      - an outbound span: the send in progress (svcfw_to_send to a
        requester: CLIENT; to a publisher or a durable requester:
        PRODUCER), the child of the inbound span, or a new trace's root
        outside any handler (main mode's svcfw_main, svcfw_init).
    A send's envelope carries the outbound span's traceparent
    (trace_parent_text), so the next service's span is its child.

    Spans are recorded only while an exporter runs (trace_export_start);
    without one nothing is built: an incoming traceparent is passed on
    unchanged to the handler's sends, and log lines carry its ids. A parent
    whose flags say "not sampled" is passed on the same way. A malformed
    traceparent is ignored (the message is handled as if it had none),
    counted in svcfw_traceparent_invalid_total, and the first one logged.

    Finished spans go to the exporter (otlp.h) by copy; a full queue drops
    them (counted), so recording never waits.
    @end
*/
#ifndef TRACE_H_INCLUDED
#define TRACE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include "err.h"

#define TRACE_PARENT_LEN 55         //  "00-" 32 hex "-" 16 hex "-" 2 hex

//  OTLP's SpanKind values.
typedef enum {
    TRACE_SERVER = 2,
    TRACE_CLIENT = 3,
    TRACE_PRODUCER = 4,
    TRACE_CONSUMER = 5
} trace_kind_t;

//  A traceparent's fields.
typedef struct {
    uint8_t trace_id [16];
    uint8_t span_id [8];            //  the sender's span: the parent of the receiver's
    uint8_t flags;                  //  bit 0: sampled
} trace_context_t;

//  One finished span, as the exporter takes it.
typedef struct {
    uint8_t trace_id [16];
    uint8_t span_id [8];
    uint8_t parent_id [8];          //  all zero: a root span
    trace_kind_t kind;
    int64_t start_ns, end_ns;       //  Unix time, nanoseconds
    char name [128];                //  the connection's name
    char workflow_id [256];
    char error [32];                //  "" ok, else the error kind (e.g. "timeout")
} trace_span_t;

/* Parses a traceparent strictly: version 00 is exactly 55 characters; a
   later version (not ff) may be longer if a '-' follows the first 55; hex
   is lowercase; neither id is all zeros. Returns 0 with *out filled, or -1
   with a short reason in err (ERR_LEN). Any thread. */
int trace_parse (const char *text, trace_context_t *out, char *err);

/* Writes `ctx` as a version 00 traceparent into out (TRACE_PARENT_LEN + 1
   bytes, NUL-terminated). Any thread. */
void trace_format (const trace_context_t *ctx, char *out);

/* Writes `len` bytes as lowercase hex into out (2 * len + 1 bytes). */
void trace_hex (const uint8_t *bytes, int len, char *out);

/* Starts exporting spans to the OTLP/HTTP endpoint `url` (otlp.h) as
   service `service`: from now on every thread records spans. Returns 0,
   or -1 with err naming the URL. Call once, from the loop thread. */
int trace_export_start (const char *url, const char *service, char *err);

/* Stops recording, sends what is queued (bounded), ends the exporter.
   Loop thread, after the handler threads ended. Safe without a start. */
void trace_export_stop (void);

/* True while spans are recorded. Any thread. */
bool trace_exporting (void);

/* The calling thread takes up an inbound message of `connection` (copied)
   that carried `traceparent` (NULL: none; "" stands for a value that was
   not a string) and came in at `received_ms` (zclock_mono ms; 0: now).
   Sets the thread's trace, and the log's trace ids, until trace_in_end.
   A handler thread. */
void trace_in_begin (const char *connection, trace_kind_t kind, const char *traceparent, int64_t received_ms);

/* The message is done: `workflow_id` (NULL: none) names it in the span,
   `error` (NULL: ok) is the error kind of its outcome. Hands the span to
   the exporter, clears the thread's trace and the log's ids. Safe without
   a begin. */
void trace_in_end (const char *workflow_id, const char *error);

/* A send of the calling thread begins on `connection`: records an
   outbound span of `kind`, the child of the thread's inbound span (or a
   new trace's root); its traceparent is what trace_parent_text gives
   until trace_out_end. `workflow_id` is the send's id. */
void trace_out_begin (const char *connection, trace_kind_t kind, const char *workflow_id);

/* Sets the error kind of the calling thread's outbound span (a requester
   names how the call failed: "timeout", "circuit_open", ...). Static or
   lasting string; copied. No-op without an outbound span. */
void trace_out_error (const char *kind);

/* The send is done: `failed` marks the span an error ("error" unless
   trace_out_error named the kind). Hands it to the exporter. */
void trace_out_end (bool failed);

/* The traceparent a message sent now by the calling thread carries: its
   outbound span's, else the inbound message's context (passed on), else
   NULL. Borrowed, valid until the thread's next trace_ call. */
const char *trace_parent_text (void);

#endif
