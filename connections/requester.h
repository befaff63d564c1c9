/*  requester.h - a REQ client that never hangs: the zguide's Lazy Pirate.

    Each request waits up to `timeout_ms` for its reply; on a timeout the
    socket is closed (dropping the lost request) and a fresh one sends again,
    `retries` times (re-sends after the first attempt; 0: try once), with an optional backoff between attempts and
    an optional circuit breaker. A stop request ends the wait early. Each
    attempt carries its wait as "deadline_ms" (SPEC §8), cut to what is
    left of the caller's own deadline.
    A durable requester stores messages in an outbox instead (sender.h).
*/
#ifndef REQUESTER_H_INCLUDED
#define REQUESTER_H_INCLUDED

#include <cjson/cJSON.h>
#include "models.h"
#include "host.h"

typedef struct _requester_t requester_t;

#define REQUESTER_RETRIES 2     //  re-sends after the first attempt, by default: 3 attempts

/* Makes a requester for `model` at `endpoint` (both borrowed). Returns a
   fresh requester the caller owns (requester_destroy), or NULL with err. */
requester_t *requester_new (const host_t *host, const model_t *model, const char *endpoint, char *err);

/* Sends args (borrowed; already validated) and waits for the reply. Returns 0
   with *return_args a fresh object the caller owns (validated against the
   return model), or -1 with err naming the connection, the address and the
   attempts (or that the circuit is open), *return_args NULL.
   `message_id` (may be NULL) goes into the envelope as "message_id".
   A durable requester instead stores the message (message_id required) in
   its outbox and returns 0 at once with *return_args NULL; storing an id
   the outbox already holds is a no-op that also returns 0.
   `deadline` (zclock_mono ms; 0: none) bounds the whole call: each attempt
   waits at most min(timeout_ms, the time left) and sends that wait as its
   "deadline_ms"; no attempt starts once it has passed. A durable request
   ignores it (a delivery carries no deadline: it is retried until it is
   delivered). One call at a time per requester (the caller locks). */
int requester_request (requester_t *self, const cJSON *args, const char *workflow_id,
                       const char *message_id, int64_t deadline, cJSON **return_args, char *err);

/* A durable requester's pending messages, or -1 (not durable, or the
   outbox cannot be read: logged). */
long requester_pending (requester_t *self);

/* True for a durable requester. */
bool requester_durable (const requester_t *self);

/* A durable requester's defaults: messages per request ("outbox_batch";
   more than one makes a {"batch": [...]} request), requests outstanding
   ("in_flight"). One and one: each message is sent alone and the next
   waits for its reply, so order holds even through refusals and retries,
   and a replyer that predates batches is served. */
#define REQUESTER_OUTBOX_BATCH 1
#define REQUESTER_IN_FLIGHT 1

/* Closes; accepts NULL and nulls the caller's pointer. A durable
   requester's sender is stopped first (see sender_destroy). */
void requester_destroy (requester_t **self_p);

#endif
