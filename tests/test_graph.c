/*  test_graph.c - graph files: reading, every error, plugins found, models and sockets, command lines. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "graph.h"
#include "check.h"
#include "draw.h"
#include "describe.h"
#include "svcfw.h"

//  The example plugins resolve the plugin API from the program that loads
//  them: this reference links core/api.c in, and the build exports it.
void *test_graph_api = (void *) &svcfw_config;

static char s_dir [PATH_MAX];       //  a fresh directory per test run

//  Writes `content` to s_dir/NAME; returns the path (static buffer).
static const char *
s_write (const char *name, const char *content)
{
    static char path [PATH_MAX];
    snprintf (path, sizeof path, "%s/%s", s_dir, name);
    FILE *file = fopen (path, "w");
    assert_non_null (file);
    fputs (content, file);
    fclose (file);
    return path;
}

//  Loads a graph file with this text; returns the graph or NULL with err.
static graph_t *
s_load (const char *text, char *err)
{
    const char *path = s_write ("graph.json", text);
    return graph_load (path, err);
}

//  The load must fail with exactly "DIR/graph.json: " + `expected`, where
//  each "DIR" in `expected` stands for the test's directory.
static void
s_expect_error (const char *text, const char *expected)
{
    char err [ERR_LEN] = "", want [ERR_LEN + 2 * PATH_MAX];
    graph_t *graph = s_load (text, err);
    assert_null (graph);
    size_t len = (size_t) snprintf (want, sizeof want, "%s/graph.json: ", s_dir);
    for (const char *p = expected; *p && len < ERR_LEN + PATH_MAX; )
        if (strncmp (p, "DIR", 3) == 0) {
            len += (size_t) snprintf (want + len, sizeof want - len, "%s", s_dir);
            p += 3;
        }
        else
            want [len++] = *p++;
    want [len] = 0;
    assert_string_equal (err, want);
}

static int
s_setup (void **state)
{
    (void) state;
    snprintf (s_dir, sizeof s_dir, "/tmp/test_graph_XXXXXX");
    assert_non_null (mkdtemp (s_dir));
    //  Bare plugin names are found through SVCFW_PLUGIN_PATH (first entry empty, second the examples).
    setenv ("SVCFW_PLUGIN_PATH", "/nonexistent::" EXAMPLES_BIN_DIR, 1);
    s_write ("addresses.json", "{\"connections\": {\"in\": {\"cancel_order\": {\"replyer\": \"127.0.0.1:28101\"}},"
                               " \"out\": {\"cancel_order\": {\"requester\": \"127.0.0.1:28101\"}}}}");
    s_write ("config.json", "{\"refuse_above\": 2000}");
    return 0;
}

static int
s_teardown (void **state)
{
    (void) state;
    char command [PATH_MAX + 16];
    snprintf (command, sizeof command, "rm -rf '%s'", s_dir);
    return system (command) == 0? 0: -1;
}

#define S_GOOD \
    "{\"services\": {" \
    " \"cancel_order\": {\"plugin\": \"cancel_order.so\", \"addresses\": \"addresses.json\"," \
    "                    \"config\": \"config.json\", \"restart\": \"always\"," \
    "                    \"args\": {\"svcfw_admin\": \"127.0.0.1:29000\"}}," \
    " \"order_sender\": {\"plugin\": \"" EXAMPLES_BIN_DIR "/order_sender.so\", \"main\": true," \
    "                    \"addresses\": {\"connections\": {\"out\": {\"cancel_order\": {\"requester\": \"localhost:28101\"}}}}," \
    "                    \"args\": {\"count\": 5, \"interval_ms\": \"200\", \"svcfw_curve_cert\": \"keys/me_secret\"}," \
    "                    \"restart\": \"never\"}}}"

static void
test_happy_path (void **state)
{
    (void) state;
    char err [ERR_LEN] = "";
    graph_t *graph = s_load (S_GOOD, err);
    assert_non_null (graph);
    assert_string_equal (graph_dir (graph), s_dir);
    assert_int_equal (graph_service_count (graph), 2);

    const graph_service_t *replyer = graph_service_at (graph, 0);
    assert_string_equal (replyer->name, "cancel_order");
    assert_string_equal (replyer->plugin, EXAMPLES_BIN_DIR "/cancel_order.so");
    char want [PATH_MAX + 32];
    snprintf (want, sizeof want, "%s/addresses.json", s_dir);
    assert_string_equal (replyer->addresses_path, want);
    snprintf (want, sizeof want, "%s/config.json", s_dir);
    assert_string_equal (replyer->config_path, want);
    assert_int_equal (cJSON_GetObjectItem (replyer->config, "refuse_above")->valueint, 2000);
    assert_false (replyer->main);
    assert_int_equal (replyer->restart, GRAPH_RESTART_ALWAYS);
    assert_string_equal (replyer->admin, "127.0.0.1:29000");
    assert_string_equal (graph_restart_name (replyer->restart), "always");
    assert_null (replyer->models);

    const graph_service_t *sender = graph_service_find (graph, "order_sender");
    assert_ptr_equal (sender, graph_service_at (graph, 1));
    assert_true (sender->main);
    assert_null (sender->addresses_path);
    assert_non_null (cJSON_GetObjectItem (sender->addresses, "connections"));
    assert_null (sender->config_path);
    assert_int_equal (sender->restart, GRAPH_RESTART_NEVER);
    assert_null (sender->admin);
    //  A relative CURVE path is made absolute against the graph's directory.
    snprintf (want, sizeof want, "%s/keys/me_secret", s_dir);
    assert_string_equal (cJSON_GetObjectItem (sender->args, "svcfw_curve_cert")->valuestring, want);
    assert_int_equal (cJSON_GetObjectItem (sender->effective_config, "count")->valueint, 5);
    assert_null (graph_service_find (graph, "nobody"));

    //  Models: the sockets each service opens, binding sides marked.
    assert_int_equal (graph_load_models (graph, err), 0);
    assert_non_null (replyer->models);
    assert_int_equal (graph_socket_count (graph), 2);
    const graph_socket_t *bound = graph_socket_at (graph, 0);
    assert_int_equal (bound->service, 0);
    assert_string_equal (bound->socket, "replyer");
    assert_true (bound->bind);
    assert_string_equal (bound->endpoint, "tcp://127.0.0.1:28101");
    assert_string_equal (bound->model->where, "connection_models.in.cancel_order");
    const graph_socket_t *connects = graph_socket_at (graph, 1);
    assert_int_equal (connects->service, 1);
    assert_string_equal (connects->socket, "requester");
    assert_false (connects->bind);
    //  The string "200" is converted to the declared int, as on the command line.
    assert_true (cJSON_IsNumber (cJSON_GetObjectItem (sender->effective_config, "interval_ms")));
    assert_int_equal (graph_load_models (graph, err), 0);      //  again: nothing changes
    assert_int_equal (graph_socket_count (graph), 2);

    //  Command lines: files as given, inline documents written to the directory.
    char **argv = graph_argv (graph, 0, "/bin/svcfw", NULL, err);
    assert_non_null (argv);
    char line [4096] = "";
    for (char **arg = argv; *arg; arg++)
        snprintf (line + strlen (line), sizeof line - strlen (line), "%s%s", arg == argv? "": " ", *arg);
    snprintf (want, sizeof want, "/bin/svcfw -s %s/cancel_order.so -a %s/addresses.json -c %s/config.json"
              " --admin 127.0.0.1:29000", EXAMPLES_BIN_DIR, s_dir, s_dir);
    assert_string_equal (line, want);
    graph_argv_destroy (&argv);
    assert_null (argv);

    assert_null (graph_argv (graph, 1, "svcfw", NULL, err));
    assert_string_equal (err, "service \"order_sender\": inline addresses need a directory to be written to");
    argv = graph_argv (graph, 1, "svcfw", s_dir, err);
    assert_non_null (argv);
    line [0] = 0;
    for (char **arg = argv; *arg; arg++)
        snprintf (line + strlen (line), sizeof line - strlen (line), "%s%s", arg == argv? "": " ", *arg);
    snprintf (want, sizeof want, "svcfw -s %s/order_sender.so -a %s/order_sender.addresses.json -m"
              " --count 5 --interval_ms 200 --curve-cert %s/keys/me_secret", EXAMPLES_BIN_DIR, s_dir, s_dir);
    assert_string_equal (line, want);
    graph_argv_destroy (&argv);
    struct stat st;
    snprintf (want, sizeof want, "%s/order_sender.addresses.json", s_dir);
    assert_int_equal (stat (want, &st), 0);
    assert_null (graph_argv (graph, 2, "svcfw", NULL, err));
    graph_destroy (&graph);
    assert_null (graph);
    graph_destroy (&graph);
}

//  A plugin path with a '/' is relative to the graph file, never searched.
static void
test_plugin_relative (void **state)
{
    (void) state;
    char err [ERR_LEN] = "";
    char sub [PATH_MAX + 8];
    snprintf (sub, sizeof sub, "%s/lib", s_dir);
    mkdir (sub, 0755);
    s_write ("lib/x.so", "not really a plugin");
    graph_t *graph = s_load ("{\"services\": {\"x\": {\"plugin\": \"lib/x.so\"}}}", err);
    assert_non_null (graph);
    char want [PATH_MAX + 16];
    snprintf (want, sizeof want, "%s/lib/x.so", s_dir);
    assert_string_equal (graph_service_at (graph, 0)->plugin, want);
    //  Opening it fails, naming the service.
    assert_int_equal (graph_load_models (graph, err), -1);
    snprintf (want, sizeof want, "%s/graph.json: service \"x\": %s/lib/x.so: cannot load plugin", s_dir, s_dir);
    assert_memory_equal (err, want, strlen (want));
    graph_destroy (&graph);
    s_expect_error ("{\"services\": {\"x\": {\"plugin\": \"lib/cancel_order.so\"}}}",
                    "service \"x\": \"plugin\": no file DIR/lib/cancel_order.so");
    //  An absolute path is named as it was given.
    s_expect_error ("{\"services\": {\"x\": {\"plugin\": \"/nonexistent/x.so\"}}}",
                    "service \"x\": \"plugin\": no file /nonexistent/x.so");
}

#define S_PLUGIN "\"plugin\": \"cancel_order.so\""

//  Args of every JSON type on the command line: strings as they are, the rest as JSON.
static void
test_argv_values (void **state)
{
    (void) state;
    char err [ERR_LEN];
    graph_t *graph = s_load ("{\"services\": {\"c\": {" S_PLUGIN ", \"config\": {},"
                             " \"args\": {\"name\": \"a b\", \"tags\": [\"x\", 1], \"loud\": true, \"rate\": 1.5,"
                             " \"limits\": {\"n\": 2}}}}}", err);
    assert_non_null (graph);
    char **argv = graph_argv (graph, 0, "svcfw", NULL, err);
    assert_non_null (argv);
    const char *want [] = { "svcfw", "-s", EXAMPLES_BIN_DIR "/cancel_order.so", "--name", "a b", "--tags", "[\"x\",1]",
                            "--loud", "true", "--rate", "1.5", "--limits", "{\"n\":2}", NULL };
    for (int i = 0; want [i]; i++)
        assert_string_equal (argv [i], want [i]);
    assert_null (argv [13]);
    graph_argv_destroy (&argv);
    graph_destroy (&graph);
}

static void
test_errors (void **state)
{
    (void) state;
    char err [ERR_LEN];
    //  The file itself.
    assert_null (graph_load ("/nonexistent/graph.json", err));
    assert_string_equal (err, "/nonexistent/graph.json: cannot resolve its directory: No such file or directory");
    const char *path = s_write ("graph.json", "{\"services\": {}");
    assert_null (graph_load (path, err));
    char want [PATH_MAX + 64];
    snprintf (want, sizeof want, "%s/graph.json:1:15: invalid JSON", s_dir);
    assert_memory_equal (err, want, strlen (want));
    //  A service named twice: the JSON reader refuses the second.
    path = s_write ("graph.json", "{\"services\": {\"a\": {" S_PLUGIN "}, \"a\": {" S_PLUGIN "}}}");
    assert_null (graph_load (path, err));
    snprintf (want, sizeof want, "%s/graph.json:1:51: invalid JSON (duplicate key \"a\")", s_dir);
    assert_string_equal (err, want);
    s_expect_error ("[]", "a graph file must be a JSON object {\"services\": {...}}, got array");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN "}}, \"x\": 1}",
                    "unknown key \"x\" (a graph file has \"services\")");
    s_expect_error ("{\"services\": []}", "\"services\" must be an object of NAME: {...}, got array");
    s_expect_error ("{}", "\"services\" must be an object of NAME: {...}, got nothing");
    s_expect_error ("{\"services\": {}}", "\"services\" is empty");
    //  A service.
    s_expect_error ("{\"services\": {\"a b\": {" S_PLUGIN "}}}",
                    "service \"a b\": a name is letters, digits, '_', '-' and '.'");
    s_expect_error ("{\"services\": {\"a\": 1}}", "service \"a\": must be an object, got number");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"plugins\": 1}}}",
                    "service \"a\": unknown key \"plugins\" (known: plugin, addresses, config, main, args, restart, "
                    "allow_unheard)");
    s_expect_error ("{\"services\": {\"a\": {}}}", "service \"a\": missing \"plugin\"");
    s_expect_error ("{\"services\": {\"a\": {\"plugin\": 1}}}",
                    "service \"a\": \"plugin\" must be a path string, got number");
    s_expect_error ("{\"services\": {\"a\": {\"plugin\": \"nope.so\"}}}",
                    "service \"a\": \"plugin\": cannot find \"nope.so\" (looked in DIR, $SVCFW_PLUGIN_PATH and "
                    "examples/ beside svcfw)");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"main\": \"yes\"}}}",
                    "service \"a\": \"main\" must be true or false, got string");
    s_expect_error ("{\"services\": {\"pricer\": {" S_PLUGIN ", \"restart\": \"sometimes\"}}}",
                    "service \"pricer\": \"restart\" must be one of on-failure, always, never, got \"sometimes\"");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"allow_unheard\": [1]}}}",
                    "service \"a\": \"allow_unheard\" must be a list of out connection names");
    //  Its addresses and config.
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"addresses\": 7}}}",
                    "service \"a\": \"addresses\" must be a file path or an object, got number");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"addresses\": \"nope.json\"}}}",
                    "service \"a\": \"addresses\": DIR/nope.json: cannot read: No such file or directory");
    s_write ("list.json", "[1]");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"config\": \"list.json\"}}}",
                    "service \"a\": \"config\": DIR/list.json must hold a JSON object, got array");
    s_write ("broken.json", "{\"a\": }");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"config\": \"broken.json\"}}}",
                    "service \"a\": \"config\": DIR/broken.json:1:7: invalid JSON (unexpected '}')");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"addresses\": {\"connection\": {}}}}}",
                    "service \"a\": \"addresses\": addresses: unknown key 'connection' (expected connections, states)");
    //  Its args.
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"args\": [1]}}}",
                    "service \"a\": \"args\" must be an object of KEY: VALUE, got array");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"args\": {\"-m\": true}}}}",
                    "service \"a\": \"args\": \"-m\" is not a config key (no leading '-', no '=', not empty)");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"args\": {\"\": 1}}}}",
                    "service \"a\": \"args\": \"\" is not a config key (no leading '-', no '=', not empty)");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"args\": {\"k\": null}}}}",
                    "service \"a\": \"args\".k: must be a string, number, boolean, object or array, got null");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"args\": {\"svcfw_curve_allow\": 1}}}}",
                    "service \"a\": \"args\".svcfw_curve_allow: must be a path string, got number");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"args\": {\"svcfw_admin\": 9000}}}}",
                    "service \"a\": \"args\".svcfw_admin: must be a string HOST:PORT, got number");
    s_expect_error ("{\"services\": {\"a\": {" S_PLUGIN ", \"config\": {\"svcfw_admin\": true}}}}",
                    "service \"a\": config: svcfw_admin must be a string HOST:PORT, got boolean");
}

//  What only the plugins' models show: the config against the config model, missing addresses.
static void
test_model_errors (void **state)
{
    (void) state;
    char err [ERR_LEN], want [ERR_LEN * 2];
    graph_t *graph = s_load ("{\"services\": {\"c\": {" S_PLUGIN ", \"addresses\": \"addresses.json\","
                             " \"args\": {\"refuse_above\": \"lots\"}}}}", err);
    assert_non_null (graph);
    assert_int_equal (graph_load_models (graph, err), -1);
    snprintf (want, sizeof want, "%s/graph.json: service \"c\": command line --refuse_above: expected int, got \"lots\"",
              s_dir);
    assert_string_equal (err, want);
    graph_destroy (&graph);

    graph = s_load ("{\"services\": {\"c\": {" S_PLUGIN ", \"config\": {\"colour\": \"red\"},"
                    " \"addresses\": \"addresses.json\"}}}", err);
    assert_non_null (graph);
    assert_int_equal (graph_load_models (graph, err), -1);
    snprintf (want, sizeof want, "%s/graph.json: service \"c\": \"config\" object: config: unknown key 'colour'", s_dir);
    assert_string_equal (err, want);
    graph_destroy (&graph);

    graph = s_load ("{\"services\": {\"c\": {" S_PLUGIN "}}}", err);
    assert_non_null (graph);
    assert_int_equal (graph_load_models (graph, err), -1);
    snprintf (want, sizeof want, "%s/graph.json: service \"c\": no \"addresses\": no address for connection_models.in.cancel_order socket 'replyer' (expected connections.in.cancel_order.replyer)", s_dir);
    assert_string_equal (err, want);
    graph_destroy (&graph);
}

//  ---------------------------------------------------------------------------
//  svcfw check

//  Collects reported lines, one after another.
static void
s_collect (const char *line, void *arg)
{
    char *lines = arg;
    size_t used = strlen (lines);
    snprintf (lines + used, 8192 - used, "%s\n", line);
}

//  Checks the graph at `path` (plugins from the test plugins); returns the
//  number of problems, their lines in `lines` (8192).
static int
s_check (const char *path, char *lines, int *links)
{
    char err [ERR_LEN] = "";
    setenv ("SVCFW_PLUGIN_PATH", TEST_PLUGIN_DIR ":" EXAMPLES_BIN_DIR, 1);
    graph_t *graph = graph_load (path, err);
    if (!graph || graph_load_models (graph, err))
        fail_msg ("%s: %s", path, err);
    lines [0] = 0;
    int problems = graph_check (graph, s_collect, lines, links);
    graph_destroy (&graph);
    return problems;
}

//  Each rule's graph in tests/graphs/RULE reports exactly RULE/expected,
//  with its path in place of "graph.json".
static void
s_rule (const char *rule, int problems)
{
    char path [PATH_MAX], lines [8192], want [8192] = "";
    snprintf (path, sizeof path, TEST_GRAPHS_DIR "/%s/expected", rule);
    FILE *file = fopen (path, "r");
    assert_non_null (file);
    char line [1024];
    while (fgets (line, sizeof line, file)) {
        assert_memory_equal (line, "graph.json: ", 12);
        size_t used = strlen (want);
        snprintf (want + used, sizeof want - used, TEST_GRAPHS_DIR "/%s/%s", rule, line);
    }
    fclose (file);
    snprintf (path, sizeof path, TEST_GRAPHS_DIR "/%s/graph.json", rule);
    assert_int_equal (s_check (path, lines, NULL), problems);
    assert_string_equal (lines, want);
}

static void
test_check_rules (void **state)
{
    (void) state;
    s_rule ("no_binder", 1);
    s_rule ("wrong_kind", 1);
    s_rule ("bound_twice", 1);
    s_rule ("omitted_arg", 1);
    s_rule ("wrong_type", 1);
    s_rule ("return_omitted", 1);
    s_rule ("unheard_topic", 1);
    s_rule ("state_kind", 2);
    s_rule ("state_topic", 1);
    s_rule ("allow_unheard_unknown", 2);
    s_rule ("unknown_handler", 1);
    s_rule ("main_inbound", 2);
}

static void
test_check_examples (void **state)
{
    (void) state;
    const char *examples [] = { "cancel_order", "ticker", "chain", "order_book" };
    const int links_want [] = { 1, 2, 2, 3 };
    for (int i = 0; i < 4; i++) {
        char path [PATH_MAX], lines [8192];
        snprintf (path, sizeof path, EXAMPLES_SRC_DIR "/%s/graph.json", examples [i]);
        int links = -1;
        assert_int_equal (s_check (path, lines, &links), 0);
        assert_string_equal (lines, "");
        assert_int_equal (links, links_want [i]);
    }
}

static void
test_endpoints_meet (void **state)
{
    (void) state;
    assert_true (graph_endpoints_meet ("tcp://127.0.0.1:5000", "tcp://127.0.0.1:5000"));
    assert_true (graph_endpoints_meet ("tcp://*:5000", "tcp://10.1.2.3:5000"));
    assert_true (graph_endpoints_meet ("tcp://0.0.0.0:5000", "tcp://pricer:5000"));
    assert_true (graph_endpoints_meet ("tcp://127.0.0.1:5000", "tcp://localhost:5000"));
    assert_false (graph_endpoints_meet ("tcp://127.0.0.1:5000", "tcp://127.0.0.1:5001"));
    assert_false (graph_endpoints_meet ("tcp://127.0.0.1:5000", "tcp://10.1.2.3:5000"));
    assert_true (graph_endpoints_meet ("ipc:///tmp/a", "ipc:///tmp/a"));
    assert_false (graph_endpoints_meet ("ipc:///tmp/a", "ipc:///tmp/b"));
    assert_false (graph_endpoints_meet ("ipc:///tmp/a", "tcp://127.0.0.1:5000"));
}

//  The links of an example: which socket meets which.
static void
test_links (void **state)
{
    (void) state;
    char err [ERR_LEN];
    setenv ("SVCFW_PLUGIN_PATH", EXAMPLES_BIN_DIR, 1);
    graph_t *graph = graph_load (EXAMPLES_SRC_DIR "/order_book/graph.json", err);
    assert_non_null (graph);
    assert_int_equal (graph_load_models (graph, err), 0);
    graph_link_t *links = NULL;
    assert_int_equal (graph_links (graph, &links), 3);
    //  order_book's in-state (subscriber, requester), then price_checker's requester.
    assert_string_equal (graph_service_at (graph, links [0].connecting->service)->name, "order_book");
    assert_string_equal (links [0].connecting->socket, "subscriber");
    assert_string_equal (graph_service_at (graph, links [0].binding->service)->name, "market_price");
    assert_string_equal (links [0].binding->socket, "publisher");
    assert_string_equal (links [1].binding->socket, "replyer");
    assert_string_equal (links [1].binding->model->name, "order_book");
    assert_string_equal (graph_service_at (graph, links [2].connecting->service)->name, "price_checker");
    assert_string_equal (graph_service_at (graph, links [2].binding->service)->name, "order_book");
    assert_string_equal (links [2].binding->model->name, "best_price");
    free (links);
    graph_destroy (&graph);
}

//  svcfw graph's DOT for the order_book example: its nodes and edges.
static void
test_draw (void **state)
{
    (void) state;
    char err [ERR_LEN];
    setenv ("SVCFW_PLUGIN_PATH", EXAMPLES_BIN_DIR, 1);
    graph_t *graph = graph_load (EXAMPLES_SRC_DIR "/order_book/graph.json", err);
    assert_non_null (graph);
    assert_int_equal (graph_load_models (graph, err), 0);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert_int_equal (graph_draw_dot (graph, out, err), 0);
    fclose (out);
    const char *lines [] = {
        "    \"market_price\" [label=\"market_price\\nmarket_price.so (main)\", fillcolor=\"#fdf1d6\", color=\"#b58a2a\"];\n",
        "    \"order_book\" [label=\"order_book\\norder_book.so\"];\n",
        "    \"market_price\" -> \"order_book\" [label=\"order_book\\n(delta state)\", style=bold,",
        "    \"price_checker\" -> \"order_book\" [label=\"best_price\\n(request)\"];\n",
        "    { rank=source; \"market_price\"; \"price_checker\"; }\n",
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines [0]; i++)
        if (!strstr (text, lines [i]))
            fail_msg ("no <%s> in\n%s", lines [i], text);
    int arrows = 0;
    for (const char *p = text; (p = strstr (p, " -> ")); p++)
        arrows++;
    assert_int_equal (arrows, 2);
    free (text);
    graph_destroy (&graph);
}

//  A socket that meets nothing is drawn to its address, in red.
static void
test_draw_unmet (void **state)
{
    (void) state;
    char err [ERR_LEN];
    setenv ("SVCFW_PLUGIN_PATH", TEST_PLUGIN_DIR, 1);
    graph_t *graph = graph_load (TEST_GRAPHS_DIR "/no_binder/graph.json", err);
    assert_non_null (graph);
    assert_int_equal (graph_load_models (graph, err), 0);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert_int_equal (graph_draw_dot (graph, out, err), 0);
    fclose (out);
    assert_non_null (strstr (text, "    \"a\" -> \"tcp://127.0.0.1:29901\" [label=\"orders\\n(meets nothing)\""));
    free (text);
    graph_destroy (&graph);
}

static void
test_describe (void **state)
{
    (void) state;
    char err [ERR_LEN];
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream (&text, &size);
    assert_int_equal (graph_describe (TEST_PLUGIN_DIR "/gc_replyer.so", out, err), 0);
    fclose (out);
    const char *want =
        "# gc_replyer\n\nThe models of `" TEST_PLUGIN_DIR "/gc_replyer.so`.\n\n"
        "## Config\n\nKeys: none.\n\n"
        "## Connections in\n\n### `orders` (replyer)\n\n"
        "Creation options: `on_new_request`: `\"on_order\"`.\n\n"
        "Args:\n\n| key | type | |\n|---|---|---|\n| `id` | `str` | required |\n| `qty` | `int` | required |\n\n"
        "Return args:\n\n| key | type | |\n|---|---|---|\n| `id` | `str` | required |\n| `note` | `str` | optional |\n\n"
        "## Connections out\n\nNone.\n\n## States in\n\nNone.\n\n## States out\n\nNone.\n\n";
    assert_string_equal (text, want);
    free (text);
    out = open_memstream (&text, &size);
    assert_int_equal (graph_describe ("/nonexistent/x.so", out, err), -1);
    fclose (out);
    assert_string_equal (text, "");
    free (text);
    assert_memory_equal (err, "/nonexistent/x.so: cannot load plugin", 37);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_happy_path),
        cmocka_unit_test (test_plugin_relative),
        cmocka_unit_test (test_argv_values),
        cmocka_unit_test (test_errors),
        cmocka_unit_test (test_model_errors),
        cmocka_unit_test (test_check_rules),
        cmocka_unit_test (test_check_examples),
        cmocka_unit_test (test_endpoints_meet),
        cmocka_unit_test (test_links),
        cmocka_unit_test (test_draw),
        cmocka_unit_test (test_draw_unmet),
        cmocka_unit_test (test_describe),
    };
    return cmocka_run_group_tests (tests, s_setup, s_teardown);
}
