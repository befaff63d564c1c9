/*  raw_reqrep - the raw libzmq REQ→REP round-trip baseline for bench/run, in two processes.

    usage: raw_reqrep COUNT [SIZE] [curve|plain] [WARMUP]
    As svcfw runs a requester and a replyer: two processes, each with its
    own ZeroMQ context and I/O thread. A forked child's REP binds loopback
    TCP and echoes; the parent's REQ sends COUNT requests of about SIZE
    bytes (default 110), one at a time, after WARMUP warm-up round trips
    (default 1000). With `curve`, the link is CurveZMQ (REP a CURVE
    server, REQ a client; no authenticator): the cost of the encryption
    alone.
    Prints "p50_us=… p99_us=… rps=…". No ZeroMQ context exists before the
    fork (a context must not cross one).
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
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

static int s_curve;                 //  CurveZMQ on the link
static char s_server_public [41], s_server_secret [41];

//  The replyer process: binds, tells the parent its endpoint on `fd`, echoes until "quit".
static int
s_replyer (int fd)
{
    void *context = zmq_ctx_new ();
    void *rep = zmq_socket (context, ZMQ_REP);
    if (s_curve) {
        int on = 1;
        zmq_setsockopt (rep, ZMQ_CURVE_SERVER, &on, sizeof on);
        zmq_setsockopt (rep, ZMQ_CURVE_SECRETKEY, s_server_secret, 40);
    }
    char endpoint [64] = "";
    size_t len = sizeof endpoint;
    if (zmq_bind (rep, "tcp://127.0.0.1:*") == 0)
        zmq_getsockopt (rep, ZMQ_LAST_ENDPOINT, endpoint, &len);
    if (write (fd, endpoint, sizeof endpoint) != sizeof endpoint || !*endpoint)
        return 1;
    close (fd);
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
    zmq_ctx_term (context);
    return 0;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: raw_reqrep COUNT [SIZE] [curve|plain] [WARMUP]\n");
        return 2;
    }
    int count = atoi (argv [1]);
    int size = argc > 2? atoi (argv [2]): 110;
    s_curve = argc > 3 && strcmp (argv [3], "curve") == 0;
    int warmup = argc > 4? atoi (argv [4]): 1000;
    if (s_curve)
        zmq_curve_keypair (s_server_public, s_server_secret);
    int fds [2];
    if (count < 1 || warmup < 0 || pipe (fds))
        return 2;
    pid_t child = fork ();
    if (child < 0)
        return 1;
    if (child == 0) {
        close (fds [0]);
        _exit (s_replyer (fds [1]));
    }
    close (fds [1]);
    char endpoint [64];
    if (read (fds [0], endpoint, sizeof endpoint) != sizeof endpoint || !*endpoint) {
        fprintf (stderr, "raw_reqrep: the replyer could not bind\n");
        waitpid (child, NULL, 0);
        return 1;
    }
    close (fds [0]);
    void *context = zmq_ctx_new ();
    void *req = zmq_socket (context, ZMQ_REQ);
    if (s_curve) {
        char public_key [41], secret_key [41];
        zmq_curve_keypair (public_key, secret_key);
        zmq_setsockopt (req, ZMQ_CURVE_SERVERKEY, s_server_public, 40);
        zmq_setsockopt (req, ZMQ_CURVE_PUBLICKEY, public_key, 40);
        zmq_setsockopt (req, ZMQ_CURVE_SECRETKEY, secret_key, 40);
    }
    zmq_connect (req, endpoint);
    char *payload = malloc (size + 1);
    memset (payload, 'x', size);
    double *rtt = malloc (count * sizeof *rtt);
    char reply [1 << 16];
    double start = 0;
    for (int i = -warmup; i < count; i++) {
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
    waitpid (child, NULL, 0);
    qsort (rtt, count, sizeof *rtt, s_cmp);
    printf ("p50_us=%.1f p99_us=%.1f rps=%.0f\n", rtt [count / 2], rtt [count * 99 / 100], count / seconds);
    zmq_close (req);
    zmq_ctx_term (context);
    free (payload);
    free (rtt);
    return 0;
}
