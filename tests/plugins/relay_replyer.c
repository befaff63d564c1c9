/*  relay_replyer - test plugin: the middle of a request chain, a replyer that requests.

    Answers each order on its `orders` replyer by sending the same order on
    to its `downstream` requester and returning that reply. Logs
    "relay order ID wf=WF" before the send. For the trace tests (e2e_traces):
    a request chain main -> relay -> echo_replyer.
*/
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
            }
        },
        "out": {
            "downstream": {
                "connection_type": "requester",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"timeout_ms": 2000, "retries": 0},
                "required_arguments": {"order_id": "int"},
                "optional_arguments": {"note": "str"},
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
    svcfw_log (ctx, SVCFW_LOG_INFO, "relay order %d wf=%s", id, svcfw_workflow_id (ctx));
    if (svcfw_to_send (ctx, "connection", "downstream", args, return_args) != 0)
        return svcfw_fail (ctx, "downstream: %s", svcfw_error (ctx));
    return 0;
}
