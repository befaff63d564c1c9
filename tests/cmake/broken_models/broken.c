/*  broken.c - a replyer whose models file (broken.json) has a syntax error. */
#include <stdio.h>
#include "svcfw.h"

int
on_greet (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    (void) ctx;
    char text [256];
    snprintf (text, sizeof text, "hello, %s", cJSON_GetObjectItem (args, "name")->valuestring);
    *return_args = cJSON_CreateObject ();
    cJSON_AddStringToObject (*return_args, "greeting", text);
    return 0;
}
