/*  otlp.c - the span exporter: a bounded queue, a thread, OTLP/HTTP JSON with libcurl (otlp.h).
    libcurl is loaded when an exporter starts (dlopen), not linked: a process
    without --otlp maps none of it or of the libraries it pulls in. */
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otlp.h"
#include "log.h"
#include "metrics.h"

#ifndef SVCFW_VERSION
#define SVCFW_VERSION "0"
#endif

static struct {
    pthread_mutex_t lock;           //  guards the ring and the flags
    pthread_cond_t wake;            //  a batch is full, or a stop
    bool running;                   //  the thread runs; spans are taken
    bool stop;
    pthread_t thread;
    trace_span_t *ring;             //  OTLP_QUEUE slots
    int head, count;
    char *url, *service;
    bool failing;                   //  the last POST failed (the first failure of a run is a WARNING)
    uint64_t failures;              //  POSTs that failed
    int64_t retry_at;               //  while failing: no POST before this (monotonic ms)
} s_otlp = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, false, 0, NULL, 0, 0, NULL, NULL,
             false, 0, 0 };

//  The libcurl functions the exporter calls, resolved by s_curl_load. The
//  header gives the types and constants only; every call goes through here.
static struct {
    void *library;                  //  dlopen handle; kept for the life of the process
    CURLcode (*global_init) (long flags);
    void (*global_cleanup) (void);
    CURL *(*easy_init) (void);
    CURLcode (*easy_setopt) (CURL *curl, CURLoption option, ...);
    CURLcode (*easy_perform) (CURL *curl);
    CURLcode (*easy_getinfo) (CURL *curl, CURLINFO info, ...);
    const char *(*easy_strerror) (CURLcode code);
    void (*easy_cleanup) (CURL *curl);
    struct curl_slist *(*slist_append) (struct curl_slist *list, const char *text);
    void (*slist_free_all) (struct curl_slist *list);
    bool initialised;               //  global_init succeeded; global_cleanup is owed
} s_curl;

//  Loads libcurl (SVCFW_CURL_LIBRARY, for tests, else OTLP_CURL_LIBRARY) and
//  resolves s_curl. Returns 0, or -1 with err. The thread that starts the
//  exporter; once per process (a later call finds it loaded).
static int
s_curl_load (const char *url, char *err)
{
    if (s_curl.library)
        return 0;
    const char *name = getenv ("SVCFW_CURL_LIBRARY");
    if (!name || !*name)
        name = OTLP_CURL_LIBRARY;
    dlerror ();
    void *library = dlopen (name, RTLD_NOW | RTLD_LOCAL);
    if (!library)
        return err_set (err, "--otlp %s: cannot load %s (install libcurl4): %s", url, name, dlerror ());
    //  Each address goes into its function pointer by memcpy (POSIX makes
    //  the two the same size; a cast between them is not ISO C).
    struct { const char *symbol; void *slot; } table [] = {
        { "curl_global_init", &s_curl.global_init },
        { "curl_global_cleanup", &s_curl.global_cleanup },
        { "curl_easy_init", &s_curl.easy_init },
        { "curl_easy_setopt", &s_curl.easy_setopt },
        { "curl_easy_perform", &s_curl.easy_perform },
        { "curl_easy_getinfo", &s_curl.easy_getinfo },
        { "curl_easy_strerror", &s_curl.easy_strerror },
        { "curl_easy_cleanup", &s_curl.easy_cleanup },
        { "curl_slist_append", &s_curl.slist_append },
        { "curl_slist_free_all", &s_curl.slist_free_all },
    };
    for (size_t i = 0; i < sizeof table / sizeof table [0]; i++) {
        dlerror ();
        void *address = dlsym (library, table [i].symbol);
        const char *why = dlerror ();
        if (!address || why) {
            err_set (err, "--otlp %s: cannot load %s (install libcurl4): %s", url, name,
                     why? why: table [i].symbol);
            memset (&s_curl, 0, sizeof s_curl);
            dlclose (library);
            return -1;
        }
        memcpy (table [i].slot, &address, sizeof address);
    }
    s_curl.library = library;
    return 0;
}

static int64_t
s_mono_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
otlp_url (const char *endpoint, bool full, char *err)
{
    if (strncmp (endpoint, "http://", 7) != 0 && strncmp (endpoint, "https://", 8) != 0) {
        err_set (err, "\"%s\" is not an http:// or https:// URL", endpoint);
        return NULL;
    }
    size_t len = strlen (endpoint);
    while (!full && len > 0 && endpoint [len - 1] == '/')
        len--;
    char *url = malloc (len + sizeof "/v1/traces");
    if (!url) {
        err_set (err, "out of memory");
        return NULL;
    }
    memcpy (url, endpoint, len);
    strcpy (url + len, full? "": "/v1/traces");
    return url;
}

//  ---------------------------------------------------------------------------
//  The JSON encoding

static void
s_attribute (cJSON *list, const char *key, const char *value)
{
    cJSON *attribute = cJSON_CreateObject ();
    cJSON_AddStringToObject (attribute, "key", key);
    cJSON *holder = cJSON_AddObjectToObject (attribute, "value");
    cJSON_AddStringToObject (holder, "stringValue", value);
    cJSON_AddItemToArray (list, attribute);
}

char *
otlp_encode (const trace_span_t *spans, int count, const char *service)
{
    cJSON *root = cJSON_CreateObject ();
    cJSON *resource_spans = cJSON_AddArrayToObject (root, "resourceSpans");
    cJSON *resource_span = cJSON_CreateObject ();
    cJSON_AddItemToArray (resource_spans, resource_span);
    cJSON *resource = cJSON_AddObjectToObject (resource_span, "resource");
    s_attribute (cJSON_AddArrayToObject (resource, "attributes"), "service.name", service);
    cJSON *scope_spans = cJSON_AddArrayToObject (resource_span, "scopeSpans");
    cJSON *scope_span = cJSON_CreateObject ();
    cJSON_AddItemToArray (scope_spans, scope_span);
    cJSON *scope = cJSON_AddObjectToObject (scope_span, "scope");
    cJSON_AddStringToObject (scope, "name", "svcfw");
    cJSON_AddStringToObject (scope, "version", SVCFW_VERSION);
    cJSON *list = cJSON_AddArrayToObject (scope_span, "spans");
    for (int i = 0; i < count; i++) {
        const trace_span_t *span = &spans [i];
        cJSON *item = cJSON_CreateObject ();
        char hex [33], number [24];
        trace_hex (span->trace_id, 16, hex);
        cJSON_AddStringToObject (item, "traceId", hex);
        trace_hex (span->span_id, 8, hex);
        cJSON_AddStringToObject (item, "spanId", hex);
        static const uint8_t zero [8] = { 0 };
        if (memcmp (span->parent_id, zero, 8) != 0) {
            trace_hex (span->parent_id, 8, hex);
            cJSON_AddStringToObject (item, "parentSpanId", hex);
        }
        cJSON_AddStringToObject (item, "name", span->name);
        cJSON_AddNumberToObject (item, "kind", span->kind);
        //  64-bit integers are strings in the protobuf JSON mapping
        snprintf (number, sizeof number, "%" PRId64, span->start_ns);
        cJSON_AddStringToObject (item, "startTimeUnixNano", number);
        snprintf (number, sizeof number, "%" PRId64, span->end_ns);
        cJSON_AddStringToObject (item, "endTimeUnixNano", number);
        cJSON *attributes = cJSON_AddArrayToObject (item, "attributes");
        s_attribute (attributes, "svcfw.service", service);
        s_attribute (attributes, "svcfw.connection", span->name);
        if (span->workflow_id [0])
            s_attribute (attributes, "svcfw.workflow_id", span->workflow_id);
        if (span->error [0]) {
            cJSON *status = cJSON_AddObjectToObject (item, "status");
            cJSON_AddNumberToObject (status, "code", 2);        //  STATUS_CODE_ERROR
            cJSON_AddStringToObject (status, "message", span->error);
            s_attribute (attributes, "error.type", span->error);
        }
        cJSON_AddItemToArray (list, item);
    }
    char *text = cJSON_PrintUnformatted (root);
    cJSON_Delete (root);
    return text;
}

//  ---------------------------------------------------------------------------
//  The exporter thread

static size_t
s_discard (char *data, size_t size, size_t count, void *arg)
{
    (void) data;
    (void) arg;
    return size * count;
}

//  POSTs `count` spans. The exporter thread.
static void
s_post (CURL *curl, struct curl_slist *headers, const trace_span_t *spans, int count)
{
    //  A collector that failed is left alone for OTLP_RETRY_MS: what comes
    //  meanwhile is dropped without being encoded, so a dead collector
    //  costs the process next to nothing.
    if (s_otlp.failing && s_mono_ms () < s_otlp.retry_at) {
        metrics_trace (METRICS_SPANS_EXPORT_FAILED, (uint64_t) count);
        return;
    }
    char *body = otlp_encode (spans, count, s_otlp.service);
    CURLcode code = CURLE_OUT_OF_MEMORY;
    long status = 0;
    if (body && curl) {
        s_curl.easy_setopt (curl, CURLOPT_URL, s_otlp.url);
        s_curl.easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
        s_curl.easy_setopt (curl, CURLOPT_POSTFIELDS, body);
        s_curl.easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (body));
        s_curl.easy_setopt (curl, CURLOPT_CONNECTTIMEOUT_MS, (long) OTLP_CONNECT_MS);
        s_curl.easy_setopt (curl, CURLOPT_TIMEOUT_MS, (long) OTLP_POST_MS);
        s_curl.easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
        s_curl.easy_setopt (curl, CURLOPT_WRITEFUNCTION, s_discard);
        code = s_curl.easy_perform (curl);
        if (code == CURLE_OK)
            s_curl.easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    }
    free (body);
    if (code == CURLE_OK && status >= 200 && status < 300) {
        metrics_trace (METRICS_SPANS_EXPORTED, (uint64_t) count);
        if (s_otlp.failing)
            log_info ("otlp: %s takes spans again", s_otlp.url);
        s_otlp.failing = false;
        return;
    }
    metrics_trace (METRICS_SPANS_EXPORT_FAILED, (uint64_t) count);
    char why [128];
    if (code == CURLE_OK)
        snprintf (why, sizeof why, "HTTP status %ld", status);
    else
        snprintf (why, sizeof why, "%s", s_curl.easy_strerror (code));
    if (!s_otlp.failing && s_otlp.failures++ == 0)
        log_warning ("otlp: cannot export %d spans to %s: %s (dropped and counted in "
                     "svcfw_spans_dropped_total; later failures are logged at DEBUG)", count, s_otlp.url, why);
    else
        log_debug ("otlp: cannot export %d spans to %s: %s", count, s_otlp.url, why);
    s_otlp.failing = true;
    s_otlp.retry_at = s_mono_ms () + OTLP_RETRY_MS;
}

static void *
s_run (void *arg)
{
    (void) arg;
    CURL *curl = s_curl.easy_init ();
    struct curl_slist *headers = s_curl.slist_append (NULL, "Content-Type: application/json");
    trace_span_t *batch = malloc (OTLP_BATCH * sizeof *batch);
    pthread_mutex_lock (&s_otlp.lock);
    while (true) {
        struct timespec until;
        clock_gettime (CLOCK_REALTIME, &until);
        until.tv_nsec += (OTLP_FLUSH_MS % 1000) * 1000000L;
        until.tv_sec += OTLP_FLUSH_MS / 1000 + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!s_otlp.stop && s_otlp.count < OTLP_BATCH)
            if (pthread_cond_timedwait (&s_otlp.wake, &s_otlp.lock, &until) == ETIMEDOUT)
                break;
        //  Everything queued goes now, a batch per POST; a stop ends it after
        //  the POST under way (or one last POST, if it came while waiting).
        bool stop = s_otlp.stop;
        while (s_otlp.count > 0 && batch) {
            int take = s_otlp.count < OTLP_BATCH? s_otlp.count: OTLP_BATCH;
            if (s_otlp.failing && s_mono_ms () < s_otlp.retry_at) {
                //  The collector is left alone (s_post): drop without copying.
                s_otlp.head = (s_otlp.head + take) % OTLP_QUEUE;
                s_otlp.count -= take;
                metrics_trace (METRICS_SPANS_EXPORT_FAILED, (uint64_t) take);
                continue;
            }
            for (int i = 0; i < take; i++)
                batch [i] = s_otlp.ring [(s_otlp.head + i) % OTLP_QUEUE];
            s_otlp.head = (s_otlp.head + take) % OTLP_QUEUE;
            s_otlp.count -= take;
            pthread_mutex_unlock (&s_otlp.lock);
            s_post (curl, headers, batch, take);
            pthread_mutex_lock (&s_otlp.lock);
            if (stop || s_otlp.stop) {      //  a stop waits for one POST at most
                stop = true;
                break;
            }
        }
        if (stop)
            break;
    }
    //  What a stop left behind is dropped, counted.
    metrics_trace (METRICS_SPANS_EXPORT_FAILED, (uint64_t) s_otlp.count);
    s_otlp.count = 0;
    s_otlp.running = false;
    pthread_mutex_unlock (&s_otlp.lock);
    free (batch);
    s_curl.slist_free_all (headers);
    s_curl.easy_cleanup (curl);
    return NULL;
}

int
otlp_start (const char *url, const char *service, char *err)
{
    if (s_otlp.running || s_otlp.ring)
        return err_set (err, "otlp: the exporter runs already");
    if (s_curl_load (url, err))
        return -1;
    if (s_curl.global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return err_set (err, "--otlp %s: cannot initialise libcurl", url);
    s_curl.initialised = true;
    s_otlp.ring = malloc (OTLP_QUEUE * sizeof *s_otlp.ring);
    s_otlp.url = strdup (url);
    s_otlp.service = strdup (service? service: "svcfw");
    if (!s_otlp.ring || !s_otlp.url || !s_otlp.service) {
        otlp_stop ();
        return err_set (err, "--otlp %s: out of memory", url);
    }
    s_otlp.head = s_otlp.count = 0;
    s_otlp.stop = s_otlp.failing = false;
    s_otlp.failures = 0;
    s_otlp.running = true;
    if (pthread_create (&s_otlp.thread, NULL, s_run, NULL)) {
        s_otlp.running = false;
        otlp_stop ();
        return err_set (err, "--otlp %s: cannot start the exporter thread", url);
    }
    log_info ("otlp: exporting spans to %s", s_otlp.url);
    return 0;
}

void
otlp_enqueue (const trace_span_t *span)
{
    pthread_mutex_lock (&s_otlp.lock);
    if (!s_otlp.running || s_otlp.stop || s_otlp.count >= OTLP_QUEUE) {
        pthread_mutex_unlock (&s_otlp.lock);
        metrics_trace (METRICS_SPANS_QUEUE_FULL, 1);
        return;
    }
    s_otlp.ring [(s_otlp.head + s_otlp.count) % OTLP_QUEUE] = *span;
    if (++s_otlp.count == OTLP_BATCH)
        pthread_cond_signal (&s_otlp.wake);
    pthread_mutex_unlock (&s_otlp.lock);
}

void
otlp_stop (void)
{
    pthread_mutex_lock (&s_otlp.lock);
    bool running = s_otlp.running;
    s_otlp.stop = true;
    pthread_cond_signal (&s_otlp.wake);
    pthread_mutex_unlock (&s_otlp.lock);
    if (running)
        pthread_join (s_otlp.thread, NULL);
    free (s_otlp.ring);
    free (s_otlp.url);
    free (s_otlp.service);
    s_otlp.ring = NULL;
    s_otlp.url = s_otlp.service = NULL;
    s_otlp.running = false;
    if (s_curl.initialised)
        s_curl.global_cleanup ();
    s_curl.initialised = false;
}
