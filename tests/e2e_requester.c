/*  e2e_requester - a requester waits a bounded time and retries (SPEC §7, Lazy Pirate).

    dead_requester (main mode, timeout_ms 300, retries 3) sends one order to
    an address where nothing listens: svcfw_to_send must fail after about
    timeout_ms x retries, naming the connection, the address and the
    attempts. requester_main reaches a replyer that starts after it.
*/
#include "e2e.h"

#include <stdio.h>
#include <string.h>

#define TIMEOUT_MS 300
#define RETRIES    3
#define MARGIN_MS  500

static void
test_dead_replyer (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();          //  nothing listens here
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("dead_requester"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"orders\": {\"requester\": \"%s\"}}}}",
        e2e_addr (port)), NULL, "-m", NULL);
    assert_non_null (client);
    int status;
    if (!e2e_wait_exit (client, TIMEOUT_MS * RETRIES + 2 * E2E_READY_MS, &status)) {
        e2e_dump (client);
        fail_msg ("requester against a dead address did not finish");
    }
    char *line = e2e_grep (e2e_proc_out (client), "send failed after ");
    if (!line || !WIFEXITED (status) || WEXITSTATUS (status) != 0) {
        e2e_dump (client);
        fail_msg ("expected a failed send and exit 0 (status %d)", status);
    }
    long long took = -1;
    assert_int_equal (sscanf (strstr (line, "send failed after "), "send failed after %lld ms",
                              &took), 1);
    //  Each attempt waits timeout_ms: about 900 ms in all, never forever.
    if (took < TIMEOUT_MS * (RETRIES - 1) || took > TIMEOUT_MS * RETRIES + MARGIN_MS)
        fail_msg ("svcfw_to_send failed after %lld ms; expected %d..%d ms (timeout_ms %d x "
                  "retries %d)", took, TIMEOUT_MS * (RETRIES - 1),
                  TIMEOUT_MS * RETRIES + MARGIN_MS, TIMEOUT_MS, RETRIES);
    //  The error names the connection, the address and the attempts.
    const char *error = strstr (line, " ms: ") + 5;
    if (!strstr (error, "orders") || !strstr (error, e2e_fmt ("%d", port))
        || !e2e_match (error, "(^|[^0-9])3([^0-9]|$)"))
        fail_msg ("error should name connection 'orders', port %d and 3 attempts: %s",
                  port, error);
}

static void
test_replyer_starts_late (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    //  requester_main: timeout_ms 1000, retries 2. It starts first; the
    //  replyer comes up once the requester is running.
    e2e_proc_t *client = e2e_svcfw (dir, e2e_plugin ("requester_main"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"orders\": {\"requester\": \"%s\"}}}}",
        e2e_addr (port)), "{\"count\": 2}", "-m", NULL);
    E2E_ASSERT_READY (client);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (port)), NULL, NULL);
    E2E_ASSERT_READY (svc);
    int status;
    if (!e2e_wait_exit (client, E2E_EXIT_MS, &status) || !WIFEXITED (status)
        || WEXITSTATUS (status) != 0) {
        e2e_dump (client);
        e2e_dump (svc);
        fail_msg ("requester did not get its replies from a late replyer");
    }
    assert_int_equal (e2e_file_count (e2e_proc_out (client), " ok=true "), 2);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_dead_replyer),
        T (test_replyer_starts_late),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
