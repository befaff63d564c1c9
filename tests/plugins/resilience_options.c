/*  resilience_options - test plugin: a main-mode requester whose creation arguments come from the config.

    Config "creation" (dict) is merged into the requester "quotes"'s
    optional_creation_arguments by svcfw_setup_connections, so a test can
    try any resilience option. It exports one fallback, "cached_quote"
    (price 0). With "send": true svcfw_main sends one quote request (with
    the message id "message_id" when given) and logs "sent in MS ms:
    price=P message_id=ID" or "send failed after MS ms: ERROR"; it returns 0.
*/
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"creation": "dict", "send": "bool", "message_id": "str"}},
    "connection_models": {
        "in": {},
        "out": {
            "quotes": {
                "connection_type": "requester",
                "required_creation_arguments": {},
                "optional_creation_arguments": {},
                "required_arguments": {"symbol": "str"},
                "optional_arguments": {},
                "required_return_arguments": {"price": "int"},
                "optional_return_arguments": {}
            }
        }
    }
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    const cJSON *creation = cJSON_GetObjectItem (config, "creation");
    if (!creation)
        return NULL;
    cJSON *all = cJSON_CreateObject ();
    cJSON *quotes = cJSON_AddObjectToObject (all, "quotes");
    cJSON_AddItemToObject (quotes, "optional_creation_arguments", cJSON_Duplicate (creation, true));
    return all;
}

int
cached_quote (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    (void) args;
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "price", 0);
    return 0;
}

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
    const cJSON *config = svcfw_config (ctx);
    if (!cJSON_IsTrue (cJSON_GetObjectItem (config, "send")))
        return 0;
    const cJSON *id = cJSON_GetObjectItem (config, "message_id");
    if (cJSON_IsString (id) && svcfw_set_message_id (ctx, id->valuestring))
        return 1;
    cJSON *args = cJSON_CreateObject ();
    cJSON_AddStringToObject (args, "symbol", "ACME");
    cJSON *reply = NULL;
    long long start = s_now_ms ();
    int rc = svcfw_to_send (ctx, "connection", "quotes", args, &reply);
    long long took = s_now_ms () - start;
    if (rc == 0)
        svcfw_log (ctx, SVCFW_LOG_INFO, "sent in %lld ms: price=%d message_id=%s", took,
                   cJSON_GetObjectItem (reply, "price")->valueint, svcfw_message_id (ctx));
    else
        svcfw_log (ctx, SVCFW_LOG_INFO, "send failed after %lld ms: %s", took, svcfw_error (ctx));
    cJSON_Delete (reply);
    cJSON_Delete (args);
    return 0;
}
