/*  cancel_order.c - the seed's example replyer: cancels an order by id.

    Takes {"order_id": ID} (a string, as in the seed) and answers
    {"order_id": ID}: the order is cancelled. An order whose number is above
    `refuse_above` (config, default 1000) is past the cancellation window:
    the handler fails, so the requester gets an error reply.
*/
#include <stdlib.h>
#include "svcfw.h"

int
on_cancel_order (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    const char *order_id = cJSON_GetObjectItem (args, "order_id")->valuestring;
    char *end;
    long number = strtol (order_id, &end, 10);
    if (end == order_id || *end)
        return svcfw_fail (ctx, "order id \"%s\" is not an order number", order_id);
    const cJSON *limit = cJSON_GetObjectItem (svcfw_config (ctx), "refuse_above");
    if (number > (limit? limit->valueint: 1000))
        return svcfw_fail (ctx, "order %s is past the cancellation window", order_id);

    svcfw_log (ctx, SVCFW_LOG_INFO, "cancelled order %s", order_id);
    *return_args = cJSON_CreateObject ();
    cJSON_AddStringToObject (*return_args, "order_id", order_id);
    return 0;
}
