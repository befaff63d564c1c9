/*  e2e_durable - durable delivery loses nothing and handles nothing twice, through SIGKILLs.

    A main-mode producer (durable_source) sends 10,000 durable messages,
    m00001 … m10000, to a dedupe replyer (durable_sink) whose handler
    appends each message id to a file. During the run the replyer is
    SIGKILLed and restarted twice and the producer once; each kill point is
    a real condition (the file has reached N lines; for the producer, also
    that some messages were handled but not yet marked delivered, so its
    restart must send them again). At the end the file holds every id once,
    in order; the outbox has every message delivered; the inbox answered
    the repeats itself; and both SQLite files pass an integrity check.
    A second test stops a producer with SIGTERM while its downstream is
    dead: exit 0, nothing marked, everything still pending (and a second
    producer on the same outbox meanwhile is refused at startup). A third
    SIGKILLs a producer at five points of a delivery and SIGTERMs it once
    mid-delivery, checking its outbox's integrity after each.
*/
#include "e2e.h"

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COUNT 10000
#define RUN_MS 60000            //  the whole run, at most (it takes a few seconds)

typedef struct {
    const char *dir;
    const char *sink_addresses;
    const char *sink_config;
    const char *source_addresses;
    const char *source_config;
    const char *ids;            //  the file the handler appends to
    const char *outbox;
    const char *inbox;
    e2e_proc_t *sinks [3];
    int sink_runs;
    e2e_proc_t *sources [2];
    int source_runs;
} s_run_t;

static e2e_proc_t *
s_start_sink (s_run_t *run)
{
    e2e_proc_t *sink = e2e_svcfw (run->dir, e2e_plugin ("durable_sink"), run->sink_addresses,
                                  run->sink_config, NULL);
    E2E_ASSERT_READY (sink);
    run->sinks [run->sink_runs++] = sink;
    return sink;
}

static e2e_proc_t *
s_start_source (s_run_t *run)
{
    e2e_proc_t *source = e2e_svcfw (run->dir, e2e_plugin ("durable_source"), run->source_addresses,
                                    run->source_config, "-m", NULL);
    E2E_ASSERT_READY (source);
    run->sources [run->source_runs++] = source;
    return source;
}

static void
s_dump_all (s_run_t *run)
{
    for (int i = 0; i < run->sink_runs; i++)
        e2e_dump (run->sinks [i]);
    for (int i = 0; i < run->source_runs; i++)
        e2e_dump (run->sources [i]);
}

//  Waits until the ids file has at least `lines` lines.
static void
s_wait_lines (s_run_t *run, int lines)
{
    long long deadline = e2e_now_ms () + RUN_MS;
    while (e2e_lines (run->ids) < lines) {
        if (e2e_now_ms () >= deadline) {
            s_dump_all (run);
            fail_msg ("the file did not reach %d lines (has %d)", lines, e2e_lines (run->ids));
        }
        usleep (2000);
    }
}

static char
s_proc_state (pid_t pid)
{
    char *stat = e2e_read_file (e2e_fmt ("/proc/%d/stat", (int) pid));
    char *close_paren = stat? strrchr (stat, ')'): NULL;
    return close_paren && close_paren [1] == ' '? close_paren [2]: '?';
}

//  SIGKILLs the producer at a moment when the replyer has handled at least
//  two messages whose delivery the outbox has not marked yet: the restarted
//  producer must send those again, and the inbox must answer them. The
//  process is stopped (SIGSTOP) to look, and let go again if not.
static void
s_kill_source_with_unmarked (s_run_t *run, e2e_proc_t *source)
{
    pid_t pid = e2e_proc_pid (source);
    long long deadline = e2e_now_ms () + RUN_MS;
    while (true) {
        if (e2e_now_ms () >= deadline || !e2e_alive (source)) {
            s_dump_all (run);
            fail_msg ("no moment with handled but unmarked messages to kill the producer at");
        }
        kill (pid, SIGSTOP);
        while (s_proc_state (pid) != 'T' && e2e_alive (source))
            usleep (500);
        long delivered = e2e_sql_long (run->outbox, "SELECT count(*) FROM outbox WHERE state = 1");
        int lines = e2e_lines (run->ids);
        if (delivered >= 0 && lines - delivered >= 2) {
            print_message ("killing the producer: %d handled, %ld marked delivered\n", lines, delivered);
            break;
        }
        kill (pid, SIGCONT);
        usleep (1000);
    }
    int status;
    e2e_stop (source, SIGKILL, 5000, &status);
    assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
}

static void
s_kill_sink (s_run_t *run, e2e_proc_t *sink)
{
    int status;
    e2e_stop (sink, SIGKILL, 5000, &status);
    if (!WIFSIGNALED (status) || WTERMSIG (status) != SIGKILL) {
        s_dump_all (run);
        fail_msg ("the replyer had exited before its SIGKILL (status %d)", status);
    }
}

static void
test_nothing_lost_nothing_twice (void **state)
{
    s_run_t run = { .dir = *state };
    int port = e2e_tcp_port ();
    run.ids = e2e_fmt ("%s/ids.txt", run.dir);
    run.outbox = e2e_fmt ("%s/durable_source.events.outbox.db", run.dir);
    run.inbox = e2e_fmt ("%s/durable_sink.events.inbox.db", run.dir);
    run.sink_addresses = e2e_fmt ("{\"connections\": {\"in\": {\"events\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
                                  e2e_addr (port));
    run.source_addresses = e2e_fmt ("{\"connections\": {\"in\": {}, \"out\": {\"events\": {\"requester\": \"%s\"}}}}",
                                    e2e_addr (port));
    run.sink_config = e2e_fmt ("{\"out_file\": \"%s\"}", run.ids);
    //  Back-pressure keeps the producer sending through most of the run.
    run.source_config = e2e_fmt ("{\"count\": %d, \"window\": 1500}", COUNT);
    long long start = e2e_now_ms ();

    e2e_proc_t *sink = s_start_sink (&run);
    e2e_proc_t *source = s_start_source (&run);
    E2E_ASSERT_LOG (source, "init: 0 pending", E2E_LOG_MS);

    s_wait_lines (&run, 2000);
    s_kill_sink (&run, sink);
    sink = s_start_sink (&run);

    s_wait_lines (&run, 4000);
    s_kill_source_with_unmarked (&run, source);
    long pending = e2e_sql_long (run.outbox, "SELECT count(*) FROM outbox WHERE state = 0");
    source = s_start_source (&run);
    //  svcfw_init sees the outbox as the killed producer left it.
    E2E_ASSERT_LOG (source, e2e_fmt ("init: %ld pending", pending), E2E_LOG_MS);

    s_wait_lines (&run, 7000);
    s_kill_sink (&run, sink);
    sink = s_start_sink (&run);

    int status;
    if (!e2e_wait_exit (source, RUN_MS, &status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0
    ||  !e2e_grep (e2e_proc_out (source), "all delivered")) {
        s_dump_all (&run);
        fail_msg ("the restarted producer did not deliver everything and exit 0 (status %d)", status);
    }
    assert_true (e2e_stop (sink, SIGTERM, 5000, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    print_message ("10,000 durable messages through 3 SIGKILLs in %lld ms\n", e2e_now_ms () - start);

    //  Every id once, in order.
    char *ids = e2e_read_file (run.ids);
    assert_non_null (ids);
    char *line = ids;
    for (int i = 1; i <= COUNT; i++) {
        char want [16];
        int len = snprintf (want, sizeof want, "m%05d\n", i);
        if (strncmp (line, want, (size_t) len) != 0) {
            char got [16] = "";
            sscanf (line, "%15s", got);
            s_dump_all (&run);
            fail_msg ("line %d of %s is \"%s\", expected m%05d", i, run.ids, got, i);
        }
        line += len;
    }
    assert_string_equal (line, "");

    //  The outbox: all delivered, none pending or failed; the inbox remembers all.
    assert_int_equal (e2e_sql_long (run.outbox, "SELECT count(*) FROM outbox WHERE state = 1"), COUNT);
    assert_int_equal (e2e_sql_long (run.outbox, "SELECT count(*) FROM outbox WHERE state <> 1"), 0);
    assert_int_equal (e2e_sql_long (run.inbox, "SELECT count(*) FROM inbox"), COUNT);
    //  Never corrupted by the kills.
    assert_int_equal (e2e_sql_long (run.outbox, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
    assert_int_equal (e2e_sql_long (run.inbox, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);

    //  The repeats the producer's restart sent were answered by the inbox,
    //  without the handler.
    int inbox_answers = 0, handler_skips = 0;
    for (int i = 0; i < run.sink_runs; i++) {
        inbox_answers += e2e_line_count (e2e_proc_out (run.sinks [i]), "answered a repeat of message", NULL);
        handler_skips += e2e_line_count (e2e_proc_out (run.sinks [i]), "skipped repeat", NULL);
    }
    print_message ("repeats answered by the inbox: %d replyer run(s); skipped by the handler: %d\n",
                   inbox_answers, handler_skips);
    if (inbox_answers < 1) {
        s_dump_all (&run);
        fail_msg ("the inbox answered no repeat");
    }
}

//  SIGTERM with the downstream dead and messages pending: exit 0 at once
//  (the send in flight is abandoned), and every message is still pending.
static void
test_sigterm_with_downstream_dead (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();             //  nothing listens here
    const char *outbox = e2e_fmt ("%s/durable_source.events.outbox.db", dir);
    e2e_proc_t *source = e2e_svcfw (dir, e2e_plugin ("durable_source"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"events\": {\"requester\": \"%s\"}}}}", e2e_addr (port)),
        "{\"count\": 50}", "-m", NULL);
    E2E_ASSERT_READY (source);
    E2E_ASSERT_LOG (source, "enqueued 50", E2E_LOG_MS);
    E2E_ASSERT_LOG (source, "is down", E2E_LOG_MS);
    //  A second producer on the same outbox is refused: one sender per file.
    const char *addresses = e2e_write_file (dir, "second.addresses.json", e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"events\": {\"requester\": \"%s\"}}}}", e2e_addr (port)));
    const char *config = e2e_write_file (dir, "second.config.json", "{\"count\": 50}");
    e2e_proc_t *second = e2e_svcfw_run (dir, "second", "-s", e2e_plugin ("durable_source"), "-a", addresses,
                                        "-c", config, "-m", NULL);
    e2e_assert_one_line (second, 1, E2E_ERROR_RE, "durable_source.events.outbox.db",
                         "the outbox is in use by another process", NULL);
    int status;
    long long start = e2e_now_ms ();
    bool in_time = e2e_stop (source, SIGTERM, 3000, &status);
    long long took = e2e_now_ms () - start;
    if (!in_time || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (source);
        fail_msg ("expected exit 0 after SIGTERM; %s after %lld ms, status %d",
                  in_time? "exited": "killed", took, status);
    }
    assert_int_equal (e2e_sql_long (outbox, "SELECT count(*) FROM outbox WHERE state = 0"), 50);
    assert_int_equal (e2e_sql_long (outbox, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
}

//  The producer is SIGKILLed at five successive points of a delivery and
//  then stopped with SIGTERM while delivering: after each, its outbox
//  passes an integrity check and still holds every message (none lost, none
//  twice); the SIGTERM exits 0; a last run delivers the rest, each id once.
static void
test_kills_and_sigterm_mid_delivery (void **state)
{
    s_run_t run = { .dir = *state };
    int port = e2e_tcp_port ();
    const int count = 3000;
    run.ids = e2e_fmt ("%s/ids.txt", run.dir);
    run.outbox = e2e_fmt ("%s/durable_source.events.outbox.db", run.dir);
    run.sink_addresses = e2e_fmt ("{\"connections\": {\"in\": {\"events\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
                                  e2e_addr (port));
    run.source_addresses = e2e_fmt ("{\"connections\": {\"in\": {}, \"out\": {\"events\": {\"requester\": \"%s\"}}}}",
                                    e2e_addr (port));
    run.sink_config = e2e_fmt ("{\"out_file\": \"%s\"}", run.ids);
    run.source_config = e2e_fmt ("{\"count\": %d, \"window\": 300, \"batch\": 16}", count);
    e2e_proc_t *sink = s_start_sink (&run);
    const char *integrity = "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'";
    for (int kill_at = 300; kill_at <= 1500; kill_at += 300) {
        //  s_run_t keeps two producer runs; older ones are still the harness's.
        run.source_runs = 0;
        e2e_proc_t *source = s_start_source (&run);
        s_wait_lines (&run, kill_at);
        int status;
        e2e_stop (source, kill_at < 1500? SIGKILL: SIGTERM, 3000, &status);
        if (kill_at < 1500)
            assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
        else
        if (!WIFEXITED (status) || WEXITSTATUS (status) != 0) {
            s_dump_all (&run);
            fail_msg ("SIGTERM during delivery: expected exit 0, status %d", status);
        }
        assert_int_equal (e2e_sql_long (run.outbox, integrity), 1);
        long rows = e2e_sql_long (run.outbox, "SELECT count(*) FROM outbox");
        long distinct = e2e_sql_long (run.outbox, "SELECT count(DISTINCT message_id) FROM outbox");
        assert_int_equal (rows, distinct);
        assert_true (rows >= e2e_lines (run.ids));
    }
    run.source_runs = 0;
    e2e_proc_t *source = s_start_source (&run);
    int status;
    if (!e2e_wait_exit (source, RUN_MS, &status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        s_dump_all (&run);
        fail_msg ("the last producer run did not finish (status %d)", status);
    }
    assert_true (e2e_stop (sink, SIGTERM, 5000, &status));
    assert_int_equal (e2e_lines (run.ids), count);
    char *ids = e2e_read_file (run.ids);
    char *line = ids;
    for (int i = 1; i <= count; i++) {
        char want [16];
        int len = snprintf (want, sizeof want, "m%05d\n", i);
        if (strncmp (line, want, (size_t) len) != 0)
            fail_msg ("line %d of %s is not m%05d", i, run.ids, i);
        line += len;
    }
    assert_int_equal (e2e_sql_long (run.outbox, "SELECT count(*) FROM outbox WHERE state = 1"), count);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_nothing_lost_nothing_twice, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_sigterm_with_downstream_dead, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_kills_and_sigterm_mid_delivery, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
