/*  config.c - building the service's config: file, then CLI overrides, then checks.

    The order matters: the command line wins over the file, and validation
    comes last so that one message names whatever is still wrong, wherever
    the value came from.
*/
#include "json.h"
#include "cli.h"
#include "config.h"

cJSON *
config_load (const char *path, char *err)
{
    if (!path) {
        cJSON *config = cJSON_CreateObject ();
        if (!config)
            err_set (err, "config: out of memory");
        return config;
    }
    cJSON *config = json_load_file (path, err);
    if (config && !cJSON_IsObject (config)) {
        err_set (err, "%s: config must be a JSON object, got %s", path, json_type_name (config));
        cJSON_Delete (config);
        return NULL;
    }
    return config;
}

int
config_apply_overrides (cJSON *config, const cJSON *overrides, const type_t *model, char *err)
{
    const cJSON *override;
    cJSON_ArrayForEach (override, overrides) {
        const char *key = override->string;
        if (!cJSON_IsString (override))
            return err_set (err, "command line --%s: the value must be text", key);

        //  A key the model does not declare stays text: validation then
        //  reports it as an unknown key, which is the real problem. Unless
        //  it is spelled like an svcfw option: then it is a slip (--cl DEBUG,
        //  -cL DEBUG), and the option it meant is the better message.
        const type_t *type = type_member (model, key);
        const char *hint = type? NULL: cli_option_hint (key);
        if (hint)
            return err_set (err, "command line: '%s' is not a config key of this service "
                            "(config_model does not declare it); did you mean the svcfw "
                            "option %s?", key, hint);
        char why [ERR_LEN];
        cJSON *value = type_convert_text (type, override->valuestring, why);
        if (!value)
            return err_set (err, "command line --%s: %s", key, why);
        bool added = cJSON_GetObjectItemCaseSensitive (config, key)
                   ? cJSON_ReplaceItemInObjectCaseSensitive (config, key, value)
                   : cJSON_AddItemToObject (config, key, value);
        if (!added) {
            cJSON_Delete (value);
            return err_set (err, "out of memory");
        }
    }
    return 0;
}

//  Sets err to "PATH: config: WHY", or "config (no -c given): WHY".
static int
s_config_error (const char *path, char *err, const char *why)
{
    if (path)
        return err_set (err, "%s: config: %s", path, why);
    return err_set (err, "config (no -c given): %s", why);
}

int
config_validate (const cJSON *config, const type_t *model, const char *path, char *err)
{
    char why [ERR_LEN];
    if (model) {
        if (type_validate (model, config, why))
            return s_config_error (path, err, why);
        return 0;
    }
    if (!cJSON_IsObject (config)) {
        err_set (why, "expected object, got %s", json_type_name (config));
        return s_config_error (path, err, why);
    }
    if (config->child) {
        err_set (why, "unknown key '%s' (the service declares no config_model)", config->child->string);
        return s_config_error (path, err, why);
    }
    return 0;
}
