/*  test_cli.c - cli: every option, overrides, usage errors, the help text. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include "svcfw.h"
#include "cli.h"

#define S_MAX_ARGS 32

//  Parses "svcfw" followed by the NULL-terminated words given.
static int
s_parse (cli_opts_t *opts, char *err, ...)
{
    static char *argv [S_MAX_ARGS];
    int argc = 0;
    argv [argc++] = "svcfw";
    va_list ap;
    va_start (ap, err);
    char *word;
    while ((word = va_arg (ap, char *)) != NULL) {
        assert_true (argc < S_MAX_ARGS - 1);
        argv [argc++] = word;
    }
    va_end (ap);
    argv [argc] = NULL;
    return cli_parse (argc, argv, opts, err);
}

//  Expects the words to fail with exactly `expected`.
#define S_FAILS(expected, ...) do {                                         \
    cli_opts_t opts_;                                                       \
    char err_ [ERR_LEN] = "";                                               \
    assert_int_equal (s_parse (&opts_, err_, __VA_ARGS__, NULL), -1);       \
    assert_string_equal (err_, expected);                                   \
    assert_null (opts_.overrides);                                          \
    cli_opts_reset (&opts_);                                                \
} while (0)

static const char *
s_override (const cli_opts_t *opts, const char *key)
{
    const cJSON *value = cJSON_GetObjectItemCaseSensitive (opts->overrides, key);
    return cJSON_IsString (value) ? value->valuestring : NULL;
}

static void
test_minimal (void **state)
{
    (void) state;
    cli_opts_t opts;
    char err [ERR_LEN] = "(untouched)";
    assert_int_equal (s_parse (&opts, err, "-s", "svc.so", NULL), 0);
    assert_string_equal (err, "(untouched)");
    assert_string_equal (opts.service_path, "svc.so");
    assert_null (opts.addresses_path);
    assert_null (opts.config_path);
    assert_null (opts.log_path);
    assert_false (opts.main_mode);
    assert_false (opts.help);
    assert_false (opts.version);
    assert_int_equal (opts.console_level, SVCFW_LOG_INFO);
    assert_int_equal (opts.file_level, SVCFW_LOG_INFO);       //  the console's level
    assert_true (cJSON_IsObject (opts.overrides));
    assert_null (opts.overrides->child);
    cli_opts_reset (&opts);
    assert_null (opts.overrides);
    assert_null (opts.service_path);
}

static void
test_every_option (void **state)
{
    (void) state;
    cli_opts_t opts;
    char err [ERR_LEN];
    assert_int_equal (s_parse (&opts, err, "-s", "svc.so", "-a", "addr.json", "-c", "cfg.json",
                               "-m", "-cl", "WARNING", "-l", "svc.log", "-f", "ERROR", NULL), 0);
    assert_string_equal (opts.service_path, "svc.so");
    assert_string_equal (opts.addresses_path, "addr.json");
    assert_string_equal (opts.config_path, "cfg.json");
    assert_true (opts.main_mode);
    assert_int_equal (opts.console_level, SVCFW_LOG_WARNING);
    assert_string_equal (opts.log_path, "svc.log");
    assert_int_equal (opts.file_level, SVCFW_LOG_ERROR);
    assert_null (opts.overrides->child);
    cli_opts_reset (&opts);

    //  Any order; a known option also takes -OPT=VALUE.
    assert_int_equal (s_parse (&opts, err, "-cl=debug", "-m", "-c=cfg.json", "-s=svc.so", NULL), 0);
    assert_string_equal (opts.service_path, "svc.so");
    assert_string_equal (opts.config_path, "cfg.json");
    assert_int_equal (opts.console_level, SVCFW_LOG_DEBUG);
    assert_true (opts.main_mode);
    cli_opts_reset (&opts);

    //  --store: the service's store file (not a config key).
    assert_int_equal (s_parse (&opts, err, "-s", "svc.so", "--store", "svc.db", NULL), 0);
    assert_string_equal (opts.store_path, "svc.db");
    assert_null (opts.overrides->child);
    cli_opts_reset (&opts);
    S_FAILS ("option --store needs a value", "-s", "x.so", "--store");
    S_FAILS ("option --store given twice (\"a.db\", then \"b.db\")", "-s", "x.so", "--store", "a.db",
             "--store=b.db");

    //  A repeated option is a usage error, not a silent choice of one.
    S_FAILS ("option -s given twice (\"a.so\", then \"b.so\")", "-s", "a.so", "-s", "b.so");
    S_FAILS ("option -c given twice (\"x.json\", then \"y.json\")",
             "-s", "a.so", "-c", "x.json", "-c=y.json");
    S_FAILS ("option -cl given twice", "-s", "a.so", "-cl", "INFO", "-cl", "DEBUG");
    //  -f is the log file's level: without -l there is no file.
    S_FAILS ("-f sets the log file's level: give -l LOGFILE too", "-s", "a.so", "-f", "DEBUG");

    //  Without -f the file takes the console's level, not DEBUG: a file
    //  must not log every dropped message unless asked to.
    assert_int_equal (s_parse (&opts, err, "-s", "svc.so", "-cl", "WARNING", "-l", "x.log", NULL), 0);
    assert_int_equal (opts.file_level, SVCFW_LOG_WARNING);
    cli_opts_reset (&opts);
}

static void
test_levels (void **state)
{
    (void) state;
    assert_int_equal (cli_level_parse ("DEBUG"), SVCFW_LOG_DEBUG);
    assert_int_equal (cli_level_parse ("info"), SVCFW_LOG_INFO);
    assert_int_equal (cli_level_parse ("Warning"), SVCFW_LOG_WARNING);
    assert_int_equal (cli_level_parse ("WARN"), SVCFW_LOG_WARNING);
    assert_int_equal (cli_level_parse ("error"), SVCFW_LOG_ERROR);
    assert_int_equal (cli_level_parse ("LOUD"), -1);
    assert_int_equal (cli_level_parse (""), -1);
    assert_int_equal (cli_level_parse ("INFOX"), -1);
    assert_int_equal (cli_level_parse (NULL), -1);

    cli_opts_t opts;
    char err [ERR_LEN];
    assert_int_equal (s_parse (&opts, err, "-s", "x.so", "-cl", "warn", "-f", "info", "-l", "x.log", NULL), 0);
    assert_int_equal (opts.console_level, SVCFW_LOG_WARNING);
    assert_int_equal (opts.file_level, SVCFW_LOG_INFO);
    cli_opts_reset (&opts);

    S_FAILS ("unknown log level \"LOUD\" for -cl (use DEBUG, INFO, WARNING or ERROR)",
             "-s", "x.so", "-cl", "LOUD");
    S_FAILS ("unknown log level \"5\" for -f (use DEBUG, INFO, WARNING or ERROR)",
             "-s", "x.so", "-f", "5", "-l", "x.log");
}

static void
test_help_and_version (void **state)
{
    (void) state;
    cli_opts_t opts;
    char err [ERR_LEN] = "(untouched)";
    //  No -s needed, and other errors do not count.
    assert_int_equal (s_parse (&opts, err, "-h", NULL), 0);
    assert_true (opts.help);
    cli_opts_reset (&opts);
    assert_int_equal (s_parse (&opts, err, "--help", NULL), 0);
    assert_true (opts.help);
    assert_false (opts.version);
    cli_opts_reset (&opts);
    assert_int_equal (s_parse (&opts, err, "--version", NULL), 0);
    assert_true (opts.version);
    assert_false (opts.help);
    cli_opts_reset (&opts);
    assert_int_equal (s_parse (&opts, err, "stray", "-cl", "LOUD", "--help", NULL), 0);
    assert_true (opts.help);
    assert_int_equal (opts.console_level, SVCFW_LOG_INFO);     //  still a valid level
    cli_opts_reset (&opts);
    assert_int_equal (s_parse (&opts, err, "-s", "x.so", "--version", "--n", NULL), 0);
    assert_true (opts.version);
    cli_opts_reset (&opts);
    assert_string_equal (err, "(untouched)");
}

static void
test_usage_errors (void **state)
{
    (void) state;
    cli_opts_t opts;
    char err [ERR_LEN];
    assert_int_equal (s_parse (&opts, err, NULL), -1);
    assert_string_equal (err, "missing -s SERVICE.so");
    cli_opts_reset (&opts);
    S_FAILS ("missing -s SERVICE.so", "-a", "addr.json", "-m");

    S_FAILS ("option -s needs a value", "-s");
    S_FAILS ("option -a needs a value", "-s", "x.so", "-a");
    S_FAILS ("option -c needs a value", "-s", "x.so", "-c");
    S_FAILS ("option -cl needs a value", "-s", "x.so", "-cl");
    S_FAILS ("option -l needs a value", "-s", "x.so", "-l");
    S_FAILS ("option -f needs a value", "-s", "x.so", "-f");
    S_FAILS ("option --n needs a value", "-s", "x.so", "--n");
    S_FAILS ("option -k needs a value", "-s", "x.so", "-k");

    S_FAILS ("unexpected argument \"foo\"", "-s", "x.so", "foo");
    S_FAILS ("unexpected argument \"foo\"", "foo", "-s", "x.so");
    S_FAILS ("unexpected argument \"-\"", "-s", "x.so", "-");
    S_FAILS ("unexpected argument \"--\"", "-s", "x.so", "--");
    S_FAILS ("option -m takes no value", "-s", "x.so", "-m=yes");
    S_FAILS ("option \"--=5\" has no name", "-s", "x.so", "--=5");

    //  Several faults: the first one is reported.
    S_FAILS ("unexpected argument \"one\"", "one", "two", "-cl", "LOUD");
}

static void
test_overrides (void **state)
{
    (void) state;
    cli_opts_t opts;
    char err [ERR_LEN];
    assert_int_equal (s_parse (&opts, err, "--n", "12", "-s", "x.so", "--name=alpha",
                               "-rate", "0.5", "--offset", "-3", "--empty=", "--eq=a=b", NULL), 0);
    assert_string_equal (opts.service_path, "x.so");
    assert_string_equal (s_override (&opts, "n"), "12");
    assert_string_equal (s_override (&opts, "name"), "alpha");
    assert_string_equal (s_override (&opts, "rate"), "0.5");
    assert_string_equal (s_override (&opts, "offset"), "-3");   //  a value may start with '-'
    assert_string_equal (s_override (&opts, "empty"), "");
    assert_string_equal (s_override (&opts, "eq"), "a=b");
    //  In the order given.
    const char *order [] = { "n", "name", "rate", "offset", "empty", "eq" };
    const cJSON *item = opts.overrides->child;
    for (size_t index = 0; index < 6; index++, item = item->next) {
        assert_non_null (item);
        assert_string_equal (item->string, order [index]);
    }
    assert_null (item);
    cli_opts_reset (&opts);

    //  A later duplicate replaces the earlier one, whatever its spelling.
    assert_int_equal (s_parse (&opts, err, "-s", "x.so", "--n", "1", "-n", "2", "--n=3", NULL), 0);
    assert_string_equal (s_override (&opts, "n"), "3");
    assert_int_equal (cJSON_GetArraySize (opts.overrides), 1);
    cli_opts_reset (&opts);

    //  Only the spellings SPEC §2 gives are options: --s and -cl2 are keys.
    assert_int_equal (s_parse (&opts, err, "-s", "x.so", "--s", "v", "-cl2", "w", NULL), 0);
    assert_string_equal (opts.service_path, "x.so");
    assert_string_equal (s_override (&opts, "s"), "v");
    assert_string_equal (s_override (&opts, "cl2"), "w");
    cli_opts_reset (&opts);
}

static void
test_reset_accepts_null (void **state)
{
    (void) state;
    cli_opts_reset (NULL);
    cli_opts_t opts;
    memset (&opts, 0, sizeof opts);
    cli_opts_reset (&opts);
    assert_null (opts.overrides);
}

static void
test_usage_text (void **state)
{
    (void) state;
    const char *usage = cli_usage ();
    assert_non_null (usage);
    const char *needed [] = {
        "-s SERVICE.so", "-a ADDRESSES.json", "-c CONFIG.json", "  -m ", "-cl LEVEL",
        "-l LOGFILE", "-f LEVEL", "-h, --help", "--version", "--check-models MODELS.json",
        "--KEY VALUE", "--KEY=VALUE",
        "DEBUG", "INFO", "WARNING", "ERROR", "config_model", "Exit status", "  0 ", "  1 ", "  2 ",
        "Examples:", "svcfw -s ./cancel_order.so -a addresses.json -c config.json",
        "-a addresses.json -m", "--count 12"
    };
    for (size_t index = 0; index < sizeof needed / sizeof needed [0]; index++)
        if (!strstr (usage, needed [index]))
            fail_msg ("usage lacks \"%s\"", needed [index]);
    //  The examples work for an installed svcfw: no source-tree paths.
    if (strstr (usage, "build/") || strstr (usage, "../"))
        fail_msg ("usage names a source-tree path:\n%s", usage);

    //  Short enough for one screen (a tall one: each subcommand takes a
    //  line of the usage), and no line much wider than a terminal (the
    //  first example, a real command line, is 82 columns).
    int lines = 0;
    for (const char *line = usage; *line; lines++) {
        const char *end = strchr (line, '\n');
        assert_non_null (end);                                  //  ends with a newline
        if (end - line > 90)
            fail_msg ("usage line too long: %.*s", (int) (end - line), line);
        line = end + 1;
    }
    assert_true (lines <= 62);
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_minimal),
        cmocka_unit_test (test_every_option),
        cmocka_unit_test (test_levels),
        cmocka_unit_test (test_help_and_version),
        cmocka_unit_test (test_usage_errors),
        cmocka_unit_test (test_overrides),
        cmocka_unit_test (test_reset_accepts_null),
        cmocka_unit_test (test_usage_text),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
