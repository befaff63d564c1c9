/*  gc_requester_type - test plugin for svcfw check (tests/graphs/): a requester "orders" that sends "qty" as a float, which gc_replyer does not take. */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {"orders": {
        "connection_type": "requester",
        "required_arguments": {"id": "str", "qty": "float"},
        "required_return_arguments": {"id": "str"},
        "optional_return_arguments": {"note": "str"}}}}
});

