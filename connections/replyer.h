/*  replyer.h - a ROUTER socket that answers every request, even a malformed one.

    Each request is taken in on the loop with its route and handed to a
    handler thread (host_submit), where it is decoded, validated against the
    model's arguments, checked against its deadline_ms, handed to the
    handler, and its return args validated against the return model; any
    fault becomes an error reply (SPEC §6), so no requester waits on a
    failure, and the fault is counted and logged. The reply is sent along
    the request's route by the handler thread that made it (the socket is
    behind a lock; the loop only reads), in whatever order replies are ready. REQ clients and DEALER
    clients that send REQ's empty delimiter frame are served alike; a
    message without that routing envelope cannot be answered and is dropped
    as bad_frames (route.h).
*/
#ifndef REPLYER_H_INCLUDED
#define REPLYER_H_INCLUDED

#include <czmq.h>
#include "models.h"
#include "host.h"

typedef struct _replyer_t replyer_t;

/* Binds a replyer at `endpoint` for `model` (both borrowed; they outlive it).
   Returns a fresh replyer the caller owns (replyer_destroy), or NULL with
   err = "connection_models.in.orders: cannot bind tcp://…: REASON". */
replyer_t *replyer_new (const host_t *host, const model_t *model, const char *endpoint,
                        svcfw_handler_fn *handler, char *err);

/* Registers the socket with the loop. Returns 0 or -1. */
int replyer_attach (replyer_t *self, zloop_t *loop);

/* Detaches from the loop if attached and closes the socket; accepts NULL
   and nulls the caller's pointer. */
void replyer_destroy (replyer_t **self_p);

#endif
