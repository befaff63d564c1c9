/*  admin.h - the admin endpoint (SPEC §9): a small HTTP/1.1 server on the
    service's own event loop, for /metrics, /livez and /readyz.

    @discuss
    It is a ZMQ_STREAM socket on the loop (no new dependency, no thread):
    libzmq's I/O thread accepts and reads TCP; the loop gets [id][bytes]
    and answers whole requests. Every answer closes its connection
    (Connection: close), so no state outlives a request. Bounds, so that
    no client stalls the service: a request's head is at most
    ADMIN_MAX_REQUEST bytes (more: 400 and close); a connection that has
    not sent a whole request within ADMIN_REQUEST_MS is closed (slowloris);
    at most ADMIN_MAX_CONNS connections are tracked (more are closed at
    once); each wake-up of the loop reads at most a batch of chunks.
    @end
*/
#ifndef ADMIN_H_INCLUDED
#define ADMIN_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <czmq.h>
#include "err.h"

#define ADMIN_MAX_REQUEST 8192      //  bytes of a request's line and headers
#define ADMIN_REQUEST_MS 5000       //  a connection's time to send a whole request
#define ADMIN_MAX_CONNS 4096        //  connections tracked at once

typedef struct _admin_t admin_t;

//  Whether the service is ready; if not, writes why (one short line of
//  plain text, no quotes or control characters) into `why` (`size` bytes).
//  Called on the thread that serves the endpoint.
typedef bool (admin_ready_fn) (void *arg, char *why, size_t size);

/* Binds `address` (HOST:PORT, or a tcp:// endpoint) for HTTP. `ready`
   answers /readyz. Returns a fresh admin (admin_destroy frees it), or NULL
   with err naming the address. */
admin_t *admin_new (const char *address, admin_ready_fn *ready, void *arg, char *err);

/* Serves on `loop` (its thread then owns the admin). Returns 0 or -1. */
int admin_attach (admin_t *self, zloop_t *loop);

/* Serves requests until `fd` is readable or `timeout_ms` passed, off the
   loop: for the stop phase, when the loop no longer turns. The thread that
   owns the admin. */
void admin_serve_until (admin_t *self, int fd, int timeout_ms);

/* The port it is bound to. */
int admin_port (const admin_t *self);

/* Detaches and closes every connection; accepts NULL, nulls the pointer. */
void admin_destroy (admin_t **self_p);

#endif
