/*  e2e_requester - a requester waits a bounded time and retries (SPEC §7, Lazy Pirate).

    dead_requester (main mode, timeout_ms 300, retries 3) sends one order to
    an address where nothing listens: svcfw_to_send must fail after about
    timeout_ms x retries, naming the connection, the address and the
    attempts. requester_main reaches a replyer that starts after it, and
    refuses replies that break its return model or are not JSON.
*/
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT_MS 300
#define RETRIES    3
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
    if (!e2e_wait_exit (client, TIMEOUT_MS * RETRIES + 2 * E2E_READY_MS, &status)) {
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
    if (took < TIMEOUT_MS * (RETRIES - 1) || took > TIMEOUT_MS * RETRIES + MARGIN_MS)
        fail_msg ("svcfw_to_send failed after %lld ms; expected %d..%d ms (timeout_ms %d x "
                  "retries %d)", took, TIMEOUT_MS * (RETRIES - 1),
                  TIMEOUT_MS * RETRIES + MARGIN_MS, TIMEOUT_MS, RETRIES);
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
    //  requester_main: timeout_ms 1000, retries 2. It starts first; the
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
        //  One frame: {"args": {"order_id": N}, "workflow_id": UUID}.
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
        assert_int_equal (cJSON_GetArraySize (request), 2);
        assert_true (cJSON_IsString (wf) && e2e_match (wf->valuestring, E2E_UUID_RE));
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

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_dead_replyer),
        T (test_replyer_starts_late),
        T (test_requester_validates_replies),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
