/*  admin.h - the admin endpoint (SPEC §9): a small HTTP/1.1 server on a
    thread of its own, for /metrics, /livez and /readyz.

    @discuss
    It is a ZMQ_STREAM socket (no new dependency): libzmq's I/O thread
    accepts and reads TCP; the admin thread gets [id][bytes] and answers
    whole requests. It is not on the service's loop, so that a stuck loop
    gets a 503 from /livez (a probe then sees the fault at once, rather
    than a timeout) and /metrics still answers: the loop only ticks (a
    timer stamps the time and hands over its readiness). Every answer closes its connection
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
//  Called on the loop's thread, at each tick.
typedef bool (admin_ready_fn) (void *arg, char *why, size_t size);

/* Binds `address` (HOST:PORT, or a tcp:// endpoint) for HTTP. `ready`
   answers /readyz. Returns a fresh admin (admin_destroy frees it), or NULL
   with err naming the address. */
admin_t *admin_new (const char *address, admin_ready_fn *ready, void *arg, char *err);

/* Starts serving on the admin's own thread, and a timer on `loop` (every
   250 ms) that stamps the loop's liveness and asks `ready`. /livez is 503
   once the loop has not ticked for 2 s; /readyz then too. Returns 0 or -1.
   The loop's thread. */
int admin_attach (admin_t *self, zloop_t *loop);

/* Sets what /readyz answers until the next tick (why: the reason when
   not ready). Any thread. */
void admin_set_ready (admin_t *self, bool ready, const char *why);

/* The process is alive: stamps the liveness as the loop's tick does, for
   a phase in which the loop does not turn (the stop). Any thread. */
void admin_tick (admin_t *self);

/* The port it is bound to. */
int admin_port (const admin_t *self);

/* Ends the thread, detaches and closes every connection; accepts NULL,
   nulls the pointer. The loop's thread. */
void admin_destroy (admin_t **self_p);

#endif
