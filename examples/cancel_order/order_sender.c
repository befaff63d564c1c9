/*  order_sender.c - a main-mode requester that asks cancel_order to cancel orders.

    Sends `count` requests {"order_id": "500"}, {"order_id": "1000"}, ...
    (config, default 5), one every `interval_ms` (default 200) and logs
    each answer: a reply, or the error reply of an
    order the replyer refuses. Exits 0 once every request was answered one
    way or the other, 1 if a request got no answer at all.
*/
#include <stdio.h>
#include <string.h>
#include "svcfw.h"

int
svcfw_main (svcfw_ctx *ctx)
{
    const cJSON *config = svcfw_config (ctx);
    const cJSON *count_item = cJSON_GetObjectItem (config, "count");
    const cJSON *interval_item = cJSON_GetObjectItem (config, "interval_ms");
    int count = count_item? count_item->valueint: 5;
    int interval = interval_item? interval_item->valueint: 200;
    int failures = 0;

    for (int i = 1; i <= count; i++) {
        char order_id [32];
        snprintf (order_id, sizeof order_id, "%d", i * 500);
        cJSON *args = cJSON_CreateObject ();
        cJSON_AddStringToObject (args, "order_id", order_id);
        cJSON *reply = NULL;
        if (svcfw_to_send (ctx, "connection", "cancel_order", args, &reply) == 0)
            //  The reply is validated: it has order_id, a string.
            svcfw_log (ctx, SVCFW_LOG_INFO, "order %s: cancelled (reply order_id %s)", order_id,
                       cJSON_GetObjectItem (reply, "order_id")->valuestring);
        else {
            svcfw_log (ctx, SVCFW_LOG_WARNING, "order %s: %s", order_id, svcfw_error (ctx));
            if (!strstr (svcfw_error (ctx), "error reply"))
                failures++;         //  no answer at all, not a refusal
        }
        cJSON_Delete (reply);
        cJSON_Delete (args);
        if (i < count && !svcfw_sleep (ctx, interval))
            break;
    }
    return failures? 1: 0;
}
