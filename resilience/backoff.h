/*  backoff.h - retry waits: exponential with full jitter.

    The wait after failed attempt n (n ≥ 1) is a uniform random whole number
    of milliseconds in [0, min(max_ms, base_ms · 2^(n-1))] ("full jitter",
    as in the AWS Architecture Blog's "Exponential Backoff and Jitter"):
    clients that failed together do not all come back together.
    A base of 0 means no wait at all.

    Not thread-safe: each user (a requester, an outbox sender) has its own.
*/
#ifndef BACKOFF_H_INCLUDED
#define BACKOFF_H_INCLUDED

#include <stdint.h>

typedef struct _backoff_t backoff_t;

/* A source of random 64-bit words, for tests; `arg` is passed through. */
typedef uint64_t (backoff_rng_fn) (void *arg);

/* A schedule with first ceiling `base_ms` (≥ 0) and cap `max_ms` (≥ base_ms).
   `rng` may be NULL: then a generator seeded by the kernel is used.
   Returns a fresh schedule the caller owns (backoff_destroy), or NULL when
   out of memory. */
backoff_t *backoff_new (int base_ms, int max_ms, backoff_rng_fn *rng, void *rng_arg);

/* Destroys; accepts NULL and nulls the caller's pointer. */
void backoff_destroy (backoff_t **self_p);

/* The ceiling of the wait after failed attempt `attempt` (≥ 1):
   min(max_ms, base_ms · 2^(attempt-1)), without overflow. 0 for attempt < 1. */
int backoff_ceiling (const backoff_t *self, int attempt);

/* The wait after failed attempt `attempt`: uniform in [0, ceiling]. */
int backoff_delay (backoff_t *self, int attempt);

#endif
