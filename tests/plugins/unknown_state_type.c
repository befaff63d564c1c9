/*  unknown_state_type - test plugin: the state `book` has the unknown type "delta_update_sideways". */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {}},
    "state_models": {
        "in": {},
        "out": {"book": {"state_type": "delta_update_sideways"}}
    }
});
