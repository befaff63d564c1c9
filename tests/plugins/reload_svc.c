/*  reload_svc - test plugin: a replyer that answers with its config, and
    a svcfw_reconfigure that logs each new config and refuses one that asks.

    "hello" (8 workers) answers {greeting, note} from svcfw_config (note ""
    when the config has none), read `hold_ms` (arg, default 0) after it got
    the config, and logs "hello debug" at DEBUG. svcfw_reconfigure
    logs "reconfigure greeting=G note=N" and returns 1 (with svcfw_fail's
    reason) when the new config has "refuse": true.
*/
#include <stdio.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"greeting": "str"}, "optional": {"note": "str", "refuse": "bool"}},
    "connection_models": {
        "in": {
            "hello": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_hello"},
                "optional_creation_arguments": {"workers": 8},
                "required_arguments": {},
                "optional_arguments": {"hold_ms": "int"},
                "required_return_arguments": {"greeting": "str", "note": "str"},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    }
});

static const char *
s_text (const cJSON *config, const char *key)
{
    const cJSON *item = cJSON_GetObjectItem (config, key);
    return cJSON_IsString (item)? item->valuestring: "";
}

int
svcfw_reconfigure (svcfw_ctx *ctx, const cJSON *config)
{
    svcfw_log (ctx, SVCFW_LOG_INFO, "reconfigure greeting=%s note=%s", s_text (config, "greeting"),
               s_text (config, "note"));
    if (cJSON_IsTrue (cJSON_GetObjectItem (config, "refuse")))
        return svcfw_fail (ctx, "this plugin was told to refuse it"), 1;
    return 0;
}

int
on_hello (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    const cJSON *config = svcfw_config (ctx);
    const cJSON *hold = cJSON_GetObjectItem (args, "hold_ms");
    if (cJSON_IsNumber (hold) && hold->valueint > 0) {
        //  A reload may come meanwhile: `config` must stay valid.
        struct timespec ts = { hold->valueint / 1000, (hold->valueint % 1000) * 1000000L };
        nanosleep (&ts, NULL);
    }
    svcfw_log (ctx, SVCFW_LOG_DEBUG, "hello debug");
    *return_args = cJSON_CreateObject ();
    cJSON_AddStringToObject (*return_args, "greeting", s_text (config, "greeting"));
    cJSON_AddStringToObject (*return_args, "note", s_text (config, "note"));
    return 0;
}
