/*  requester_main - test plugin: a main-mode requester that sends `count` orders.

    Config: count (int, required), note (str) sent with every order,
    exit_code (int) returned by svcfw_main when every order was answered.
    Logs "config count=N" then, per order, "reply ID ok=BOOL wf=WF" or
    "send ID failed: ERROR"; returns 3 if any send failed.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {
        "required": {"count": "int"},
        "optional": {"note": "str", "exit_code": "int"}
    },
    "connection_models": {
        "in": {},
        "out": {
            "orders": {
                "connection_type": "requester",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"timeout_ms": 1000, "retries": 1},
                "required_arguments": {"order_id": "int"},
                "optional_arguments": {"note": "str"},
                "required_return_arguments": {"order_id": "int", "ok": "bool"},
                "optional_return_arguments": {}
            }
        }
    }
});

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *config = svcfw_config (ctx);
    const cJSON *count = cJSON_GetObjectItem (config, "count");
    const cJSON *note = cJSON_GetObjectItem (config, "note");
    const cJSON *exit_code = cJSON_GetObjectItem (config, "exit_code");
    svcfw_log (ctx, SVCFW_LOG_INFO, "config count=%d", count->valueint);

    int failures = 0;
    for (int id = 1; id <= count->valueint; id++) {
        cJSON *args = cJSON_CreateObject ();
        cJSON_AddNumberToObject (args, "order_id", id);
        if (cJSON_IsString (note))
            cJSON_AddStringToObject (args, "note", note->valuestring);
        cJSON *reply = NULL;
        if (svcfw_to_send (ctx, "connection", "orders", args, &reply) == 0) {
            svcfw_log (ctx, SVCFW_LOG_INFO, "reply %d ok=%s wf=%s",
                       cJSON_GetObjectItem (reply, "order_id")->valueint,
                       cJSON_IsTrue (cJSON_GetObjectItem (reply, "ok")) ? "true" : "false",
                       svcfw_workflow_id (ctx));
            cJSON_Delete (reply);
        }
        else {
            svcfw_log (ctx, SVCFW_LOG_INFO, "send %d failed: %s", id, svcfw_error (ctx));
            failures++;
        }
        cJSON_Delete (args);
    }
    svcfw_log (ctx, SVCFW_LOG_INFO, "done failures=%d", failures);
    if (failures)
        return 3;
    return cJSON_IsNumber (exit_code) ? exit_code->valueint : 0;
}
