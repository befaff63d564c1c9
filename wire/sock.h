/*  sock.h - opening the ZeroMQ socket of a model entry, with errors that name it.

    Every connection and state opens its sockets the same way: create, set
    the linger that bounds shutdown, bind or connect, and on failure say
    which entry, which endpoint and why.
*/
#ifndef SOCK_H_INCLUDED
#define SOCK_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <czmq.h>
#include "err.h"
#include "models.h"

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
   `linger_ms` and the link options above. Set options that shape its pipes (high-water marks) now,
   before sock_attach: libzmq applies them only to pipes made later, and a
   connect makes its pipe at once. Returns a fresh socket the caller owns
   (zsock_destroy), or NULL with err. */
zsock_t *sock_new (const model_t *model, int type, int linger_ms, char *err);

/* Binds `sock` to, or connects it to, `endpoint`. Returns 0, or -1 with
   err = "connection_models.in.orders: cannot bind tcp://…: Address already in use". */
int sock_attach (const model_t *model, zsock_t *sock, const char *endpoint, bool bind, char *err);

/* sock_new then sock_attach, for a socket that needs no options first.
   Returns a fresh socket the caller owns (zsock_destroy), or NULL with err. */
zsock_t *sock_open (const model_t *model, int type, const char *endpoint, bool bind,
                    int linger_ms, char *err);

/* Caps what `sock` will receive for a message limit of `max_bytes`: up to
   4x the limit a message is read (and refused as too_large by the caller,
   which can say so); past that ZeroMQ drops the peer rather than buffer it. */
void sock_limit (zsock_t *sock, size_t max_bytes);

#endif
