/*  test_metrics - the metrics registry: exact counts from several threads,
    a handler thread's tally added in one go,
    cumulative histogram buckets with +Inf, label escaping, HELP/TYPE for
    every family, process metrics, and no id-like labels.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <cmocka.h>
#include "metrics.h"

static int
s_reset (void **state)
{
    (void) state;
    metrics_reset ();
    return 0;
}

static void *
s_count (void *arg)
{
    metrics_conn_t *conn = arg;
    for (int i = 0; i < 100000; i++)
        metrics_message (conn, true, METRICS_OK);
    return NULL;
}

static void
test_counts_from_threads_are_exact (void **state)
{
    (void) state;
    metrics_conn_t *conn = metrics_conn ("orders", METRICS_IN);
    pthread_t threads [4];
    for (int i = 0; i < 4; i++)
        assert_int_equal (pthread_create (&threads [i], NULL, s_count, conn), 0);
    for (int i = 0; i < 4; i++)
        pthread_join (threads [i], NULL);
    metrics_fault ("orders", "invalid_args");
    metrics_fault ("orders", "invalid_args");
    char *text = metrics_render ();
    assert_non_null (text);
    assert_non_null (strstr (text, "svcfw_messages_total{connection=\"orders\",direction=\"in\",outcome=\"ok\"} 400000\n"));
    assert_non_null (strstr (text, "svcfw_messages_total{connection=\"orders\",direction=\"in\",outcome=\"invalid_args\"} 2\n"));
    //  an outcome never seen is not a series; ok is, for the connection's direction
    assert_null (strstr (text, "outcome=\"too_large\""));
    assert_null (strstr (text, "direction=\"out\""));
    free (text);
}

static void
test_histogram_is_cumulative_with_inf (void **state)
{
    (void) state;
    metrics_conn_t *conn = metrics_conn ("pricer", METRICS_OUT | METRICS_REQUESTER);
    metrics_request (conn, METRICS_OK, metrics_now ());                         //  ~0 s: first bucket
    metrics_request (conn, METRICS_TIMEOUT, metrics_now () - 3000000000LL);     //  3 s: le 5
    metrics_request (conn, METRICS_TIMEOUT, metrics_now () - 20000000000LL);    //  20 s: only +Inf
    char *text = metrics_render ();
    assert_non_null (text);
    assert_non_null (strstr (text, "svcfw_request_seconds_bucket{connection=\"pricer\",le=\"0.0005\"} 1\n"));
    assert_non_null (strstr (text, "svcfw_request_seconds_bucket{connection=\"pricer\",le=\"2.5\"} 1\n"));
    assert_non_null (strstr (text, "svcfw_request_seconds_bucket{connection=\"pricer\",le=\"5\"} 2\n"));
    assert_non_null (strstr (text, "svcfw_request_seconds_bucket{connection=\"pricer\",le=\"10\"} 2\n"));
    assert_non_null (strstr (text, "svcfw_request_seconds_bucket{connection=\"pricer\",le=\"+Inf\"} 3\n"));
    assert_non_null (strstr (text, "svcfw_request_seconds_count{connection=\"pricer\"} 3\n"));
    const char *sum = strstr (text, "svcfw_request_seconds_sum{connection=\"pricer\"} ");
    assert_non_null (sum);
    double seconds = strtod (sum + strlen ("svcfw_request_seconds_sum{connection=\"pricer\"} "), NULL);
    assert_true (seconds >= 23.0 && seconds < 24.0);
    assert_non_null (strstr (text, "svcfw_requests_total{connection=\"pricer\",outcome=\"timeout\"} 2\n"));
    assert_non_null (strstr (text, "svcfw_messages_total{connection=\"pricer\",direction=\"out\",outcome=\"timeout\"} 2\n"));
    free (text);
}

//  s_has: the rendered text holds that line.
static bool
s_has (const char *line)
{
    char *text = metrics_render ();
    assert_non_null (text);
    bool has = strstr (text, line) != NULL;
    free (text);
    return has;
}

//  A tally adds nothing until it ends or has held its calls for
//  METRICS_TALLY_NS; then the counts are what per-message counting gives,
//  and the running gauge counted it while it lasted.
static void
test_tally_adds_its_calls (void **state)
{
    (void) state;
    metrics_conn_t *conn = metrics_conn ("ticks", METRICS_IN);
    metrics_tally_t tally;
    int64_t now = 1000000000;
    metrics_tally_begin (&tally, conn, now);
    assert_true (s_has ("svcfw_handlers_running{connection=\"ticks\"} 1\n"));
    metrics_tally_call (&tally, 100000, METRICS_OK, now);                   //  0.1 ms: le 0.0005
    metrics_tally_call (&tally, 3000000, METRICS_OK, now);                  //  3 ms: le 0.005
    metrics_tally_call (&tally, 20000000000LL, METRICS_HANDLER_FAILED, now);   //  20 s: +Inf only
    assert_true (s_has ("svcfw_handler_seconds_count{connection=\"ticks\"} 0\n"));
    //  Held for METRICS_TALLY_NS: the next call adds all four.
    metrics_tally_call (&tally, -5, METRICS_OK, now + METRICS_TALLY_NS);     //  a clock step back: 0
    assert_true (s_has ("svcfw_handler_seconds_bucket{connection=\"ticks\",le=\"0.0005\"} 2\n"));
    assert_true (s_has ("svcfw_handler_seconds_bucket{connection=\"ticks\",le=\"0.005\"} 3\n"));
    assert_true (s_has ("svcfw_handler_seconds_bucket{connection=\"ticks\",le=\"10\"} 3\n"));
    assert_true (s_has ("svcfw_handler_seconds_count{connection=\"ticks\"} 4\n"));
    assert_true (s_has ("svcfw_messages_total{connection=\"ticks\",direction=\"in\",outcome=\"ok\"} 3\n"));
    assert_true (s_has ("svcfw_messages_total{connection=\"ticks\",direction=\"in\",outcome=\"handler_failed\"} 1\n"));
    metrics_tally_call (&tally, 700000, METRICS_OK, now + METRICS_TALLY_NS + 1);   //  0.7 ms: le 0.001
    metrics_tally_end (&tally);
    assert_true (s_has ("svcfw_handler_seconds_bucket{connection=\"ticks\",le=\"0.001\"} 3\n"));
    assert_true (s_has ("svcfw_handler_seconds_count{connection=\"ticks\"} 5\n"));
    assert_true (s_has ("svcfw_messages_total{connection=\"ticks\",direction=\"in\",outcome=\"ok\"} 4\n"));
    assert_true (s_has ("svcfw_handlers_running{connection=\"ticks\"} 0\n"));
    char *text = metrics_render ();
    const char *sum = strstr (text, "svcfw_handler_seconds_sum{connection=\"ticks\"} ");
    assert_non_null (sum);
    double seconds = strtod (sum + strlen ("svcfw_handler_seconds_sum{connection=\"ticks\"} "), NULL);
    assert_true (seconds > 20.00379 && seconds < 20.00381);
    free (text);
    //  Without a record (metrics off) a tally counts nothing and does not fail.
    metrics_tally_begin (&tally, NULL, now);
    metrics_tally_call (&tally, 1000, METRICS_OK, now + METRICS_TALLY_NS);
    metrics_tally_end (&tally);
}

static void
test_every_family_has_help_and_type (void **state)
{
    (void) state;
    metrics_conn ("a\"b\\c\nd", METRICS_IN);
    char *text = metrics_render ();
    assert_non_null (text);
    const char *families [] = {
        "svcfw_messages_total counter", "svcfw_handler_seconds histogram", "svcfw_handlers_running gauge",
        "svcfw_requests_total counter", "svcfw_request_seconds histogram", "svcfw_circuit_state gauge",
        "svcfw_outbox_pending gauge", "svcfw_publisher_dropped_total counter", "svcfw_state_seq gauge",
        "svcfw_state_resyncs_total counter", "svcfw_auth_denied_total counter",
        "process_resident_memory_bytes gauge", "process_cpu_seconds_total counter",
        "process_start_time_seconds gauge"
    };
    for (size_t i = 0; i < sizeof families / sizeof families [0]; i++) {
        char line [128], name [96];
        snprintf (line, sizeof line, "# TYPE %s\n", families [i]);
        assert_non_null (strstr (text, line));
        sscanf (families [i], "%95s", name);
        snprintf (line, sizeof line, "# HELP %s ", name);
        assert_non_null (strstr (text, line));
    }
    //  the label value is escaped as the exposition format says
    assert_non_null (strstr (text, "svcfw_handlers_running{connection=\"a\\\"b\\\\c\\nd\"} 0\n"));
    //  the process's resident memory is read from /proc: more than a megabyte
    const char *rss = strstr (text, "\nprocess_resident_memory_bytes ");
    assert_non_null (rss);
    assert_true (strtod (rss + strlen ("\nprocess_resident_memory_bytes "), NULL) > 1e6);
    free (text);
}

static void
test_states_and_gauges (void **state)
{
    (void) state;
    metrics_state_t *book = metrics_state ("book");
    metrics_state_seq (book, false, 41);
    metrics_state_seq (book, false, 42);
    metrics_state_resync (book, "gap");
    metrics_state_resync (book, "some 12345 id-like text");      //  never a label value: "other"
    metrics_conn_t *pub = metrics_conn ("ticks", METRICS_OUT | METRICS_PUBLISHER);
    metrics_publisher_dropped (pub);
    metrics_conn_t *req = metrics_conn ("pay", METRICS_OUT | METRICS_REQUESTER | METRICS_BREAKER | METRICS_OUTBOX);
    metrics_circuit (req, 1);
    metrics_outbox_pending (req, 5);
    metrics_outbox_add (req, -2);
    char *text = metrics_render ();
    assert_non_null (text);
    assert_non_null (strstr (text, "svcfw_state_seq{state=\"book\",side=\"in\"} 42\n"));
    assert_null (strstr (text, "side=\"out\""));
    assert_non_null (strstr (text, "svcfw_state_resyncs_total{state=\"book\",reason=\"gap\"} 1\n"));
    assert_non_null (strstr (text, "svcfw_state_resyncs_total{state=\"book\",reason=\"other\"} 1\n"));
    assert_non_null (strstr (text, "svcfw_publisher_dropped_total{connection=\"ticks\"} 1\n"));
    assert_non_null (strstr (text, "svcfw_circuit_state{connection=\"pay\"} 1\n"));
    assert_non_null (strstr (text, "svcfw_outbox_pending{connection=\"pay\"} 3\n"));
    //  (Not "12345" alone: the process's own figures may hold those digits.)
    assert_null (strstr (text, "id-like"));
    assert_null (strstr (text, "some 12345"));
    free (text);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup (test_counts_from_threads_are_exact, s_reset),
        cmocka_unit_test_setup (test_histogram_is_cumulative_with_inf, s_reset),
        cmocka_unit_test_setup (test_tally_adds_its_calls, s_reset),
        cmocka_unit_test_setup (test_every_family_has_help_and_type, s_reset),
        cmocka_unit_test_setup (test_states_and_gauges, s_reset),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
