/*  test_backoff - the retry schedule: ceilings, the cap, full jitter over the whole range. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "backoff.h"

//  An injected generator that returns the values of a script in turn.
typedef struct {
    const uint64_t *values;
    int count;
    int next;
} s_script_t;

static uint64_t
s_scripted (void *arg)
{
    s_script_t *script = arg;
    return script->values [script->next++ % script->count];
}

static void
test_ceilings_double_then_cap (void **state)
{
    (void) state;
    backoff_t *backoff = backoff_new (100, 1000, NULL, NULL);
    assert_non_null (backoff);
    assert_int_equal (backoff_ceiling (backoff, 0), 0);     //  no failure yet: no wait
    assert_int_equal (backoff_ceiling (backoff, 1), 100);
    assert_int_equal (backoff_ceiling (backoff, 2), 200);
    assert_int_equal (backoff_ceiling (backoff, 3), 400);
    assert_int_equal (backoff_ceiling (backoff, 4), 800);
    assert_int_equal (backoff_ceiling (backoff, 5), 1000);  //  1600 capped
    assert_int_equal (backoff_ceiling (backoff, 6), 1000);
    assert_int_equal (backoff_ceiling (backoff, 1000000), 1000);   //  no overflow
    backoff_destroy (&backoff);
    assert_null (backoff);
    backoff_destroy (&backoff);                             //  NULL is fine
}

static void
test_zero_base_never_waits (void **state)
{
    (void) state;
    backoff_t *backoff = backoff_new (0, 0, NULL, NULL);
    for (int attempt = 1; attempt < 50; attempt++) {
        assert_int_equal (backoff_ceiling (backoff, attempt), 0);
        assert_int_equal (backoff_delay (backoff, attempt), 0);
    }
    backoff_destroy (&backoff);
}

static void
test_max_below_base_is_raised_to_base (void **state)
{
    (void) state;
    backoff_t *backoff = backoff_new (500, 100, NULL, NULL);
    assert_int_equal (backoff_ceiling (backoff, 1), 500);
    assert_int_equal (backoff_ceiling (backoff, 3), 500);
    backoff_destroy (&backoff);
}

//  The delay is the generator's value modulo ceiling + 1: both ends reachable.
static void
test_jitter_uses_the_injected_rng (void **state)
{
    (void) state;
    const uint64_t values [] = { 0, 100, 101, 7, 400, UINT64_MAX };
    s_script_t script = { values, 6, 0 };
    backoff_t *backoff = backoff_new (100, 10000, s_scripted, &script);
    assert_int_equal (backoff_delay (backoff, 1), 0);       //  0 % 101
    assert_int_equal (backoff_delay (backoff, 1), 100);     //  the ceiling itself
    assert_int_equal (backoff_delay (backoff, 1), 0);       //  101 % 101
    assert_int_equal (backoff_delay (backoff, 2), 7);       //  7 % 201
    assert_int_equal (backoff_delay (backoff, 3), 400);     //  400 % 401
    assert_int_equal (backoff_delay (backoff, 1), (int) (UINT64_MAX % 101));
    assert_int_equal (script.next, 6);
    backoff_destroy (&backoff);
}

//  With the real generator: always inside [0, ceiling], and spread over it.
static void
test_default_rng_stays_in_range_and_spreads (void **state)
{
    (void) state;
    backoff_t *backoff = backoff_new (50, 400, NULL, NULL);
    for (int attempt = 1; attempt <= 6; attempt++) {
        int ceiling = backoff_ceiling (backoff, attempt);
        int low = ceiling, high = 0;
        long sum = 0;
        for (int i = 0; i < 4000; i++) {
            int delay = backoff_delay (backoff, attempt);
            assert_in_range (delay, 0, ceiling);
            low = delay < low? delay: low;
            high = delay > high? delay: high;
            sum += delay;
        }
        //  4000 uniform draws: the extremes come within 5 % of each end and
        //  the mean within 10 % of the middle (each fails with p < 1e-9).
        assert_true (low <= ceiling / 20);
        assert_true (high >= ceiling - ceiling / 20);
        double mean = (double) sum / 4000;
        assert_true (mean > ceiling * 0.4 && mean < ceiling * 0.6);
    }
    backoff_destroy (&backoff);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_ceilings_double_then_cap),
        cmocka_unit_test (test_zero_base_never_waits),
        cmocka_unit_test (test_max_below_base_is_raised_to_base),
        cmocka_unit_test (test_jitter_uses_the_injected_rng),
        cmocka_unit_test (test_default_rng_stays_in_range_and_spreads),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
