/*  gc_replyer - test plugin for svcfw check (tests/graphs/): a replyer "orders" that takes {id: str, qty: int} and returns {id: str, note?: str}. */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {"orders": {
        "connection_type": "replyer",
        "required_creation_arguments": {"on_new_request": "on_order"},
        "required_arguments": {"id": "str", "qty": "int"},
        "required_return_arguments": {"id": "str"},
        "optional_return_arguments": {"note": "str"}}}, "out": {}}
});

int
on_order (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    *return_args = cJSON_CreateObject ();
    cJSON_AddItemToObject (*return_args, "id", cJSON_Duplicate (cJSON_GetObjectItem (args, "id"), true));
    return 0;
}
