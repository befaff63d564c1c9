/*  raw_request.c - one request to a svcfw replyer from a raw ZeroMQ REQ socket.

        raw_request ENDPOINT REQUEST_JSON [TIMEOUT_MS]

    Sends REQUEST_JSON as one frame, prints the reply frame on stdout. Exits 0
    on a reply, 1 when none came within TIMEOUT_MS (default 5000), 2 on a
    usage or socket error. A test tool: it checks nothing in the reply.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

int
main (int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf (stderr, "usage: raw_request ENDPOINT REQUEST_JSON [TIMEOUT_MS]\n");
        return 2;
    }
    int timeout = argc == 4? atoi (argv [3]): 5000;
    int linger = 0;
    void *ctx = zmq_ctx_new ();
    void *sock = zmq_socket (ctx, ZMQ_REQ);
    zmq_setsockopt (sock, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt (sock, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    int status = 2;
    if (zmq_connect (sock, argv [1]) != 0)
        fprintf (stderr, "raw_request: cannot connect %s: %s\n", argv [1], zmq_strerror (zmq_errno ()));
    else
    if (zmq_send (sock, argv [2], strlen (argv [2]), 0) < 0)
        fprintf (stderr, "raw_request: cannot send: %s\n", zmq_strerror (zmq_errno ()));
    else {
        zmq_msg_t reply;
        zmq_msg_init (&reply);
        if (zmq_msg_recv (&reply, sock, 0) < 0) {
            fprintf (stderr, "raw_request: no reply from %s within %d ms\n", argv [1], timeout);
            status = 1;
        }
        else {
            printf ("%.*s\n", (int) zmq_msg_size (&reply), (const char *) zmq_msg_data (&reply));
            status = 0;
        }
        zmq_msg_close (&reply);
    }
    zmq_close (sock);
    zmq_ctx_term (ctx);
    return status;
}
