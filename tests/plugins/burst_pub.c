/*  burst_pub - test plugin: a main-mode publisher that sends `count` messages {"n": N} as fast as it
    can once one subscriber has joined (min_subscribers), then returns, so the process exits right
    after its last send: what its queue still holds must reach the subscriber.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"count": "int"}, "optional": {}},
    "connection_models": {
        "in": {},
        "out": {
            "ticks": {
                "connection_type": "publisher",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"min_subscribers": 1, "join_timeout_ms": 10000},
                "required_arguments": {"n": "int"},
                "optional_arguments": {}
            }
        }
    }
});

int
svcfw_main (svcfw_ctx *ctx)
{
    int count = cJSON_GetObjectItem (svcfw_config (ctx), "count")->valueint;
    cJSON *args = cJSON_CreateObject ();
    cJSON *n = cJSON_AddNumberToObject (args, "n", 0);
    for (int i = 0; i < count; i++) {
        cJSON_SetNumberValue (n, i);
        if (svcfw_to_send (ctx, "connection", "ticks", args, NULL)) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "send %d failed: %s", i, svcfw_error (ctx));
            cJSON_Delete (args);
            return 1;
        }
    }
    cJSON_Delete (args);
    svcfw_log (ctx, SVCFW_LOG_INFO, "burst sent %d", count);
    return 0;
}
