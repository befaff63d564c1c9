/*  test_sock.c - sock: every socket it opens carries the link options (ZMTP heartbeats, reconnect ceiling, connect timeout), defaults or the entry's own. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "sock.h"

//  The one entry of a models document whose requester "r" has `creation`.
static models_t *
s_models (const char *creation)
{
    char text [512];
    snprintf (text, sizeof text, "{\"connection_models\": {\"out\": {\"r\": {\"connection_type\": \"requester\","
              " \"optional_creation_arguments\": {%s}}}}}", creation);
    cJSON *doc = cJSON_Parse (text);
    assert_non_null (doc);
    char err [ERR_LEN] = "";
    models_t *models = models_parse (doc, err);
    cJSON_Delete (doc);
    if (!models)
        fail_msg ("models: %s", err);
    return models;
}

static int
s_option (zsock_t *sock, int option)
{
    int value = -1;
    size_t size = sizeof value;
    assert_int_equal (zmq_getsockopt (zsock_resolve (sock), option, &value, &size), 0);
    return value;
}

static void
test_defaults (void **state)
{
    (void) state;
    models_t *models = s_models ("");
    char err [ERR_LEN] = "";
    zsock_t *sock = sock_new (models_at (models, 0), ZMQ_REQ, 0, 1 << 20, err);
    assert_non_null (sock);
    //  A dead peer is noticed within seconds: beats every second, the link
    //  dropped after 3 s of silence, reconnects capped, connects bounded.
    assert_int_equal (s_option (sock, ZMQ_HEARTBEAT_IVL), 1000);
    assert_int_equal (s_option (sock, ZMQ_HEARTBEAT_TIMEOUT), 3000);
    assert_int_equal (s_option (sock, ZMQ_HEARTBEAT_TTL), 3000);
    assert_int_equal (s_option (sock, ZMQ_RECONNECT_IVL), 100);
    assert_int_equal (s_option (sock, ZMQ_RECONNECT_IVL_MAX), 2000);
    assert_int_equal (s_option (sock, ZMQ_CONNECT_TIMEOUT), 2000);
    zsock_destroy (&sock);
    models_destroy (&models);
}

static void
test_overrides (void **state)
{
    (void) state;
    models_t *models = s_models ("\"zmtp_heartbeat_ms\": 200, \"reconnect_max_ms\": 50, \"connect_timeout_ms\": 700");
    char err [ERR_LEN] = "";
    //  sock_open too: the options are set before the connect.
    zsock_t *sock = sock_open (models_at (models, 0), ZMQ_DEALER, "tcp://127.0.0.1:1", false, 0, 1 << 20, err);
    assert_non_null (sock);
    assert_int_equal (s_option (sock, ZMQ_HEARTBEAT_IVL), 200);
    assert_int_equal (s_option (sock, ZMQ_HEARTBEAT_TIMEOUT), 600);
    assert_int_equal (s_option (sock, ZMQ_HEARTBEAT_TTL), 600);
    assert_int_equal (s_option (sock, ZMQ_RECONNECT_IVL), 50);     //  never above its ceiling
    assert_int_equal (s_option (sock, ZMQ_RECONNECT_IVL_MAX), 50);
    assert_int_equal (s_option (sock, ZMQ_CONNECT_TIMEOUT), 700);
    zsock_destroy (&sock);
    models_destroy (&models);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_defaults),
        cmocka_unit_test (test_overrides),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
