/*  listener_all - test plugin: a binding subscriber to every topic, small messages only.

    Logs each message as "heard src=SRC n=N wf=WF". max_message_bytes is 4096
    so tests can send an oversized message.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "ticks": {
                "connection_type": "subscriber",
                "required_creation_arguments": {"on_new_message": "on_tick"},
                "optional_creation_arguments": {"topic": "", "is_binder": true,
                                                "max_message_bytes": 4096},
                "required_arguments": {"n": "int", "src": "str"},
                "optional_arguments": {"pad": "str"}
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
