/*  e2e_pubsub - publish/subscribe through the real svcfw: topics, wire frames, x_pub.

    ticker_pub (main mode) has two connecting publishers, topics "A" and "B";
    listener_a binds and subscribes to "A", listener_all binds and hears
    every topic; producer (main mode) binds one publisher without a topic.
*/
#include "e2e.h"

#include <stdio.h>
#include <string.h>

static char *
s_ticker_addresses (int port)
{
    return e2e_fmt ("{\"connections\": {\"in\": {}, \"out\": {"
                    "\"ticks_a\": {\"publisher\": \"%s\"}, "
                    "\"ticks_b\": {\"publisher\": \"%s\"}}}}", e2e_addr (port), e2e_addr (port));
}

//  A subscriber and a publisher named "ticks" on one port: a service of
//  each plugin (counting_sub, burst_pub) can be given the same file.
static char *
s_ticks_addresses (int port)
{
    return e2e_fmt ("{\"connections\": {\"in\": {\"ticks\": {\"subscriber\": \"%s\"}}, "
                    "\"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}", e2e_addr (port), e2e_addr (port));
}

static char *
s_listener_addresses (int port)
{
    return e2e_fmt ("{\"connections\": {\"in\": {\"ticks\": {\"subscriber\": \"%s\"}}, "
                    "\"out\": {}}}", e2e_addr (port));
}

//  Waits until `proc` logged `needle` at least `count` times.
static void
s_assert_count (e2e_proc_t *proc, const char *needle, int count)
{
    if (!e2e_wait_count (e2e_proc_out (proc), needle, count, E2E_LOG_MS)) {
        e2e_dump (proc);
        fail_msg ("expected %d x \"%s\" within %d ms, got %d", count, needle, E2E_LOG_MS,
                  e2e_file_count (e2e_proc_out (proc), needle));
    }
}

static void
s_assert_clean_stop (e2e_proc_t *proc)
{
    int status;
    if (!e2e_stop (proc, SIGTERM, 2000, &status) || !WIFEXITED (status)
        || WEXITSTATUS (status) != 0) {
        e2e_dump (proc);
        fail_msg ("expected exit 0 within 2 s of SIGTERM, status %d", status);
    }
}

static void
test_topic_filter (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *listener = e2e_svcfw (dir, e2e_plugin ("listener_a"),
                                      s_listener_addresses (port), NULL, NULL);
    E2E_ASSERT_READY (listener);
    e2e_proc_t *ticker = e2e_svcfw (dir, e2e_plugin ("ticker_pub"), s_ticker_addresses (port),
                                    "{\"period_ms\": 10}", "-m", NULL);
    E2E_ASSERT_READY (ticker);

    //  The first A message heard is n=FIRST; once A n=FIRST+40 is heard,
    //  about forty B messages were sent to the same subscriber in between,
    //  on connections made at the same time. None may arrive.
    s_assert_count (listener, "heard src=A ", 1);
    int first;
    char wf [64];
    char *line = e2e_grep (e2e_proc_out (listener), "heard src=A ");
    assert_non_null (line);
    assert_int_equal (sscanf (strstr (line, "heard src=A "), "heard src=A n=%d wf=%63s",
                              &first, wf), 2);
    E2E_ASSERT_LOG (listener, e2e_fmt ("heard src=A n=%d ", first + 40), E2E_LOG_MS);
    assert_non_null (e2e_grep (e2e_proc_out (ticker), e2e_fmt ("sent B n=%d ", first + 40)));
    assert_int_equal (e2e_file_count (e2e_proc_out (listener), "src=B"), 0);

    //  A heard message carries the publisher's workflow id: a fresh UUID
    //  for each send from svcfw_main.
    if (!e2e_match (wf, E2E_UUID_RE))
        fail_msg ("message from svcfw_main without a fresh UUID: %s", line);
    assert_int_equal (e2e_file_count (e2e_proc_out (ticker),
                                      e2e_fmt ("sent A n=%d wf=%s", first, wf)), 1);
    assert_non_null (e2e_grep (e2e_proc_out (listener), e2e_fmt ("[%s] heard src=A", wf)));

    s_assert_clean_stop (ticker);
    assert_int_equal (e2e_file_count (e2e_proc_out (listener), "src=B"), 0);
    s_assert_clean_stop (listener);
}

static void
test_binding_subscriber_two_publishers (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *listener = e2e_svcfw (dir, e2e_plugin ("listener_all"),
                                      s_listener_addresses (port), NULL, NULL);
    E2E_ASSERT_READY (listener);
    e2e_proc_t *ticker = e2e_svcfw (dir, e2e_plugin ("ticker_pub"), s_ticker_addresses (port),
                                    "{\"period_ms\": 10}", "-m", NULL);
    E2E_ASSERT_READY (ticker);
    s_assert_count (listener, "heard src=A ", 10);
    s_assert_count (listener, "heard src=B ", 10);
    s_assert_clean_stop (ticker);
    s_assert_clean_stop (listener);
}

static void
test_wire_frames_without_topic (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *producer = e2e_svcfw (dir, e2e_plugin ("producer"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}",
        e2e_addr (port)), "{\"period_ms\": 10}", "-m", NULL);
    E2E_ASSERT_READY (producer);
    zsock_t *sub = e2e_sub (e2e_endpoint (port), "");
    zmsg_t *msg = e2e_recv (sub);
    if (!msg) {
        e2e_dump (producer);
        fail_msg ("raw SUB heard nothing from the producer");
    }
    //  [empty topic][{"args": {...}, "workflow_id": UUID}]
    assert_int_equal (zmsg_size (msg), 2);
    assert_string_equal (e2e_frame_text (msg, 0), "");
    cJSON *envelope = cJSON_Parse (e2e_frame_text (msg, 1));
    assert_non_null (envelope);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive (envelope, "args");
    assert_true (cJSON_IsNumber (cJSON_GetObjectItemCaseSensitive (args, "n")));
    assert_string_equal (cJSON_GetObjectItemCaseSensitive (args, "src")->valuestring, "producer");
    const cJSON *wf = cJSON_GetObjectItemCaseSensitive (envelope, "workflow_id");
    assert_true (cJSON_IsString (wf) && e2e_match (wf->valuestring, E2E_UUID_RE));
    cJSON_Delete (envelope);
    s_assert_clean_stop (producer);
}

static void
test_wire_frames_with_topic (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    //  The ticker's publishers connect (is_x_pub), so the raw SUB binds.
    zsock_t *sub = e2e_sub_bind (e2e_endpoint (port), "B");
    assert_non_null (sub);
    e2e_proc_t *ticker = e2e_svcfw (dir, e2e_plugin ("ticker_pub"), s_ticker_addresses (port),
                                    "{\"period_ms\": 10}", "-m", NULL);
    E2E_ASSERT_READY (ticker);
    for (int i = 0; i < 3; i++) {
        zmsg_t *msg = e2e_recv (sub);
        if (!msg) {
            e2e_dump (ticker);
            fail_msg ("raw SUB heard nothing on topic B");
        }
        assert_int_equal (zmsg_size (msg), 2);
        assert_string_equal (e2e_frame_text (msg, 0), "B");
        cJSON *envelope = cJSON_Parse (e2e_frame_text (msg, 1));
        assert_non_null (envelope);
        const cJSON *src = cJSON_GetObjectItemCaseSensitive (
            cJSON_GetObjectItemCaseSensitive (envelope, "args"), "src");
        assert_true (cJSON_IsString (src));
        assert_string_equal (src->valuestring, "B");
        cJSON_Delete (envelope);
    }
    s_assert_clean_stop (ticker);
}

/* ---- min_subscribers (SPEC §8) ------------------------------------------ */

static e2e_proc_t *
s_waiting_pub (const char *dir, int port, const char *creation)
{
    return e2e_svcfw (dir, e2e_plugin ("waiting_pub"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}", e2e_addr (port)),
        e2e_fmt ("{\"creation\": %s}", creation), "-m", NULL);
}

//  Two subscribers to one topic are two joins: svcfw_main waits for the
//  second, and both hear every message.
static void
test_min_subscribers_waits_for_each (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *pub = s_waiting_pub (dir, port, "{\"min_subscribers\": 2}");
    E2E_ASSERT_READY (pub);
    zsock_t *first = e2e_sub (e2e_endpoint (port), "t");
    //  The first join alone does not start it (bounded look: 500 ms).
    assert_false (e2e_wait_log (pub, "main started", 500));
    zsock_t *second = e2e_sub (e2e_endpoint (port), "t");
    E2E_ASSERT_LOG (pub, "main started", E2E_LOG_MS);
    zsock_t *subs [] = { first, second };
    for (int i = 0; i < 2; i++)
        for (int n = 1; n <= 3; n++) {
            zmsg_t *msg = e2e_recv (subs [i]);
            if (!msg)
                fail_msg ("subscriber %d: message n=%d never arrived", i + 1, n);
            char *body = e2e_frame_text (msg, 1);
            if (!strstr (body, e2e_fmt ("\"n\":%d", n)))
                fail_msg ("subscriber %d: expected n=%d, got %s", i + 1, n, body);
        }
    int status;
    assert_true (e2e_wait_exit (pub, E2E_EXIT_MS, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

//  A counting_sub, then a burst_pub (main mode) with `config` that must
//  send its burst and exit 0; then every one of `count` messages must reach
//  the subscriber in order. Returns the subscriber, still running, and the
//  producer (exited) in *pub.
static e2e_proc_t *
s_burst (const char *dir, int count, const char *config, e2e_proc_t **pub)
{
    int port = e2e_tcp_port ();
    const char *addresses = s_ticks_addresses (port);
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("counting_sub"), addresses,
                                 e2e_fmt ("{\"count\": %d}", count), NULL);
    E2E_ASSERT_READY (sub);
    *pub = e2e_svcfw (dir, e2e_plugin ("burst_pub"), addresses, config, "-m", NULL);
    int status;
    if (!e2e_wait_exit (*pub, E2E_EXIT_MS * 4, &status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (*pub);
        fail_msg ("the producer did not send its burst and exit 0");
    }
    if (!e2e_wait_log (sub, e2e_fmt ("counted ALL %d (0 out of order)", count), E2E_LOG_MS * 2)) {
        assert_true (e2e_stop (sub, SIGTERM, E2E_EXIT_MS, NULL));
        e2e_dump (sub);
        fail_msg ("the subscriber did not hear all %d messages in order", count);
    }
    return sub;
}

//  A producer that exits right after its last send: every message it
//  published reaches an svcfw subscriber, in the order sent (the subscriber
//  hands messages to its handler thread in batches), including what was
//  still queued when it left (its link closes; nothing the subscriber had
//  received may be thrown away with it).
static void
test_producer_exit_loses_nothing (void **state)
{
    e2e_proc_t *pub;
    s_burst (*state, 200000, "{\"count\": 200000}", &pub);
}

//  Args that do not fit the publisher's model are refused with the
//  model's words, nothing of them is sent, and the messages around them go
//  on, in order.
static void
test_invalid_args_are_refused (void **state)
{
    e2e_proc_t *pub;
    e2e_proc_t *sub = s_burst (*state, 1000, "{\"count\": 1000, \"bad_at\": 500}", &pub);
    if (!e2e_wait_log (pub, "refused: ticks: invalid args: key 'n': expected int, got string", E2E_LOG_MS)) {
        e2e_dump (pub);
        fail_msg ("the bad args were not refused in the model's words");
    }
    assert_true (e2e_stop (sub, SIGTERM, E2E_EXIT_MS, NULL));
    assert_int_equal (e2e_file_count (e2e_proc_out (sub), "dropped invalid_args"), 0);
}

//  A subscriber slower than its publisher, with max_queue_bytes 4 MiB: it
//  takes in only that much ahead of its handler, so the publisher is held
//  back (on_full block) instead of the subscriber growing by all it was
//  sent (80 MB here), and every message arrives, in order.
static void
test_slow_subscriber_holds_publisher_back (void **state)
{
    const char *dir = *state;
    const int count = 40000;
    const int pad = 2000;
    int port = e2e_tcp_port ();
    e2e_small_asan_quarantine ();
#ifdef __SANITIZE_ADDRESS__
    const long bound_kib = 96 * 1024;
#else
    const long bound_kib = 32 * 1024;
#endif
    const char *addresses = s_ticks_addresses (port);
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("counting_sub"), addresses, e2e_fmt (
        "{\"count\": %d, \"handle_us\": 50, \"creation\": {\"max_queue_bytes\": 4194304}}", count), NULL);
    E2E_ASSERT_READY (sub);
    const char *hold = e2e_fmt ("%s/hold", dir);
    e2e_proc_t *pub = e2e_svcfw (dir, e2e_plugin ("burst_pub"), addresses, e2e_fmt (
        "{\"count\": %d, \"pad_bytes\": %d, \"hold_file\": \"%s\"}", count, pad, hold), "-m", NULL);
    if (!e2e_wait_log (sub, e2e_fmt ("counted ALL %d (0 out of order)", count), 60000)) {
        assert_true (e2e_stop (sub, SIGTERM, E2E_EXIT_MS, NULL));
        e2e_dump (pub);
        e2e_dump (sub);
        fail_msg ("the subscriber did not hear all %d messages", count);
    }
    long hwm_kib = e2e_peak_rss_kib (e2e_proc_pid (sub));
    assert_non_null (e2e_write_file (dir, "hold", ""));
    int status;
    if (!e2e_wait_exit (pub, E2E_EXIT_MS, &status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (pub);
        fail_msg ("the producer did not exit 0 once let go");
    }
    print_message ("slow subscriber: peak RSS %ld KiB for %d MB sent (bound %ld KiB)\n", hwm_kib,
                   count * pad / 1000000, bound_kib);
    if (hwm_kib <= 0 || hwm_kib > bound_kib) {
        e2e_dump (sub);
        fail_msg ("the slow subscriber's peak RSS is %ld KiB, over %ld KiB", hwm_kib, bound_kib);
    }
}

//  max_queue_bytes 1, the least: one message at a time is handed over, the
//  loop held after each until its handler has finished it; all arrive.
static void
test_subscriber_queue_of_one_message (void **state)
{
    const char *dir = *state;
    const int count = 5000;
    int port = e2e_tcp_port ();
    const char *addresses = s_ticks_addresses (port);
    e2e_proc_t *sub = e2e_svcfw (dir, e2e_plugin ("counting_sub"), addresses, e2e_fmt (
        "{\"count\": %d, \"creation\": {\"max_queue_bytes\": 1}}", count), NULL);
    E2E_ASSERT_READY (sub);
    e2e_proc_t *pub = e2e_svcfw (dir, e2e_plugin ("burst_pub"), addresses, e2e_fmt (
        "{\"count\": %d, \"hold_file\": \"%s/hold\"}", count, dir), "-m", NULL);
    if (!e2e_wait_log (sub, e2e_fmt ("counted ALL %d (0 out of order)", count), 60000)) {
        assert_true (e2e_stop (sub, SIGTERM, E2E_EXIT_MS, NULL));
        e2e_dump (pub);
        e2e_dump (sub);
        fail_msg ("the subscriber did not hear all %d messages", count);
    }
    assert_non_null (e2e_write_file (dir, "hold", ""));
    int status;
    assert_true (e2e_wait_exit (pub, E2E_EXIT_MS, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
}

//  Subscribers that do not join in time: startup fails in one line naming
//  the publisher, and nothing is published.
static void
test_min_subscribers_timeout (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *pub = s_waiting_pub (dir, port, "{\"min_subscribers\": 2, \"join_timeout_ms\": 300}");
    assert_non_null (pub);
    zsock_t *only = e2e_sub (e2e_endpoint (port), "t");
    (void) only;
    int status;
    assert_true (e2e_wait_exit (pub, E2E_EXIT_MS, &status));
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 1
    ||  !e2e_grep (e2e_proc_out (pub), "svcfw: error: connection_models.out.ticks: ")
    ||  !e2e_grep (e2e_proc_out (pub), "of min_subscribers 2 joined within join_timeout_ms 300; svcfw_main not started")
    ||  e2e_grep (e2e_proc_out (pub), "main started")) {
        e2e_dump (pub);
        fail_msg ("expected exit 1 with one line naming the publisher, and svcfw_main not run");
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_topic_filter),
        T (test_binding_subscriber_two_publishers),
        T (test_wire_frames_without_topic),
        T (test_wire_frames_with_topic),
        T (test_min_subscribers_waits_for_each),
        T (test_min_subscribers_timeout),
        T (test_producer_exit_loses_nothing),
        T (test_invalid_args_are_refused),
        T (test_slow_subscriber_holds_publisher_back),
        T (test_subscriber_queue_of_one_message),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
