/*  e2e_traces - traces across services: traceparent in envelopes, spans
    exported as OTLP/HTTP JSON to a collector the test runs, trace ids in
    JSON log lines; a dead or silent collector costs the handlers nothing
    and its drops are counted; a malformed traceparent is ignored, counted
    and logged once.
*/
#include <netinet/in.h>
#include <sys/socket.h>
#include "e2e.h"

//  A collector: each POST's path, Content-Type and body, one line each.
static const char *S_COLLECTOR =
    "import http.server, sys\n"
    "out = sys.argv[2]\n"
    "class H (http.server.BaseHTTPRequestHandler):\n"
    "    def do_POST (self):\n"
    "        body = self.rfile.read (int (self.headers.get ('Content-Length', 0)))\n"
    "        with open (out, 'ab') as f:\n"
    "            f.write (self.path.encode () + b' ' + self.headers.get ('Content-Type', '').encode ()\n"
    "                     + b' ' + body + b'\\n')\n"
    "        self.send_response (200)\n"
    "        self.send_header ('Content-Type', 'application/json')\n"
    "        self.send_header ('Content-Length', '2')\n"
    "        self.end_headers ()\n"
    "        self.wfile.write (b'{}')\n"
    "    def log_message (self, *args):\n"
    "        pass\n"
    "server = http.server.HTTPServer (('127.0.0.1', int (sys.argv[1])), H)\n"
    "print ('listening', flush=True)\n"
    "server.serve_forever ()\n";

//  Starts the collector on a fresh port; returns the port, spans go to *spans_path.
static int
s_collector (const char *dir, const char **spans_path)
{
    int port = e2e_tcp_port ();
    const char *script = e2e_write_file (dir, "collector.py", S_COLLECTOR);
    *spans_path = e2e_fmt ("%s/spans.txt", dir);
    char *argv [] = { "/usr/bin/python3", (char *) script, e2e_fmt ("%d", port), (char *) *spans_path, NULL };
    e2e_proc_t *collector = e2e_spawn (argv, e2e_fmt ("%s/collector.out", dir), NULL);
    assert_non_null (collector);
    E2E_ASSERT_LOG (collector, "listening", E2E_READY_MS);
    return port;
}

//  Every span the collector got, each with "service" (service.name) added;
//  checks each POST went to /v1/traces as application/json.
static cJSON *
s_spans (const char *path)
{
    cJSON *all = e2e_keep_json (cJSON_CreateArray ());
    char *text = e2e_read_file (path);
    if (!text)
        return all;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        const char *prefix = "/v1/traces application/json ";
        assert_true (strncmp (line, prefix, strlen (prefix)) == 0);
        cJSON *request = e2e_keep_json (cJSON_Parse (line + strlen (prefix)));
        assert_non_null (request);
        cJSON *resource_span;
        cJSON_ArrayForEach (resource_span, cJSON_GetObjectItem (request, "resourceSpans")) {
            cJSON *attribute = cJSON_GetArrayItem (cJSON_GetObjectItem (cJSON_GetObjectItem (resource_span,
                                                   "resource"), "attributes"), 0);
            assert_string_equal (cJSON_GetObjectItem (attribute, "key")->valuestring, "service.name");
            const char *service = cJSON_GetObjectItem (cJSON_GetObjectItem (attribute, "value"),
                                                       "stringValue")->valuestring;
            cJSON *scope_span;
            cJSON_ArrayForEach (scope_span, cJSON_GetObjectItem (resource_span, "scopeSpans")) {
                cJSON *span;
                cJSON_ArrayForEach (span, cJSON_GetObjectItem (scope_span, "spans")) {
                    cJSON *copy = cJSON_Duplicate (span, true);
                    cJSON_AddStringToObject (copy, "service", service);
                    cJSON_AddItemToArray (all, copy);
                }
            }
        }
    }
    return all;
}

typedef struct { const char *path; int count; } s_spans_wait_t;

static bool
s_has_spans (void *arg)
{
    s_spans_wait_t *wait = arg;
    return cJSON_GetArraySize (s_spans (wait->path)) >= wait->count;
}

//  The span of `service` with that kind and name; fails if not exactly one.
static const cJSON *
s_find (const cJSON *spans, const char *service, int kind, const char *name)
{
    const cJSON *found = NULL, *span;
    int count = 0;
    cJSON_ArrayForEach (span, spans)
        if (strcmp (cJSON_GetObjectItem (span, "service")->valuestring, service) == 0
        &&  cJSON_GetObjectItem (span, "kind")->valueint == kind
        &&  strcmp (cJSON_GetObjectItem (span, "name")->valuestring, name) == 0) {
            found = span;
            count++;
        }
    if (count != 1)
        fail_msg ("%d spans of %s kind %d name %s in %s", count, service, kind, name, e2e_json (spans));
    return found;
}

static const char *
s_str (const cJSON *span, const char *key)
{
    const cJSON *item = cJSON_GetObjectItem (span, key);
    return cJSON_IsString (item)? item->valuestring: NULL;
}

//  The span's attribute `key`, or NULL.
static const char *
s_attribute (const cJSON *span, const char *key)
{
    const cJSON *attribute;
    cJSON_ArrayForEach (attribute, cJSON_GetObjectItem (span, "attributes"))
        if (strcmp (cJSON_GetObjectItem (attribute, "key")->valuestring, key) == 0)
            return cJSON_GetObjectItem (cJSON_GetObjectItem (attribute, "value"), "stringValue")->valuestring;
    return NULL;
}

//  The JSON log line of `path` whose message contains `needle`, parsed.
static cJSON *
s_log_line (const char *path, const char *needle)
{
    const char *line = e2e_grep (path, needle);
    if (!line)
        fail_msg ("no line with %s in %s", needle, path);
    cJSON *object = e2e_keep_json (cJSON_Parse (line));
    if (!object)
        fail_msg ("%s: not JSON: %s", path, line);
    return object;
}

//  A request through three services (main mode -> a replyer that requests
//  -> a replyer), each exporting: one trace, the parent links across all
//  three, and the trace's ids in the JSON log lines.
static void
test_chain_is_one_trace (void **state)
{
    const char *dir = *state;
    const char *spans_path;
    int collector = s_collector (dir, &spans_path);
    const char *otlp = e2e_fmt ("http://127.0.0.1:%d", collector);
    int echo_port = e2e_tcp_port (), relay_port = e2e_tcp_port ();
    const char *echo_log = e2e_fmt ("%s/echo.log", dir), *relay_log = e2e_fmt ("%s/relay.log", dir);

    e2e_proc_t *echo = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (echo_port)),
        NULL, "--otlp", otlp, "--log-format", "json", "-l", echo_log, NULL);
    E2E_ASSERT_LOG (echo, "\"message\":\"ready: ", E2E_READY_MS);
    //  The config key svcfw_otlp, with a trailing '/' (one is dropped).
    e2e_proc_t *relay = e2e_svcfw (dir, e2e_plugin ("relay_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, "
                 "\"out\": {\"downstream\": {\"requester\": \"%s\"}}}}", e2e_addr (relay_port), e2e_addr (echo_port)),
        e2e_fmt ("{\"svcfw_otlp\": \"%s/\"}", otlp), "--log-format", "json", "-l", relay_log, NULL);
    E2E_ASSERT_LOG (relay, "\"message\":\"ready: ", E2E_READY_MS);
    //  The leading edge finds the collector through the standard variable.
    setenv ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp, 1);
    e2e_proc_t *main_svc = e2e_svcfw (dir, e2e_plugin ("requester_main"),
        e2e_fmt ("{\"connections\": {\"out\": {\"orders\": {\"requester\": \"%s\"}}}}", e2e_addr (relay_port)),
        "{\"count\": 1}", "-m", "--log-format", "json", NULL);
    unsetenv ("OTEL_EXPORTER_OTLP_ENDPOINT");
    assert_true (e2e_wait_exit (main_svc, E2E_EXIT_MS, NULL));
    assert_int_equal (e2e_exit_code (main_svc), 0);
    assert_non_null (e2e_grep (e2e_proc_out (main_svc), "reply 1 ok=true"));

    //  Four spans, the relay's and echo's while they still run (a span
    //  leaves within 2 s; 10 s here for a loaded machine).
    s_spans_wait_t wait = { spans_path, 4 };
    assert_true (e2e_poll (s_has_spans, &wait, 10000));
    const cJSON *spans = s_spans (spans_path);
    assert_int_equal (cJSON_GetArraySize (spans), 4);
    const cJSON *client = s_find (spans, "requester_main", 3, "orders");        //  CLIENT
    const cJSON *relay_server = s_find (spans, "relay_replyer", 2, "orders");   //  SERVER
    const cJSON *relay_client = s_find (spans, "relay_replyer", 3, "downstream");
    const cJSON *echo_server = s_find (spans, "echo_replyer", 2, "orders");
    const char *trace_id = s_str (client, "traceId");
    assert_true (e2e_match (trace_id, "^[0-9a-f]{32}$"));
    const cJSON *span;
    cJSON_ArrayForEach (span, spans) {
        assert_string_equal (s_str (span, "traceId"), trace_id);
        assert_true (e2e_match (s_str (span, "spanId"), "^[0-9a-f]{16}$"));
        assert_null (cJSON_GetObjectItem (span, "status"));     //  every call went well
        long long start = atoll (s_str (span, "startTimeUnixNano"));
        long long end = atoll (s_str (span, "endTimeUnixNano"));
        assert_true (start > 1600000000LL * 1000000000LL && end >= start);
        assert_string_equal (s_attribute (span, "svcfw.service"), s_str (span, "service"));
        assert_string_equal (s_attribute (span, "svcfw.connection"), s_str (span, "name"));
    }
    //  The links: main's CLIENT is the root; each hop is its sender's child.
    assert_null (s_str (client, "parentSpanId"));
    assert_string_equal (s_str (relay_server, "parentSpanId"), s_str (client, "spanId"));
    assert_string_equal (s_str (relay_client, "parentSpanId"), s_str (relay_server, "spanId"));
    assert_string_equal (s_str (echo_server, "parentSpanId"), s_str (relay_client, "spanId"));
    //  Workflow ids as the log knows them: the request's, then its _1.
    const char *workflow_id = s_attribute (client, "svcfw.workflow_id");
    assert_true (e2e_match (workflow_id, E2E_UUID_RE));
    assert_string_equal (s_attribute (relay_server, "svcfw.workflow_id"), workflow_id);
    assert_string_equal (s_attribute (relay_client, "svcfw.workflow_id"), e2e_fmt ("%s_1", workflow_id));
    assert_string_equal (s_attribute (echo_server, "svcfw.workflow_id"), e2e_fmt ("%s_1", workflow_id));

    //  JSON log lines parse and carry severity, workflow_id, and the span
    //  of the message being handled.
    cJSON *line = s_log_line (relay_log, "relay order 1 ");
    assert_string_equal (s_str (line, "severity"), "INFO");
    assert_string_equal (s_str (line, "workflow_id"), workflow_id);
    assert_string_equal (s_str (line, "trace_id"), trace_id);
    assert_string_equal (s_str (line, "span_id"), s_str (relay_server, "spanId"));
    line = s_log_line (echo_log, "got order 1 ");
    assert_string_equal (s_str (line, "severity"), "INFO");
    assert_string_equal (s_str (line, "workflow_id"), e2e_fmt ("%s_1", workflow_id));
    assert_string_equal (s_str (line, "trace_id"), trace_id);
    assert_string_equal (s_str (line, "span_id"), s_str (echo_server, "spanId"));
    //  Lines outside a message carry none.
    line = s_log_line (relay_log, "ready: ");
    assert_null (cJSON_GetObjectItem (line, "trace_id"));
    assert_true (cJSON_IsNull (cJSON_GetObjectItem (line, "workflow_id")));
}

//  A peer's traceparent is honoured (its trace, its span as the parent), a
//  failed call's span says how it failed, and a malformed traceparent
//  changes nothing but a counter and one WARNING line.
static void
test_peer_traceparent (void **state)
{
    const char *dir = *state;
    const char *spans_path;
    int collector = s_collector (dir, &spans_path);
    int port = e2e_tcp_port (), admin = e2e_tcp_port ();
    e2e_proc_t *echo = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (port)),
        NULL, "--otlp", e2e_fmt ("http://127.0.0.1:%d", collector), "--admin", e2e_addr (admin),
        "--log-format", "json", NULL);
    E2E_ASSERT_LOG (echo, "\"message\":\"ready: ", E2E_READY_MS);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    const char *parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    cJSON *reply = e2e_request (req, e2e_fmt ("{\"args\": {\"order_id\": 1}, \"workflow_id\": \"w1\", "
                                              "\"traceparent\": \"%s\"}", parent));
    assert_null (e2e_reply_kind (reply));
    reply = e2e_request (req, "{\"args\": {\"order_id\": 2, \"note\": \"fail\"}, \"workflow_id\": \"w2\", "
                              "\"traceparent\": \"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}");
    assert_string_equal (e2e_reply_kind (reply), "handler_failed");
    //  Malformed: uppercase hex, too short, an all-zero trace id, a number, version ff.
    const char *bad [] = {
        "\"00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01\"", "\"00-4bf9-00f0-01\"",
        "\"00-00000000000000000000000000000000-00f067aa0ba902b7-01\"", "17",
        "\"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"",
    };
    for (int i = 0; i < 5; i++) {
        reply = e2e_request (req, e2e_fmt ("{\"args\": {\"order_id\": %d}, \"workflow_id\": \"bad%d\", "
                                           "\"traceparent\": %s}", 10 + i, i, bad [i]));
        assert_null (e2e_reply_kind (reply));       //  answered as if it had none
    }
    const char *body;
    assert_int_equal (e2e_http_get (admin, "/metrics", &body), 200);
    assert_true (e2e_metric_value (body, "svcfw_traceparent_invalid_total") == 5);
    assert_int_equal (e2e_file_count (e2e_proc_out (echo), "malformed traceparent"), 1);

    s_spans_wait_t wait = { spans_path, 7 };
    assert_true (e2e_poll (s_has_spans, &wait, 10000));
    const cJSON *spans = s_spans (spans_path), *span;
    int honoured = 0, fresh = 0;
    cJSON_ArrayForEach (span, spans) {
        assert_int_equal (cJSON_GetObjectItem (span, "kind")->valueint, 2);
        const char *wf = s_attribute (span, "svcfw.workflow_id");
        if (wf [0] == 'w') {
            honoured++;
            assert_string_equal (s_str (span, "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
            assert_string_equal (s_str (span, "parentSpanId"), "00f067aa0ba902b7");
            const cJSON *status = cJSON_GetObjectItem (span, "status");
            if (strcmp (wf, "w2") == 0) {
                assert_int_equal (cJSON_GetObjectItem (status, "code")->valueint, 2);
                assert_string_equal (s_str (status, "message"), "handler_failed");
            }
            else
                assert_null (status);
        }
        else {
            //  A new trace, as for a message without one.
            fresh++;
            assert_null (s_str (span, "parentSpanId"));
            assert_string_not_equal (s_str (span, "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
        }
    }
    assert_int_equal (honoured, 2);
    assert_int_equal (fresh, 5);
    assert_true (e2e_metric_value (body, "svcfw_spans_dropped_total{reason=\"queue_full\"}") == 0);
}

//  Without --otlp no span is made, but a peer's trace is passed on: the
//  log lines carry it, and the handler's own requests carry it onward.
static void
test_no_export_passes_trace_on (void **state)
{
    const char *dir = *state;
    int echo_port = e2e_tcp_port (), relay_port = e2e_tcp_port ();
    e2e_proc_t *echo = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (echo_port)),
        NULL, "--log-format", "json", NULL);
    E2E_ASSERT_LOG (echo, "\"message\":\"ready: ", E2E_READY_MS);
    e2e_proc_t *relay = e2e_svcfw (dir, e2e_plugin ("relay_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, "
                 "\"out\": {\"downstream\": {\"requester\": \"%s\"}}}}", e2e_addr (relay_port), e2e_addr (echo_port)),
        NULL, "--log-format", "json", NULL);
    E2E_ASSERT_LOG (relay, "\"message\":\"ready: ", E2E_READY_MS);
    zsock_t *req = e2e_req (e2e_endpoint (relay_port));
    assert_null (e2e_reply_kind (e2e_request (req, "{\"args\": {\"order_id\": 5}, \"workflow_id\": \"pass\", "
        "\"traceparent\": \"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\"}")));
    assert_null (e2e_reply_kind (e2e_request (req, "{\"args\": {\"order_id\": 6}, \"workflow_id\": \"none\"}")));
    E2E_ASSERT_LOG (echo, "got order 6 ", E2E_LOG_MS);
    const char *line_text = e2e_grep (e2e_proc_out (echo), "got order 5 ");
    assert_non_null (line_text);
    cJSON *line = e2e_keep_json (cJSON_Parse (line_text));
    assert_string_equal (s_str (line, "trace_id"), "0af7651916cd43dd8448eb211c80319c");
    assert_string_equal (s_str (line, "span_id"), "b7ad6b7169203331");
    line = e2e_keep_json (cJSON_Parse (e2e_grep (e2e_proc_out (echo), "got order 6 ")));
    assert_null (cJSON_GetObjectItem (line, "trace_id"));
    assert_null (e2e_grep (e2e_proc_out (relay), "otlp"));
}

//  A publisher's sends are PRODUCER spans; each message a subscriber
//  handles is a CONSUMER span, their child, in the same trace.
static void
test_pubsub_spans (void **state)
{
    const char *dir = *state;
    const char *spans_path;
    int collector = s_collector (dir, &spans_path);
    const char *otlp = e2e_fmt ("http://127.0.0.1:%d", collector);
    int port = e2e_tcp_port ();
    const char *addresses = e2e_fmt ("{\"connections\": {\"in\": {\"ticks\": {\"subscriber\": \"%s\"}}, "
                                     "\"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}", e2e_addr (port), e2e_addr (port));
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("counting_sub"), addresses, "{\"count\": 3}", "--otlp", otlp, NULL);
    E2E_ASSERT_READY (sub);
    //  burst_pub sends once the subscriber has joined, then exits.
    e2e_proc_t *producer = e2e_svcfw (dir, e2e_plugin ("burst_pub"), addresses, "{\"count\": 3}", "-m",
                                      "--otlp", otlp, NULL);
    int status;
    assert_true (e2e_wait_exit (producer, E2E_EXIT_MS * 2, &status));
    assert_int_equal (e2e_exit_code (producer), 0);
    E2E_ASSERT_LOG (sub, "counted ALL 3", 10000);
    s_spans_wait_t wait = { spans_path, 6 };
    assert_true (e2e_poll (s_has_spans, &wait, 10000));
    const cJSON *spans = s_spans (spans_path), *span, *other;
    int consumers = 0;
    cJSON_ArrayForEach (span, spans) {
        if (strcmp (s_str (span, "service"), "counting_sub") != 0)
            continue;
        assert_int_equal (cJSON_GetObjectItem (span, "kind")->valueint, 5);     //  CONSUMER
        assert_string_equal (s_str (span, "name"), "ticks");
        const cJSON *parent = NULL;
        cJSON_ArrayForEach (other, spans)
            if (s_str (span, "parentSpanId") && strcmp (s_str (other, "spanId"), s_str (span, "parentSpanId")) == 0)
                parent = other;
        assert_non_null (parent);
        assert_string_equal (s_str (parent, "service"), "burst_pub");
        assert_int_equal (cJSON_GetObjectItem (parent, "kind")->valueint, 4);   //  PRODUCER
        assert_null (s_str (parent, "parentSpanId"));                           //  main mode: a root
        assert_string_equal (s_str (parent, "traceId"), s_str (span, "traceId"));
        assert_string_equal (s_attribute (parent, "svcfw.workflow_id"), s_attribute (span, "svcfw.workflow_id"));
        consumers++;
    }
    assert_int_equal (consumers, 3);
}

typedef struct { int port; double dropped; } s_metric_wait_t;

static bool
s_failed_counted (void *arg)
{
    s_metric_wait_t *wait = arg;
    const char *body;
    if (e2e_http_get (wait->port, "/metrics", &body) != 200)
        return false;
    return e2e_metric_value (body, "svcfw_spans_dropped_total{reason=\"export_failed\"}") >= wait->dropped;
}

//  A collector that is not there, and one that takes the connection but
//  never answers: the handlers answer as fast as ever; every span is
//  counted dropped, none exported.
static void
test_dead_collector (void **state)
{
    const char *dir = *state;
    //  Takes connections (the kernel's backlog) and never reads or answers.
    int silent = socket (AF_INET, SOCK_STREAM, 0);
    assert_true (silent >= 0);
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
    assert_int_equal (bind (silent, (struct sockaddr *) &address, sizeof address), 0);
    assert_int_equal (listen (silent, 64), 0);
    socklen_t size = sizeof address;
    assert_int_equal (getsockname (silent, (struct sockaddr *) &address, &size), 0);
    const char *collectors [] = {
        e2e_fmt ("http://127.0.0.1:%d", e2e_tcp_port ()),              //  nothing listens
        e2e_fmt ("http://127.0.0.1:%d", ntohs (address.sin_port)),    //  silent
    };
    for (int c = 0; c < 2; c++) {
        int port = e2e_tcp_port (), admin = e2e_tcp_port ();
        e2e_proc_t *echo = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
            e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (port)),
            NULL, "--otlp", collectors [c], "--admin", e2e_addr (admin), NULL);
        E2E_ASSERT_READY (echo);
        zsock_t *req = e2e_req (e2e_endpoint (port));
        //  Were a handler to wait on the collector (up to 1 s a POST), 60
        //  requests would take a minute; 10 s allows for a loaded machine.
        long long start = e2e_now_ms ();
        for (int i = 0; i < 60; i++)
            assert_null (e2e_reply_kind (e2e_request (req, e2e_fmt ("{\"args\": {\"order_id\": %d}}", i))));
        assert_true (e2e_now_ms () - start < 10000);
        s_metric_wait_t wait = { admin, 60 };
        assert_true (e2e_poll (s_failed_counted, &wait, 10000));
        const char *body;
        assert_int_equal (e2e_http_get (admin, "/metrics", &body), 200);
        assert_true (e2e_metric_value (body, "svcfw_spans_exported_total") == 0);
        assert_true (e2e_metric_value (body, "svcfw_spans_dropped_total{reason=\"export_failed\"}") == 60);
        assert_int_equal (e2e_file_count (e2e_proc_out (echo), "otlp: cannot export"), 1);
        //  The stop stays bounded with a collector that never answers.
        int status;
        start = e2e_now_ms ();
        assert_true (e2e_stop (echo, SIGTERM, 5000, &status));
        assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
        assert_true (e2e_now_ms () - start < 5000);
        e2e_sock_destroy (&req);
    }
    close (silent);
}

//  A bad --otlp is a startup error naming it.
static void
test_bad_url (void **state)
{
    const char *dir = *state;
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (e2e_tcp_port ())),
        NULL, "--otlp", "collector:4318", NULL);
    assert_true (e2e_wait_exit (svc, E2E_EXIT_MS, NULL));
    assert_int_equal (e2e_exit_code (svc), 1);
    assert_non_null (e2e_grep (e2e_proc_out (svc), "--otlp: \"collector:4318\" is not an http:// or https:// URL"));
    //  The config key must be a string too, and the environment a URL.
    svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (e2e_tcp_port ())),
        "{\"svcfw_otlp\": 4318}", NULL);
    assert_true (e2e_wait_exit (svc, E2E_EXIT_MS, NULL));
    assert_int_equal (e2e_exit_code (svc), 1);
    assert_non_null (e2e_grep (e2e_proc_out (svc), "config: svcfw_otlp must be a string URL"));
    setenv ("OTEL_EXPORTER_OTLP_ENDPOINT", "udp://127.0.0.1:4318", 1);
    svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (e2e_tcp_port ())),
        NULL, NULL);
    unsetenv ("OTEL_EXPORTER_OTLP_ENDPOINT");
    assert_true (e2e_wait_exit (svc, E2E_EXIT_MS, NULL));
    assert_int_equal (e2e_exit_code (svc), 1);
    assert_non_null (e2e_grep (e2e_proc_out (svc), "OTEL_EXPORTER_OTLP_ENDPOINT: \"udp://127.0.0.1:4318\" is not"));
}

//  Whether the running process maps a file whose path holds `needle`.
static bool
s_maps (e2e_proc_t *proc, const char *needle)
{
    FILE *maps = fopen (e2e_fmt ("/proc/%d/maps", (int) e2e_proc_pid (proc)), "r");
    assert_non_null (maps);
    char line [1024];
    bool found = false;
    while (!found && fgets (line, sizeof line, maps))
        found = strstr (line, needle) != NULL;
    fclose (maps);
    return found;
}

//  libcurl is loaded by the exporter only: a service without --otlp maps
//  none of it; one with --otlp maps it and exports.
static void
test_curl_on_demand (void **state)
{
    const char *dir = *state;
    e2e_proc_t *plain = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (e2e_tcp_port ())),
        NULL, NULL);
    E2E_ASSERT_LOG (plain, " ready: ", E2E_READY_MS);
    assert_true (s_maps (plain, "/libzmq"));             //  the maps are read at all
    assert_false (s_maps (plain, "/libcurl"));
    const char *spans_path;
    int collector = s_collector (dir, &spans_path);
    e2e_proc_t *traced = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (e2e_tcp_port ())),
        NULL, "--otlp", e2e_fmt ("http://127.0.0.1:%d", collector), NULL);
    E2E_ASSERT_LOG (traced, " ready: ", E2E_READY_MS);
    assert_true (s_maps (traced, "/libcurl"));
    int status;
    assert_true (e2e_stop (traced, SIGTERM, 5000, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_true (e2e_stop (plain, SIGTERM, 5000, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

//  Without libcurl (a missing library, or one without curl's functions:
//  SVCFW_CURL_LIBRARY stands in for an uninstalled libcurl4), --otlp is a
//  one-line startup error and exit 1.
static void
test_curl_missing (void **state)
{
    const char *dir = *state;
    const char *otlp = e2e_fmt ("http://127.0.0.1:%d", e2e_tcp_port ());
    const char *libraries [] = { "libsvcfw-no-such-curl.so.4", "libc.so.6" };
    const char *why [] = { "libsvcfw-no-such-curl.so.4: cannot open shared object file",
                           "undefined symbol: curl_global_init" };
    for (int i = 0; i < 2; i++) {
        setenv ("SVCFW_CURL_LIBRARY", libraries [i], 1);
        e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"),
            e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", e2e_addr (e2e_tcp_port ())),
            NULL, "--otlp", otlp, NULL);
        unsetenv ("SVCFW_CURL_LIBRARY");
        assert_true (e2e_wait_exit (svc, E2E_EXIT_MS, NULL));
        assert_int_equal (e2e_exit_code (svc), 1);
        char *line = e2e_grep (e2e_proc_out (svc), e2e_fmt ("--otlp %s/v1/traces: cannot load %s (install libcurl4): ",
                                                             otlp, libraries [i]));
        assert_non_null (line);
        assert_non_null (strstr (line, why [i]));
        assert_null (e2e_grep (e2e_proc_out (svc), " ready: "));
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_chain_is_one_trace, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_peer_traceparent, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_no_export_passes_trace_on, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_pubsub_spans, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_dead_collector, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_bad_url, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_curl_on_demand, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_curl_missing, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
