/*  bench_rep - echo replyer for bench/run. */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {"in": {"echo": {
        "connection_type": "replyer",
        "required_creation_arguments": {"on_new_request": "on_echo"},
        "required_arguments": {"n": "int"},
        "optional_arguments": {"pad": "str"},
        "required_return_arguments": {"n": "int"}}}}
});

int
on_echo (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "n", cJSON_GetObjectItem (args, "n")->valuedouble);
    return 0;
}
