/*  gc_publisher - test plugin for svcfw check (tests/graphs/): a publisher "prices" of topic MSFT that connects (is_x_pub). */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {"prices": {
        "connection_type": "publisher",
        "optional_creation_arguments": {"topic": "MSFT", "is_x_pub": true},
        "required_arguments": {"price": "float"}}}}
});

