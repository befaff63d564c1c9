/*  publisher.h - a PUB socket sending [topic][envelope] to its subscribers.

    Binds its address, or connects it with `is_x_pub` (to a binding
    subscriber or an XSUB/XPUB proxy).
*/
#ifndef PUBLISHER_H_INCLUDED
#define PUBLISHER_H_INCLUDED

#include <cjson/cJSON.h>
#include "models.h"

typedef struct _publisher_t publisher_t;

/* Opens a publisher for `model` at `endpoint` (both borrowed). When it
   closes, what it queued gets up to linger_ms to reach its subscribers
   (the service's stop timeout). Returns a fresh publisher the caller owns
   (publisher_destroy), or NULL with err. */
publisher_t *publisher_new (const model_t *model, const char *endpoint, int linger_ms, char *err);

#define PUBLISHER_JOIN_TIMEOUT_MS 10000     //  join_timeout_ms's default

/* Whether the `min_subscribers` creation argument is met: reads the
   subscriptions the socket has reported (each one a subscriber joining;
   a publisher without min_subscribers has them at once). Returns 1 when
   met, 0 while still waiting, -1 with err (naming the entry) once
   join_timeout_ms has passed since the publisher was opened. Called by
   the thread that owns the socket, before main mode starts. */
int publisher_joined (publisher_t *self, char *err);

/* Publishes args (borrowed) with the workflow id, checked against the
   model's argument model as they are written. Returns 0, or -1 with err
   ("NAME: invalid args: key 'price': expected float, got string"; nothing
   is sent). */
int publisher_send (publisher_t *self, const cJSON *args, const char *workflow_id, char *err);

/* Closes; accepts NULL and nulls the caller's pointer. */
void publisher_destroy (publisher_t **self_p);

#endif
