/*  e2e_up - `svcfw up GRAPH`: a graph's services run as one, with the real binary.

    Test graphs are written per test with ports from e2e_tcp_port and the
    test plugins by absolute path: requester_main (main mode; count orders,
    then exit_code) with echo_replyer; the chain producer (main mode,
    binding publisher, a tick every period_ms) -> transformer (subscriber,
    requester; "heard n=N", "forwarded n=N") -> echo_replyer; init_fails
    (exits 1 at start); stuck_stop (its stop hangs 30 s).
    Child PIDs are read from up's "started NAME (pid N)" lines; a child is
    gone when /proc/PID is gone or a zombie (in a container, PID 1 may not
    reap).
*/
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "e2e.h"

#define UP_EXIT_MS 30000        //  a whole graph that ends by itself, on a busy machine

//  Asserts up's output holds `needle` `count` times within E2E_LOG_MS.
#define E2E_ASSERT_COUNT(up, needle, count)                                     \
    do {                                                                        \
        if (!e2e_wait_count (e2e_proc_out (up), (needle), (count), E2E_LOG_MS)) { \
            e2e_dump (up);                                                      \
            fail_msg ("expected \"%s\" %d times in up's output", (needle), (count)); \
        }                                                                       \
    } while (0)

//  Starts `svcfw up GRAPH EXTRA...` with its output in DIR/up.out.
static e2e_proc_t *
s_up (const char *dir, const char *graph, const char *extra1, const char *extra2, const char *extra3)
{
    const char *argv [] = { SVCFW_BIN, "up", graph, extra1, extra2, extra3, NULL };
    //  up's own files (inline addresses, the notify socket) go under the
    //  test's directory, so a SIGKILLed up leaves nothing behind.
    char *tmp = getenv ("TMPDIR")? strdup (getenv ("TMPDIR")): NULL;
    setenv ("TMPDIR", dir, 1);
    e2e_proc_t *up = e2e_spawn ((char *const *) argv, e2e_fmt ("%s/up.out", dir), NULL);
    if (tmp)
        setenv ("TMPDIR", tmp, 1);
    else
        unsetenv ("TMPDIR");
    free (tmp);
    assert_non_null (up);
    return up;
}

//  The PID of the last start of service `name` (0 if none yet).
static pid_t
s_pid (e2e_proc_t *up, const char *name)
{
    char *line = e2e_grep_last (e2e_proc_out (up), e2e_fmt ("| started %s (pid ", name));
    if (!line)
        return 0;
    int pid = 0;
    sscanf (strstr (line, "(pid ") + 5, "%d", &pid);
    return pid;
}

//  True if the process is gone (or a zombie: it runs no more).
static bool
s_gone (pid_t pid)
{
    char *stat = e2e_read_file (e2e_fmt ("/proc/%d/stat", (int) pid));
    if (!stat)
        return true;
    const char *end = strrchr (stat, ')');
    return end && end [1] == ' ' && end [2] == 'Z';
}

typedef struct {
    pid_t pids [8];
    int count;
} pids_t;

static bool
s_all_gone (void *arg)
{
    pids_t *pids = arg;
    for (int i = 0; i < pids->count; i++)
        if (!s_gone (pids->pids [i]))
            return false;
    return true;
}

//  Asserts every line of up's output is "NAME | TEXT" with a known NAME.
static void
s_assert_lines_whole (e2e_proc_t *up, const char *names_re)
{
    char *out = e2e_read_file (e2e_proc_out (up));
    assert_non_null (out);
    char *save = NULL;
    for (char *line = strtok_r (out, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        if (!e2e_match (line, e2e_fmt ("^(%s) +\\| ", names_re))) {
            e2e_dump (up);
            fail_msg ("a line of up's output without a service's prefix: \"%s\"", line);
        }
}

//  Offset of the first occurrence of needle in up's output, or -1.
static long
s_at (e2e_proc_t *up, const char *needle)
{
    char *out = e2e_read_file (e2e_proc_out (up));
    char *hit = out? strstr (out, needle): NULL;
    return hit? hit - out: -1;
}

//  The requester_main + echo_replyer graph; requester_main comes first in
//  the file, though it connects to echo_replyer.
static char *
s_request_graph (const char *dir, int exit_code)
{
    int port = e2e_tcp_port ();
    return e2e_write_file (dir, "graph.json", e2e_fmt (
        "{\"services\": {"
        " \"requester_main\": {\"plugin\": \"%s\", \"main\": true,"
        "   \"addresses\": {\"connections\": {\"out\": {\"orders\": {\"requester\": \"%s\"}}}},"
        "   \"args\": {\"count\": 3, \"exit_code\": %d}},"
        " \"echo_replyer\": {\"plugin\": \"%s\","
        "   \"addresses\": {\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}}}}",
        e2e_plugin ("requester_main"), e2e_addr (port), exit_code, e2e_plugin ("echo_replyer"), e2e_addr (port)));
}

//  producer -> transformer -> echo_replyer, listed consumer first.
static char *
s_chain_graph (const char *dir, const char *extra_service)
{
    int ticks = e2e_tcp_port (), orders = e2e_tcp_port ();
    return e2e_write_file (dir, "graph.json", e2e_fmt (
        "{\"services\": {"
        " \"transformer\": {\"plugin\": \"%s\","
        "   \"addresses\": {\"connections\": {\"in\": {\"ticks\": {\"subscriber\": \"%s\"}},"
        "                                      \"out\": {\"orders\": {\"requester\": \"%s\"}}}}},"
        " \"echo_replyer\": {\"plugin\": \"%s\","
        "   \"addresses\": {\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}}}},"
        " \"producer\": {\"plugin\": \"%s\", \"main\": true, \"args\": {\"period_ms\": 50},"
        "   \"addresses\": {\"connections\": {\"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}}%s}}",
        e2e_plugin ("transformer"), e2e_addr (ticks), e2e_addr (orders),
        e2e_plugin ("echo_replyer"), e2e_addr (orders),
        e2e_plugin ("producer"), e2e_addr (ticks), extra_service? extra_service: ""));
}

//  The PIDs of the chain graph's three services, once all started.
static pids_t
s_chain_pids (e2e_proc_t *up)
{
    E2E_ASSERT_LOG (up, "| all 3 services started", E2E_READY_MS * 3);
    pids_t pids = { { s_pid (up, "transformer"), s_pid (up, "echo_replyer"), s_pid (up, "producer") }, 3 };
    for (int i = 0; i < pids.count; i++)
        assert_true (pids.pids [i] > 0);
    return pids;
}

static void
test_exit_with (void **state)
{
    const char *dir = *state;
    e2e_proc_t *up = s_up (dir, s_request_graph (dir, 7), "--exit-with", "requester_main", NULL);
    int status;
    if (!e2e_wait_exit (up, UP_EXIT_MS, &status)) {
        e2e_dump (up);
        fail_msg ("svcfw up did not end after requester_main exited");
    }
    //  requester_main's status is up's.
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 7);
    //  The binding side first, though the file lists it second.
    long replyer = s_at (up, "| started echo_replyer (pid ");
    long requester = s_at (up, "| started requester_main (pid ");
    assert_true (replyer >= 0 && requester > replyer);
    assert_true (s_at (up, "| echo_replyer (pid ") < requester);     //  its READY=1 came first
    //  The flow, under each service's name.
    for (int id = 1; id <= 3; id++) {
        assert_int_equal (e2e_line_count (e2e_proc_out (up), "requester_main |", e2e_fmt ("reply %d ok=true", id)), 1);
        assert_int_equal (e2e_line_count (e2e_proc_out (up), "echo_replyer   |", e2e_fmt ("got order %d ", id)), 1);
    }
    assert_true (s_at (up, "requester_main exited with status 7") > 0);
    assert_true (s_at (up, "SIGTERM to echo_replyer") > 0);
    assert_true (s_at (up, "echo_replyer exited with status 0") > 0);
    s_assert_lines_whole (up, "up|echo_replyer|requester_main");
    //  svcfw's lines without the date and the service field (the prefix
    //  names the service).
    assert_non_null (e2e_grep_re (e2e_proc_out (up), "^echo_replyer   \\| [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3} "
                                  "INFO    \\[[-0-9a-f]{36}\\] got order 1 note= wf="));
    //  Not a terminal: no colour.
    assert_int_equal (e2e_file_count (e2e_proc_out (up), "\033["), 0);

    //  --color always colours the prefixes (and the children's levels).
    up = s_up (dir, s_request_graph (dir, 0), "--exit-with", "requester_main", "--color=always");
    assert_true (e2e_wait_exit (up, UP_EXIT_MS, &status));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_true (e2e_file_count (e2e_proc_out (up), "\033[36mecho_replyer   |\033[0m ") > 0);
}

typedef struct {
    e2e_proc_t *up;
    pid_t old;                  //  transformer's first PID
    pid_t fresh;                //  its PID after the restart
    long from;                  //  where its restart is in up's output
} restart_t;

static bool
s_restarted (void *arg)
{
    restart_t *r = arg;
    r->fresh = s_pid (r->up, "transformer");
    return r->fresh > 0 && r->fresh != r->old;
}

//  Three messages forwarded since the restart.
static bool
s_forwarding (void *arg)
{
    restart_t *r = arg;
    char *out = e2e_read_file (e2e_proc_out (r->up));
    int after = 0;
    for (const char *hit = out? out + r->from: NULL; hit && (hit = strstr (hit, "replies=2")); hit++)
        after++;
    return after >= 3;
}

static void
test_whole_lines (void **state)
{
    const char *dir = *state;
    //  partial_writer writes its lines in pieces while the chain logs.
    char *graph = s_chain_graph (dir, e2e_fmt (
        ", \"partial_writer\": {\"plugin\": \"%s\", \"main\": true, \"restart\": \"never\"}",
        e2e_plugin ("partial_writer")));
    e2e_proc_t *up = s_up (dir, graph, "--exit-with", "partial_writer", NULL);
    int status;
    if (!e2e_wait_exit (up, UP_EXIT_MS, &status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (up);
        fail_msg ("svcfw up --exit-with partial_writer: expected exit 0");
    }
    const char *out = e2e_proc_out (up);
    s_assert_lines_whole (up, "up|transformer|echo_replyer|producer|partial_writer");
    //  Each line whole, though written in two pieces 50 ms apart.
    assert_int_equal (e2e_line_count (out, "partial_writer | half whole", NULL), 5);
    assert_int_equal (e2e_line_count (out, "half", NULL), 5);
    //  A line longer than 16384 bytes comes in two pieces, each prefixed.
    char *x = malloc (16385);
    memset (x, 'x', 16384);
    x [16384] = 0;
    assert_non_null (e2e_grep_re (out, e2e_fmt ("^partial_writer \\| %s$", x)));
    assert_non_null (e2e_grep_re (out, "^partial_writer \\| x{3616}$"));
    free (x);
    //  The last words without a newline, before its exit is logged.
    long tail = s_at (up, "partial_writer | tail-without-newline\n");
    assert_true (tail > 0);
    assert_true (tail < s_at (up, "| partial_writer exited with status 0"));
}

static void
test_restart_after_sigkill (void **state)
{
    const char *dir = *state;
    e2e_proc_t *up = s_up (dir, s_chain_graph (dir, NULL), NULL, NULL, NULL);
    pids_t pids = s_chain_pids (up);
    E2E_ASSERT_COUNT (up, "replies=2", 3);
    pid_t old = pids.pids [0];
    assert_int_equal (kill (old, SIGKILL), 0);
    E2E_ASSERT_LOG (up, "| transformer was killed by SIGKILL after ", E2E_LOG_MS);
    E2E_ASSERT_LOG (up, "| restarting transformer in 250 ms (restart 1 in a row)", E2E_LOG_MS);
    E2E_ASSERT_LOG (up, "| started transformer (pid ", E2E_LOG_MS);
    restart_t r = { .up = up, .old = old };
    if (!e2e_poll (s_restarted, &r, E2E_LOG_MS)) {
        e2e_dump (up);
        fail_msg ("transformer did not start again with a new PID");
    }
    //  The graph goes on: the new transformer hears and forwards.
    r.from = s_at (up, e2e_fmt ("| started transformer (pid %d)", (int) r.fresh));
    assert_true (r.from > 0);
    if (!e2e_poll (s_forwarding, &r, E2E_LOG_MS * 2)) {
        e2e_dump (up);
        fail_msg ("no messages forwarded by the restarted transformer");
    }
    int status;
    assert_true (e2e_stop (up, SIGTERM, 20000, &status));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    s_assert_lines_whole (up, "up|transformer|echo_replyer|producer");
}

static void
test_restart_policies (void **state)
{
    const char *dir = *state;
    int a = e2e_tcp_port (), b = e2e_tcp_port (), c = e2e_tcp_port ();
    char *graph = e2e_write_file (dir, "graph.json", e2e_fmt (
        "{\"services\": {"
        " \"fails\": {\"plugin\": \"%s\", \"addresses\": {\"connections\": {\"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}},"
        " \"once\": {\"plugin\": \"%s\", \"restart\": \"never\","
        "   \"addresses\": {\"connections\": {\"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}},"
        " \"again\": {\"plugin\": \"%s\", \"main\": true, \"restart\": \"always\", \"args\": {\"count\": 0},"
        "   \"addresses\": {\"connections\": {\"out\": {\"orders\": {\"requester\": \"%s\"}}}}}}}",
        e2e_plugin ("init_fails"), e2e_addr (a), e2e_plugin ("init_fails"), e2e_addr (b),
        e2e_plugin ("requester_main"), e2e_addr (c)));
    e2e_proc_t *up = s_up (dir, graph, NULL, NULL, NULL);
    //  on-failure (the default): restarted, each wait twice the last.
    E2E_ASSERT_LOG (up, "| fails exited with status 1 after ", E2E_LOG_MS);
    E2E_ASSERT_LOG (up, "| restarting fails in 250 ms (restart 1 in a row)", E2E_LOG_MS);
    E2E_ASSERT_LOG (up, "| restarting fails in 500 ms (restart 2 in a row)", E2E_LOG_MS);
    E2E_ASSERT_LOG (up, "| restarting fails in 1000 ms (restart 3 in a row)", E2E_LOG_MS);
    //  never: stays down.
    E2E_ASSERT_LOG (up, "| once exited with status 1 after ", E2E_LOG_MS);
    E2E_ASSERT_LOG (up, "| once is not restarted (restart: never)", E2E_LOG_MS);
    assert_int_equal (e2e_file_count (e2e_proc_out (up), "restarting once"), 0);
    //  always: restarted even after exit 0.
    E2E_ASSERT_LOG (up, "| again exited with status 0 after ", E2E_LOG_MS);
    E2E_ASSERT_LOG (up, "| restarting again in 500 ms (restart 2 in a row)", E2E_LOG_MS);
    int status;
    assert_true (e2e_stop (up, SIGTERM, 20000, &status));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_int_equal (e2e_file_count (e2e_proc_out (up), "| started once (pid "), 1);
}

static void
test_sigterm_stops_all (void **state)
{
    const char *dir = *state;
    e2e_proc_t *up = s_up (dir, s_chain_graph (dir, NULL), NULL, NULL, NULL);
    pids_t pids = s_chain_pids (up);
    E2E_ASSERT_COUNT (up, "replies=2", 2);
    //  Start order: the binding sides first, in file order, then transformer.
    long echo = s_at (up, "| started echo_replyer"), producer = s_at (up, "| started producer"),
         transformer = s_at (up, "| started transformer");
    assert_true (echo < producer && producer < transformer);
    int status;
    long long start = e2e_now_ms ();
    assert_true (e2e_stop (up, SIGTERM, 20000, &status));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    //  Every child, by PID, is gone once up has returned.
    for (int i = 0; i < pids.count; i++)
        assert_true (s_gone (pids.pids [i]));
    //  Stopped last started first, each before the next is told.
    long t = s_at (up, "| SIGTERM to transformer"), p = s_at (up, "| SIGTERM to producer"),
         e = s_at (up, "| SIGTERM to echo_replyer");
    assert_true (t > 0 && t < p && p < e);
    assert_true (s_at (up, "| transformer exited with status 0") < p);
    assert_true (s_at (up, "| producer exited with status 0") < e);
    assert_true (s_at (up, "| got SIGTERM: stopping every service") > 0);
    assert_true (s_at (up, "| stopped; exit status 0") > e);
    //  A loose bound: three clean stops take a few hundred ms.
    assert_true (e2e_now_ms () - start < 15000);
}

static void
test_stop_is_bounded (void **state)
{
    const char *dir = *state;
    //  stuck_stop never finishes its stop: SIGKILL after svcfw's stop
    //  timeout (5 s) plus the 2 s grace.
    char *graph = s_chain_graph (dir, e2e_fmt (
        ", \"stuck_stop\": {\"plugin\": \"%s\"}", e2e_plugin ("stuck_stop")));
    e2e_proc_t *up = s_up (dir, graph, NULL, NULL, NULL);
    E2E_ASSERT_LOG (up, "| all 4 services started", E2E_READY_MS * 3);
    pid_t stuck = s_pid (up, "stuck_stop");
    assert_true (stuck > 0);
    //  Its signal handling is set up once it is ready.
    E2E_ASSERT_LOG (up, e2e_fmt ("| stuck_stop (pid %d) is ready", (int) stuck), E2E_READY_MS);
    int status;
    long long start = e2e_now_ms ();
    assert_true (e2e_stop (up, SIGTERM, 30000, &status));
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 0);
    assert_true (s_gone (stuck));
    assert_true (s_at (up, "stuck in sigint 15") > 0);
    assert_true (s_at (up, e2e_fmt ("| stuck_stop (pid %d) did not stop within 7000 ms: SIGKILL", (int) stuck)) > 0);
    assert_true (s_at (up, "| stuck_stop was killed by SIGKILL (SIGKILL: its stop took too long)") > 0);
    //  The rest were stopped after it (it started last).
    assert_true (s_at (up, "| SIGTERM to transformer") > s_at (up, "| stuck_stop was killed"));
    assert_true (e2e_now_ms () - start >= 7000);
    assert_true (e2e_now_ms () - start < 20000);
}

static void
test_second_signal (void **state)
{
    const char *dir = *state;
    char *graph = e2e_write_file (dir, "graph.json", e2e_fmt (
        "{\"services\": {\"stuck_stop\": {\"plugin\": \"%s\"}}}", e2e_plugin ("stuck_stop")));
    e2e_proc_t *up = s_up (dir, graph, NULL, NULL, NULL);
    E2E_ASSERT_LOG (up, "| all 1 service started", E2E_READY_MS * 3);
    pid_t stuck = s_pid (up, "stuck_stop");
    E2E_ASSERT_LOG (up, e2e_fmt ("| stuck_stop (pid %d) is ready", (int) stuck), E2E_READY_MS);
    //  SIGHUP (a closed terminal) stops the graph as SIGTERM does.
    assert_int_equal (kill (e2e_proc_pid (up), SIGHUP), 0);
    E2E_ASSERT_LOG (up, "| got SIGHUP: stopping every service", E2E_LOG_MS);
    E2E_ASSERT_LOG (up, "stuck in sigint 15", E2E_LOG_MS);
    //  A second signal does not wait for the stop timeout (5 s + 2 s).
    long long start = e2e_now_ms ();
    int status;
    assert_true (e2e_stop (up, SIGINT, 5000, &status));
    assert_true (e2e_now_ms () - start < 5000);
    assert_true (WIFEXITED (status));
    assert_int_equal (WEXITSTATUS (status), 1);
    assert_true (s_gone (stuck));
    assert_true (s_at (up, "| got SIGINT again: SIGKILL to every service left") > 0);
}

static void
test_sigkill_leaves_no_child (void **state)
{
    const char *dir = *state;
    e2e_proc_t *up = s_up (dir, s_chain_graph (dir, NULL), NULL, NULL, NULL);
    pids_t pids = s_chain_pids (up);
    E2E_ASSERT_COUNT (up, "replies=2", 1);
    int status;
    e2e_stop (up, SIGKILL, 5000, &status);
    assert_true (WIFSIGNALED (status));
    //  The children die with it (PR_SET_PDEATHSIG): none is left after 2 s.
    if (!e2e_poll (s_all_gone, &pids, 2000))
        fail_msg ("a child of svcfw up outlived it by 2 s");
}

//  A copy of examples/NAME (graph.json, config.json, addresses.json) in
//  dir, every fixed port of its addresses replaced by a free one. Returns
//  the copy's graph.json. The plugins (bare names) are found beside the
//  svcfw executable, in its examples/.
static char *
s_example_copy (const char *dir, const char *name)
{
    const char *files [] = { "graph.json", "config.json" };
    for (int i = 0; i < 2; i++) {
        char *text = e2e_read_file (e2e_fmt ("%s/%s/%s", EXAMPLES_SRC_DIR, name, files [i]));
        if (text)
            assert_non_null (e2e_write_file (dir, files [i], text));
    }
    const char *text = e2e_read_file (e2e_fmt ("%s/%s/addresses.json", EXAMPLES_SRC_DIR, name));
    assert_non_null (text);
    int from [16], to [16], count = 0;
    char *copy = e2e_fmt ("%s", "");
    const char *host = "127.0.0.1:";
    for (const char *at; (at = strstr (text, host)); ) {
        int port = atoi (at + strlen (host)), i;
        for (i = 0; i < count && from [i] != port; i++)
            ;
        if (i == count) {
            assert_true (count < 16);
            from [count] = port;
            to [count++] = e2e_tcp_port ();
        }
        copy = e2e_fmt ("%s%.*s%s%d", copy, (int) (at - text), text, host, to [i]);
        text = at + strlen (host);
        while (*text >= '0' && *text <= '9')
            text++;
    }
    copy = e2e_fmt ("%s%s", copy, text);
    assert_true (count > 0);
    assert_non_null (e2e_write_file (dir, "addresses.json", copy));
    return e2e_fmt ("%s/graph.json", dir);
}

//  Runs the example graph to its end: exit 0, every line prefixed.
static e2e_proc_t *
s_run_example (const char *dir, const char *name, const char *exit_with, const char *names_re)
{
    e2e_proc_t *up = s_up (dir, s_example_copy (dir, name), "--exit-with", exit_with, NULL);
    int status;
    if (!e2e_wait_exit (up, UP_EXIT_MS * 2, &status) || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (up);
        fail_msg ("svcfw up examples/%s/graph.json --exit-with %s: expected exit 0", name, exit_with);
    }
    s_assert_lines_whole (up, e2e_fmt ("up|%s", names_re));
    assert_true (s_at (up, e2e_fmt ("| %s exited with status 0", exit_with)) > 0);
    assert_true (s_at (up, "| stopped; exit status 0") > 0);
    return up;
}

static void
test_example_graphs (void **state)
{
    const char *dir = *state;
    //  cancel_order: 4 orders cancelled, the fifth refused with an error reply.
    e2e_proc_t *up = s_run_example (e2e_tmpdir (), "cancel_order", "order_sender", "cancel_order|order_sender");
    const char *out = e2e_proc_out (up);
    assert_int_equal (e2e_line_count (out, "order_sender |", ": cancelled (reply order_id"), 4);
    assert_int_equal (e2e_line_count (out, "order_sender |", "past the cancellation window"), 1);
    //  ticker: price_watcher hears AAPL, never MSFT.
    up = s_run_example (e2e_tmpdir (), "ticker", "ticker", "ticker|price_watcher");
    out = e2e_proc_out (up);
    assert_true (e2e_line_count (out, "price_watcher |", "heard AAPL") > 0);
    assert_int_equal (e2e_line_count (out, "price_watcher |", "MSFT"), 0);
    assert_true (e2e_line_count (out, "ticker        |", "published MSFT") > 0);
    //  chain: the orders reach pricer through order_router.
    up = s_run_example (e2e_tmpdir (), "chain", "order_feed", "order_feed|order_router|pricer");
    out = e2e_proc_out (up);
    assert_true (e2e_line_count (out, "order_router |", " approved: ") > 0);
    assert_true (e2e_line_count (out, "pricer       |", "priced ") > 0);
    //  order_book: price_checker's 5 questions answered from the replica.
    up = s_run_example (e2e_tmpdir (), "order_book", "price_checker", "market_price|order_book|price_checker");
    out = e2e_proc_out (up);
    assert_int_equal (e2e_line_count (out, "price_checker |", "best bid"), 5);
    (void) dir;
}

static void
test_usage (void **state)
{
    const char *dir = *state;
    char *graph = s_request_graph (dir, 0);
    e2e_proc_t *proc = e2e_svcfw_run (dir, "up", "up", NULL);
    e2e_assert_one_line (proc, 2, E2E_USAGE_RE, "up: needs a GRAPH file", NULL);
    proc = e2e_svcfw_run (dir, "up", "up", graph, "--bogus", NULL);
    e2e_assert_one_line (proc, 2, E2E_USAGE_RE, "\"--bogus\"", NULL);
    proc = e2e_svcfw_run (dir, "up", "up", graph, "--exit-with", "nobody", NULL);
    e2e_assert_one_line (proc, 2, E2E_USAGE_RE, "--exit-with \"nobody\" is not a service of", NULL);
    proc = e2e_svcfw_run (dir, "up", "up", graph, "--color", "sometimes", NULL);
    e2e_assert_one_line (proc, 2, E2E_USAGE_RE, "--color \"sometimes\"", NULL);
    proc = e2e_svcfw_run (dir, "up", "up", e2e_fmt ("%s/missing.json", dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "missing.json", NULL);
    //  A plugin that is not there: the loader's line, and nothing started.
    char *bad = e2e_write_file (dir, "bad.json", "{\"services\": {\"x\": {\"plugin\": \"/nonexistent/x.so\"}}}");
    proc = e2e_svcfw_run (dir, "up", "up", bad, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "bad.json", NULL);
    assert_int_equal (e2e_file_count (e2e_proc_out (proc), "started"), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_exit_with, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_whole_lines, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_restart_after_sigkill, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_restart_policies, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_sigterm_stops_all, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_stop_is_bounded, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_second_signal, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_sigkill_leaves_no_child, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_example_graphs, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_usage, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
