/*  trace.c - W3C Trace Context, and the spans each thread records (trace.h). */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "trace.h"
#include "otlp.h"
#include "log.h"
#include "metrics.h"

static atomic_bool s_export;        //  spans are recorded (an exporter runs)
static atomic_bool s_invalid_logged;    //  the first malformed traceparent was logged

//  A thread's own: what it handles and sends now.
typedef struct {
    bool in_active;                 //  the inbound message has a trace (recorded or passed on)
    bool in_recording;              //  ... and in_span is recorded
    trace_context_t in_ctx;         //  its trace; span_id: what a send's span is the child of
    trace_span_t in_span;
    char in_text [TRACE_PARENT_LEN + 1];
    bool out_active;                //  a send's span is recorded
    trace_span_t out_span;
    char out_text [TRACE_PARENT_LEN + 1];
    char log_trace [33], log_span [17];     //  what log lines carry (log_set_trace)
    uint64_t rng [2];               //  xorshift128+ for ids; 0: not seeded yet
} s_thread_t;

static __thread s_thread_t s_thread;

//  ---------------------------------------------------------------------------
//  Ids and text

static int
s_nibble (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;                      //  uppercase is not allowed either
}

//  Reads 2 * len lowercase hex digits. Returns 0, or -1.
static int
s_unhex (const char *text, uint8_t *out, int len)
{
    for (int i = 0; i < len; i++) {
        int high = s_nibble (text [2 * i]), low = s_nibble (text [2 * i + 1]);
        if (high < 0 || low < 0)
            return -1;
        out [i] = (uint8_t) (high << 4 | low);
    }
    return 0;
}

static bool
s_zero (const uint8_t *bytes, int len)
{
    for (int i = 0; i < len; i++)
        if (bytes [i])
            return false;
    return true;
}

void
trace_hex (const uint8_t *bytes, int len, char *out)
{
    static const char digits [] = "0123456789abcdef";
    for (int i = 0; i < len; i++) {
        out [2 * i] = digits [bytes [i] >> 4];
        out [2 * i + 1] = digits [bytes [i] & 15];
    }
    out [2 * len] = 0;
}

int
trace_parse (const char *text, trace_context_t *out, char *err)
{
    if (!text)
        return err_set (err, "not a string");
    size_t len = strnlen (text, TRACE_PARENT_LEN + 1);
    uint8_t version;
    if (len < TRACE_PARENT_LEN)
        return err_set (err, "shorter than %d characters", TRACE_PARENT_LEN);
    if (s_unhex (text, &version, 1) || version == 0xff)
        return err_set (err, "bad version");
    //  Version 00 is exactly 55 characters; a later one may add fields after a '-'.
    if (len > TRACE_PARENT_LEN && (version == 0 || text [TRACE_PARENT_LEN] != '-'))
        return err_set (err, "longer than %d characters", TRACE_PARENT_LEN);
    if (text [2] != '-' || text [35] != '-' || text [52] != '-')
        return err_set (err, "not VERSION-TRACEID-SPANID-FLAGS");
    if (s_unhex (text + 3, out->trace_id, 16) || s_unhex (text + 36, out->span_id, 8)
    ||  s_unhex (text + 53, &out->flags, 1))
        return err_set (err, "not lowercase hex");
    if (s_zero (out->trace_id, 16) || s_zero (out->span_id, 8))
        return err_set (err, "an all-zero id");
    return 0;
}

void
trace_format (const trace_context_t *ctx, char *out)
{
    memcpy (out, "00-", 3);
    trace_hex (ctx->trace_id, 16, out + 3);
    out [35] = '-';
    trace_hex (ctx->span_id, 8, out + 36);
    out [52] = '-';
    trace_hex (&ctx->flags, 1, out + 53);
}

//  Fresh random bytes from the thread's generator (seeded from the kernel
//  once); never all zeros.
static void
s_random (uint8_t *out, int len)
{
    s_thread_t *self = &s_thread;
    if (!self->rng [0] && !self->rng [1]) {
        if (getrandom (self->rng, sizeof self->rng, 0) != (ssize_t) sizeof self->rng) {
            struct timespec ts;
            clock_gettime (CLOCK_REALTIME, &ts);
            self->rng [0] = (uint64_t) ts.tv_nsec * 0x9e3779b97f4a7c15ull ^ (uint64_t) (uintptr_t) self;
            self->rng [1] = (uint64_t) ts.tv_sec ^ 0xda3e39cb94b95bdbull;
        }
        self->rng [1] |= 1;
    }
    do {
        for (int i = 0; i < len; i += 8) {
            uint64_t x = self->rng [0], y = self->rng [1];
            self->rng [0] = y;
            x ^= x << 23;
            self->rng [1] = x ^ y ^ (x >> 17) ^ (y >> 26);
            uint64_t value = self->rng [1] + y;
            memcpy (out + i, &value, len - i < 8? (size_t) (len - i): 8);
        }
    } while (s_zero (out, len));
}

//  Copies src (NULL: "") into dst of `size` bytes, cut to fit: snprintf's
//  result without its format parsing, on the path of every span.
static void
s_copy (char *dst, size_t size, const char *src)
{
    size_t len = src? strnlen (src, size - 1): 0;
    memcpy (dst, src? src: "", len);
    dst [len] = 0;
}

static int64_t
s_unix_ns (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

//  zclock_mono's clock in ms, without CZMQ (a lower layer).
static int64_t
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  ---------------------------------------------------------------------------
//  The exporter

int
trace_export_start (const char *url, const char *service, char *err)
{
    if (otlp_start (url, service, err))
        return -1;
    metrics_trace_exporting ();
    atomic_store (&s_export, true);
    return 0;
}

void
trace_export_stop (void)
{
    if (!atomic_exchange (&s_export, false))
        return;
    otlp_stop ();
}

bool
trace_exporting (void)
{
    return atomic_load_explicit (&s_export, memory_order_relaxed);
}

//  ---------------------------------------------------------------------------
//  Spans of the calling thread

static void
s_span_start (trace_span_t *span, const char *name, trace_kind_t kind, const uint8_t *trace_id,
              const uint8_t *parent_id, int64_t start_ns)
{
    memcpy (span->trace_id, trace_id, 16);
    if (parent_id)
        memcpy (span->parent_id, parent_id, 8);
    else
        memset (span->parent_id, 0, 8);
    s_random (span->span_id, 8);
    span->kind = kind;
    span->start_ns = start_ns;
    span->end_ns = 0;
    s_copy (span->name, sizeof span->name, name);
    span->workflow_id [0] = 0;
    span->error [0] = 0;
}

void
trace_in_begin (const char *connection, trace_kind_t kind, const char *traceparent, int64_t received_ms)
{
    s_thread_t *self = &s_thread;
    bool exporting = trace_exporting ();
    self->in_active = self->in_recording = false;
    if (!traceparent && !exporting)
        return;                     //  the common case without --otlp: nothing to do
    trace_context_t parent;
    bool has_parent = false;
    if (traceparent) {
        char why [ERR_LEN];
        if (trace_parse (traceparent, &parent, why) == 0)
            has_parent = true;
        else {
            metrics_trace (METRICS_TRACEPARENT_INVALID, 1);
            if (!atomic_exchange (&s_invalid_logged, true))
                log_warning ("%s: ignored a malformed traceparent (%s); the message is handled without it "
                             "(later ones are only counted in svcfw_traceparent_invalid_total)",
                             connection, why);
        }
    }
    if (exporting && (!has_parent || (parent.flags & 1))) {
        int64_t now_ns = s_unix_ns ();
        int64_t start_ns = now_ns;
        if (received_ms > 0) {
            int64_t waited_ms = s_mono_ms () - received_ms;
            if (waited_ms > 0)
                start_ns -= waited_ms * 1000000;
        }
        uint8_t trace_id [16];
        if (has_parent)
            memcpy (trace_id, parent.trace_id, 16);
        else
            s_random (trace_id, 16);
        s_span_start (&self->in_span, connection, kind, trace_id, has_parent? parent.span_id: NULL, start_ns);
        memcpy (self->in_ctx.trace_id, trace_id, 16);
        memcpy (self->in_ctx.span_id, self->in_span.span_id, 8);
        self->in_ctx.flags = 1;
        self->in_recording = true;
    }
    else
    if (has_parent)
        self->in_ctx = parent;      //  passed on as it came
    else
        return;
    self->in_active = true;
    if (!self->in_recording && traceparent [0] == '0' && traceparent [1] == '0')
        memcpy (self->in_text, traceparent, TRACE_PARENT_LEN + 1);     //  checked: already in this form
    else
        trace_format (&self->in_ctx, self->in_text);
    //  The log's ids are the text's: "00-" TRACE "-" SPAN "-" FLAGS.
    memcpy (self->log_trace, self->in_text + 3, 32);
    self->log_trace [32] = 0;
    memcpy (self->log_span, self->in_text + 36, 16);
    self->log_span [16] = 0;
    log_set_trace (self->log_trace, self->log_span);
}

void
trace_in_end (const char *workflow_id, const char *error)
{
    s_thread_t *self = &s_thread;
    if (!self->in_active)
        return;
    if (self->in_recording) {
        trace_span_t *span = &self->in_span;
        span->end_ns = s_unix_ns ();
        s_copy (span->workflow_id, sizeof span->workflow_id, workflow_id);
        s_copy (span->error, sizeof span->error, error);
        otlp_enqueue (span);
    }
    self->in_active = self->in_recording = false;
    log_set_trace (NULL, NULL);
}

void
trace_out_begin (const char *connection, trace_kind_t kind, const char *workflow_id)
{
    s_thread_t *self = &s_thread;
    self->out_active = false;
    if (!trace_exporting () || (self->in_active && !self->in_recording))
        return;                     //  none, or the inbound trace is passed on as it is
    trace_span_t *span = &self->out_span;
    uint8_t trace_id [16];
    if (self->in_active)
        memcpy (trace_id, self->in_ctx.trace_id, 16);
    else
        s_random (trace_id, 16);    //  a leading edge: a new trace
    s_span_start (span, connection, kind, trace_id, self->in_active? self->in_ctx.span_id: NULL, s_unix_ns ());
    s_copy (span->workflow_id, sizeof span->workflow_id, workflow_id);
    if (self->in_active) {
        //  The same trace as the inbound text: only the span id is new.
        memcpy (self->out_text, self->in_text, TRACE_PARENT_LEN + 1);
        trace_hex (span->span_id, 8, self->out_text + 36);
        memcpy (self->out_text + 52, "-01", 4);
    }
    else {
        trace_context_t ctx = { .flags = 1 };
        memcpy (ctx.trace_id, trace_id, 16);
        memcpy (ctx.span_id, span->span_id, 8);
        trace_format (&ctx, self->out_text);
    }
    self->out_active = true;
}

void
trace_out_error (const char *kind)
{
    s_thread_t *self = &s_thread;
    if (self->out_active && kind)
        s_copy (self->out_span.error, sizeof self->out_span.error, kind);
}

void
trace_out_end (bool failed)
{
    s_thread_t *self = &s_thread;
    if (!self->out_active)
        return;
    trace_span_t *span = &self->out_span;
    span->end_ns = s_unix_ns ();
    if (failed && !span->error [0])
        s_copy (span->error, sizeof span->error, "error");
    otlp_enqueue (span);
    self->out_active = false;
}

const char *
trace_parent_text (void)
{
    s_thread_t *self = &s_thread;
    if (self->out_active)
        return self->out_text;
    return self->in_active? self->in_text: NULL;
}
