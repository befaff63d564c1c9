/*  e2e_logging - console (-cl) and file (-l, -f) log levels (SPEC §2, runtime contract).

    echo_replyer logs INFO for each order and, for a non-JSON request, one
    WARNING ("orders: dropped invalid_json"). Each level setting must let
    through exactly the lines at or above it.
*/
#include "e2e.h"

#include <string.h>

//  Serves order 1 and answers one non-JSON request through a raw REQ peer.
static void
s_exercise (int port)
{
    zsock_t *req = e2e_req (e2e_endpoint (port));
    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 1}}");
    assert_non_null (cJSON_GetObjectItemCaseSensitive (reply, "return_args"));
    reply = e2e_request (req, "not json");
    assert_non_null (e2e_reply_kind (reply));
    //  A second good request: once it is logged, so is everything before.
    reply = e2e_request (req, "{\"args\": {\"order_id\": 2}}");
    assert_non_null (cJSON_GetObjectItemCaseSensitive (reply, "return_args"));
}

static char *
s_addresses (int port)
{
    return e2e_fmt ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, "
                    "\"out\": {}}}", e2e_addr (port));
}

static void
test_console_error_level_file_info (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *log = e2e_fmt ("%s/svc.log", dir);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), s_addresses (port), NULL,
                                 "-cl", "ERROR", "-l", log, "-f", "INFO", NULL);
    assert_non_null (svc);
    if (!e2e_wait_file_contains (log, " ready: ", E2E_READY_MS)) {
        e2e_dump (svc);
        fail_msg ("no ' ready: ' in the log file %s", log);
    }
    s_exercise (port);
    if (!e2e_wait_file_contains (log, "got order 2 ", E2E_LOG_MS))
        fail_msg ("log file lacks the orders");
    assert_int_equal (e2e_line_count (log, "orders: dropped invalid_json", " WARNING "), 1);
    assert_int_equal (e2e_line_count (log, " DEBUG ", NULL), 0);
    //  Nothing reached ERROR: the console stays silent.
    int status;
    assert_true (e2e_stop (svc, SIGTERM, 2000, &status));
    assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    if (e2e_lines (e2e_proc_out (svc)) != 0) {
        e2e_dump (svc);
        fail_msg ("-cl ERROR: expected no console lines");
    }
}

static void
test_console_warning_level (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *log = e2e_fmt ("%s/svc.log", dir);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), s_addresses (port), NULL,
                                 "-cl", "WARNING", "-l", log, "-f", "DEBUG", NULL);
    assert_non_null (svc);
    if (!e2e_wait_file_contains (log, " ready: ", E2E_READY_MS)) {
        e2e_dump (svc);
        fail_msg ("no ' ready: ' in the log file %s", log);
    }
    s_exercise (port);
    if (!e2e_wait_file_contains (log, "got order 2 ", E2E_LOG_MS))
        fail_msg ("log file lacks the orders");
    E2E_ASSERT_LOG (svc, "orders: dropped invalid_json", E2E_LOG_MS);
    assert_int_equal (e2e_line_count (e2e_proc_out (svc), " INFO ", NULL), 0);
    assert_int_equal (e2e_line_count (e2e_proc_out (svc), " DEBUG ", NULL), 0);
}

static void
test_file_warning_level (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *log = e2e_fmt ("%s/svc.log", dir);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), s_addresses (port), NULL,
                                 "-cl", "DEBUG", "-l", log, "-f", "WARNING", NULL);
    E2E_ASSERT_READY (svc);
    s_exercise (port);
    E2E_ASSERT_LOG (svc, "got order 2 ", E2E_LOG_MS);
    if (!e2e_wait_file_contains (log, "orders: dropped invalid_json", E2E_LOG_MS))
        fail_msg ("log file lacks the WARNING line");
    assert_int_equal (e2e_line_count (log, " INFO ", NULL), 0);
    //  Console at DEBUG has the INFO lines.
    assert_int_equal (e2e_line_count (e2e_proc_out (svc), " INFO ", "got order "), 2);
}

//  Without -f the file takes the console's level: -cl WARNING keeps INFO
//  and DEBUG out of both.
static void
test_file_level_defaults_to_console (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *log = e2e_fmt ("%s/svc.log", dir);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), s_addresses (port), NULL,
                                 "-cl", "WARNING", "-l", log, NULL);
    assert_non_null (svc);
    //  Not ready until it answers; the WARNING line then reaches both logs.
    zsock_t *req = e2e_req (e2e_endpoint (port));
    cJSON *reply = e2e_request (req, "not json");
    assert_non_null (e2e_reply_kind (reply));
    E2E_ASSERT_LOG (svc, "orders: dropped invalid_json", E2E_LOG_MS);
    if (!e2e_wait_file_contains (log, "orders: dropped invalid_json", E2E_LOG_MS))
        fail_msg ("log file lacks the WARNING line");
    reply = e2e_request (req, "{\"args\": {\"order_id\": 1}}");
    assert_non_null (cJSON_GetObjectItemCaseSensitive (reply, "return_args"));
    int status;
    assert_true (e2e_stop (svc, SIGTERM, 2000, &status));
    assert_int_equal (e2e_line_count (log, " INFO ", NULL), 0);
    assert_int_equal (e2e_line_count (log, " DEBUG ", NULL), 0);
    assert_int_equal (e2e_line_count (e2e_proc_out (svc), " INFO ", NULL), 0);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_console_error_level_file_info),
        T (test_console_warning_level),
        T (test_file_warning_level),
        T (test_file_level_defaults_to_console),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
