/*  gc_requester - test plugin for svcfw check (tests/graphs/): a requester "orders" whose models fit gc_replyer. */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {"orders": {
        "connection_type": "requester",
        "required_arguments": {"id": "str", "qty": "int"},
        "required_return_arguments": {"id": "str"},
        "optional_return_arguments": {"note": "str"}}}}
});

