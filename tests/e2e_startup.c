/*  e2e_startup - start-up and usage errors of the real svcfw (SPEC §2-§5, runtime contract).

    Every start-up error must exit 1 with exactly one line on stderr,
    "svcfw: error: MESSAGE", naming the file, model entry or key at fault.
    Usage errors exit 2 with "svcfw: usage: MESSAGE (see svcfw --help)".
*/
#include "e2e.h"

#include <string.h>

//  A valid addresses file for echo_replyer (and main_inbound etc.).
static char *
s_orders_addresses (const char *dir)
{
    return e2e_write_file (dir, "orders.addresses.json", e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"127.0.0.1:%d\"}}, "
        "\"out\": {}}}", e2e_tcp_port ()));
}

//  A valid addresses file for the outbound `ticks` publisher (no_main etc.).
static char *
s_ticks_addresses (const char *dir)
{
    return e2e_write_file (dir, "ticks.addresses.json", e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"ticks\": {\"publisher\": "
        "\"127.0.0.1:%d\"}}}}", e2e_tcp_port ()));
}

//  A valid addresses file for requester_main (a requester to a closed port).
static char *
s_requester_addresses (const char *dir)
{
    return e2e_write_file (dir, "req.addresses.json", e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"orders\": {\"requester\": "
        "\"127.0.0.1:%d\"}}}}", e2e_tcp_port ()));
}

/* ---- The plugin file and its models -------------------------------------- */

static void
test_missing_plugin (void **state)
{
    const char *dir = *state;
    char *plugin = e2e_fmt ("%s/nope.so", dir);
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", plugin,
                                      "-a", s_orders_addresses (dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, plugin, NULL);
}

static void
test_not_a_shared_object (void **state)
{
    const char *dir = *state;
    char *plugin = e2e_write_file (dir, "text.so", "this is not an ELF file\n");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", plugin,
                                      "-a", s_orders_addresses (dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, plugin, NULL);
}

static void
test_abi_mismatch (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("bad_abi"),
                                      "-a", s_orders_addresses (dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "bad_abi", NULL);
    //  Both numbers, the plugin's 99 and the runtime's 1, outside the path.
    char *err = e2e_read_file (e2e_proc_err (proc));
    char *path = strstr (err, e2e_plugin ("bad_abi"));
    if (path)
        memset (path, ' ', strlen (e2e_plugin ("bad_abi")));
    if (!e2e_match (err, "(^|[^0-9])99([^0-9]|$)")
        || !e2e_match (err, "(^|[^0-9.])1([^0-9.]|$)"))
        fail_msg ("ABI error does not give both versions (99 and 1): %s", err);
}

static void
test_missing_models_symbol (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("no_models"),
                                      "-a", s_orders_addresses (dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "no_models", "svcfw_models", NULL);
}

static void
test_models_syntax_error (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("models_syntax"),
                                      "-a", s_orders_addresses (dir), NULL);
    //  The '@' is on line 3, column 11 of the models text.
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, ":3:11", NULL);
}

static void
test_unknown_type (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("unknown_type"),
                                      "-a", s_orders_addresses (dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "connection_models.in.orders", "decimal", NULL);
}

static void
test_unknown_connection_type (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("unknown_conn_type"),
                                      "-a", s_orders_addresses (dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "connection_models.in.orders", "replier", NULL);
}

static void
test_unknown_handler (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("unknown_handler"),
                                      "-a", s_orders_addresses (dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "connection_models.in.orders",
                       "no_such_handler", NULL);
}

static void
test_missing_creation_argument (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("missing_creation_arg"),
                                      "-a", s_orders_addresses (dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "orders", "on_new_request", NULL);
}

static void
test_unknown_state_type (void **state)
{
    e2e_proc_t *proc = e2e_svcfw_run (*state, "run", "-s", e2e_plugin ("unknown_state_type"), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "state_models.out.book",
                         "delta_update_sideways", NULL);
}

/* ---- addresses.json ------------------------------------------------------ */

static void
test_addresses_file_missing (void **state)
{
    const char *dir = *state;
    char *path = e2e_fmt ("%s/none.addresses.json", dir);
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("echo_replyer"),
                                      "-a", path, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, path, NULL);
}

static void
test_addresses_syntax_error (void **state)
{
    const char *dir = *state;
    //  The '@' is on line 2, column 18.
    char *path = e2e_write_file (dir, "bad.addresses.json",
                                 "{\n  \"connections\": @\n}\n");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("echo_replyer"),
                                      "-a", path, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, e2e_fmt ("%s:2:18", path), NULL);
}

static void
test_addresses_missing_address (void **state)
{
    const char *dir = *state;
    char *path = e2e_write_file (dir, "empty.addresses.json",
                                 "{\"connections\": {\"in\": {}, \"out\": {}}}");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("echo_replyer"),
                                      "-a", path, NULL);
    //  Names both the declared connection and where its address is missing
    //  (the socket name or the addresses file).
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "orders", NULL);
    const char *err = e2e_read_file (e2e_proc_err (proc));
    if (!strstr (err, "replyer") && !strstr (err, "empty.addresses.json"))
        fail_msg ("missing-address error names neither the socket 'replyer' nor the "
                  "addresses file: %s", err);
}

static void
test_addresses_missing_state_address (void **state)
{
    const char *dir = *state;
    //  The in-state needs a subscriber and a requester; the requester is missing.
    char *path = e2e_write_file (dir, "state.addresses.json", e2e_fmt (
        "{\"states\": {\"in\": {\"book\": {\"subscriber\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (e2e_tcp_port ())));
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("state_sub"),
                                      "-a", path, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "book", NULL);
    const char *err = e2e_read_file (e2e_proc_err (proc));
    if (!strstr (err, "requester") && !strstr (err, "state.addresses.json"))
        fail_msg ("missing-address error names neither the socket 'requester' nor the "
                  "addresses file: %s", err);
}

/* ---- config.json and command-line pairs ---------------------------------- */

static void
test_config_syntax_error (void **state)
{
    const char *dir = *state;
    //  The '@' is on line 3, column 11.
    char *config = e2e_write_file (dir, "bad.config.json",
                                   "{\n  \"count\": 1,\n  \"note\": @\n}\n");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("requester_main"),
                                      "-a", s_requester_addresses (dir), "-c", config,
                                      "-m", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, e2e_fmt ("%s:3:11", config), NULL);
}

static void
test_config_file_missing (void **state)
{
    const char *dir = *state;
    char *config = e2e_fmt ("%s/none.config.json", dir);
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("requester_main"),
                                      "-a", s_requester_addresses (dir), "-c", config,
                                      "-m", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, config, NULL);
}

static void
test_config_missing_required_key (void **state)
{
    const char *dir = *state;
    char *config = e2e_write_file (dir, "c.json", "{\"note\": \"x\"}");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("requester_main"),
                                      "-a", s_requester_addresses (dir), "-c", config,
                                      "-m", NULL);
    //  The config file is named, not only the key.
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "count", config, NULL);
}

//  Without -c the missing key cannot be the file's fault: the line says so.
static void
test_config_missing_key_without_file (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("requester_main"),
                                      "-a", s_requester_addresses (dir), "-m", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "'count'", "no -c given", NULL);
}

//  A misspelled svcfw option (--cl, -cL) is not taken as a config key the
//  service does not declare: the error names the option meant.
static void
test_option_hint (void **state)
{
    const char *dir = *state;
    char *config = e2e_write_file (dir, "c.json", "{\"count\": 1}");
    const char *slips [] = { "--cl", "-cL" };
    for (size_t i = 0; i < sizeof slips / sizeof slips [0]; i++) {
        e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("requester_main"),
                                          "-a", s_requester_addresses (dir), "-c", config,
                                          "-m", slips [i], "DEBUG", NULL);
        e2e_assert_one_line (proc, 1, E2E_ERROR_RE, slips [i] + (slips [i][1] == '-'? 2: 1),
                             "did you mean the svcfw option -cl?", NULL);
    }
}

static void
test_config_wrong_type (void **state)
{
    const char *dir = *state;
    char *config = e2e_write_file (dir, "c.json", "{\"count\": \"three\"}");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("requester_main"),
                                      "-a", s_requester_addresses (dir), "-c", config,
                                      "-m", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "count", NULL);
}

static void
test_config_unknown_key (void **state)
{
    const char *dir = *state;
    char *config = e2e_write_file (dir, "c.json", "{\"count\": 1, \"colour\": \"red\"}");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("requester_main"),
                                      "-a", s_requester_addresses (dir), "-c", config,
                                      "-m", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "colour", NULL);
}

static void
test_cli_value_not_converting (void **state)
{
    const char *dir = *state;
    char *config = e2e_write_file (dir, "c.json", "{\"count\": 1}");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("requester_main"),
                                      "-a", s_requester_addresses (dir), "-c", config,
                                      "-m", "--count", "12x", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "count", "12x", NULL);
}

/* ---- Main mode and hooks ------------------------------------------------- */

static void
test_main_mode_refuses_inbound (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("main_inbound"),
                                      "-a", s_orders_addresses (dir), "-m", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "orders", NULL);
    assert_int_equal (e2e_file_count (e2e_proc_out (proc), "main ran"), 0);
}

static void
test_main_mode_refuses_inbound_state (void **state)
{
    const char *dir = *state;
    char *path = e2e_write_file (dir, "state.addresses.json", e2e_fmt (
        "{\"states\": {\"in\": {\"book\": {\"subscriber\": \"%s\", \"requester\": \"%s\"}}, "
        "\"out\": {}}}", e2e_addr (e2e_tcp_port ()), e2e_addr (e2e_tcp_port ())));
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("main_instate"),
                                      "-a", path, "-m", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "book", NULL);
    assert_int_equal (e2e_file_count (e2e_proc_out (proc), "main ran"), 0);
}

static void
test_main_mode_without_main (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("no_main"),
                                      "-a", s_ticks_addresses (dir), "-m", NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "svcfw_main", NULL);
}

static void
test_init_hook_fails (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("init_fails"),
                                      "-a", s_ticks_addresses (dir), NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, "svcfw_init", NULL);
}

//  A leading edge (it exports svcfw_main, nothing inbound) started without
//  -m says so at startup, naming -m, instead of sitting idle without a hint;
//  a plugin with an inbound connection does not get the warning.
static void
test_main_plugin_without_m_warns (void **state)
{
    const char *dir = *state;
    e2e_proc_t *proc = e2e_svcfw (dir, e2e_plugin ("producer"), e2e_fmt (
        "{\"connections\": {\"in\": {}, \"out\": {\"ticks\": {\"publisher\": \"%s\"}}}}",
        e2e_addr (e2e_tcp_port ())), NULL, NULL);
    assert_non_null (proc);
    assert_true (e2e_wait_ready (proc));
    char *line = e2e_grep (e2e_proc_out (proc), "WARNING");
    if (!line)
        e2e_dump (proc);
    assert_non_null (line);
    assert_non_null (strstr (line, "svcfw_main"));
    assert_non_null (strstr (line, "-m"));
    assert_true (e2e_stop (proc, SIGTERM, 5000, NULL));

    e2e_proc_t *replyer = e2e_svcfw (dir, e2e_plugin ("echo_replyer"), e2e_fmt (
        "{\"connections\": {\"in\": {\"orders\": {\"replyer\": \"%s\"}}, \"out\": {}}}",
        e2e_addr (e2e_tcp_port ())), NULL, NULL);
    assert_non_null (replyer);
    assert_true (e2e_wait_ready (replyer));
    assert_int_equal (e2e_file_count (e2e_proc_out (replyer), "WARNING"), 0);
}

/* ---- Usage, --help, --version -------------------------------------------- */

static void
test_usage_no_arguments (void **state)
{
    e2e_proc_t *proc = e2e_svcfw_run (*state, "run", NULL);
    e2e_assert_one_line (proc, 2, E2E_USAGE_RE, NULL);
}

static void
test_usage_option_without_value (void **state)
{
    e2e_proc_t *proc = e2e_svcfw_run (*state, "run", "-s", NULL);
    e2e_assert_one_line (proc, 2, E2E_USAGE_RE, "-s", NULL);
}

static void
test_usage_bad_log_level (void **state)
{
    e2e_proc_t *proc = e2e_svcfw_run (*state, "run", "-s", e2e_plugin ("echo_replyer"),
                                      "-cl", "LOUD", NULL);
    e2e_assert_one_line (proc, 2, E2E_USAGE_RE, "LOUD", NULL);
}

//  -f is the log file's level: without -l it would be silently ignored.
static void
test_usage_file_level_without_log (void **state)
{
    e2e_proc_t *proc = e2e_svcfw_run (*state, "run", "-s", e2e_plugin ("echo_replyer"),
                                      "-f", "DEBUG", NULL);
    e2e_assert_one_line (proc, 2, E2E_USAGE_RE, "-f", "-l", NULL);
}

//  A second -s would silently replace the first.
static void
test_usage_repeated_option (void **state)
{
    e2e_proc_t *proc = e2e_svcfw_run (*state, "run", "-s", e2e_plugin ("echo_replyer"),
                                      "-s", e2e_plugin ("requester_main"), NULL);
    e2e_assert_one_line (proc, 2, E2E_USAGE_RE, "-s", "twice", NULL);
}

//  svcfw --check-models FILE.json (what svcfw_add_plugin runs at build
//  time): 0 for good models, else one line naming FILE:LINE:COL or the entry.
static void
test_check_models (void **state)
{
    const char *dir = *state;
    char *good = e2e_write_file (dir, "good.json",
        "{\"connection_models\": {\"in\": {\"orders\": {\"connection_type\": \"replyer\",\n"
        "  \"required_creation_arguments\": {\"on_new_request\": \"on_order\"}}}}}\n");
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "--check-models", good, NULL);
    assert_int_equal (e2e_exit_code (proc), 0);
    //  The ":" after "out" is missing: the "{" at line 2, column 19 is unexpected.
    char *syntax = e2e_write_file (dir, "syntax.json",
        "{\"connection_models\": {\n  \"in\": {}, \"out\" {}}}\n");
    proc = e2e_svcfw_run (dir, "run", "--check-models", syntax, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, e2e_fmt ("%s:2:19:", syntax), NULL);
    char *unknown = e2e_write_file (dir, "unknown.json",
        "{\"connection_models\": {\"in\": {\"orders\": {\"connection_type\": \"replier\"}}}}");
    proc = e2e_svcfw_run (dir, "run", "--check-models", unknown, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, unknown, "connection_models.in.orders", "replier", NULL);
}

static void
s_assert_help (e2e_proc_t *proc)
{
    assert_non_null (proc);
    if (e2e_exit_code (proc) != 0) {
        e2e_dump (proc);
        fail_msg ("--help exited %d", e2e_exit_code (proc));
    }
    const char *out = e2e_read_file (e2e_proc_out (proc));
    assert_non_null (out);
    const char *options [] = { "-s", "-a", "-c", "-m", "-cl", "-l", "-f", "--help", "--version",
                               "--check-models" };
    for (size_t i = 0; i < sizeof options / sizeof options [0]; i++)
        //  The option as a word: not just a prefix of a longer one.
        if (!e2e_match (out, e2e_fmt ("(^|[^-a-z])%s([^-a-z_]|$)", options [i]))) {
            e2e_dump (proc);
            fail_msg ("help text does not mention %s", options [i]);
        }
}

static void
test_help (void **state)
{
    s_assert_help (e2e_svcfw_run (*state, "run", "--help", NULL));
    s_assert_help (e2e_svcfw_run (*state, "run", "-h", NULL));
}

static void
test_version (void **state)
{
    e2e_proc_t *proc = e2e_svcfw_run (*state, "run", "--version", NULL);
    assert_non_null (proc);
    assert_int_equal (e2e_exit_code (proc), 0);
    const char *out = e2e_read_file (e2e_proc_out (proc));
    assert_non_null (out);
    if (!strstr (out, SVCFW_VERSION)) {
        e2e_dump (proc);
        fail_msg ("--version does not print %s", SVCFW_VERSION);
    }
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_missing_plugin),
        T (test_not_a_shared_object),
        T (test_abi_mismatch),
        T (test_missing_models_symbol),
        T (test_models_syntax_error),
        T (test_unknown_type),
        T (test_unknown_connection_type),
        T (test_unknown_handler),
        T (test_missing_creation_argument),
        T (test_unknown_state_type),
        T (test_addresses_file_missing),
        T (test_addresses_syntax_error),
        T (test_addresses_missing_address),
        T (test_addresses_missing_state_address),
        T (test_config_syntax_error),
        T (test_config_file_missing),
        T (test_config_missing_required_key),
        T (test_config_missing_key_without_file),
        T (test_option_hint),
        T (test_config_wrong_type),
        T (test_config_unknown_key),
        T (test_cli_value_not_converting),
        T (test_main_mode_refuses_inbound),
        T (test_main_mode_refuses_inbound_state),
        T (test_main_mode_without_main),
        T (test_init_hook_fails),
        T (test_main_plugin_without_m_warns),
        T (test_usage_no_arguments),
        T (test_usage_option_without_value),
        T (test_usage_bad_log_level),
        T (test_usage_file_level_without_log),
        T (test_usage_repeated_option),
        T (test_check_models),
        T (test_help),
        T (test_version),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
