/*  e2e_hostile - what a hostile peer sends must not flood or forge the log,
    smuggle NULs or repeated keys past the parser, or overflow an int.

    Raw libzmq peers against the real svcfw: a flood of failing requests
    (the log stays under 100 lines and counts what it left out), a
    workflow id with a newline and ANSI escapes (no forged line, no raw
    ESC), "\u0000" and duplicate keys (invalid_json), ints outside a C int
    (invalid_args) and int64 values at +-2^53 (reach the handler exactly).
*/
#include "e2e.h"

#include <string.h>

#define FLOOD 200000            //  the figure: failing requests in a row
#define FLOOD_BATCH 500         //  requests in flight at once on the DEALER

static char *
s_addresses (const char *name, int port)
{
    return e2e_fmt ("{\"connections\": {\"in\": {\"%s\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
                    name, e2e_addr (port));
}

//  Lines of a log: how many, how many "orders: handler failed" lines were
//  written, and the sum of the "suppressed K similar lines" summaries.
typedef struct {
    int lines;
    int failed;
    long long suppressed;
    int summaries;
} s_tally_t;

static s_tally_t
s_tally (const char *path)
{
    s_tally_t tally = { 0, 0, 0, 0 };
    char *text = e2e_read_file (path);
    assert_non_null (text);
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr (line, '\n');
        if (next)
            *next++ = 0;
        tally.lines++;
        const char *summary = strstr (line, "] suppressed ");
        if (summary) {
            tally.summaries++;
            tally.suppressed += atoll (summary + 13);
        }
        else if (strstr (line, "orders: handler failed: refused 7"))
            tally.failed++;
    }
    return tally;
}

static void
test_flood_of_failures (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *log = e2e_fmt ("%s/svc.log", dir);
    //  -l without -f: the file takes the console's level (INFO), not DEBUG.
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("always_fails"), s_addresses ("orders", port), NULL,
                                 "-l", log, NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *dealer = e2e_dealer (e2e_endpoint (port));
    assert_non_null (dealer);
    void *handle = zsock_resolve (dealer);
    const char *body = "{\"args\": {\"order_id\": 7}}";
    long long start = e2e_now_ms ();
    int replies = 0, failed_replies = 0;
    for (int sent = 0; sent < FLOOD; sent += FLOOD_BATCH) {
        for (int i = 0; i < FLOOD_BATCH; i++) {
            //  A DEALER talks to the REP replyer with REQ's empty delimiter.
            assert_int_equal (zmq_send (handle, "", 0, ZMQ_SNDMORE), 0);
            assert_int_equal (zmq_send (handle, body, strlen (body), 0), (int) strlen (body));
        }
        for (int i = 0; i < FLOOD_BATCH; i++) {
            char reply [512];
            assert_int_equal (zmq_recv (handle, reply, sizeof reply, 0), 0);     //  the delimiter
            int size = zmq_recv (handle, reply, sizeof reply - 1, 0);
            assert_true (size > 0);
            reply [size < (int) sizeof reply - 1? size: (int) sizeof reply - 1] = 0;
            replies++;
            failed_replies += strstr (reply, "\"handler_failed\"") != NULL;
        }
    }
    print_message ("%d failing requests answered in %lld ms\n", FLOOD, e2e_now_ms () - start);
    assert_int_equal (replies, FLOOD);
    assert_int_equal (failed_replies, FLOOD);
    int status;
    assert_true (e2e_stop (svc, SIGTERM, 5000, &status));

    //  Under 100 lines each, and what was left out is counted: the lines
    //  written plus the suppressed ones make up every failure.
    s_tally_t console = s_tally (e2e_proc_out (svc));
    s_tally_t file = s_tally (log);
    print_message ("console: %d lines (%d failures, %d summaries of %lld); file: %d lines "
                   "(%d failures, %d summaries of %lld)\n", console.lines, console.failed,
                   console.summaries, console.suppressed, file.lines, file.failed,
                   file.summaries, file.suppressed);
    if (console.lines >= 100 || file.lines >= 100
    ||  console.summaries < 1 || file.summaries < 1
    ||  console.failed + console.suppressed != FLOOD || file.failed + file.suppressed != FLOOD) {
        if (console.lines < 200)
            e2e_dump (svc);
        fail_msg ("expected < 100 lines in each log and failures + suppressed = %d", FLOOD);
    }
}

//  True if every line of the file is a well-formed log line.
static bool
s_all_lines_well_formed (const char *path, char *bad, size_t size)
{
    char *text = e2e_read_file (path);
    if (!text)
        return false;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr (line, '\n');
        if (next)
            *next++ = 0;
        if (!e2e_match (line, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z (DEBUG|INFO|WARNING|ERROR) +[^ ]+ \\[")) {
            snprintf (bad, size, "%s", line);
            return false;
        }
    }
    return true;
}

static void
test_forged_log_lines (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    char *log = e2e_fmt ("%s/svc.log", dir);
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), s_addresses ("orders", port), NULL,
                                 "-l", log, "-f", "DEBUG", NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    //  The workflow id reaches the framework's "handler failed" line and the
    //  plugin's own line; the note only the plugin's.
    const char *forged = "2026-01-01T00:00:00.000Z ERROR   echo_replyer [-] FAKE LOG LINE";
    cJSON *reply = e2e_request (req, e2e_fmt (
        "{\"args\": {\"order_id\": 5, \"note\": \"fail\"}, "
        "\"workflow_id\": \"a\\n%s \\u001b[31mRED\\u001b[0m\\u009b2J\"}", forged));
    assert_string_equal (e2e_reply_kind (reply), "handler_failed");
    reply = e2e_request (req, e2e_fmt (
        "{\"args\": {\"order_id\": 6, \"note\": \"x\\r\\n%s\\u001b]0;title\\u0007\"}}", forged));
    assert_non_null (cJSON_GetObjectItemCaseSensitive (reply, "return_args"));
    E2E_ASSERT_LOG (svc, "got order 6 ", E2E_LOG_MS);
    assert_true (e2e_wait_file_contains (log, "got order 6 ", E2E_LOG_MS));
    int status;
    assert_true (e2e_stop (svc, SIGTERM, 5000, &status));

    const char *paths [] = { e2e_proc_out (svc), log };
    for (int i = 0; i < 2; i++) {
        char bad [1024] = "";
        if (!s_all_lines_well_formed (paths [i], bad, sizeof bad)) {
            e2e_dump (svc);
            fail_msg ("%s: a line that is not a log line: <%s>", paths [i], bad);
        }
        char *text = e2e_read_file (paths [i]);
        assert_null (strchr (text, '\x1b'));
        assert_null (strstr (text, "\xc2\x9b"));
        assert_null (strchr (text, '\r'));
        assert_null (strchr (text, '\x07'));
        //  The id is there, escaped, on the lines about that request.
        assert_true (e2e_line_count (paths [i], "[a\\n2026-01-01T00:00:00.000Z ERROR", "\\x1b[31mRED\\x1b[0m\\u009b2J]") >= 2);
        assert_true (e2e_line_count (paths [i], "handler failed: refused 5", "FAKE LOG LINE") == 1);
        assert_true (e2e_line_count (paths [i], "got order 6 note=x\\r\\n2026-", "\\x1b]0;title\\x07") == 1);
    }
}

//  "\u0000" and repeated keys: refused as invalid_json (I-JSON, RFC 7493),
//  and the replyer serves on.
static void
test_nul_and_duplicate_keys (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), s_addresses ("orders", port), NULL, NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    static const char *const bad [] = {
        "{\"args\": {\"order_id\": 1}, \"workflow_id\": \"wf\\u0000evil\"}",
        "{\"args\": {\"order_id\": 1, \"note\\u0000x\": \"fail\"}}",
        "{\"args\": {\"order_id\": 1, \"note\": \"a\\u0000\"}}",
        "{\"args\": {\"order_id\": 1, \"order_id\": 2}}",
        "{\"args\": {\"order_id\": 1}, \"args\": {\"order_id\": 2}}",
        "{\"args\": {\"order_id\": 1}, \"workflow_id\": \"a\", \"workflow_id\": \"b\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        cJSON *reply = e2e_request (req, bad [i]);
        const char *kind = e2e_reply_kind (reply);
        if (!kind || strcmp (kind, "invalid_json") != 0) {
            e2e_dump (svc);
            fail_msg ("%s: expected invalid_json, got %s", bad [i], e2e_json (reply));
        }
    }
    cJSON *reply = e2e_request (req, "{\"args\": {\"order_id\": 9}}");
    assert_non_null (cJSON_GetObjectItemCaseSensitive (reply, "return_args"));
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "got order 1 "), 0);
}

//  An "int" outside a C int is refused, naming the key and the range; the
//  bounds themselves pass.
static void
test_int_range (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), s_addresses ("orders", port), NULL, NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    static const char *const out_of_range [] = { "-3000000000", "3000000000", "-3e9", "2147483648" };
    for (size_t i = 0; i < sizeof out_of_range / sizeof out_of_range [0]; i++) {
        cJSON *reply = e2e_request (req, e2e_fmt ("{\"args\": {\"order_id\": %s}}", out_of_range [i]));
        const char *kind = e2e_reply_kind (reply);
        const cJSON *message = cJSON_GetObjectItemCaseSensitive (
            cJSON_GetObjectItemCaseSensitive (reply, "error"), "message");
        if (!kind || strcmp (kind, "invalid_args") != 0 || !cJSON_IsString (message)
        ||  !strstr (message->valuestring, "'order_id'")
        ||  !strstr (message->valuestring, "-2147483648..2147483647")) {
            e2e_dump (svc);
            fail_msg ("order_id %s: expected invalid_args naming the key and range, got %s",
                      out_of_range [i], e2e_json (reply));
        }
    }
    static const char *const bounds [] = { "-2147483648", "2147483647" };
    for (size_t i = 0; i < 2; i++) {
        cJSON *reply = e2e_request (req, e2e_fmt ("{\"args\": {\"order_id\": %s}}", bounds [i]));
        const cJSON *ret = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
        assert_non_null (ret);
        assert_int_equal ((long long) cJSON_GetObjectItem (ret, "order_id")->valuedouble, atoll (bounds [i]));
    }
    assert_int_equal (e2e_file_count (e2e_proc_out (svc), "got order 2147483647 "), 1);
}

//  "int64" values up to +-2^53 reach the handler exactly.
static void
test_int64_exact (void **state)
{
    const char *dir = *state;
    int port = e2e_tcp_port ();
    e2e_proc_t *svc = e2e_svcfw (dir, e2e_plugin ("int64_echo"), s_addresses ("ids", port), NULL, NULL);
    E2E_ASSERT_READY (svc);
    zsock_t *req = e2e_req (e2e_endpoint (port));
    static const char *const ids [] = {
        "9007199254740992", "-9007199254740992", "9007199254740991", "-3000000000", "3000000000", "0"
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids [0]; i++) {
        cJSON *reply = e2e_request (req, e2e_fmt ("{\"args\": {\"id\": %s}}", ids [i]));
        const cJSON *ret = cJSON_GetObjectItemCaseSensitive (reply, "return_args");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive (ret, "text");
        if (!cJSON_IsString (text) || strcmp (text->valuestring, ids [i]) != 0) {
            e2e_dump (svc);
            fail_msg ("id %s: the handler read %s", ids [i], e2e_json (reply));
        }
        assert_true (cJSON_GetObjectItem (ret, "id")->valuedouble == strtod (ids [i], NULL));
    }
    cJSON *reply = e2e_request (req, "{\"args\": {\"id\": 9007199254740994}}");
    assert_string_equal (e2e_reply_kind (reply), "invalid_args");
}

//  A repeated key in a config or addresses file is a startup error naming
//  file:line:col.
static void
test_duplicate_key_in_files (void **state)
{
    const char *dir = *state;
    char *config = e2e_write_file (dir, "dup.config.json", "{\n  \"count\": 1,\n  \"count\": 2\n}\n");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "config", "-s", e2e_plugin ("config_echo"), "-m",
                                      "-c", config, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, e2e_fmt ("%s:3:3:", config),
                         "duplicate key \"count\"", NULL);

    char *addresses = e2e_write_file (dir, "dup.addresses.json",
        "{\"connections\": {\"in\": {}, \"out\": {}},\n \"connections\": {}}\n");
    proc = e2e_svcfw_run (dir, "addresses", "-s", e2e_plugin ("config_echo"), "-m",
                          "-a", addresses, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, e2e_fmt ("%s:2:2:", addresses),
                         "duplicate key \"connections\"", NULL);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test_setup_teardown (test_flood_of_failures, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_forged_log_lines, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_nul_and_duplicate_keys, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_int_range, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_int64_exact, e2e_setup, e2e_teardown),
        cmocka_unit_test_setup_teardown (test_duplicate_key_in_files, e2e_setup, e2e_teardown),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
