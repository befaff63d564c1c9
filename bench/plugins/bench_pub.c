/*  bench_pub - main-mode publisher for bench/run: `count` messages of about `size` bytes, as fast as it can.

    Waits `warmup_ms` (default 300) for subscribers to connect, sends, then
    logs "SENT n msgs in S s (R msgs/s)" and exits.
*/
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"count": "int"}, "optional": {"size": "int", "warmup_ms": "int"}},
    "connection_models": {"out": {"ticks": {
        "connection_type": "publisher",
        "optional_creation_arguments": {"topic": "AAPL"},
        "required_arguments": {"symbol": "str", "price": "float", "seq": "int"},
        "optional_arguments": {"pad": "str"}}}}
});

static int
s_config (svcfw_ctx *ctx, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItem (svcfw_config (ctx), key);
    return item? item->valueint: fallback;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    int count = s_config (ctx, "count", 100000);
    int size = s_config (ctx, "size", 110);
    if (!svcfw_sleep (ctx, s_config (ctx, "warmup_ms", 300)))
        return 0;
    //  The envelope around args is about 100 bytes; pad the rest.
    int pad_len = size > 110? size - 110: 1;
    char *pad = malloc (pad_len + 1);
    memset (pad, 'x', pad_len);
    pad [pad_len] = 0;
    cJSON *args = cJSON_CreateObject ();
    cJSON_AddStringToObject (args, "symbol", "AAPL");
    cJSON *price = cJSON_AddNumberToObject (args, "price", 0);
    cJSON *seq = cJSON_AddNumberToObject (args, "seq", 0);
    cJSON_AddStringToObject (args, "pad", pad);
    struct timespec start, end;
    clock_gettime (CLOCK_MONOTONIC, &start);
    int sent = 0;
    for (int i = 0; i < count; i++) {
        cJSON_SetNumberValue (price, 100 + i * 0.25);
        cJSON_SetNumberValue (seq, i);
        if (svcfw_to_send (ctx, "connection", "ticks", args, NULL)) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "send %d: %s", i, svcfw_error (ctx));
            break;
        }
        sent++;
    }
    clock_gettime (CLOCK_MONOTONIC, &end);
    double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
    svcfw_log (ctx, SVCFW_LOG_WARNING, "SENT %d msgs in %.3f s (%.0f msgs/s)", sent, seconds, sent / seconds);
    cJSON_Delete (args);
    free (pad);
    return sent == count? 0: 1;
}
