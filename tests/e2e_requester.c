/*  e2e_requester - a requester waits a bounded time and retries (SPEC §7, Lazy Pirate).

    dead_requester (main mode, timeout_ms 300, retries 2: 3 attempts) sends one order to
    an address where nothing listens: svcfw_to_send must fail after about
    timeout_ms x 3 attempts, naming the connection, the address and the
    attempts. requester_main reaches a replyer that starts after it, and
    refuses replies that break its return model or are not JSON.
*/
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT_MS 300
#define ATTEMPTS   3       //  retries 2: re-sends after the first attempt
#define MARGIN_MS  500

static void
test_dead_replyer (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();          //  nothing listens here
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("dead_requester"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"orders\": {\"requester\": \"%s\"}}}}",
        e2e_addr (port)), NULL, "-m", NULL);
    assert_non_null (client);
    int status;
    if (!e2e_wait_exit (client, TIMEOUT_MS * ATTEMPTS + 2 * E2E_READY_MS, &status)) {
        e2e_dump (client);
        fail_msg ("requester against a dead address did not finish");
    }
    char *line = e2e_grep (e2e_proc_out (client), "send failed after ");
    if (!line || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (client);
        fail_msg ("expected a failed send and exit 0 (status %d)", status);
    }
    long long took = -1;
    assert_int_equal (sscanf (strstr (line, "send failed after "), "send failed after %lld ms",
                              &took), 1);
    //  Each attempt waits timeout_ms: about 900 ms in all, never forever.
    if (took < TIMEOUT_MS * (ATTEMPTS - 1) || took > TIMEOUT_MS * ATTEMPTS + MARGIN_MS)
        fail_msg ("svcfw_to_send failed after %lld ms; expected %d..%d ms (timeout_ms %d x "
                  "attempts %d)", took, TIMEOUT_MS * (ATTEMPTS - 1),
                  TIMEOUT_MS * ATTEMPTS + MARGIN_MS, TIMEOUT_MS, ATTEMPTS);
    //  The error names the connection, the address and the attempts.
    const char *error = strstr (line, " ms: ") + 5;
    if (!strstr (error, "orders") || !strstr (error, e2e_fmt ("%d", port))
        || !e2e_match (error, "(^|[^0-9])3([^0-9]|$)"))
        fail_msg ("error should name connection 'orders', port %d and 3 attempts: %s",
                  port, error);
}

static void
test_replyer_starts_late (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    //  requester_main: timeout_ms 1000, retries 1 (2 attempts). It starts first; the
    //  replyer comes up once the requester is running.
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("requester_main"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"orders\": {\"requester\": \"%s\"}}}}",
        e2e_addr (port)), "{\"count\": 2}", "-m", NULL);
    E2E_ASSERT_READY (client);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (port)), NULL, NULL);
    E2E_ASSERT_READY (svc);
    int status;
    if (!e2e_wait_exit (client, E2E_EXIT_MS, &status) || !WIFEXITED (status)
        || WEXITSTATUS (status) != 0) {
        e2e_dump (client);
        e2e_dump (svc);
        fail_msg ("requester did not get its replies from a late replyer");
    }
    assert_int_equal (e2e_file_count (e2e_proc_out (client), " ok=true "), 2);
}

//  Answers requester_main's orders from a raw REP socket: order 1 with a
//  good reply, order 2 with return args that break its return model, order
//  3 with a reply that is not JSON. Checks each request's wire form.
static void
test_requester_validates_replies (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    zsock_t *rep = e2e_rep (e2e_endpoint (port));
    assert_non_null (rep);
    zsock_set_rcvtimeo (rep, 20);
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("requester_main"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"orders\": {\"requester\": \"%s\"}}}}",
        e2e_addr (port)), "{\"count\": 3}", "-m", NULL);
    assert_non_null (client);

    int seen [4] = { 0 };
    long long deadline = e2e_now_ms () + 10000;
    while (e2e_alive (client)) {
        if (e2e_now_ms () >= deadline) {
            e2e_dump (client);
            fail_msg ("requester_main did not finish");
        }
        zmsg_t *msg = zmsg_recv (rep);
        if (!msg)
            continue;           //  receive timeout: look at the client again
        //  One frame: {"args": {"order_id": N}, "workflow_id": UUID,
        //  "deadline_ms": the attempt's wait (timeout_ms 1000, SPEC §8)}.
        assert_int_equal (zmsg_size (msg), 1);
        char *text = zframe_strdup (zmsg_first (msg));
        zmsg_destroy (&msg);
        cJSON *request = cJSON_Parse (text);
        if (!request)
            fail_msg ("request is not JSON: %s", text);
        free (text);
        const cJSON *args = cJSON_GetObjectItemCaseSensitive (request, "args");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive (args, "order_id");
        const cJSON *wf = cJSON_GetObjectItemCaseSensitive (request, "workflow_id");
        assert_true (cJSON_IsNumber (id) && id->valueint >= 1 && id->valueint <= 3);
        assert_int_equal (cJSON_GetArraySize (args), 1);
        assert_int_equal (cJSON_GetArraySize (request), 3);
        assert_true (cJSON_IsString (wf) && e2e_match (wf->valuestring, E2E_UUID_RE));
        const cJSON *deadline_ms = cJSON_GetObjectItemCaseSensitive (request, "deadline_ms");
        assert_true (cJSON_IsNumber (deadline_ms) && deadline_ms->valuedouble == 1000);
        int n = id->valueint;
        seen [n]++;
        const char *reply =
            n == 1 ? e2e_fmt ("{\"return_args\": {\"order_id\": 1, \"ok\": true}, "
                              "\"workflow_id\": \"%s\"}", wf->valuestring)
          : n == 2 ? e2e_fmt ("{\"return_args\": {\"order_id\": 2}, \"workflow_id\": \"%s\"}",
                              wf->valuestring)
          : "not json";
        cJSON_Delete (request);
        const char *frames [] = { reply };
        assert_int_equal (e2e_send_frames (rep, frames, 1), 0);
    }
    const char *out = e2e_proc_out (client);
    if (e2e_exit_code (client) != 3 || e2e_file_count (out, "reply 1 ok=true") != 1
        || e2e_line_count (out, "send 2 failed: ", "ok") != 1
        || e2e_line_count (out, "send 3 failed: ", NULL) != 1) {
        e2e_dump (client);
        fail_msg ("expected order 1 answered, 2 and 3 failed (missing 'ok'; not JSON), exit 3");
    }
    //  A good answer is taken at once, never asked again.
    assert_int_equal (seen [1], 1);
    assert_true (seen [2] >= 1 && seen [3] >= 1);
}

//  Runs lax_requester (one request, on connection `quotes`) against a raw
//  ROUTER peer at a fresh port that receives but never answers, until the
//  client has exited. Returns how many copies of the request reached the
//  peer; *out gets the client's output path.
static int
s_requests_at_silent_peer (const char *dir, int retries, const char **out)
{
    int port = e2e_tcp_port ();
    zsock_t *router = zsock_new_router (e2e_endpoint (port));
    assert_non_null (router);
    zsock_set_linger (router, 0);
    zsock_set_rcvtimeo (router, 50);
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("lax_requester"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"quotes\": {\"requester\": \"%s\"}}}}",
        e2e_addr (port)), e2e_fmt ("{\"timeout_ms\": 300, \"retries\": %d}", retries), "-m", NULL);
    assert_non_null (client);
    int count = 0;
    long long deadline = e2e_now_ms () + 300 * (retries + 1) + 2 * E2E_READY_MS;
    //  While the client runs, and for a last 500 ms after it exited (a copy
    //  still on its way), every copy that arrives is counted.
    long long drained = 0;
    while (!drained || e2e_now_ms () < drained) {
        if (e2e_now_ms () >= deadline) {
            e2e_dump (client);
            zsock_destroy (&router);
            fail_msg ("lax_requester did not finish");
        }
        zmsg_t *msg = zmsg_recv (router);
        if (msg) {
            //  [identity][empty][{"args": {"symbol": "AAPL"}, ...}]
            char *body = zframe_strdup (zmsg_last (msg));
            if (strstr (body, "\"AAPL\""))
                count++;
            free (body);
            zmsg_destroy (&msg);
        }
        if (!drained && !e2e_alive (client))
            drained = e2e_now_ms () + 500;
    }
    zsock_destroy (&router);
    *out = e2e_proc_out (client);
    if (e2e_exit_code (client) != 3) {
        e2e_dump (client);
        fail_msg ("lax_requester should fail its one send (exit 3), exit %d", e2e_exit_code (client));
    }
    return count;
}

//  `retries` counts re-sends after the first attempt (SPEC §7): 0 tries
//  once, and the peer sees exactly one copy; 1 sends it twice.
static void
test_retries_zero_sends_once (void **state)
{
    const char *out;
    int once = s_requests_at_silent_peer (*state, 0, &out);
    if (once != 1) {
        fail_msg ("retries 0: the peer got %d copies, expected exactly 1", once);
    }
    char *line = e2e_grep (out, "send failed: ");
    assert_non_null (line);
    if (!strstr (line, "no reply after 1 attempt of 1 (retries 0)"))
        fail_msg ("the error should count 1 attempt of 1: %s", line);

    int twice = s_requests_at_silent_peer (*state, 1, &out);
    if (twice != 2)
        fail_msg ("retries 1: the peer got %d copies, expected 2", twice);
    assert_non_null (e2e_grep (out, "(attempt 2 of 2)"));
}

//  A peer that echoes the request back (no return_args, no error) does not
//  answer it, even when the return model requires no key: the send fails
//  with invalid_reply, naming the connection.
static void
test_echo_reply_is_invalid (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    zsock_t *rep = e2e_rep (e2e_endpoint (port));
    assert_non_null (rep);
    zsock_set_rcvtimeo (rep, 20);
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("lax_requester"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"quotes\": {\"requester\": \"%s\"}}}}",
        e2e_addr (port)), "{\"timeout_ms\": 2000, \"retries\": 0}", "-m", NULL);
    assert_non_null (client);
    int echoed = 0;
    long long deadline = e2e_now_ms () + 2 * E2E_READY_MS;
    while (e2e_alive (client)) {
        if (e2e_now_ms () >= deadline) {
            e2e_dump (client);
            fail_msg ("lax_requester did not finish");
        }
        zmsg_t *msg = zmsg_recv (rep);
        if (!msg)
            continue;
        assert_int_equal (zmsg_send (&msg, rep), 0);        //  the request, back as it came
        echoed++;
    }
    assert_int_equal (echoed, 1);
    const char *out = e2e_proc_out (client);
    char *line = e2e_grep (out, "send failed: ");
    if (e2e_exit_code (client) != 3 || !line || !strstr (line, "quotes (")
        || !strstr (line, "invalid_reply") || e2e_grep (out, "] reply: ")) {
        e2e_dump (client);
        fail_msg ("an echoed request must fail with invalid_reply naming 'quotes'");
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_dead_replyer),
        T (test_replyer_starts_late),
        T (test_requester_validates_replies),
        T (test_retries_zero_sends_once),
        T (test_echo_reply_is_invalid),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
