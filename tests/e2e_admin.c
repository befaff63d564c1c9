/*  e2e_admin - the admin endpoint (--admin): /metrics after a known traffic
    mix, /readyz through a service's life, /livez while the loop is stuck
    (the test hook SVCFW_TEST_STALL_FILE), and hostile HTTP clients.

    metrics_replyer answers "quotes" (FAIL: handler_failed, SLOW: 500 ms);
    metrics_requester (main mode) sends a fixed mix to it and to a dead
    "guarded" endpoint behind a breaker (metrics_requester.c says which).
    Scrapes are checked for exact counts, and parsed by a real Prometheus
    text parser: Debian's python3-prometheus-client (/usr/bin/python3),
    which also checks every family's HELP and TYPE and every histogram's
    cumulative buckets ending in +Inf.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "e2e.h"

//  Parses `text` with prometheus_client's parser and checks every family
//  and histogram; returns the parser's exit status (0: all good).
static int
s_parse_with_prometheus (const char *dir, const char *text)
{
    const char *path = e2e_write_file (dir, "scrape.txt", text);
    assert_non_null (path);
    const char *script = e2e_write_file (dir, "check.py",
        "import sys\n"
        "from prometheus_client.parser import text_string_to_metric_families\n"
        "text = open(sys.argv[1]).read()\n"
        "families = list(text_string_to_metric_families(text))\n"
        "assert families, 'no families'\n"
        "for f in families:\n"
        "    assert f.documentation, f.name + ': no HELP'\n"
        "    assert f.type in ('counter', 'gauge', 'histogram'), f.name + ': TYPE ' + f.type\n"
        "    if f.type != 'histogram':\n"
        "        continue\n"
        "    series = {}\n"
        "    for s in f.samples:\n"
        "        labels = tuple(sorted((k, v) for k, v in s.labels.items() if k != 'le'))\n"
        "        series.setdefault(labels, {'buckets': [], 'count': None})\n"
        "        if s.name.endswith('_bucket'):\n"
        "            series[labels]['buckets'].append((float(s.labels['le']), s.value))\n"
        "        elif s.name.endswith('_count'):\n"
        "            series[labels]['count'] = s.value\n"
        "    for labels, h in series.items():\n"
        "        b = h['buckets']\n"
        "        assert b and b[-1][0] == float('inf'), f.name + ': no +Inf bucket'\n"
        "        assert all(b[i][1] <= b[i + 1][1] for i in range(len(b) - 1)), f.name + ': not cumulative'\n"
        "        assert b[-1][1] == h['count'], f.name + ': +Inf is not _count'\n"
        "print('parsed', len(families), 'families')\n");
    assert_non_null (script);
    int status = system (e2e_fmt ("/usr/bin/python3 %s %s", script, path));
    return WIFEXITED (status)? WEXITSTATUS (status): -1;
}

typedef struct { int port; const char *path; int status; } s_status_wait_t;

//  e2e_poll: GET path answers status.
static bool
s_status_is (void *arg)
{
    s_status_wait_t *wait = arg;
    const char *body;
    return e2e_http_get (wait->port, wait->path, &body) == wait->status;
}

static char *
s_replyer_addresses (int port)
{
    return e2e_fmt ("{\"connections\": {\"in\": {\"quotes\": {\"replyer\": \"%s\"}}, \"out\": {}}}", e2e_addr (port));
}

typedef struct {
    int port;
    const char *series;
    double want;
} s_wait_t;

static bool
s_series_is (void *arg)
{
    s_wait_t *wait = arg;
    const char *body;
    return e2e_http_get (wait->port, "/metrics", &body) == 200 && e2e_metric_value (body, wait->series) == wait->want;
}

//  ---------------------------------------------------------------------------

static void
test_metrics_after_a_known_mix (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port (), rep_admin = e2e_tcp_port (), req_admin = e2e_tcp_port ();
    int dead = e2e_tcp_port ();
    e2e_proc_t *rep = e2e_svcfw (dir, e2e_plugin ("metrics_replyer"), s_replyer_addresses (port), NULL,
                                 "--admin", e2e_addr (rep_admin), NULL);
    E2E_ASSERT_READY (rep);

    //  Raw peers first: one ok, two invalid_args, one invalid_json.
    zsock_t *req = e2e_req (e2e_endpoint (port));
    assert_null (e2e_reply_kind (e2e_request (req, "{\"args\": {\"symbol\": \"B\"}}")));
    e2e_sock_destroy (&req);
    for (int i = 0; i < 2; i++) {
        req = e2e_req (e2e_endpoint (port));
        assert_string_equal (e2e_reply_kind (e2e_request (req, "{\"args\": {\"symbol\": 5}}")), "invalid_args");
        e2e_sock_destroy (&req);
    }
    req = e2e_req (e2e_endpoint (port));
    assert_string_equal (e2e_reply_kind (e2e_request (req, "not json")), "invalid_json");
    e2e_sock_destroy (&req);

    const char *addresses = e2e_fmt ("{\"connections\": {\"in\": {}, \"out\": {\"quotes\": {\"requester\": \"%s\"}, "
                                     "\"guarded\": {\"requester\": \"%s\"}}}}", e2e_addr (port), e2e_addr (dead));
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("metrics_requester"), addresses, NULL, "-m",
                                    "--admin", e2e_addr (req_admin), NULL);
    E2E_ASSERT_LOG (client, "mix done", 15000);
    //  The replyer finishes the first SLOW request after its requester gave
    //  up (200 ms); the second, queued behind it on the one handler thread,
    //  finds its deadline_ms (200) gone when its handler would start, and is
    //  answered deadline_exceeded without running.
    s_wait_t wait = { rep_admin, "svcfw_messages_total{connection=\"quotes\",direction=\"in\",outcome=\"ok\"}", 5 };
    if (!e2e_poll (s_series_is, &wait, 5000)) {
        e2e_dump (rep);
        fail_msg ("the replyer did not count 5 ok messages");
    }

    const char *body;
    assert_int_equal (e2e_http_raw (rep_admin, "GET /metrics HTTP/1.1\r\n\r\n", &body), 200);
    const char *text = body;
    double handled = e2e_metric_value (text, "svcfw_handler_seconds_count{connection=\"quotes\"}");
    struct { const char *series; double want; } rep_want [] = {
        { "svcfw_messages_total{connection=\"quotes\",direction=\"in\",outcome=\"ok\"}", 5 },
        { "svcfw_messages_total{connection=\"quotes\",direction=\"in\",outcome=\"deadline_exceeded\"}", 1 },
        { "svcfw_messages_total{connection=\"quotes\",direction=\"in\",outcome=\"handler_failed\"}", 2 },
        { "svcfw_messages_total{connection=\"quotes\",direction=\"in\",outcome=\"invalid_args\"}", 2 },
        { "svcfw_messages_total{connection=\"quotes\",direction=\"in\",outcome=\"invalid_json\"}", 1 },
        { "svcfw_handler_seconds_count{connection=\"quotes\"}", 7 },          //  5 ok + 2 failed ran the handler
        { "svcfw_handler_seconds_bucket{connection=\"quotes\",le=\"+Inf\"}", 7 },
        { "svcfw_handler_seconds_bucket{connection=\"quotes\",le=\"0.25\"}", 6 },  //  the SLOW one took 1 s
        { "svcfw_handler_seconds_bucket{connection=\"quotes\",le=\"10\"}", 7 },
        { "svcfw_handlers_running{connection=\"quotes\"}", 0 },
    };
    for (size_t i = 0; i < sizeof rep_want / sizeof rep_want [0]; i++)
        if (e2e_metric_value (text, rep_want [i].series) != rep_want [i].want)
            fail_msg ("replyer: %s is %g, expected %g\n%s", rep_want [i].series,
                      e2e_metric_value (text, rep_want [i].series), rep_want [i].want, text);
    assert_true (handled == 7);
    assert_null (strstr (text, "outcome=\"too_large\""));
    assert_non_null (strstr (text, "process_resident_memory_bytes "));
    assert_int_equal (s_parse_with_prometheus (dir, text), 0);

    assert_int_equal (e2e_http_get (req_admin, "/metrics", &body), 200);
    text = body;
    struct { const char *series; double want; } req_want [] = {
        { "svcfw_requests_total{connection=\"quotes\",outcome=\"ok\"}", 3 },
        { "svcfw_requests_total{connection=\"quotes\",outcome=\"error_reply\"}", 2 },
        { "svcfw_requests_total{connection=\"quotes\",outcome=\"timeout\"}", 2 },
        { "svcfw_messages_total{connection=\"quotes\",direction=\"out\",outcome=\"ok\"}", 3 },
        { "svcfw_messages_total{connection=\"quotes\",direction=\"out\",outcome=\"error_reply\"}", 2 },
        { "svcfw_messages_total{connection=\"quotes\",direction=\"out\",outcome=\"timeout\"}", 2 },
        { "svcfw_request_seconds_count{connection=\"quotes\"}", 7 },
        { "svcfw_request_seconds_bucket{connection=\"quotes\",le=\"+Inf\"}", 7 },
        { "svcfw_requests_total{connection=\"guarded\",outcome=\"timeout\"}", 2 },
        { "svcfw_requests_total{connection=\"guarded\",outcome=\"circuit_open\"}", 2 },
        { "svcfw_requests_total{connection=\"guarded\",outcome=\"ok\"}", 0 },
        { "svcfw_circuit_state{connection=\"guarded\"}", 1 },
        { "svcfw_request_seconds_count{connection=\"guarded\"}", 4 },
    };
    for (size_t i = 0; i < sizeof req_want / sizeof req_want [0]; i++)
        if (e2e_metric_value (text, req_want [i].series) != req_want [i].want)
            fail_msg ("requester: %s is %g, expected %g\n%s", req_want [i].series,
                      e2e_metric_value (text, req_want [i].series), req_want [i].want, text);
    //  no breaker on quotes, so no circuit_state for it
    assert_null (strstr (text, "svcfw_circuit_state{connection=\"quotes\"}"));
    assert_int_equal (s_parse_with_prometheus (dir, text), 0);

    //  The stop summary: per connection, messages handled and faults by kind.
    int status;
    assert_true (e2e_stop (rep, SIGTERM, 5000, &status));
    assert_non_null (e2e_grep (e2e_proc_out (rep), "quotes: 11 messages (5 ok), faults: invalid_json 1, "
                                                   "invalid_args 2, handler_failed 2, deadline_exceeded 1"));
}

static void
test_http_answers (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port (), admin = e2e_tcp_port ();
    e2e_proc_t *rep = e2e_svcfw (dir, e2e_plugin ("metrics_replyer"), s_replyer_addresses (port), NULL,
                                 "--admin", e2e_addr (admin), NULL);
    E2E_ASSERT_READY (rep);
    const char *body;
    int fd = e2e_tcp_connect (admin);
    assert_true (fd >= 0);
    const char *request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_true (write (fd, request, strlen (request)) > 0);
    size_t len;
    char *response = e2e_read_all (fd, 3000, &len);
    close (fd);
    assert_non_null (strstr (response, "HTTP/1.1 200 OK\r\n"));
    assert_non_null (strstr (response, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
    assert_int_equal (e2e_http_get (admin, "/livez", &body), 200);
    assert_int_equal (e2e_http_get (admin, "/readyz", &body), 200);
    assert_string_equal (body, "{\"ready\":true}\n");
    assert_int_equal (e2e_http_get (admin, "/nothing", &body), 404);
    assert_int_equal (e2e_http_get (admin, "/metrics?x=1", &body), 200);
    assert_int_equal (e2e_http_raw (admin, "POST /metrics HTTP/1.1\r\n\r\n", &body), 405);
    assert_int_equal (e2e_http_raw (admin, "garbage\r\n\r\n", &body), 400);
    assert_int_equal (e2e_http_raw (admin, "GET /metrics SPDY/9\r\n\r\n", &body), 400);
    //  A head over 8 KiB is refused with 400 and closed.
    char big [10000];
    memset (big, 'a', sizeof big);
    memcpy (big, "GET /metrics HTTP/1.1\r\nX: ", 26);
    big [sizeof big - 1] = 0;
    assert_int_equal (e2e_http_raw (admin, big, &body), 400);
    //  The admin binds the host it was given, only.
    assert_non_null (e2e_grep (e2e_proc_out (rep), e2e_fmt ("admin endpoint on tcp://%s", e2e_addr (admin))));
}

static void
test_readyz_follows_the_state_and_the_stop (void **state)
{
    const char *dir = *state;
    int pub = e2e_tcp_port (), rep = e2e_tcp_port (), admin = e2e_tcp_port ();
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("state_sub"),
        e2e_fmt ("{\"states\": {\"in\": {\"book\": {\"subscriber\": \"%s\", \"requester\": \"%s\"}}, \"out\": {}}}",
                 e2e_addr (pub), e2e_addr (rep)), e2e_fmt ("{\"svcfw_admin\": \"%s\"}", e2e_addr (admin)), NULL);
    E2E_ASSERT_READY (sub);
    const char *body;
    //  Wired, but the in-state has no snapshot: not ready, and says why.
    assert_int_equal (e2e_http_get (admin, "/readyz", &body), 503);
    assert_string_equal (body, "{\"ready\":false,\"reason\":\"state book is not synced yet\"}\n");
    assert_int_equal (e2e_http_get (admin, "/livez", &body), 200);

    e2e_proc_t *owner = e2e_svcfw (dir, e2e_plugin ("state_pub"),
        e2e_fmt ("{\"states\": {\"out\": {\"book\": {\"publisher\": \"%s\", \"replyer\": \"%s\"}}, \"in\": {}}}",
                 e2e_addr (pub), e2e_addr (rep)), "{\"count\": 3}", "-m", NULL);
    E2E_ASSERT_READY (owner);
    E2E_ASSERT_LOG (sub, "synced from snapshot", 10000);
    s_wait_t wait = { admin, "svcfw_state_seq{state=\"book\",side=\"in\"}", 3 };
    assert_true (e2e_poll (s_series_is, &wait, 5000));
    //  The loop hands its readiness to the endpoint at each tick (250 ms).
    s_status_wait_t ready = { admin, "/readyz", 200 };
    assert_true (e2e_poll (s_status_is, &ready, 2000));
    assert_int_equal (e2e_http_get (admin, "/metrics", &body), 200);
    assert_true (e2e_metric_value (body, "svcfw_state_resyncs_total{state=\"book\",reason=\"late_join\"}") >= 1);

    //  A stop: main mode (slow_stop_main) takes 1 s to finish, and /readyz
    //  says so meanwhile.
    int main_admin = e2e_tcp_port ();
    e2e_proc_t *slow = e2e_svcfw (dir, e2e_plugin ("slow_stop_main"), NULL, NULL, "-m",
                                  "--admin", e2e_addr (main_admin), NULL);
    E2E_ASSERT_LOG (slow, "main running", 5000);
    assert_int_equal (e2e_http_get (main_admin, "/readyz", &body), 200);
    kill (e2e_proc_pid (slow), SIGTERM);
    E2E_ASSERT_LOG (slow, "main finishing", 5000);
    int code = e2e_http_get (main_admin, "/readyz", &body);
    assert_int_equal (code, 503);
    assert_string_equal (body, "{\"ready\":false,\"reason\":\"stopping\"}\n");
    int status;
    assert_true (e2e_wait_exit (slow, 5000, &status));
    assert_int_equal (e2e_exit_code (slow), 0);
}

//  The replyer answers within `bound_ms`, `count` times.
static void
s_assert_replyer_answers (int port, int count, int bound_ms)
{
    for (int i = 0; i < count; i++) {
        zsock_t *req = e2e_req (e2e_endpoint (port));
        long long start = e2e_now_ms ();
        cJSON *reply = e2e_request (req, "{\"args\": {\"symbol\": \"B\"}}");
        long long took = e2e_now_ms () - start;
        assert_non_null (reply);
        if (took > bound_ms)
            fail_msg ("a request took %lld ms during the admin flood (bound %d ms)", took, bound_ms);
        e2e_sock_destroy (&req);
    }
}

static void
test_hostile_clients_never_stall_the_service (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port (), admin = e2e_tcp_port ();
    e2e_proc_t *rep = e2e_svcfw (dir, e2e_plugin ("metrics_replyer"), s_replyer_addresses (port), NULL,
                                 "--admin", e2e_addr (admin), NULL);
    E2E_ASSERT_READY (rep);

    //  1,000 idle connections.
    enum { IDLE = 1000 };
    int idle [IDLE];
    for (int i = 0; i < IDLE; i++) {
        idle [i] = e2e_tcp_connect (admin);
        assert_true (idle [i] >= 0);
    }
    //  A slowloris: a request head one byte at a time, never finished.
    int slow = e2e_tcp_connect (admin);
    assert_true (slow >= 0);
    assert_true (write (slow, "GET /metrics HTTP/1.1\r\n", 23) == 23);
    //  Garbage: 64 KiB of bytes that are no request, from 20 clients.
    char garbage [65536];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage [i] = (char) (i * 7 + 13);
    int junk [20];
    for (int i = 0; i < 20; i++) {
        junk [i] = e2e_tcp_connect (admin);
        assert_true (junk [i] >= 0);
        //  the server may close after 8 KiB; a failed write is that
        if (write (junk [i], garbage, sizeof garbage) < 0)
            assert_true (errno == EPIPE || errno == ECONNRESET);
    }
    //  Meanwhile the replyer answers, each within a loose bound, and /metrics too.
    long long flood_start = e2e_now_ms ();
    for (int round = 0; round < 10; round++) {
        if (write (slow, "X", 1) < 0)
            break;              //  closed: the request took too long (below)
        s_assert_replyer_answers (port, 5, 1000);
    }
    const char *body;
    assert_int_equal (e2e_http_get (admin, "/metrics", &body), 200);
    assert_true (e2e_metric_value (body, "svcfw_messages_total{connection=\"quotes\",direction=\"in\",outcome=\"ok\"}") >= 50);
    //  Every garbage client got a 400 (or a close) and was closed.
    for (int i = 0; i < 20; i++) {
        size_t len;
        char *got = e2e_read_all (junk [i], 3000, &len);
        assert_true (len == 0 || strncmp (got, "HTTP/1.1 400 ", 13) == 0);
        close (junk [i]);
    }
    //  The slowloris and the idle ones are closed once their time is up
    //  (ADMIN_REQUEST_MS, 5 s; a loose bound on top).
    size_t len;
    e2e_read_all (slow, (int) (5000 + 5000 - (e2e_now_ms () - flood_start)), &len);
    close (slow);
    int closed = 0;
    long long end = e2e_now_ms () + 10000;
    for (int i = 0; i < IDLE; i++) {
        struct pollfd item = { idle [i], POLLIN, 0 };
        long long left = end - e2e_now_ms ();
        char byte;
        if (poll (&item, 1, left > 0? (int) left: 0) == 1 && read (idle [i], &byte, 1) == 0)
            closed++;
        close (idle [i]);
    }
    assert_int_equal (closed, IDLE);
    s_assert_replyer_answers (port, 5, 1000);
    assert_true (e2e_alive (rep));
}

//  /livez is 200 while the loop turns, 503 while it is stuck (the test
//  hook stalls it while a file exists), 200 once it turns again; the
//  endpoint answers throughout, /metrics included.
static void
test_livez_sees_a_stuck_loop (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port (), admin = e2e_tcp_port ();
    const char *stall = e2e_fmt ("%s/stall", dir);
    setenv ("SVCFW_TEST_STALL_FILE", stall, 1);
    e2e_proc_t *rep = e2e_svcfw (dir, e2e_plugin ("metrics_replyer"), s_replyer_addresses (port), NULL,
                                 "--admin", e2e_addr (admin), NULL);
    unsetenv ("SVCFW_TEST_STALL_FILE");
    E2E_ASSERT_READY (rep);
    const char *body;
    assert_int_equal (e2e_http_get (admin, "/livez", &body), 200);
    s_status_wait_t ready = { admin, "/readyz", 200 };
    assert_true (e2e_poll (s_status_is, &ready, 2000));
    s_assert_replyer_answers (port, 1, 1000);

    assert_non_null (e2e_write_file (dir, "stall", ""));
    E2E_ASSERT_LOG (rep, "the event loop stalls", 5000);
    //  2 s without a tick: 503 (within 10 s on a loaded machine).
    s_status_wait_t dead = { admin, "/livez", 503 };
    assert_true (e2e_poll (s_status_is, &dead, 10000));
    assert_int_equal (e2e_http_get (admin, "/livez", &body), 503);
    assert_non_null (strstr (body, "the event loop has not turned for"));
    assert_int_equal (e2e_http_get (admin, "/readyz", &body), 503);
    assert_non_null (strstr (body, "the event loop has not turned for"));
    assert_int_equal (e2e_http_get (admin, "/metrics", &body), 200);
    assert_non_null (strstr (body, "svcfw_messages_total{connection=\"quotes\""));

    assert_int_equal (unlink (stall), 0);
    E2E_ASSERT_LOG (rep, "the event loop turns again", 5000);
    s_status_wait_t alive = { admin, "/livez", 200 };
    assert_true (e2e_poll (s_status_is, &alive, 5000));
    assert_true (e2e_poll (s_status_is, &ready, 2000));
    s_assert_replyer_answers (port, 1, 1000);
}

int
main (void)
{
    signal (SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_metrics_after_a_known_mix, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_http_answers, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_readyz_follows_the_state_and_the_stop, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_livez_sees_a_stuck_loop, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_hostile_clients_never_stall_the_service, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
