/*  route.c - the routing envelope of a request on a ROUTER socket, kept for its reply. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "route.h"
#include "err.h"

//  Sized to what it holds (a direct client's route is a few bytes), so a
//  request's route comes from malloc's small, per-thread caches; the
//  largest a route may be would be a 4 KiB allocation per request.
struct _route_t {
    int hops;                                   //  routing ids, the peer's first
    unsigned char size [ROUTE_MAX_HOPS];        //  bytes of each
    unsigned char id [];                        //  the ids, one after another
};

//  A route as it is read, on the stack.
typedef struct {
    int hops;
    unsigned char size [ROUTE_MAX_HOPS];
    unsigned char id [ROUTE_MAX_HOPS * ROUTE_MAX_ID];
    size_t used;                                //  bytes of id
} s_reading_t;

//  Reads and drops the rest of a message whose last frame read was `msg`.
static void
s_drain (void *socket, zmq_msg_t *msg)
{
    while (zmq_msg_more (msg))
        if (zmq_msg_recv (msg, socket, 0) < 0)
            break;
}

int
route_recv (void *socket, route_t **route_p, zmq_msg_t *body, int keep, int flags, char *err)
{
    *route_p = NULL;
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    if (zmq_msg_recv (&frame, socket, flags) < 0) {
        zmq_msg_close (&frame);
        return 0;
    }
    s_reading_t reading;
    reading.hops = 0;
    reading.used = 0;
    const char *why = NULL;
    //  The routing ids, up to the empty delimiter. Once the first frame is
    //  in, the whole message is (libzmq delivers messages whole).
    while (!why) {
        size_t size = zmq_msg_size (&frame);
        if (!zmq_msg_more (&frame))
            why = size? "no empty delimiter frame before the request": "no request after the delimiter frame";
        else if (size == 0 && reading.hops > 0)
            break;                              //  the delimiter
        else if (size == 0 || size > ROUTE_MAX_ID || reading.hops == ROUTE_MAX_HOPS)
            why = "a malformed routing envelope (routing id empty, too long, or too many)";
        else {
            reading.size [reading.hops++] = (unsigned char) size;
            memcpy (reading.id + reading.used, zmq_msg_data (&frame), size);
            reading.used += size;
            if (zmq_msg_recv (&frame, socket, 0) < 0)
                why = "a message that ended early";
        }
    }
    route_t *route = why? NULL: malloc (sizeof *route + reading.used);
    if (!why && !route)
        why = "out of memory";
    if (route) {
        route->hops = reading.hops;
        memcpy (route->size, reading.size, sizeof route->size);
        memcpy (route->id, reading.id, reading.used);
    }
    if (why) {
        s_drain (socket, &frame);
        zmq_msg_close (&frame);
        free (route);
        err_set (err, "%s", why);
        return -1;
    }
    //  The body: at least one frame follows the delimiter.
    int count = 0;
    bool more = true;
    while (more) {
        zmq_msg_t *msg = count < keep? &body [count]: &frame;
        if (zmq_msg_recv (msg, socket, 0) < 0)
            break;
        more = zmq_msg_more (msg);
        count++;
    }
    zmq_msg_close (&frame);
    *route_p = route;
    return count;
}

int
route_send (void *socket, route_t **route_p, const void *data, size_t size)
{
    route_t *route = *route_p;
    int rc = 0;
    const unsigned char *id = route->id;
    for (int hop = 0; hop < route->hops && rc == 0; id += route->size [hop++])
        if (zmq_send (socket, id, route->size [hop], ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
            rc = -1;
    if (rc == 0 && (zmq_send (socket, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0
                ||  zmq_send (socket, data, size, ZMQ_DONTWAIT) < 0))
        rc = -1;
    route_destroy (route_p);
    return rc;
}

void
route_destroy (route_t **route_p)
{
    if (!route_p || !*route_p)
        return;
    free (*route_p);
    *route_p = NULL;
}
