/*  e2e_config - command-line pairs override the config file, converted to the declared types (SPEC §2).

    config_echo (main mode) logs its validated config as "config=JSON".
*/
#include "e2e.h"

#include <string.h>

//  Runs config_echo with the config file text and the extra arguments
//  (NULL-terminated), and returns the config it logged (harness-owned).
static cJSON *
s_config_of (const char *dir, const char *config_json, const char *const extra[])
{
    const char *argv [32] = { "-m" };
    int argc = 1;
    for (int i = 0; extra [i] && argc < 31; i++)
        argv [argc++] = extra [i];
    argv [argc] = NULL;
    e2e_proc_t *proc = e2e_svcfw_argv (dir, e2e_plugin ("config_echo"), NULL, config_json, argv);
    assert_non_null (proc);
    int status;
    if (!e2e_wait_exit (proc, E2E_EXIT_MS, &status) || !WIFEXITED (status)
        || WEXITSTATUS (status) != 0) {
        e2e_dump (proc);
        fail_msg ("config_echo: expected exit 0");
    }
    char *line = e2e_grep (e2e_proc_out (proc), " config=");
    assert_non_null (line);
    cJSON *config = e2e_keep_json (cJSON_Parse (strstr (line, " config=") + 8));
    assert_non_null (config);
    return config;
}

static void
s_assert_config (const cJSON *got, const char *expected_json)
{
    cJSON *expected = e2e_keep_json (cJSON_Parse (expected_json));
    assert_non_null (expected);
    if (!cJSON_Compare (got, expected, true))
        fail_msg ("expected config %s, got %s", expected_json, e2e_json (got));
}

static void
test_cli_converts_declared_types (void **state)
{
    const char *extra [] = {
        "--count", "12", "--ratio", "1.5", "--verbose", "true", "--name", "12",
        "--ids", "[1, 2]", "--extra", "{\"k\": \"v\"}", "--weights", "{\"x\": 1}",
        "--anything", "7", NULL
    };
    cJSON *config = s_config_of (*state, "{\"count\": 1, \"name\": \"from file\"}", extra);
    s_assert_config (config, "{\"count\": 12, \"ratio\": 1.5, \"verbose\": true, \"name\": \"12\", "
                             "\"ids\": [1, 2], \"extra\": {\"k\": \"v\"}, \"weights\": {\"x\": 1}, "
                             "\"anything\": 7}");
}

static void
test_cli_overrides_file_keeps_the_rest (void **state)
{
    const char *extra [] = { "--verbose", "no", "--ratio", "2", NULL };
    cJSON *config = s_config_of (*state, "{\"verbose\": true, \"name\": \"kept\"}", extra);
    s_assert_config (config, "{\"verbose\": false, \"name\": \"kept\", \"ratio\": 2}");
}

static void
test_single_dash_pair (void **state)
{
    const char *extra [] = { "-count", "3", "-name", "x", NULL };
    cJSON *config = s_config_of (*state, "{}", extra);
    s_assert_config (config, "{\"count\": 3, \"name\": \"x\"}");
}

static void
s_assert_refused (const char *dir, const char *key, const char *value)
{
    e2e_proc_t *proc = e2e_svcfw_run (dir, "run", "-s", e2e_plugin ("config_echo"), "-m",
                                      e2e_fmt ("--%s", key), value, NULL);
    e2e_assert_one_line (proc, 1, E2E_ERROR_RE, key, NULL);
}

static void
test_cli_values_that_do_not_convert (void **state)
{
    s_assert_refused (*state, "count", "1.5");
    s_assert_refused (*state, "ratio", "abc");
    s_assert_refused (*state, "verbose", "maybe");
    s_assert_refused (*state, "ids", "[1, \"x\"]");
    s_assert_refused (*state, "extra", "[1]");
    s_assert_refused (*state, "weights", "{\"x\": \"y\"}");
}

static void
test_cli_undeclared_key (void **state)
{
    s_assert_refused (*state, "colour", "red");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
#define T(name) cmocka_unit_test_setup_teardown (name, e2e_setup, e2e_teardown)
        T (test_cli_converts_declared_types),
        T (test_cli_overrides_file_keeps_the_rest),
        T (test_single_dash_pair),
        T (test_cli_values_that_do_not_convert),
        T (test_cli_undeclared_key),
#undef T
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
