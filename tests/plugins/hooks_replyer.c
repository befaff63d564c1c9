/*  hooks_replyer - test plugin: a replyer shaped by its setup hooks.

    svcfw_setup_config adds "greeting": "hello" when the config has none;
    svcfw_setup_addresses sets the orders replyer's address from config
    `port`; svcfw_setup_connections sets its max_message_bytes from config
    `limit`; svcfw_init logs "init ran greeting=G". The handler answers
    {order_id, ok} and logs "got order ID greeting=G".
*/
#include <stdio.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {
        "required": {"greeting": "str"},
        "optional": {"port": "int", "limit": "int"}
    },
    "connection_models": {
        "in": {
            "orders": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_order"},
                "optional_creation_arguments": {},
                "required_arguments": {"order_id": "int"},
                "optional_arguments": {"note": "str"},
                "required_return_arguments": {"order_id": "int", "ok": "bool"},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    }
});

static const char *
s_greeting (svcfw_ctx *ctx)
{
    return cJSON_GetObjectItem (svcfw_config (ctx), "greeting")->valuestring;
}

int
svcfw_setup_config (cJSON *config)
{
    if (!cJSON_HasObjectItem (config, "greeting"))
        cJSON_AddStringToObject (config, "greeting", "hello");
    return 0;
}

//  The object `name` in `parent`, made if missing.
static cJSON *
s_object (cJSON *parent, const char *name)
{
    cJSON *object = cJSON_GetObjectItem (parent, name);
    return object ? object : cJSON_AddObjectToObject (parent, name);
}

int
svcfw_setup_addresses (cJSON *addresses, const cJSON *config)
{
    const cJSON *port = cJSON_GetObjectItem (config, "port");
    if (!cJSON_IsNumber (port))
        return 0;
    cJSON *orders = s_object (s_object (s_object (addresses, "connections"), "in"), "orders");
    char address [64];
    snprintf (address, sizeof address, "127.0.0.1:%d", port->valueint);
    cJSON_DeleteItemFromObject (orders, "replyer");
    cJSON_AddStringToObject (orders, "replyer", address);
    return 0;
}

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    const cJSON *limit = cJSON_GetObjectItem (config, "limit");
    if (!cJSON_IsNumber (limit))
        return NULL;
    cJSON *extra = cJSON_CreateObject ();
    cJSON *creation = s_object (s_object (extra, "orders"), "optional_creation_arguments");
    cJSON_AddNumberToObject (creation, "max_message_bytes", limit->valueint);
    return extra;
}

int
svcfw_init (svcfw_ctx *ctx)
{
    svcfw_log (ctx, SVCFW_LOG_INFO, "init ran greeting=%s", s_greeting (ctx));
    return 0;
}

int
on_order (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    int id = cJSON_GetObjectItem (args, "order_id")->valueint;
    svcfw_log (ctx, SVCFW_LOG_INFO, "got order %d greeting=%s", id, s_greeting (ctx));
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "order_id", id);
    cJSON_AddBoolToObject (*return_args, "ok", true);
    return 0;
}
