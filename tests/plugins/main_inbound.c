/*  main_inbound - test plugin: has svcfw_main but also an inbound replyer (refused with -m). */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "orders": {
                "connection_type": "replyer",
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

int
svcfw_main (svcfw_ctx *ctx)
{
    svcfw_log (ctx, SVCFW_LOG_INFO, "main ran");
    return 0;
}
