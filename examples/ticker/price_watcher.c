/*  price_watcher.c - a binding subscriber that logs every AAPL price it hears.

    Its one subscriber binds (`is_binder`), so any number of publishers can
    connect to it, and subscribes to topic "AAPL": ticker's MSFT prices are
    published to the same socket but never arrive. Logs each price with its
    change since the last one heard.
*/
#include "svcfw.h"

static double s_last;           //  the last price heard, 0 before the first
                                //  (handlers run one at a time on the handler thread)

int
on_price (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;         //  a subscriber sends no reply
    const char *symbol = cJSON_GetObjectItem (args, "symbol")->valuestring;
    double price = cJSON_GetObjectItem (args, "price")->valuedouble;
    int tick = cJSON_GetObjectItem (args, "tick")->valueint;
    if (s_last > 0)
        svcfw_log (ctx, SVCFW_LOG_INFO, "heard %s %.2f (tick %d, %+.2f)", symbol, price, tick, price - s_last);
    else
        svcfw_log (ctx, SVCFW_LOG_INFO, "heard %s %.2f (tick %d, first)", symbol, price, tick);
    s_last = price;
    return 0;
}
