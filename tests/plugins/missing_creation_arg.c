/*  missing_creation_arg - test plugin: a replyer without its required on_new_request. */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "orders": {
                "connection_type": "replyer",
                "required_creation_arguments": {},
                "optional_creation_arguments": {},
                "required_arguments": {"order_id": "int"},
                "optional_arguments": {},
                "required_return_arguments": {},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    }
});
