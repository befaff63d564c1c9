/*  bench_handoff - what handing a message to a handler thread costs, beside a raw inproc PAIR round trip.

    usage: bench_handoff COUNT
    handoff: the loop thread submits a job to svcfw's handler pool (core/pool.c),
    a handler thread runs it (an empty handler), and the completion comes back
    to the loop thread through the pool's eventfd, which the loop polls:
    one message's whole trip there and back, one at a time.
    pair: the same trip as a raw libzmq inproc PAIR ping-pong between two threads.
    Prints "handoff_us=… pair_us=…" (means over COUNT trips, after 1000 warm-up).
*/
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <zmq.h>
#include "pool.h"

static double
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void s_run (host_job_t *job, void *worker) { (void) worker; job->work (job, NULL); }
static void s_work (host_job_t *job, wire_arena_t *arena) { (void) job; (void) arena; }
static int s_completed;
static void s_done (host_job_t *job) { (void) job; s_completed++; }

static double
s_handoff (int count)
{
    char err [ERR_LEN];
    pool_t *pool = pool_new ("bench", 1, s_run, NULL, NULL, NULL, err);
    if (!pool) {
        fprintf (stderr, "bench_handoff: %s\n", err);
        exit (1);
    }
    host_job_t job = { .work = s_work, .done = s_done };
    double start = 0;
    for (int i = 0; i < count + 1000; i++) {
        if (i == 1000)
            start = s_now_us ();
        int want = s_completed + 1;
        pool_submit (pool, &job);
        while (s_completed < want) {
            struct pollfd item = { .fd = pool_fd (pool), .events = POLLIN };
            if (poll (&item, 1, 10000) <= 0) {
                fprintf (stderr, "bench_handoff: no completion within 10 s\n");
                exit (1);
            }
            pool_complete (pool);
        }
    }
    double per = (s_now_us () - start) / count;
    pool_destroy (&pool, 1000);
    return per;
}

static void *s_context;
static int s_count;

static void *
s_echo (void *arg)
{
    (void) arg;
    void *pair = zmq_socket (s_context, ZMQ_PAIR);
    zmq_connect (pair, "inproc://bench-handoff");
    char byte;
    for (int i = 0; i < s_count + 1000; i++)
        if (zmq_recv (pair, &byte, 1, 0) < 0 || zmq_send (pair, &byte, 1, 0) < 0)
            break;
    zmq_close (pair);
    return NULL;
}

static double
s_pair (int count)
{
    s_context = zmq_ctx_new ();
    s_count = count;
    void *pair = zmq_socket (s_context, ZMQ_PAIR);
    zmq_bind (pair, "inproc://bench-handoff");
    int timeout = 10000;
    zmq_setsockopt (pair, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    pthread_t thread;
    pthread_create (&thread, NULL, s_echo, NULL);
    double start = 0;
    char byte = 'x';
    for (int i = 0; i < count + 1000; i++) {
        if (i == 1000)
            start = s_now_us ();
        if (zmq_send (pair, &byte, 1, 0) < 0 || zmq_recv (pair, &byte, 1, 0) < 0) {
            fprintf (stderr, "bench_handoff: the PAIR echo stopped\n");
            exit (1);
        }
    }
    double per = (s_now_us () - start) / count;
    pthread_join (thread, NULL);
    zmq_close (pair);
    zmq_ctx_term (s_context);
    return per;
}

int
main (int argc, char **argv)
{
    int count = argc > 1? atoi (argv [1]): 100000;
    //  Interleaved, so machine noise hits both.
    double handoff = s_handoff (count / 2), pair = s_pair (count / 2);
    handoff = (handoff + s_handoff (count / 2)) / 2;
    pair = (pair + s_pair (count / 2)) / 2;
    printf ("handoff_us=%.2f pair_us=%.2f\n", handoff, pair);
    return 0;
}
