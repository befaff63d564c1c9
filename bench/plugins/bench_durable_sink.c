/*  bench_durable_sink - dedupe replyer for bench_durable_src (inbox path `inbox` from config).

    Checks what it is given: each n should come once, in order (0, 1, 2,
    ...). At the stop it logs "SINK handled H, new N, repeated R, out of
    order O" (repeated: an n handled before; out of order: an n that is not
    the next new one), which bench/run reads for its lost and duplicated
    counts. One handler thread (no "workers"), so no lock.
*/
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

static long s_handled, s_next, s_repeated, s_out_of_order;

int
on_event (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    long n = (long) cJSON_GetObjectItem (args, "n")->valuedouble;
    s_handled++;
    if (n < s_next)
        s_repeated++;
    else if (n > s_next) {
        s_out_of_order++;
        s_next = n + 1;
    }
    else
        s_next++;
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "n", cJSON_GetObjectItem (args, "n")->valuedouble);
    return 0;
}

void
svcfw_sigint (svcfw_ctx *ctx, int signum)
{
    (void) signum;
    svcfw_log (ctx, SVCFW_LOG_WARNING, "SINK handled %ld, new %ld, repeated %ld, out of order %ld",
               s_handled, s_next, s_repeated, s_out_of_order);
}
