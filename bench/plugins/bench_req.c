/*  bench_req - main-mode requester for bench/run: `count` round trips, one at a time.

    Logs "RTT p50_us=… p99_us=… rps=…" over the round trips after `warmup` ones.
*/
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"count": "int"}, "optional": {"warmup": "int", "size": "int"}},
    "connection_models": {"out": {"echo": {
        "connection_type": "requester",
        "optional_creation_arguments": {"timeout_ms": 5000, "retries": 0},
        "required_arguments": {"n": "int"},
        "optional_arguments": {"pad": "str"},
        "required_return_arguments": {"n": "int"}}}}
});

static int
s_cmp (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y? -1: x > y;
}

static double
s_now_us (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *config = svcfw_config (ctx);
    int count = cJSON_GetObjectItem (config, "count")->valueint;
    const cJSON *w = cJSON_GetObjectItem (config, "warmup");
    int warmup = w? w->valueint: 1000;
    const cJSON *s = cJSON_GetObjectItem (config, "size");
    int size = s? s->valueint: 110;
    double *rtt = malloc (count * sizeof *rtt);
    cJSON *args = cJSON_CreateObject ();
    cJSON *n = cJSON_AddNumberToObject (args, "n", 0);
    int pad_len = size > 90? size - 90: 1;
    char *pad = malloc (pad_len + 1);
    memset (pad, 'x', pad_len);
    pad [pad_len] = 0;
    cJSON_AddStringToObject (args, "pad", pad);
    double start = 0;
    for (int i = -warmup; i < count; i++) {
        if (i == 0)
            start = s_now_us ();
        cJSON_SetNumberValue (n, i);
        cJSON *reply = NULL;
        double t0 = s_now_us ();
        if (svcfw_to_send (ctx, "connection", "echo", args, &reply)) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "request %d: %s", i, svcfw_error (ctx));
            return 1;
        }
        double t1 = s_now_us ();
        if (i >= 0)
            rtt [i] = t1 - t0;
        cJSON_Delete (reply);
    }
    double seconds = (s_now_us () - start) / 1e6;
    qsort (rtt, count, sizeof *rtt, s_cmp);
    svcfw_log (ctx, SVCFW_LOG_WARNING, "RTT p50_us=%.1f p99_us=%.1f rps=%.0f",
               rtt [count / 2], rtt [count * 99 / 100], count / seconds);
    free (rtt);
    free (pad);
    cJSON_Delete (args);
    return 0;
}
