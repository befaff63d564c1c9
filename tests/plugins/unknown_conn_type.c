/*  unknown_conn_type - test plugin: the orders connection has the unknown type "replier". */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "orders": {
                "connection_type": "replier",
                "required_creation_arguments": {"on_new_request": "on_order"},
                "optional_creation_arguments": {},
                "required_arguments": {"order_id": "int"},
                "optional_arguments": {},
                "required_return_arguments": {},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    }
});

int
on_order (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx; (void) args; (void) return_args;
    return 0;
}
