/*  bench_outbox - what one SQLite outbox transaction costs on this machine.

    Enqueues N messages (one transaction each, as svcfw_to_send does) with
    synchronous=FULL and with NORMAL, then marks them delivered with 1, 16,
    64 and 256 rows per transaction (the sender's outbox_batch). Prints one
    line per figure. Built and run by bench/durable_bench.sh:
      cc -O2 -Ibase -Istores bench/bench_outbox.c stores/outbox.c stores/store.c -lsqlite3 -o bench_outbox
      ./bench_outbox DIR [N]
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "outbox.h"

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
s_remove (const char *path)
{
    char name [512];
    const char *suffixes [] = { "", "-wal", "-shm" };
    for (int i = 0; i < 3; i++) {
        snprintf (name, sizeof name, "%s%s", path, suffixes [i]);
        unlink (name);
    }
}

static double
s_enqueue (const char *path, bool full, int count)
{
    char err [ERR_LEN];
    s_remove (path);
    outbox_t *outbox = outbox_open (path, full, err);
    if (!outbox) {
        fprintf (stderr, "%s\n", err);
        exit (1);
    }
    double start = s_now ();
    for (int i = 0; i < count; i++) {
        char id [32], args [64];
        snprintf (id, sizeof id, "m%07d", i);
        snprintf (args, sizeof args, "{\"n\":%d,\"symbol\":\"ACME\",\"qty\":100}", i);
        if (outbox_enqueue (outbox, id, "0b8f3c3e-2b0e-4a43-9d39-6c1f8c3d9a10", args, err) != 1) {
            fprintf (stderr, "%s\n", err);
            exit (1);
        }
    }
    double took = s_now () - start;
    outbox_destroy (&outbox);
    return count / took;
}

static double
s_mark (const char *path, int batch)
{
    char err [ERR_LEN];
    outbox_t *outbox = outbox_open (path, false, err);
    outbox_row_t *rows = calloc ((size_t) batch, sizeof *rows);
    int64_t *seqs = calloc ((size_t) batch, sizeof *seqs);
    long total = 0;
    double start = s_now ();
    int64_t after = 0;
    int count;
    while ((count = outbox_next (outbox, after, batch, rows, err)) > 0) {
        for (int i = 0; i < count; i++)
            seqs [i] = rows [i].seq;
        after = rows [count - 1].seq;
        if (outbox_mark_delivered (outbox, seqs, count, err)) {
            fprintf (stderr, "%s\n", err);
            exit (1);
        }
        outbox_rows_free (rows, count);
        total += count;
    }
    double took = s_now () - start;
    free (rows);
    free (seqs);
    outbox_destroy (&outbox);
    return total / took;
}

int
main (int argc, char **argv)
{
    if (argc < 2) {
        fprintf (stderr, "usage: bench_outbox DIR [N]\n");
        return 2;
    }
    int count = argc > 2? atoi (argv [2]): 20000;
    char path [400];
    snprintf (path, sizeof path, "%s/bench.outbox.db", argv [1]);
    printf ("enqueue, synchronous=NORMAL: %8.0f messages/s (one transaction each)\n", s_enqueue (path, false, count));
    printf ("enqueue, synchronous=FULL:   %8.0f messages/s (one transaction each)\n", s_enqueue (path, true, count));
    int batches [] = { 1, 16, 64, 256 };
    for (int i = 0; i < 4; i++) {
        //  A fresh outbox of pending rows for each batch size.
        s_enqueue (path, false, count);
        printf ("read + mark delivered, %3d rows per transaction: %8.0f rows/s\n", batches [i],
                s_mark (path, batches [i]));
    }
    s_remove (path);
    return 0;
}
