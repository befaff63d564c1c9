/*  state_in.h - a replica of another service's state, kept current by snapshot + updates.

    Sockets: `subscriber` (SUB, connects) receives [topic][update]; `requester`
    (a DEALER speaking to the out side's snapshot replyer, connects) fetches snapshots
    without blocking the loop: each request is bounded by `timeout_ms` and
    sent again on a fresh socket until one is answered.

    Sync (the zguide's Clone pattern): subscribe first; on the first message
    (the out side greets a new subscriber with a heartbeat) request a snapshot; keep every update that
    arrives meanwhile (capped by count and by `max_queue_bytes`); apply the
    snapshot, then the kept updates past it, dropping what it cannot cover
    (state_sync_after_snapshot). From then on the state type's policy
    decides per update (state.h). Resyncs are paced by a backoff and their
    log lines rate-limited (state_in.c).
*/
#ifndef STATE_IN_H_INCLUDED
#define STATE_IN_H_INCLUDED

#include <czmq.h>
#include "models.h"
#include "host.h"
#include "state.h"

/* The owner's heartbeat interval an in-state expects unless its
   "heartbeat_ms" says otherwise: the out side's default. After 3 of them
   pass without a message the in-state logs "owner lost" (WARNING), and
   "owner back" (INFO) at the next message. */
#define STATE_IN_HEARTBEAT_MS 1000

typedef struct _state_in_t state_in_t;

/* Creates the replica; `on_update` may be NULL. Returns a fresh state the
   caller owns (state_in_destroy), or NULL with err. */
state_in_t *state_in_new (const host_t *host, const model_t *model, const state_policy_t *policy,
                          const char *sub_endpoint, const char *req_endpoint,
                          svcfw_handler_fn *on_update, char *err);

/* Registers with the loop and starts syncing. 0 or -1. */
int state_in_attach (state_in_t *self, zloop_t *loop);

/* The current value ({} before the first snapshot). Borrowed; valid until
   the loop handles the next update. Loop thread only. */
const cJSON *state_in_value (state_in_t *self);

/* A copy of the current value, made under the state's lock: any thread.
   Returns a fresh tree the caller owns (cJSON_Delete), or NULL when out
   of memory. (on_update handlers get a value of their own instead: one
   call per applied update, with the value right after it; state_in.c.) */
cJSON *state_in_copy (state_in_t *self);

/* How many snapshots were requested so far. */
uint64_t state_in_snapshots (state_in_t *self);

/* True while the value is synced with the out side (a snapshot applied and
   no resync under way). Loop thread. */
bool state_in_synced (state_in_t *self);

/* Detaches and closes; accepts NULL and nulls the caller's pointer. */
void state_in_destroy (state_in_t **self_p);

#endif
