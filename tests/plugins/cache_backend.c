/*  cache_backend - test plugin: a replyer that counts its calls.

    "price" answers {sku, calls} where calls counts every call so far, after
    sleeping config `delay_ms` (default 0), and logs "backend call sku=S
    n=N" for each, so a test counts the round trips a cache let through.
*/
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {}, "optional": {"delay_ms": "int"}},
    "connection_models": {
        "in": {
            "price": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_price"},
                "optional_creation_arguments": {},
                "required_arguments": {"sku": "str"},
                "optional_arguments": {"qty": "int", "opts": "dict"},
                "required_return_arguments": {"sku": "str", "calls": "int"},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    }
});

static atomic_int s_calls;

int
on_price (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    int n = atomic_fetch_add (&s_calls, 1) + 1;
    const char *sku = cJSON_GetObjectItem (args, "sku")->valuestring;
    svcfw_log (ctx, SVCFW_LOG_INFO, "backend call sku=%s n=%d", sku, n);
    const cJSON *delay = cJSON_GetObjectItem (svcfw_config (ctx), "delay_ms");
    if (cJSON_IsNumber (delay) && delay->valueint > 0) {
        struct timespec ts = { delay->valueint / 1000, (delay->valueint % 1000) * 1000000L };
        nanosleep (&ts, NULL);
    }
    *return_args = cJSON_CreateObject ();
    cJSON_AddStringToObject (*return_args, "sku", sku);
    cJSON_AddNumberToObject (*return_args, "calls", n);
    return 0;
}
