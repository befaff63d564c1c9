/*  bench_rep_sleep - a replyer whose handler takes 1 ms (a sleep, as a call
    to a database would), with config `workers` as its "workers" creation
    argument (0: the default handler thread). For bench/run's workers figures. */
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"workers": "int"}},
    "connection_models": {"in": {"echo": {
        "connection_type": "replyer",
        "required_creation_arguments": {"on_new_request": "on_echo"},
        "required_arguments": {"n": "int"},
        "optional_arguments": {"pad": "str"},
        "required_return_arguments": {"n": "int"}}}}
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    const cJSON *workers = cJSON_GetObjectItem (config, "workers");
    if (!cJSON_IsNumber (workers) || workers->valueint < 1)
        return NULL;
    cJSON *all = cJSON_CreateObject ();
    cJSON *echo = cJSON_AddObjectToObject (all, "echo");
    cJSON *optional = cJSON_AddObjectToObject (echo, "optional_creation_arguments");
    cJSON_AddNumberToObject (optional, "workers", workers->valueint);
    return all;
}

int
on_echo (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    struct timespec span = { 0, 1000000L };
    while (nanosleep (&span, &span) != 0)
        ;
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "n", cJSON_GetObjectItem (args, "n")->valuedouble);
    return 0;
}
