/*  test_addresses.c - addresses: shape checks, HOST:PORT normalisation, endpoint lookup per model. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "addresses.h"

static cJSON *
s_json (const char *text)
{
    cJSON *doc = cJSON_Parse (text);
    if (!doc)
        fail_msg ("bad test JSON <%s>", text);
    return doc;
}

//  Fails unless err is one line that contains every NULL-terminated needle.
static void
s_assert_err (const char *err, const char *context, ...)
{
    if (!*err)
        fail_msg ("%s: empty error", context);
    if (strchr (err, '\n'))
        fail_msg ("%s: error is not one line: <%s>", context, err);
    va_list ap;
    va_start (ap, context);
    const char *needle;
    while ((needle = va_arg (ap, const char *)))
        if (!strstr (err, needle)) {
            va_end (ap);
            fail_msg ("%s: error <%s> does not contain <%s>", context, err, needle);
        }
    va_end (ap);
}

//  addresses_check must refuse `text` (as file "addr.json") naming every needle.
#define s_check_refuses(text, ...) s_check_refuses_ (text, __VA_ARGS__, NULL)
static void
s_check_refuses_ (const char *text, ...)
{
    cJSON *doc = s_json (text);
    char err [ERR_LEN] = "";
    int rc = addresses_check (doc, "addr.json", err);
    cJSON_Delete (doc);
    if (rc != -1)
        fail_msg ("addresses_check accepted <%s>", text);
    if (strncmp (err, "addr.json: ", 11))
        fail_msg ("error <%s> for <%s> does not start with the file name", err, text);
    assert_null (strchr (err, '\n'));
    va_list ap;
    va_start (ap, text);
    const char *needle;
    while ((needle = va_arg (ap, const char *)))
        if (!strstr (err, needle)) {
            va_end (ap);
            fail_msg ("error <%s> for <%s> does not contain <%s>", err, text, needle);
        }
    va_end (ap);
}

static void
test_check (void **state)
{
    (void) state;
    char err [ERR_LEN] = "(untouched)";
    const char *good [] = {
        "{}",
        "{\"connections\": {}, \"states\": {}}",
        "{\"connections\": {\"in\": {}, \"out\": {}}, \"states\": {\"in\": {}, \"out\": {}}}",
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"127.0.0.1:5555\"}},"
        "                  \"out\": {\"pricing\": {\"requester\": \"tcp://10.0.0.2:6000\"},"
        "                          \"ticks\": {\"publisher\": \"*:6001\"}}},"
        " \"states\": {\"in\": {\"book\": {\"subscriber\": \"localhost:7000\", \"requester\": \"localhost:7001\"}},"
        "            \"out\": {\"pos\": {\"publisher\": \"0.0.0.0:7002\", \"replyer\": \"ipc:///tmp/pos\"},"
        "                    \"empty\": {}}}}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        cJSON *doc = s_json (good [i]);
        if (addresses_check (doc, "addr.json", err))
            fail_msg ("addresses_check refused <%s>: %s", good [i], err);
        cJSON_Delete (doc);
    }
    assert_string_equal (err, "(untouched)");

    s_check_refuses ("[]", "must be a JSON object", "array");
    s_check_refuses ("\"x\"", "must be a JSON object", "string");
    s_check_refuses ("{\"connection\": {}}", "connection", "expected connections, states");
    s_check_refuses ("{\"states\": {}, \"extra\": 1}", "extra");
    s_check_refuses ("{\"connections\": []}", "connections", "must be an object", "array");
    s_check_refuses ("{\"states\": \"in\"}", "states", "must be an object", "string");
    s_check_refuses ("{\"connections\": {\"inn\": {}}}", "connections", "inn");
    s_check_refuses ("{\"states\": {\"in\": {}, \"outgoing\": {}}}", "states", "outgoing");
    s_check_refuses ("{\"connections\": {\"out\": []}}", "connections.out", "must be an object");
    s_check_refuses ("{\"states\": {\"in\": 5}}", "states.in", "must be an object", "number");
    s_check_refuses ("{\"connections\": {\"in\": {\"orders\": \"127.0.0.1:5555\"}}}",
                     "connections.in.orders", "must be an object", "string");
    s_check_refuses ("{\"states\": {\"out\": {\"pos\": [\"127.0.0.1:5555\"]}}}",
                     "states.out.pos", "must be an object", "array");
    s_check_refuses ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": 5555}}}}",
                     "connections.in.orders.replyer", "number");
    s_check_refuses ("{\"states\": {\"in\": {\"book\": {\"subscriber\": \"h:1\", \"requester\": null}}}}",
                     "states.in.book.requester", "null");
    s_check_refuses ("{\"connections\": {\"out\": {\"ok\": {\"requester\": \"h:1\"}, \"bad\": {\"requester\": {}}}}}",
                     "connections.out.bad.requester", "object");
}

//  addresses_normalize must give `expected` for addr.
static void
s_normalizes (const char *addr, bool bind, const char *expected)
{
    char endpoint [ENDPOINT_LEN];
    char err [ERR_LEN] = "(untouched)";
    if (addresses_normalize (addr, bind, endpoint, err))
        fail_msg ("%s \"%s\" refused: %s", bind? "bind": "connect", addr, err);
    if (strcmp (endpoint, expected))
        fail_msg ("%s \"%s\": expected \"%s\", got \"%s\"", bind? "bind": "connect", addr, expected, endpoint);
    assert_string_equal (err, "(untouched)");
}

//  addresses_normalize must refuse addr with an error naming it (and needle).
static void
s_normalize_refuses (const char *addr, bool bind, const char *needle)
{
    char endpoint [ENDPOINT_LEN] = "";
    char err [ERR_LEN] = "";
    if (addresses_normalize (addr, bind, endpoint, err) != -1)
        fail_msg ("%s \"%s\" accepted as \"%s\"", bind? "bind": "connect", addr, endpoint);
    //  The error names the address (at least its start when it is long).
    char start [41];
    snprintf (start, sizeof start, "%s", addr);
    s_assert_err (err, addr, start, needle, NULL);
}

static void
test_normalize (void **state)
{
    (void) state;
    //  HOST:PORT is TCP; a binding socket binds the host it is given.
    s_normalizes ("127.0.0.1:5555", true, "tcp://127.0.0.1:5555");
    s_normalizes ("127.0.0.1:5555", false, "tcp://127.0.0.1:5555");
    s_normalizes ("10.1.2.3:1", true, "tcp://10.1.2.3:1");
    s_normalizes ("service.example.com:65535", false, "tcp://service.example.com:65535");
    s_normalizes ("eth0:7000", true, "tcp://eth0:7000");
    //  every interface
    s_normalizes ("0.0.0.0:5555", true, "tcp://*:5555");
    s_normalizes ("*:5555", true, "tcp://*:5555");
    //  localhost is an address ZeroMQ can bind
    s_normalizes ("localhost:5555", true, "tcp://127.0.0.1:5555");
    s_normalizes ("localhost:5555", false, "tcp://127.0.0.1:5555");
    //  IPv6 in brackets: the last colon separates the port
    s_normalizes ("[::1]:5555", false, "tcp://[::1]:5555");
    //  full endpoints are kept as they are
    s_normalizes ("tcp://127.0.0.1:5555", true, "tcp://127.0.0.1:5555");
    s_normalizes ("tcp://*:*", true, "tcp://*:*");
    s_normalizes ("tcp://localhost:5555", false, "tcp://localhost:5555");
    s_normalizes ("ipc:///tmp/svcfw-test.ipc", true, "ipc:///tmp/svcfw-test.ipc");
    s_normalizes ("ipc:///tmp/svcfw-test.ipc", false, "ipc:///tmp/svcfw-test.ipc");
    s_normalizes ("inproc://orders", true, "inproc://orders");
    s_normalizes ("inproc://orders", false, "inproc://orders");

    //  Not HOST:PORT
    s_normalize_refuses ("", false, NULL);
    s_normalize_refuses ("5555", true, NULL);
    s_normalize_refuses ("localhost", false, NULL);
    s_normalize_refuses (":5555", true, NULL);
    s_normalize_refuses ("127.0.0.1:", false, NULL);
    //  ports that are not numbers
    s_normalize_refuses ("127.0.0.1:http", false, "port");
    s_normalize_refuses ("127.0.0.1:55a5", true, "port");
    s_normalize_refuses ("127.0.0.1:-1", true, "port");
    s_normalize_refuses ("127.0.0.1:5555 ", true, "port");
    s_normalize_refuses ("*:*", true, "port");
    //  connecting to every interface means nothing
    s_normalize_refuses ("*:5555", false, "*");
}

//  TCP ports are 1..65535 (0 is "any" only for a wildcard bind); a bigger
//  number is not a port, and should be refused here, naming the address,
//  rather than fail later inside zmq_bind/zmq_connect with EINVAL.
static void
test_normalize_port_range (void **state)
{
    (void) state;
    s_normalize_refuses ("127.0.0.1:65536", true, "port");
    s_normalize_refuses ("127.0.0.1:70000", false, "port");
    s_normalize_refuses ("localhost:99999999999999999999", false, "port");
}

static void
test_normalize_lengths (void **state)
{
    (void) state;
    char addr [1024];
    char expected [ENDPOINT_LEN];

    //  A full endpoint of ENDPOINT_LEN - 1 characters fits; one more does not.
    strcpy (addr, "ipc:///tmp/");
    memset (addr + 11, 'a', ENDPOINT_LEN - 1 - 11);
    addr [ENDPOINT_LEN - 1] = 0;
    s_normalizes (addr, true, addr);
    addr [ENDPOINT_LEN - 1] = 'a';
    addr [ENDPOINT_LEN] = 0;
    s_normalize_refuses (addr, true, "too long");
    memset (addr + 11, 'a', 900);
    addr [911] = 0;
    s_normalize_refuses (addr, false, "too long");

    //  A long host name that still fits.
    memset (addr, 'h', 200);
    strcpy (addr + 200, ":5555");
    snprintf (expected, sizeof expected, "tcp://%s", addr);
    s_normalizes (addr, false, expected);
    //  Host names too long for an endpoint.
    memset (addr, 'h', 300);
    strcpy (addr + 300, ":5555");
    s_normalize_refuses (addr, true, "too long");
    memset (addr, 'h', ENDPOINT_LEN - 8);
    strcpy (addr + ENDPOINT_LEN - 8, ":5555");
    s_normalize_refuses (addr, false, "too long");
}

//  The models the lookups below use: every socket-owning kind on both sides.
static models_t *
s_models (void)
{
    cJSON *doc = s_json (
        "{\"connection_models\": {"
        "  \"in\": {\"orders\": {\"connection_type\": \"replyer\","
        "                      \"required_creation_arguments\": {\"on_new_request\": \"f\"}}},"
        "  \"out\": {\"pricing\": {\"connection_type\": \"requester\"},"
        "           \"orders\": {\"connection_type\": \"publisher\"}}},"
        " \"state_models\": {\"in\": {\"book\": {\"state_type\": \"delta_update_in\"}},"
        "                   \"out\": {\"positions\": {\"state_type\": \"full_update_out\"}}}}");
    char err [ERR_LEN];
    models_t *models = models_parse (doc, err);
    cJSON_Delete (doc);
    if (!models)
        fail_msg ("test models refused: %s", err);
    return models;
}

static void
test_endpoint (void **state)
{
    (void) state;
    models_t *models = s_models ();
    const model_t *orders = models_find (models, false, true, "orders");
    const model_t *pricing = models_find (models, false, false, "pricing");
    const model_t *orders_out = models_find (models, false, false, "orders");
    const model_t *book = models_find (models, true, true, "book");
    const model_t *positions = models_find (models, true, false, "positions");
    cJSON *addresses = s_json (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"0.0.0.0:5555\"}},"
        "                  \"out\": {\"pricing\": {\"requester\": \"localhost:6000\"},"
        "                          \"orders\": {\"publisher\": \"ipc:///tmp/orders-out\"}}},"
        " \"states\": {\"in\": {\"book\": {\"subscriber\": \"10.0.0.5:7000\", \"requester\": \"tcp://10.0.0.5:7001\"}},"
        "            \"out\": {\"positions\": {\"publisher\": \"127.0.0.1:7100\", \"replyer\": \"*:7101\"}}}}");
    char endpoint [ENDPOINT_LEN];
    char err [ERR_LEN] = "(untouched)";

    assert_int_equal (addresses_endpoint (addresses, "addr.json", orders, "replyer", true, endpoint, err), 0);
    assert_string_equal (endpoint, "tcp://*:5555");
    assert_int_equal (addresses_endpoint (addresses, "addr.json", pricing, "requester", false, endpoint, err), 0);
    assert_string_equal (endpoint, "tcp://127.0.0.1:6000");
    //  the same name on the other side is another entry
    assert_int_equal (addresses_endpoint (addresses, "addr.json", orders_out, "publisher", true, endpoint, err), 0);
    assert_string_equal (endpoint, "ipc:///tmp/orders-out");
    assert_int_equal (addresses_endpoint (addresses, "addr.json", book, "subscriber", false, endpoint, err), 0);
    assert_string_equal (endpoint, "tcp://10.0.0.5:7000");
    assert_int_equal (addresses_endpoint (addresses, "addr.json", book, "requester", false, endpoint, err), 0);
    assert_string_equal (endpoint, "tcp://10.0.0.5:7001");
    assert_int_equal (addresses_endpoint (addresses, "addr.json", positions, "publisher", true, endpoint, err), 0);
    assert_string_equal (endpoint, "tcp://127.0.0.1:7100");
    assert_int_equal (addresses_endpoint (addresses, "addr.json", positions, "replyer", true, endpoint, err), 0);
    assert_string_equal (endpoint, "tcp://*:7101");
    assert_string_equal (err, "(untouched)");

    //  Missing: the message names the model entry, the socket and where the
    //  address was expected.
    assert_int_equal (addresses_endpoint (addresses, "addr.json", orders, "publisher", true, endpoint, err), -1);
    assert_string_equal (err, "addr.json: no address for connection_models.in.orders socket 'publisher'"
                              " (expected connections.in.orders.publisher)");
    assert_int_equal (addresses_endpoint (addresses, "addr.json", orders_out, "replyer", true, endpoint, err), -1);
    assert_string_equal (err, "addr.json: no address for connection_models.out.orders socket 'replyer'"
                              " (expected connections.out.orders.replyer)");
    cJSON *empty = s_json ("{}");
    assert_int_equal (addresses_endpoint (empty, "addr.json", orders, "replyer", true, endpoint, err), -1);
    assert_string_equal (err, "addr.json: no address for connection_models.in.orders socket 'replyer'"
                              " (expected connections.in.orders.replyer)");
    assert_int_equal (addresses_endpoint (empty, "other.json", positions, "publisher", true, endpoint, err), -1);
    assert_string_equal (err, "other.json: no address for state_models.out.positions socket 'publisher'"
                              " (expected states.out.positions.publisher)");
    assert_int_equal (addresses_endpoint (empty, "addr.json", book, "requester", false, endpoint, err), -1);
    assert_string_equal (err, "addr.json: no address for state_models.in.book socket 'requester'"
                              " (expected states.in.book.requester)");
    cJSON_Delete (empty);
    //  a connection's address given under states does not count
    cJSON *wrong_family = s_json ("{\"states\": {\"out\": {\"pricing\": {\"requester\": \"h:1\"}}},"
                                  " \"connections\": {\"in\": {\"pricing\": {\"requester\": \"h:1\"}}}}");
    assert_int_equal (addresses_endpoint (wrong_family, "addr.json", pricing, "requester", false, endpoint, err), -1);
    s_assert_err (err, "wrong family", "connection_models.out.pricing", "'requester'",
                  "connections.out.pricing.requester", NULL);
    cJSON_Delete (wrong_family);

    //  Present but bad: the message names the file, the key path and the address.
    cJSON *bad = s_json ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"nowhere\"}},"
                         "                  \"out\": {\"pricing\": {\"requester\": \"*:6000\"}}}}");
    assert_int_equal (addresses_endpoint (bad, "addr.json", orders, "replyer", true, endpoint, err), -1);
    s_assert_err (err, "bad address", "addr.json", "connections.in.orders.replyer", "nowhere", NULL);
    assert_int_equal (addresses_endpoint (bad, "addr.json", pricing, "requester", false, endpoint, err), -1);
    s_assert_err (err, "connect to *", "addr.json", "connections.out.pricing.requester", "*:6000", NULL);
    cJSON_Delete (bad);

    cJSON_Delete (addresses);
    models_destroy (&models);
}

//  An address that is not a string (addresses_check not called first) is an
//  error reply, not a crash. Run in a child so a crash fails only this test.
static void
test_endpoint_not_a_string (void **state)
{
    (void) state;
    models_t *models = s_models ();
    const model_t *orders = models_find (models, false, true, "orders");
    cJSON *addresses = s_json ("{\"connections\": {\"in\": {\"orders\": {\"replyer\": 5555}}}}");
    fflush (NULL);
    pid_t pid = fork ();
    assert_true (pid >= 0);
    if (pid == 0) {
        //  Let a crash be a crash, not cmocka's handler running on in the child.
        signal (SIGSEGV, SIG_DFL);
        signal (SIGBUS, SIG_DFL);
        signal (SIGABRT, SIG_DFL);
        char endpoint [ENDPOINT_LEN];
        char err [ERR_LEN] = "";
        int rc = addresses_endpoint (addresses, "addr.json", orders, "replyer", true, endpoint, err);
        _exit (rc == -1 && strstr (err, "connections.in.orders.replyer")? 0: 1);
    }
    int status = 0;
    assert_int_equal (waitpid (pid, &status, 0), pid);
    cJSON_Delete (addresses);
    models_destroy (&models);
    if (WIFSIGNALED (status))
        fail_msg ("addresses_endpoint crashed with signal %d on a non-string address", WTERMSIG (status));
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        fail_msg ("addresses_endpoint did not refuse a non-string address naming its key (status %d)", status);
}

//  SPEC §10: a connecting address may be {"endpoint", "server_key"}.
static void
test_endpoint_with_server_key (void **state)
{
    (void) state;
    models_t *models = s_models ();
    const model_t *orders = models_find (models, false, true, "orders");
    const model_t *pricing = models_find (models, false, false, "pricing");
    const model_t *book = models_find (models, true, true, "book");
    cJSON *addresses = s_json (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": {\"endpoint\": \"127.0.0.1:5555\", \"server_key\": \"k\"}}},"
        "                  \"out\": {\"pricing\": {\"requester\": {\"endpoint\": \"localhost:6000\", \"server_key\": \"keys/p\"}}}},"
        " \"states\": {\"in\": {\"book\": {\"subscriber\": {\"endpoint\": \"10.0.0.5:7000\"}, \"requester\": \"10.0.0.5:7001\"}}}}");
    char endpoint [ENDPOINT_LEN];
    char err [ERR_LEN] = "";
    assert_int_equal (addresses_check (addresses, "addr.json", err), 0);
    assert_int_equal (addresses_endpoint (addresses, "addr.json", pricing, "requester", false, endpoint, err), 0);
    assert_string_equal (endpoint, "tcp://127.0.0.1:6000");
    assert_string_equal (addresses_server_key (addresses, pricing, "requester"), "keys/p");
    assert_int_equal (addresses_endpoint (addresses, "addr.json", book, "subscriber", false, endpoint, err), 0);
    assert_string_equal (endpoint, "tcp://10.0.0.5:7000");
    assert_null (addresses_server_key (addresses, book, "subscriber"));
    assert_null (addresses_server_key (addresses, book, "requester"));
    //  A binding socket's key is the service's own: a server_key there is a mistake.
    assert_int_equal (addresses_endpoint (addresses, "addr.json", orders, "replyer", true, endpoint, err), -1);
    s_assert_err (err, "server_key on a binder", "addr.json", "connections.in.orders.replyer", "server_key",
                  "binds", NULL);
    cJSON_Delete (addresses);
    models_destroy (&models);

    s_check_refuses ("{\"connections\": {\"out\": {\"p\": {\"requester\": {\"server_key\": \"k\"}}}}}",
                     "connections.out.p.requester", "needs key 'endpoint'");
    s_check_refuses ("{\"connections\": {\"out\": {\"p\": {\"requester\": {\"endpoint\": \"h:1\", \"key\": \"k\"}}}}}",
                     "connections.out.p.requester", "unknown key 'key'");
    s_check_refuses ("{\"connections\": {\"out\": {\"p\": {\"requester\": {\"endpoint\": \"h:1\", \"server_key\": 5}}}}}",
                     "connections.out.p.requester", "server_key", "string");
    s_check_refuses ("{\"connections\": {\"out\": {\"p\": {\"requester\": [\"h:1\"]}}}}",
                     "connections.out.p.requester", "address string");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_check),
        cmocka_unit_test (test_normalize),
        cmocka_unit_test (test_normalize_port_range),
        cmocka_unit_test (test_normalize_lengths),
        cmocka_unit_test (test_endpoint),
        cmocka_unit_test (test_endpoint_not_a_string),
        cmocka_unit_test (test_endpoint_with_server_key),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
