/*  e2e_hooks - the optional setup hooks of SPEC §5 shape the service, or stop start-up.

    hooks_replyer fills in its config (svcfw_setup_config), its address
    (svcfw_setup_addresses) and its max_message_bytes
    (svcfw_setup_connections), and logs from svcfw_init. hooks_fail makes a
    chosen hook fail.
*/
#include "e2e.h"

#include <string.h>

static void
test_hooks_shape_the_service (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    //  No -a at all: the address comes from svcfw_setup_addresses. The
    //  required "greeting" comes from svcfw_setup_config.
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("hooks_replyer"), NULL, NULL,
                                 "--port", e2e_fmt ("%d", port), "--limit", "200", NULL);
    E2E_ASSERT_READY (svc);
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "init ran greeting=hello"), 1);

    zsock_t *req = e2e_req (e2e_endpoint (port));
    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 3}}");
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
    if (!cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (ret, "ok")))
        fail_msg ("expected a good reply, got %s", e2e_json (reply));
    E2E_ASSERT_LOG (svc, "got order 3 greeting=hello", E2E_LOG_MS);

    //  max_message_bytes 200, from svcfw_setup_connections.
    reply = e2e_request (req, e2e_fmt ("{\"args\": {\"order_id\": 4, \"note\": \"%0250d\"}}", 0));
    const char *kind = e2e_reply_kind (reply);
    if (!kind || strcmp (kind, "too_large") != 0)
        fail_msg ("expected too_large over the hook's 200-byte limit, got %s", e2e_json (reply));
}

static void
test_config_file_beats_setup_config_default (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("hooks_replyer"), NULL,
                                 e2e_fmt ("{\"greeting\": \"hi\", \"port\": %d}", port), NULL);
    E2E_ASSERT_READY (svc);
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "init ran greeting=hi"), 1);
}

static void
test_setup_config_fails (void **state)
{
    e2e_proc_t *proc = e2e_svcfw_run (*state, "run", "-s", e2e_plugin ("hooks_fail"),
                                      "--fail", "config", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "svcfw_setup_config", NULL);
}

static void
test_setup_addresses_fails (void **state)
{
    e2e_proc_t *proc = e2e_svcfw_run (*state, "run", "-s", e2e_plugin ("hooks_fail"),
                                      "--fail", "addresses", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "svcfw_setup_addresses", NULL);
}

static void
test_setup_connections_unknown_name (void **state)
{
    const char *dir = *state;
    char *addresses = e2e_write_file (dir, "a.json", e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}",
        e2e_addr (e2e_tcp_port ())));
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("hooks_fail"),
                                      "-a", addresses, "--fail", "merge", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "svcfw_setup_connections", "nosuch", NULL);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_hooks_shape_the_service),
        T (test_config_file_beats_setup_config_default),
        T (test_setup_config_fails),
        T (test_setup_addresses_fails),
        T (test_setup_connections_unknown_name),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
