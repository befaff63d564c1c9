/*  relay_once - test plugin: the middle of an exactly-once chain.

    A dedupe replyer "events" ({"n": int}) whose handler sends {"n": n}
    durably to "next", with a message id of its own per run of the handler:
    "IN.PID.K" (IN the handled message's id, PID this process, K a counter).
    Run with --store, the handler's send commits with the message's inbox
    mark: the store's table "outbox:next" then holds one row per committed
    run of the handler, which a test counts per n (a second committed run
    for an id would leave a second row, with another message id, that the
    sink would also receive).

    Config (optional): in_flight, batch (the next requester's in_flight and
    outbox_batch), timeout_ms (400).
*/
#include <stdio.h>
#include <unistd.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"in_flight": "int", "batch": "int", "timeout_ms": "int"}},
    "connection_models": {
        "in": {
            "events": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_event", "dedupe": true},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int"},
                "optional_arguments": {},
                "required_return_arguments": {"n": "int"},
                "optional_return_arguments": {}
            }
        },
        "out": {
            "next": {
                "connection_type": "requester",
                "required_creation_arguments": {"durable": true},
                "optional_creation_arguments": {"backoff_ms": 20, "backoff_max_ms": 200},
                "required_arguments": {"n": "int"},
                "optional_arguments": {},
                "required_return_arguments": {"n": "int"},
                "optional_return_arguments": {}
            }
        }
    }
});

static long s_runs;             //  handler runs in this process (one handler thread)

static int
s_config_int (const cJSON *config, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItem (config, key);
    return cJSON_IsNumber (item)? item->valueint: fallback;
}

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    cJSON *all = cJSON_CreateObject ();
    cJSON *optional = cJSON_AddObjectToObject (cJSON_AddObjectToObject (all, "next"), "optional_creation_arguments");
    cJSON_AddNumberToObject (optional, "in_flight", s_config_int (config, "in_flight", 1));
    cJSON_AddNumberToObject (optional, "outbox_batch", s_config_int (config, "batch", 1));
    cJSON_AddNumberToObject (optional, "timeout_ms", s_config_int (config, "timeout_ms", 400));
    return all;
}

int
on_event (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    int n = cJSON_GetObjectItem (args, "n")->valueint;
    char id [256];
    snprintf (id, sizeof id, "%s.%d.%ld", svcfw_message_id (ctx), (int) getpid (), ++s_runs);
    cJSON *out = cJSON_CreateObject ();
    cJSON_AddNumberToObject (out, "n", n);
    int rc = svcfw_set_message_id (ctx, id) || svcfw_to_send (ctx, "connection", "next", out, NULL);
    cJSON_Delete (out);
    if (rc)
        return svcfw_fail (ctx, "%s", svcfw_error (ctx));
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "n", n);
    return 0;
}
