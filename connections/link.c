/*  link.c - a socket's dropped links and refused handshakes, counted by a
    thread of their own. */
#include <errno.h>
#include <stdatomic.h>
#include "link.h"
#include "kick.h"
#include "sock.h"

struct _link_watch_t {
    zsock_t *monitor;           //  sock_monitor's; the actor's alone once it runs
    zactor_t *actor;            //  reads the monitor
    int fd;                     //  a kick (kick.h): sent once an event was counted
    atomic_uint_fast64_t drops;
    atomic_uint_fast64_t refusals;
};

//  zactor_fn: counts the monitor's events until the pipe says to end.
static void
s_actor (zsock_t *pipe, void *arg)
{
    link_watch_t *self = arg;
    zsock_signal (pipe, 0);
    zmq_pollitem_t items [] = {
        { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 },
        { zsock_resolve (self->monitor), 0, ZMQ_POLLIN, 0 },
    };
    while (true) {
        if (zmq_poll (items, 2, -1) < 0) {
            if (zmq_errno () == EINTR)
                continue;
            break;                  //  the context is ending
        }
        if (items [0].revents & ZMQ_POLLIN)
            break;                  //  $TERM: the only message a pipe gets here
        int event;
        bool counted = false;
        while ((event = sock_monitor_event (self->monitor, NULL, 0))) {
            if (event == ZMQ_EVENT_DISCONNECTED)
                atomic_fetch_add (&self->drops, 1);
            else
            if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH || event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
                atomic_fetch_add (&self->refusals, 1);
            counted = true;
        }
        if (counted)
            kick_send (self->fd);
    }
}

link_watch_t *
link_watch_new (const model_t *model, zsock_t *sock, char *err)
{
    link_watch_t *self = calloc (1, sizeof *self);
    if (!self) {
        err_set (err, "%s: out of memory", model->where);
        return NULL;
    }
    atomic_init (&self->drops, 0);
    atomic_init (&self->refusals, 0);
    self->fd = kick_new ();
    if (self->fd < 0) {
        err_set (err, "%s: cannot watch the socket: %s", model->where, strerror (errno));
        link_watch_destroy (&self);
        return NULL;
    }
    self->monitor = sock_monitor (model, sock, ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                  | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL, err);
    if (!self->monitor) {
        link_watch_destroy (&self);
        return NULL;
    }
    //  zactor_new returns once the thread has signalled: from then on the
    //  monitor is the thread's alone.
    self->actor = zactor_new (s_actor, self);
    if (!self->actor) {
        err_set (err, "%s: cannot start the thread that watches the socket", model->where);
        link_watch_destroy (&self);
        return NULL;
    }
    return self;
}

void
link_watch_destroy (link_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    link_watch_t *self = *self_p;
    zactor_destroy (&self->actor);      //  returns once the thread has ended
    zsock_destroy (&self->monitor);
    if (self->fd >= 0)
        close (self->fd);
    free (self);
    *self_p = NULL;
}

uint64_t
link_watch_drops (link_watch_t *self)
{
    return atomic_load (&self->drops);
}

uint64_t
link_watch_refusals (link_watch_t *self)
{
    return atomic_load (&self->refusals);
}

int
link_watch_fd (link_watch_t *self)
{
    return self->fd;
}

void
link_watch_take (link_watch_t *self)
{
    kick_drain (self->fd);
}
