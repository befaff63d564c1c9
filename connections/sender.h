/*  sender.h - the outbox's sender: an actor that delivers stored messages, oldest first.

    A durable requester stores each message in its outbox and wakes the
    sender, which runs on its own thread with its own REQ socket and its own
    connection to the outbox file. It takes pending rows oldest first, sends
    each with its message id, and takes the reply as the acknowledgement;
    the rows acknowledged in one batch are marked delivered in one
    transaction. When no reply comes in time the downstream is marked down
    (logged once) and the same message is sent again, on a fresh socket,
    with full-jitter exponential backoff; nothing after it is sent first.
    An error reply is sent again the same way `retries` times, then
    the row is marked failed (kept, with the error) and the next one goes.

    Nothing here blocks the caller: sender_wake only writes an eventfd.
*/
#ifndef SENDER_H_INCLUDED
#define SENDER_H_INCLUDED

#include <stddef.h>
#include "err.h"
#include "models.h"
#include "outbox.h"

typedef struct _sender_t sender_t;

typedef struct {
    const char *name;           //  the connection, for log lines
    const char *endpoint;       //  where the replyer is
    const char *outbox_path;    //  the outbox file (the sender opens its own connection)
    int timeout_ms;             //  how long one copy waits for its reply
    int retries;                //  re-sends after an error reply before the row is marked failed (0: none)
    int backoff_ms;             //  first backoff ceiling
    int backoff_max_ms;         //  backoff cap
    int batch;                  //  rows taken, and marked, per transaction
    size_t max_bytes;           //  larger replies are refused
    const model_t *model;       //  its socket's link options (sock.h); NULL: libzmq's defaults. Borrowed for the sender's life
} sender_config_t;

/* Opens the outbox for the sender and starts it; it begins with whatever
   the outbox already holds. The config's strings are copied. Returns a
   fresh sender the caller owns (sender_destroy), or NULL with err. */
sender_t *sender_new (const sender_config_t *config, char *err);

/* Tells the sender that new rows are pending. Thread-safe, never blocks. */
void sender_wake (sender_t *self);

/* Stops the sender: a send in flight gets up to SENDER_STOP_GRACE_MS for
   its reply (none when the downstream is down), then is abandoned and its
   row stays pending; acknowledged rows are marked before it returns.
   Accepts NULL and nulls the caller's pointer. */
void sender_destroy (sender_t **self_p);

/* The request text for a stored row: {"args": ARGS, "workflow_id": WF,
   "message_id": ID}, with `args` already JSON text. Returns a fresh string
   the caller frees with free, or NULL when out of memory. */
char *sender_envelope (const char *args, const char *workflow_id, const char *message_id);

#define SENDER_STOP_GRACE_MS 1000

#endif
