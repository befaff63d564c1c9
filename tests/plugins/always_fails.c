/*  always_fails - test plugin: a replyer whose handler fails every request.

    It logs nothing itself: every line in its log is the framework's, so a
    flood of failing requests shows what the framework writes per request.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "orders": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_order"},
                "required_arguments": {"order_id": "int"},
                "required_return_arguments": {"ok": "bool"}
            }
        },
        "out": {}
    }
});

int
on_order (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    return svcfw_fail (ctx, "refused %d", cJSON_GetObjectItem (args, "order_id")->valueint);
}
