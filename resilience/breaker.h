/*  breaker.h - a circuit breaker for one outbound connection (Hystrix's state machine).

    Closed: calls go through; each outcome is counted in a rolling window of
    `window_ms` (ten buckets). Once the window holds at least `min_requests`
    outcomes and at least `error_percent` of them are failures, the circuit
    opens. Open: calls fail at once, for `open_ms`. Then the next call is a
    single trial (half-open) while other calls still fail at once; the
    trial's success closes the circuit (with an empty window), its failure
    opens it again for another `open_ms`.

    Each state change is logged once, at WARNING when opening and INFO
    otherwise, naming the connection. Time comes from an injectable clock so
    tests drive every transition. Not thread-safe: one caller at a time, as
    a requester is used.
*/
#ifndef BREAKER_H_INCLUDED
#define BREAKER_H_INCLUDED

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "err.h"

typedef enum {
    BREAKER_CLOSED,
    BREAKER_OPEN,
    BREAKER_HALF_OPEN
} breaker_state_t;

typedef struct {
    int window_ms;              //  rolling window of counted outcomes (≥ 10)
    int min_requests;           //  outcomes the window needs before it may open (≥ 1)
    int error_percent;          //  failure share that opens it, 1..100
    int open_ms;                //  how long it stays open before a trial (≥ 1)
} breaker_config_t;

/* Hystrix's defaults: 10000 ms, 20 requests, 50 %, 5000 ms. */
#define BREAKER_DEFAULTS ((breaker_config_t) { 10000, 20, 50, 5000 })

/* Milliseconds on a monotonic clock; `arg` is passed through. */
typedef int64_t (breaker_clock_fn) (void *arg);

typedef struct _breaker_t breaker_t;

/* Reads a "breaker" creation argument: true (the defaults), false or
   absent (no breaker: *enabled false), or an object with any of the keys
   window_ms, min_requests, error_percent, open_ms. Returns 0, or -1 with
   err = "'breaker.KEY' must be ..." or "'breaker' has unknown key 'KEY'". */
int breaker_config_parse (const cJSON *value, breaker_config_t *config, bool *enabled, char *err);

/* A closed breaker for connection `name` (copied). `now_ms` may be NULL
   (then the monotonic clock). Returns a fresh breaker the caller owns
   (breaker_destroy), or NULL when out of memory. */
breaker_t *breaker_new (const char *name, const breaker_config_t *config,
                        breaker_clock_fn *now_ms, void *clock_arg);

/* Destroys; accepts NULL and nulls the caller's pointer. */
void breaker_destroy (breaker_t **self_p);

/* Asks to make a call. Returns true if it may go ahead (closed, or the
   half-open trial), false with why = "circuit open: …" if it must fail at
   once. A caller that got true must report the outcome with
   breaker_record before the next breaker_allow. */
bool breaker_allow (breaker_t *self, char *why);

/* Reports the outcome of an allowed call. */
void breaker_record (breaker_t *self, bool success);

/* The current state (an open breaker whose open_ms has passed still reads
   open until the next breaker_allow starts the trial). */
breaker_state_t breaker_state (const breaker_t *self);

/* "closed", "open" or "half-open". Static string. */
const char *breaker_state_name (breaker_state_t state);

#endif
