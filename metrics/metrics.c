/*  metrics.c - the process's metrics: lock-free records per connection and
    per state, rendered as Prometheus text exposition 0.0.4.
*/
#define _GNU_SOURCE
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

typedef struct {
    atomic_uint_fast64_t buckets [METRICS_BUCKET_COUNT + 1];   //  not cumulative; the last is +Inf only
    atomic_uint_fast64_t sum_ns;
} s_histogram_t;

struct _metrics_conn_t {
    struct _metrics_conn_t *next;
    char *name;
    atomic_uint roles;
    atomic_uint_fast64_t messages [2][METRICS_OUTCOMES];       //  [0] in, [1] out
    atomic_uint_fast64_t requests [METRICS_OUTCOMES];
    atomic_int_fast64_t running;
    s_histogram_t handler;
    s_histogram_t request;
    atomic_int circuit;
    atomic_long outbox_pending;
    atomic_uint_fast64_t dropped;
    atomic_uint_fast64_t auth_denied;
    atomic_uint_fast64_t cache [METRICS_CACHE_OUTCOMES];
};

static const char *const s_reasons [] = { "gap", "epoch", "late_join", "queue_full", "follow_up", "other" };
#define S_REASONS (int) (sizeof s_reasons / sizeof s_reasons [0])

struct _metrics_state_t {
    struct _metrics_state_t *next;
    char *name;
    atomic_bool sides [2];                                      //  [0] in, [1] out: seen
    atomic_uint_fast64_t seq [2];
    atomic_uint_fast64_t resyncs [S_REASONS];
};

static const char *const s_outcomes [METRICS_OUTCOMES] = {
    "ok", "invalid_json", "invalid_envelope", "invalid_args", "too_large", "bad_frames",
    "handler_failed", "invalid_return", "deadline_exceeded", "timeout", "circuit_open",
    "error_reply", "invalid_reply", "error"
};

//  Upper bounds in nanoseconds (rendered in seconds): from 0.5 ms (a
//  local hop) to 10 s (a slow call).
static const int64_t s_bounds_ns [METRICS_BUCKET_COUNT] = {
    500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000, 100000000,
    250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000
};

static pthread_mutex_t s_lock = PTHREAD_MUTEX_INITIALIZER;      //  the lists' shape, not the counts
static atomic_uint_fast64_t s_trace [METRICS_TRACE_COUNTERS];  //  process-wide: one exporter per process
static atomic_bool s_exporting;                                 //  the span families are rendered
static metrics_conn_t *s_conns, **s_conns_tail = &s_conns;
static metrics_state_t *s_states, **s_states_tail = &s_states;

const char *
metrics_outcome_name (metrics_outcome_t outcome)
{
    return outcome >= 0 && outcome < METRICS_OUTCOMES? s_outcomes [outcome]: "error";
}

metrics_outcome_t
metrics_outcome (const char *kind)
{
    for (int i = 0; kind && i < METRICS_OUTCOMES; i++)
        if (strcmp (kind, s_outcomes [i]) == 0)
            return (metrics_outcome_t) i;
    return METRICS_ERROR;
}

int64_t
metrics_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

//  ---------------------------------------------------------------------------
//  Records

//  SVCFW_METRICS=off: nothing is counted (every record is NULL), so
//  bench/run can measure what counting costs.
static bool
s_off (void)
{
    static int off = -1;                //  a benign race: every thread computes the same
    if (off < 0) {
        const char *value = getenv ("SVCFW_METRICS");
        off = value && strcmp (value, "off") == 0;
    }
    return off == 1;
}

metrics_conn_t *
metrics_conn (const char *name, unsigned roles)
{
    if (!name || s_off ())
        return NULL;
    pthread_mutex_lock (&s_lock);
    metrics_conn_t *self = s_conns;
    while (self && strcmp (self->name, name) != 0)
        self = self->next;
    if (!self && (self = calloc (1, sizeof *self))) {
        if ((self->name = strdup (name))) {
            *s_conns_tail = self;
            s_conns_tail = &self->next;
        }
        else {
            free (self);
            self = NULL;
        }
    }
    if (self)
        atomic_fetch_or (&self->roles, roles);
    pthread_mutex_unlock (&s_lock);
    return self;
}

metrics_state_t *
metrics_state (const char *name)
{
    if (!name || s_off ())
        return NULL;
    pthread_mutex_lock (&s_lock);
    metrics_state_t *self = s_states;
    while (self && strcmp (self->name, name) != 0)
        self = self->next;
    if (!self && (self = calloc (1, sizeof *self))) {
        if ((self->name = strdup (name))) {
            *s_states_tail = self;
            s_states_tail = &self->next;
        }
        else {
            free (self);
            self = NULL;
        }
    }
    pthread_mutex_unlock (&s_lock);
    return self;
}

void
metrics_reset (void)
{
    pthread_mutex_lock (&s_lock);
    for (int i = 0; i < METRICS_TRACE_COUNTERS; i++)
        atomic_store (&s_trace [i], 0);
    atomic_store (&s_exporting, false);
    while (s_conns) {
        metrics_conn_t *next = s_conns->next;
        free (s_conns->name);
        free (s_conns);
        s_conns = next;
    }
    s_conns_tail = &s_conns;
    while (s_states) {
        metrics_state_t *next = s_states->next;
        free (s_states->name);
        free (s_states);
        s_states = next;
    }
    s_states_tail = &s_states;
    pthread_mutex_unlock (&s_lock);
}

//  ---------------------------------------------------------------------------
//  Counting

#define S_ADD(counter, n) atomic_fetch_add_explicit (&(counter), (n), memory_order_relaxed)

//  The bucket a duration falls in (the last: +Inf).
static int
s_bucket_ns (int64_t ns)
{
    int i = 0;
    while (i < METRICS_BUCKET_COUNT && ns > s_bounds_ns [i])
        i++;
    return i;
}

static void
s_observe (s_histogram_t *histogram, int64_t ns)
{
    if (ns < 0)
        ns = 0;
    S_ADD (histogram->buckets [s_bucket_ns (ns)], 1);
    S_ADD (histogram->sum_ns, (uint_fast64_t) ns);
}

void
metrics_message (metrics_conn_t *self, bool in, metrics_outcome_t outcome)
{
    if (self && outcome >= 0 && outcome < METRICS_OUTCOMES)
        S_ADD (self->messages [in? 0: 1][outcome], 1);
}

void
metrics_fault (const char *name, const char *kind)
{
    metrics_message (metrics_conn (name, 0), true, metrics_outcome (kind));
}


void
metrics_tally_begin (metrics_tally_t *self, metrics_conn_t *conn, int64_t now)
{
    memset (self, 0, sizeof *self);
    self->conn = conn;
    self->since = now;
    if (conn)
        S_ADD (conn->running, 1);
}

//  Adds what the tally holds to its connection's counts and empties it.
static void
s_tally_add (metrics_tally_t *self)
{
    metrics_conn_t *conn = self->conn;
    if (!self->calls)
        return;
    for (int i = 0; i <= METRICS_BUCKET_COUNT; i++)
        if (self->buckets [i])
            S_ADD (conn->handler.buckets [i], self->buckets [i]);
    S_ADD (conn->handler.sum_ns, self->sum_ns);
    for (int i = 0; i < METRICS_OUTCOMES; i++)
        if (self->outcomes [i])
            S_ADD (conn->messages [0][i], self->outcomes [i]);
    self->calls = 0;
    self->sum_ns = 0;
    memset (self->buckets, 0, sizeof self->buckets);
    memset (self->outcomes, 0, sizeof self->outcomes);
}

void
metrics_tally_call (metrics_tally_t *self, int64_t ns, metrics_outcome_t outcome, int64_t now)
{
    if (!self->conn)
        return;
    if (ns < 0)
        ns = 0;
    self->calls++;
    self->sum_ns += (uint64_t) ns;
    self->buckets [s_bucket_ns (ns)]++;
    self->outcomes [outcome >= 0 && outcome < METRICS_OUTCOMES? outcome: METRICS_ERROR]++;
    if (now - self->since >= METRICS_TALLY_NS) {
        s_tally_add (self);
        self->since = now;
    }
}

void
metrics_tally_end (metrics_tally_t *self)
{
    if (!self->conn)
        return;
    s_tally_add (self);
    atomic_fetch_sub_explicit (&self->conn->running, 1, memory_order_relaxed);
}

int64_t
metrics_handler_begin (metrics_conn_t *self)
{
    if (!self)
        return 0;
    S_ADD (self->running, 1);
    return metrics_now ();
}

void
metrics_handler_end (metrics_conn_t *self, int64_t start)
{
    if (!self)
        return;
    s_observe (&self->handler, metrics_now () - start);
    atomic_fetch_sub_explicit (&self->running, 1, memory_order_relaxed);
}

void
metrics_request (metrics_conn_t *self, metrics_outcome_t outcome, int64_t start)
{
    if (!self || outcome < 0 || outcome >= METRICS_OUTCOMES)
        return;
    s_observe (&self->request, metrics_now () - start);
    S_ADD (self->requests [outcome], 1);
    S_ADD (self->messages [1][outcome], 1);
}

void
metrics_circuit (metrics_conn_t *self, int state)
{
    if (self)
        atomic_store_explicit (&self->circuit, state, memory_order_relaxed);
}

void
metrics_outbox_pending (metrics_conn_t *self, long pending)
{
    if (self)
        atomic_store_explicit (&self->outbox_pending, pending, memory_order_relaxed);
}

void
metrics_outbox_add (metrics_conn_t *self, long delta)
{
    if (self)
        atomic_fetch_add_explicit (&self->outbox_pending, delta, memory_order_relaxed);
}

void
metrics_publisher_dropped (metrics_conn_t *self)
{
    if (self)
        S_ADD (self->dropped, 1);
}

void
metrics_auth_denied (metrics_conn_t *self)
{
    if (self)
        S_ADD (self->auth_denied, 1);
}

void
metrics_cache (metrics_conn_t *self, metrics_cache_t outcome)
{
    if (self && outcome >= 0 && outcome < METRICS_CACHE_OUTCOMES)
        S_ADD (self->cache [outcome], 1);
}

void
metrics_trace (metrics_trace_t counter, uint64_t n)
{
    if (counter >= 0 && counter < METRICS_TRACE_COUNTERS)
        S_ADD (s_trace [counter], n);
}

void
metrics_trace_exporting (void)
{
    atomic_store (&s_exporting, true);
}

void
metrics_state_seq (metrics_state_t *self, bool out, uint64_t seq)
{
    if (!self)
        return;
    atomic_store_explicit (&self->sides [out? 1: 0], true, memory_order_relaxed);
    atomic_store_explicit (&self->seq [out? 1: 0], seq, memory_order_relaxed);
}

void
metrics_state_resync (metrics_state_t *self, const char *reason)
{
    if (!self)
        return;
    int i = 0;
    while (i < S_REASONS - 1 && (!reason || strcmp (reason, s_reasons [i]) != 0))
        i++;
    S_ADD (self->resyncs [i], 1);
}

//  ---------------------------------------------------------------------------
//  Rendering

typedef struct {
    char *data;
    size_t len, size;
    bool failed;
} s_buf_t;

static void __attribute__ ((format (printf, 2, 3)))
s_put (s_buf_t *buf, const char *fmt, ...)
{
    if (buf->failed)
        return;
    while (true) {
        va_list args;
        va_start (args, fmt);
        int n = vsnprintf (buf->data + buf->len, buf->size - buf->len, fmt, args);
        va_end (args);
        if (n < 0) {
            buf->failed = true;
            return;
        }
        if ((size_t) n < buf->size - buf->len) {
            buf->len += (size_t) n;
            return;
        }
        size_t size = (buf->size + (size_t) n + 1) * 2;
        char *data = realloc (buf->data, size);
        if (!data) {
            buf->failed = true;
            return;
        }
        buf->data = data;
        buf->size = size;
    }
}

//  A label value: backslash, double quote and newline escaped (0.0.4).
static void
s_put_label (s_buf_t *buf, const char *value)
{
    if (!strpbrk (value, "\\\"\n")) {
        s_put (buf, "%s", value);
        return;
    }
    for (const char *c = value; *c; c++) {
        if (*c == '\\')      s_put (buf, "\\\\");
        else if (*c == '"')  s_put (buf, "\\\"");
        else if (*c == '\n') s_put (buf, "\\n");
        else                 s_put (buf, "%c", *c);
    }
}

static void
s_family (s_buf_t *buf, const char *name, const char *type, const char *help)
{
    s_put (buf, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
s_series (s_buf_t *buf, const char *name, const char *conn_label, const char *conn,
          const char *extra, uint64_t value)
{
    s_put (buf, "%s{%s=\"", name, conn_label);
    s_put_label (buf, conn);
    s_put (buf, "\"%s} %" PRIu64 "\n", extra? extra: "", value);
}

static void
s_put_histogram (s_buf_t *buf, const char *name, const char *conn, s_histogram_t *histogram)
{
    uint64_t cumulative = 0;
    for (int i = 0; i <= METRICS_BUCKET_COUNT; i++) {
        cumulative += atomic_load_explicit (&histogram->buckets [i], memory_order_relaxed);
        s_put (buf, "%s_bucket{connection=\"", name);
        s_put_label (buf, conn);
        if (i < METRICS_BUCKET_COUNT)
            s_put (buf, "\",le=\"%g\"} %" PRIu64 "\n", (double) s_bounds_ns [i] / 1e9, cumulative);
        else
            s_put (buf, "\",le=\"+Inf\"} %" PRIu64 "\n", cumulative);
    }
    double sum = (double) atomic_load_explicit (&histogram->sum_ns, memory_order_relaxed) / 1e9;
    s_put (buf, "%s_sum{connection=\"", name);
    s_put_label (buf, conn);
    s_put (buf, "\"} %.9f\n%s_count{connection=\"", sum, name);
    s_put_label (buf, conn);
    s_put (buf, "\"} %" PRIu64 "\n", cumulative);
}

static bool
s_has (const metrics_conn_t *conn, unsigned role)
{
    return (atomic_load (&conn->roles) & role) != 0;
}

//  The process metrics, from /proc/self/stat and /proc/stat.
static void
s_put_process (s_buf_t *buf)
{
    long ticks = sysconf (_SC_CLK_TCK), page = sysconf (_SC_PAGESIZE);
    unsigned long utime = 0, stime = 0;
    unsigned long long start = 0;
    long rss = 0;
    FILE *file = fopen ("/proc/self/stat", "r");
    if (file) {
        char line [1024];
        if (fgets (line, sizeof line, file)) {
            //  Fields after the command's closing parenthesis: state is field 3.
            const char *rest = strrchr (line, ')');
            if (rest && sscanf (rest + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu "
                                          "%*d %*d %*d %*d %*d %*d %llu %*u %ld",
                                &utime, &stime, &start, &rss) != 4)
                utime = stime = 0, start = 0, rss = 0;
        }
        fclose (file);
    }
    unsigned long long boot = 0;
    if ((file = fopen ("/proc/stat", "r"))) {
        char line [256];
        while (fgets (line, sizeof line, file))
            if (sscanf (line, "btime %llu", &boot) == 1)
                break;
        fclose (file);
    }
    s_family (buf, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
    s_put (buf, "process_resident_memory_bytes %ld\n", rss * page);
    s_family (buf, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    s_put (buf, "process_cpu_seconds_total %.2f\n", ticks > 0? (double) (utime + stime) / (double) ticks: 0.0);
    s_family (buf, "process_start_time_seconds", "gauge",
              "Start time of the process since unix epoch in seconds.");
    s_put (buf, "process_start_time_seconds %.2f\n",
           ticks > 0? (double) boot + (double) start / (double) ticks: 0.0);
}

char *
metrics_render (void)
{
    s_buf_t buf = { 0 };
    s_put (&buf, "%s", "");
    pthread_mutex_lock (&s_lock);
    metrics_conn_t *c;

    s_family (&buf, "svcfw_messages_total", "counter",
              "Messages taken in or sent, by connection, direction and outcome.");
    for (c = s_conns; c; c = c->next)
        for (int dir = 0; dir < 2; dir++)
            for (int o = 0; o < METRICS_OUTCOMES; o++) {
                uint64_t n = atomic_load_explicit (&c->messages [dir][o], memory_order_relaxed);
                //  ok always for the directions the connection has; errors once seen.
                if (n || (o == METRICS_OK && s_has (c, dir == 0? METRICS_IN: METRICS_OUT))) {
                    char extra [80];
                    snprintf (extra, sizeof extra, ",direction=\"%s\",outcome=\"%s\"",
                              dir == 0? "in": "out", s_outcomes [o]);
                    s_series (&buf, "svcfw_messages_total", "connection", c->name, extra, n);
                }
            }

    s_family (&buf, "svcfw_handler_seconds", "histogram", "Time a handler took, by inbound connection.");
    for (c = s_conns; c; c = c->next)
        if (s_has (c, METRICS_IN))
            s_put_histogram (&buf, "svcfw_handler_seconds", c->name, &c->handler);

    s_family (&buf, "svcfw_handlers_running", "gauge", "Handlers running now, by inbound connection.");
    for (c = s_conns; c; c = c->next)
        if (s_has (c, METRICS_IN))
            s_series (&buf, "svcfw_handlers_running", "connection", c->name, NULL,
                      (uint64_t) atomic_load_explicit (&c->running, memory_order_relaxed));

    s_family (&buf, "svcfw_requests_total", "counter",
              "Requests made (one per svcfw_to_send, whatever its attempts), by requester and outcome.");
    for (c = s_conns; c; c = c->next)
        if (s_has (c, METRICS_REQUESTER))
            for (int o = 0; o < METRICS_OUTCOMES; o++) {
                uint64_t n = atomic_load_explicit (&c->requests [o], memory_order_relaxed);
                if (n || o == METRICS_OK) {
                    char extra [48];
                    snprintf (extra, sizeof extra, ",outcome=\"%s\"", s_outcomes [o]);
                    s_series (&buf, "svcfw_requests_total", "connection", c->name, extra, n);
                }
            }

    s_family (&buf, "svcfw_request_seconds", "histogram", "Time a whole request took, by requester.");
    for (c = s_conns; c; c = c->next)
        if (s_has (c, METRICS_REQUESTER))
            s_put_histogram (&buf, "svcfw_request_seconds", c->name, &c->request);

    s_family (&buf, "svcfw_circuit_state", "gauge",
              "A requester's circuit breaker: 0 closed, 1 open, 2 half-open.");
    for (c = s_conns; c; c = c->next)
        if (s_has (c, METRICS_BREAKER))
            s_series (&buf, "svcfw_circuit_state", "connection", c->name, NULL,
                      (uint64_t) atomic_load_explicit (&c->circuit, memory_order_relaxed));

    s_family (&buf, "svcfw_outbox_pending", "gauge", "Messages in a durable requester's outbox not yet delivered.");
    for (c = s_conns; c; c = c->next)
        if (s_has (c, METRICS_OUTBOX)) {
            long n = atomic_load_explicit (&c->outbox_pending, memory_order_relaxed);
            s_series (&buf, "svcfw_outbox_pending", "connection", c->name, NULL, n > 0? (uint64_t) n: 0);
        }

    s_family (&buf, "svcfw_publisher_dropped_total", "counter",
              "Messages a publisher dropped for a subscriber whose queue was full.");
    for (c = s_conns; c; c = c->next)
        if (s_has (c, METRICS_PUBLISHER))
            s_series (&buf, "svcfw_publisher_dropped_total", "connection", c->name, NULL,
                      atomic_load_explicit (&c->dropped, memory_order_relaxed));

    s_family (&buf, "svcfw_cache_requests_total", "counter",
              "Lookups in a requester's reply cache, by outcome: hit (no round trip), miss, refresh (early).");
    for (c = s_conns; c; c = c->next)
        if (s_has (c, METRICS_CACHE))
            for (int o = 0; o < METRICS_CACHE_OUTCOMES; o++)
                s_series (&buf, "svcfw_cache_requests_total", "connection", c->name,
                          (const char *const []) { ",outcome=\"hit\"", ",outcome=\"miss\"",
                                                   ",outcome=\"refresh\"" } [o],
                          atomic_load_explicit (&c->cache [o], memory_order_relaxed));

    s_family (&buf, "svcfw_auth_denied_total", "counter", "Clients denied by CURVE authentication.");
    for (c = s_conns; c; c = c->next)
        if (s_has (c, METRICS_IN | METRICS_OUT))
            s_series (&buf, "svcfw_auth_denied_total", "connection", c->name, NULL,
                      atomic_load_explicit (&c->auth_denied, memory_order_relaxed));

    s_family (&buf, "svcfw_state_seq", "gauge", "The last seq an in-state applied or an out-state published.");
    for (metrics_state_t *s = s_states; s; s = s->next)
        for (int side = 0; side < 2; side++)
            if (atomic_load (&s->sides [side]))
                s_series (&buf, "svcfw_state_seq", "state", s->name, side? ",side=\"out\"": ",side=\"in\"",
                          atomic_load_explicit (&s->seq [side], memory_order_relaxed));

    s_family (&buf, "svcfw_state_resyncs_total", "counter", "Resyncs (snapshot fetches) of an in-state, by reason.");
    for (metrics_state_t *s = s_states; s; s = s->next)
        for (int r = 0; r < S_REASONS; r++) {
            uint64_t n = atomic_load_explicit (&s->resyncs [r], memory_order_relaxed);
            if (n) {
                char extra [48];
                snprintf (extra, sizeof extra, ",reason=\"%s\"", s_reasons [r]);
                s_series (&buf, "svcfw_state_resyncs_total", "state", s->name, extra, n);
            }
        }
    pthread_mutex_unlock (&s_lock);

    s_family (&buf, "svcfw_traceparent_invalid_total", "counter",
              "Inbound messages whose traceparent was malformed (ignored: the message was handled).");
    s_put (&buf, "svcfw_traceparent_invalid_total %" PRIu64 "\n",
           (uint64_t) atomic_load_explicit (&s_trace [METRICS_TRACEPARENT_INVALID], memory_order_relaxed));
    if (atomic_load (&s_exporting)) {
        s_family (&buf, "svcfw_spans_exported_total", "counter", "Spans the OTLP collector accepted.");
        s_put (&buf, "svcfw_spans_exported_total %" PRIu64 "\n",
               (uint64_t) atomic_load_explicit (&s_trace [METRICS_SPANS_EXPORTED], memory_order_relaxed));
        s_family (&buf, "svcfw_spans_dropped_total", "counter",
                  "Spans not exported: the exporter's queue was full, or the collector did not take them.");
        s_put (&buf, "svcfw_spans_dropped_total{reason=\"queue_full\"} %" PRIu64 "\n",
               (uint64_t) atomic_load_explicit (&s_trace [METRICS_SPANS_QUEUE_FULL], memory_order_relaxed));
        s_put (&buf, "svcfw_spans_dropped_total{reason=\"export_failed\"} %" PRIu64 "\n",
               (uint64_t) atomic_load_explicit (&s_trace [METRICS_SPANS_EXPORT_FAILED], memory_order_relaxed));
    }

    s_put_process (&buf);
    if (buf.failed) {
        free (buf.data);
        return NULL;
    }
    return buf.data;
}

void
metrics_summary (void (*line) (const char *text, void *arg), void *arg)
{
    pthread_mutex_lock (&s_lock);
    for (metrics_conn_t *c = s_conns; c; c = c->next) {
        if (!s_has (c, METRICS_IN | METRICS_OUT))
            continue;
        uint64_t handled = 0, ok = 0;
        char faults [512] = "";
        size_t used = 0;
        for (int dir = 0; dir < 2; dir++)
            for (int o = 0; o < METRICS_OUTCOMES; o++) {
                uint64_t n = atomic_load_explicit (&c->messages [dir][o], memory_order_relaxed);
                handled += n;
                if (o == METRICS_OK)
                    ok += n;
                else if (n && used < sizeof faults) {
                    int w = snprintf (faults + used, sizeof faults - used, "%s%s %" PRIu64,
                                      used? ", ": "", s_outcomes [o], n);
                    if (w > 0)
                        used += (size_t) w;
                }
            }
        char text [700];
        snprintf (text, sizeof text, "%s: %" PRIu64 " messages (%" PRIu64 " ok), faults: %s", c->name,
                  handled, ok, used? faults: "none");
        line (text, arg);
    }
    pthread_mutex_unlock (&s_lock);
}
