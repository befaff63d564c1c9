/*  bench_durable_src - main-mode producer of durable messages for bench/run.

    Stores `count` messages in the SQLite outbox of its durable requester
    `events` (outbox path `outbox` from config), waits until the sender has
    delivered them all (svcfw_outbox_pending reaches 0, bounded by 120 s),
    and logs "DELIVERED n in S s (R msgs/s), stored at Q msgs/s". With
    `group` G > 1, every G sends are one group commit (svcfw_outbox_begin,
    svcfw_outbox_commit).
*/
#include <stdio.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"count": "int", "outbox": "str"}, "optional": {"batch": "int", "in_flight": "int", "synchronous": "str",
                                                                     "group": "int"}},
    "connection_models": {"out": {"events": {
        "connection_type": "requester",
        "optional_creation_arguments": {"durable": true},
        "required_arguments": {"n": "int"},
        "required_return_arguments": {"n": "int"}}}}
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    cJSON *extra = cJSON_CreateObject ();
    cJSON *creation = cJSON_AddObjectToObject (cJSON_AddObjectToObject (extra, "events"),
                                               "optional_creation_arguments");
    cJSON_AddStringToObject (creation, "outbox", cJSON_GetObjectItem (config, "outbox")->valuestring);
    const cJSON *batch = cJSON_GetObjectItem (config, "batch");
    if (batch)
        cJSON_AddNumberToObject (creation, "outbox_batch", batch->valueint);
    const cJSON *in_flight = cJSON_GetObjectItem (config, "in_flight");
    if (in_flight)
        cJSON_AddNumberToObject (creation, "in_flight", in_flight->valueint);
    const cJSON *sync = cJSON_GetObjectItem (config, "synchronous");
    if (sync)
        cJSON_AddStringToObject (creation, "synchronous", sync->valuestring);
    return extra;
}

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
    int count = cJSON_GetObjectItem (svcfw_config (ctx), "count")->valueint;
    cJSON *args = cJSON_CreateObject ();
    cJSON *n = cJSON_AddNumberToObject (args, "n", 0);
    char id [32];
    const cJSON *group_item = cJSON_GetObjectItem (svcfw_config (ctx), "group");
    int group = group_item? group_item->valueint: 1;
    double start = s_now ();
    for (int i = 0; i < count; i++) {
        if (group > 1 && i % group == 0 && svcfw_outbox_begin (ctx)) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "begin %d: %s", i, svcfw_error (ctx));
            cJSON_Delete (args);
            return 1;
        }
        cJSON_SetNumberValue (n, i);
        snprintf (id, sizeof id, "m%d", i);
        svcfw_set_message_id (ctx, id);
        if (svcfw_to_send (ctx, "connection", "events", args, NULL)) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "store %d: %s", i, svcfw_error (ctx));
            cJSON_Delete (args);
            return 1;
        }
        if (group > 1 && (i % group == group - 1 || i == count - 1) && svcfw_outbox_commit (ctx)) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "commit %d: %s", i, svcfw_error (ctx));
            cJSON_Delete (args);
            return 1;
        }
    }
    double stored = s_now ();
    cJSON_Delete (args);
    double deadline = stored + 120;
    long pending;
    //  Each look counts the pending rows (a scan): rarely while many are
    //  left, every 2 ms near the end.
    while ((pending = svcfw_outbox_pending (ctx, "events")) > 0 && s_now () < deadline)
        if (!svcfw_sleep (ctx, pending > 20000? 50: pending > 2000? 10: 2))
            return 0;
    double end = s_now ();
    if (pending != 0) {
        svcfw_log (ctx, SVCFW_LOG_ERROR, "%ld messages still pending", pending);
        return 1;
    }
    svcfw_log (ctx, SVCFW_LOG_WARNING, "DELIVERED %d in %.3f s (%.0f msgs/s), stored at %.0f msgs/s",
               count, end - start, count / (end - start), count / (stored - start));
    return 0;
}
