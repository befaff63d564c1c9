/*  addresses.h - addresses.json: where each connection's and state's sockets live.

    {"connections": {"in": {CONN: {SOCKET: ADDR}}, "out": {…}},
     "states":      {"in": {STATE: {SOCKET: ADDR}}, "out": {…}}}
    ADDR is HOST:PORT (TCP) or a full ZeroMQ endpoint (tcp://, ipc://, inproc://),
    or, for a connecting socket of a service with CURVE on (SPEC §10),
    {"endpoint": ADDR, "server_key": PATH_TO_THE_SERVER'S_PUBLIC_CERT}.
*/
#ifndef ADDRESSES_H_INCLUDED
#define ADDRESSES_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "err.h"
#include "models.h"

#define ENDPOINT_LEN 256

/* Checks the shape of an addresses document (`name` is its file name for
   messages). Returns 0, or -1 with err naming the file and the key. */
int addresses_check (const cJSON *addresses, const char *name, char *err);

/* Finds the address of `socket` ("replyer", "publisher", …) for `model` and
   writes the ZeroMQ endpoint into `endpoint` (ENDPOINT_LEN), normalised for
   binding (`bind` true: HOST:PORT binds that host; "*" or "0.0.0.0" every
   interface; "localhost" 127.0.0.1) or connecting. Returns 0, or -1 with
   err = "NAME: no address for connection_models.in.orders socket 'replyer'
   (expected connections.in.orders.replyer)". */
int addresses_endpoint (const cJSON *addresses, const char *name, const model_t *model,
                        const char *socket, bool bind, char *endpoint, char *err);

/* The server_key path given with the address of `socket` for `model`, or
   NULL if the address is a plain string. Borrowed from `addresses`. Call
   after addresses_endpoint succeeded for it. */
const char *addresses_server_key (const cJSON *addresses, const model_t *model, const char *socket);

/* Normalises one address as above. Returns 0, or -1 with err naming `addr`. */
int addresses_normalize (const char *addr, bool bind, char *endpoint, char *err);

#endif
