/*  sock.c - opening the ZeroMQ socket of a model entry, with errors that name it. */
#include "sock.h"

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
sock_new (const model_t *model, int type, int linger_ms, char *err)
{
    zsock_t *sock = zsock_new (type);
    if (!sock) {
        err_set (err, "%s: cannot create a socket: %s", model->where, zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (sock, linger_ms);
    s_set_link_options (model, sock);
    return sock;
}

int
sock_attach (const model_t *model, zsock_t *sock, const char *endpoint, bool bind, char *err)
{
    int rc = bind? zsock_bind (sock, "%s", endpoint): zsock_connect (sock, "%s", endpoint);
    if (rc < 0)
        return err_set (err, "%s: cannot %s %s: %s", model->where, bind? "bind": "connect", endpoint,
                        zmq_strerror (zmq_errno ()));
    return 0;
}

zsock_t *
sock_open (const model_t *model, int type, const char *endpoint, bool bind,
           int linger_ms, char *err)
{
    zsock_t *sock = sock_new (model, type, linger_ms, err);
    if (sock && sock_attach (model, sock, endpoint, bind, err))
        zsock_destroy (&sock);
    return sock;
}

void
sock_limit (zsock_t *sock, size_t max_bytes)
{
    int64_t hard_max = (int64_t) max_bytes * 4 + 4096;
    zmq_setsockopt (zsock_resolve (sock), ZMQ_MAXMSGSIZE, &hard_max, sizeof hard_max);
}
