/*  gc_state_out - test plugin for svcfw check (tests/graphs/): a delta_update_out state "book". */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "state_models": {"in": {}, "out": {"book": {
        "state_type": "delta_update_out",
        "required_arguments": {"bids": ["float"]}}}}
});

