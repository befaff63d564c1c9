/*  resilience_options - test plugin: a main-mode requester whose creation arguments come from the config.

    Config "creation" (dict) is merged into the requester "quotes"'s
    optional_creation_arguments by svcfw_setup_connections, so a test can
    try any resilience option. It exports one fallback, "cached_quote".
    svcfw_main returns 0 at once.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"creation": "dict"}},
    "connection_models": {
        "in": {},
        "out": {
            "quotes": {
                "connection_type": "requester",
                "required_creation_arguments": {},
                "optional_creation_arguments": {},
                "required_arguments": {"symbol": "str"},
                "optional_arguments": {},
                "required_return_arguments": {"price": "int"},
                "optional_return_arguments": {}
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
    cJSON *quotes = cJSON_AddObjectToObject (all, "quotes");
    cJSON_AddItemToObject (quotes, "optional_creation_arguments", cJSON_Duplicate (creation, true));
    return all;
}

int
cached_quote (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    (void) args;
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "price", 0);
    return 0;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    (void) ctx;
    return 0;
}
