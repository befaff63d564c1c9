/*  breaker_client - test plugin: a main-mode caller behind a circuit breaker with a fallback.

    Calls "quotes" every 10 ms until stopped. The requester has a breaker
    (window 2000 ms, 5 requests, 50 %, open 400 ms) and the fallback
    quote_fallback, which answers {"price": 0, "source": "fallback"}.
    Each call is timed around svcfw_to_send and logged as
    "call N: source=SOURCE took_us=US" (or "call N: failed took_us=US: ERROR").
*/
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {},
        "out": {
            "quotes": {
                "connection_type": "requester",
                "required_creation_arguments": {
                    "breaker": {"window_ms": 2000, "min_requests": 5, "error_percent": 50, "open_ms": 400},
                    "fallback": "quote_fallback"
                },
                "optional_creation_arguments": {"timeout_ms": 300, "retries": 0},
                "required_arguments": {"symbol": "str"},
                "optional_arguments": {},
                "required_return_arguments": {"price": "int", "source": "str"},
                "optional_return_arguments": {}
            }
        }
    }
});

static long long
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (long long) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int
quote_fallback (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    (void) args;
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "price", 0);
    cJSON_AddStringToObject (*return_args, "source", "fallback");
    return 0;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    cJSON *args = cJSON_CreateObject ();
    cJSON_AddStringToObject (args, "symbol", "ACME");
    for (int n = 1; svcfw_sleep (ctx, 10); n++) {
        cJSON *reply = NULL;
        long long start = s_now_us ();
        int rc = svcfw_to_send (ctx, "connection", "quotes", args, &reply);
        long long took = s_now_us () - start;
        if (rc == 0)
            svcfw_log (ctx, SVCFW_LOG_INFO, "call %d: source=%s took_us=%lld", n,
                       cJSON_GetObjectItem (reply, "source")->valuestring, took);
        else
            svcfw_log (ctx, SVCFW_LOG_INFO, "call %d: failed took_us=%lld: %s", n, took, svcfw_error (ctx));
        cJSON_Delete (reply);
    }
    cJSON_Delete (args);
    return 0;
}
