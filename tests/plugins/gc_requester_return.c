/*  gc_requester_return - test plugin for svcfw check (tests/graphs/): a requester "orders" that requires the "note" gc_replyer may omit. */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {"orders": {
        "connection_type": "requester",
        "required_arguments": {"id": "str", "qty": "int"},
        "required_return_arguments": {"id": "str", "note": "str"}}}}
});

