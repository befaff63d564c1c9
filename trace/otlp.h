/*  otlp.h - the span exporter: OTLP/HTTP JSON to a collector, on a thread
    of its own, through a bounded queue.

    @discuss
    Finished spans are copied into a ring of OTLP_QUEUE slots under a mutex
    held for that copy only; when the ring is full the span is dropped and
    counted (svcfw_spans_dropped_total{reason="queue_full"}), so a handler
    never waits on the collector. The exporter thread wakes every
    OTLP_FLUSH_MS (or when a batch is full), takes up to OTLP_BATCH spans
    and POSTs them as one ExportTraceServiceRequest in the protobuf JSON
    encoding (resourceSpans / scopeSpans / spans, ids as hex) to URL/v1/traces
    with libcurl, waiting at most OTLP_CONNECT_MS to connect and
    OTLP_POST_MS in all: a dead or slow collector costs this thread only.
    Spans the collector took (2xx) count in svcfw_spans_exported_total,
    others in svcfw_spans_dropped_total{reason="export_failed"}; the first
    failure is logged at WARNING, the rest at DEBUG. After a failure the
    collector is left alone for OTLP_RETRY_MS: spans taken meanwhile are
    dropped (export_failed) without being encoded, so a dead collector costs
    next to nothing.
    @end
*/
#ifndef OTLP_H_INCLUDED
#define OTLP_H_INCLUDED

#include <stdbool.h>
#include "err.h"
#include "trace.h"

#define OTLP_CURL_LIBRARY "libcurl.so.4"  //  loaded by otlp_start (Debian: libcurl4); not linked
#define OTLP_QUEUE 2048             //  spans waiting at most
#define OTLP_BATCH 256              //  spans per POST at most
#define OTLP_FLUSH_MS 500           //  a span waits at most this long for its POST
#define OTLP_CONNECT_MS 500         //  curl's connect timeout
#define OTLP_POST_MS 1000           //  curl's timeout for a whole POST
#define OTLP_RETRY_MS 1000          //  after a failed POST, spans are dropped (not sent) this long

/* The URL spans are POSTed to for `endpoint`: ENDPOINT/v1/traces (one '/'
   between them), or `endpoint` as is when `full` (the signal-specific
   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). Returns a fresh string (free), or
   NULL with err when the endpoint is not http:// or https://. */
char *otlp_url (const char *endpoint, bool full, char *err);

/* Loads libcurl (OTLP_CURL_LIBRARY; the environment's SVCFW_CURL_LIBRARY
   instead, for tests) and starts the exporter thread, POSTing to `url`
   (copied) as resource service.name `service` (copied). Returns 0, or -1
   with err: "--otlp URL: cannot load libcurl.so.4 (install libcurl4): WHY"
   when the library or one of its functions is missing. Main thread; once
   (again after otlp_stop). */
int otlp_start (const char *url, const char *service, char *err);

/* Queues a copy of span, or drops it (counted) when the queue is full or
   the exporter is not running. Any thread; never blocks on the network. */
void otlp_enqueue (const trace_span_t *span);

/* Sends what is queued (one POST, bounded by OTLP_POST_MS), ends the
   thread, frees the queue. Safe without a start. */
void otlp_stop (void);

/* The ExportTraceServiceRequest JSON for `count` spans of `service`. Fresh
   string (free), or NULL when out of memory. For the exporter and tests. */
char *otlp_encode (const trace_span_t *spans, int count, const char *service);

#endif
