/*  config.h - building the service's config: file, then CLI overrides, then checks.

    The config is a JSON object read from -c (or {} without one). Command-line
    pairs override the file's values, converted to the type the config model
    declares for the key. The result is validated against the config model.
*/
#ifndef CONFIG_H_INCLUDED
#define CONFIG_H_INCLUDED

#include <cjson/cJSON.h>
#include "err.h"
#include "types.h"

/* Loads the config file at `path` (NULL: an empty object). Returns a fresh
   object the caller owns (cJSON_Delete), or NULL with err naming the file
   (and line:column for a syntax error; "PATH: config must be a JSON object,
   got array" for the wrong top-level type). */
cJSON *config_load (const char *path, char *err);

/* Sets each override {KEY: "TEXT"} into `config`, converted with
   type_convert_text to the type `model` declares for KEY (model may be NULL,
   and a key the model does not declare is set as a string, so validation
   later names it), unless KEY is spelled like an svcfw option (cli_option_hint):
   then that is an error naming the option meant. Returns 0, or -1 with
   err = "command line --KEY: expected int, got \"12x\"" or "command line:
   'cl' is not a config key of this service (...); did you mean the svcfw
   option -cl?". */
int config_apply_overrides (cJSON *config, const cJSON *overrides,
                            const type_t *model, char *err);

/* Validates config against the compiled config model (NULL: must be empty).
   `path` is the -c file the config came from, or NULL when none was given.
   Returns 0, or -1 with err naming where the config came from, then the
   type_validate message: "config.json: config: missing required key 'port'",
   or without a file "config (no -c given): missing required key 'port'". */
int config_validate (const cJSON *config, const type_t *model, const char *path, char *err);

#endif
