/*  e2e_exactly_once - a three-service chain with --store: each message handled, and its sends stored, once.

    A main-mode producer (durable_source, its own --store) sends 20,000
    durable messages m00001 … m20000 (in_flight 16, outbox_batch 64, group
    commits of 100) to the middle service (relay_once, --store): a dedupe
    replyer whose handler sends {"n"} durably to a dedupe sink
    (durable_sink, --store), with a message id of its own per run of the
    handler. The middle is SIGKILLed at 5 random moments and the producer
    once (each restarted on the same store file); the moments are drawn
    from a seed that the test prints. At the end:
    - the sink's file holds m00001 … m20000 (the prefix of each id it got),
      each once, in order;
    - the middle's store holds exactly one durable send per n, all
      delivered: its handler committed at most once per id (a second
      committed run would have left a second row, with another message id);
    - its inbox holds all 20,000 ids; every store passes an integrity check.
    A second test: the store named by the config's svcfw_store, and a
    svcfw_store that is not a path refused at startup.
*/
#include "e2e.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COUNT 20000
#define RUN_MS 60000            //  the whole run, at most
#define KILLS 5                 //  of the middle (and one of the producer)

typedef struct {
    const char *dir;
    const char *ids;
    const char *source_addresses, *middle_addresses, *sink_addresses;
    const char *source_config, *middle_config, *sink_config;
    const char *source_store, *middle_store, *sink_store;
    e2e_proc_t *procs [16];
    int proc_count;
} s_run_t;

static void
s_dump_all (s_run_t *run)
{
    for (int i = 0; i < run->proc_count; i++)
        e2e_dump (run->procs [i]);
}

static e2e_proc_t *
s_start (s_run_t *run, const char *plugin, const char *addresses, const char *config, const char *store,
         bool main_mode)
{
    e2e_proc_t *proc = main_mode
        ? e2e_svcfw (run->dir, e2e_plugin (plugin), addresses, config, "--store", store, "-m", NULL)
        : e2e_svcfw (run->dir, e2e_plugin (plugin), addresses, config, "--store", store, NULL);
    assert_non_null (proc);
    run->procs [run->proc_count++] = proc;
    if (!e2e_wait_ready (proc)) {
        s_dump_all (run);
        fail_msg ("%s did not become ready", plugin);
    }
    return proc;
}

static void
s_kill (s_run_t *run, e2e_proc_t *proc, const char *what)
{
    int status;
    e2e_stop (proc, SIGKILL, 5000, &status);
    if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGKILL) {
        s_dump_all (run);
        fail_msg ("the %s had exited before its SIGKILL (status %d)", what, status);
    }
}

static bool
s_integrity_ok (const char *path)
{
    sqlite3 *db = NULL;
    bool ok = false;
    if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *stmt = NULL;
        if (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL) == SQLITE_OK
        &&  sqlite3_step (stmt) == SQLITE_ROW)
            ok = strcmp ((const char *) sqlite3_column_text (stmt, 0), "ok") == 0;
        sqlite3_finalize (stmt);
    }
    sqlite3_close (db);
    return ok;
}

static int
s_compare (const void *a, const void *b)
{
    return *(const int *) a - *(const int *) b;
}

static void
test_chain_with_kills (void **state)
{
    s_run_t run = { .dir = *state };
    unsigned seed = (unsigned) (e2e_now_ms () ^ getpid ());
    if (getenv ("E2E_SEED"))
        seed = (unsigned) strtoul (getenv ("E2E_SEED"), NULL, 10);
    print_message ("seed %u (E2E_SEED=%u repeats this run)\n", seed, seed);
    srand (seed);
    int middle_port = e2e_tcp_port (), sink_port = e2e_tcp_port ();
    run.ids = e2e_fmt ("%s/ids.txt", run.dir);
    run.source_store = e2e_fmt ("%s/source.db", run.dir);
    run.middle_store = e2e_fmt ("%s/middle.db", run.dir);
    run.sink_store = e2e_fmt ("%s/sink.db", run.dir);
    run.source_addresses = e2e_fmt ("{\"connections\": {\"in\": {}, \"out\": {\"events\": {\"requester\": \"%s\"}}}}",
                                    e2e_addr (middle_port));
    run.middle_addresses = e2e_fmt ("{\"connections\": {\"in\": {\"events\": {\"replyer\": \"%s\"}}, "
                                    "\"out\": {\"next\": {\"requester\": \"%s\"}}}}",
                                    e2e_addr (middle_port), e2e_addr (sink_port));
    run.sink_addresses = e2e_fmt ("{\"connections\": {\"in\": {\"events\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
                                  e2e_addr (sink_port));
    //  Back-pressure keeps the producer sending through most of the run.
    run.source_config = e2e_fmt ("{\"count\": %d, \"window\": 4000, \"in_flight\": 16, \"batch\": 64, "
                                 "\"group\": 100}", COUNT);
    run.middle_config = "{\"in_flight\": 16, \"batch\": 64}";
    run.sink_config = e2e_fmt ("{\"out_file\": \"%s\"}", run.ids);

    //  The moments: the middle's, the sink's line counts at which a kill
    //  comes; the producer's, the count of ids in the middle's inbox (it
    //  may run ahead of the sink: the producer, which waits for every
    //  acknowledgement, is still running while that is below the half).
    int at [KILLS];
    for (int i = 0; i < KILLS; i++)
        at [i] = COUNT / 20 + rand () % (COUNT * 17 / 20);
    qsort (at, KILLS, sizeof at [0], s_compare);
    int producer_at = COUNT / 20 + rand () % (COUNT * 9 / 20);
    bool producer_killed = false;
    long long start = e2e_now_ms (), deadline = start + RUN_MS;

    e2e_proc_t *sink = s_start (&run, "durable_sink", run.sink_addresses, run.sink_config, run.sink_store, false);
    e2e_proc_t *middle = s_start (&run, "relay_once", run.middle_addresses, run.middle_config, run.middle_store,
                                  false);
    e2e_proc_t *source = s_start (&run, "durable_source", run.source_addresses, run.source_config,
                                  run.source_store, true);
    //  The group calls refuse misuse with a reason.
    E2E_ASSERT_LOG (source, "init: commit alone: svcfw_outbox_commit: no group is open on this thread", E2E_LOG_MS);
    E2E_ASSERT_LOG (source, "init: begin twice: svcfw_outbox_begin: a group is already open on this thread",
                    E2E_LOG_MS);
    for (int i = 0; i < KILLS; i++) {
        while (e2e_lines (run.ids) < at [i]) {
            if (!producer_killed && e2e_sql_long (run.middle_store, "SELECT count(*) FROM \"inbox:events\"") >= producer_at) {
                producer_killed = true;
                s_kill (&run, source, "producer");
                source = s_start (&run, "durable_source", run.source_addresses, run.source_config,
                                  run.source_store, true);
            }
            if (e2e_now_ms () >= deadline) {
                s_dump_all (&run);
                fail_msg ("the sink's file did not reach %d lines (has %d)", at [i], e2e_lines (run.ids));
            }
            usleep (2000);
        }
        s_kill (&run, middle, "middle service");
        middle = s_start (&run, "relay_once", run.middle_addresses, run.middle_config, run.middle_store, false);
    }
    if (!producer_killed) {
        //  Every middle kill came before the producer's moment.
        while (e2e_sql_long (run.middle_store, "SELECT count(*) FROM \"inbox:events\"") < producer_at) {
            if (e2e_now_ms () >= deadline) {
                s_dump_all (&run);
                fail_msg ("the middle's inbox did not reach %d ids", producer_at);
            }
            usleep (2000);
        }
        s_kill (&run, source, "producer");
        source = s_start (&run, "durable_source", run.source_addresses, run.source_config, run.source_store, true);
    }
    int status;
    long long left = deadline - e2e_now_ms ();
    if (!e2e_wait_exit (source, left > 0? (int) left: 1, &status) || !WIFEXITED (status)
    ||  WEXITSTATUS (status) != 0 || !e2e_grep (e2e_proc_out (source), "all delivered")) {
        s_dump_all (&run);
        fail_msg ("the producer did not deliver everything and exit 0 (status %d)", status);
    }
    //  The middle has handed everything on once its outbox is empty.
    while (e2e_sql_long (run.middle_store, "SELECT count(*) FROM \"outbox:next\" WHERE state = 0") != 0
    ||     e2e_lines (run.ids) < COUNT) {
        if (e2e_now_ms () >= deadline) {
            s_dump_all (&run);
            fail_msg ("the middle did not deliver everything (%ld pending; the sink has %d lines)",
                      e2e_sql_long (run.middle_store, "SELECT count(*) FROM \"outbox:next\" WHERE state = 0"),
                      e2e_lines (run.ids));
        }
        usleep (5000);
    }
    assert_true (e2e_stop (middle, SIGTERM, 5000, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    assert_true (e2e_stop (sink, SIGTERM, 5000, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    print_message ("%d messages through 3 services, the middle SIGKILLed at sink lines %d %d %d %d %d, the "
                   "producer at %d ids in the middle's inbox, in %lld ms\n", COUNT, at [0], at [1], at [2], at [3],
                   at [4], producer_at, e2e_now_ms () - start);

    //  The sink saw every id once, in order (the prefix before the middle's ".PID.K").
    char *text = e2e_read_file (run.ids);
    assert_non_null (text);
    int expect = 1;
    for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n")) {
        char want [32];
        snprintf (want, sizeof want, "m%05d.", expect);
        if (strncmp (line, want, strlen (want)) != 0) {
            s_dump_all (&run);
            fail_msg ("the sink's line %d is \"%s\", want the id of m%05d (each id once, in order)",
                      expect, line, expect);
        }
        expect++;
    }
    assert_int_equal (expect - 1, COUNT);
    //  One committed run of the middle's handler per id: one durable send
    //  each (their message ids differ per run), all delivered.
    assert_int_equal (e2e_sql_long (run.middle_store, "SELECT count(*) FROM \"outbox:next\""), COUNT);
    assert_int_equal (e2e_sql_long (run.middle_store,
                               "SELECT count(DISTINCT json_extract(args, '$.n')) FROM \"outbox:next\""), COUNT);
    assert_int_equal (e2e_sql_long (run.middle_store, "SELECT count(*) FROM \"outbox:next\" WHERE state = 1"), COUNT);
    assert_int_equal (e2e_sql_long (run.middle_store, "SELECT count(*) FROM \"inbox:events\""), COUNT);
    assert_int_equal (e2e_sql_long (run.source_store, "SELECT count(*) FROM \"outbox:events\" WHERE state = 1"), COUNT);
    assert_true (s_integrity_ok (run.source_store));
    assert_true (s_integrity_ok (run.middle_store));
    assert_true (s_integrity_ok (run.sink_store));
}

//  The store from the config (svcfw_store), where --store is not given:
//  the inbox and the outbox are tables of that one file. A svcfw_store
//  that is not a path is a one-line startup error naming the key.
static void
test_store_from_config (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port (), next_port = e2e_tcp_port ();
    const char *store = e2e_fmt ("%s/from-config.db", dir);
    const char *addresses = e2e_fmt ("{\"connections\": {\"in\": {\"events\": {\"replyer\": \"%s\"}}, "
                                     "\"out\": {\"next\": {\"requester\": \"%s\"}}}}",
                                     e2e_addr (port), e2e_addr (next_port));
    e2e_proc_t *middle = e2e_svcfw (dir, e2e_plugin ("relay_once"), addresses,
                                    e2e_fmt ("{\"svcfw_store\": \"%s\"}", store), NULL);
    E2E_ASSERT_READY (middle);
    E2E_ASSERT_LOG (middle, "(the service's store: exactly-once)", E2E_LOG_MS);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    cJSON *reply = e2e_request (req, "{\"args\": {\"n\": 5}, \"message_id\": \"x\"}");
    assert_non_null (cJSON_GetObjectItem (reply, "return_args"));
    e2e_sock_destroy (&req);
    int status;
    assert_true (e2e_stop (middle, SIGTERM, 5000, &status));
    assert_int_equal (e2e_sql_long (store, "SELECT count(*) FROM \"inbox:events\""), 1);
    assert_int_equal (e2e_sql_long (store, "SELECT count(*) FROM \"outbox:next\" WHERE message_id LIKE 'x.%'"), 1);

    const char *config = e2e_write_file (dir, "bad.config.json", "{\"svcfw_store\": 3}");
    const char *addresses_file = e2e_write_file (dir, "bad.addresses.json", addresses);
    e2e_proc_t *bad = e2e_svcfw_run (dir, "bad", "-s", e2e_plugin ("relay_once"), "-a", addresses_file,
                                     "-c", config, NULL);
    e2e_assert_one_line (bad, 1, E2E_ERROR_RE, "bad.config.json", "svcfw_store must be a file path", NULL);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_chain_with_kills, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_store_from_config, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
