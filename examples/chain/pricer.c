/*  pricer.c - the chain's end: a replyer that prices an order and approves it or not.

    Quotes a fixed price per symbol and approves orders of up to
    `max_quantity` shares (config, default 500). A refusal is an ordinary
    answer ({"approved": false, "reason": ...}); a symbol it does not quote
    is a handler failure, which the requester gets as an error reply.
*/
#include <stdio.h>
#include <string.h>
#include "svcfw.h"

static const struct {
    const char *symbol;
    double price;
} s_quotes [] = {
    { "AAPL", 187.20 }, { "MSFT", 402.10 }, { "GOOG", 141.80 }, { "TSLA", 248.50 },
};

int
on_pricing (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    const char *symbol = cJSON_GetObjectItem (args, "symbol")->valuestring;
    int quantity = cJSON_GetObjectItem (args, "quantity")->valueint;
    const cJSON *limit_item = cJSON_GetObjectItem (svcfw_config (ctx), "max_quantity");
    int limit = limit_item? limit_item->valueint: 500;

    double price = 0;
    for (size_t i = 0; i < sizeof s_quotes / sizeof s_quotes [0]; i++)
        if (strcmp (s_quotes [i].symbol, symbol) == 0)
            price = s_quotes [i].price;
    if (price == 0)
        return svcfw_fail (ctx, "no quote for %s", symbol);

    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "price", price);
    if (quantity > limit) {
        char reason [64];
        snprintf (reason, sizeof reason, "%d shares is over the limit of %d", quantity, limit);
        cJSON_AddBoolToObject (*return_args, "approved", 0);
        cJSON_AddStringToObject (*return_args, "reason", reason);
        svcfw_log (ctx, SVCFW_LOG_INFO, "refused %d %s: over %d", quantity, symbol, limit);
    }
    else {
        cJSON_AddBoolToObject (*return_args, "approved", 1);
        svcfw_log (ctx, SVCFW_LOG_INFO, "priced %d %s at %.2f", quantity, symbol, price);
    }
    return 0;
}
