/*  test_cache - the reply cache: canonical keys, options, TTL, XFetch's
    early refresh, LRU eviction and single flight, with an injected clock
    and random source.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>
#include "cache.h"

static int64_t s_clock;         //  the injected time, in ms
static double s_fixed = 1.0;    //  the injected random number; 1: never early (ln 1 = 0)
static uint64_t s_seed;         //  when s_fixed is 0: a seeded xorshift

static int64_t
s_now (void *arg)
{
    (void) arg;
    return s_clock;
}

static double
s_random (void *arg)
{
    (void) arg;
    if (s_fixed > 0)
        return s_fixed;
    s_seed ^= s_seed << 13;
    s_seed ^= s_seed >> 7;
    s_seed ^= s_seed << 17;
    return (double) ((s_seed >> 11) + 1) / 9007199254740992.0;
}

static cache_t *
s_cache (int ttl_ms, double beta, int max_entries)
{
    s_clock = 1000000;
    s_fixed = 1.0;
    cache_config_t config = { ttl_ms, beta, max_entries };
    cache_t *cache = cache_new (&config, s_now, s_random, NULL);
    assert_non_null (cache);
    return cache;
}

static char *
s_key (const char *json)
{
    cJSON *value = cJSON_Parse (json);
    assert_non_null (value);
    char *key = cache_key (value);
    cJSON_Delete (value);
    assert_non_null (key);
    return key;
}

static void
test_key_is_canonical (void **state)
{
    (void) state;
    char *a = s_key ("{\"a\": 1, \"b\": 2}");
    char *b = s_key ("{\"b\":2,\"a\":1}");
    assert_string_equal (a, b);
    assert_string_equal (a, "{\"a\":1,\"b\":2}");
    free (a);
    free (b);
    //  Nested objects too; arrays keep their order; one number format.
    a = s_key ("{\"z\": {\"y\": [3, 1.0, {\"q\": true, \"p\": null}], \"x\": 1e2}, \"s\": \"t\\\"\\n\"}");
    assert_string_equal (a, "{\"s\":\"t\\\"\\u000a\",\"z\":{\"x\":100,\"y\":[3,1,{\"p\":null,\"q\":true}]}}");
    free (a);
    a = s_key ("{\"n\": 0.1}");
    assert_string_equal (a, "{\"n\":0.10000000000000001}");
    free (a);
    //  Different values, different keys.
    a = s_key ("{\"a\": 1}");
    b = s_key ("{\"a\": \"1\"}");
    assert_string_not_equal (a, b);
    free (a);
    free (b);
    a = s_key ("{\"a\": [1, 2]}");
    b = s_key ("{\"a\": [2, 1]}");
    assert_string_not_equal (a, b);
    free (a);
    free (b);
}

static int
s_parse (const char *json, cache_config_t *config, bool *enabled, char *err)
{
    cJSON *value = json? cJSON_Parse (json): NULL;
    int rc = cache_config_parse (value, config, enabled, err);
    cJSON_Delete (value);
    return rc;
}

static void
test_options (void **state)
{
    (void) state;
    cache_config_t config;
    bool enabled = true;
    char err [ERR_LEN] = "";
    assert_int_equal (s_parse (NULL, &config, &enabled, err), 0);
    assert_false (enabled);
    assert_int_equal (s_parse ("{\"ttl_ms\": 500}", &config, &enabled, err), 0);
    assert_true (enabled);
    assert_int_equal (config.ttl_ms, 500);
    assert_true (config.beta == CACHE_BETA);
    assert_int_equal (config.max_entries, CACHE_MAX_ENTRIES);
    assert_int_equal (s_parse ("{\"ttl_ms\": 500, \"beta\": 2.5, \"max_entries\": 3}", &config, &enabled, err), 0);
    assert_true (config.beta == 2.5);
    assert_int_equal (config.max_entries, 3);

    struct { const char *json, *error; } bad [] = {
        { "{}", "'cache' needs 'ttl_ms'" },
        { "{\"beta\": 1}", "'cache' needs 'ttl_ms'" },
        { "{\"ttl_ms\": 0}", "'cache.ttl_ms' must be a whole number of milliseconds, at least 1" },
        { "{\"ttl_ms\": 1.5}", "'cache.ttl_ms' must be" },
        { "{\"ttl_ms\": \"5\"}", "'cache.ttl_ms' must be" },
        { "{\"ttl_ms\": 5, \"beta\": 0}", "'cache.beta' must be a number above 0" },
        { "{\"ttl_ms\": 5, \"beta\": \"x\"}", "'cache.beta' must be" },
        { "{\"ttl_ms\": 5, \"max_entries\": 0}", "'cache.max_entries' must be a whole number, at least 1" },
        { "{\"ttl_ms\": 5, \"ttl\": 5}", "'cache' has unknown key 'ttl' (ttl_ms, beta, max_entries)" },
        { "true", "'cache' must be an object" },
        { "[1]", "'cache' must be an object {\"ttl_ms\": T, \"beta\": B, \"max_entries\": N}, got an array" },
        { "{\"ttl_ms\": 2.5}", "'cache.ttl_ms' must be a whole number of milliseconds, at least 1, got 2.5" },
        { "{\"ttl_ms\": 5, \"max_entries\": \"9\"}", "'cache.max_entries' must be a whole number, at least 1, got a string" },
        { "{\"ttl_ms\": 5, \"beta\": 5000}", "at most 1000 (1: XFetch's own), got 5000" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        err [0] = 0;
        assert_int_equal (s_parse (bad [i].json, &config, &enabled, err), -1);
        if (!strstr (err, bad [i].error))
            fail_msg ("%s: expected \"%s\", got \"%s\"", bad [i].json, bad [i].error, err);
        assert_null (strchr (err, '\n'));
    }
}

//  Fills `key` through a miss: the lookup, then its round trip's end.
static void
s_fill (cache_t *cache, const char *key, const char *reply_json, int64_t round_trip_ms)
{
    cJSON *reply = NULL;
    char err [ERR_LEN];
    assert_int_equal (cache_lookup (cache, key, 0, &reply, err), CACHE_MISS);
    assert_null (reply);
    s_clock += round_trip_ms;
    cJSON *value = cJSON_Parse (reply_json);
    cache_done (cache, key, value, NULL);
    cJSON_Delete (value);
}

static cache_outcome_t
s_lookup (cache_t *cache, const char *key, const char *expect_json)
{
    cJSON *reply = NULL;
    char err [ERR_LEN];
    cache_outcome_t outcome = cache_lookup (cache, key, 0, &reply, err);
    if (expect_json) {
        assert_non_null (reply);
        char *text = cJSON_PrintUnformatted (reply);
        assert_string_equal (text, expect_json);
        free (text);
    }
    cJSON_Delete (reply);
    return outcome;
}

static void
test_ttl (void **state)
{
    (void) state;
    cache_t *cache = s_cache (1000, 1.0, 10);
    s_fill (cache, "k", "{\"v\":1}", 20);
    assert_int_equal (s_lookup (cache, "k", "{\"v\":1}"), CACHE_HIT);
    s_clock += 999;                     //  the last valid millisecond (random 1: never early)
    assert_int_equal (s_lookup (cache, "k", "{\"v\":1}"), CACHE_HIT);
    s_clock += 1;                       //  expired: a miss, with no reply to serve
    assert_int_equal (s_lookup (cache, "k", NULL), CACHE_MISS);
    cJSON *value = cJSON_Parse ("{\"v\":2}");
    cache_done (cache, "k", value, NULL);
    cJSON_Delete (value);
    assert_int_equal (s_lookup (cache, "k", "{\"v\":2}"), CACHE_HIT);
    //  Another key is another entry.
    assert_int_equal (s_lookup (cache, "other", NULL), CACHE_MISS);
    cache_done (cache, "other", NULL, "no reply");
    assert_int_equal (cache_size (cache), 1);   //  a failed miss keeps nothing
    cache_destroy (&cache);
    assert_null (cache);
}

//  XFetch: P(refresh) at age a, with delta d and beta b, is
//  exp (-(ttl - a) / (d * b)); it grows with age and reaches 1 at expiry.
static void
test_early_refresh_grows_with_age (void **state)
{
    (void) state;
    s_fixed = 0;
    s_seed = 0x1234567887654321ULL;
    const int64_t ttl = 1000, delta = 100;
    const int draws = 20000;
    double last = -1;
    for (int64_t age = 0; age <= ttl; age += 100) {
        int refreshes = 0;
        for (int i = 0; i < draws; i++)
            refreshes += cache_xfetch (age, delta, 1.0, s_random (NULL), ttl);
        double p = (double) refreshes / draws;
        double expected = exp (-(double) (ttl - age) / (double) delta);
        printf ("age %4lld ms: refreshed %.4f (expected %.4f)\n", (long long) age, p, expected);
        assert_true (fabs (p - expected) < 0.02);
        assert_true (p + 0.005 >= last);      //  sampling noise where p is tiny
        last = p;
    }
    assert_true (last == 1.0);
    //  A larger beta refreshes earlier.
    int small = 0, large = 0;
    for (int i = 0; i < draws; i++) {
        double r = s_random (NULL);
        small += cache_xfetch (700, delta, 0.5, r, ttl);
        large += cache_xfetch (700, delta, 3.0, r, ttl);
    }
    assert_true (large > small);

    //  Through the cache: early refreshes come more often as the entry ages.
    cache_t *cache = s_cache (1000, 1.0, 10);
    s_fixed = 0;
    s_fill (cache, "k", "{\"v\":1}", 100);      //  delta 100 ms
    int64_t filled = s_clock;
    int young = 0, old = 0;
    for (int i = 0; i < 2000; i++) {
        s_clock = filled + 200;
        cache_outcome_t outcome = s_lookup (cache, "k", "{\"v\":1}");
        if (outcome == CACHE_REFRESH) {
            young++;
            cache_done (cache, "k", NULL, "dropped");   //  a failed refresh keeps the reply
        }
        s_clock = filled + 900;
        outcome = s_lookup (cache, "k", "{\"v\":1}");
        if (outcome == CACHE_REFRESH) {
            old++;
            cache_done (cache, "k", NULL, "dropped");
        }
    }
    printf ("early refreshes in 2000 lookups: at age 200 ms %d, at age 900 ms %d\n", young, old);
    assert_true (young < 20);           //  expected 2000 * e^-8 ≈ 0.7
    assert_true (old > 600);            //  expected 2000 * e^-1 ≈ 736
    cache_destroy (&cache);
}

static void
test_refresh_keeps_serving_the_valid_reply (void **state)
{
    (void) state;
    cache_t *cache = s_cache (1000, 1.0, 10);
    s_fill (cache, "k", "{\"v\":1}", 50);
    s_fixed = 1e-9;                     //  ln: -20.7, x 50 ms: looks 1036 ms ahead: refresh
    s_clock += 10;
    assert_int_equal (s_lookup (cache, "k", "{\"v\":1}"), CACHE_REFRESH);
    //  While that refresh is in flight, others get the valid reply, and
    //  none of them starts a second refresh.
    for (int i = 0; i < 50; i++)
        assert_int_equal (s_lookup (cache, "k", "{\"v\":1}"), CACHE_HIT);
    cJSON *value = cJSON_Parse ("{\"v\":2}");
    s_clock += 30;
    cache_done (cache, "k", value, NULL);
    cJSON_Delete (value);
    s_fixed = 1.0;
    assert_int_equal (s_lookup (cache, "k", "{\"v\":2}"), CACHE_HIT);
    cache_destroy (&cache);
}

static void
test_lru_eviction (void **state)
{
    (void) state;
    cache_t *cache = s_cache (100000, 1.0, 2);
    s_fill (cache, "a", "{\"v\":\"a\"}", 1);
    s_fill (cache, "b", "{\"v\":\"b\"}", 1);
    assert_int_equal (cache_size (cache), 2);
    assert_int_equal (s_lookup (cache, "a", "{\"v\":\"a\"}"), CACHE_HIT);    //  a is now the newest
    s_fill (cache, "c", "{\"v\":\"c\"}", 1);                                  //  evicts b, the oldest
    assert_int_equal (cache_size (cache), 2);
    assert_int_equal (s_lookup (cache, "a", "{\"v\":\"a\"}"), CACHE_HIT);
    assert_int_equal (s_lookup (cache, "c", "{\"v\":\"c\"}"), CACHE_HIT);
    assert_int_equal (s_lookup (cache, "b", NULL), CACHE_MISS);               //  gone; evicts a
    cache_done (cache, "b", NULL, "x");
    assert_int_equal (s_lookup (cache, "c", "{\"v\":\"c\"}"), CACHE_HIT);
    //  An entry with a round trip in flight is never evicted.
    cache_t *small = s_cache (100000, 1.0, 1);
    cJSON *reply = NULL;
    char err [ERR_LEN];
    assert_int_equal (cache_lookup (small, "x", 0, &reply, err), CACHE_MISS);
    assert_int_equal (cache_lookup (small, "y", 0, &reply, err), CACHE_MISS);
    cJSON *value = cJSON_Parse ("{\"v\":\"x\"}");
    cache_done (small, "x", value, NULL);
    cJSON_Delete (value);
    assert_int_equal (s_lookup (small, "x", "{\"v\":\"x\"}"), CACHE_HIT);
    cache_done (small, "y", NULL, "x");
    cache_destroy (&small);
    cache_destroy (&cache);
}

//  Single flight, with real threads: callers of an expired key wait for
//  the one round trip and share its outcome.
typedef struct {
    cache_t *cache;
    int wait_ms;
    cache_outcome_t outcome;
    int value;                  //  the reply's "v", or -1
    char err [ERR_LEN];
} s_caller_t;

static void *
s_caller (void *arg)
{
    s_caller_t *caller = arg;
    cJSON *reply = NULL;
    caller->outcome = cache_lookup (caller->cache, "k", caller->wait_ms, &reply, caller->err);
    const cJSON *v = cJSON_GetObjectItem (reply, "v");
    caller->value = cJSON_IsNumber (v)? v->valueint: -1;
    cJSON_Delete (reply);
    return NULL;
}

#define S_CALLERS 50

//  Starts S_CALLERS callers of "k" while the test holds its round trip,
//  and waits (bounded: 10 s) until every one waits on it.
static void
s_start_callers (cache_t *cache, int wait_ms, pthread_t threads [], s_caller_t callers [])
{
    for (int i = 0; i < S_CALLERS; i++) {
        callers [i] = (s_caller_t) { .cache = cache, .wait_ms = wait_ms };
        assert_int_equal (pthread_create (&threads [i], NULL, s_caller, &callers [i]), 0);
    }
    for (int i = 0; i < 10000 && cache_waiting (cache) < S_CALLERS; i++)
        usleep (1000);
    assert_int_equal (cache_waiting (cache), S_CALLERS);
}

static void
test_single_flight (void **state)
{
    (void) state;
    cache_t *cache = s_cache (1000, 1.0, 10);
    s_fill (cache, "k", "{\"v\":1}", 10);
    s_clock += 1000;                    //  expired
    cJSON *reply = NULL;
    char err [ERR_LEN];
    assert_int_equal (cache_lookup (cache, "k", 0, &reply, err), CACHE_MISS);   //  ours is the one flight
    pthread_t threads [S_CALLERS];
    s_caller_t callers [S_CALLERS];
    s_start_callers (cache, 10000, threads, callers);
    cJSON *value = cJSON_Parse ("{\"v\":2}");
    cache_done (cache, "k", value, NULL);
    cJSON_Delete (value);
    for (int i = 0; i < S_CALLERS; i++) {
        pthread_join (threads [i], NULL);
        assert_int_equal (callers [i].outcome, CACHE_HIT);
        assert_int_equal (callers [i].value, 2);
    }

    //  A failed round trip: its waiters share its error, and make none of their own.
    s_clock += 1000;
    assert_int_equal (cache_lookup (cache, "k", 0, &reply, err), CACHE_MISS);
    s_start_callers (cache, 10000, threads, callers);
    cache_done (cache, "k", NULL, "svc (tcp://x): no reply after 3 attempts");
    for (int i = 0; i < S_CALLERS; i++) {
        pthread_join (threads [i], NULL);
        assert_int_equal (callers [i].outcome, CACHE_SHARED_ERROR);
        assert_string_equal (callers [i].err, "svc (tcp://x): no reply after 3 attempts");
    }

    //  A round trip that outlasts a caller's wait: that caller goes its own way.
    assert_int_equal (cache_lookup (cache, "k", 0, &reply, err), CACHE_MISS);
    s_caller_t late = { .cache = cache, .wait_ms = 20 };
    s_caller (&late);
    assert_int_equal (late.outcome, CACHE_BYPASS);
    cache_done (cache, "k", NULL, "x");
    cache_destroy (&cache);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_key_is_canonical),
        cmocka_unit_test (test_options),
        cmocka_unit_test (test_ttl),
        cmocka_unit_test (test_early_refresh_grows_with_age),
        cmocka_unit_test (test_refresh_keeps_serving_the_valid_reply),
        cmocka_unit_test (test_lru_eviction),
        cmocka_unit_test (test_single_flight),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
