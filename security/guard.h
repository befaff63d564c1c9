/*  guard.h - CURVE on every socket of a service: its key pair, the server
    keys of the addresses it connects to, the allow-list, the denials.

    @discuss
    One guard per service, made at startup before any socket opens and
    immutable afterwards (but for its counters), so any thread that makes
    a socket (the loop, a durable requester's sender) may consult it.
    wire/sock.c applies it to each socket as it binds or connects: a binding
    socket becomes a CURVE server, a connecting one a CURVE client with the
    service's pair and its server's public key.

    With an allow-list directory the guard runs CZMQ's zauth actor, the one
    ZAP handler of the process (libzmq asks it about every CURVE client of
    every binding socket). zauth looks each client key up in a zcertstore,
    which re-reads the directory whenever its files' count, total size or
    newest modification time change (CZMQ 4.2.1 src/zcertstore.c), so a key
    added while the service runs counts from the next handshake.

    Denials are seen through a socket monitor on each binding socket
    (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH for a key the allow-list lacks,
    _PROTOCOL for a client that does not speak CURVE or used the wrong
    server key, _NO_DETAIL for one that hung up mid-handshake, as a client
    without CURVE may when it sees the mismatch first). The guard's actor reads them, counts every one
    (svcfw_auth_denied_total) and logs the first of each cause.

    libzmq keeps one monitor per socket, so the guard's replaces one set
    earlier: a binding subscriber (is_binder) with CURVE on no longer logs
    the links it loses ("dropped the link from ..."); its messages flow as
    before.
    @end
*/
#ifndef GUARD_H_INCLUDED
#define GUARD_H_INCLUDED

#include <stdbool.h>
#include <czmq.h>
#include "err.h"

typedef struct _guard_t guard_t;

/* A guard with the key pair of `secret_path` (a `_secret` cert file) and,
   if `allow_dir` is not NULL, an allow-list. `cert_from` and `allow_from`
   say where each came from ("--curve-cert", "svcfw_curve_cert") and begin
   their errors. Returns a fresh guard the caller owns (guard_destroy), or
   NULL with err = "--curve-cert PATH: ...". Startup thread. */
guard_t *guard_new (const char *secret_path, const char *cert_from, const char *allow_dir,
                    const char *allow_from, char *err);

/* Logs (INFO) that CURVE is on: the service's public key, its allow-list
   and how many keys it holds. Once startup succeeded. */
void guard_announce (guard_t *self);

/* Stops the actors and frees the guard; accepts NULL and nulls *self_p.
   After every socket it secured is closed. */
void guard_destroy (guard_t **self_p);

/* Records the public key of the server at `endpoint` from the cert file
   `server_key_path`, for the connecting sockets to use. `where` names the
   address entry for messages. Returns 0, or -1 with err = "WHERE: PATH:
   ..." (a bad file, or a second, different key for the same endpoint).
   Startup thread, before the first socket opens. */
int guard_add_server (guard_t *self, const char *endpoint, const char *server_key_path,
                      const char *where, char *err);

/* Makes `sock` a CURVE server (before its bind) and watches it for denied
   clients, counted in svcfw_auth_denied_total{connection=name}. Returns 0,
   or -1 with err. Any thread that owns `sock`. */
int guard_server (guard_t *self, zsock_t *sock, const char *name, char *err);

/* Makes `sock` a CURVE client of the server at `endpoint` (before the
   connect). Returns 0, or -1 with err if no server key is known for
   `endpoint`. Any thread that owns `sock`. */
int guard_client (guard_t *self, zsock_t *sock, const char *endpoint, char *err);

/* Clients denied so far (svcfw_auth_denied_total). Any thread. */
long guard_denied (guard_t *self);

/* The service's public key, Z85 (borrowed, valid while the guard lives). */
const char *guard_public_txt (guard_t *self);

#endif
