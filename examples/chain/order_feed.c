/*  order_feed.c - the chain's leading edge: a main-mode producer publishing orders.

    Every `interval_ms` (config, default 300) it publishes one order
    {"order_id", "symbol", "quantity"} on its `orders` publisher (it binds;
    topic "orders"). Each send starts a new workflow: the runtime gives it a
    fresh id W, which this service's log line carries, order_router's lines
    about the order carry too, and the request order_router makes for it
    carries as W_1 into pricer's log. Publishes `count` orders (default 0:
    until stopped), then returns 0.

    Its publisher declares "min_subscribers": 1, so svcfw_main starts only
    once order_router has joined (or svcfw fails at startup after
    join_timeout_ms, 10 s): no order is published before anyone listens.
*/
#include "svcfw.h"

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *count_item = cJSON_GetObjectItem (svcfw_config (ctx), "count");
    const cJSON *interval_item = cJSON_GetObjectItem (svcfw_config (ctx), "interval_ms");
    int count = count_item? count_item->valueint: 0;
    int interval = interval_item? interval_item->valueint: 300;
    static const char *const symbols [] = { "AAPL", "MSFT", "GOOG", "TSLA" };

    for (int order_id = 1; count == 0 || order_id <= count; order_id++) {
        const char *symbol = symbols [order_id % 4];
        int quantity = 10 + (order_id * 137) % 700;     //  some are over pricer's limit
        cJSON *args = cJSON_CreateObject ();
        cJSON_AddNumberToObject (args, "order_id", order_id);
        cJSON_AddStringToObject (args, "symbol", symbol);
        cJSON_AddNumberToObject (args, "quantity", quantity);
        //  After the send, svcfw_log and svcfw_workflow_id use its new id.
        if (svcfw_to_send (ctx, "connection", "orders", args, NULL) == 0)
            svcfw_log (ctx, SVCFW_LOG_INFO, "published order %d: %d %s", order_id, quantity, symbol);
        else
            svcfw_log (ctx, SVCFW_LOG_ERROR, "order %d: %s", order_id, svcfw_error (ctx));
        cJSON_Delete (args);
        if (!svcfw_sleep (ctx, interval))
            break;                          //  SIGINT/SIGTERM: stop cleanly
    }
    return 0;
}
