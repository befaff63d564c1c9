/*  test_route - a ROUTER's routing envelopes: REQ and DEALER clients, proxies' hops,
    malformed envelopes refused whole, replies in any order each to its own route. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>
#include <czmq.h>
#include "err.h"
#include "route.h"

typedef struct {
    zsock_t *router;
    char endpoint [64];
} s_fixture_t;

static int
s_setup (void **state)
{
    static int count;
    s_fixture_t *self = calloc (1, sizeof *self);
    snprintf (self->endpoint, sizeof self->endpoint, "inproc://test-route-%d", count++);
    self->router = zsock_new (ZMQ_ROUTER);
    zsock_set_rcvtimeo (self->router, 2000);
    assert_int_equal (zsock_bind (self->router, "%s", self->endpoint), 0);
    *state = self;
    return 0;
}

static int
s_teardown (void **state)
{
    s_fixture_t *self = *state;
    zsock_destroy (&self->router);
    free (self);
    return 0;
}

static zsock_t *
s_client (s_fixture_t *self, int type)
{
    zsock_t *sock = zsock_new (type);
    zsock_set_rcvtimeo (sock, 2000);
    zsock_set_linger (sock, 0);
    assert_int_equal (zsock_connect (sock, "%s", self->endpoint), 0);
    return sock;
}

//  Receives on the fixture's ROUTER (waiting for the first frame); asserts
//  `frames` body frames, the first equal to `first`; returns the route.
static route_t *
s_recv (s_fixture_t *self, int frames, const char *first)
{
    zmq_msg_t body;
    zmq_msg_init (&body);
    route_t *route = NULL;
    char err [ERR_LEN];
    assert_int_equal (route_recv (zsock_resolve (self->router), &route, &body, 1, 0, err), frames);
    assert_non_null (route);
    assert_int_equal (zmq_msg_size (&body), strlen (first));
    assert_memory_equal (zmq_msg_data (&body), first, strlen (first));
    zmq_msg_close (&body);
    return route;
}

//  Asserts the next message on the ROUTER is refused, with `why` in err.
static void
s_assert_refused (s_fixture_t *self, const char *why)
{
    zmq_msg_t body;
    zmq_msg_init (&body);
    route_t *route = (route_t *) &body;             //  must come back NULL
    char err [ERR_LEN] = "";
    assert_int_equal (route_recv (zsock_resolve (self->router), &route, &body, 1, 0, err), -1);
    assert_null (route);
    if (!strstr (err, why))
        fail_msg ("expected \"%s\" in \"%s\"", why, err);
    zmq_msg_close (&body);
}

static void
test_req_client (void **state)
{
    s_fixture_t *self = *state;
    zsock_t *req = s_client (self, ZMQ_REQ);
    zstr_send (req, "hello");
    route_t *route = s_recv (self, 1, "hello");
    assert_int_equal (route_send (zsock_resolve (self->router), &route, "world", 5), 0);
    assert_null (route);
    char *reply = zstr_recv (req);
    assert_string_equal (reply, "world");
    zstr_free (&reply);
    zsock_destroy (&req);
}

static void
test_nothing_to_read (void **state)
{
    s_fixture_t *self = *state;
    zmq_msg_t body;
    zmq_msg_init (&body);
    route_t *route;
    assert_int_equal (route_recv (zsock_resolve (self->router), &route, &body, 1, ZMQ_DONTWAIT, NULL), 0);
    assert_null (route);
    zmq_msg_close (&body);
    route_destroy (NULL);
    route_destroy (&route);
}

static void
test_dealer_frames_and_malformed (void **state)
{
    s_fixture_t *self = *state;
    zsock_t *dealer = s_client (self, ZMQ_DEALER);
    zstr_sendx (dealer, "no delimiter", "more", NULL);
    zstr_send (dealer, "");
    zstr_sendx (dealer, "", "a", "b", "c", NULL);
    s_assert_refused (self, "no empty delimiter");
    s_assert_refused (self, "no request after");
    //  Each refused message was read whole: the next one is intact.
    route_t *route = s_recv (self, 3, "a");
    assert_int_equal (route_send (zsock_resolve (self->router), &route, "r", 1), 0);
    char *empty, *reply;
    assert_int_equal (zstr_recvx (dealer, &empty, &reply, NULL), 2);
    assert_string_equal (empty, "");
    assert_string_equal (reply, "r");
    zstr_free (&empty);
    zstr_free (&reply);
    zsock_destroy (&dealer);
}

//  A proxy's hop before the delimiter comes back in the reply, in place.
static void
test_hops (void **state)
{
    s_fixture_t *self = *state;
    zsock_t *dealer = s_client (self, ZMQ_DEALER);
    zstr_sendx (dealer, "hop-1", "hop-2", "", "req", NULL);
    route_t *route = s_recv (self, 1, "req");
    assert_int_equal (route_send (zsock_resolve (self->router), &route, "rep", 3), 0);
    char *hop1, *hop2, *empty, *reply;
    assert_int_equal (zstr_recvx (dealer, &hop1, &hop2, &empty, &reply, NULL), 4);
    assert_string_equal (hop1, "hop-1");
    assert_string_equal (hop2, "hop-2");
    assert_string_equal (empty, "");
    assert_string_equal (reply, "rep");
    zstr_free (&hop1);
    zstr_free (&hop2);
    zstr_free (&empty);
    zstr_free (&reply);
    //  More routing ids than ROUTE_MAX_HOPS: refused.
    zmsg_t *msg = zmsg_new ();
    for (int i = 0; i < ROUTE_MAX_HOPS; i++)
        zmsg_addstr (msg, "hop");
    zmsg_addstr (msg, "");
    zmsg_addstr (msg, "req");
    zmsg_send (&msg, dealer);
    s_assert_refused (self, "malformed routing envelope");
    zsock_destroy (&dealer);
}

//  Two clients; the second is answered first; each gets its own reply.
static void
test_out_of_order (void **state)
{
    s_fixture_t *self = *state;
    zsock_t *first = s_client (self, ZMQ_REQ);
    zsock_t *second = s_client (self, ZMQ_REQ);
    zstr_send (first, "1");
    route_t *route_1 = s_recv (self, 1, "1");
    zstr_send (second, "2");
    route_t *route_2 = s_recv (self, 1, "2");
    assert_int_equal (route_send (zsock_resolve (self->router), &route_2, "for 2", 5), 0);
    assert_int_equal (route_send (zsock_resolve (self->router), &route_1, "for 1", 5), 0);
    char *reply = zstr_recv (first);
    assert_string_equal (reply, "for 1");
    zstr_free (&reply);
    reply = zstr_recv (second);
    assert_string_equal (reply, "for 2");
    zstr_free (&reply);
    zsock_destroy (&first);
    zsock_destroy (&second);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, s_setup, s_teardown)
        T (test_req_client),
        T (test_nothing_to_read),
        T (test_dealer_frames_and_malformed),
        T (test_hops),
        T (test_out_of_order),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
