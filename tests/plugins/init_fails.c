/*  init_fails - test plugin: svcfw_init returns -1, which must stop start-up (exit 1). */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {},
        "out": {
            "ticks": {
                "connection_type": "publisher",
                "required_creation_arguments": {},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int"},
                "optional_arguments": {}
            }
        }
    }
});

int
svcfw_init (svcfw_ctx *ctx)
{
    (void) ctx;
    return -1;
}
