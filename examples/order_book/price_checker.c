/*  price_checker.c - a main-mode client asking order_book for the best prices `count` times.
    Until the first answer it asks again (up to 20 times, `interval_ms` apart): order_book
    answers an error while its replica of market_price's book is still empty, as it is for a
    moment when the whole graph starts at once. */
#include "svcfw.h"

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *count_item = cJSON_GetObjectItem (svcfw_config (ctx), "count");
    const cJSON *interval_item = cJSON_GetObjectItem (svcfw_config (ctx), "interval_ms");
    int count = count_item? count_item->valueint: 5;
    int interval = interval_item? interval_item->valueint: 200;
    int answered = 0;
    cJSON *args = cJSON_CreateObject ();
    int warmup = 20;
    for (int i = 0; i < count; i++) {
        cJSON *reply = NULL;
        int rc = svcfw_to_send (ctx, "connection", "best_price", args, &reply);
        if (rc != 0 && answered == 0 && warmup-- > 0) {
            svcfw_log (ctx, SVCFW_LOG_INFO, "no prices yet, asking again: %s", svcfw_error (ctx));
            i--;
        }
        else
        if (rc == 0) {
            svcfw_log (ctx, SVCFW_LOG_INFO, "best bid %.2f / ask %.2f (spread %.2f)",
                       cJSON_GetObjectItem (reply, "best_bid")->valuedouble,
                       cJSON_GetObjectItem (reply, "best_ask")->valuedouble,
                       cJSON_GetObjectItem (reply, "spread")->valuedouble);
            answered++;
        }
        else
            svcfw_log (ctx, SVCFW_LOG_WARNING, "%s", svcfw_error (ctx));
        cJSON_Delete (reply);
        if (i + 1 < count && !svcfw_sleep (ctx, interval))
            break;
    }
    cJSON_Delete (args);
    return answered == count? 0: 1;
}
