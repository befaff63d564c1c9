/*  limits_svc - test plugin: a replyer, a requester and a subscriber, all with the default message limits.

    "orders" answers {order_id, ok}; with note "ask" it first asks
    "upstream" and logs "upstream failed: ERROR" or "upstream replied".
    "ticks" (connecting; reconnect_max_ms 200, so it links again soon after a drop) logs "heard n=N".
*/
#include <string.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "orders": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_order"},
                "optional_creation_arguments": {},
                "required_arguments": {"order_id": "int"},
                "optional_arguments": {"note": "str"},
                "required_return_arguments": {"order_id": "int", "ok": "bool"},
                "optional_return_arguments": {}
            },
            "ticks": {
                "connection_type": "subscriber",
                "required_creation_arguments": {"on_new_message": "on_tick"},
                "optional_creation_arguments": {"reconnect_max_ms": 200},
                "required_arguments": {"n": "int"},
                "optional_arguments": {}
            }
        },
        "out": {
            "upstream": {
                "connection_type": "requester",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"timeout_ms": 10000, "retries": 1},
                "required_arguments": {"order_id": "int"},
                "optional_arguments": {},
                "required_return_arguments": {"order_id": "int", "ok": "bool"},
                "optional_return_arguments": {}
            }
        }
    }
});

int
on_order (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    int id = cJSON_GetObjectItem (args, "order_id")->valueint;
    const cJSON *note = cJSON_GetObjectItem (args, "note");
    bool ok = true;
    if (cJSON_IsString (note) && strcmp (note->valuestring, "ask") == 0) {
        cJSON *ask = cJSON_CreateObject ();
        cJSON_AddNumberToObject (ask, "order_id", id);
        cJSON *reply = NULL;
        ok = svcfw_to_send (ctx, "connection", "upstream", ask, &reply) == 0;
        if (ok)
            svcfw_log (ctx, SVCFW_LOG_INFO, "upstream replied");
        else
            svcfw_log (ctx, SVCFW_LOG_INFO, "upstream failed: %s", svcfw_error (ctx));
        cJSON_Delete (reply);
        cJSON_Delete (ask);
    }
    svcfw_log (ctx, SVCFW_LOG_INFO, "got order %d", id);
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "order_id", id);
    cJSON_AddBoolToObject (*return_args, "ok", ok);
    return 0;
}

int
on_tick (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    svcfw_log (ctx, SVCFW_LOG_INFO, "heard n=%d", cJSON_GetObjectItem (args, "n")->valueint);
    return 0;
}
