/*  bench_state_feed - main-mode owner of a delta state for bench/run: `count` small patches.

    Waits `warmup_ms` for the in side to sync, then sends {"state": {"kN": i}}
    over 100 keys as fast as it can, the last one also setting "done".
    Logs "SENT n patches in S s (R/s)", then serves snapshots until stopped.
    With `keys` > 0 it first fills the state with that many keys (for the
    late-joiner figure) and logs "FILLED".
*/
#include <stdio.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"count": "int"}, "optional": {"warmup_ms": "int", "keys": "int"}},
    "state_models": {"out": {"book": {"state_type": "delta_update_out"}}}
});

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *config = svcfw_config (ctx);
    int count = cJSON_GetObjectItem (config, "count")->valueint;
    const cJSON *w = cJSON_GetObjectItem (config, "warmup_ms");
    const cJSON *k = cJSON_GetObjectItem (config, "keys");
    char key [32];
    if (k && k->valueint > 0) {
        cJSON *args = cJSON_CreateObject ();
        cJSON *whole = cJSON_AddObjectToObject (args, "state");
        for (int i = 0; i < k->valueint; i++) {
            snprintf (key, sizeof key, "key%06d", i);
            cJSON *entry = cJSON_AddObjectToObject (whole, key);
            cJSON_AddNumberToObject (entry, "bid", 100 + i * 0.01);
            cJSON_AddNumberToObject (entry, "ask", 100.5 + i * 0.01);
        }
        cJSON_AddBoolToObject (args, "is_snapshot", 1);
        int rc = svcfw_to_send (ctx, "state", "book", args, NULL);
        cJSON_Delete (args);
        if (rc)
            return 1;
        svcfw_log (ctx, SVCFW_LOG_WARNING, "FILLED %d keys", k->valueint);
    }
    if (!svcfw_sleep (ctx, w? w->valueint: 500))
        return 0;
    double start = s_now ();
    for (int i = 1; i <= count; i++) {
        cJSON *args = cJSON_CreateObject ();
        cJSON *patch = cJSON_AddObjectToObject (args, "state");
        snprintf (key, sizeof key, "k%d", i % 100);
        cJSON_AddNumberToObject (patch, key, i);
        if (i == count)
            cJSON_AddNumberToObject (patch, "done", count);
        int rc = svcfw_to_send (ctx, "state", "book", args, NULL);
        cJSON_Delete (args);
        if (rc) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "patch %d: %s", i, svcfw_error (ctx));
            return 1;
        }
    }
    double seconds = s_now () - start;
    svcfw_log (ctx, SVCFW_LOG_WARNING, "SENT %d patches in %.3f s (%.0f/s)", count, seconds, count / seconds);
    while (svcfw_sleep (ctx, 200))
        ;
    return 0;
}
