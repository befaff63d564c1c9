/*  bench_sub - subscriber for bench/run: counts what it handles.

    Logs "ALL n" once it has handled config `count` messages, and on SIGTERM
    (svcfw_sigint) "RECEIVED n msgs, first->last S s (R msgs/s), max seq M".
    Config `max_message_bytes` declares the largest message it takes (as a
    subscriber that knows its feed would), which also sets how many
    messages may wait in its socket.
*/
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"optional": {"count": "int", "max_message_bytes": "int"}},
    "connection_models": {"in": {"ticks": {
        "connection_type": "subscriber",
        "required_creation_arguments": {"on_new_message": "on_tick"},
        "optional_creation_arguments": {"topic": "AAPL"},
        "required_arguments": {"symbol": "str", "price": "float", "seq": "int"},
        "optional_arguments": {"pad": "str"}}}}
});

cJSON *
svcfw_setup_connections (const cJSON *config)
{
    const cJSON *max = cJSON_GetObjectItem (config, "max_message_bytes");
    if (!cJSON_IsNumber (max))
        return NULL;
    cJSON *all = cJSON_CreateObject ();
    cJSON *ticks = cJSON_AddObjectToObject (all, "ticks");
    cJSON *creation = cJSON_AddObjectToObject (ticks, "optional_creation_arguments");
    cJSON_AddStringToObject (creation, "topic", "AAPL");
    cJSON_AddNumberToObject (creation, "max_message_bytes", max->valuedouble);
    return all;
}

static long s_received;
static double s_first, s_last, s_max_seq = -1;

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
on_tick (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;
    double now = s_now ();
    if (s_received++ == 0)
        s_first = now;
    s_last = now;
    //  What a handler that counts would do, no more: "seq" looked up as
    //  its model spells it, the config's count read once.
    double seq = cJSON_GetObjectItemCaseSensitive (args, "seq")->valuedouble;
    if (seq > s_max_seq)
        s_max_seq = seq;
    static long count = -1;
    if (count == -1) {
        const cJSON *item = cJSON_GetObjectItem (svcfw_config (ctx), "count");
        count = item? item->valueint: 0;
    }
    if (s_received == count)
        svcfw_log (ctx, SVCFW_LOG_WARNING, "ALL %ld", s_received);
    return 0;
}

void
svcfw_sigint (svcfw_ctx *ctx, int signum)
{
    (void) signum;
    double seconds = s_last - s_first;
    svcfw_log (ctx, SVCFW_LOG_WARNING, "RECEIVED %ld msgs, first->last %.3f s (%.0f msgs/s), max seq %.0f",
               s_received, seconds, s_received > 1 && seconds > 0? (s_received - 1) / seconds: 0, s_max_seq);
}
