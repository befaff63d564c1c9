/*  bench_metrics - what counting and a scrape cost: ns per counted message
    (1 and 2 threads on one record), and ms per render of 100 connections.

      bench_metrics [RENDERS]
    prints "METRICS count_ns=... count_2threads_ns=... scrape_100_ms=..."
*/
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics.h"

#define S_COUNTS 20000000

static void *
s_count (void *arg)
{
    metrics_conn_t *conn = arg;
    for (int i = 0; i < S_COUNTS; i++)
        metrics_message (conn, true, METRICS_OK);
    return NULL;
}

int
main (int argc, char **argv)
{
    int renders = argc > 1? atoi (argv [1]): 1000;
    metrics_conn_t *hot = metrics_conn ("hot", METRICS_IN);
    int64_t start = metrics_now ();
    s_count (hot);
    double one = (double) (metrics_now () - start) / S_COUNTS;
    pthread_t threads [2];
    start = metrics_now ();
    for (int i = 0; i < 2; i++)
        pthread_create (&threads [i], NULL, s_count, hot);
    for (int i = 0; i < 2; i++)
        pthread_join (threads [i], NULL);
    double two = (double) (metrics_now () - start) / (2.0 * S_COUNTS);

    //  100 connections, each with every family it can have, and some counts.
    for (int c = 0; c < 100; c++) {
        char name [32];
        snprintf (name, sizeof name, "connection_%03d", c);
        metrics_conn_t *conn = metrics_conn (name, METRICS_IN | METRICS_OUT | METRICS_REQUESTER | METRICS_BREAKER);
        for (int o = 0; o < METRICS_OUTCOMES; o++)
            metrics_message (conn, c % 2, (metrics_outcome_t) o);
        metrics_handler_end (conn, metrics_handler_begin (conn));
        metrics_request (conn, METRICS_OK, metrics_now ());
    }
    size_t bytes = 0;
    start = metrics_now ();
    for (int i = 0; i < renders; i++) {
        char *text = metrics_render ();
        if (!text)
            return 1;
        bytes = strlen (text);
        free (text);
    }
    double scrape = (double) (metrics_now () - start) / renders / 1e6;
    printf ("METRICS count_ns=%.2f count_2threads_ns=%.2f scrape_100_ms=%.3f scrape_bytes=%zu\n",
            one, two, scrape, bytes);
    return 0;
}
