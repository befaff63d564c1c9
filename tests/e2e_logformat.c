/*  e2e_logformat - --log-format json and --color: every line of the
    console and of the file parses as JSON with the SPEC's fields, whatever
    bytes a peer sent; text lines are coloured by level only when asked.
*/
#include "e2e.h"

#define S_TIME_RE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"

//  Checks every line of `path` is one JSON object with the fields; returns
//  how many lines carry workflow_id `id` (NULL: skip that count).
static int
s_check_json_lines (const char *dir, const char *path, const char *id)
{
    char *text = e2e_read_file (path);
    assert_non_null (text);
    int lines = 0, with_id = 0;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        lines++;
        cJSON *object = cJSON_ParseWithOpts (line, NULL, true);
        if (!object)
            fail_msg ("%s: not JSON: %s", path, line);
        e2e_keep_json (object);
        const cJSON *time = cJSON_GetObjectItemCaseSensitive (object, "time");
        const cJSON *severity = cJSON_GetObjectItemCaseSensitive (object, "severity");
        const cJSON *message = cJSON_GetObjectItemCaseSensitive (object, "message");
        const cJSON *service = cJSON_GetObjectItemCaseSensitive (object, "service");
        const cJSON *workflow_id = cJSON_GetObjectItemCaseSensitive (object, "workflow_id");
        assert_true (cJSON_IsString (time) && e2e_match (time->valuestring, S_TIME_RE));
        assert_true (cJSON_IsString (severity) && e2e_match (severity->valuestring, "^(DEBUG|INFO|WARNING|ERROR)$"));
        assert_true (cJSON_IsString (message));
        assert_true (cJSON_IsString (service));
        assert_string_equal (service->valuestring, "metrics_replyer");
        assert_true (cJSON_IsString (workflow_id) || cJSON_IsNull (workflow_id));
        if (id && cJSON_IsString (workflow_id) && strcmp (workflow_id->valuestring, id) == 0)
            with_id++;
    }
    assert_true (lines >= 3);
    //  And a strict parser agrees (Python's json rejects what RFC 8259 does).
    const char *script = e2e_write_file (dir, "check.py",
        "import json, sys\n"
        "for line in open(sys.argv[1], encoding='utf-8'):\n"
        "    o = json.loads(line)\n"
        "    assert set(o) == {'time', 'severity', 'message', 'service', 'workflow_id'}, o\n");
    int status = system (e2e_fmt ("/usr/bin/python3 %s %s", script, path));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    return with_id;
}

static void
test_json_lines (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    const char *file = e2e_fmt ("%s/svc.log", dir);
    e2e_proc_t *rep = e2e_svcfw (dir, e2e_plugin ("metrics_replyer"),
        e2e_fmt ("{\"connections\": {\"in\": {\"quotes\": {\"replyer\": \"%s\"}}, \"out\": {}}}", e2e_addr (port)),
        NULL, "--log-format", "json", "-l", file, "-f", "DEBUG", NULL);
    assert_non_null (rep);
    E2E_ASSERT_LOG (rep, "\"message\":\"ready: ", E2E_READY_MS);
    //  A handler failure under a workflow id with quotes, a backslash, a
    //  newline, an ESC and a byte that is not UTF-8.
    zsock_t *req = e2e_req (e2e_endpoint (port));
    const char *evil = "{\"args\": {\"symbol\": \"FAIL\"}, \"workflow_id\": \"w\\\"1\\\\\\n\\u001b[31m\"}";
    assert_string_equal (e2e_reply_kind (e2e_request (req, evil)), "handler_failed");
    e2e_sock_destroy (&req);
    req = e2e_req (e2e_endpoint (port));
    const char raw [] = "{\"args\": {\"symbol\": 5}, \"workflow_id\": \"ok-id\"} \xff";
    e2e_request_bytes (req, raw, sizeof raw - 1);
    e2e_sock_destroy (&req);
    req = e2e_req (e2e_endpoint (port));
    assert_null (e2e_reply_kind (e2e_request (req, "{\"args\": {\"symbol\": \"A\"}, \"workflow_id\": \"plain-id\"}")));
    e2e_sock_destroy (&req);
    int status;
    assert_true (e2e_stop (rep, SIGTERM, 5000, &status));
    //  The console (the process's output) and the file.
    s_check_json_lines (dir, e2e_proc_out (rep), NULL);
    assert_true (s_check_json_lines (dir, file, "w\"1\\\n\x1b[31m") >= 1);
    //  The stop summary is a JSON line too.
    assert_non_null (e2e_grep (file, "\"message\":\"quotes: "));
    assert_non_null (e2e_grep (file, "\"severity\":\"WARNING\""));
}

static void
test_color (void **state)
{
    const char *dir = *state;
    const char *addresses = e2e_fmt ("{\"connections\": {\"in\": {\"quotes\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
                                     e2e_addr (e2e_tcp_port ()));
    const char *modes [] = { "always", "never", "auto" };
    for (int i = 0; i < 3; i++) {
        e2e_proc_t *rep = e2e_svcfw (dir, e2e_plugin ("metrics_replyer"), addresses, NULL,
                                     "--color", modes [i], NULL);
        E2E_ASSERT_READY (rep);
        int status;
        assert_true (e2e_stop (rep, SIGTERM, 5000, &status));
        const char *ready = e2e_grep (e2e_proc_out (rep), " ready: ");
        assert_non_null (ready);
        if (i == 0)     //  INFO in green, then a reset
            assert_true (strncmp (ready, "\033[32m", 5) == 0 && strstr (ready, "\033[0m"));
        else            //  never; auto, and the output is a file, not a terminal
            assert_null (strchr (ready, '\033'));
    }
    //  A bad value is a usage error.
    e2e_proc_t *bad = e2e_svcfw (dir, e2e_plugin ("metrics_replyer"), addresses, NULL, "--color", "rainbow", NULL);
    assert_true (e2e_wait_exit (bad, E2E_EXIT_MS, NULL));
    assert_int_equal (e2e_exit_code (bad), 2);
    assert_non_null (e2e_grep (e2e_proc_out (bad), "--color"));
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_json_lines, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_color, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
