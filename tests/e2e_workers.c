/*  e2e_workers - the loop never waits (SPEC §8): handlers off the loop thread, "workers", deadlines,
    bounded stops. The plugin is tests/plugins/workers_svc.c.

    Timing bounds are loose contract bounds (the machine is shared); the measured figures are printed.
*/
#include "e2e.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

typedef struct {
    int slow, pool, fast, nested, probe, pub, rep;
} s_ports_t;

//  Starts workers_svc with fresh ports and the extra arguments (NULL-terminated).
static e2e_proc_t *
s_start (const char *dir, s_ports_t *p, const char *const extra [])
{
    p->slow = e2e_tcp_port ();
    p->pool = e2e_tcp_port ();
    p->fast = e2e_tcp_port ();
    p->nested = e2e_tcp_port ();
    p->probe = e2e_tcp_port ();
    p->pub = e2e_tcp_port ();
    p->rep = e2e_tcp_port ();
    char *addresses = e2e_fmt (
        "{\"connections\": {\"in\": {\"slow\": {\"replyer\": \"%s\"}, \"pool\": {\"replyer\": \"%s\"}, "
        "\"fast\": {\"replyer\": \"%s\"}, \"nested\": {\"replyer\": \"%s\"}, \"probe\": {\"replyer\": \"%s\"}}, "
        "\"out\": {\"inner\": {\"requester\": \"%s\"}}}, "
        "\"states\": {\"in\": {}, \"out\": {\"clock\": {\"publisher\": \"%s\", \"replyer\": \"%s\"}}}}",
        e2e_addr (p->slow), e2e_addr (p->pool), e2e_addr (p->fast), e2e_addr (p->nested), e2e_addr (p->probe),
        e2e_addr (p->probe), e2e_addr (p->pub), e2e_addr (p->rep));
    e2e_proc_t *svc = e2e_svcfw_argv (dir, e2e_plugin ("workers_svc"), addresses, NULL, extra);
    assert_non_null (svc);
    return svc;
}

//  A REQ client of `port` that waits up to `ms` for a reply.
static zsock_t *
s_client (int port, int ms)
{
    zsock_t *req = e2e_req (e2e_endpoint (port));
    assert_non_null (req);
    zsock_set_rcvtimeo (req, ms);
    return req;
}

static void
s_send (zsock_t *req, const char *text)
{
    assert_int_equal (zmq_send (zsock_resolve (req), text, strlen (text), 0), (int) strlen (text));
}

//  Receives one reply on req (its receive timeout); NULL if none.
static cJSON *
s_reply (zsock_t *req)
{
    char *text = zstr_recv (req);
    if (!text)
        return NULL;
    cJSON *reply = e2e_keep_json (cJSON_Parse (text));
    zstr_free (&text);
    return reply;
}

static const char *
s_tag (const cJSON *reply)
{
    const cJSON *tag = cJSON_GetObjectItem (cJSON_GetObjectItem (reply, "return_args"), "tag");
    return cJSON_IsString (tag)? tag->valuestring: NULL;
}

static double
s_number (const cJSON *reply, const char *key)
{
    const cJSON *item = cJSON_GetObjectItem (cJSON_GetObjectItem (reply, "return_args"), key);
    assert_true (cJSON_IsNumber (item));
    return item->valuedouble;
}

//  (a) A handler blocked 5 s: the out-state's heartbeats go on, a snapshot
//  request and another connection's requests are answered meanwhile.
static void
test_blocked_handler_leaves_the_loop_serving (void **state)
{
    const char *dir = *state;
    s_ports_t p;
    e2e_proc_t *svc = s_start (dir, &p, (const char *const []) { NULL });
    E2E_ASSERT_READY (svc);
    zsock_t *blocked = s_client (p.slow, 15000);
    s_send (blocked, "{\"args\": {\"ms\": 5000, \"tag\": \"block\"}}");
    E2E_ASSERT_LOG (svc, "slow_job called tag=block", E2E_LOG_MS);
    long long blocked_at = e2e_now_ms ();

    //  Heartbeats (heartbeat_ms 100) keep coming for a second.
    zsock_t *sub = e2e_sub (e2e_endpoint (p.pub), "");
    assert_non_null (sub);
    zsock_set_rcvtimeo (sub, 200);
    int heartbeats = 0;
    long long until = e2e_now_ms () + 1000;
    while (e2e_now_ms () < until) {
        zmsg_t *msg = zmsg_recv (sub);
        if (msg)
            heartbeats++;
        zmsg_destroy (&msg);
    }
    printf ("heartbeats in 1 s while the handler was blocked: %d\n", heartbeats);
    if (heartbeats < 3) {
        e2e_dump (svc);
        fail_msg ("%d heartbeats in 1 s (heartbeat_ms 100) while a handler was blocked", heartbeats);
    }

    //  A snapshot request is answered at once.
    zsock_t *snap = s_client (p.rep, E2E_REPLY_MS);
    long long start = e2e_now_ms ();
    cJSON *snapshot = e2e_request (snap, "{\"args\": {}}");
    long long snapshot_ms = e2e_now_ms () - start;
    printf ("snapshot answered in %lld ms while the handler was blocked\n", snapshot_ms);
    assert_non_null (snapshot);
    assert_non_null (cJSON_GetObjectItem (snapshot, "return_args"));
    assert_true (snapshot_ms < 500);

    //  Another connection's requests are answered.
    zsock_t *fast = s_client (p.fast, E2E_REPLY_MS);
    for (int i = 0; i < 3; i++) {
        start = e2e_now_ms ();
        cJSON *reply = e2e_request (fast, e2e_fmt ("{\"args\": {\"tag\": \"fast%d\"}}", i));
        long long fast_ms = e2e_now_ms () - start;
        printf ("another connection answered in %lld ms\n", fast_ms);
        assert_non_null (reply);
        assert_string_equal (s_tag (reply), e2e_fmt ("fast%d", i));
        assert_true (fast_ms < 500);
    }
    //  All that while the handler was still blocked: its reply has not come.
    zmq_pollitem_t item = { zsock_resolve (blocked), 0, ZMQ_POLLIN, 0 };
    assert_int_equal (zmq_poll (&item, 1, 0), 0);
    assert_true (e2e_now_ms () - blocked_at < 5000);
    cJSON *reply = s_reply (blocked);
    assert_non_null (reply);
    assert_string_equal (s_tag (reply), "block");
}

//  (b) "workers": 4 and a 200 ms handler: 8 requests at once are answered
//  in two rounds, each to its own requester.
static void
test_four_workers_answer_eight_requesters (void **state)
{
    const char *dir = *state;
    s_ports_t p;
    e2e_proc_t *svc = s_start (dir, &p, (const char *const []) { NULL });
    E2E_ASSERT_READY (svc);
    zsock_t *clients [8];
    for (int i = 0; i < 8; i++) {
        clients [i] = s_client (p.pool, 5000);
        //  Linked first, so the figure is the handlers' time.
        cJSON *warm = e2e_request (clients [i], "{\"args\": {\"ms\": 0, \"tag\": \"warm\"}}");
        assert_non_null (warm);
    }
    long long start = e2e_now_ms ();
    for (int i = 0; i < 8; i++)
        s_send (clients [i], e2e_fmt ("{\"args\": {\"ms\": 200, \"tag\": \"client%d\"}}", i));
    for (int i = 0; i < 8; i++) {
        cJSON *reply = s_reply (clients [i]);
        if (!reply) {
            e2e_dump (svc);
            fail_msg ("requester %d got no reply", i);
        }
        assert_string_equal (s_tag (reply), e2e_fmt ("client%d", i));     //  its own answer
    }
    long long took = e2e_now_ms () - start;
    printf ("workers 4, 8 requests of 200 ms: all answered in %lld ms\n", took);
    assert_true (took >= 395);          //  never more than four at once
    assert_true (took < 1200);          //  but four at once (one at a time: 1600)
}

//  (c) A request whose time ran out while it waited is answered
//  deadline_exceeded and its handler never runs; one with time left is
//  handled and sees what is left; a bad deadline_ms is invalid_envelope.
static void
test_deadline_exceeded_skips_the_handler (void **state)
{
    const char *dir = *state;
    s_ports_t p;
    e2e_proc_t *svc = s_start (dir, &p, (const char *const []) { NULL });
    E2E_ASSERT_READY (svc);
    zsock_t *busy = s_client (p.slow, 10000);
    s_send (busy, "{\"args\": {\"ms\": 1000, \"tag\": \"busy\"}}");
    E2E_ASSERT_LOG (svc, "slow_job called tag=busy", E2E_LOG_MS);
    //  Queued behind the busy handler (one worker): 300 ms is not enough,
    //  5000 ms is.
    zsock_t *late = s_client (p.slow, 10000);
    s_send (late, "{\"args\": {\"tag\": \"late\"}, \"deadline_ms\": 300, \"workflow_id\": \"wf-late\"}");
    zsock_t *patient = s_client (p.slow, 10000);
    s_send (patient, "{\"args\": {\"tag\": \"patient\"}, \"deadline_ms\": 5000}");

    cJSON *reply = s_reply (late);
    assert_non_null (reply);
    if (!e2e_reply_kind (reply) || strcmp (e2e_reply_kind (reply), "deadline_exceeded")) {
        e2e_dump (svc);
        fail_msg ("a request whose deadline ran out in the queue: expected deadline_exceeded, got %s",
                  e2e_json (reply));
    }
    assert_string_equal (e2e_reply_wf (reply), "wf-late");
    reply = s_reply (busy);
    assert_non_null (reply);
    assert_string_equal (s_tag (reply), "busy");
    reply = s_reply (patient);
    assert_non_null (reply);
    assert_string_equal (s_tag (reply), "patient");
    //  The patient one's handler saw a deadline under its 5000 ms, after
    //  its wait behind the busy one.
    char *line = e2e_grep (e2e_proc_out (svc), "slow_job called tag=patient deadline=");
    assert_non_null (line);
    long seen = strtol (strstr (line, "deadline=") + 9, NULL, 10);
    printf ("a 5000 ms request that waited behind a 1000 ms one: %ld ms left when its handler began\n", seen);
    assert_true (seen > 0 && seen < 4800);
    //  The late one's handler never ran.
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "slow_job called tag=late"), 0);
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "slow_job called"), 2);

    const char *bad [] = { "0", "-5", "1.5", "\"100\"", "null" };
    zsock_t *client = s_client (p.fast, E2E_REPLY_MS);
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        reply = e2e_request (client, e2e_fmt ("{\"args\": {}, \"deadline_ms\": %s}", bad [i]));
        assert_non_null (reply);
        if (strcmp (e2e_reply_kind (reply)? e2e_reply_kind (reply): "", "invalid_envelope"))
            fail_msg ("deadline_ms %s: expected invalid_envelope, got %s", bad [i], e2e_json (reply));
    }
}

//  (c) A handler's own request gets at most the time its message has left.
static void
test_nested_request_gets_the_remaining_budget (void **state)
{
    const char *dir = *state;
    s_ports_t p;
    e2e_proc_t *svc = s_start (dir, &p, (const char *const []) { NULL });
    E2E_ASSERT_READY (svc);
    zsock_t *client = s_client (p.nested, 10000);
    //  The outer handler spends 300 ms of its 2000, then calls probe.
    cJSON *reply = e2e_request (client, "{\"args\": {\"ms\": 300}, \"deadline_ms\": 2000}");
    if (!reply || e2e_reply_kind (reply)) {
        e2e_dump (svc);
        fail_msg ("nested request failed: %s", reply? e2e_json (reply): "no reply");
    }
    double outer = s_number (reply, "outer_left"), inner = s_number (reply, "inner_seen");
    printf ("deadline_ms 2000, 300 ms spent: outer had %.0f ms left, the inner replyer saw %.0f ms\n",
            outer, inner);
    assert_true (outer > 0 && outer <= 1700);
    assert_true (inner > 0 && inner <= outer);
    //  Without a deadline the inner request gets its requester's timeout_ms (4000).
    reply = e2e_request (client, "{\"args\": {}}");
    assert_non_null (reply);
    assert_null (e2e_reply_kind (reply));
    assert_true (s_number (reply, "outer_left") == -1);
    inner = s_number (reply, "inner_seen");
    assert_true (inner > 3000 && inner <= 4000);
}

//  Sends signum to the process.
static void
s_signal (e2e_proc_t *svc, int signum)
{
    assert_int_equal (kill (e2e_proc_pid (svc), signum), 0);
}

//  (e) A handler stuck past --stop-timeout: exit 1 within the timeout + 1 s,
//  with an ERROR line naming the handler and its workflow id.
static void
test_stop_with_a_stuck_handler (void **state)
{
    const char *dir = *state;
    s_ports_t p;
    e2e_proc_t *svc = s_start (dir, &p, (const char *const []) { "--stop-timeout", "1000", NULL });
    E2E_ASSERT_READY (svc);
    zsock_t *stuck = s_client (p.slow, 100);
    s_send (stuck, "{\"args\": {\"ms\": 60000, \"tag\": \"stuck\"}, \"workflow_id\": \"wf-stuck\"}");
    E2E_ASSERT_LOG (svc, "slow_job called tag=stuck", E2E_LOG_MS);
    long long start = e2e_now_ms ();
    s_signal (svc, SIGTERM);
    int status;
    bool exited = e2e_wait_exit (svc, 5000, &status);
    long long took = e2e_now_ms () - start;
    printf ("stop with a stuck handler, --stop-timeout 1000: exited after %lld ms\n", took);
    if (!exited || !WIFEXITED (status) || WEXITSTATUS (status) != 1) {
        e2e_dump (svc);
        fail_msg ("expected exit status 1 after the stop timeout");
    }
    assert_true (took >= 900 && took < 2000);
    assert_non_null (e2e_grep (e2e_proc_out (svc), "got SIGTERM, stopping"));
    char *line = e2e_grep (e2e_proc_out (svc), "handler slow_job still running (workflow wf-stuck)");
    if (!line || !strstr (line, " ERROR ")) {
        e2e_dump (svc);
        fail_msg ("no ERROR line naming the stuck handler and its workflow id");
    }
}

//  (e) A second signal exits at once, with status 1.
static void
test_second_signal_exits_at_once (void **state)
{
    const char *dir = *state;
    s_ports_t p;
    e2e_proc_t *svc = s_start (dir, &p, (const char *const []) { "--stop-timeout", "30000", NULL });
    E2E_ASSERT_READY (svc);
    zsock_t *stuck = s_client (p.slow, 100);
    s_send (stuck, "{\"args\": {\"ms\": 60000, \"tag\": \"stuck\"}}");
    E2E_ASSERT_LOG (svc, "slow_job called tag=stuck", E2E_LOG_MS);
    s_signal (svc, SIGTERM);
    E2E_ASSERT_LOG (svc, "got SIGTERM, stopping", E2E_LOG_MS);
    long long start = e2e_now_ms ();
    s_signal (svc, SIGINT);
    int status;
    bool exited = e2e_wait_exit (svc, 5000, &status);
    long long took = e2e_now_ms () - start;
    printf ("second signal during a stop: exited after %lld ms\n", took);
    if (!exited || !WIFEXITED (status) || WEXITSTATUS (status) != 1) {
        e2e_dump (svc);
        fail_msg ("expected exit status 1 at the second signal");
    }
    assert_true (took < 1000);
    assert_non_null (e2e_grep (e2e_proc_out (svc), "got SIGINT while stopping"));
}

//  A handler that ends within --stop-timeout: its reply still goes out (the
//  loop serves during the stop), and the exit is 0.
static void
test_stop_waits_for_running_handlers (void **state)
{
    const char *dir = *state;
    s_ports_t p;
    e2e_proc_t *svc = s_start (dir, &p, (const char *const []) { NULL });
    E2E_ASSERT_READY (svc);
    zsock_t *client = s_client (p.slow, 5000);
    s_send (client, "{\"args\": {\"ms\": 800, \"tag\": \"ending\"}}");
    E2E_ASSERT_LOG (svc, "slow_job called tag=ending", E2E_LOG_MS);
    s_signal (svc, SIGTERM);
    cJSON *reply = s_reply (client);
    if (!reply) {
        e2e_dump (svc);
        fail_msg ("the running handler's reply was lost in the stop");
    }
    assert_string_equal (s_tag (reply), "ending");
    int status;
    if (!e2e_wait_exit (svc, E2E_EXIT_MS, &status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (svc);
        fail_msg ("expected exit status 0 once the handler finished");
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_blocked_handler_leaves_the_loop_serving, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_four_workers_answer_eight_requesters, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_deadline_exceeded_skips_the_handler, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_nested_request_gets_the_remaining_budget, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_stop_with_a_stuck_handler, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_second_signal_exits_at_once, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_stop_waits_for_running_handlers, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
