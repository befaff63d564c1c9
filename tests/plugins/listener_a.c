/*  listener_a - test plugin: a binding subscriber to topic "A".

    Logs each message as "heard src=SRC n=N wf=WF".
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "ticks": {
                "connection_type": "subscriber",
                "required_creation_arguments": {"on_new_message": "on_tick"},
                "optional_creation_arguments": {"topic": "A", "is_binder": true},
                "required_arguments": {"n": "int", "src": "str"},
                "optional_arguments": {}
            }
        },
        "out": {}
    }
});

int
on_tick (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    svcfw_log (ctx, SVCFW_LOG_INFO, "heard src=%s n=%d wf=%s",
               cJSON_GetObjectItem (args, "src")->valuestring,
               cJSON_GetObjectItem (args, "n")->valueint, svcfw_workflow_id (ctx));
    return 0;
}
