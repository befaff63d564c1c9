/*  order_router.c - the chain's middle: hears each order, asks pricer, logs the outcome.

    Its `orders` subscriber connects to order_feed. For each order it sends
    one request on its `pricing` requester and logs what pricer said. The
    handler runs under the order's workflow id W, so its log lines carry W;
    its first (here: only) send carries W_1, which is the id pricer logs.
    A request pricer does not answer in time (timeout_ms x (1 + retries) in
    the models) fails without blocking the service for longer than that.
*/
#include "svcfw.h"

int
on_order (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) return_args;         //  a subscriber sends no reply
    int order_id = cJSON_GetObjectItem (args, "order_id")->valueint;
    const char *symbol = cJSON_GetObjectItem (args, "symbol")->valuestring;
    int quantity = cJSON_GetObjectItem (args, "quantity")->valueint;
    svcfw_log (ctx, SVCFW_LOG_INFO, "heard order %d: %d %s, asking pricer", order_id, quantity, symbol);

    cJSON *request = cJSON_CreateObject ();
    cJSON_AddStringToObject (request, "symbol", symbol);
    cJSON_AddNumberToObject (request, "quantity", quantity);
    cJSON *reply = NULL;
    int rc = svcfw_to_send (ctx, "connection", "pricing", request, &reply);
    cJSON_Delete (request);
    if (rc != 0)
        return svcfw_fail (ctx, "order %d: no price: %s", order_id, svcfw_error (ctx));

    double price = cJSON_GetObjectItem (reply, "price")->valuedouble;
    if (cJSON_IsTrue (cJSON_GetObjectItem (reply, "approved")))
        svcfw_log (ctx, SVCFW_LOG_INFO, "order %d approved: %d %s at %.2f, total %.2f",
                   order_id, quantity, symbol, price, price * quantity);
    else {
        const cJSON *reason = cJSON_GetObjectItem (reply, "reason");
        svcfw_log (ctx, SVCFW_LOG_WARNING, "order %d refused: %s", order_id,
                   cJSON_IsString (reason)? reason->valuestring: "no reason given");
    }
    cJSON_Delete (reply);
    return 0;
}
