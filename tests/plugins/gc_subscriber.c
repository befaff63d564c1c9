/*  gc_subscriber - test plugin for svcfw check (tests/graphs/): a subscriber "prices" of topic AAPL that binds. */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {"prices": {
        "connection_type": "subscriber",
        "required_creation_arguments": {"on_new_message": "on_price"},
        "optional_creation_arguments": {"topic": "AAPL", "is_binder": true},
        "required_arguments": {"price": "float"}}}, "out": {}}
});

int
on_price (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx; (void) args; (void) return_args;
    return 0;
}
