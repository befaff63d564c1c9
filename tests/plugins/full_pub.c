/*  full_pub - test plugin: a main-mode out side of the full-update state `level`.

    Sends `count` whole values (config, default 10), one every 10 ms:
    value i is {"n": i, "even": i is even}. Logs "out state=JSON" after each
    and "published last=N" after the last, then idles until stopped.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"count": "int"}},
    "connection_models": {"in": {}, "out": {}},
    "state_models": {
        "in": {},
        "out": {
            "level": {
                "state_type": "full_update_out",
                "required_creation_arguments": {},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int", "even": "bool"},
                "optional_arguments": {}
            }
        }
    }
});

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *count_item = cJSON_GetObjectItem (svcfw_config (ctx), "count");
    int count = cJSON_IsNumber (count_item) ? count_item->valueint : 10;
    for (int i = 1; i <= count; i++) {
        cJSON *value = cJSON_CreateObject ();
        cJSON_AddNumberToObject (value, "n", i);
        cJSON_AddBoolToObject (value, "even", i % 2 == 0);
        int rc = svcfw_to_send (ctx, "state", "level", value, NULL);
        cJSON_Delete (value);
        if (rc != 0) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "send %d failed: %s", i, svcfw_error (ctx));
            return 3;
        }
        char *text = cJSON_PrintUnformatted (svcfw_state (ctx, "level"));
        svcfw_log (ctx, SVCFW_LOG_INFO, "out state=%s", text ? text : "(none)");
        cJSON_free (text);
        if (!svcfw_sleep (ctx, 10))
            return 0;
    }
    svcfw_log (ctx, SVCFW_LOG_INFO, "published last=%d", count);
    while (svcfw_sleep (ctx, 1000))
        ;
    return 0;
}
