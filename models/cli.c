/*  cli.c - the svcfw command line (SPEC §2), parsed into options.

    The known options are matched exactly as SPEC §2 spells them; every other
    dashed word is a config override, so a service can take any key without
    svcfw knowing it. An option's value is always the next word, even when it
    starts with a dash, so `--offset -3` works.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "svcfw.h"
#include "cli.h"

//  Where the value of a path option goes, or NULL if name is not one.
static const char **
s_path_slot (cli_opts_t *opts, const char *name)
{
    if (strcmp (name, "-s") == 0) return &opts->service_path;
    if (strcmp (name, "-a") == 0) return &opts->addresses_path;
    if (strcmp (name, "-c") == 0) return &opts->config_path;
    if (strcmp (name, "-l") == 0) return &opts->log_path;
    if (strcmp (name, "--check-models") == 0) return &opts->check_models_path;
    if (strcmp (name, "--admin") == 0) return &opts->admin_address;
    if (strcmp (name, "--store") == 0) return &opts->store_path;
    if (strcmp (name, "--otlp") == 0) return &opts->otlp_endpoint;
    if (strcmp (name, "--curve-cert") == 0) return &opts->curve_cert_path;
    if (strcmp (name, "--curve-allow") == 0) return &opts->curve_allow_path;
    return NULL;
}

//  Where the value of a log level option goes, or NULL if name is not one.
static int *
s_level_slot (cli_opts_t *opts, const char *name)
{
    if (strcmp (name, "-cl") == 0) return &opts->console_level;
    if (strcmp (name, "-f") == 0)  return &opts->file_level;
    return NULL;
}

int
cli_level_parse (const char *name)
{
    if (!name)
        return -1;
    if (strcasecmp (name, "DEBUG") == 0)
        return SVCFW_LOG_DEBUG;
    if (strcasecmp (name, "INFO") == 0)
        return SVCFW_LOG_INFO;
    if (strcasecmp (name, "WARNING") == 0 || strcasecmp (name, "WARN") == 0)
        return SVCFW_LOG_WARNING;
    if (strcasecmp (name, "ERROR") == 0)
        return SVCFW_LOG_ERROR;
    return -1;
}

//  Adds KEY: TEXT to the overrides; a later duplicate replaces the earlier.
static int
s_add_override (cli_opts_t *opts, const char *key, const char *text, char *err)
{
    cJSON *value = cJSON_CreateString (text);
    if (!value)
        return err_set (err, "out of memory");
    bool added = cJSON_GetObjectItemCaseSensitive (opts->overrides, key)
               ? cJSON_ReplaceItemInObjectCaseSensitive (opts->overrides, key, value)
               : cJSON_AddItemToObject (opts->overrides, key, value);
    if (!added) {
        cJSON_Delete (value);
        return err_set (err, "out of memory");
    }
    return 0;
}

//  Handles option `name` with its `value` (the word after it, or what
//  followed '=' in `arg`). Returns 0 or -1 with err.
static int
s_set_option (cli_opts_t *opts, const char *name, const char *value, const char *arg, char *err)
{
    const char **path = s_path_slot (opts, name);
    if (path) {
        //  A second value would silently win over the first: say so instead.
        if (*path)
            return err_set (err, "option %s given twice (\"%s\", then \"%s\")", name, *path, value);
        *path = value;
        return 0;
    }
    int *level = s_level_slot (opts, name);
    if (level) {
        bool *seen = level == &opts->console_level? &opts->console_level_set: &opts->file_level_set;
        if (*seen)
            return err_set (err, "option %s given twice", name);
        *seen = true;
        //  Keep the default on error: with -h the parse still succeeds.
        int parsed = cli_level_parse (value);
        if (parsed < 0)
            return err_set (err, "unknown log level \"%s\" for %s "
                            "(use DEBUG, INFO, WARNING or ERROR)", value, name);
        *level = parsed;
        return 0;
    }
    if (strcmp (name, "--log-format") == 0) {
        if (strcmp (value, "json") && strcmp (value, "text"))
            return err_set (err, "unknown log format \"%s\" for --log-format (use text or json)", value);
        opts->log_json = strcmp (value, "json") == 0;
        return 0;
    }
    if (strcmp (name, "--color") == 0) {
        if (strcmp (value, "auto") == 0)        opts->color = CLI_COLOR_AUTO;
        else if (strcmp (value, "always") == 0) opts->color = CLI_COLOR_ALWAYS;
        else if (strcmp (value, "never") == 0)  opts->color = CLI_COLOR_NEVER;
        else
            return err_set (err, "unknown value \"%s\" for --color (use auto, always or never)", value);
        return 0;
    }
    if (strcmp (name, "-m") == 0 || strcmp (name, "-h") == 0
    ||  strcmp (name, "--help") == 0 || strcmp (name, "--version") == 0)
        return err_set (err, "option %s takes no value", name);
    if (strcmp (name, "--stop-timeout") == 0) {
        if (opts->stop_timeout_set)
            return err_set (err, "option %s given twice", name);
        opts->stop_timeout_set = true;
        char *end = NULL;
        errno = 0;
        long ms = strtol (value, &end, 10);
        if (!*value || *end || errno || ms < 0 || ms > 86400000)
            return err_set (err, "--stop-timeout takes a whole number of milliseconds (0 to 86400000), got \"%s\"",
                            value);
        opts->stop_timeout_ms = (int) ms;
        return 0;
    }

    const char *key = name + (name [1] == '-' ? 2 : 1);
    if (!*key)
        return err_set (err, "option \"%s\" has no name", arg);
    return s_add_override (opts, key, value, err);
}

//  Parses one argument (and its value, advancing *index past it).
//  Returns 0 or -1 with err.
static int
s_parse_one (int argc, char **argv, int *index, cli_opts_t *opts, char *err)
{
    const char *arg = argv [*index];
    if (strcmp (arg, "-h") == 0 || strcmp (arg, "--help") == 0) {
        opts->help = true;
        return 0;
    }
    if (strcmp (arg, "--version") == 0) {
        opts->version = true;
        return 0;
    }
    if (strcmp (arg, "-m") == 0) {
        opts->main_mode = true;
        return 0;
    }
    if (arg [0] != '-' || strcmp (arg, "-") == 0 || strcmp (arg, "--") == 0)
        return err_set (err, "unexpected argument \"%s\"", arg);

    //  NAME=VALUE in one word; otherwise the value is the next word.
    const char *equals = strchr (arg, '=');
    char *name = equals ? strndup (arg, (size_t) (equals - arg)) : strdup (arg);
    if (!name)
        return err_set (err, "out of memory");
    int rc;
    if (equals)
        rc = s_set_option (opts, name, equals + 1, arg, err);
    else
    if (*index + 1 >= argc)
        rc = err_set (err, "option %s needs a value", name);
    else
        rc = s_set_option (opts, name, argv [++*index], arg, err);
    free (name);
    return rc;
}

int
cli_parse (int argc, char **argv, cli_opts_t *opts, char *err)
{
    memset (opts, 0, sizeof *opts);
    opts->console_level = SVCFW_LOG_INFO;
    opts->file_level = 0;                   //  unset: the console's level, below
    opts->stop_timeout_ms = CLI_STOP_TIMEOUT_MS;
    opts->overrides = cJSON_CreateObject ();
    if (!opts->overrides)
        return err_set (err, "out of memory");

    //  Keep going after an error: -h or --version anywhere still wins, so
    //  `svcfw --bad -h` shows help. Only the first error is reported.
    char first [ERR_LEN] = "";
    for (int index = 1; index < argc; index++) {
        char here [ERR_LEN];
        if (s_parse_one (argc, argv, &index, opts, here) && !first [0])
            snprintf (first, sizeof first, "%s", here);
    }
    if (!opts->file_level)
        opts->file_level = opts->console_level;
    if (opts->help || opts->version)
        return 0;
    if (!first [0] && opts->check_models_path && (opts->service_path || opts->overrides->child))
        snprintf (first, sizeof first, "--check-models takes no other option");
    if (!first [0] && opts->check_models_path)
        return 0;
    if (!first [0] && !opts->service_path)
        snprintf (first, sizeof first, "missing -s SERVICE.so");
    if (!first [0] && opts->file_level_set && !opts->log_path)
        snprintf (first, sizeof first, "-f sets the log file's level: give -l LOGFILE too");
    if (first [0]) {
        cli_opts_reset (opts);
        return err_set (err, "%s", first);
    }
    return 0;
}

//  What a config key probably meant when it is spelled like an svcfw option:
//  the option's exact name, a case slip (cL, S) or a long name.
static const struct {
    const char *key;            //  compared case-insensitively
    const char *option;
} s_option_names [] = {
    { "s", "-s" }, { "a", "-a" }, { "c", "-c" }, { "m", "-m" }, { "cl", "-cl" },
    { "l", "-l" }, { "f", "-f" }, { "h", "--help" }, { "help", "--help" },
    { "version", "--version" }, { "v", "--version" },
    { "service", "-s" }, { "plugin", "-s" }, { "addresses", "-a" }, { "config", "-c" },
    { "main", "-m" }, { "log", "-l" }, { "logfile", "-l" }, { "log_file", "-l" },
    { "log-file", "-l" }, { "console_level", "-cl" }, { "console-level", "-cl" },
    { "log_level", "-cl" }, { "log-level", "-cl" }, { "loglevel", "-cl" }, { "level", "-cl" },
    { "file_level", "-f" }, { "file-level", "-f" }, { "fl", "-f" },
    { "admin", "--admin" }, { "log-format", "--log-format" }, { "log_format", "--log-format" },
    { "otlp", "--otlp" },
};

const char *
cli_option_hint (const char *key)
{
    for (size_t i = 0; i < sizeof s_option_names / sizeof s_option_names [0]; i++)
        if (strcasecmp (key, s_option_names [i].key) == 0)
            return s_option_names [i].option;
    return NULL;
}

void
cli_opts_reset (cli_opts_t *opts)
{
    if (!opts)
        return;
    cJSON_Delete (opts->overrides);
    memset (opts, 0, sizeof *opts);
}

const char *
cli_usage (void)
{
    return
"Usage: svcfw -s SERVICE.so [-a ADDRESSES.json] [-c CONFIG.json] [OPTION]...\n"
"  or:  svcfw --check-models MODELS.json\n"
"  or:  svcfw keygen NAME [-d DIR] [--force]  (zcert pair DIR/NAME, NAME_secret 0600)\n"
"  or:  svcfw check GRAPH.json  (do a graph file's services fit? exit 1 naming each misfit)\n"
"  or:  svcfw graph GRAPH.json [-o FILE.svg|FILE.dot]  (Graphviz DOT; SVG through dot)\n"
"  or:  svcfw describe PLUGIN.so  (the plugin's models as Markdown)\n"
"  or:  svcfw up GRAPH.json [--exit-with NAME] [--color WHEN]  (run the whole graph)\n"
"  or:  svcfw request ENDPOINT JSON_ARGS [--timeout MS]  (one request, the reply)\n"
"  or:  svcfw gen systemd|compose|k8s GRAPH.json [-o DIR]  (deployment files)\n"
"  or:  svcfw -h | --help | --version\n"
"\n"
"Runs one service: loads the plugin, validates its models and config, wires\n"
"its ZeroMQ sockets from the addresses file and dispatches inbound messages.\n"
"\n"
"Options:\n"
"  -s SERVICE.so      the service plugin to run (required)\n"
"  -a ADDRESSES.json  where each connection and state binds or connects\n"
"  -c CONFIG.json     the config (a JSON object; default {}), reloaded on change or SIGHUP\n"
"  -m                 main mode: run the plugin's svcfw_main as a leading-edge\n"
"                     producer (no inbound connections or states allowed)\n"
"  -cl LEVEL          console log level (default INFO; or config svcfw_log_level)\n"
"  -l LOGFILE         also log to this file\n"
"  -f LEVEL           the file's level (default -cl's; or config svcfw_log_file_level)\n"
"  --log-format text|json    log lines as text (default) or JSON objects\n"
"  --color auto|always|never colour text lines by level (auto: on a terminal)\n"
"  --admin HOST:PORT  HTTP /metrics, /livez, /readyz (or config svcfw_admin)\n"
"  --otlp URL         export spans to URL/v1/traces (or OTEL_EXPORTER_OTLP_ENDPOINT)\n"
"  --stop-timeout MS  how long a stop waits for running handlers (default 5000)\n"
"  --store PATH       one SQLite file for all inboxes and outboxes: exactly-once\n"
"  -h, --help | --version    show this help, or the version, and exit\n"
"  --check-models MODELS.json  check a models file and exit: 0, or 1 naming\n"
"                     FILE:LINE:COL or the entry at fault (svcfw_add_plugin runs it)\n"
"  --curve-cert FILE  CurveZMQ on every socket, this key pair (NAME_secret of keygen)\n"
"  --curve-allow DIR  only clients whose public certs are in DIR may connect\n"
"  --KEY VALUE        set config key KEY, overriding the config file; also\n"
"                     written --KEY=VALUE or -KEY VALUE. VALUE is converted to\n"
"                     the type config_model declares for KEY (int, int64, float,\n"
"                     bool: true/false/yes/no/1/0, lists and objects as JSON);\n"
"                     a value that does not convert is a startup error.\n"
"Log levels: DEBUG, INFO, WARNING (or WARN), ERROR, in any case.\n"
"\n"
"up: binding services first, lines prefixed \"NAME | \", restarts per \"restart\";\n"
"SIGINT/SIGTERM stop all, last started first; --exit-with NAME: its status.\n"
"request: also --workflow-id ID, --curve-cert FILE_secret --server-key CERT.\n"
"gen: -o DIR (default .), --image IMG, --plugin-dir DIR, --svcfw PATH.\n"
"\n"
"Exit status:\n"
"  0  clean stop (SIGINT/SIGTERM); in main mode (-m), svcfw_main's return value\n"
"  1  startup error (one line on stderr naming the file, entry or key), a stop\n"
"     that handlers outlasted (--stop-timeout), or a second signal\n"
"  2  usage error\n"
"\n"
"Examples:\n"
"  svcfw -s ./cancel_order.so -a addresses.json -c config.json\n"
"      (a replyer; its addresses and config files in the current directory)\n"
"  svcfw -s ./cancel_order.so -a addresses.json -cl WARNING -l svc.log -f DEBUG\n"
"      (console shows warnings and errors; svc.log gets every line)\n"
"  svcfw -s ./order_sender.so -a addresses.json -m --count 12\n"
"      (main mode; config key count becomes the int 12, as config_model says)\n"
"\n"
"A --KEY spelled like an option (--cl, -cL, --log) is refused with a hint,\n"
"unless config_model declares KEY.\n";
}
