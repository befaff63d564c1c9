/*  kick.h - the eventfd a connection's loop polls beside its socket's ZMQ_FD.

    A socket's ZMQ_FD is edge-triggered: whoever leaves messages unread (the
    loop at its per-turn bound, a subscriber held at its bound, a handler
    thread whose send took in the news of a request) writes the kick, and
    the loop, polling both, comes back to read. Loop thread, but kick_send
    from any thread.
*/
#ifndef KICK_H_INCLUDED
#define KICK_H_INCLUDED

#include <czmq.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

/* A fresh kick (an eventfd the caller closes), or -1. */
static inline int
kick_new (void)
{
    return eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
}

static inline void
kick_send (int kick)
{
    uint64_t one = 1;
    ssize_t rc = write (kick, &one, sizeof one);
    (void) rc;                  //  only fails when the counter is full: readable anyway
}

/* Takes the kick's count: it is not readable again until the next send. */
static inline void
kick_drain (int kick)
{
    uint64_t count;
    ssize_t rc = read (kick, &count, sizeof count);
    (void) rc;                  //  nothing sent since: nothing to take
}

/* For a zloop_fn called for either fd: takes the kick's count when it was
   the kick that woke it. */
static inline void
kick_take (int kick, const zmq_pollitem_t *item)
{
    if (item->fd == kick)
        kick_drain (kick);
}

/* Polls `fd` (a socket's ZMQ_FD, or an epoll set holding it) and the kick
   on loop, both calling fn (arg). */
static inline int
kick_attach_fd (zloop_t *loop, int fd, int kick, zloop_fn *fn, void *arg)
{
    zmq_pollitem_t fd_item = { NULL, fd, ZMQ_POLLIN, 0 };
    zmq_pollitem_t kick_item = { NULL, kick, ZMQ_POLLIN, 0 };
    return zloop_poller (loop, &fd_item, fn, arg) || zloop_poller (loop, &kick_item, fn, arg)? -1: 0;
}

static inline void
kick_detach_fd (zloop_t *loop, int fd, int kick)
{
    zmq_pollitem_t fd_item = { NULL, fd, ZMQ_POLLIN, 0 };
    zmq_pollitem_t kick_item = { NULL, kick, ZMQ_POLLIN, 0 };
    zloop_poller_end (loop, &fd_item);
    zloop_poller_end (loop, &kick_item);
}

/* Polls sock's ZMQ_FD and the kick on loop, both calling fn (arg). */
static inline int
kick_attach (zloop_t *loop, zsock_t *sock, int kick, zloop_fn *fn, void *arg)
{
    return kick_attach_fd (loop, zsock_fd (sock), kick, fn, arg);
}

static inline void
kick_detach (zloop_t *loop, zsock_t *sock, int kick)
{
    kick_detach_fd (loop, zsock_fd (sock), kick);
}

#endif
