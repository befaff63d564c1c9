/*  subscriber.h - a SUB socket that hands each published message to its handler.

    Connects to the publisher's address (or binds it with `is_binder`),
    subscribes to `topic` (ZeroMQ prefix match; "" = everything) and expects
    exactly two frames, [topic][envelope]. Anything else is dropped, counted
    and logged.
*/
#ifndef SUBSCRIBER_H_INCLUDED
#define SUBSCRIBER_H_INCLUDED

#include <czmq.h>
#include "models.h"
#include "host.h"

typedef struct _subscriber_t subscriber_t;

/* Opens a subscriber for `model` at `endpoint` (both borrowed). Returns a
   fresh subscriber the caller owns (subscriber_destroy), or NULL with err. */
subscriber_t *subscriber_new (const host_t *host, const model_t *model, const char *endpoint,
                              svcfw_handler_fn *handler, char *err);

/* Registers the socket with the loop. Returns 0 or -1. */
int subscriber_attach (subscriber_t *self, zloop_t *loop);

/* Detaches and closes; accepts NULL and nulls the caller's pointer. */
void subscriber_destroy (subscriber_t **self_p);

#endif
