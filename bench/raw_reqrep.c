/*  raw_reqrep - the raw libzmq REQ→REP round-trip baseline for bench/run.

    usage: raw_reqrep COUNT [SIZE]
    A REP thread echoes; the main thread's REQ sends COUNT requests of about
    SIZE bytes (default 110) over loopback TCP, one at a time, after 1000
    warm-up round trips. Prints "p50_us=… p99_us=… rps=…".
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

static double
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y? -1: x > y;
}

static void *
s_replyer (void *rep)
{
    zmq_msg_t msg;
    zmq_msg_init (&msg);
    while (zmq_msg_recv (&msg, rep, 0) >= 0) {
        if (zmq_msg_size (&msg) == 4 && memcmp (zmq_msg_data (&msg), "quit", 4) == 0) {
            zmq_send (rep, "", 0, 0);
            break;
        }
        zmq_msg_send (&msg, rep, 0);
    }
    zmq_msg_close (&msg);
    zmq_close (rep);
    return NULL;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: raw_reqrep COUNT [SIZE]\n");
        return 2;
    }
    int count = atoi (argv [1]);
    int size = argc > 2? atoi (argv [2]): 110;
    void *context = zmq_ctx_new ();
    void *rep = zmq_socket (context, ZMQ_REP);
    zmq_bind (rep, "tcp://127.0.0.1:*");
    char endpoint [64];
    size_t len = sizeof endpoint;
    zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &len);
    pthread_t thread;
    pthread_create (&thread, NULL, s_replyer, rep);
    void *req = zmq_socket (context, ZMQ_REQ);
    zmq_connect (req, endpoint);
    char *payload = malloc (size + 1);
    memset (payload, 'x', size);
    double *rtt = malloc (count * sizeof *rtt);
    char reply [1 << 16];
    double start = 0;
    for (int i = -1000; i < count; i++) {
        if (i == 0)
            start = s_now_us ();
        double t0 = s_now_us ();
        zmq_send (req, payload, size, 0);
        zmq_recv (req, reply, sizeof reply, 0);
        if (i >= 0)
            rtt [i] = s_now_us () - t0;
    }
    double seconds = (s_now_us () - start) / 1e6;
    zmq_send (req, "quit", 4, 0);
    zmq_recv (req, reply, sizeof reply, 0);
    pthread_join (thread, NULL);
    qsort (rtt, count, sizeof *rtt, s_cmp);
    printf ("p50_us=%.1f p99_us=%.1f rps=%.0f\n", rtt [count / 2], rtt [count * 99 / 100], count / seconds);
    zmq_close (req);
    zmq_ctx_term (context);
    free (payload);
    free (rtt);
    return 0;
}
