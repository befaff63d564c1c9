/*  echo_replyer - test plugin: a replyer that answers each order with {order_id, ok}.

    The note steers it: "fail" makes the handler fail (svcfw_fail),
    "badreturn" makes it return args that break the return model, and "slow"
    makes it work for 500 ms before answering (in-flight work for shutdown
    tests). Each call is logged as "got order ID note=NOTE wf=WORKFLOW_ID".
*/
#include <string.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "orders": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_order"},
                "optional_creation_arguments": {"max_message_bytes": 65536},
                "required_arguments": {"order_id": "int"},
                "optional_arguments": {"note": "str"},
                "required_return_arguments": {"order_id": "int", "ok": "bool"},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    }
});

int
on_order (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    int id = cJSON_GetObjectItem (args, "order_id")->valueint;
    const cJSON *note = cJSON_GetObjectItem (args, "note");
    const char *text = cJSON_IsString (note) ? note->valuestring : "";
    svcfw_log (ctx, SVCFW_LOG_INFO, "got order %d note=%s wf=%s", id, text,
               svcfw_workflow_id (ctx));
    if (strcmp (text, "fail") == 0)
        return svcfw_fail (ctx, "refused %d", id);
    if (strcmp (text, "slow") == 0) {
        //  Stands for work in progress, not for waiting on anything.
        struct timespec work = { 0, 500 * 1000000L };
        nanosleep (&work, NULL);
        svcfw_log (ctx, SVCFW_LOG_INFO, "slow order %d done", id);
    }

    *return_args = cJSON_CreateObject ();
    if (strcmp (text, "badreturn") == 0)
        //  "ok" missing and order_id of the wrong type
        cJSON_AddStringToObject (*return_args, "order_id", "not a number");
    else {
        cJSON_AddNumberToObject (*return_args, "order_id", id);
        cJSON_AddBoolToObject (*return_args, "ok", true);
    }
    return 0;
}
