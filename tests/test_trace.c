/*  test_trace - trace/: the strict traceparent parser, the spans a thread
    records and their links, the traceparent its sends carry, the OTLP JSON
    encoding and URL, the bounded queue, and the ids JSON log lines carry.
*/
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "envelope.h"
#include "log.h"
#include "metrics.h"
#include "otlp.h"
#include "trace.h"

#define S_PARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static void
test_parse (void **state)
{
    (void) state;
    trace_context_t ctx;
    char err [ERR_LEN], text [TRACE_PARENT_LEN + 1];
    assert_int_equal (trace_parse (S_PARENT, &ctx, err), 0);
    assert_int_equal (ctx.trace_id [0], 0x4b);
    assert_int_equal (ctx.trace_id [15], 0x36);
    assert_int_equal (ctx.span_id [7], 0xb7);
    assert_int_equal (ctx.flags, 1);
    trace_format (&ctx, text);
    assert_string_equal (text, S_PARENT);
    //  A later version may carry more after a '-'; it is read as version 00.
    assert_int_equal (trace_parse ("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-what-next", &ctx, err), 0);
    assert_int_equal (ctx.flags, 0);
    const char *bad [] = {
        "",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0",             //  short
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",            //  00 is exactly 55
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-011",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",             //  uppercase
        "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",             //  not hex
        "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",             //  separators
        "00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",             //  zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",             //  zero span id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",             //  version ff
        "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",            //  later version, no '-'
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        err [0] = 0;
        if (trace_parse (bad [i], &ctx, err) == 0)
            fail_msg ("took %s", bad [i]);
        assert_true (err [0]);
    }
    assert_int_equal (trace_parse (NULL, &ctx, err), -1);
}

//  Without an exporter: nothing is recorded, a peer's context is passed on
//  as it came, a message without one has none; a malformed one is counted.
static void
test_pass_through (void **state)
{
    (void) state;
    metrics_reset ();
    assert_false (trace_exporting ());
    trace_in_begin ("orders", TRACE_SERVER, NULL, 0);
    assert_null (trace_parent_text ());
    trace_out_begin ("down", TRACE_CLIENT, "w_1");
    assert_null (trace_parent_text ());
    trace_out_end (false);
    trace_in_end ("w", NULL);

    trace_in_begin ("orders", TRACE_SERVER, S_PARENT, 0);
    assert_string_equal (trace_parent_text (), S_PARENT);
    trace_out_begin ("down", TRACE_CLIENT, "w_1");
    assert_string_equal (trace_parent_text (), S_PARENT);
    trace_out_end (false);
    trace_in_end ("w", NULL);
    assert_null (trace_parent_text ());

    trace_in_begin ("orders", TRACE_SERVER, "00-nonsense", 0);
    assert_null (trace_parent_text ());
    trace_in_end ("w", NULL);
    trace_in_begin ("orders", TRACE_SERVER, "", 0);     //  a value that was no string
    trace_in_end ("w", NULL);
    char *text = metrics_render ();
    assert_non_null (strstr (text, "\nsvcfw_traceparent_invalid_total 2\n"));
    assert_null (strstr (text, "svcfw_spans_exported_total"));     //  only with an exporter
    free (text);
}

//  A request's envelope carries the thread's traceparent; a reply none.
static void
test_envelope_carries_it (void **state)
{
    (void) state;
    envelope_t env;
    char err [ERR_LEN];
    const char *in = "{\"args\": {}, \"traceparent\": \"" S_PARENT "\"}";
    assert_int_equal (envelope_decode (in, strlen (in), &env, err), FAULT_NONE);
    assert_string_equal (env.traceparent, S_PARENT);
    envelope_clear (&env);
    in = "{\"args\": {}, \"traceparent\": 5}";              //  never a fault
    assert_int_equal (envelope_decode (in, strlen (in), &env, err), FAULT_NONE);
    assert_string_equal (env.traceparent, "");
    envelope_clear (&env);
    in = "{\"args\": {}}";
    assert_int_equal (envelope_decode (in, strlen (in), &env, err), FAULT_NONE);
    assert_null (env.traceparent);
    envelope_clear (&env);

    cJSON *args = cJSON_Parse ("{\"n\": 1}");
    trace_in_begin ("orders", TRACE_SERVER, S_PARENT, 0);
    size_t len;
    const char *text = envelope_request_text (args, "w", &len);
    assert_string_equal (text, "{\"args\":{\"n\":1},\"workflow_id\":\"w\",\"traceparent\":\"" S_PARENT "\"}");
    char *plain = envelope_request (args, "w");
    //  What a requester keeps across attempts carries no trace: each
    //  attempt adds it once, with its deadline.
    wire_buffer_t kept = { 0 };
    assert_int_equal (envelope_request_into (&kept, args, "w"), 0);
    assert_string_equal (kept.data, plain);
    assert_int_equal (kept.len, strlen (plain));
    wire_buffer_free (&kept);
    wire_buffer_t out = { 0 };
    assert_int_equal (envelope_add_deadline (&out, plain, strlen (plain), 250), 0);
    assert_string_equal (out.data, "{\"args\":{\"n\":1},\"workflow_id\":\"w\",\"deadline_ms\":250,"
                                   "\"traceparent\":\"" S_PARENT "\"}");
    char *reply = envelope_reply (args, "w");
    assert_null (strstr (reply, "traceparent"));
    cJSON_free (reply);
    trace_in_end ("w", NULL);
    assert_int_equal (envelope_add_deadline (&out, plain, strlen (plain), 250), 0);
    assert_null (strstr (out.data, "traceparent"));
    assert_int_equal (envelope_add_deadline (&out, "{}", 2, 9), 0);
    assert_string_equal (out.data, "{\"deadline_ms\":9}");
    cJSON_free (plain);
    wire_buffer_free (&out);
    cJSON_Delete (args);
}

static void
test_url (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *url = otlp_url ("http://collector:4318", false, err);
    assert_string_equal (url, "http://collector:4318/v1/traces");
    free (url);
    url = otlp_url ("https://c.example/otlp//", false, err);
    assert_string_equal (url, "https://c.example/otlp/v1/traces");
    free (url);
    url = otlp_url ("http://c:4318/custom/traces", true, err);
    assert_string_equal (url, "http://c:4318/custom/traces");
    free (url);
    assert_null (otlp_url ("collector:4318", false, err));
    assert_non_null (strstr (err, "collector:4318"));
}

static void
test_encode (void **state)
{
    (void) state;
    trace_span_t spans [2] = { 0 };
    for (int i = 0; i < 16; i++)
        spans [0].trace_id [i] = spans [1].trace_id [i] = (uint8_t) (0x10 + i);
    spans [0].span_id [7] = 1;
    spans [1].span_id [7] = 2;
    spans [1].parent_id [7] = 1;
    spans [0].kind = TRACE_CLIENT;
    spans [1].kind = TRACE_SERVER;
    spans [0].start_ns = 1764590000123456789LL;
    spans [0].end_ns = 1764590000223456789LL;
    strcpy (spans [0].name, "orders");
    strcpy (spans [1].name, "quo\"tes");
    strcpy (spans [1].workflow_id, "w\n1");
    strcpy (spans [1].error, "timeout");
    char *text = otlp_encode (spans, 2, "pricer");
    cJSON *root = cJSON_Parse (text);
    assert_non_null (root);
    cJSON *resource_span = cJSON_GetArrayItem (cJSON_GetObjectItem (root, "resourceSpans"), 0);
    cJSON *attribute = cJSON_GetArrayItem (cJSON_GetObjectItem (cJSON_GetObjectItem (resource_span, "resource"),
                                                                "attributes"), 0);
    assert_string_equal (cJSON_GetObjectItem (attribute, "key")->valuestring, "service.name");
    assert_string_equal (cJSON_GetObjectItem (cJSON_GetObjectItem (attribute, "value"), "stringValue")->valuestring,
                         "pricer");
    cJSON *scope_span = cJSON_GetArrayItem (cJSON_GetObjectItem (resource_span, "scopeSpans"), 0);
    assert_string_equal (cJSON_GetObjectItem (cJSON_GetObjectItem (scope_span, "scope"), "name")->valuestring, "svcfw");
    cJSON *list = cJSON_GetObjectItem (scope_span, "spans");
    assert_int_equal (cJSON_GetArraySize (list), 2);
    cJSON *first = cJSON_GetArrayItem (list, 0), *second = cJSON_GetArrayItem (list, 1);
    assert_string_equal (cJSON_GetObjectItem (first, "traceId")->valuestring, "101112131415161718191a1b1c1d1e1f");
    assert_string_equal (cJSON_GetObjectItem (first, "spanId")->valuestring, "0000000000000001");
    assert_null (cJSON_GetObjectItem (first, "parentSpanId"));
    assert_null (cJSON_GetObjectItem (first, "status"));
    assert_int_equal (cJSON_GetObjectItem (first, "kind")->valueint, 3);
    assert_string_equal (cJSON_GetObjectItem (first, "startTimeUnixNano")->valuestring, "1764590000123456789");
    assert_string_equal (cJSON_GetObjectItem (first, "endTimeUnixNano")->valuestring, "1764590000223456789");
    assert_string_equal (cJSON_GetObjectItem (second, "parentSpanId")->valuestring, "0000000000000001");
    assert_string_equal (cJSON_GetObjectItem (second, "name")->valuestring, "quo\"tes");
    cJSON *status = cJSON_GetObjectItem (second, "status");
    assert_int_equal (cJSON_GetObjectItem (status, "code")->valueint, 2);
    assert_string_equal (cJSON_GetObjectItem (status, "message")->valuestring, "timeout");
    bool workflow = false;
    cJSON_ArrayForEach (attribute, cJSON_GetObjectItem (second, "attributes"))
        if (strcmp (cJSON_GetObjectItem (attribute, "key")->valuestring, "svcfw.workflow_id") == 0)
            workflow = strcmp (cJSON_GetObjectItem (cJSON_GetObjectItem (attribute, "value"),
                                                    "stringValue")->valuestring, "w\n1") == 0;
    assert_true (workflow);
    cJSON_Delete (root);
    free (text);
}

static double
s_metric (const char *series)
{
    char *text = metrics_render ();
    const char *at = strstr (text, series);
    double value = at? strtod (at + strlen (series) + 1, NULL): -1;
    free (text);
    return value;
}

//  With an exporter (here at a port that takes connections and never
//  answers): spans are recorded with their links, a thread never waits,
//  and what does not fit the queue is dropped and counted.
static void
test_record_and_drop (void **state)
{
    (void) state;
    metrics_reset ();
    int silent = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    assert_int_equal (bind (silent, (struct sockaddr *) &address, sizeof address), 0);
    assert_int_equal (listen (silent, 8), 0);
    socklen_t size = sizeof address;
    assert_int_equal (getsockname (silent, (struct sockaddr *) &address, &size), 0);
    char url [64], err [ERR_LEN];
    snprintf (url, sizeof url, "http://127.0.0.1:%d/v1/traces", ntohs (address.sin_port));
    assert_int_equal (trace_export_start (url, "test", err), 0);
    assert_true (trace_exporting ());

    //  A leading edge: the send is a new trace's root.
    trace_out_begin ("orders", TRACE_CLIENT, "w");
    char root [TRACE_PARENT_LEN + 1];
    strcpy (root, trace_parent_text ());
    trace_context_t root_ctx, ctx;
    assert_int_equal (trace_parse (root, &root_ctx, err), 0);
    assert_int_equal (root_ctx.flags, 1);
    trace_out_error ("timeout");
    trace_out_end (true);
    assert_null (trace_parent_text ());

    //  Its receiver: a child in the same trace; its own send a grandchild.
    trace_in_begin ("orders", TRACE_SERVER, root, 0);
    assert_int_equal (trace_parse (trace_parent_text (), &ctx, err), 0);
    assert_memory_equal (ctx.trace_id, root_ctx.trace_id, 16);
    assert_memory_not_equal (ctx.span_id, root_ctx.span_id, 8);
    trace_context_t server = ctx;
    trace_out_begin ("down", TRACE_CLIENT, "w_1");
    assert_int_equal (trace_parse (trace_parent_text (), &ctx, err), 0);
    assert_memory_equal (ctx.trace_id, root_ctx.trace_id, 16);
    assert_memory_not_equal (ctx.span_id, server.span_id, 8);
    trace_out_end (false);
    //  Back to the handled message's context after the send.
    assert_int_equal (trace_parse (trace_parent_text (), &ctx, err), 0);
    assert_memory_equal (ctx.span_id, server.span_id, 8);
    trace_in_end ("w", NULL);

    //  A parent that says "not sampled" is passed on, not recorded.
    const char *unsampled = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
    trace_in_begin ("orders", TRACE_SERVER, unsampled, 0);
    trace_out_begin ("down", TRACE_CLIENT, "w_1");
    assert_string_equal (trace_parent_text (), unsampled);
    trace_out_end (false);
    trace_in_end ("w", NULL);

    //  A flood: the queue holds OTLP_QUEUE, the rest is dropped at once.
    struct timespec start, end;
    clock_gettime (CLOCK_MONOTONIC, &start);
    for (int i = 0; i < OTLP_QUEUE + 1000; i++) {
        trace_in_begin ("orders", TRACE_SERVER, NULL, 0);
        trace_in_end ("w", NULL);
    }
    clock_gettime (CLOCK_MONOTONIC, &end);
    double took = (double) (end.tv_sec - start.tv_sec) + (double) (end.tv_nsec - start.tv_nsec) / 1e9;
    assert_true (took < 2.0);       //  no waiting on the collector (it never answers)
    assert_true (s_metric ("svcfw_spans_dropped_total{reason=\"queue_full\"}") >= 1000 - 3 - OTLP_BATCH);
    trace_export_stop ();           //  bounded: one POST of at most OTLP_POST_MS
    assert_false (trace_exporting ());
    double failed = s_metric ("svcfw_spans_dropped_total{reason=\"export_failed\"}");
    double full = s_metric ("svcfw_spans_dropped_total{reason=\"queue_full\"}");
    assert_true (failed + full == OTLP_QUEUE + 1000 + 3);  //  every span accounted for
    assert_true (s_metric ("svcfw_spans_exported_total") == 0);
    close (silent);
}

//  JSON log lines carry the handled message's trace and span ids.
static void
test_log_ids (void **state)
{
    (void) state;
    char path [] = "/tmp/test_trace_XXXXXX";
    int fd = mkstemp (path);
    assert_true (fd >= 0);
    close (fd);
    char err [ERR_LEN];
    assert_int_equal (log_open ("svc", SVCFW_LOG_ERROR, path, SVCFW_LOG_INFO, err), 0);
    log_set_format (true, LOG_COLOR_NEVER);
    log_set_workflow_id ("w");
    trace_in_begin ("orders", TRACE_SERVER, S_PARENT, 0);
    log_write (SVCFW_LOG_INFO, "inside");
    trace_in_end ("w", NULL);
    log_write (SVCFW_LOG_INFO, "after");
    log_set_workflow_id (NULL);
    log_close ();
    log_set_format (false, LOG_COLOR_NEVER);
    FILE *file = fopen (path, "r");
    char line [1024];
    assert_non_null (fgets (line, sizeof line, file));
    cJSON *object = cJSON_Parse (line);
    assert_non_null (object);
    assert_string_equal (cJSON_GetObjectItem (object, "message")->valuestring, "inside");
    assert_string_equal (cJSON_GetObjectItem (object, "trace_id")->valuestring, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_string_equal (cJSON_GetObjectItem (object, "span_id")->valuestring, "00f067aa0ba902b7");
    assert_string_equal (cJSON_GetObjectItem (object, "workflow_id")->valuestring, "w");
    cJSON_Delete (object);
    assert_non_null (fgets (line, sizeof line, file));
    object = cJSON_Parse (line);
    assert_non_null (object);
    assert_null (cJSON_GetObjectItem (object, "trace_id"));
    assert_null (cJSON_GetObjectItem (object, "span_id"));
    cJSON_Delete (object);
    fclose (file);
    unlink (path);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_parse),
        cmocka_unit_test (test_pass_through),
        cmocka_unit_test (test_envelope_carries_it),
        cmocka_unit_test (test_url),
        cmocka_unit_test (test_encode),
        cmocka_unit_test (test_log_ids),
        cmocka_unit_test (test_record_and_drop),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
