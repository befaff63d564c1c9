/*  dead_requester - test plugin: a main-mode requester whose replyer never answers.

    Sends one order with timeout_ms 300 and retries 2 (3 attempts), then logs
    "send failed after MS ms: ERROR" (or "unexpected reply") and returns 0.
*/
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "connection_models": {
        "in": {},
        "out": {
            "orders": {
                "connection_type": "requester",
                "required_creation_arguments": {},
                "optional_creation_arguments": {"timeout_ms": 300, "retries": 2},
                "required_arguments": {"order_id": "int"},
                "optional_arguments": {},
                "required_return_arguments": {"order_id": "int", "ok": "bool"},
                "optional_return_arguments": {}
            }
        }
    }
});

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
    cJSON *args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (args, "order_id", 1);
    cJSON *reply = NULL;
    long long start = s_now_ms ();
    int rc = svcfw_to_send (ctx, "connection", "orders", args, &reply);
    long long took = s_now_ms () - start;
    if (rc == 0)
        svcfw_log (ctx, SVCFW_LOG_INFO, "unexpected reply after %lld ms", took);
    else
        svcfw_log (ctx, SVCFW_LOG_INFO, "send failed after %lld ms: %s", took, svcfw_error (ctx));
    cJSON_Delete (reply);
    cJSON_Delete (args);
    return 0;
}
