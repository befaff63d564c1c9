/*  test_breaker - the circuit breaker's state machine, every transition, with an injected clock.

    Each test sets the clock by hand and checks the state, whether a call
    may go ahead and why not, and that each state change is logged once
    (the log goes to a file at DEBUG; the console only shows errors).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "breaker.h"
#include "log.h"

static int64_t s_clock;         //  the injected time, in ms
static char s_log_path [64];

static int64_t
s_now (void *arg)
{
    (void) arg;
    return s_clock;
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_log_path, sizeof s_log_path, "/tmp/test_breaker.XXXXXX");
    int fd = mkstemp (s_log_path);
    if (fd < 0)
        return -1;
    close (fd);
    char err [ERR_LEN];
    s_clock = 1000000;
    return log_open ("test_breaker", SVCFW_LOG_ERROR, s_log_path, SVCFW_LOG_DEBUG, err);
}

static int
s_teardown (void **state)
{
    (void) state;
    log_close ();
    unlink (s_log_path);
    return 0;
}

//  Lines of the log file that contain `needle`.
static int
s_logged (const char *needle)
{
    FILE *file = fopen (s_log_path, "r");
    if (!file)
        return 0;
    char line [1024];
    int count = 0;
    while (fgets (line, sizeof line, file))
        count += strstr (line, needle) != NULL;
    fclose (file);
    return count;
}

//  window 1000 ms (buckets of 100), 4 requests, 50 %, open 500 ms.
static breaker_t *
s_breaker (void)
{
    breaker_config_t config = { 1000, 4, 50, 500 };
    breaker_t *breaker = breaker_new ("orders", &config, s_now, NULL);
    assert_non_null (breaker);
    assert_int_equal (breaker_state (breaker), BREAKER_CLOSED);
    return breaker;
}

//  One call through the breaker: it must be allowed, and records `success`.
static void
s_call (breaker_t *breaker, bool success)
{
    char why [ERR_LEN] = "";
    if (!breaker_allow (breaker, why))
        fail_msg ("call refused in state %s: %s", breaker_state_name (breaker_state (breaker)), why);
    breaker_record (breaker, success);
}

static void
test_closed_needs_min_requests (void **state)
{
    (void) state;
    breaker_t *breaker = s_breaker ();
    //  Three failures: 100 % errors, but under min_requests.
    for (int i = 0; i < 3; i++)
        s_call (breaker, false);
    assert_int_equal (breaker_state (breaker), BREAKER_CLOSED);
    //  The fourth reaches min_requests: opens.
    s_call (breaker, false);
    assert_int_equal (breaker_state (breaker), BREAKER_OPEN);
    assert_int_equal (s_logged ("orders: circuit open: 4 of 4 calls failed in the last 1000 ms"), 1);
    breaker_destroy (&breaker);
    assert_null (breaker);
}

static void
test_closed_error_percent_threshold (void **state)
{
    (void) state;
    breaker_t *breaker = s_breaker ();
    //  3 ok + 2 failed = 40 %: stays closed.
    for (int i = 0; i < 3; i++)
        s_call (breaker, true);
    s_call (breaker, false);
    s_call (breaker, false);
    assert_int_equal (breaker_state (breaker), BREAKER_CLOSED);
    //  3 ok + 3 failed = 50 %: opens (the threshold is inclusive).
    s_call (breaker, false);
    assert_int_equal (breaker_state (breaker), BREAKER_OPEN);
    breaker_destroy (&breaker);
}

static void
test_successes_never_open_it (void **state)
{
    (void) state;
    breaker_t *breaker = s_breaker ();
    for (int i = 0; i < 100; i++) {
        s_call (breaker, true);
        s_clock += 7;
    }
    assert_int_equal (breaker_state (breaker), BREAKER_CLOSED);
    assert_int_equal (s_logged ("circuit"), 0);
    breaker_destroy (&breaker);
}

//  Outcomes older than the window stop counting.
static void
test_window_rolls (void **state)
{
    (void) state;
    breaker_t *breaker = s_breaker ();
    for (int i = 0; i < 3; i++)
        s_call (breaker, false);
    s_clock += 1100;                //  the three failures leave the window
    s_call (breaker, false);        //  one failure in the window: under min_requests
    assert_int_equal (breaker_state (breaker), BREAKER_CLOSED);
    s_clock += 500;                 //  still inside: 2, 3, 4 failures
    s_call (breaker, false);
    s_call (breaker, false);
    assert_int_equal (breaker_state (breaker), BREAKER_CLOSED);
    s_call (breaker, false);
    assert_int_equal (breaker_state (breaker), BREAKER_OPEN);
    breaker_destroy (&breaker);
}

//  Open: refuses at once, saying so, until open_ms; refused calls are not counted.
static void
test_open_fails_fast_until_open_ms (void **state)
{
    (void) state;
    breaker_t *breaker = s_breaker ();
    for (int i = 0; i < 4; i++)
        s_call (breaker, false);
    assert_int_equal (breaker_state (breaker), BREAKER_OPEN);
    char why [ERR_LEN] = "";
    for (int i = 0; i < 50; i++) {
        assert_false (breaker_allow (breaker, why));
        s_clock += 9;               //  450 ms in all: not yet open_ms
    }
    assert_non_null (strstr (why, "circuit open"));
    assert_non_null (strstr (why, "next trial in 59 ms"));
    assert_int_equal (breaker_state (breaker), BREAKER_OPEN);
    s_clock += 49;                  //  499 ms
    assert_false (breaker_allow (breaker, why));
    assert_int_equal (s_logged ("circuit open"), 1);
    breaker_destroy (&breaker);
}

//  Open → half-open after open_ms: exactly one trial; others still refused.
static void
test_open_to_half_open_one_trial (void **state)
{
    (void) state;
    breaker_t *breaker = s_breaker ();
    for (int i = 0; i < 4; i++)
        s_call (breaker, false);
    s_clock += 500;
    char why [ERR_LEN] = "";
    assert_true (breaker_allow (breaker, why));
    assert_int_equal (breaker_state (breaker), BREAKER_HALF_OPEN);
    assert_false (breaker_allow (breaker, why));
    assert_non_null (strstr (why, "trial call is in flight"));
    assert_int_equal (s_logged ("orders: circuit half-open: one trial call after 500 ms open"), 1);
    breaker_destroy (&breaker);
}

//  Half-open → closed on the trial's success, with an empty window.
static void
test_half_open_success_closes (void **state)
{
    (void) state;
    breaker_t *breaker = s_breaker ();
    for (int i = 0; i < 4; i++)
        s_call (breaker, false);
    s_clock += 600;
    s_call (breaker, true);
    assert_int_equal (breaker_state (breaker), BREAKER_CLOSED);
    assert_int_equal (s_logged ("orders: circuit closed: the trial call succeeded"), 1);
    //  The failures before the trial are forgotten: three more do not open it.
    for (int i = 0; i < 3; i++)
        s_call (breaker, false);
    assert_int_equal (breaker_state (breaker), BREAKER_CLOSED);
    s_call (breaker, false);
    assert_int_equal (breaker_state (breaker), BREAKER_OPEN);
    assert_int_equal (s_logged ("circuit open:"), 2);
    breaker_destroy (&breaker);
}

//  Half-open → open on the trial's failure, for another open_ms from then.
static void
test_half_open_failure_reopens (void **state)
{
    (void) state;
    breaker_t *breaker = s_breaker ();
    for (int i = 0; i < 4; i++)
        s_call (breaker, false);
    s_clock += 500;
    s_call (breaker, false);        //  the trial fails
    assert_int_equal (breaker_state (breaker), BREAKER_OPEN);
    assert_int_equal (s_logged ("orders: circuit open again: the trial call failed"), 1);
    char why [ERR_LEN];
    s_clock += 499;
    assert_false (breaker_allow (breaker, why));
    s_clock += 1;
    assert_true (breaker_allow (breaker, why));     //  the next trial
    assert_int_equal (breaker_state (breaker), BREAKER_HALF_OPEN);
    breaker_record (breaker, true);
    assert_int_equal (breaker_state (breaker), BREAKER_CLOSED);
    //  Every change was logged once: open, half-open, open again, half-open, closed.
    assert_int_equal (s_logged ("circuit open:"), 1);
    assert_int_equal (s_logged ("circuit half-open"), 2);
    assert_int_equal (s_logged ("circuit open again"), 1);
    assert_int_equal (s_logged ("circuit closed"), 1);
    breaker_destroy (&breaker);
}

//  The creation argument: true, false, an object, and its faults.
static void
test_config_parse (void **state)
{
    (void) state;
    breaker_config_t config;
    bool enabled;
    char err [ERR_LEN];
    struct { const char *text; int rc; bool enabled; breaker_config_t want; const char *error; } cases [] = {
        { "true", 0, true, { 10000, 20, 50, 5000 }, NULL },
        { "false", 0, false, { 10000, 20, 50, 5000 }, NULL },
        { "{}", 0, true, { 10000, 20, 50, 5000 }, NULL },
        { "{\"open_ms\": 250, \"min_requests\": 5}", 0, true, { 10000, 5, 50, 250 }, NULL },
        { "{\"window_ms\": 10, \"min_requests\": 1, \"error_percent\": 100, \"open_ms\": 1}", 0, true,
          { 10, 1, 100, 1 }, NULL },
        { "{\"error_percent\": 0}", -1, true, { 0 }, "'breaker.error_percent' must be in 1..100, got 0" },
        { "{\"error_percent\": 101}", -1, true, { 0 }, "'breaker.error_percent' must be in 1..100" },
        { "{\"window_ms\": 9}", -1, true, { 0 }, "'breaker.window_ms' must be in 10.." },
        { "{\"open_ms\": 0}", -1, true, { 0 }, "'breaker.open_ms' must be in 1.." },
        { "{\"min_requests\": 1.5}", -1, true, { 0 }, "'breaker.min_requests' must be an int" },
        { "{\"min_requests\": \"20\"}", -1, true, { 0 }, "'breaker.min_requests' must be an int" },
        { "{\"sleep_ms\": 5}", -1, true, { 0 }, "'breaker' has unknown key 'sleep_ms'" },
        { "5", -1, true, { 0 }, "'breaker' must be true, false or an object" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        cJSON *value = cJSON_Parse (cases [i].text);
        assert_non_null (value);
        *err = 0;
        int rc = breaker_config_parse (value, &config, &enabled, err);
        cJSON_Delete (value);
        if (rc != cases [i].rc)
            fail_msg ("%s: rc %d, want %d (%s)", cases [i].text, rc, cases [i].rc, err);
        assert_int_equal (enabled, cases [i].enabled);
        if (rc == 0) {
            assert_int_equal (config.window_ms, cases [i].want.window_ms);
            assert_int_equal (config.min_requests, cases [i].want.min_requests);
            assert_int_equal (config.error_percent, cases [i].want.error_percent);
            assert_int_equal (config.open_ms, cases [i].want.open_ms);
        }
        else if (!strstr (err, cases [i].error))
            fail_msg ("%s: error \"%s\" lacks \"%s\"", cases [i].text, err, cases [i].error);
    }
    assert_int_equal (breaker_config_parse (NULL, &config, &enabled, err), 0);
    assert_false (enabled);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_closed_needs_min_requests, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_closed_error_percent_threshold, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_successes_never_open_it, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_window_rolls, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_open_fails_fast_until_open_ms, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_open_to_half_open_one_trial, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_half_open_success_closes, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_half_open_failure_reopens, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown (test_config_parse, s_setup, s_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
