/*  gc_requester_omit - test plugin for svcfw check (tests/graphs/): a requester "orders" that may omit gc_replyer's required "qty". */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {}, "out": {"orders": {
        "connection_type": "requester",
        "required_arguments": {"id": "str"},
        "optional_arguments": {"qty": "int"},
        "required_return_arguments": {"id": "str"},
        "optional_return_arguments": {"note": "str"}}}}
});

