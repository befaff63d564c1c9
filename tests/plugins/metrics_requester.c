/*  metrics_requester - test plugin: main mode, a fixed mix of requests for e2e_admin's counts.

    On "quotes" (timeout 200 ms, no retries): 3 x "A" (ok), 2 x "FAIL"
    (error_reply), 2 x "SLOW" (timeout: the replyer takes 1 s). On
    "guarded" (a dead endpoint; breaker min_requests 2, error_percent 50,
    open for a minute): 2 timeouts open the circuit, then 2 x circuit_open.
    Then logs "mix done" and waits until stopped.
*/
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {},
        "out": {
            "quotes": {
                "connection_type": "requester",
                "optional_creation_arguments": {"timeout_ms": 200, "retries": 0},
                "required_arguments": {"symbol": "str"},
                "required_return_arguments": {"price": "int"}
            },
            "guarded": {
                "connection_type": "requester",
                "required_creation_arguments": {
                    "breaker": {"window_ms": 60000, "min_requests": 2, "error_percent": 50, "open_ms": 60000}
                },
                "optional_creation_arguments": {"timeout_ms": 100, "retries": 0},
                "required_arguments": {"symbol": "str"},
                "required_return_arguments": {"price": "int"}
            }
        }
    }
});

static void
s_ask (svcfw_ctx *ctx, const char *connection, const char *symbol, int times)
{
    for (int i = 0; i < times; i++) {
        cJSON *args = cJSON_CreateObject ();
        cJSON_AddStringToObject (args, "symbol", symbol);
        cJSON *reply = NULL;
        int rc = svcfw_to_send (ctx, "connection", connection, args, &reply);
        svcfw_log (ctx, SVCFW_LOG_INFO, "%s %s: %s", connection, symbol, rc? svcfw_error (ctx): "ok");
        cJSON_Delete (reply);
        cJSON_Delete (args);
    }
}

int
svcfw_main (svcfw_ctx *ctx)
{
    s_ask (ctx, "quotes", "A", 3);
    s_ask (ctx, "quotes", "FAIL", 2);
    s_ask (ctx, "quotes", "SLOW", 2);
    s_ask (ctx, "guarded", "A", 4);
    svcfw_log (ctx, SVCFW_LOG_INFO, "mix done");
    while (svcfw_sleep (ctx, 50))
        ;
    return 0;
}
