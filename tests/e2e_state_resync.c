/*  e2e_state_resync - an in-state's resyncs end, are paced, and keep memory bounded (issue 8).

    The test plays the owner itself with raw sockets: an XPUB that publishes
    [""][update] and heartbeats, and a ROUTER that answers (and counts) the
    in side's snapshot requests. state_sub (delta `book`) and full_sub (full
    `level`) are the in sides; each logs every new value as "update state=JSON".
      - one forged update from another epoch: a handful of snapshot requests,
        not one per snapshot forever, and on_update goes on for later updates;
      - owner A replaced by owner B while the in side is resyncing: the in
        side converges to B's value and on_update is called;
      - one update at seq 2^53 (delta and full): the in side is not frozen;
      - 40,000 updates of 20 KB while a snapshot is on its way: the in side's
        peak RSS stays bounded (the queue kept during a sync is capped in bytes).
    Windows: the attacks measured thousands of snapshot requests a second,
    so a 5 s window tells a loop from a paced resync (2 or 3 requests) with a
    wide margin on a loaded machine.
*/
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SEQ_2_53 "9007199254740992"

//  A raw owner: XPUB + ROUTER, the snapshot it serves, and what it counted.
typedef struct {
    zsock_t *pub;               //  harness-owned
    zsock_t *router;            //  ours, destroyed by s_owner_end / the teardown
    char epoch [32];
    long long seq;              //  last published seq (heartbeats and snapshots carry it)
    char value [256];           //  the snapshot's state, JSON
    bool answer;                //  answer snapshot requests (else keep them unanswered)
    int requests;               //  snapshot requests received
    long long last_beat;
} s_owner_t;

static zsock_t *s_routers [4];

typedef struct {
    s_owner_t *owner;
    int pub_port, rep_port;
} s_bind_t;

//  Binds what is not bound yet; true once both are. A port a previous owner
//  just closed is released by ZeroMQ's I/O thread a moment later.
static bool
s_try_bind (void *arg)
{
    s_bind_t *bind = arg;
    s_owner_t *self = bind->owner;
    if (!self->pub)
        self->pub = e2e_xpub (e2e_endpoint (bind->pub_port));
    if (!self->router) {
        self->router = zsock_new (ZMQ_ROUTER);
        assert_non_null (self->router);
        zsock_set_linger (self->router, 0);
        if (zsock_bind (self->router, "%s", e2e_endpoint (bind->rep_port)) < 0)
            zsock_destroy (&self->router);
    }
    return self->pub && self->router;
}

static void
s_owner_start (s_owner_t *self, int pub_port, int rep_port, const char *epoch)
{
    memset (self, 0, sizeof *self);
    snprintf (self->epoch, sizeof self->epoch, "%s", epoch);
    snprintf (self->value, sizeof self->value, "{}");
    self->answer = true;
    s_bind_t bind = { self, pub_port, rep_port };
    bool bound = e2e_poll (s_try_bind, &bind, 3000);
    for (size_t i = 0; i < sizeof s_routers / sizeof s_routers [0]; i++)
        if (!s_routers [i]) {
            s_routers [i] = self->router;
            break;
        }
    assert_true (bound);
}

static void
s_owner_end (s_owner_t *self)
{
    for (size_t i = 0; i < sizeof s_routers / sizeof s_routers [0]; i++)
        if (s_routers [i] == self->router)
            s_routers [i] = NULL;
    zsock_destroy (&self->router);
    e2e_sock_destroy (&self->pub);
}

static int
s_teardown (void **state)
{
    for (size_t i = 0; i < sizeof s_routers / sizeof s_routers [0]; i++)
        zsock_destroy (&s_routers [i]);
    return e2e_teardown (state);
}

static void
s_send (s_owner_t *self, const char *update)
{
    const char *frames [] = { "", update };
    assert_int_equal (e2e_send_frames (self->pub, frames, 2), 0);
}

static void
s_heartbeat (s_owner_t *self)
{
    s_send (self, e2e_fmt ("{\"epoch\": \"%s\", \"seq\": %lld, \"is_heartbeat\": true}", self->epoch, self->seq));
    self->last_beat = e2e_now_ms ();
}

//  Publishes the owner's next update (seq + 1) and makes `value` its snapshot.
static void
s_publish (s_owner_t *self, const char *state, bool whole, const char *value)
{
    self->seq++;
    s_send (self, e2e_fmt ("{\"epoch\": \"%s\", \"seq\": %lld, \"is_snapshot\": %s, \"state\": %s}",
                           self->epoch, self->seq, whole? "true": "false", state));
    snprintf (self->value, sizeof self->value, "%s", value);
}

//  Serves the owner's sockets for up to `ms`: greets subscribers, sends a
//  heartbeat every 200 ms, counts snapshot requests and answers them (when
//  self->answer). Returns early once `needle` (if not NULL) is in the in
//  side's output; returns whether it was.
static bool
s_serve (s_owner_t *self, e2e_proc_t *in, const char *needle, int ms)
{
    long long deadline = e2e_now_ms () + ms;
    do {
        if (needle && e2e_file_count (e2e_proc_out (in), needle) > 0)
            return true;
        zmq_pollitem_t items [] = { { zsock_resolve (self->pub), 0, ZMQ_POLLIN, 0 },
                                    { zsock_resolve (self->router), 0, ZMQ_POLLIN, 0 } };
        zmq_poll (items, 2, 20);
        if (items [0].revents & ZMQ_POLLIN) {
            zmsg_t *sub = zmsg_recv (self->pub);
            zmsg_destroy (&sub);
            s_heartbeat (self);
        }
        //  Drain every pending request: a loop sends thousands a second.
        for (int n = 0; n < 100000 && (zsock_events (self->router) & ZMQ_POLLIN); n++) {
            zmsg_t *request = zmsg_recv (self->router);
            if (!request)
                break;
            self->requests++;
            if (self->answer) {
                zframe_t *id = zmsg_pop (request);
                zmsg_t *reply = zmsg_new ();
                zmsg_append (reply, &id);
                zmsg_addstr (reply, "");
                zmsg_addstrf (reply, "{\"return_args\": {\"epoch\": \"%s\", \"seq\": %lld, \"state\": %s}}",
                              self->epoch, self->seq, self->value);
                zmsg_send (&reply, self->router);
            }
            zmsg_destroy (&request);
        }
        if (e2e_now_ms () - self->last_beat >= 200)
            s_heartbeat (self);
    } while (e2e_now_ms () < deadline);
    return needle && e2e_file_count (e2e_proc_out (in), needle) > 0;
}

#define S_ASSERT_SERVED(owner, in, needle, ms)                                      \
    do {                                                                            \
        if (!s_serve ((owner), (in), (needle), (ms))) {                             \
            e2e_dump (in);                                                          \
            fail_msg ("in side never logged %s within %d ms (%d snapshot requests)", \
                      (needle), (ms), (owner)->requests);                           \
        }                                                                           \
    } while (0)

static e2e_proc_t *
s_in_side (const char *dir, const char *plugin, const char *name, int pub_port, int rep_port)
{
    e2e_proc_t *in = e2e_svcfw (dir, e2e_plugin (plugin), e2e_fmt (
        "{\"states\": {\"in\": {\"%s\": {\"subscriber\": \"%s\", \"requester\": \"%s\"}}, \"out\": {}}}",
        name, e2e_addr (pub_port), e2e_addr (rep_port)), NULL, NULL);
    E2E_ASSERT_READY (in);
    return in;
}

//  A delta in side synced to `owner` at {"a": 1}, seq 1.
static e2e_proc_t *
s_synced_delta (const char *dir, s_owner_t *owner, int pub_port, int rep_port)
{
    e2e_proc_t *in = s_in_side (dir, "state_sub", "book", pub_port, rep_port);
    S_ASSERT_SERVED (owner, in, "update state={}", E2E_LOG_MS);
    s_publish (owner, "{\"a\": 1}", false, "{\"a\": 1}");
    S_ASSERT_SERVED (owner, in, "update state={\"a\":1}", E2E_LOG_MS);
    return in;
}

//  One forged update (another epoch, or seq 2^53 in the owner's epoch): few
//  snapshot requests in 5 s, and later genuine updates reach on_update.
static void
s_forged_delta (const char *dir, const char *forged)
{
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    s_owner_t owner;
    s_owner_start (&owner, pub_port, rep_port, "E1");
    e2e_proc_t *in = s_synced_delta (dir, &owner, pub_port, rep_port);
    int before = owner.requests;
    s_send (&owner, forged);
    s_serve (&owner, in, NULL, 1000);
    s_publish (&owner, "{\"b\": 2}", false, "{\"a\": 1, \"b\": 2}");
    s_serve (&owner, in, NULL, 4000);
    int requests = owner.requests - before;
    print_message ("one forged update: %d snapshot requests in 5 s\n", requests);
    if (requests >= 10) {
        e2e_dump (in);
        fail_msg ("one forged update made %d snapshot requests in 5 s", requests);
    }
    //  on_update goes on: the update after the forged one, and the next.
    S_ASSERT_SERVED (&owner, in, "update state={\"a\":1,\"b\":2}", E2E_LOG_MS);
    s_publish (&owner, "{\"c\": 3}", false, "{\"a\": 1, \"b\": 2, \"c\": 3}");
    S_ASSERT_SERVED (&owner, in, "update state={\"a\":1,\"b\":2,\"c\":3}", E2E_LOG_MS);
    //  The resync lines are few (the attack wrote 181,225 of them).
    int lines = e2e_line_count (e2e_proc_out (in), "requesting snapshot", NULL);
    assert_true (lines <= 10);
    assert_true (e2e_lines (e2e_proc_out (in)) < 100);
}

static void
test_forged_epoch_ends_in_few_snapshots (void **state)
{
    s_forged_delta (*state, "{\"epoch\": \"EVIL\", \"seq\": 1, \"is_snapshot\": false, \"state\": {\"evil\": 1}}");
}

static void
test_seq_2_53_does_not_freeze_delta (void **state)
{
    s_forged_delta (*state, "{\"epoch\": \"E1\", \"seq\": " S_SEQ_2_53 ", \"is_snapshot\": false, "
                            "\"state\": {\"evil\": 1}}");
}

static void
test_seq_2_53_does_not_freeze_full (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    s_owner_t owner;
    s_owner_start (&owner, pub_port, rep_port, "E1");
    snprintf (owner.value, sizeof owner.value, "{\"n\": 0, \"even\": true}");
    e2e_proc_t *in = s_in_side (dir, "full_sub", "level", pub_port, rep_port);
    S_ASSERT_SERVED (&owner, in, "update state={\"n\":0,\"even\":true}", E2E_LOG_MS);
    int before = owner.requests;
    s_send (&owner, "{\"epoch\": \"E1\", \"seq\": " S_SEQ_2_53 ", \"is_snapshot\": true, "
                    "\"state\": {\"n\": 666, \"even\": true}}");
    s_serve (&owner, in, NULL, 1000);
    //  The owner's next whole value: the in side must take it.
    s_publish (&owner, "{\"n\": 1, \"even\": false}", true, "{\"n\": 1, \"even\": false}");
    S_ASSERT_SERVED (&owner, in, "update state={\"n\":1,\"even\":false}", E2E_LOG_MS);
    s_publish (&owner, "{\"n\": 2, \"even\": true}", true, "{\"n\": 2, \"even\": true}");
    S_ASSERT_SERVED (&owner, in, "update state={\"n\":2,\"even\":true}", E2E_LOG_MS);
    assert_true (owner.requests - before < 10);
}

static void
test_owner_replaced_mid_sync_converges (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    s_owner_t a;
    s_owner_start (&a, pub_port, rep_port, "A");
    e2e_proc_t *in = s_synced_delta (dir, &a, pub_port, rep_port);
    //  A loses an update (seq 2 never sent): the in side resyncs, and A
    //  dies before answering, with two more updates kept meanwhile.
    a.answer = false;
    a.seq++;
    s_publish (&a, "{\"x\": 3}", false, "{}");
    int asked = a.requests;
    s_serve (&a, in, NULL, 300);
    s_publish (&a, "{\"x\": 4}", false, "{}");
    s_serve (&a, in, NULL, 200);
    assert_true (a.requests > asked);           //  the resync was on its way
    s_owner_end (&a);

    //  B takes over the same addresses with a value of its own.
    s_owner_t b;
    s_owner_start (&b, pub_port, rep_port, "B");
    b.seq = 5;
    snprintf (b.value, sizeof b.value, "{\"b\": 1}");
    S_ASSERT_SERVED (&b, in, "update state={\"b\":1}", E2E_LOG_MS);
    s_serve (&b, in, NULL, 3000);
    print_message ("owner B got %d snapshot requests\n", b.requests);
    if (b.requests >= 10) {
        e2e_dump (in);
        fail_msg ("owner B got %d snapshot requests", b.requests);
    }
    s_publish (&b, "{\"c\": 2}", false, "{\"b\": 1, \"c\": 2}");
    S_ASSERT_SERVED (&b, in, "update state={\"b\":1,\"c\":2}", E2E_LOG_MS);
}

static void
test_flood_during_sync_keeps_memory_bounded (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    s_owner_t owner;
    s_owner_start (&owner, pub_port, rep_port, "E1");
    //  Block rather than drop when the in side reads slower than we send.
    zsock_set_xpub_nodrop (owner.pub, 1);
#if defined (__SANITIZE_ADDRESS__)
    //  AddressSanitizer keeps freed memory in a quarantine (256 MB by
    //  default), which would count in the in side's RSS; measure the in
    //  side's own memory instead.
    const char *asan = getenv ("ASAN_OPTIONS");
    char *saved = asan? e2e_fmt ("%s", asan): NULL;
    setenv ("ASAN_OPTIONS", e2e_fmt ("%s%squarantine_size_mb=1", asan? asan: "", asan? ":": ""), 1);
#endif
    e2e_proc_t *in = s_synced_delta (dir, &owner, pub_port, rep_port);
#if defined (__SANITIZE_ADDRESS__)
    if (saved)
        setenv ("ASAN_OPTIONS", saved, 1);
    else
        unsetenv ("ASAN_OPTIONS");
#endif
    //  A lost update starts a resync that the owner leaves unanswered while
    //  it publishes 40,000 updates of 20 KB.
    owner.answer = false;
    owner.seq++;
    s_publish (&owner, "{\"g\": 1}", false, "{}");
    s_serve (&owner, in, NULL, 200);
    enum { COUNT = 40000, SIZE = 20 * 1024 };
    char *blob = malloc (SIZE + 1);
    assert_non_null (blob);
    memset (blob, 'x', SIZE);
    blob [SIZE] = 0;
    char *update = malloc (SIZE + 200);
    assert_non_null (update);
    long long deadline = e2e_now_ms () + 120000;
    for (int i = 0; i < COUNT && e2e_now_ms () < deadline; i++) {
        owner.seq++;
        int len = snprintf (update, SIZE + 200, "{\"epoch\": \"E1\", \"seq\": %lld, \"is_snapshot\": false, "
                            "\"state\": {\"blob\": \"%s\"}}", owner.seq, blob);
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, "");
        zmsg_addmem (msg, update, (size_t) len);
        if (zmsg_send (&msg, owner.pub) < 0) {          //  send timeout: retry
            zmsg_destroy (&msg);
            owner.seq--;
            i--;
        }
        if (i % 1000 == 0)
            s_serve (&owner, in, NULL, 0);              //  keep counting requests
    }
    free (blob);
    free (update);
    assert_true (e2e_now_ms () < deadline);
    //  Now answer: the in side ends at the owner's value.
    owner.answer = true;
    snprintf (owner.value, sizeof owner.value, "{\"a\": 1, \"blob\": \"end\"}");
    S_ASSERT_SERVED (&owner, in, "update state={\"a\":1,\"blob\":\"end\"}", 30000);
    long hwm = e2e_peak_rss_kib (e2e_proc_pid (in));
    print_message ("in side peak RSS after 40,000 x 20 KB during a sync: %ld kB\n", hwm);
    assert_true (hwm > 0);
    //  The sync queue was capped (16 MiB) and dropped, not grown to 800 MB.
    //  ZeroMQ's receive buffer of the in side's SUB (100,000 messages) still
    //  holds what the loop has not read yet: 160-440 MB measured here, so
    //  the bound is loose; unfixed, the queue took 870-890 MB.
    assert_true (e2e_file_count (e2e_proc_out (in), "arrived while syncing; dropping them") >= 1);
    assert_true (hwm < 640 * 1024);
    s_publish (&owner, "{\"z\": 1}", false, "{\"a\": 1, \"blob\": \"end\", \"z\": 1}");
    S_ASSERT_SERVED (&owner, in, "update state={\"a\":1,\"blob\":\"end\",\"z\":1}", E2E_LOG_MS);
}

//  A snapshot reply over the in side's max_message_bytes (1024 here) is
//  refused as too_large, not applied, and the in side asks again; a
//  snapshot that fits then syncs it.
static void
test_oversized_snapshot_is_refused (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    s_owner_t owner;
    s_owner_start (&owner, pub_port, rep_port, "E1");
    e2e_proc_t *in = s_in_side (dir, "state_sub_small", "book", pub_port, rep_port);
    char pad [4001];
    memset (pad, 'x', sizeof pad - 1);
    pad [sizeof pad - 1] = 0;
    int big_replies = 0;
    long long deadline = e2e_now_ms () + E2E_LOG_MS;
    while (big_replies < 2 && e2e_now_ms () < deadline) {
        zmq_pollitem_t items [] = { { zsock_resolve (owner.pub), 0, ZMQ_POLLIN, 0 },
                                    { zsock_resolve (owner.router), 0, ZMQ_POLLIN, 0 } };
        zmq_poll (items, 2, 20);
        if (items [0].revents & ZMQ_POLLIN) {
            zmsg_t *sub = zmsg_recv (owner.pub);
            zmsg_destroy (&sub);
        }
        if (e2e_now_ms () - owner.last_beat >= 200)
            s_heartbeat (&owner);
        if (items [1].revents & ZMQ_POLLIN) {
            zmsg_t *request = zmsg_recv (owner.router);
            zframe_t *id = zmsg_pop (request);
            zmsg_t *reply = zmsg_new ();
            zmsg_append (reply, &id);
            zmsg_addstr (reply, "");
            zmsg_addstrf (reply, "{\"return_args\": {\"epoch\": \"E1\", \"seq\": 0, \"state\": {\"pad\": \"%s\"}}}", pad);
            zmsg_send (&reply, owner.router);
            zmsg_destroy (&request);
            big_replies++;
        }
    }
    if (big_replies < 2) {
        e2e_dump (in);
        fail_msg ("the in side asked %d times, not again after an oversized snapshot", big_replies);
    }
    assert_int_equal (e2e_file_count (e2e_proc_out (in), "update state="), 0);
    assert_true (e2e_file_count (e2e_proc_out (in), "over max_message_bytes 1024") >= 1);
    //  A snapshot that fits: synced, on_update called.
    S_ASSERT_SERVED (&owner, in, "update state={}", E2E_LOG_MS);
    assert_int_equal (e2e_file_count (e2e_proc_out (in), "pad"), 0);
}

//  The owner's publisher sends an update frame over the in side's cap:
//  libzmq drops it and ends the link for good (a protocol error). The in
//  side notices the silence and links again; later updates arrive.
static void
test_oversized_update_then_links_again (void **state)
{
    const char *dir = *state;
    int pub_port = e2e_tcp_port (), rep_port = e2e_tcp_port ();
    s_owner_t owner;
    s_owner_start (&owner, pub_port, rep_port, "E1");
    e2e_proc_t *in = s_synced_delta (dir, &owner, pub_port, rep_port);
    size_t size = (64u << 20) + (2u << 20);     //  over 64 MiB + 1 MiB + 4 kB, the default cap
    char *data = malloc (size);
    assert_non_null (data);
    memset (data, ' ', size);
    zmsg_t *big = zmsg_new ();
    zmsg_addmem (big, "", 0);
    zmsg_addmem (big, data, size);
    free (data);
    assert_int_equal (zmsg_send (&big, owner.pub), 0);
    S_ASSERT_SERVED (&owner, in, "owner lost", E2E_LOG_MS * 3);
    s_publish (&owner, "{\"b\": 2}", false, "{\"a\": 1, \"b\": 2}");
    S_ASSERT_SERVED (&owner, in, "update state={\"a\":1,\"b\":2}", E2E_LOG_MS * 3);
    s_owner_end (&owner);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, s_teardown)
        T (test_forged_epoch_ends_in_few_snapshots),
        T (test_seq_2_53_does_not_freeze_delta),
        T (test_seq_2_53_does_not_freeze_full),
        T (test_oversized_update_then_links_again),
        T (test_oversized_snapshot_is_refused),
        T (test_owner_replaced_mid_sync_converges),
        T (test_flood_during_sync_keeps_memory_bounded),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
