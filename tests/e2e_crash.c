/*  e2e_crash - the crash report (SPEC §8): a handler that crashes the process leaves an ERROR line naming
    the connection, the handler and the workflow id, then a stack trace, on the console and in the log file;
    the process then dies of that same signal.

    The plugin is tests/plugins/crasher.c. In a sanitizer build (SVCFW_SANITIZE) AddressSanitizer
    installs its own SIGSEGV/SIGBUS/SIGFPE handlers first; ours hands the signal back to it after the
    report, and it then writes a report of its own and exits with status 1 rather than by the signal
    (which the harness would count as a memory error). So these tests start svcfw with ASan's
    handle_segv/handle_sigbus/handle_sigfpe off: the same checks then hold in both builds. UBSan stops
    an integer division by zero before the CPU traps: that case is skipped there.
*/
#define _GNU_SOURCE                 //  sigabbrev_np
#include "e2e.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

//  Starts crasher with a log file, sends {"how": HOW} under workflow id
//  WF, and waits for the process to end. Returns its wait status; *log_p
//  is the log file's path.
static int
s_crash (const char *dir, const char *how, const char *wf, const char **log_p)
{
    int port = e2e_tcp_port ();
    const char *log = e2e_fmt ("%s/crasher-%s.log", dir, how);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("crasher"), e2e_fmt (
        "{\"connections\": {\"in\": {\"jobs\": {\"replyer\": \"%s\"}}, \"out\": {}}}", e2e_addr (port)),
        NULL, "-l", log, NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    const char *text = e2e_fmt ("{\"args\": {\"how\": \"%s\"}, \"workflow_id\": \"%s\"}", how, wf);
    assert_int_equal (zmq_send (zsock_resolve (req), text, strlen (text), 0), (int) strlen (text));
    int status = 0;
    if (!e2e_wait_exit (svc, E2E_EXIT_MS, &status)) {
        e2e_dump (svc);
        fail_msg ("svcfw still runs %d ms after a handler crashed it (%s)", E2E_EXIT_MS, how);
    }
    *log_p = log;
    //  Console (the process's output) and log file alike.
    const char *outputs [] = { e2e_proc_out (svc), log };
    for (int i = 0; i < 2; i++) {
        const char *line = e2e_grep (outputs [i], " crash: ");
        if (!line) {
            e2e_dump (svc);
            fail_msg ("%s: no crash line", outputs [i]);
        }
        if (!e2e_match (line, " ERROR +crasher ")
        ||  !strstr (line, e2e_fmt ("[%s]", wf))
        ||  !strstr (line, "in handler run_job of connection jobs")
        ||  !strstr (line, e2e_fmt ("workflow id %s", wf))) {
            e2e_dump (svc);
            fail_msg ("%s: the crash line does not name the handler, connection and workflow id: %s",
                      outputs [i], line);
        }
        //  A trace follows: frames as backtrace_symbols_fd writes them, the
        //  handler among them, closed by an end line.
        int frames = e2e_line_count (outputs [i], "[0x", NULL);
        if (frames < 3 || !e2e_grep (outputs [i], "(end of stack trace)")) {
            e2e_dump (svc);
            fail_msg ("%s: %d frame lines after the crash line (expected a trace)", outputs [i], frames);
        }
    }
    return status;
}

static void
s_assert_died_of (int status, int signum)
{
    if (!WIFSIGNALED (status))
        fail_msg ("expected death by SIG%s, got exit status %d", sigabbrev_np (signum),
                  WIFEXITED (status)? WEXITSTATUS (status): -1);
    if (WTERMSIG (status) != signum)
        fail_msg ("expected death by SIG%s, got SIG%s", sigabbrev_np (signum), sigabbrev_np (WTERMSIG (status)));
}

static void
test_segfault (void **state)
{
    const char *log;
    int status = s_crash (*state, "segv", "wf-segv-1", &log);
    s_assert_died_of (status, SIGSEGV);
    //  The handler's own frame is named in the trace (it is exported).
    assert_non_null (e2e_grep (log, "run_job"));
}

//  A peer's workflow id with a newline cannot forge a line of the report:
//  the crash line keeps it on one line.
static void
test_forged_workflow_id (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    const char *log = e2e_fmt ("%s/crasher-forged.log", dir);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("crasher"), e2e_fmt (
        "{\"connections\": {\"in\": {\"jobs\": {\"replyer\": \"%s\"}}, \"out\": {}}}", e2e_addr (port)),
        NULL, "-l", log, NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    const char *text = "{\"args\": {\"how\": \"segv\"}, \"workflow_id\": \"wf\\nFORGED LINE\"}";
    assert_int_equal (zmq_send (zsock_resolve (req), text, strlen (text), 0), (int) strlen (text));
    int status = 0;
    assert_true (e2e_wait_exit (svc, E2E_EXIT_MS, &status));
    const char *outputs [] = { e2e_proc_out (svc), log };
    for (int i = 0; i < 2; i++) {
        const char *line = e2e_grep (outputs [i], " crash: ");
        if (!line || !strstr (line, "FORGED LINE") || e2e_grep_re (outputs [i], "^FORGED")) {
            e2e_dump (svc);
            fail_msg ("%s: the workflow id's newline reached the report: %s", outputs [i], line? line: "(none)");
        }
    }
}

static void
test_abort (void **state)
{
    const char *log;
    int status = s_crash (*state, "abort", "wf-abort-2", &log);
    s_assert_died_of (status, SIGABRT);
}

static void
test_stack_overflow (void **state)
{
    const char *log;
    int status = s_crash (*state, "overflow", "wf-deep-3", &log);
    s_assert_died_of (status, SIGSEGV);
}

static void
test_divide_by_zero (void **state)
{
#ifdef SVCFW_SANITIZE
    //  UBSan checks the division before it is made: no signal to report.
    skip ();
#endif
    const char *log;
    int status = s_crash (*state, "fpe", "wf-fpe-4", &log);
    s_assert_died_of (status, SIGFPE);
}

//  A fatal signal while no handler runs: the line says so.
static void
test_outside_handler (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("crasher"), e2e_fmt (
        "{\"connections\": {\"in\": {\"jobs\": {\"replyer\": \"%s\"}}, \"out\": {}}}", e2e_addr (port)),
        NULL, NULL);
    E2E_ASSERT_READY (svc);
    kill (e2e_proc_pid (svc), SIGBUS);
    int status = 0;
    assert_true (e2e_wait_exit (svc, E2E_EXIT_MS, &status));
    const char *line = e2e_grep (e2e_proc_out (svc), " crash: ");
    if (!line || !strstr (line, "crash: SIGBUS outside any handler")) {
        e2e_dump (svc);
        fail_msg ("expected a crash line saying SIGBUS outside any handler, got %s", line? line: "none");
    }
    s_assert_died_of (status, SIGBUS);
}

int
main (void)
{
#ifdef SVCFW_SANITIZE
    const char *options = getenv ("ASAN_OPTIONS");
    setenv ("ASAN_OPTIONS", e2e_fmt ("%s%shandle_segv=0:handle_sigbus=0:handle_sigfpe=0",
                                     options? options: "", options && *options? ":": ""), 1);
#endif
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_segfault, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_abort, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_forged_workflow_id, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_stack_overflow, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_divide_by_zero, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_outside_handler, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
