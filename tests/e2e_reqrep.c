/*  e2e_reqrep - request/reply through the real svcfw: raw REQ peers and a main-mode requester.

    The replyer is tests/plugins/echo_replyer.c; the main-mode requester is
    tests/plugins/requester_main.c.
*/
#include "e2e.h"

#include <string.h>

//  Starts echo_replyer on `port` and waits until it is ready.
static e2e_proc_t *
s_start_replyer (const char *dir, int port)
{
    e2e_proc_t *proc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (port)), NULL, NULL);
    E2E_ASSERT_READY (proc);
    return proc;
}

static char *
s_requester_addresses (int port)
{
    return e2e_fmt ("{\"connections\": {\"in\": {}, \"out\": "
                    "{\"orders\": {\"requester\": \"%s\"}}}}", e2e_addr (port));
}

//  Asserts a good reply {"return_args": {"order_id": ID, "ok": true}}.
static void
s_assert_good_reply (const cJSON *reply, int id)
{
    if (!reply)
        fail_msg ("no reply to order %d", id);
    if (cJSON_HasObjectItem (reply, "error"))
        fail_msg ("order %d: error reply %s", id, e2e_json (reply));
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
    const cJSON *order_id = cJSON_GetObjectItemCaseSensitive (ret, "order_id");
    if (!cJSON_IsNumber (order_id) || order_id->valueint != id
        || !cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (ret, "ok"))
        || cJSON_GetArraySize (ret) != 2)
        fail_msg ("order %d: unexpected reply %s", id, e2e_json (reply));
    if (!e2e_reply_wf (reply))
        fail_msg ("order %d: reply without a workflow_id: %s", id, e2e_json (reply));
}

//  Asserts an error reply of `kind` carrying workflow id `wf` (NULL: any
//  string) and, if `message` is not NULL, that text in error.message.
static void
s_assert_error_reply (const cJSON *reply, const char *kind, const char *wf, const char *message)
{
    if (!reply)
        fail_msg ("no reply (expected error kind %s)", kind);
    const char *got = e2e_reply_kind (reply);
    if (!got || strcmp (got, kind) != 0)
        fail_msg ("expected error kind %s, got %s", kind, e2e_json (reply));
    if (cJSON_HasObjectItem (reply, "return_args"))
        fail_msg ("error reply also has return_args: %s", e2e_json (reply));
    const cJSON *text = cJSON_GetObjectItemCaseSensitive (
        cJSON_GetObjectItemCaseSensitive (reply, "error"), "message");
    if (!cJSON_IsString (text))
        fail_msg ("error reply without a message string: %s", e2e_json (reply));
    if (message && !strstr (text->valuestring, message))
        fail_msg ("error message lacks \"%s\": %s", message, e2e_json (reply));
    const char *got_wf = e2e_reply_wf (reply);
    if (!got_wf || (wf && strcmp (got_wf, wf) != 0))
        fail_msg ("expected workflow_id %s, got %s", wf ? wf : "(a string)", e2e_json (reply));
}

/* ---- Raw REQ peer -------------------------------------------------------- */

static void
test_round_trip (void **state)
{
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start_replyer (*state, port);
    E2E_ASSERT_LOG (svc, " ready: 1 connections, 0 states", 0);

    zsock_t *req = e2e_req (e2e_endpoint (port));
    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 7}, \"workflow_id\": \"wf-7\"}");
    s_assert_good_reply (reply, 7);
    assert_string_equal (e2e_reply_wf (reply), "wf-7");

    //  The handler saw the id, and the log line has the contract's shape.
    E2E_ASSERT_LOG (svc, "got order 7 note= wf=wf-7", E2E_LOG_MS);
    char *line = e2e_grep (e2e_proc_out (svc), "got order 7 ");
    if (!e2e_match (line, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"
                          " INFO +echo_replyer \\[wf-7\\] got order 7 note= wf=wf-7$"))
        fail_msg ("log line does not have the contract's shape: %s", line);

    //  Optional args pass, and the socket serves one request after another.
    for (int id = 10; id < 15; id++) {
        reply = e2e_request (req, e2e_fmt ("{\"args\": {\"order_id\": %d, \"note\": \"n%d\"}, "
                                           "\"workflow_id\": \"wf-%d\"}", id, id, id));
        s_assert_good_reply (reply, id);
        assert_string_equal (e2e_reply_wf (reply), e2e_fmt ("wf-%d", id));
    }
    E2E_ASSERT_LOG (svc, "got order 14 note=n14 wf=wf-14", E2E_LOG_MS);
}

static void
test_fresh_workflow_id (void **state)
{
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start_replyer (*state, port);
    zsock_t *req = e2e_req (e2e_endpoint (port));

    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 8}}");
    s_assert_good_reply (reply, 8);
    const char *wf = e2e_reply_wf (reply);
    if (!e2e_match (wf, E2E_UUID_RE))
        fail_msg ("fresh workflow id is not a lowercase UUID: %s", wf);
    //  The same id is used in the handler and its log line.
    E2E_ASSERT_LOG (svc, e2e_fmt ("[%s] got order 8 note= wf=%s", wf, wf), E2E_LOG_MS);

    //  Each id-less request gets its own id.
    cJSON *again = e2e_request (req, "{\"args\": {\"order_id\": 8}}");
    s_assert_good_reply (again, 8);
    assert_string_not_equal (e2e_reply_wf (again), wf);
}

static void
test_handler_failure (void **state)
{
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start_replyer (*state, port);
    zsock_t *req = e2e_req (e2e_endpoint (port));

    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 9, \"note\": \"fail\"}, "
                                     "\"workflow_id\": \"wf-fail\"}");
    s_assert_error_reply (reply, "handler_failed", "wf-fail", "refused 9");
    //  Logged with the workflow id.
    if (!e2e_wait_file_contains (e2e_proc_out (svc), "refused 9", E2E_LOG_MS)
        || e2e_line_count (e2e_proc_out (svc), "[wf-fail]", "refused 9") < 1) {
        e2e_dump (svc);
        fail_msg ("handler failure not logged with [wf-fail] and its text");
    }

    //  The service keeps serving.
    s_assert_good_reply (e2e_request (req, "{\"args\": {\"order_id\": 10}}"), 10);
    s_assert_error_reply (e2e_request (req, "{\"args\": {\"order_id\": 11, \"note\": \"fail\"}}"),
                          "handler_failed", NULL, "refused 11");
    s_assert_good_reply (e2e_request (req, "{\"args\": {\"order_id\": 12}}"), 12);
    assert_true (e2e_alive (svc));
}

static void
test_invalid_return (void **state)
{
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start_replyer (*state, port);
    zsock_t *req = e2e_req (e2e_endpoint (port));

    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 5, \"note\": \"badreturn\"}, "
                                     "\"workflow_id\": \"wf-bad\"}");
    s_assert_error_reply (reply, "invalid_return", "wf-bad", NULL);
    s_assert_good_reply (e2e_request (req, "{\"args\": {\"order_id\": 6}}"), 6);
    assert_true (e2e_alive (svc));
}

static void
test_concurrent_clients (void **state)
{
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start_replyer (*state, port);
    enum { CLIENTS = 5 };
    zsock_t *reqs [CLIENTS];
    //  All requests are in flight before any reply is read; each client
    //  gets the answer to its own request.
    for (int i = 0; i < CLIENTS; i++) {
        reqs [i] = e2e_req (e2e_endpoint (port));
        const char *frames [] = {
            e2e_fmt ("{\"args\": {\"order_id\": %d}, \"workflow_id\": \"wf-c%d\"}", 100 + i, i)
        };
        assert_int_equal (e2e_send_frames (reqs [i], frames, 1), 0);
    }
    for (int i = 0; i < CLIENTS; i++) {
        zmsg_t *msg = e2e_recv (reqs [i]);
        if (!msg) {
            e2e_dump (svc);
            fail_msg ("client %d got no reply", i);
        }
        cJSON *reply = cJSON_Parse (e2e_frame_text (msg, 0));
        s_assert_good_reply (reply, 100 + i);
        assert_string_equal (e2e_reply_wf (reply), e2e_fmt ("wf-c%d", i));
        cJSON_Delete (reply);
    }
}

//  Bursts on several DEALERs, all sent before any reply is read: more
//  requests than the replyer reads per wake-up, so it must come back for
//  the rest by itself (its socket's readiness is edge-triggered, and the
//  handler thread that sends a reply may be the one that sees the next
//  request arrive). Every request is answered once, on its own DEALER.
static void
test_bursts_all_answered (void **state)
{
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start_replyer (*state, port);
    enum { DEALERS = 4, EACH = 300 };
    zsock_t *dealers [DEALERS];
    for (int d = 0; d < DEALERS; d++)
        dealers [d] = e2e_dealer (e2e_endpoint (port));
    for (int i = 0; i < EACH; i++)
        for (int d = 0; d < DEALERS; d++) {
            const char *frames [] = { "", e2e_fmt ("{\"args\": {\"order_id\": %d}}", d * EACH + i) };
            assert_int_equal (e2e_send_frames (dealers [d], frames, 2), 0);
        }
    for (int d = 0; d < DEALERS; d++) {
        bool seen [EACH] = { false };
        for (int i = 0; i < EACH; i++) {
            zmsg_t *msg = e2e_recv (dealers [d]);
            if (!msg) {
                e2e_dump (svc);
                fail_msg ("dealer %d: %d of %d replies, then none within %d ms", d, i, EACH, E2E_REPLY_MS);
            }
            cJSON *reply = cJSON_Parse (e2e_frame_text (msg, 1));
            const cJSON *id = cJSON_GetObjectItemCaseSensitive (
                cJSON_GetObjectItemCaseSensitive (reply, "return_args"), "order_id");
            if (!cJSON_IsNumber (id) || id->valueint < d * EACH || id->valueint >= (d + 1) * EACH
            ||  seen [id->valueint - d * EACH])
                fail_msg ("dealer %d: a reply not to one of its own requests, or twice: %s", d, e2e_json (reply));
            seen [id->valueint - d * EACH] = true;
            s_assert_good_reply (reply, id->valueint);
            cJSON_Delete (reply);
        }
    }
    assert_true (e2e_alive (svc));
}

/* ---- Main-mode requester ------------------------------------------------- */

static void
test_main_requester (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start_replyer (dir, port);
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("requester_main"),
                                    s_requester_addresses (port), "{\"count\": 3}", "-m", NULL);
    assert_non_null (client);
    int status;
    if (!e2e_wait_exit (client, E2E_EXIT_MS, &status)) {
        e2e_dump (client);
        fail_msg ("main-mode requester did not finish within %d ms", E2E_EXIT_MS);
    }
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (client);
        e2e_dump (svc);
        fail_msg ("main-mode requester: expected exit 0, status %d", status);
    }
    const char *out = e2e_proc_out (client);
    assert_int_equal (e2e_file_count (out, " ready: "), 1);
    for (int id = 1; id <= 3; id++) {
        char *line = e2e_grep (out, e2e_fmt ("reply %d ok=true wf=", id));
        if (!line) {
            e2e_dump (client);
            fail_msg ("no reply %d logged", id);
        }
        //  Each send from svcfw_main is a new leading edge with a fresh UUID,
        //  and the replyer handles it under that id.
        const char *wf = strstr (line, "wf=") + 3;
        if (!e2e_match (wf, E2E_UUID_RE))
            fail_msg ("send from svcfw_main without a fresh UUID: %s", line);
        E2E_ASSERT_LOG (svc, e2e_fmt ("[%s] got order %d note= wf=%s", wf, id, wf), E2E_LOG_MS);
    }
    assert_int_equal (e2e_file_count (out, "failed"), 0);
}

static void
test_main_requester_cli_overrides (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start_replyer (dir, port);
    //  --count overrides the file's 1, and both are converted to int
    //  (the config model would refuse the text "3"); -exit_code is the
    //  single-dash form. svcfw_main's return value is the exit status.
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("requester_main"),
                                    s_requester_addresses (port), "{\"count\": 1}",
                                    "-m", "--count", "3", "-exit_code", "5", NULL);
    assert_non_null (client);
    int status;
    if (!e2e_wait_exit (client, E2E_EXIT_MS, &status) || !WIFEXITED (status)
        || WEXITSTATUS (status) != 5) {
        e2e_dump (client);
        fail_msg ("expected the requester to exit 5 (svcfw_main's return value)");
    }
    assert_int_equal (e2e_file_count (e2e_proc_out (client), "config count=3"), 1);
    assert_int_equal (e2e_file_count (e2e_proc_out (client), " ok=true "), 3);
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "got order "), 3);
}

static void
test_main_requester_handler_failure (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start_replyer (dir, port);
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("requester_main"),
                                    s_requester_addresses (port), "{\"count\": 2}",
                                    "-m", "--note", "fail", NULL);
    assert_non_null (client);
    int status;
    if (!e2e_wait_exit (client, E2E_EXIT_MS, &status) || !WIFEXITED (status)
        || WEXITSTATUS (status) != 3) {
        e2e_dump (client);
        e2e_dump (svc);
        fail_msg ("expected the requester to exit 3 (its sends failed)");
    }
    //  svcfw_to_send returned -1 and svcfw_error carries the handler's text.
    const char *out = e2e_proc_out (client);
    for (int id = 1; id <= 2; id++)
        if (e2e_line_count (out, e2e_fmt ("send %d failed: ", id), e2e_fmt ("refused %d", id)) != 1) {
            e2e_dump (client);
            fail_msg ("send %d: expected a failure naming \"refused %d\"", id, id);
        }
    assert_true (e2e_alive (svc));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_round_trip),
        T (test_fresh_workflow_id),
        T (test_handler_failure),
        T (test_invalid_return),
        T (test_concurrent_clients),
        T (test_bursts_all_answered),
        T (test_main_requester),
        T (test_main_requester_cli_overrides),
        T (test_main_requester_handler_failure),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
