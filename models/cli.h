/*  cli.h - the svcfw command line (SPEC §2), parsed into options.

      svcfw -s SERVICE.so [-a ADDRESSES.json] [-c CONFIG.json] [-m] [-cl LEVEL]
            [-l LOGFILE] [-f FILE_LEVEL] [--stop-timeout MS] [--admin HOST:PORT]
            [--log-format text|json] [--color auto|always|never] [--any_key VALUE ...]
            [--curve-cert SECRET_CERT] [--curve-allow DIR] [--otlp URL]
      svcfw --check-models MODELS.json
      svcfw keygen|check|graph|describe ... (subcommands, dispatched by cmd/main.c)
      svcfw -h | --help        svcfw --version

    Any other `--key value`, `--key=value` or `-key value` pair is a config
    override, kept as text here; config.c converts it to the declared type.
*/
#ifndef CLI_H_INCLUDED
#define CLI_H_INCLUDED

#include <stdbool.h>
#include <cjson/cJSON.h>
#include "err.h"

typedef struct {
    const char *service_path;      //  -s (borrowed from argv)
    const char *addresses_path;    //  -a, or NULL
    const char *config_path;       //  -c, or NULL
    bool main_mode;                //  -m
    int console_level;             //  -cl, a SVCFW_LOG_* level; default INFO
    bool console_level_set;        //  -cl was given
    const char *log_path;          //  -l, or NULL
    int file_level;                //  -f, a SVCFW_LOG_* level; default the -cl level
    bool file_level_set;           //  -f was given (a usage error without -l)
    bool help;                     //  -h / --help
    bool version;                  //  --version
    const char *check_models_path; //  --check-models MODELS.json (no -s then), or NULL
    const char *admin_address;     //  --admin HOST:PORT, or NULL (borrowed from argv)
    const char *store_path;        //  --store PATH: the service's store file, or NULL (borrowed from argv)
    const char *otlp_endpoint;     //  --otlp URL (spans go to URL/v1/traces), or NULL (borrowed from argv)
    bool log_json;                 //  --log-format json (default text)
    int color;                     //  --color: CLI_COLOR_AUTO (default), _ALWAYS or _NEVER
    const char *curve_cert_path;   //  --curve-cert FILE (a _secret cert), or NULL
    const char *curve_allow_path;  //  --curve-allow DIR of public certs, or NULL
    int stop_timeout_ms;           //  --stop-timeout MS: how long a stop waits for running handlers
    bool stop_timeout_set;         //  --stop-timeout was given
    cJSON *overrides;              //  {KEY: "TEXT", ...} in order given; owned, freed by cli_opts_reset
} cli_opts_t;

#define CLI_COLOR_AUTO   0
#define CLI_COLOR_ALWAYS 1
#define CLI_COLOR_NEVER  2

/* Parses argv[1..argc-1] into opts (which it first resets to defaults, so it
   need not be initialised, but must not hold overrides from an earlier parse).
   A known option also takes its value as -OPT=VALUE. On failure opts holds
   nothing to free. Returns 0, or -1 with a one-line usage error in err, e.g.
   "option -s needs a value", "missing -s SERVICE.so",
   "unknown log level \"LOUD\" for -cl (use DEBUG, INFO, WARNING or ERROR)",
   "option -s given twice (\"a.so\", then \"b.so\")" (any option with a
   value), "-f sets the log file's level: give -l LOGFILE too",
   "--stop-timeout takes a whole number of milliseconds (0 or more), got \"x\"".
   With -h/--help or --version, other checks are skipped and 0 returned.
   A later duplicate override replaces an earlier one. */
int cli_parse (int argc, char **argv, cli_opts_t *opts, char *err);

/* Frees what opts owns and resets it to zero. */
void cli_opts_reset (cli_opts_t *opts);

#define CLI_STOP_TIMEOUT_MS 5000    //  --stop-timeout's default

/* Parses a level name (case-insensitive DEBUG INFO WARNING ERROR, also
   WARN) to its SVCFW_LOG_* value; -1 if unknown. */
int cli_level_parse (const char *name);

/* The svcfw option a config key `key` (an override's name without its
   dashes) was probably meant to be, e.g. "-cl" for "cl", "cL" or
   "log_level"; NULL if it looks like no option. Static string. */
const char *cli_option_hint (const char *key);

/* The full --help text (every option, with examples). Static string. */
const char *cli_usage (void);

#endif
