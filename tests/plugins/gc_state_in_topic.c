/*  gc_state_in_topic - test plugin for svcfw check (tests/graphs/): a delta_update_in state "book" of topic "other". */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "state_models": {"in": {"book": {
        "state_type": "delta_update_in",
        "optional_creation_arguments": {"topic": "other"},
        "required_arguments": {"bids": ["float"]}}}, "out": {}}
});
