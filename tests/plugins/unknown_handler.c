/*  unknown_handler - test plugin: the orders replyer names a handler it does not export. */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "orders": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "no_such_handler"},
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

/* Present but static: not exported, so it must not be found either. */
static int __attribute__ ((unused))
no_such_handler (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx; (void) args; (void) return_args;
    return 0;
}
