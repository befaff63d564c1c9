/*  gc_state_in_full - test plugin for svcfw check (tests/graphs/): a full_update_in state "book" (which a delta_update_out cannot feed). */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "state_models": {"in": {"book": {
        "state_type": "full_update_in",
        "required_arguments": {"bids": ["float"]}}}, "out": {}}
});

