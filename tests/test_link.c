/*  test_link.c - link: a socket's dropped links counted on a thread of
    their own, the count read before a send told from one after it, the
    fd that wakes a wait, and an end that leaves nothing running. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <poll.h>
#include <string.h>
#include "link.h"
#include "sock.h"

#define S_WAIT_MS 5000              //  the bound on every wait here

static models_t *
s_models (void)
{
    cJSON *doc = cJSON_Parse ("{\"connection_models\": {\"out\": {\"r\": {\"connection_type\": \"requester\"}}}}");
    assert_non_null (doc);
    char err [ERR_LEN] = "";
    models_t *models = models_parse (doc, err);
    cJSON_Delete (doc);
    if (!models)
        fail_msg ("models: %s", err);
    return models;
}

//  A ROUTER on a free loopback port; its endpoint in endpoint[64].
static zsock_t *
s_router (char *endpoint)
{
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    assert_non_null (router);
    zsock_set_linger (router, 0);
    int port = zsock_bind (router, "tcp://127.0.0.1:*[50000-]");
    assert_true (port > 0);
    snprintf (endpoint, 64, "tcp://127.0.0.1:%d", port);
    return router;
}

//  Whether the watch's fd becomes readable within wait_ms.
static bool
s_woken (link_watch_t *link, int wait_ms)
{
    struct pollfd item = { .fd = link_watch_fd (link), .events = POLLIN };
    return poll (&item, 1, wait_ms) == 1;
}

//  One request and its reply over the link, so it is up end to end.
static void
s_round_trip (zsock_t *req, zsock_t *router)
{
    zsock_set_rcvtimeo (req, S_WAIT_MS);
    zsock_set_rcvtimeo (router, S_WAIT_MS);
    assert_int_equal (zstr_send (req, "ping"), 0);
    zmsg_t *msg = zmsg_recv (router);
    assert_non_null (msg);
    assert_int_equal (zmsg_send (&msg, router), 0);     //  [id][][ping] back as it came
    char *reply = zstr_recv (req);
    assert_non_null (reply);
    assert_string_equal (reply, "ping");
    zstr_free (&reply);
}

//  A requester's socket and the ROUTER it is connected to.
typedef struct {
    models_t *models;
    zsock_t *router;
    zsock_t *req;
} s_pair_t;

static s_pair_t
s_pair (void)
{
    s_pair_t pair = { s_models (), NULL, NULL };
    char endpoint [64], err [ERR_LEN] = "";
    pair.router = s_router (endpoint);
    pair.req = sock_open (models_at (pair.models, 0), ZMQ_REQ, endpoint, false, 0, 1 << 20, err);
    if (!pair.req)
        fail_msg ("sock_open: %s", err);
    return pair;
}

static void
s_pair_end (s_pair_t *pair)
{
    zsock_destroy (&pair->router);
    zsock_destroy (&pair->req);
    models_destroy (&pair->models);
}

//  A link up and down: nothing counted while it stays up; a drop counted
//  once, after the count read before it, and the fd wakes a wait for it.
static void
test_counts_a_drop_after_the_count_read (void **state)
{
    (void) state;
    s_pair_t pair = s_pair ();
    zsock_t *req = pair.req;
    char err [ERR_LEN] = "";
    link_watch_t *link = link_watch_new (models_at (pair.models, 0), req, err);
    assert_non_null (link);
    s_round_trip (req, pair.router);
    assert_false (s_woken (link, 100));
    uint64_t before = link_watch_drops (link);
    assert_int_equal (before, 0);
    assert_int_equal (link_watch_refusals (link), 0);

    //  The peer goes: the link drops.
    zsock_destroy (&pair.router);
    assert_true (s_woken (link, S_WAIT_MS));
    link_watch_take (link);
    assert_int_equal (link_watch_drops (link), before + 1);
    assert_int_equal (link_watch_refusals (link), 0);
    assert_false (s_woken (link, 0));                   //  taken: not readable until the next event

    link_watch_destroy (&link);
    assert_null (link);
    link_watch_destroy (&link);                         //  twice: nothing
    s_pair_end (&pair);
}

//  A watch ends at once, each of 20 times on one socket, and the socket
//  watched once more counts afresh: each watch its own thread and monitor.
static void
test_ends_at_once_and_watches_again (void **state)
{
    (void) state;
    s_pair_t pair = s_pair ();
    zsock_t *req = pair.req;
    const model_t *model = models_at (pair.models, 0);
    char err [ERR_LEN] = "";
    for (int i = 0; i < 20; i++) {
        int64_t start = zclock_mono ();
        link_watch_t *link = link_watch_new (model, req, err);
        assert_non_null (link);
        assert_int_equal (link_watch_drops (link), 0);
        link_watch_destroy (&link);
        assert_true (zclock_mono () - start < 1000);
    }
    link_watch_t *link = link_watch_new (model, req, err);
    assert_non_null (link);
    s_round_trip (req, pair.router);
    zsock_destroy (&pair.router);
    assert_true (s_woken (link, S_WAIT_MS));
    assert_int_equal (link_watch_drops (link), 1);
    link_watch_destroy (&link);
    s_pair_end (&pair);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_counts_a_drop_after_the_count_read),
        cmocka_unit_test (test_ends_at_once_and_watches_again),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
