/*  backoff.c - retry waits: exponential with full jitter. */
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include "backoff.h"

struct _backoff_t {
    int base_ms;                //  ceiling after the first failure
    int max_ms;                 //  cap on every ceiling
    backoff_rng_fn *rng;        //  injected generator, or NULL
    void *rng_arg;
    uint64_t state [2];         //  xorshift128+ state when rng is NULL
};

backoff_t *
backoff_new (int base_ms, int max_ms, backoff_rng_fn *rng, void *rng_arg)
{
    backoff_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->base_ms = base_ms > 0? base_ms: 0;
    self->max_ms = max_ms > self->base_ms? max_ms: self->base_ms;
    self->rng = rng;
    self->rng_arg = rng_arg;
    if (getrandom (self->state, sizeof self->state, 0) != sizeof self->state)
        self->state [0] = (uint64_t) time (NULL) ^ (uint64_t) (uintptr_t) self;
    self->state [1] |= 1;
    return self;
}

void
backoff_destroy (backoff_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

int
backoff_ceiling (const backoff_t *self, int attempt)
{
    if (attempt < 1 || self->base_ms == 0)
        return 0;
    //  Double until the cap; stops long before base · 2^(n-1) could overflow.
    int64_t ceiling = self->base_ms;
    for (int n = 1; n < attempt && ceiling < self->max_ms; n++)
        ceiling *= 2;
    return ceiling > self->max_ms? self->max_ms: (int) ceiling;
}

static uint64_t
s_next (backoff_t *self)
{
    if (self->rng)
        return self->rng (self->rng_arg);
    uint64_t s1 = self->state [0];
    const uint64_t s0 = self->state [1];
    self->state [0] = s0;
    s1 ^= s1 << 23;
    self->state [1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
    return self->state [1] + s0;
}

int
backoff_delay (backoff_t *self, int attempt)
{
    int ceiling = backoff_ceiling (self, attempt);
    if (ceiling == 0)
        return 0;
    //  ceiling + 1 outcomes, both ends included; the modulo bias over 2^64
    //  is below 2^-32 for any int ceiling.
    return (int) (s_next (self) % ((uint64_t) ceiling + 1));
}
