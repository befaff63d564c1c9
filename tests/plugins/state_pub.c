/*  state_pub - test plugin: a main-mode out side of the delta state `book`.

    Sends `count` patches (config, default 10), one every period_ms (default
    5): patch i sets "TAG_i": i and "last": i, and every third patch also
    deletes "TAG_(i-1)" with a null. After each send it logs the out side's
    value as "out state=JSON"; after the last, "published last=N". Then it
    idles until a stop is asked for. TAG is config `tag` (default "k").
    With config `gate_after` N and `gate_file` PATH, it stops after patch N
    until PATH exists (polled every 10 ms, at most 60 s), so a test can let
    the rest through once the in side has seen patch N.
*/
#include <stdio.h>
#include <unistd.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {
        "required": {},
        "optional": {"count": "int", "period_ms": "int", "tag": "str",
                     "gate_after": "int", "gate_file": "str"}
    },
    "connection_models": {"in": {}, "out": {}},
    "state_models": {
        "in": {},
        "out": {
            "book": {
                "state_type": "delta_update_out",
                "required_creation_arguments": {},
                "optional_creation_arguments": {}
            }
        }
    }
});

static int
s_int (svcfw_ctx *ctx, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItem (svcfw_config (ctx), key);
    return cJSON_IsNumber (item) ? item->valueint : fallback;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *tag_item = cJSON_GetObjectItem (svcfw_config (ctx), "tag");
    const char *tag = cJSON_IsString (tag_item) ? tag_item->valuestring : "k";
    int count = s_int (ctx, "count", 10);
    int period_ms = s_int (ctx, "period_ms", 5);
    int gate_after = s_int (ctx, "gate_after", 0);
    const cJSON *gate_file = cJSON_GetObjectItem (svcfw_config (ctx), "gate_file");
    for (int i = 1; i <= count; i++) {
        cJSON *args = cJSON_CreateObject ();
        cJSON *patch = cJSON_AddObjectToObject (args, "state");
        char key [64];
        snprintf (key, sizeof key, "%s_%d", tag, i);
        cJSON_AddNumberToObject (patch, key, i);
        cJSON_AddNumberToObject (patch, "last", i);
        if (i % 3 == 0) {
            snprintf (key, sizeof key, "%s_%d", tag, i - 1);
            cJSON_AddNullToObject (patch, key);
        }
        if (svcfw_to_send (ctx, "state", "book", args, NULL) != 0) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "send %d failed: %s", i, svcfw_error (ctx));
            cJSON_Delete (args);
            return 3;
        }
        cJSON_Delete (args);
        char *text = cJSON_PrintUnformatted (svcfw_state (ctx, "book"));
        svcfw_log (ctx, SVCFW_LOG_INFO, "out state=%s", text ? text : "(none)");
        cJSON_free (text);
        if (!svcfw_sleep (ctx, period_ms))
            return 0;
        if (i == gate_after && cJSON_IsString (gate_file)) {
            int waited = 0;
            while (access (gate_file->valuestring, F_OK) != 0) {
                if (waited++ == 6000) {
                    svcfw_log (ctx, SVCFW_LOG_ERROR, "gate %s never opened", gate_file->valuestring);
                    return 3;
                }
                if (!svcfw_sleep (ctx, 10))
                    return 0;
            }
        }
    }
    svcfw_log (ctx, SVCFW_LOG_INFO, "published last=%d", count);
    while (svcfw_sleep (ctx, 1000))
        ;
    return 0;
}
