/*  cancel_order.c - the seed's example replyer: cancels an order by id.

    Answers {"success": true} for every order id up to `refuse_above`
    (config, default 1000), and fails larger ones so the requester sees an
    error reply.
*/
#include "svcfw.h"

int
on_cancel_order (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    int order_id = cJSON_GetObjectItem (args, "order_id")->valueint;
    const cJSON *limit = cJSON_GetObjectItem (svcfw_config (ctx), "refuse_above");
    if (order_id > (limit? limit->valueint: 1000))
        return svcfw_fail (ctx, "order %d is past the cancellation window", order_id);

    svcfw_log (ctx, SVCFW_LOG_INFO, "cancelled order %d", order_id);
    *return_args = cJSON_CreateObject ();
    cJSON_AddBoolToObject (*return_args, "success", 1);
    cJSON_AddStringToObject (*return_args, "message", "cancelled");
    return 0;
}
