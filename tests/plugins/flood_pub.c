/*  flood_pub - test plugin: a main-mode publisher that floods its subscribers once told to.

    Config: "creation" (dict, the publisher's optional creation arguments,
    e.g. on_full), "count" (messages to send), "pad_bytes" (a string of that
    many bytes in each message), "go_file" (a path). Until go_file exists
    (at most 30 s) it publishes {"n": -1, "pad": ""} probes every 10 ms, so a
    test can see its subscribers have joined; then it sends n = 0..count-1
    as fast as it can, stopping at the first failure, and logs
    "flood done: sent S failed F" (and "send n=N failed: ERROR" for the
    failure). Then it waits for a stop and returns 0.
*/
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "svcfw.h"
#include "creation.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"count": "int", "go_file": "str"},
                     "optional": {"creation": "dict", "pad_bytes": "int"}},
    "connection_models": {
        "in": {},
        "out": {
            "flood": {
                "connection_type": "publisher",
                "required_creation_arguments": {},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int", "pad": "str"},
                "optional_arguments": {}
            }
        }
    }
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    return creation_from_config (config, "flood");
}

static int
s_send (svcfw_ctx *ctx, int n, const char *pad)
{
    cJSON *args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (args, "n", n);
    cJSON_AddStringToObject (args, "pad", pad);
    int rc = svcfw_to_send (ctx, "connection", "flood", args, NULL);
    cJSON_Delete (args);
    return rc;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *config = svcfw_config (ctx);
    int count = cJSON_GetObjectItem (config, "count")->valueint;
    const char *go_file = cJSON_GetObjectItem (config, "go_file")->valuestring;
    const cJSON *pad_bytes = cJSON_GetObjectItem (config, "pad_bytes");
    size_t pad_len = cJSON_IsNumber (pad_bytes) ? (size_t) pad_bytes->valueint : 0;
    char *pad = malloc (pad_len + 1);
    if (!pad)
        return 1;
    memset (pad, 'x', pad_len);
    pad [pad_len] = 0;
    for (int waited = 0; access (go_file, F_OK) != 0; waited += 10)
        if (waited > 30000 || s_send (ctx, -1, "") || !svcfw_sleep (ctx, 10)) {
            free (pad);
            return 1;
        }
    int sent = 0, failed = 0;
    for (int n = 0; n < count; n++) {
        if (s_send (ctx, n, pad)) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "send n=%d failed: %s", n, svcfw_error (ctx));
            failed++;
            break;
        }
        sent++;
    }
    free (pad);
    svcfw_log (ctx, SVCFW_LOG_INFO, "flood done: sent %d failed %d", sent, failed);
    while (svcfw_sleep (ctx, 100))
        ;
    return 0;
}
