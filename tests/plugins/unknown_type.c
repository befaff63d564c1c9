/*  unknown_type - test plugin: the orders model uses the unknown type "decimal". */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "orders": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_order"},
                "optional_creation_arguments": {},
                "required_arguments": {"order_id": "int", "price": "decimal"},
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
