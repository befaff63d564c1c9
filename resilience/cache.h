/*  cache.h - a requester's reply cache (Dyno's cache): replies kept per
    canonical args, refreshed early with XFetch, one refresh at a time.

    @discuss
    A reply is kept for `ttl_ms` after it arrived. Before that, each lookup
    may still choose to refresh it early, with probabilistic early
    expiration (XFetch, Vattani, Chierichetti and Lowenstein, VLDB 2015):
    with `delta` the time the last round trip for this key took,

        refresh  if  now - delta * beta * ln (random ())  >=  expiry

    (random () uniform in (0, 1]), so the chance grows as the entry ages,
    and one caller refreshes before the expiry instead of all of them at
    it. `beta` > 1 favours earlier refreshes, < 1 later ones.

    Single flight: at most one round trip per key is in flight. While one
    is, other callers of that key get the cached reply if it is still
    valid, or, once it has expired (or for a key with no reply yet), wait
    for the one in flight and share its outcome, the reply or the error.
    So 50 callers at an expiry make one round trip, not 50.

    Bounded: at most `max_entries` keys, the least recently used evicted
    first (never one with a round trip in flight or callers waiting on it).
    Keys are the args printed canonically (cache_key): object keys sorted,
    numbers in one format, so {"a":1,"b":2} and {"b":2,"a":1} share an entry.

    Thread-safe: any thread may call any function but cache_destroy; one
    mutex guards the entries, and a waiter sleeps on a condition variable.
    Time and randomness come from injectable sources, so tests are exact.
    @end
*/
#ifndef CACHE_H_INCLUDED
#define CACHE_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "err.h"

typedef struct {
    int ttl_ms;                 //  how long a reply stays valid (≥ 1; required)
    double beta;                //  XFetch's beta, > 0 (default 1)
    int max_entries;            //  keys kept at most (≥ 1; default CACHE_MAX_ENTRIES)
} cache_config_t;

#define CACHE_BETA 1.0          //  beta by default: XFetch's own choice
#define CACHE_MAX_ENTRIES 1024  //  max_entries by default

/* Reads a "cache" creation argument: absent (NULL: *enabled false) or an
   object {"ttl_ms": T, "beta": B, "max_entries": N}, ttl_ms required.
   Returns 0, or -1 with err = "'cache.ttl_ms' must be a whole number of
   milliseconds, at least 1, got ...", "'cache' needs 'ttl_ms'", "'cache'
   has unknown key 'KEY' (ttl_ms, beta, max_entries)", or "'cache' must be
   an object {\"ttl_ms\": ...}, got TYPE". */
int cache_config_parse (const cJSON *value, cache_config_t *config, bool *enabled, char *err);

/* Milliseconds on a monotonic clock, and a uniform random number in
   (0, 1]; `arg` is passed through. */
typedef int64_t (cache_clock_fn) (void *arg);
typedef double (cache_random_fn) (void *arg);

typedef struct _cache_t cache_t;

/* An empty cache. `now_ms` and `random` may be NULL (then the monotonic
   clock and a per-cache xorshift generator seeded from the OS). Returns a
   fresh cache the caller owns (cache_destroy), or NULL when out of memory. */
cache_t *cache_new (const cache_config_t *config, cache_clock_fn *now_ms,
                    cache_random_fn *random, void *arg);

/* Destroys; accepts NULL and nulls the caller's pointer. No other thread
   may be in a cache_ call. */
void cache_destroy (cache_t **self_p);

/* The canonical text of a JSON value: compact, object members sorted by
   key (bytes), numbers that are whole and below 2^53 as integers, others
   with 17 significant digits, strings escaped as JSON. Returns a fresh
   string the caller frees with free(), or NULL when out of memory. */
char *cache_key (const cJSON *value);

/* XFetch's decision, alone: whether a reply that expires at `expiry` and
   took `delta` ms to get should be refreshed at `now`, given `random` in
   (0, 1]. Always true at or after the expiry. */
bool cache_xfetch (int64_t now, int64_t delta, double beta, double random, int64_t expiry);

typedef enum {
    CACHE_HIT,          //  *reply: the cached reply (or one another caller's round trip just brought)
    CACHE_MISS,         //  no valid reply: the caller makes the round trip, then cache_done
    CACHE_REFRESH,      //  a valid reply, refreshed early: the caller makes the round trip, then
                        //  cache_done; *reply holds the still-valid reply, to serve if the round trip fails
    CACHE_SHARED_ERROR, //  the round trip this caller waited for failed: err holds its error
    CACHE_BYPASS        //  waited wait_ms for another caller's round trip: make one's own, no cache_done
} cache_outcome_t;

/* Looks `key` up (copied as needed). HIT: *reply a fresh copy the caller
   owns (cJSON_Delete). MISS: *reply NULL; the caller now owns the key's one
   round trip and must end it with cache_done, whatever happens. REFRESH:
   as MISS, and *reply a fresh copy of the still-valid reply (the caller
   owns it). SHARED_ERROR: *reply NULL, err the failed round trip's error.
   BYPASS: *reply NULL. Waits at most `wait_ms` (real milliseconds) for
   another caller's round trip on an expired or missing key. Any thread. */
cache_outcome_t cache_lookup (cache_t *self, const char *key, int wait_ms, cJSON **reply, char *err);

/* Ends the round trip that cache_lookup gave this caller (MISS or
   REFRESH): `reply` (borrowed; copied) is kept for ttl_ms, or, NULL, the
   round trip failed with `error` (shared with the callers waiting on it;
   the key keeps whatever valid reply it had). Wakes every waiter. */
void cache_done (cache_t *self, const char *key, const cJSON *reply, const char *error);

/* Keys held. Any thread. */
int cache_size (cache_t *self);

/* Callers waiting, in all, on round trips in flight. Any thread. */
int cache_waiting (cache_t *self);

#endif
