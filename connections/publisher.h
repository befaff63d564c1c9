/*  publisher.h - a PUB socket sending [topic][envelope] to its subscribers.

    Binds its address, or connects it with `is_x_pub` (to a binding
    subscriber or an XSUB/XPUB proxy).
*/
#ifndef PUBLISHER_H_INCLUDED
#define PUBLISHER_H_INCLUDED

#include <cjson/cJSON.h>
#include "models.h"

typedef struct _publisher_t publisher_t;

/* Opens a publisher for `model` at `endpoint` (both borrowed). Returns a
   fresh publisher the caller owns (publisher_destroy), or NULL with err. */
publisher_t *publisher_new (const model_t *model, const char *endpoint, char *err);

/* Publishes args (borrowed; already validated) with the workflow id.
   Returns 0, or -1 with err. */
int publisher_send (publisher_t *self, const cJSON *args, const char *workflow_id, char *err);

/* Closes; accepts NULL and nulls the caller's pointer. */
void publisher_destroy (publisher_t **self_p);

#endif
