/*  market_price.c - a main-mode feed that owns the order book as a delta state.

    Publishes the whole book once, then `ticks` small merge patches (config,
    default 0 = until stopped), one every `interval_ms` (default 50): a price
    level changes size, appears, or goes away (null deletes it), and the
    last trade moves. Every service holding the `order_book` in-state sees
    the same book, kept current by snapshot + deltas.
*/
#include <stdio.h>
#include <stdlib.h>
#include "svcfw.h"

static int
s_config (svcfw_ctx *ctx, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItem (svcfw_config (ctx), key);
    return item? item->valueint: fallback;
}

static void
s_price_key (char *out, size_t size, int cents)
{
    snprintf (out, size, "%d.%02d", cents / 100, cents % 100);
}

int
svcfw_main (svcfw_ctx *ctx)
{
    int ticks = s_config (ctx, "ticks", 0);
    int interval = s_config (ctx, "interval_ms", 50);
    unsigned seed = (unsigned) s_config (ctx, "seed", 7);
    int mid = 10000;                        //  cents

    //  The opening book, as a whole value.
    cJSON *args = cJSON_CreateObject ();
    cJSON *book = cJSON_AddObjectToObject (args, "state");
    cJSON *bids = cJSON_AddObjectToObject (book, "bids");
    cJSON *asks = cJSON_AddObjectToObject (book, "asks");
    char key [32];
    for (int level = 1; level <= 5; level++) {
        s_price_key (key, sizeof key, mid - level * 5);
        cJSON_AddNumberToObject (bids, key, 100 * level);
        s_price_key (key, sizeof key, mid + level * 5);
        cJSON_AddNumberToObject (asks, key, 100 * level);
    }
    cJSON_AddBoolToObject (args, "is_snapshot", 1);
    int rc = svcfw_to_send (ctx, "state", "order_book", args, NULL);
    cJSON_Delete (args);
    if (rc)
        return svcfw_fail (ctx, "%s", svcfw_error (ctx)), 1;
    svcfw_log (ctx, SVCFW_LOG_INFO, "opened the book around %d.%02d", mid / 100, mid % 100);

    for (int tick = 1; ticks == 0 || tick <= ticks; tick++) {
        if (!svcfw_sleep (ctx, interval))
            break;
        //  One patch: a level on one side changes, appears or goes away.
        args = cJSON_CreateObject ();
        cJSON *patch = cJSON_AddObjectToObject (args, "state");
        bool bid = rand_r (&seed) % 2;
        int level = 1 + rand_r (&seed) % 6;
        s_price_key (key, sizeof key, bid? mid - level * 5: mid + level * 5);
        cJSON *side = cJSON_AddObjectToObject (patch, bid? "bids": "asks");
        if (rand_r (&seed) % 4 == 0 && level > 1)
            cJSON_AddNullToObject (side, key);
        else
            cJSON_AddNumberToObject (side, key, 50 + rand_r (&seed) % 500);
        cJSON_AddNumberToObject (patch, "last_trade", (mid + (rand_r (&seed) % 11) - 5) / 100.0);
        if (svcfw_to_send (ctx, "state", "order_book", args, NULL))
            svcfw_log (ctx, SVCFW_LOG_ERROR, "%s", svcfw_error (ctx));
        else
            svcfw_log (ctx, SVCFW_LOG_INFO, "tick %d: %s %s %s", tick, bid? "bid": "ask", key,
                       cJSON_IsNull (cJSON_GetObjectItem (side, key))? "removed": "updated");
        cJSON_Delete (args);
    }
    return 0;
}
