/*  ticker_pub - test plugin: a main-mode producer with two connecting publishers.

    ticks_a publishes on topic "A", ticks_b on topic "B"; both connect
    (is_x_pub), so one binding subscriber can hear both. Every period_ms
    (config, default 20) it sends {"n": N, "src": "A"} then the same with
    "B", logging "sent A n=N wf=WF" / "sent B n=N wf=WF", until a stop is
    asked for; then returns 0. svcfw_sigint logs "sigint SIGNUM".
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"period_ms": "int"}},
    "connection_models": {
        "in": {},
        "out": {
            "ticks_a": {
                "connection_type": "publisher",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"topic": "A", "is_x_pub": true},
                "required_arguments": {"n": "int", "src": "str"},
                "optional_arguments": {}
            },
            "ticks_b": {
                "connection_type": "publisher",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"topic": "B", "is_x_pub": true},
                "required_arguments": {"n": "int", "src": "str"},
                "optional_arguments": {}
            }
        }
    }
});

static void
s_tick (svcfw_ctx *ctx, const char *output, const char *src, int n)
{
    cJSON *args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (args, "n", n);
    cJSON_AddStringToObject (args, "src", src);
    if (svcfw_to_send (ctx, "connection", output, args, NULL) == 0)
        svcfw_log (ctx, SVCFW_LOG_INFO, "sent %s n=%d wf=%s", src, n, svcfw_workflow_id (ctx));
    else
        svcfw_log (ctx, SVCFW_LOG_ERROR, "send %s n=%d failed: %s", src, n, svcfw_error (ctx));
    cJSON_Delete (args);
}

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *period = cJSON_GetObjectItem (svcfw_config (ctx), "period_ms");
    int period_ms = cJSON_IsNumber (period) ? period->valueint : 20;
    int n = 0;
    do {
        n++;
        s_tick (ctx, "ticks_a", "A", n);
        s_tick (ctx, "ticks_b", "B", n);
    } while (svcfw_sleep (ctx, period_ms));
    svcfw_log (ctx, SVCFW_LOG_INFO, "main stopping after n=%d", n);
    return 0;
}

void
svcfw_sigint (svcfw_ctx *ctx, int signum)
{
    svcfw_log (ctx, SVCFW_LOG_INFO, "sigint %d", signum);
}
