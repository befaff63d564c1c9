/*  state_out.h - the owner of a replicated state: value, epoch, seq, publisher, snapshots.

    Sockets: `publisher` (an XPUB; binds, or connects with `is_x_pub`) sends
    [topic][update]; `replyer` (a ROUTER that replies along each request's
    route, binds) answers snapshot requests at any time, also while
    svcfw_main runs. A heartbeat with the last published
    seq goes out every `heartbeat_ms` and whenever a subscriber joins, so an
    in side learns at once where the sequence stands.

    Threads: the loop thread owns both sockets. A send from another thread
    (a handler thread, svcfw_main) updates the value under the state's lock
    and hands the encoded update to the loop through an inproc pipe, in seq
    order; sends from several threads at once are safe.
*/
#ifndef STATE_OUT_H_INCLUDED
#define STATE_OUT_H_INCLUDED

#include <czmq.h>
#include "models.h"
#include "host.h"
#include "state.h"

typedef struct _state_out_t state_out_t;

/* Opens the state's sockets at the two endpoints (borrowed). Must be called
   on the loop thread. Returns a fresh state the caller owns
   (state_out_destroy), or NULL with err naming the entry and endpoint. */
state_out_t *state_out_new (const host_t *host, const model_t *model, const state_policy_t *policy,
                            const char *pub_endpoint, const char *rep_endpoint, char *err);

/* Registers the sockets and the heartbeat timer with the loop. 0 or -1. */
int state_out_attach (state_out_t *self, zloop_t *loop);

/* svcfw_to_send to this state: checks args with the policy, updates the
   value and publishes the update with the next seq. args borrowed. Returns
   0, or -1 with err (the value is then unchanged). */
int state_out_send (state_out_t *self, const cJSON *args, const char *workflow_id, char *err);

/* The current value. Borrowed; valid until the next send on this state. */
const cJSON *state_out_value (state_out_t *self);

/* A copy of the current value, made under the state's lock: any thread.
   Returns a fresh tree the caller owns (cJSON_Delete), or NULL. */
cJSON *state_out_copy (state_out_t *self);

/* Detaches and closes; accepts NULL and nulls the caller's pointer. */
void state_out_destroy (state_out_t **self_p);

#endif
