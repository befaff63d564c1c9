/*  bench_durable_sink - dedupe replyer for bench_durable_src (inbox path `inbox` from config). */
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"inbox": "str"}},
    "connection_models": {"in": {"events": {
        "connection_type": "replyer",
        "required_creation_arguments": {"on_new_request": "on_event"},
        "optional_creation_arguments": {"dedupe": true},
        "required_arguments": {"n": "int"},
        "required_return_arguments": {"n": "int"}}}}
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    cJSON *extra = cJSON_CreateObject ();
    cJSON *creation = cJSON_AddObjectToObject (cJSON_AddObjectToObject (extra, "events"),
                                               "optional_creation_arguments");
    cJSON_AddStringToObject (creation, "inbox", cJSON_GetObjectItem (config, "inbox")->valuestring);
    return extra;
}

int
on_event (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "n", cJSON_GetObjectItem (args, "n")->valuedouble);
    return 0;
}
