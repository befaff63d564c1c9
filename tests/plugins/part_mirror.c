/*  part_mirror - test plugin: the other side of a partition test, a replyer and an in-state.

    Its replyer `work` answers {"n": N} with the same N, logging "work n=N".
    Its in-state `tally` mirrors part_owner's; on each update it logs
    "tally n=N keys=K", K being the number of "k…" keys: K equals N only
    if no update was lost for good.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {
            "work": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_work"},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int"},
                "optional_arguments": {},
                "required_return_arguments": {"n": "int"},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    },
    "state_models": {
        "in": {
            "tally": {
                "state_type": "delta_update_in",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"on_update": "on_tally", "topic": "tally", "timeout_ms": 1000}
            }
        },
        "out": {}
    }
});

int
on_work (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    int n = cJSON_GetObjectItem (args, "n")->valueint;
    svcfw_log (ctx, SVCFW_LOG_INFO, "work n=%d", n);
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "n", n);
    return 0;
}

int
on_tally (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    const cJSON *n = cJSON_GetObjectItem (args, "n");
    int keys = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, args)
        if (item->string [0] == 'k')
            keys++;
    svcfw_log (ctx, SVCFW_LOG_INFO, "tally n=%d keys=%d", cJSON_IsNumber (n)? n->valueint: 0, keys);
    return 0;
}
