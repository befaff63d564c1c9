/*  e2e_cache - a requester's reply cache ("cache": {"ttl_ms", "beta",
    "max_entries"}): a repeated request is answered without a round trip,
    and 50 callers at an expiry make about one round trip, not 50.

    Two services: cache_backend (a replyer that counts and logs its calls)
    and cache_front (a replyer with 50 workers whose handler asks the
    backend through a requester with the cache the config gives). The
    backend's log lines "backend call" count the round trips.
*/
#include "e2e.h"

#include <string.h>

typedef struct {
    e2e_proc_t *backend, *front;
    int front_port, admin_port;
} s_graph_t;

//  Starts the backend (config `backend_config`) and the front (config
//  `front_config`, with --admin), both ready.
static void
s_start (const char *dir, s_graph_t *g, const char *backend_config, const char *front_config)
{
    int backend_port = e2e_tcp_port ();
    g->front_port = e2e_tcp_port ();
    g->admin_port = e2e_tcp_port ();
    g->backend = e2e_svcfw (dir, e2e_plugin ("cache_backend"),
        e2e_fmt ("{\"connections\": {\"in\": {\"price\": {\"replyer\": \"%s\"}}}}", e2e_addr (backend_port)),
        backend_config, NULL);
    E2E_ASSERT_READY (g->backend);
    g->front = e2e_svcfw (dir, e2e_plugin ("cache_front"),
        e2e_fmt ("{\"connections\": {\"in\": {\"ask\": {\"replyer\": \"%s\"}}, "
                 "\"out\": {\"price\": {\"requester\": \"%s\"}}}}",
                 e2e_addr (g->front_port), e2e_addr (backend_port)),
        front_config, "--admin", e2e_addr (g->admin_port), NULL);
    E2E_ASSERT_READY (g->front);
}

static int
s_backend_calls (s_graph_t *g)
{
    return e2e_line_count (e2e_proc_out (g->backend), "backend call", NULL);
}

//  One request through the front; returns the reply's "calls".
static int
s_ask (zsock_t *req, const char *args)
{
    cJSON *reply = e2e_request (req, e2e_fmt ("{\"args\": %s}", args));
    assert_non_null (reply);
    const cJSON *calls = cJSON_GetObjectItem (cJSON_GetObjectItem (reply, "return_args"), "calls");
    if (!cJSON_IsNumber (calls))
        fail_msg ("no calls in the reply: %s", e2e_json (reply));
    return calls->valueint;
}

static double
s_metric (s_graph_t *g, const char *series)
{
    const char *body = NULL;
    assert_int_equal (e2e_http_get (g->admin_port, "/metrics", &body), 200);
    return e2e_metric_value (body, series);
}

static void
test_repeated_request_makes_no_round_trip (void **state)
{
    const char *dir = *state;
    s_graph_t g;
    s_start (dir, &g, NULL, "{\"cache\": {\"ttl_ms\": 60000}}");
    zsock_t *req = e2e_req (e2e_endpoint (g.front_port));
    assert_int_equal (s_ask (req, "{\"sku\": \"a\", \"qty\": 1, \"opts\": {\"x\": 1, \"y\": 2}}"), 1);
    //  The same args, keys in another order: answered from the cache.
    for (int i = 0; i < 5; i++)
        assert_int_equal (s_ask (req, "{\"opts\": {\"y\": 2, \"x\": 1}, \"qty\": 1, \"sku\": \"a\"}"), 1);
    assert_int_equal (s_backend_calls (&g), 1);
    //  Other args are another entry.
    assert_int_equal (s_ask (req, "{\"sku\": \"b\"}"), 2);
    assert_int_equal (s_ask (req, "{\"sku\": \"b\"}"), 2);
    assert_int_equal (s_backend_calls (&g), 2);
    assert_true (s_metric (&g, "svcfw_cache_requests_total{connection=\"price\",outcome=\"hit\"}") == 6);
    assert_true (s_metric (&g, "svcfw_cache_requests_total{connection=\"price\",outcome=\"miss\"}") == 2);
}

//  The control: the same front without "cache" asks the backend each time.
static void
test_without_cache_every_request_is_a_round_trip (void **state)
{
    const char *dir = *state;
    s_graph_t g;
    s_start (dir, &g, NULL, NULL);
    zsock_t *req = e2e_req (e2e_endpoint (g.front_port));
    for (int i = 1; i <= 3; i++)
        assert_int_equal (s_ask (req, "{\"sku\": \"a\"}"), i);
    assert_int_equal (s_backend_calls (&g), 3);
    assert_true (s_metric (&g, "svcfw_cache_requests_total{connection=\"price\",outcome=\"hit\"}") == -1);
}

//  Sends `count` requests at once on a DEALER and waits (bounded) for
//  every reply. Returns how many were good replies.
static int
s_burst (zsock_t *dealer, int count, const char *args)
{
    const char *text = e2e_fmt ("{\"args\": %s}", args);
    void *handle = zsock_resolve (dealer);
    for (int i = 0; i < count; i++) {
        assert_int_equal (zmq_send (handle, "", 0, ZMQ_SNDMORE), 0);
        assert_int_equal (zmq_send (handle, text, strlen (text), 0), (int) strlen (text));
    }
    int good = 0;
    long long deadline = e2e_now_ms () + 20000;
    for (int i = 0; i < count && e2e_now_ms () < deadline; ) {
        zmsg_t *msg = zmsg_recv (dealer);       //  E2E_REPLY_MS receive timeout
        if (!msg)
            continue;
        char *body = zmsg_size (msg) == 2? e2e_frame_text (msg, 1): NULL;
        cJSON *reply = body? e2e_keep_json (cJSON_Parse (body)): NULL;
        good += cJSON_GetObjectItem (reply, "return_args") != NULL;
        zmsg_destroy (&msg);
        i++;
    }
    return good;
}

typedef struct {
    long long until;
} s_time_t;

static bool
s_time_passed (void *arg)
{
    return e2e_now_ms () >= ((s_time_t *) arg)->until;
}

//  Dyno's dog-pile: 50 callers of one key at its expiry (and just before
//  it) cause about one round trip, not 50.
static void
test_fifty_callers_at_expiry_make_one_round_trip (void **state)
{
    const char *dir = *state;
    s_graph_t g;
    s_start (dir, &g, "{\"delay_ms\": 300}", "{\"cache\": {\"ttl_ms\": 1500, \"beta\": 1}}");
    zsock_t *req = e2e_req (e2e_endpoint (g.front_port));
    zsock_set_rcvtimeo (req, 10000);
    assert_int_equal (s_ask (req, "{\"sku\": \"hot\"}"), 1);
    long long filled = e2e_now_ms ();               //  the reply came: the entry expires before filled + 1500

    //  At the expiry: 50 callers; one round trip, the others wait for it.
    s_time_t at = { filled + 1500 + 50 };
    assert_true (e2e_poll (s_time_passed, &at, 5000));
    zsock_t *dealer = e2e_dealer (e2e_endpoint (g.front_port));
    int before = s_backend_calls (&g);
    long long burst = e2e_now_ms ();
    int good = s_burst (dealer, 50, "{\"sku\": \"hot\"}");
    int calls = s_backend_calls (&g) - before;
    printf ("50 callers after the expiry: %d good replies, %d round trips, %lld ms\n", good, calls,
            e2e_now_ms () - burst);
    assert_int_equal (good, 50);
    if (calls < 1 || calls > 3) {
        e2e_dump (g.front);
        fail_msg ("50 callers at the expiry made %d round trips (expected 1, at most 3)", calls);
    }

    //  Just before the next expiry (the entry was filled at least 300 ms,
    //  the backend's delay, after that burst began): 50 callers are served
    //  the valid reply while at most one refreshes it early.
    s_time_t soon = { burst + 300 + 1500 - 200 };
    assert_true (e2e_poll (s_time_passed, &soon, 5000));
    before = s_backend_calls (&g);
    good = s_burst (dealer, 50, "{\"sku\": \"hot\"}");
    calls = s_backend_calls (&g) - before;
    printf ("50 callers 200 ms before the expiry: %d good replies, %d round trips\n", good, calls);
    assert_int_equal (good, 50);
    if (calls > 3) {
        e2e_dump (g.front);
        fail_msg ("50 callers before the expiry made %d round trips (expected at most 1, at most 3)", calls);
    }
    double refreshes = s_metric (&g, "svcfw_cache_requests_total{connection=\"price\",outcome=\"refresh\"}");
    double hits = s_metric (&g, "svcfw_cache_requests_total{connection=\"price\",outcome=\"hit\"}");
    printf ("metrics: %g hits, %g early refreshes\n", hits, refreshes);
    assert_true (hits >= 94);           //  100 callers, at most 6 round trips
}

//  A bad "cache" is a startup error naming the entry and the key.
static void
test_bad_cache_option_is_a_startup_error (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    const char *addresses = e2e_fmt ("{\"connections\": {\"in\": {\"ask\": {\"replyer\": \"%s\"}}, "
                                     "\"out\": {\"price\": {\"requester\": \"%s\"}}}}",
                                     e2e_addr (e2e_tcp_port ()), e2e_addr (port));
    const char *bad [][2] = {
        { "{\"cache\": {\"ttl_ms\": 0}}", "price: creation arguments: 'cache.ttl_ms' must be" },
        { "{\"cache\": {\"ttl_ms\": 10, \"beta\": -1}}", "'cache.beta' must be a number above 0" },
        { "{\"cache\": {\"ttl_ms\": 10, \"size\": 3}}", "'cache' has unknown key 'size'" },
        { "{\"cache\": {\"beta\": 2}}", "'cache' needs 'ttl_ms'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("cache_front"), addresses, bad [i][0], NULL);
        assert_non_null (svc);
        int status = 0;
        assert_true (e2e_wait_exit (svc, E2E_EXIT_MS, &status));
        assert_int_equal (e2e_exit_code (svc), 1);
        char *line = e2e_grep (e2e_proc_out (svc), "svcfw: error: ");
        if (!line || !strstr (line, bad [i][1])) {
            e2e_dump (svc);
            fail_msg ("expected \"%s\" in the startup error", bad [i][1]);
        }
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_repeated_request_makes_no_round_trip, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_without_cache_every_request_is_a_round_trip, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_fifty_callers_at_expiry_make_one_round_trip, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_bad_cache_option_is_a_startup_error, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
