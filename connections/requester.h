/*  requester.h - a REQ client that never hangs: the zguide's Lazy Pirate.

    Each request waits up to `timeout_ms` for its reply; on a timeout the
    socket is closed (dropping the lost request) and a fresh one sends again,
    `retries` attempts in all. A stop request ends the wait early.
*/
#ifndef REQUESTER_H_INCLUDED
#define REQUESTER_H_INCLUDED

#include <cjson/cJSON.h>
#include "models.h"
#include "service.h"

typedef struct _requester_t requester_t;

/* Makes a requester for `model` at `endpoint` (both borrowed). Returns a
   fresh requester the caller owns (requester_destroy), or NULL with err. */
requester_t *requester_new (service_t *service, const model_t *model, const char *endpoint, char *err);

/* Sends args (borrowed; already validated) and waits for the reply. Returns 0
   with *return_args a fresh object the caller owns (validated against the
   return model), or -1 with err naming the connection, the address and the
   attempts, *return_args NULL. */
int requester_request (requester_t *self, const cJSON *args, const char *workflow_id,
                       cJSON **return_args, char *err);

/* Closes; accepts NULL and nulls the caller's pointer. */
void requester_destroy (requester_t **self_p);

#endif
