/*  sock.c - opening the ZeroMQ socket of a model entry, with errors that name it. */
#include <stdatomic.h>
#include <string.h>
#include "sock.h"

//  CURVE for every socket of the process, or NULL (sock_use_guard).
static guard_t *s_guard;

void
sock_use_guard (guard_t *guard)
{
    s_guard = guard;
}

size_t
sock_frame_cap (size_t max_bytes)
{
    size_t margin = max_bytes < (1u << 20) / 3? max_bytes * 3: 1u << 20;
    return max_bytes + margin + 4096;
}

void
sock_limit (zsock_t *sock, size_t max_bytes)
{
    int64_t cap = (int64_t) sock_frame_cap (max_bytes);
    zmq_setsockopt (zsock_resolve (sock), ZMQ_MAXMSGSIZE, &cap, sizeof cap);
}

//  Links between hosts: ZMTP heartbeats, a reconnect backoff with a ceiling
//  and a connect timeout, so a peer that vanishes (power loss, partition) is
//  noticed within seconds rather than never. Creation arguments override
//  the defaults (sock.h); applied before bind/connect, as libzmq reads them
//  when a connection is made.
static void
s_set_link_options (const model_t *model, zsock_t *sock)
{
    void *handle = zsock_resolve (sock);
    int heartbeat = model_int (model, "zmtp_heartbeat_ms", SOCK_HEARTBEAT_MS);
    int reconnect_max = model_int (model, "reconnect_max_ms", SOCK_RECONNECT_MAX_MS);
    int connect_timeout = model_int (model, "connect_timeout_ms", SOCK_CONNECT_TIMEOUT_MS);
    int silence = heartbeat > 6553599 / 3? 6553599: heartbeat * 3;     //  ZMQ_HEARTBEAT_TTL's ceiling
    int reconnect = reconnect_max < SOCK_RECONNECT_MS? reconnect_max: SOCK_RECONNECT_MS;
    zmq_setsockopt (handle, ZMQ_HEARTBEAT_IVL, &heartbeat, sizeof heartbeat);
    zmq_setsockopt (handle, ZMQ_HEARTBEAT_TIMEOUT, &silence, sizeof silence);
    zmq_setsockopt (handle, ZMQ_HEARTBEAT_TTL, &silence, sizeof silence);
    zmq_setsockopt (handle, ZMQ_RECONNECT_IVL, &reconnect, sizeof reconnect);
    zmq_setsockopt (handle, ZMQ_RECONNECT_IVL_MAX, &reconnect_max, sizeof reconnect_max);
    zmq_setsockopt (handle, ZMQ_CONNECT_TIMEOUT, &connect_timeout, sizeof connect_timeout);
}

zsock_t *
sock_new (const model_t *model, int type, int linger_ms, size_t max_bytes, char *err)
{
    zsock_t *sock = zsock_new (type);
    if (!sock) {
        err_set (err, "%s: cannot create a socket: %s", model->where, zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (sock, linger_ms);
    if (max_bytes > 0)
        sock_limit (sock, max_bytes);
    s_set_link_options (model, sock);
    return sock;
}

int
sock_attach (const model_t *model, zsock_t *sock, const char *endpoint, bool bind, char *err)
{
    char why [ERR_LEN];
    if (s_guard && (bind? guard_server (s_guard, sock, model->name, why): guard_client (s_guard, sock, endpoint, why)))
        return err_set (err, "%s: cannot %s %s: %s", model->where, bind? "bind": "connect", endpoint, why);
    int rc = bind? zsock_bind (sock, "%s", endpoint): zsock_connect (sock, "%s", endpoint);
    if (rc < 0)
        return err_set (err, "%s: cannot %s %s: %s", model->where, bind? "bind": "connect", endpoint,
                        zmq_strerror (zmq_errno ()));
    return 0;
}

zsock_t *
sock_open (const model_t *model, int type, const char *endpoint, bool bind,
           int linger_ms, size_t max_bytes, char *err)
{
    zsock_t *sock = sock_new (model, type, linger_ms, max_bytes, err);
    if (sock && sock_attach (model, sock, endpoint, bind, err))
        zsock_destroy (&sock);
    return sock;
}

zsock_t *
sock_monitor (const model_t *model, zsock_t *sock, int events, char *err)
{
    //  One inproc name per monitor in the process: sockets of several
    //  threads may be watched at once.
    static atomic_uint s_monitors;
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://svcfw-monitor-%u", atomic_fetch_add (&s_monitors, 1));
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint, events) < 0) {
        err_set (err, "%s: cannot watch the socket: %s", model->where, zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_t *monitor = zsock_new (ZMQ_PAIR);
    if (!monitor || zsock_connect (monitor, "%s", endpoint) < 0) {
        zsock_destroy (&monitor);
        zmq_socket_monitor (zsock_resolve (sock), NULL, 0);
        err_set (err, "%s: cannot watch the socket: %s", model->where, zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (monitor, 0);
    return monitor;
}

int
sock_monitor_event (zsock_t *monitor, char *endpoint, size_t len)
{
    //  libzmq 4.3: [u16 event, u32 value][endpoint].
    void *handle = zsock_resolve (monitor);
    zmq_msg_t frame;
    zmq_msg_init (&frame);
    int event = 0;
    if (zmq_msg_recv (&frame, handle, ZMQ_DONTWAIT) >= 0 && zmq_msg_size (&frame) >= 2) {
        uint16_t number;
        memcpy (&number, zmq_msg_data (&frame), sizeof number);
        event = number;
    }
    if (len)
        endpoint [0] = 0;
    while (zmq_msg_more (&frame)) {
        if (zmq_msg_recv (&frame, handle, 0) < 0)
            break;
        size_t size = zmq_msg_size (&frame);
        if (len && size < len) {
            memcpy (endpoint, zmq_msg_data (&frame), size);
            endpoint [size] = 0;
        }
    }
    zmq_msg_close (&frame);
    return event;
}

int
sock_relink (const model_t *model, zsock_t *sock, const char *endpoint, char *err)
{
    zsock_disconnect (sock, "%s", endpoint);       //  gone already: nothing to undo
    if (zsock_connect (sock, "%s", endpoint) < 0)
        return err_set (err, "%s: cannot connect to %s again: %s", model->where, endpoint,
                        zmq_strerror (zmq_errno ()));
    return 0;
}
