/*  sender.h - the outbox's sender: an actor that delivers stored messages, oldest first.

    A durable requester stores each message in its outbox and wakes the
    sender, which runs on its own thread with its own DEALER socket and its
    own connection to the outbox file. It takes pending rows oldest first
    and sends them with their message ids: up to `batch` rows per request
    (more than one: {"batch": [...]}), up to `in_flight` requests
    outstanding; a reply acknowledges its request's rows, and acknowledged
    rows are marked delivered together, in one transaction. When the oldest
    request gets no reply in time the downstream is marked down (logged
    once) and every unacknowledged row is sent again, from the first, on a
    fresh socket, with full-jitter exponential backoff. A row refused with
    an error reply is sent again `retries` times, then marked failed (kept,
    with the error).

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
    const char *outbox_table;   //  its table in a shared store file (outbox_open_table), or NULL
    int batch;                  //  rows per request (1: a plain envelope; more: {"batch": [...]})
    int in_flight;              //  requests outstanding at once
    size_t max_bytes;           //  larger replies are refused
    const model_t *model;       //  its socket's link options (sock.h); NULL: libzmq's defaults. Borrowed for the sender's life
} sender_config_t;

/* Opens the outbox for the sender and starts it; it begins with whatever
   the outbox already holds. The config's strings are copied. Returns a
   fresh sender the caller owns (sender_destroy), or NULL with err. */
sender_t *sender_new (const sender_config_t *config, char *err);

/* Tells the sender that new rows are pending. Thread-safe, never blocks. */
void sender_wake (sender_t *self);

/* Stops the sender: requests in flight get up to SENDER_STOP_GRACE_MS for
   their replies (none when the downstream is down), then are abandoned and
   their rows stay pending; acknowledged rows are marked before it returns.
   Accepts NULL and nulls the caller's pointer. */
void sender_destroy (sender_t **self_p);

/* The request text for a stored row: {"args": ARGS, "workflow_id": WF,
   "message_id": ID}, with `args` already JSON text. Returns a fresh string
   the caller frees with free, or NULL when out of memory. */
char *sender_envelope (const char *args, const char *workflow_id, const char *message_id);

#define SENDER_STOP_GRACE_MS 1000

#endif
