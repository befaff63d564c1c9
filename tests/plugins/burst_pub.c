/*  burst_pub - test plugin: a main-mode publisher that sends `count` messages {"n": N} as fast as it
    can once one subscriber has joined (min_subscribers), then returns, so the process exits right
    after its last send: what its queue still holds must reach the subscriber. With `pad_bytes`
    (config), each message also carries "pad", a string of that many bytes; with `hold_file`, it
    returns only once that file exists (at most 60 s; 1 if it never comes). With `bad_at`, before
    message bad_at it sends {"n": "bad"} too, which must be refused: it logs "refused: ERROR" and
    goes on (1 if it was sent).
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"count": "int"}, "optional": {"pad_bytes": "int", "hold_file": "str", "bad_at": "int"}},
    "connection_models": {
        "in": {},
        "out": {
            "ticks": {
                "connection_type": "publisher",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"min_subscribers": 1, "join_timeout_ms": 10000},
                "required_arguments": {"n": "int"},
                "optional_arguments": {"pad": "str"}
            }
        }
    }
});

int
svcfw_main (svcfw_ctx *ctx)
{
    int count = cJSON_GetObjectItem (svcfw_config (ctx), "count")->valueint;
    cJSON *args = cJSON_CreateObject ();
    cJSON *n = cJSON_AddNumberToObject (args, "n", 0);
    const cJSON *pad_bytes = cJSON_GetObjectItem (svcfw_config (ctx), "pad_bytes");
    if (cJSON_IsNumber (pad_bytes)) {
        char *pad = malloc ((size_t) pad_bytes->valueint + 1);
        if (!pad) {
            cJSON_Delete (args);
            return 1;
        }
        memset (pad, 'x', (size_t) pad_bytes->valueint);
        pad [pad_bytes->valueint] = 0;
        cJSON_AddStringToObject (args, "pad", pad);
        free (pad);
    }
    const cJSON *bad_at = cJSON_GetObjectItem (svcfw_config (ctx), "bad_at");
    for (int i = 0; i < count; i++) {
        if (cJSON_IsNumber (bad_at) && i == bad_at->valueint) {
            cJSON *bad = cJSON_CreateObject ();
            cJSON_AddStringToObject (bad, "n", "bad");
            int rc = svcfw_to_send (ctx, "connection", "ticks", bad, NULL);
            cJSON_Delete (bad);
            if (rc == 0) {
                svcfw_log (ctx, SVCFW_LOG_ERROR, "{\"n\": \"bad\"} was sent");
                cJSON_Delete (args);
                return 1;
            }
            svcfw_log (ctx, SVCFW_LOG_WARNING, "refused: %s", svcfw_error (ctx));
        }
        cJSON_SetNumberValue (n, i);
        if (svcfw_to_send (ctx, "connection", "ticks", args, NULL)) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "send %d failed: %s", i, svcfw_error (ctx));
            cJSON_Delete (args);
            return 1;
        }
    }
    cJSON_Delete (args);
    svcfw_log (ctx, SVCFW_LOG_INFO, "burst sent %d", count);
    const cJSON *hold_file = cJSON_GetObjectItem (svcfw_config (ctx), "hold_file");
    if (cJSON_IsString (hold_file)) {
        for (int waited = 0; access (hold_file->valuestring, F_OK) != 0; waited += 10)
            if (waited > 60000 || !svcfw_sleep (ctx, 10))
                return 1;
    }
    return 0;
}
