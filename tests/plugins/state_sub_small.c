/*  state_sub_small - test plugin: state_sub with max_message_bytes 1024, for oversized snapshots.

    Its on_update handler logs each new value as "update state=JSON".
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {}},
    "state_models": {
        "in": {
            "book": {
                "state_type": "delta_update_in",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"on_update": "on_book", "timeout_ms": 500, "max_message_bytes": 1024}
            }
        },
        "out": {}
    }
});

int
on_book (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    char *text = cJSON_PrintUnformatted (args);
    svcfw_log (ctx, SVCFW_LOG_INFO, "update state=%s", text ? text : "(none)");
    cJSON_free (text);
    return 0;
}
