/*  e2e_backpressure - a publisher with stalled subscribers: what the others get, what memory it takes.

    flood_pub (main mode) publishes probes until the test has seen each
    subscriber join, then floods. A stalled subscriber is a raw SUB with a
    receive high-water mark of 1 and a small kernel buffer that reads one
    probe and then nothing. on_full "drop": a healthy subscriber beside a
    stalled one gets every message, the drops are counted and logged once
    (with a 1 MiB queue_bytes, so the stalled queue fills).
    on_full "block": three stalled subscribers and 50 KB messages make
    svcfw_to_send fail after send_timeout_ms, as documented, with the
    publisher's peak memory bounded by queue_bytes per subscriber.
*/
#include "e2e.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_DROP_COUNT 100000
#define S_BLOCK_COUNT 6000
#define S_BLOCK_PAD 50000
#define S_QUEUE_MIB 32              //  the publisher's default queue_bytes, in MiB

//  A raw SUB to endpoint, all topics, that the test destroys itself.
static zsock_t *
s_sub (const char *endpoint, int rcvhwm, int rcvbuf)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    assert_non_null (sub);
    zsock_set_linger (sub, 0);
    zsock_set_rcvhwm (sub, rcvhwm);
    if (rcvbuf > 0)
        zsock_set_rcvbuf (sub, rcvbuf);
    zsock_set_rcvtimeo (sub, 1000);
    zsock_set_subscribe (sub, "");
    assert_int_equal (zsock_connect (sub, "%s", endpoint), 0);
    return sub;
}

//  The "n" of a published [topic][envelope] message, or INT_MIN if it is
//  not one.
static int
s_message_n (zmsg_t *msg)
{
    int n = -2;
    zframe_t *body = zmsg_size (msg) == 2? zmsg_last (msg): NULL;
    cJSON *env = body? cJSON_ParseWithLength ((const char *) zframe_data (body), zframe_size (body)): NULL;
    const cJSON *value = cJSON_GetObjectItemCaseSensitive (cJSON_GetObjectItemCaseSensitive (env, "args"), "n");
    if (cJSON_IsNumber (value))
        n = value->valueint;
    cJSON_Delete (env);
    return n;
}

//  Waits (bounded) until `sub` has received a probe: it has joined.
static void
s_assert_joined (zsock_t *sub, e2e_proc_t *svc, const char *what)
{
    long long deadline = e2e_now_ms () + E2E_READY_MS;
    while (e2e_now_ms () < deadline) {
        zmsg_t *msg = zmsg_recv (sub);
        if (msg) {
            zmsg_destroy (&msg);
            return;
        }
    }
    e2e_dump (svc);
    fail_msg ("%s never got a probe", what);
}

static e2e_proc_t *
s_flood_pub (const char *dir, int port, const char *go_file, int count, int pad, const char *creation)
{
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("flood_pub"),
        e2e_fmt ("{\"connections\": {\"in\": {}, \"out\": {\"flood\": {\"publisher\": \"%s\"}}}}",
                 e2e_addr (port)),
        e2e_fmt ("{\"count\": %d, \"pad_bytes\": %d, \"go_file\": \"%s\", \"creation\": %s}",
                 count, pad, go_file, creation), "-m", NULL);
    E2E_ASSERT_READY (svc);
    return svc;
}

static void
test_drop_only_for_the_stalled (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *go_file = e2e_fmt ("%s/go", dir);
    //  A queue of 1 MiB (about 3,000 of these messages, where the default
    //  32 MiB would hold all of them): the stalled one's fills for sure.
    e2e_proc_t *svc = s_flood_pub (dir, port, go_file, S_DROP_COUNT, 200,
                                   "{\"on_full\": \"drop\", \"queue_bytes\": 1048576}");
    //  The healthy one takes whatever it is given (no receive limit); the
    //  stalled one stops reading after its first probe.
    zsock_t *healthy = s_sub (e2e_endpoint (port), 0, 0);
    zsock_t *stalled = s_sub (e2e_endpoint (port), 1, 4096);
    s_assert_joined (healthy, svc, "the healthy subscriber");
    s_assert_joined (stalled, svc, "the stalled subscriber");
    assert_non_null (e2e_write_file (dir, "go", ""));

    unsigned char *seen = calloc (S_DROP_COUNT, 1);
    assert_non_null (seen);
    int received = 0;
    long long deadline = e2e_now_ms () + 60000;
    while (received < S_DROP_COUNT && e2e_now_ms () < deadline) {
        zmsg_t *msg = zmsg_recv (healthy);
        if (!msg)
            continue;
        int n = s_message_n (msg);
        zmsg_destroy (&msg);
        if (n >= 0 && n < S_DROP_COUNT && !seen [n]) {
            seen [n] = 1;
            received++;
        }
    }
    free (seen);
    zsock_destroy (&healthy);
    E2E_ASSERT_LOG (svc, e2e_fmt ("flood done: sent %d failed 0", S_DROP_COUNT), 60000);
    if (received != S_DROP_COUNT) {
        e2e_dump (svc);
        fail_msg ("the healthy subscriber got %d of %d (%d lost)", received, S_DROP_COUNT,
                  S_DROP_COUNT - received);
    }
    //  Drops are counted and logged once, the total at shutdown.
    int warnings = e2e_line_count (e2e_proc_out (svc), "flood: a subscriber's queue is full", " WARNING ");
    int status;
    assert_true (e2e_stop (svc, SIGTERM, 5000, &status));
    zsock_destroy (&stalled);
    char *total = e2e_grep (e2e_proc_out (svc), "messages found a subscriber's queue full");
    long dropped = total? strtol (strstr (total, "flood: ") + 7, NULL, 10): 0;
    print_message ("healthy: %d of %d; dropped for the stalled one: %ld\n", received, S_DROP_COUNT, dropped);
    if (warnings != 1 || dropped <= 0 || dropped > S_DROP_COUNT) {
        e2e_dump (svc);
        fail_msg ("expected one WARNING and a total of drops at shutdown, got %d WARNING, total %ld",
                  warnings, dropped);
    }
}

static void
test_block_bounds_memory (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *go_file = e2e_fmt ("%s/go", dir);
    e2e_small_asan_quarantine ();        //  the bound is about the publisher's queues
    e2e_proc_t *svc = s_flood_pub (dir, port, go_file, S_BLOCK_COUNT, S_BLOCK_PAD, "{\"send_timeout_ms\": 500}");
    zsock_t *stalled [3];
    for (int i = 0; i < 3; i++) {
        stalled [i] = s_sub (e2e_endpoint (port), 1, 4096);
        s_assert_joined (stalled [i], svc, "a stalled subscriber");
    }
    assert_non_null (e2e_write_file (dir, "go", ""));
    //  It fails after send_timeout_ms, as documented, instead of queueing
    //  all S_BLOCK_COUNT x 50 KB (300 MB).
    E2E_ASSERT_LOG (svc, "flood done: ", 60000);
    long hwm_kib = e2e_peak_rss_kib (e2e_proc_pid (svc));
    char *failure = e2e_grep (e2e_proc_out (svc), "failed: ");
    char *done = e2e_grep (e2e_proc_out (svc), "flood done: ");
    for (int i = 0; i < 3; i++)
        zsock_destroy (&stalled [i]);
    long bound_kib = (3 * S_QUEUE_MIB + 64) * 1024L;
    print_message ("%s; publisher peak RSS %ld KiB (bound %ld KiB)\n", done, hwm_kib, bound_kib);
    if (!failure || !strstr (failure, "a subscriber took nothing for 500 ms (on_full: block); not sent")
    ||  !strstr (done, "failed 1")) {
        e2e_dump (svc);
        fail_msg ("expected svcfw_to_send to fail after send_timeout_ms with the documented error");
    }
    if (hwm_kib <= 0 || hwm_kib > bound_kib) {
        e2e_dump (svc);
        fail_msg ("publisher peak RSS %ld KiB, over %ld KiB (3 subscribers x queue_bytes %d MiB + 64 MiB)",
                  hwm_kib, bound_kib, S_QUEUE_MIB);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_drop_only_for_the_stalled),
        T (test_block_bounds_memory),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
