/*  order_sender.c - a main-mode requester that asks cancel_order to cancel orders.

    Sends `count` requests (config, default 5), one every `interval_ms`
    (default 200) and logs each answer: a reply, or the error reply of an
    order the replyer refuses. Exits 0 once every request was answered one
    way or the other, 1 if a request got no answer at all.
*/
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
        cJSON *args = cJSON_CreateObject ();
        cJSON_AddNumberToObject (args, "order_id", i * 500);
        cJSON *reply = NULL;
        if (svcfw_to_send (ctx, "connection", "cancel_order", args, &reply) == 0) {
            const cJSON *message = cJSON_GetObjectItem (reply, "message");
            svcfw_log (ctx, SVCFW_LOG_INFO, "order %d: %s", i * 500,
                       cJSON_IsString (message)? message->valuestring: "ok");
        }
        else {
            svcfw_log (ctx, SVCFW_LOG_WARNING, "order %d: %s", i * 500, svcfw_error (ctx));
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
