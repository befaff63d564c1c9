/*  waiting_pub - test plugin: a main-mode publisher whose creation arguments come from the config.

    Config "creation" (dict) is merged into the publisher "ticks"'s
    optional_creation_arguments (svcfw_setup_connections), so a test can set
    min_subscribers and join_timeout_ms. svcfw_main logs "main started",
    publishes {"n": N} for N = 1..count (config, default 3), logging
    "published n=N", and returns 0.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"creation": "dict", "count": "int"}},
    "connection_models": {
        "in": {},
        "out": {
            "ticks": {
                "connection_type": "publisher",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"topic": "t"},
                "required_arguments": {"n": "int"},
                "optional_arguments": {}
            }
        }
    }
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    const cJSON *creation = cJSON_GetObjectItem (config, "creation");
    if (!creation)
        return NULL;
    cJSON *all = cJSON_CreateObject ();
    cJSON *ticks = cJSON_AddObjectToObject (all, "ticks");
    cJSON *args = cJSON_AddObjectToObject (ticks, "optional_creation_arguments");
    cJSON_AddStringToObject (args, "topic", "t");
    const cJSON *item;
    cJSON_ArrayForEach (item, creation)
        cJSON_AddItemToObject (args, item->string, cJSON_Duplicate (item, true));
    return all;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *count = cJSON_GetObjectItem (svcfw_config (ctx), "count");
    svcfw_log (ctx, SVCFW_LOG_INFO, "main started");
    for (int n = 1; n <= (count? count->valueint: 3); n++) {
        cJSON *args = cJSON_CreateObject ();
        cJSON_AddNumberToObject (args, "n", n);
        if (svcfw_to_send (ctx, "connection", "ticks", args, NULL) == 0)
            svcfw_log (ctx, SVCFW_LOG_INFO, "published n=%d", n);
        cJSON_Delete (args);
    }
    return 0;
}
