/*  link.h - a socket's dropped links and refused handshakes, counted by a
    thread of their own.

    @discuss
    A requester must tell whether its link dropped during an attempt (the
    request or its reply went with it: libzmq drops a reply frame over the
    cap with its link and says so to nobody but a socket monitor), and
    must not take a drop from before the attempt for one. Reading the
    monitor before every attempt, to set those aside, costs a system call
    a request. A link watch instead has a thread read the monitor (the
    thread sleeps until an event comes) and count the events: the
    requester reads the counts before it sends, an atomic load, and
    compares them only when a wait outlasts its quick receive, woken by
    link_watch_fd. Counts taken before the send are the drops to set
    aside; an event that came just before the send but was not counted
    yet (the thread had not run) is taken for one of the attempt's.
    @end
*/
#ifndef LINK_H_INCLUDED
#define LINK_H_INCLUDED

#include <czmq.h>
#include <stdint.h>
#include "models.h"

typedef struct _link_watch_t link_watch_t;

/* Watches `sock`'s links (ZMQ_EVENT_DISCONNECTED, and a refused
   handshake: ZMQ_EVENT_HANDSHAKE_FAILED_AUTH or _PROTOCOL) on a thread of
   its own. Returns a fresh watch the caller owns (link_watch_destroy,
   before `sock` is closed), or NULL with err naming model's entry. The
   thread that owns `sock`. */
link_watch_t *link_watch_new (const model_t *model, zsock_t *sock, char *err);

/* Ends the thread and the monitor. Nothing if *self_p is NULL. */
void link_watch_destroy (link_watch_t **self_p);

/* The links dropped so far (ZMQ_EVENT_DISCONNECTED). Any thread. */
uint64_t link_watch_drops (link_watch_t *self);

/* The handshakes refused so far, counted before the drop that ends
   them. Any thread. */
uint64_t link_watch_refusals (link_watch_t *self);

/* Readable once an event was counted: an eventfd the caller may poll, and
   empties with link_watch_take. */
int link_watch_fd (link_watch_t *self);

/* Empties link_watch_fd. */
void link_watch_take (link_watch_t *self);

#endif
