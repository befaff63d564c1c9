/*  full_sub - test plugin: the in side of the full-update state `level`.

    Its on_update handler logs each new value as "update state=JSON".
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {}},
    "state_models": {
        "in": {
            "level": {
                "state_type": "full_update_in",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"on_update": "on_level", "timeout_ms": 500},
                "required_arguments": {"n": "int", "even": "bool"},
                "optional_arguments": {}
            }
        },
        "out": {}
    }
});

int
on_level (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    char *text = cJSON_PrintUnformatted (args);
    svcfw_log (ctx, SVCFW_LOG_INFO, "update state=%s", text ? text : "(none)");
    cJSON_free (text);
    return 0;
}
