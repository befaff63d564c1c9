/*  bench_state_mirror - in side of bench_state_feed's delta state: measures applied updates.

    Logs "SYNCED keys=N after S ms" when the first value arrives (time from
    process start) and "APPLIED n updates, first->last S s (R/s)" when the
    patch carrying "done" has been applied.
*/
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "state_models": {"in": {"book": {"state_type": "delta_update_in",
                                     "optional_creation_arguments": {"on_update": "on_book"}}}}
});

static long s_updates;
static double s_first, s_start;
static int s_synced;

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
svcfw_init (svcfw_ctx *ctx)
{
    (void) ctx;
    s_start = s_now ();
    return 0;
}

int
on_book (svcfw_ctx *ctx, const cJSON *book, cJSON **return_args)
{
    (void) return_args;
    double now = s_now ();
    if (!s_synced && cJSON_GetArraySize (book) > 0) {
        s_synced = 1;
        svcfw_log (ctx, SVCFW_LOG_WARNING, "SYNCED keys=%d after %.1f ms", cJSON_GetArraySize (book),
                   (now - s_start) * 1000);
    }
    if (!s_synced)
        return 0;                   //  the empty value before the feed starts: not an update
    if (s_updates++ == 0)
        s_first = now;
    const cJSON *done = cJSON_GetObjectItem (book, "done");
    if (done)
        svcfw_log (ctx, SVCFW_LOG_WARNING, "APPLIED %ld updates, first->last %.3f s (%.0f/s)", s_updates,
                   now - s_first, s_updates > 1? (s_updates - 1) / (now - s_first): 0);
    return 0;
}
