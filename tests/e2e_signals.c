/*  e2e_signals - SIGTERM and SIGINT stop a service cleanly: exit 0 within 2 s (SPEC §7).

    Covers a replyer service (echo_replyer) with a connected peer, one
    stopped while its handler is working (the reply still goes out), and a
    main-mode loop (ticker_pub) sleeping in svcfw_sleep for far longer than
    the deadline, so only an interrupted sleep can make it.
*/
#include "e2e.h"

#include <signal.h>
#include <string.h>

#define STOP_MS 2000

static void
s_assert_stops (e2e_proc_t *proc, int signum)
{
    int status = -1;
    long long start = e2e_now_ms ();
    bool in_time = e2e_stop (proc, signum, STOP_MS, &status);
    long long took = e2e_now_ms () - start;
    if (!in_time || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (proc);
        fail_msg ("signal %d: expected exit 0 within %d ms; %s after %lld ms, status %d",
                  signum, STOP_MS, in_time ? "exited" : "killed", took, status);
    }
}

static void
s_replyer_stops (const char *dir, int signum)
{
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (port)), NULL, NULL);
    E2E_ASSERT_READY (svc);
    //  A peer is connected and has been served.
    zsock_t *req = e2e_req (e2e_endpoint (port));
    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 1}}");
    assert_non_null (cJSON_GetObjectItemCaseSensitive (reply, "return_args"));
    s_assert_stops (svc, signum);
}

static void
test_replyer_sigterm (void **state)
{
    s_replyer_stops (*state, SIGTERM);
}

static void
test_replyer_sigint (void **state)
{
    s_replyer_stops (*state, SIGINT);
}

static void
test_in_flight_work_ends (void **state)
{
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = e2e_svcfw (*state, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (port)), NULL, NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    const char *frames [] = { "{\"args\": {\"order_id\": 42, \"note\": \"slow\"}}" };
    assert_int_equal (e2e_send_frames (req, frames, 1), 0);
    //  The handler is working (500 ms) when the signal arrives.
    E2E_ASSERT_LOG (svc, "got order 42 note=slow", E2E_LOG_MS);
    long long start = e2e_now_ms ();
    assert_int_equal (kill (e2e_proc_pid (svc), SIGTERM), 0);

    //  The work ends and its reply goes out before the service exits.
    zmsg_t *msg = e2e_recv (req);
    cJSON *reply = msg ? cJSON_Parse (e2e_frame_text (msg, 0)) : NULL;
    const cJSON *ret = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
    bool served = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (ret, "ok"));
    cJSON_Delete (reply);
    int status = -1;
    bool exited = e2e_wait_exit (svc, STOP_MS, &status);
    long long took = e2e_now_ms () - start;
    if (!served || !exited || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (svc);
        fail_msg ("SIGTERM during a handler: expected its reply and exit 0 within %d ms; "
                  "reply %s, %s after %lld ms, status %d", STOP_MS, served ? "ok" : "missing",
                  exited ? "exited" : "still running", took, status);
    }
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "slow order 42 done"), 1);
}

static void
s_main_loop_stops (const char *dir, int signum)
{
    int port = e2e_tcp_port ();          //  the publishers connect; nobody needs to listen
    e2e_proc_t *ticker = e2e_svcfw (dir, e2e_plugin ("ticker_pub"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"ticks_a\": {\"publisher\": \"%s\"}, "
        "\"ticks_b\": {\"publisher\": \"%s\"}}}}", e2e_addr (port), e2e_addr (port)),
        "{\"period_ms\": 60000}", "-m", NULL);
    E2E_ASSERT_READY (ticker);
    //  After the first tick svcfw_main sleeps for a minute.
    E2E_ASSERT_LOG (ticker, "sent B n=1 ", E2E_LOG_MS);
    s_assert_stops (ticker, signum);
    //  svcfw_sigint was called with the signal, and svcfw_main returned.
    const char *out = e2e_proc_out (ticker);
    if (e2e_file_count (out, e2e_fmt ("sigint %d", signum)) != 1
        || e2e_file_count (out, "main stopping after n=1") != 1) {
        e2e_dump (ticker);
        fail_msg ("expected \"sigint %d\" from svcfw_sigint and svcfw_main to return", signum);
    }
}

static void
test_main_loop_sigterm (void **state)
{
    s_main_loop_stops (*state, SIGTERM);
}

static void
test_main_loop_sigint (void **state)
{
    s_main_loop_stops (*state, SIGINT);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_replyer_sigterm),
        T (test_replyer_sigint),
        T (test_in_flight_work_ends),
        T (test_main_loop_sigterm),
        T (test_main_loop_sigint),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
