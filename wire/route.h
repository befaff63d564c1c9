/*  route.h - the routing envelope of a request on a ROUTER socket, kept for its reply.

    A replier on a ROUTER socket receives [routing id][hop...][empty][body...]:
    the routing id ZeroMQ gives the peer, the routing ids that ROUTER/DEALER
    proxies on the way added (none when the client connects directly), the
    empty delimiter a REQ socket sends (a DEALER client sends it itself),
    then the request. The reply goes back as [routing id][hop...][empty][reply].

    A REP socket does this itself, but libzmq 4.3.4's REP keeps state between
    frames that a garbage peer can leave mid-message, and then a legitimate
    request's reply is lost. Reading the envelope here keeps each message
    whole and independent: a malformed envelope is read to its end and
    refused, and nothing of it stays behind.

    A route is a value that travels with its request: whoever holds it can
    send the reply, in any order relative to other requests. Any thread may
    call these on a route it owns; the socket calls follow libzmq's rule (one
    thread at a time per socket).
*/
#ifndef ROUTE_H_INCLUDED
#define ROUTE_H_INCLUDED

#include <stddef.h>
#include <zmq.h>

#define ROUTE_MAX_HOPS 16       //  routing ids before the delimiter, the peer's included
#define ROUTE_MAX_ID 255        //  bytes in one routing id (ZeroMQ's own limit)

typedef struct _route_t route_t;

/* Receives one whole message from a ROUTER `socket` (a libzmq handle) with
   `flags` (e.g. ZMQ_DONTWAIT) for its first frame, and splits off its
   routing envelope. Returns:
     n > 0: the message had n body frames; *route_p is a fresh route the
       caller owns (route_send or route_destroy); body[0..keep-1] (which the
       caller has initialised and closes) hold the first of them; the rest
       were read and dropped;
     0: there was no message to read (*route_p NULL);
     -1: the envelope was malformed (no empty delimiter, nothing after it,
       more than ROUTE_MAX_HOPS routing ids or one longer than ROUTE_MAX_ID):
       the whole message was read and dropped, *route_p is NULL and err
       (ERR_LEN) says why. */
int route_recv (void *socket, route_t **route_p, zmq_msg_t *body, int keep, int flags, char *err);

/* Sends `size` bytes of `data` as the one-frame reply along the route, on
   the ROUTER `socket` it came from. Takes the route whatever the outcome
   (nulls *route_p). A peer that has gone, or whose queue is full, loses the
   reply, as with REP. Returns 0, or -1 with errno set by libzmq. */
int route_send (void *socket, route_t **route_p, const void *data, size_t size);

/* Frees a route without replying; accepts NULL and nulls the pointer. */
void route_destroy (route_t **route_p);

#endif
