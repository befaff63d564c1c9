/*  hooks_fail - test plugin: setup hooks that fail on request.

    Config `fail` (str) picks the hook that fails: "config" makes
    svcfw_setup_config return 2, "addresses" makes svcfw_setup_addresses
    return 3, "merge" makes svcfw_setup_connections name the connection
    "nosuch", which the models do not declare.
*/
#include <string.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"fail": "str"}},
    "connection_models": {
        "in": {},
        "out": {
            "ticks": {
                "connection_type": "publisher",
                "required_creation_arguments": {},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int"},
                "optional_arguments": {}
            }
        }
    }
});

static bool
s_fails (const cJSON *config, const char *hook)
{
    const cJSON *fail = cJSON_GetObjectItem (config, "fail");
    return cJSON_IsString (fail) && strcmp (fail->valuestring, hook) == 0;
}

int
svcfw_setup_config (cJSON *config)
{
    return s_fails (config, "config") ? 2 : 0;
}

int
svcfw_setup_addresses (cJSON *addresses, const cJSON *config)
{
    (void) addresses;
    return s_fails (config, "addresses") ? 3 : 0;
}

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    if (!s_fails (config, "merge"))
        return NULL;
    cJSON *extra = cJSON_CreateObject ();
    cJSON *nosuch = cJSON_AddObjectToObject (extra, "nosuch");
    cJSON *creation = cJSON_AddObjectToObject (nosuch, "optional_creation_arguments");
    cJSON_AddNumberToObject (creation, "max_message_bytes", 100);
    return extra;
}
