/*  producer - test plugin: a main-mode producer with one binding publisher, no topic.

    Every period_ms (config, default 50) it publishes {"n": N, "src":
    "producer"} on `ticks`, logging "sent producer n=N wf=WF", until a stop
    is asked for; then returns 0.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"period_ms": "int"}},
    "connection_models": {
        "in": {},
        "out": {
            "ticks": {
                "connection_type": "publisher",
                "required_creation_arguments": {},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int", "src": "str"},
                "optional_arguments": {}
            }
        }
    }
});

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *period = cJSON_GetObjectItem (svcfw_config (ctx), "period_ms");
    int period_ms = cJSON_IsNumber (period) ? period->valueint : 50;
    int n = 0;
    do {
        n++;
        cJSON *args = cJSON_CreateObject ();
        cJSON_AddNumberToObject (args, "n", n);
        cJSON_AddStringToObject (args, "src", "producer");
        if (svcfw_to_send (ctx, "connection", "ticks", args, NULL) == 0)
            svcfw_log (ctx, SVCFW_LOG_INFO, "sent producer n=%d wf=%s", n,
                       svcfw_workflow_id (ctx));
        else
            svcfw_log (ctx, SVCFW_LOG_ERROR, "send n=%d failed: %s", n, svcfw_error (ctx));
        cJSON_Delete (args);
    } while (svcfw_sleep (ctx, period_ms));
    return 0;
}
