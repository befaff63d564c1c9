/*  config_echo - test plugin: a main-mode service that logs its validated config.

    Declares one optional config key per type; svcfw_main logs
    "config=JSON" (compact) and returns 0. No connections.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {
        "required": {},
        "optional": {
            "count": "int", "ratio": "float", "verbose": "bool", "name": "str",
            "ids": ["int"], "extra": "dict", "weights": {"*": "float"}, "anything": "any"
        }
    },
    "connection_models": {"in": {}, "out": {}}
});

int
svcfw_main (svcfw_ctx *ctx)
{
    char *text = cJSON_PrintUnformatted (svcfw_config (ctx));
    svcfw_log (ctx, SVCFW_LOG_INFO, "config=%s", text ? text : "(null)");
    cJSON_free (text);
    return 0;
}
