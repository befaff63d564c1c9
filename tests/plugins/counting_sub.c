/*  counting_sub - test plugin: a connecting subscriber that counts what it hears.

    Logs "counted ALL N (K out of order)" when it has heard `count` messages
    (config), K counting those whose n was not the last one's + 1, and
    "counted N (last n=L)" on SIGTERM. With `handle_us` (config), each
    message takes that long at least (a slow handler); "creation" (config,
    a dict) adds to the subscriber's optional creation arguments.
*/
#include <unistd.h>
#include "svcfw.h"
#include "creation.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"count": "int"}, "optional": {"handle_us": "int", "creation": "dict"}},
    "connection_models": {
        "in": {
            "ticks": {
                "connection_type": "subscriber",
                "required_creation_arguments": {"on_new_message": "on_tick"},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int"},
                "optional_arguments": {"pad": "str"}
            }
        },
        "out": {}
    }
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    return creation_from_config (config, "ticks");
}

static long s_heard;
static long s_last = -1;
static long s_out_of_order;

int
on_tick (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    long n = cJSON_GetObjectItem (args, "n")->valueint;
    if (n != s_last + 1)
        s_out_of_order++;
    s_last = n;
    const cJSON *handle_us = cJSON_GetObjectItem (svcfw_config (ctx), "handle_us");
    if (cJSON_IsNumber (handle_us))
        usleep ((useconds_t) handle_us->valueint);
    if (++s_heard == cJSON_GetObjectItem (svcfw_config (ctx), "count")->valueint)
        svcfw_log (ctx, SVCFW_LOG_INFO, "counted ALL %ld (%ld out of order)", s_heard, s_out_of_order);
    return 0;
}

void
svcfw_sigint (svcfw_ctx *ctx, int signum)
{
    (void) signum;
    svcfw_log (ctx, SVCFW_LOG_INFO, "counted %ld (last n=%ld)", s_heard, s_last);
}
