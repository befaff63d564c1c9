/*  durable_source - test plugin: a main-mode producer of durable messages "m00001", "m00002", …

    Sends `count` messages (config, default 10000) to the durable requester
    "events", each with its own message id (svcfw_set_message_id), always
    from the first: after a crash, the outbox ignores the ids it already
    holds, so a restarted producer simply starts over. With `window` > 0 it
    waits while more than `window` messages are pending (back-pressure), so
    the sending spreads over the delivery. Then it waits until the outbox is
    empty and returns 0.

    Config: count, first (the first id sent, default 1), window, batch (the outbox_batch, default 1),
    timeout_ms (400), backoff_ms (20), backoff_max_ms (200), outbox (the
    outbox file; default beside the config), in_flight (the requester's,
    default 1), group (every G sends one group commit, svcfw_outbox_begin
    and svcfw_outbox_commit; default 1: none).
    Logs "init: N pending" (svcfw_init sees the outbox), "enqueued N in MS
    ms", and "all delivered in MS ms".
*/
#include <stdio.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {
        "required": {},
        "optional": {"count": "int", "first": "int", "window": "int", "batch": "int", "timeout_ms": "int",
                     "backoff_ms": "int", "backoff_max_ms": "int", "outbox": "str", "in_flight": "int",
                     "group": "int"}
    },
    "connection_models": {
        "in": {},
        "out": {
            "events": {
                "connection_type": "requester",
                "required_creation_arguments": {"durable": true},
                "optional_creation_arguments": {"timeout_ms": 400, "backoff_ms": 20, "backoff_max_ms": 200},
                "required_arguments": {"n": "int"},
                "optional_arguments": {},
                "required_return_arguments": {"n": "int"},
                "optional_return_arguments": {}
            }
        }
    }
});

static int
s_config_int (const cJSON *config, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItem (config, key);
    return cJSON_IsNumber (item)? item->valueint: fallback;
}

static long long
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

//  Creation arguments from the config: batch and timings.
cJSON *
svcfw_setup_connections (const cJSON *config)
{
    cJSON *all = cJSON_CreateObject ();
    cJSON *events = cJSON_AddObjectToObject (all, "events");
    cJSON *optional = cJSON_AddObjectToObject (events, "optional_creation_arguments");
    cJSON_AddNumberToObject (optional, "outbox_batch", s_config_int (config, "batch", 1));
    cJSON_AddNumberToObject (optional, "timeout_ms", s_config_int (config, "timeout_ms", 400));
    cJSON_AddNumberToObject (optional, "in_flight", s_config_int (config, "in_flight", 1));
    cJSON_AddNumberToObject (optional, "backoff_ms", s_config_int (config, "backoff_ms", 20));
    cJSON_AddNumberToObject (optional, "backoff_max_ms", s_config_int (config, "backoff_max_ms", 200));
    const cJSON *outbox = cJSON_GetObjectItem (config, "outbox");
    if (cJSON_IsString (outbox))
        cJSON_AddStringToObject (optional, "outbox", outbox->valuestring);
    return all;
}

int
svcfw_init (svcfw_ctx *ctx)
{
    long pending = svcfw_outbox_pending (ctx, "events");
    if (pending < 0)
        return svcfw_fail (ctx, "%s", svcfw_error (ctx));
    svcfw_log (ctx, SVCFW_LOG_INFO, "init: %ld pending", pending);
    //  The group calls' misuse is refused with a reason (an empty group commits).
    if (svcfw_outbox_commit (ctx) == 0)
        return svcfw_fail (ctx, "svcfw_outbox_commit without a group succeeded");
    svcfw_log (ctx, SVCFW_LOG_INFO, "init: commit alone: %s", svcfw_error (ctx));
    if (svcfw_outbox_begin (ctx) || svcfw_outbox_begin (ctx) == 0)
        return svcfw_fail (ctx, "svcfw_outbox_begin twice: %s", svcfw_error (ctx));
    svcfw_log (ctx, SVCFW_LOG_INFO, "init: begin twice: %s", svcfw_error (ctx));
    if (svcfw_outbox_commit (ctx))
        return svcfw_fail (ctx, "an empty group: %s", svcfw_error (ctx));
    return 0;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *config = svcfw_config (ctx);
    int count = s_config_int (config, "count", 10000);
    int window = s_config_int (config, "window", 0);
    int group = s_config_int (config, "group", 1);
    int in_group = 0;           //  sends in the open group
    //  The back-pressure wait needs the group committed (its rows are sent only then).
    long long start = s_now_ms ();
    cJSON *args = cJSON_CreateObject ();
    cJSON *n = cJSON_AddNumberToObject (args, "n", 0);
    for (int i = s_config_int (config, "first", 1); i <= count; i++) {
        char id [32];
        snprintf (id, sizeof id, "m%05d", i);
        cJSON_SetNumberValue (n, i);
        bool group_ends = group > 1 && (in_group + 1 == group || i == count);
        if ((group > 1 && in_group == 0 && svcfw_outbox_begin (ctx))
        ||  svcfw_set_message_id (ctx, id) || svcfw_to_send (ctx, "connection", "events", args, NULL)
        ||  (group_ends && svcfw_outbox_commit (ctx))) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "send %s failed: %s", id, svcfw_error (ctx));
            cJSON_Delete (args);
            return 1;
        }
        in_group = group_ends? 0: in_group + (group > 1);
        while (window > 0 && in_group == 0 && svcfw_outbox_pending (ctx, "events") > window)
            if (!svcfw_sleep (ctx, 2)) {
                cJSON_Delete (args);
                return 0;
            }
    }
    cJSON_Delete (args);
    svcfw_log (ctx, SVCFW_LOG_INFO, "enqueued %d in %lld ms", count, s_now_ms () - start);
    while (svcfw_outbox_pending (ctx, "events") > 0)
        if (!svcfw_sleep (ctx, 5))
            return 0;
    svcfw_log (ctx, SVCFW_LOG_INFO, "all delivered in %lld ms", s_now_ms () - start);
    return 0;
}
