/*  repl_mirror - holds repl_feed's two states as in-states and shows them on request.

    `dump` (replyer) answers {} with {"book": …, "snap": …}: the current
    values, so a test can compare them with the owner's. `on_update` for
    book counts the updates it was told about. Snapshot requests wait up to
    5 s (timeout_ms), so a starved test machine does not ask twice.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {
        "dump": {"connection_type": "replyer",
                 "required_creation_arguments": {"on_new_request": "on_dump"},
                 "required_return_arguments": {"book": "dict", "snap": "dict", "updates": "int"}}
    }},
    "state_models": {"in": {
        "book": {"state_type": "delta_update_in",
                 "optional_creation_arguments": {"on_update": "on_book", "topic": "book", "timeout_ms": 5000}},
        "snap": {"state_type": "full_update_in",
                 "optional_creation_arguments": {"topic": "snap", "timeout_ms": 5000}}
    }}
});

static int s_updates;

int
on_book (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    (void) return_args;
    if (cJSON_IsObject (args))
        s_updates++;
    return 0;
}

int
on_dump (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) args;
    *return_args = cJSON_CreateObject ();
    cJSON_AddItemToObject (*return_args, "book", cJSON_Duplicate (svcfw_state (ctx, "book"), 1));
    cJSON_AddItemToObject (*return_args, "snap", cJSON_Duplicate (svcfw_state (ctx, "snap"), 1));
    cJSON_AddNumberToObject (*return_args, "updates", s_updates);
    return 0;
}
