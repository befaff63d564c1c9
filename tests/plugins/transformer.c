/*  transformer - test plugin: the middle of a chain, a subscriber that requests.

    Subscribes (connecting, every topic) to `ticks`; for each {"n": N} it
    logs "heard n=N wf=WF" and sends two orders to the `orders` requester
    (notes "first" and "second", so they carry WF_1 and WF_2), then logs
    "forwarded n=N replies=R".
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "ticks": {
                "connection_type": "subscriber",
                "required_creation_arguments": {"on_new_message": "on_tick"},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int", "src": "str"},
                "optional_arguments": {}
            }
        },
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

static int
s_order (svcfw_ctx *ctx, int n, const char *note)
{
    cJSON *args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (args, "order_id", n);
    cJSON_AddStringToObject (args, "note", note);
    cJSON *reply = NULL;
    int rc = svcfw_to_send (ctx, "connection", "orders", args, &reply);
    if (rc != 0)
        svcfw_log (ctx, SVCFW_LOG_ERROR, "order n=%d failed: %s", n, svcfw_error (ctx));
    cJSON_Delete (reply);
    cJSON_Delete (args);
    return rc == 0;
}

int
on_tick (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    int n = cJSON_GetObjectItem (args, "n")->valueint;
    svcfw_log (ctx, SVCFW_LOG_INFO, "heard n=%d wf=%s", n, svcfw_workflow_id (ctx));
    int replies = s_order (ctx, n, "first");
    replies += s_order (ctx, n, "second");
    svcfw_log (ctx, SVCFW_LOG_INFO, "forwarded n=%d replies=%d", n, replies);
    return 0;
}
