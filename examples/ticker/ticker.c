/*  ticker.c - a main-mode feed publishing two stocks' prices on two topics.

    Every `interval_ms` (config, default 200) it moves the AAPL and MSFT
    prices by a small random step and publishes each on its own connection:
    `aapl` with topic "AAPL", `msft` with topic "MSFT". Both publishers
    connect (`is_x_pub`) to one binding subscriber, price_watcher, which
    subscribes to "AAPL" only: MSFT's prices are filtered out by ZeroMQ and
    never reach it. Publishes `ticks` rounds (default 0: until stopped),
    then returns 0. Both publishers declare "min_subscribers": 1, so the
    first tick waits until price_watcher has joined them.
*/
#include <stdlib.h>
#include "svcfw.h"

static int
s_config (svcfw_ctx *ctx, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItem (svcfw_config (ctx), key);
    return item? item->valueint: fallback;
}

//  Publishes one price; a failed send is logged, not fatal (a feed goes on).
static void
s_publish (svcfw_ctx *ctx, const char *connection, const char *symbol, int cents, int tick)
{
    cJSON *args = cJSON_CreateObject ();
    cJSON_AddStringToObject (args, "symbol", symbol);
    cJSON_AddNumberToObject (args, "price", cents / 100.0);
    cJSON_AddNumberToObject (args, "tick", tick);
    if (svcfw_to_send (ctx, "connection", connection, args, NULL) == 0)
        svcfw_log (ctx, SVCFW_LOG_INFO, "published %s %d.%02d (tick %d)", symbol, cents / 100, cents % 100, tick);
    else
        svcfw_log (ctx, SVCFW_LOG_ERROR, "%s", svcfw_error (ctx));
    cJSON_Delete (args);
}

int
svcfw_main (svcfw_ctx *ctx)
{
    int ticks = s_config (ctx, "ticks", 0);
    int interval = s_config (ctx, "interval_ms", 200);
    unsigned seed = (unsigned) s_config (ctx, "seed", 42);
    int aapl = 18720, msft = 40210;         //  cents

    for (int tick = 1; ticks == 0 || tick <= ticks; tick++) {
        //  A random walk of up to 50 cents either way per tick.
        aapl += (int) (rand_r (&seed) % 101) - 50;
        msft += (int) (rand_r (&seed) % 101) - 50;
        s_publish (ctx, "aapl", "AAPL", aapl, tick);
        s_publish (ctx, "msft", "MSFT", msft, tick);
        if (!svcfw_sleep (ctx, interval))
            break;                          //  SIGINT/SIGTERM: stop cleanly
    }
    return 0;
}
