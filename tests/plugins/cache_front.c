/*  cache_front - test plugin: a replyer with 50 workers whose handler asks
    a caching requester.

    "ask" {sku, ...} sends its args on to the requester "price" and answers
    {sku, calls} from the reply. The requester's "cache" creation argument
    comes from config `cache` (svcfw_setup_connections), so a test chooses
    ttl_ms, beta and max_entries; without it there is no cache.
*/
#include <stdio.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"cache": "any"}},
    "connection_models": {
        "in": {
            "ask": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_ask"},
                "optional_creation_arguments": {"workers": 50},
                "required_arguments": {"sku": "str"},
                "optional_arguments": {"qty": "int", "opts": "dict"},
                "required_return_arguments": {"sku": "str", "calls": "int"},
                "optional_return_arguments": {}
            }
        },
        "out": {
            "price": {
                "connection_type": "requester",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"timeout_ms": 5000, "retries": 0},
                "required_arguments": {"sku": "str"},
                "optional_arguments": {"qty": "int", "opts": "dict"},
                "required_return_arguments": {"sku": "str", "calls": "int"},
                "optional_return_arguments": {}
            }
        }
    }
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    const cJSON *cache = cJSON_GetObjectItem (config, "cache");
    if (!cache)
        return NULL;
    cJSON *extra = cJSON_CreateObject ();
    cJSON *creation = cJSON_AddObjectToObject (cJSON_AddObjectToObject (extra, "price"),
                                               "optional_creation_arguments");
    cJSON_AddItemToObject (creation, "cache", cJSON_Duplicate (cache, 1));
    return extra;
}

int
on_ask (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    cJSON *reply = NULL;
    if (svcfw_to_send (ctx, "connection", "price", args, &reply))
        return svcfw_fail (ctx, "price: %s", svcfw_error (ctx));
    *return_args = reply;
    return 0;
}
