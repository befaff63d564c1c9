/*  sock.c - opening the ZeroMQ socket of a model entry, with errors that name it. */
#include "sock.h"

zsock_t *
sock_new (const model_t *model, int type, int linger_ms, char *err)
{
    zsock_t *sock = zsock_new (type);
    if (!sock) {
        err_set (err, "%s: cannot create a socket: %s", model->where, zmq_strerror (zmq_errno ()));
        return NULL;
    }
    zsock_set_linger (sock, linger_ms);
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
