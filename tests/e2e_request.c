/*  e2e_request - `svcfw request ENDPOINT JSON_ARGS [--timeout MS]` against a
    real svcfw replyer (echo_replyer: "fail" in the note makes its handler
    fail), a dead endpoint, bad arguments, and a CURVE replyer.
*/
#include <string.h>
#include "e2e.h"

//  A running echo_replyer on a fresh port; its address in *addr.
static e2e_proc_t *
s_replyer (const char *dir, char **addr, const char *const extra[])
{
    int port = e2e_tcp_port ();
    *addr = e2e_addr (port);
    e2e_proc_t *svc = e2e_svcfw_argv (dir, e2e_plugin ("echo_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}", *addr), NULL, extra);
    E2E_ASSERT_READY (svc);
    return svc;
}

static void
test_ok_reply (void **state)
{
    const char *dir = *state;
    char *addr;
    const char *const none [] = { NULL };
    e2e_proc_t *svc = s_replyer (dir, &addr, none);
    e2e_proc_t *req = e2e_svcfw_run (dir, "request", "request", addr,
                                     "{\"order_id\": 7, \"note\": \"hi\"}", "--timeout", "3000", NULL);
    if (e2e_exit_code (req) != 0)
        e2e_dump (req);
    assert_int_equal (e2e_exit_code (req), 0);
    //  The whole reply envelope, pretty-printed: one key a line.
    char *out = e2e_read_file (e2e_proc_out (req));
    assert_non_null (out);
    cJSON *reply = e2e_keep_json (cJSON_Parse (out));
    assert_non_null (reply);
    cJSON *ret = cJSON_GetObjectItem (reply, "return_args");
    assert_int_equal (cJSON_GetObjectItem (ret, "order_id")->valueint, 7);
    assert_true (cJSON_IsTrue (cJSON_GetObjectItem (ret, "ok")));
    const char *wf = e2e_reply_wf (reply);
    assert_non_null (wf);
    assert_true (e2e_match (wf, E2E_UUID_RE));
    assert_non_null (strstr (out, "{\n  \"return_args\": {\n    \"order_id\": 7,\n"));
    assert_int_equal (e2e_file_count (e2e_proc_err (req), "svcfw:"), 0);
    //  The replyer handled it under the request's workflow id.
    E2E_ASSERT_LOG (svc, e2e_fmt ("got order 7 note=hi wf=%s", wf), E2E_LOG_MS);

    //  --workflow-id is carried through.
    req = e2e_svcfw_run (dir, "request", "request", e2e_fmt ("tcp://%s", addr), "{\"order_id\": 8}",
                         "--workflow-id", "wf-from-the-shell", NULL);
    assert_int_equal (e2e_exit_code (req), 0);
    assert_int_equal (e2e_file_count (e2e_proc_out (req), "  \"workflow_id\": \"wf-from-the-shell\"\n"), 1);
    E2E_ASSERT_LOG (svc, "got order 8 note= wf=wf-from-the-shell", E2E_LOG_MS);
}

static void
test_error_reply (void **state)
{
    const char *dir = *state;
    char *addr;
    const char *const none [] = { NULL };
    s_replyer (dir, &addr, none);
    //  The handler fails: an error reply, printed whole, exit 1.
    e2e_proc_t *req = e2e_svcfw_run (dir, "request", "request", addr,
                                     "{\"order_id\": 9, \"note\": \"fail\"}", NULL);
    assert_int_equal (e2e_exit_code (req), 1);
    cJSON *reply = e2e_keep_json (cJSON_Parse (e2e_read_file (e2e_proc_out (req))));
    assert_non_null (reply);
    assert_string_equal (e2e_reply_kind (reply), "handler_failed");
    assert_non_null (strstr (cJSON_GetObjectItem (cJSON_GetObjectItem (reply, "error"), "message")->valuestring,
                             "refused 9"));
    assert_int_equal (e2e_lines (e2e_proc_err (req)), 1);
    assert_int_equal (e2e_file_count (e2e_proc_err (req), "error reply (handler_failed)"), 1);

    //  Args the model refuses: the replyer's invalid_args reply, exit 1.
    req = e2e_svcfw_run (dir, "request", "request", addr, "{\"order_id\": \"seven\"}", NULL);
    assert_int_equal (e2e_exit_code (req), 1);
    reply = e2e_keep_json (cJSON_Parse (e2e_read_file (e2e_proc_out (req))));
    assert_string_equal (e2e_reply_kind (reply), "invalid_args");
}

static void
test_timeout (void **state)
{
    const char *dir = *state;
    //  Nobody listens on the port: no reply within the timeout, in all.
    char *addr = e2e_addr (e2e_tcp_port ());
    long long start = e2e_now_ms ();
    e2e_proc_t *req = e2e_svcfw_run (dir, "request", "request", addr, "{\"order_id\": 1}",
                                     "--timeout", "300", NULL);
    long long took = e2e_now_ms () - start;
    e2e_assert_one_line (req, 1, E2E_ERROR_RE, "no reply from tcp://", "within 300 ms", NULL);
    assert_true (took >= 300);
    assert_true (took < 3000);
    assert_int_equal (e2e_lines (e2e_proc_out (req)), 0);
}

static void
test_usage (void **state)
{
    const char *dir = *state;
    const char *addr = "127.0.0.1:1";
    e2e_proc_t *req = e2e_svcfw_run (dir, "request", "request", addr, "{\"order_id\": 1", NULL);
    e2e_assert_one_line (req, 2, E2E_USAGE_RE, "JSON_ARGS:1:", "invalid JSON", NULL);
    req = e2e_svcfw_run (dir, "request", "request", addr, "[1, 2]", NULL);
    e2e_assert_one_line (req, 2, E2E_USAGE_RE, "JSON_ARGS must be a JSON object", "not array", NULL);
    req = e2e_svcfw_run (dir, "request", "request", addr, NULL);
    e2e_assert_one_line (req, 2, E2E_USAGE_RE, "JSON_ARGS", NULL);
    req = e2e_svcfw_run (dir, "request", "request", addr, "{}", "--timeout", "soon", NULL);
    e2e_assert_one_line (req, 2, E2E_USAGE_RE, "--timeout \"soon\"", NULL);
    req = e2e_svcfw_run (dir, "request", "request", addr, "{}", "--bogus", NULL);
    e2e_assert_one_line (req, 2, E2E_USAGE_RE, "\"--bogus\"", NULL);
    req = e2e_svcfw_run (dir, "request", "request", "no port here", "{}", NULL);
    e2e_assert_one_line (req, 2, E2E_USAGE_RE, "ENDPOINT", NULL);
    req = e2e_svcfw_run (dir, "request", "request", addr, "{}", "--curve-cert", "x_secret", NULL);
    e2e_assert_one_line (req, 2, E2E_USAGE_RE, "--server-key", NULL);
}

static void
test_curve (void **state)
{
    const char *dir = *state;
    e2e_proc_t *kg = e2e_svcfw_run (dir, "keygen", "keygen", "srv", "-d", dir, NULL);
    assert_int_equal (e2e_exit_code (kg), 0);
    kg = e2e_svcfw_run (dir, "keygen", "keygen", "cli", "-d", dir, NULL);
    assert_int_equal (e2e_exit_code (kg), 0);
    char *addr;
    const char *const extra [] = { "--curve-cert", e2e_fmt ("%s/srv_secret", dir), NULL };
    s_replyer (dir, &addr, extra);
    e2e_proc_t *req = e2e_svcfw_run (dir, "request", "request", addr, "{\"order_id\": 3}",
                                     "--curve-cert", e2e_fmt ("%s/cli_secret", dir),
                                     "--server-key", e2e_fmt ("%s/srv", dir), NULL);
    if (e2e_exit_code (req) != 0)
        e2e_dump (req);
    assert_int_equal (e2e_exit_code (req), 0);
    assert_int_equal (e2e_file_count (e2e_proc_out (req), "\"order_id\": 3"), 1);
    //  Without CURVE the server never answers.
    req = e2e_svcfw_run (dir, "request", "request", addr, "{\"order_id\": 4}", "--timeout", "300", NULL);
    e2e_assert_one_line (req, 1, E2E_ERROR_RE, "no reply from", NULL);
    //  A key file that is not there: one line naming it.
    req = e2e_svcfw_run (dir, "request", "request", addr, "{\"order_id\": 5}",
                         "--curve-cert", e2e_fmt ("%s/nobody_secret", dir),
                         "--server-key", e2e_fmt ("%s/srv", dir), NULL);
    e2e_assert_one_line (req, 1, E2E_ERROR_RE, "nobody_secret", NULL);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_ok_reply, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_error_reply, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_timeout, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_usage, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_curve, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
