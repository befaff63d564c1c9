/*  order_book.c - holds market_price's order book as an in-state and answers "best bid/ask".

    The runtime keeps `order_book` current (snapshot on start, then merge
    patches, resyncing by itself after a gap or a restart of the feed); the
    handler only reads it with svcfw_state.
*/
#include <stdlib.h>
#include "svcfw.h"

//  The highest (want_max) or lowest price key of a side, or NAN-free 0 if empty.
static double
s_best (const cJSON *side, bool want_max, bool *found)
{
    double best = 0;
    *found = false;
    const cJSON *level;
    cJSON_ArrayForEach (level, side) {
        double price = strtod (level->string, NULL);
        if (!*found || (want_max? price > best: price < best))
            best = price;
        *found = true;
    }
    return best;
}

int
on_best_price (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) args;
    const cJSON *book = svcfw_state (ctx, "order_book");
    bool has_bid, has_ask;
    double bid = s_best (cJSON_GetObjectItem (book, "bids"), true, &has_bid);
    double ask = s_best (cJSON_GetObjectItem (book, "asks"), false, &has_ask);
    if (!has_bid || !has_ask)
        return svcfw_fail (ctx, "the order book is empty (is market_price running?)");
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "best_bid", bid);
    cJSON_AddNumberToObject (*return_args, "best_ask", ask);
    cJSON_AddNumberToObject (*return_args, "spread", ask - bid);
    const cJSON *last = cJSON_GetObjectItem (book, "last_trade");
    if (cJSON_IsNumber (last))
        cJSON_AddNumberToObject (*return_args, "last_trade", last->valuedouble);
    svcfw_log (ctx, SVCFW_LOG_INFO, "best bid %.2f, best ask %.2f", bid, ask);
    return 0;
}

int
on_book_update (svcfw_ctx *ctx, const cJSON *book, cJSON **return_args)
{
    (void) return_args;
    svcfw_log (ctx, SVCFW_LOG_DEBUG, "book now has %d bid and %d ask levels",
               cJSON_GetArraySize (cJSON_GetObjectItem (book, "bids")),
               cJSON_GetArraySize (cJSON_GetObjectItem (book, "asks")));
    return 0;
}
