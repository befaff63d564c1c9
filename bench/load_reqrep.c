/*  load_reqrep - replyer throughput under concurrent requests, for bench/run.

    usage: load_reqrep ENDPOINT COUNT INFLIGHT
    One DEALER (speaking REQ's envelope: an empty delimiter, then the
    request) keeps INFLIGHT requests outstanding at ENDPOINT until COUNT
    replies came, after 50 warm-up ones. Prints "rps=…". Every wait is
    bounded (10 s without a reply ends the run with status 1).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static double
s_now_s (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
s_send (void *dealer, int n)
{
    char body [64];
    int len = snprintf (body, sizeof body, "{\"args\": {\"n\": %d}}", n);
    return zmq_send (dealer, "", 0, ZMQ_SNDMORE) < 0 || zmq_send (dealer, body, (size_t) len, 0) < 0? -1: 0;
}

//  Receives one reply (both frames). Returns 0, or -1 after 10 s.
static int
s_recv (void *dealer)
{
    char buffer [256];
    int more = 1;
    while (more) {
        if (zmq_recv (dealer, buffer, sizeof buffer, 0) < 0)
            return -1;
        size_t size = sizeof more;
        zmq_getsockopt (dealer, ZMQ_RCVMORE, &more, &size);
    }
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc != 4) {
        fprintf (stderr, "usage: load_reqrep ENDPOINT COUNT INFLIGHT\n");
        return 2;
    }
    int count = atoi (argv [2]), inflight = atoi (argv [3]);
    void *context = zmq_ctx_new ();
    void *dealer = zmq_socket (context, ZMQ_DEALER);
    int timeout = 10000, linger = 0;
    zmq_setsockopt (dealer, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt (dealer, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect (dealer, argv [1])) {
        fprintf (stderr, "load_reqrep: cannot connect to %s\n", argv [1]);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < 50 && rc == 0; i++)
        rc = s_send (dealer, i) || s_recv (dealer);
    double start = s_now_s ();
    int sent = 0, received = 0;
    while (rc == 0 && sent < inflight && sent < count)
        rc = s_send (dealer, sent++);
    while (rc == 0 && received < count) {
        rc = s_recv (dealer);
        received++;
        if (rc == 0 && sent < count)
            rc = s_send (dealer, sent++);
    }
    double took = s_now_s () - start;
    zmq_close (dealer);
    zmq_ctx_term (context);
    if (rc) {
        fprintf (stderr, "load_reqrep: no reply within 10 s (%d of %d)\n", received, count);
        return 1;
    }
    printf ("rps=%.0f\n", count / took);
    return 0;
}
