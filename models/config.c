/*  config.c - building the service's config: file, then CLI overrides, then checks.

    The order matters: the command line wins over the file, and validation
    comes last so that one message names whatever is still wrong, wherever
    the value came from.
*/
#include "json.h"
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
        //  reports it as an unknown key, which is the real problem.
        char why [ERR_LEN];
        cJSON *value = type_convert_text (type_member (model, key), override->valuestring, why);
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

int
config_validate (const cJSON *config, const type_t *model, char *err)
{
    if (model) {
        char why [ERR_LEN];
        if (type_validate (model, config, why))
            return err_set (err, "config: %s", why);
        return 0;
    }
    if (!cJSON_IsObject (config))
        return err_set (err, "config: expected object, got %s", json_type_name (config));
    if (config->child)
        return err_set (err, "config: unknown key '%s' (the service declares no config_model)",
                        config->child->string);
    return 0;
}
