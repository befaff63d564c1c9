/*  sock.h - opening the ZeroMQ socket of a model entry, with errors that name it.

    Every connection and state opens its sockets the same way: create, set
    the linger that bounds shutdown and the largest frame it takes in, bind
    or connect, and on failure say which entry, which endpoint and why.

    @discuss
    The frame cap (ZMQ_MAXMSGSIZE) must be set before bind or connect:
    libzmq 4.3 copies a socket's options into each listener and connection
    when it is made, so a cap set later is ignored. The cap is per frame:
    past it libzmq drops the peer's connection (for a connecting socket,
    for good: its session ends and does not reconnect) and tells nobody but
    a socket monitor (ZMQ_EVENT_DISCONNECTED). libzmq holds every frame of
    a message until the last one arrives, so the frame count of one message
    is not bounded by any libzmq 4.3 option (docs/runtime-contract.md,
    "Limits").
    @end
*/
#ifndef SOCK_H_INCLUDED
#define SOCK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <czmq.h>
#include "err.h"
#include "models.h"
#include "guard.h"

/* Linger on every socket at shutdown, so a stop is bounded. */
#define SOCK_LINGER_MS 1000
/* Frames up to this size are read whole (so the caller can refuse one over
   `max_bytes` as too_large, and say so); a larger frame makes libzmq drop
   the connection. max_bytes plus min(3 x max_bytes, 1 MiB) plus 4096. */
size_t sock_frame_cap (size_t max_bytes);

/* The message limit of sockets that take in only short control messages:
   an XPUB's subscriptions, a state's snapshot requests. */
#define SOCK_CONTROL_BYTES 65536

/* Link defaults (every socket; creation arguments override them):
   a ZMTP heartbeat every zmtp_heartbeat_ms, the link dropped after 3 of
   them pass without a word from the peer (and the peer told to do the
   same); reconnects start after SOCK_RECONNECT_MS and back off, doubling,
   to reconnect_max_ms; a TCP connect that has not completed in
   connect_timeout_ms is abandoned and tried again. */
#define SOCK_HEARTBEAT_MS 1000
#define SOCK_RECONNECT_MS 100
#define SOCK_RECONNECT_MAX_MS 2000
#define SOCK_CONNECT_TIMEOUT_MS 2000

/* A new socket of `type` for `model` (borrowed, for messages) with
   `linger_ms`, the link options above, and no frame taken in over
   sock_frame_cap (max_bytes) (0: no cap; every socket that receives from
   peers has one). Set options that shape its pipes (high-water marks) now,
   before sock_attach: libzmq applies them only to pipes made later, and a
   connect makes its pipe at once. Returns a fresh socket the caller owns
   (zsock_destroy), or NULL with err. */
zsock_t *sock_new (const model_t *model, int type, int linger_ms, size_t max_bytes, char *err);

/* Secures every socket sock_attach binds or connects from now on with
   `guard` (borrowed; NULL: none): a binding socket becomes a CURVE server,
   a connecting one a CURVE client (security/guard.h). Startup thread,
   before the first socket opens; reset to NULL before the guard dies. */
void sock_use_guard (guard_t *guard);

/* Binds `sock` to, or connects it to, `endpoint` (with CURVE when a guard
   is in use). Returns 0, or -1 with
   err = "connection_models.in.orders: cannot bind tcp://…: Address already in use". */
int sock_attach (const model_t *model, zsock_t *sock, const char *endpoint, bool bind, char *err);

/* sock_new then sock_attach, for a socket that needs no options first.
   Returns a fresh socket the caller owns (zsock_destroy), or NULL with err. */
zsock_t *sock_open (const model_t *model, int type, const char *endpoint, bool bind,
                    int linger_ms, size_t max_bytes, char *err);

/* Caps the frames `sock` (a socket not opened by sock_new) takes in at
   sock_frame_cap (max_bytes). Call it before bind or connect: a bind's
   listener copies the options then, and a limit set later does not reach
   the peers it accepts. */
void sock_limit (zsock_t *sock, size_t max_bytes);

/* Watches `sock`: returns a fresh PAIR socket (the caller owns it,
   zsock_destroy, before `sock`) that gets one message per ZMQ_EVENT_* of
   the mask `events` (e.g. ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_CONNECTED; a refused CURVE
   handshake is ZMQ_EVENT_HANDSHAKE_FAILED_AUTH or _PROTOCOL),
   or NULL with err. Read it with sock_monitor_event. Any thread that owns
   `sock`. */
zsock_t *sock_monitor (const model_t *model, zsock_t *sock, int events, char *err);

/* Connects `sock` (a connecting socket) to `endpoint` again, on a fresh
   session: libzmq ends, without reconnecting, the session of a link it
   dropped for a protocol error (a frame over the cap). Returns 0, or -1
   with err. The thread that owns `sock`. */
int sock_relink (const model_t *model, zsock_t *sock, const char *endpoint, char *err);

/* Reads one event from a sock_monitor socket without waiting: returns the
   ZMQ_EVENT_* number, with the peer's endpoint in endpoint[len], or 0 if
   none was waiting. */
int sock_monitor_event (zsock_t *monitor, char *endpoint, size_t len);

#endif
