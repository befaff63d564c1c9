/*  no_main - test plugin: outbound only, but no svcfw_main (refused with -m). */
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
