/*  bench_state_mirror - in side of bench_state_feed's delta state: measures applied updates.

    Logs "SYNCED keys=N after S ms" when the first value arrives (time from
    process start) and "APPLIED n updates, first->last S s (R/s)" when the
    patch carrying "done" has been applied. on_update runs once per
    applied update, but folds what waits once it falls 1024 updates
    behind, so the updates are counted from the value itself: patch i sets
    one key to i, so the largest number among the keys is the last patch
    applied.
*/
#include <time.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "state_models": {"in": {"book": {"state_type": "delta_update_in",
                                     "optional_creation_arguments": {"on_update": "on_book"}}}}
});

static double s_first, s_start;
static int s_synced;
static long s_first_patch;          //  the last patch applied at the first call after the sync

//  The index of the last patch applied: the largest number among the keys.
static long
s_progress (const cJSON *book)
{
    long last = 0;
    const cJSON *item;
    cJSON_ArrayForEach (item, book)
        if (cJSON_IsNumber (item) && item->valuedouble > last)
            last = (long) item->valuedouble;
    return last;
}

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
    if (s_first == 0) {
        s_first = now;
        s_first_patch = s_progress (book);
    }
    const cJSON *done = cJSON_GetObjectItem (book, "done");
    if (done) {
        long updates = (long) done->valuedouble - s_first_patch;
        svcfw_log (ctx, SVCFW_LOG_WARNING, "APPLIED %ld updates, first->last %.3f s (%.0f/s)", updates,
                   now - s_first, now > s_first? updates / (now - s_first): 0);
    }
    return 0;
}
