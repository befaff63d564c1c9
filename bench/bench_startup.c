/*  bench_startup - time from starting a replyer process to its first reply served.

    usage: bench_startup SVCFW PLUGIN ADDRESSES.json PORT RUNS [REQUEST]
    Each run: a REQ socket connects to 127.0.0.1:PORT, the clock starts,
    svcfw is spawned, the request is sent at once (ZeroMQ queues it until the
    replyer binds), and the clock stops when the reply arrives. The replyer
    is then stopped by its PID. Prints the median and the min over RUNS.
*/
#include <czmq.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

extern char **environ;

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y? -1: x > y;
}

int
main (int argc, char **argv)
{
    if (argc != 6 && argc != 7) {
        fprintf (stderr, "usage: bench_startup SVCFW PLUGIN ADDRESSES.json PORT RUNS [REQUEST]\n");
        return 2;
    }
    int runs = atoi (argv [5]);
    double *ms = calloc (runs, sizeof *ms);
    int done = 0;
    for (int run = 0; run < runs; run++) {
        zsock_t *req = zsock_new_req (NULL);
        zsock_set_linger (req, 0);
        zsock_set_reconnect_ivl (req, 1);     //  measure the replyer, not our retry interval
        zsock_connect (req, "tcp://127.0.0.1:%s", argv [4]);
        char *args [] = { argv [1], "-s", argv [2], "-a", argv [3], "-cl", "ERROR", NULL };
        int64_t start = zclock_usecs ();
        pid_t pid;
        if (posix_spawn (&pid, argv [1], NULL, NULL, args, environ)) {
            perror ("posix_spawn");
            return 1;
        }
        zstr_send (req, argc > 6? argv [6]: "{\"args\": {\"order_id\": 1}}");
        zsock_set_rcvtimeo (req, 5000);
        char *reply = zstr_recv (req);
        int64_t end = zclock_usecs ();
        if (reply && strstr (reply, "return_args"))
            ms [done++] = (end - start) / 1000.0;
        else
            fprintf (stderr, "run %d: no good reply: %s\n", run, reply? reply: "(timeout)");
        zstr_free (&reply);
        kill (pid, SIGTERM);
        int status;
        waitpid (pid, &status, 0);
        zsock_destroy (&req);
    }
    if (!done)
        return 1;
    qsort (ms, done, sizeof *ms, s_cmp);
    printf ("startup_ms median=%.2f min=%.2f runs=%d\n", ms [done / 2], ms [0], done);
    free (ms);
    return 0;
}
