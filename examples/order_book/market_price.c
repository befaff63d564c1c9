/*  market_price.c - a main-mode feed that owns the order book as a delta state.

    Publishes the whole book once (five bid and five ask levels, 5 cents
    apart, around a mid price), then `ticks` merge patches (config, default
    0 = until stopped), one every `interval_ms` (default 50). Each tick the
    mid price moves 5 cents, up for four ticks, then down for four, so the
    top of the book moves: the patch adds the new levels and deletes (null)
    the ones left behind, changes the size of one other level, and sets the
    last trade. Every service holding the `order_book` in-state sees the
    same book, kept current by snapshot + deltas.
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
        //  The mid walks 5 cents a tick: up four ticks, then down four.
        int step = (tick - 1) % 8 < 4? 5: -5;
        int old_mid = mid;
        mid += step;
        args = cJSON_CreateObject ();
        cJSON *patch = cJSON_AddObjectToObject (args, "state");
        bids = cJSON_AddObjectToObject (patch, "bids");
        asks = cJSON_AddObjectToObject (patch, "asks");
        //  Levels are mid -/+ 5..25: moving up adds a bid at the new top and
        //  an ask at the far end, and deletes the old lowest bid and the old
        //  best ask; moving down the other way round.
        int gone_bid = step > 0? old_mid - 25: old_mid - 5;
        int new_bid = step > 0? mid - 5: mid - 25;
        int gone_ask = step > 0? old_mid + 5: old_mid + 25;
        int new_ask = step > 0? mid + 25: mid + 5;
        s_price_key (key, sizeof key, gone_bid);
        cJSON_AddNullToObject (bids, key);
        s_price_key (key, sizeof key, new_bid);
        cJSON_AddNumberToObject (bids, key, 50 + rand_r (&seed) % 500);
        s_price_key (key, sizeof key, gone_ask);
        cJSON_AddNullToObject (asks, key);
        s_price_key (key, sizeof key, new_ask);
        cJSON_AddNumberToObject (asks, key, 50 + rand_r (&seed) % 500);
        //  And one level in the middle of one side changes size.
        bool bid = rand_r (&seed) % 2;
        s_price_key (key, sizeof key, bid? mid - 15: mid + 15);
        cJSON_AddNumberToObject (bid? bids: asks, key, 50 + rand_r (&seed) % 500);
        cJSON_AddNumberToObject (patch, "last_trade", (mid + (rand_r (&seed) % 5) - 2) / 100.0);
        if (svcfw_to_send (ctx, "state", "order_book", args, NULL))
            svcfw_log (ctx, SVCFW_LOG_ERROR, "%s", svcfw_error (ctx));
        else
            svcfw_log (ctx, SVCFW_LOG_INFO, "tick %d: mid %d.%02d, best bid %d.%02d / ask %d.%02d",
                       tick, mid / 100, mid % 100, (mid - 5) / 100, (mid - 5) % 100,
                       (mid + 5) / 100, (mid + 5) % 100);
        cJSON_Delete (args);
    }
    return 0;
}
