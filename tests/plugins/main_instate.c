/*  main_instate - test plugin: has svcfw_main but also an inbound state (refused with -m). */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {}},
    "state_models": {
        "in": {"book": {"state_type": "delta_update_in"}},
        "out": {}
    }
});

int
svcfw_main (svcfw_ctx *ctx)
{
    svcfw_log (ctx, SVCFW_LOG_INFO, "main ran");
    return 0;
}
