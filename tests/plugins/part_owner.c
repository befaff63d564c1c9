/*  part_owner - test plugin: one side of a partition test, a main-mode requester and state owner.

    Every period_ms (config, default 200) it sets key "kN": N and "n": N in
    its out-state `tally` (N = 1, 2, ...), then sends {"n": N} on its
    requester `work` and logs "reply n=N in MS ms" or "send n=N failed
    after MS ms: ERROR". Once the file `stop_file` (config) exists it logs
    "FINAL n=N", stops changing anything and idles until stopped.
*/
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"period_ms": "int", "stop_file": "str"}},
    "connection_models": {
        "in": {},
        "out": {
            "work": {
                "connection_type": "requester",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"timeout_ms": 1000, "retries": 2},
                "required_arguments": {"n": "int"},
                "optional_arguments": {},
                "required_return_arguments": {"n": "int"},
                "optional_return_arguments": {}
            }
        }
    },
    "state_models": {
        "in": {},
        "out": {
            "tally": {
                "state_type": "delta_update_out",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"topic": "tally"}
            }
        }
    }
});

static long long
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *period_item = cJSON_GetObjectItem (svcfw_config (ctx), "period_ms");
    const cJSON *stop_item = cJSON_GetObjectItem (svcfw_config (ctx), "stop_file");
    int period = cJSON_IsNumber (period_item)? period_item->valueint: 200;
    const char *stop_file = cJSON_IsString (stop_item)? stop_item->valuestring: NULL;
    int n = 0;
    while (!stop_file || access (stop_file, F_OK) != 0) {
        n++;
        char key [32];
        snprintf (key, sizeof key, "k%d", n);
        cJSON *patch = cJSON_CreateObject ();
        cJSON *change = cJSON_AddObjectToObject (patch, "state");
        cJSON_AddNumberToObject (change, "n", n);
        cJSON_AddNumberToObject (change, key, n);
        if (svcfw_to_send (ctx, "state", "tally", patch, NULL))
            svcfw_log (ctx, SVCFW_LOG_ERROR, "tally n=%d: %s", n, svcfw_error (ctx));
        cJSON_Delete (patch);

        cJSON *args = cJSON_CreateObject ();
        cJSON_AddNumberToObject (args, "n", n);
        cJSON *reply = NULL;
        long long start = s_now_ms ();
        int rc = svcfw_to_send (ctx, "connection", "work", args, &reply);
        long long took = s_now_ms () - start;
        cJSON_Delete (args);
        if (rc == 0)
            svcfw_log (ctx, SVCFW_LOG_INFO, "reply n=%d in %lld ms", n, took);
        else
            svcfw_log (ctx, SVCFW_LOG_WARNING, "send n=%d failed after %lld ms: %s", n, took, svcfw_error (ctx));
        cJSON_Delete (reply);
        if (!svcfw_sleep (ctx, period))
            return 0;
    }
    svcfw_log (ctx, SVCFW_LOG_INFO, "FINAL n=%d", n);
    while (svcfw_sleep (ctx, 100))
        ;
    return 0;
}
