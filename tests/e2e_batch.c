/*  e2e_batch - a raw client's {"batch": [...]} to a plain replyer and to a dedupe replyer.

    A batch is answered {"batch": [REPLY, ...]}, one reply per message, in
    order, each message validated and handled as if it came alone: a good
    message is answered by its handler, a bad one (invalid args, a nested
    batch, no args, a failing handler) gets its own error reply and does
    not stop the others. A batch refused whole (not a list, empty, over the
    member limit, over max_message_bytes, not JSON) gets one error reply.
    With dedupe, a repeated id in a batch, or a whole batch sent again, is
    answered from the inbox and its handler not called again.
*/
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static e2e_proc_t *
s_start (const char *dir, const char *plugin, int port, const char *config)
{
    e2e_proc_t *proc = e2e_svcfw (dir, e2e_plugin (plugin), e2e_fmt (
        "{\"connections\": {\"in\": {\"%s\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        strcmp (plugin, "echo_replyer") == 0? "orders": "events", e2e_addr (port)), config, NULL);
    E2E_ASSERT_READY (proc);
    return proc;
}

//  The kind of member `index` of a batch reply, or "ok", or NULL if there is none.
static const char *
s_member (const cJSON *reply, int index)
{
    const cJSON *batch = cJSON_GetObjectItem (reply, "batch");
    const cJSON *member = cJSON_IsArray (batch)? cJSON_GetArrayItem (batch, index): NULL;
    if (!member)
        return NULL;
    return cJSON_GetObjectItem (member, "return_args")? "ok": e2e_reply_kind (member);
}

static void
test_plain_replyer (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = s_start (dir, "echo_replyer", port, NULL);
    zsock_t *req = e2e_req (e2e_endpoint (port));

    cJSON *reply = e2e_request (req,
        "{\"batch\": ["
        "{\"args\": {\"order_id\": 1}, \"workflow_id\": \"w1\"},"
        "{\"args\": {\"order_id\": \"two\"}},"
        "{\"batch\": [{\"args\": {\"order_id\": 3}}]},"
        "{\"args\": {\"order_id\": 4, \"note\": \"fail\"}},"
        "{\"workflow_id\": \"w5\"},"
        "{\"args\": {\"order_id\": 6}}]}");
    assert_non_null (reply);
    assert_int_equal (cJSON_GetArraySize (cJSON_GetObjectItem (reply, "batch")), 6);
    assert_string_equal (s_member (reply, 0), "ok");
    assert_string_equal (s_member (reply, 1), "invalid_args");
    assert_string_equal (s_member (reply, 2), "invalid_envelope");
    assert_string_equal (s_member (reply, 3), "handler_failed");
    assert_string_equal (s_member (reply, 4), "invalid_envelope");
    assert_string_equal (s_member (reply, 5), "ok");
    const cJSON *first = cJSON_GetArrayItem (cJSON_GetObjectItem (reply, "batch"), 0);
    assert_string_equal (e2e_reply_wf (first), "w1");
    assert_int_equal (cJSON_GetObjectItem (cJSON_GetObjectItem (first, "return_args"), "order_id")->valueint, 1);
    //  Handled in order: order 1, then 4, then 6 (3 was never handled).
    E2E_ASSERT_LOG (svc, "got order 6", E2E_LOG_MS);
    const char *log = e2e_read_file (e2e_proc_out (svc));
    const char *one = strstr (log, "got order 1 "), *four = strstr (log, "got order 4 "), *six = strstr (log, "got order 6 ");
    assert_true (one && four && six && one < four && four < six);
    assert_null (strstr (log, "got order 3 "));

    //  Refused whole: one error reply, not a batch.
    const char *whole [][2] = {
        { "{\"batch\": {\"args\": {}}}", "invalid_envelope" },
        { "{\"batch\": []}", "invalid_envelope" },
        { "{\"batch\": [{\"args\": {\"order_id\": 1}}", "invalid_json" },
    };
    for (size_t i = 0; i < sizeof whole / sizeof whole [0]; i++) {
        reply = e2e_request (req, whole [i][0]);
        assert_non_null (reply);
        assert_null (cJSON_GetObjectItem (reply, "batch"));
        assert_string_equal (e2e_reply_kind (reply), whole [i][1]);
    }
    //  Over the member limit (1024), and over max_message_bytes (65536).
    size_t size = 70000;
    char *text = malloc (size);
    size_t len = (size_t) snprintf (text, size, "{\"batch\": [");
    for (int i = 0; i < 1025; i++)
        len += (size_t) snprintf (text + len, size - len, "%s{\"args\":{\"order_id\":%d}}", i? ",": "", i);
    len += (size_t) snprintf (text + len, size - len, "]}");
    assert_true (len < 65536);
    reply = e2e_request (req, text);
    assert_string_equal (e2e_reply_kind (reply), "invalid_envelope");
    assert_non_null (strstr (cJSON_GetObjectItem (cJSON_GetObjectItem (reply, "error"), "message")->valuestring,
                             "over the limit of 1024"));
    len = (size_t) snprintf (text, size, "{\"batch\": [{\"args\": {\"order_id\": 1, \"note\": \"");
    while (len < 66000)
        text [len++] = 'x';
    snprintf (text + len, size - len, "\"}}]}");
    reply = e2e_request (req, text);
    assert_string_equal (e2e_reply_kind (reply), "too_large");
    free (text);
    //  Still serving single requests.
    reply = e2e_request (req, "{\"args\": {\"order_id\": 7}}");
    assert_non_null (cJSON_GetObjectItem (reply, "return_args"));
    e2e_sock_destroy (&req);
}

static void
test_dedupe_replyer (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    const char *ids = e2e_fmt ("%s/ids.txt", dir);
    s_start (dir, "durable_sink", port, e2e_fmt ("{\"out_file\": \"%s\"}", ids));
    zsock_t *req = e2e_req (e2e_endpoint (port));
    const char *batch = "{\"batch\": ["
        "{\"args\": {\"n\": 1}, \"message_id\": \"a\"},"
        "{\"args\": {\"n\": 2}, \"message_id\": \"b\"},"
        "{\"args\": {\"n\": 1}, \"message_id\": \"a\"},"
        "{\"args\": {\"n\": \"bad\"}, \"message_id\": \"c\"}]}";
    for (int round = 0; round < 2; round++) {
        cJSON *reply = e2e_request (req, batch);
        assert_non_null (reply);
        assert_string_equal (s_member (reply, 0), "ok");
        assert_string_equal (s_member (reply, 1), "ok");
        assert_string_equal (s_member (reply, 2), "ok");        //  the repeat: from the inbox
        assert_string_equal (s_member (reply, 3), "invalid_args");
    }
    //  Each id handled once: the handler appended a and b, once each.
    char *text = e2e_read_file (ids);
    assert_non_null (text);
    assert_string_equal (text, "a\nb\n");
    e2e_sock_destroy (&req);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_plain_replyer, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_dedupe_replyer, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
