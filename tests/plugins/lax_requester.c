/*  lax_requester - test plugin: a main-mode requester whose return model requires nothing.

    Config: timeout_ms and retries (ints, required), set on its requester
    "quotes" through svcfw_setup_connections. svcfw_main sends one request
    {"symbol": "AAPL"} and logs "reply: JSON" or "send failed: ERROR", then
    returns 0 (answered) or 3 (failed).
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {
        "required": {"timeout_ms": "int", "retries": "int"}
    },
    "connection_models": {
        "in": {},
        "out": {
            "quotes": {
                "connection_type": "requester",
                "required_arguments": {"symbol": "str"},
                "optional_return_arguments": {"*": "any"}
            }
        }
    }
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    cJSON *all = cJSON_CreateObject ();
    cJSON *options = cJSON_AddObjectToObject (cJSON_AddObjectToObject (all, "quotes"),
                                              "optional_creation_arguments");
    cJSON_AddNumberToObject (options, "timeout_ms",
                             cJSON_GetObjectItem (config, "timeout_ms")->valueint);
    cJSON_AddNumberToObject (options, "retries", cJSON_GetObjectItem (config, "retries")->valueint);
    return all;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    cJSON *args = cJSON_CreateObject ();
    cJSON_AddStringToObject (args, "symbol", "AAPL");
    cJSON *reply = NULL;
    int rc = svcfw_to_send (ctx, "connection", "quotes", args, &reply);
    cJSON_Delete (args);
    if (rc) {
        svcfw_log (ctx, SVCFW_LOG_INFO, "send failed: %s", svcfw_error (ctx));
        return 3;
    }
    char *text = cJSON_PrintUnformatted (reply);
    svcfw_log (ctx, SVCFW_LOG_INFO, "reply: %s", text? text: "?");
    cJSON_free (text);
    cJSON_Delete (reply);
    return 0;
}
