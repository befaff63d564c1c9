/*  repl_feed - main-mode owner of two replicated states, driven by seeded random changes.

    `book` (delta_update_out) gets `count` random merge patches over `keys`
    keys: sets of numbers and nested objects, deletes (null), nested patches,
    and now and then a whole-value replacement. `snap` (full_update_out) gets
    book's whole value every 10th change. When done it writes both values to
    `dump_path` and logs "DONE", then keeps serving snapshots until stopped.
    With config `x_pub: true` both publishers connect (to an XSUB proxy).
*/
#include <stdio.h>
#include <stdlib.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {
        "required": {"seed": "int", "count": "int", "dump_path": "str"},
        "optional": {"keys": "int", "x_pub": "bool"}
    },
    "state_models": {"out": {
        "book": {"state_type": "delta_update_out",
                 "optional_creation_arguments": {"topic": "book"}},
        "snap": {"state_type": "full_update_out",
                 "optional_creation_arguments": {"topic": "snap"},
                 "required_arguments": {},
                 "optional_arguments": {"*": "any"}}
    }}
});

static int
s_int (svcfw_ctx *ctx, const char *key, int fallback)
{
    const cJSON *item = cJSON_GetObjectItem (svcfw_config (ctx), key);
    return item? item->valueint: fallback;
}

cJSON *
svcfw_setup_states (const cJSON *config)
{
    if (!cJSON_IsTrue (cJSON_GetObjectItem (config, "x_pub")))
        return NULL;
    return cJSON_Parse ("{\"book\": {\"optional_creation_arguments\": {\"is_x_pub\": true}},"
                        " \"snap\": {\"optional_creation_arguments\": {\"is_x_pub\": true}}}");
}

//  One random change to book, as {"state": PATCH} or a whole replacement.
static cJSON *
s_random_change (unsigned *seed, int keys, int i)
{
    cJSON *args = cJSON_CreateObject ();
    char key [32];
    snprintf (key, sizeof key, "k%d", rand_r (seed) % keys);
    if (i % 997 == 500) {                        //  a whole value now and then
        cJSON *whole = cJSON_AddObjectToObject (args, "state");
        for (int k = 0; k < 5; k++) {
            snprintf (key, sizeof key, "k%d", rand_r (seed) % keys);
            cJSON_AddNumberToObject (whole, key, rand_r (seed) % 1000);
        }
        cJSON_AddBoolToObject (args, "is_snapshot", 1);
        return args;
    }
    cJSON *patch = cJSON_AddObjectToObject (args, "state");
    int op = rand_r (seed) % 10;
    if (op < 2)
        cJSON_AddNullToObject (patch, key);                     //  delete
    else if (op < 6)
        cJSON_AddNumberToObject (patch, key, rand_r (seed) % 100000);
    else {                                                      //  nested object patch
        cJSON *nested = cJSON_AddObjectToObject (patch, key);
        cJSON_AddNumberToObject (nested, "v", rand_r (seed) % 100);
        if (op == 9)
            cJSON_AddNullToObject (nested, "w");
        else {
            cJSON *list = cJSON_AddArrayToObject (nested, "w");
            cJSON_AddItemToArray (list, cJSON_CreateString (key));
        }
    }
    //  A second key in some patches.
    if (rand_r (seed) % 3 == 0) {
        snprintf (key, sizeof key, "k%d", rand_r (seed) % keys);
        if (!cJSON_GetObjectItem (patch, key))
            cJSON_AddNumberToObject (patch, key, i);
    }
    return args;
}

int
svcfw_main (svcfw_ctx *ctx)
{
    unsigned seed = (unsigned) s_int (ctx, "seed", 1);
    int count = s_int (ctx, "count", 1000);
    int keys = s_int (ctx, "keys", 200);
    for (int i = 0; i < count; i++) {
        cJSON *args = s_random_change (&seed, keys, i);
        int rc = svcfw_to_send (ctx, "state", "book", args, NULL);
        cJSON_Delete (args);
        if (rc == 0 && i % 10 == 9)
            rc = svcfw_to_send (ctx, "state", "snap", svcfw_state (ctx, "book"), NULL);
        if (rc) {
            svcfw_log (ctx, SVCFW_LOG_ERROR, "send %d failed: %s", i, svcfw_error (ctx));
            return 1;
        }
    }
    cJSON *dump = cJSON_CreateObject ();
    cJSON_AddItemToObject (dump, "book", cJSON_Duplicate (svcfw_state (ctx, "book"), 1));
    cJSON_AddItemToObject (dump, "snap", cJSON_Duplicate (svcfw_state (ctx, "snap"), 1));
    char *text = cJSON_PrintUnformatted (dump);
    cJSON_Delete (dump);
    const char *path = cJSON_GetObjectItem (svcfw_config (ctx), "dump_path")->valuestring;
    FILE *file = fopen (path, "w");
    if (!file || fputs (text, file) < 0 || fclose (file) != 0) {
        svcfw_log (ctx, SVCFW_LOG_ERROR, "cannot write %s", path);
        free (text);
        return 1;
    }
    free (text);
    svcfw_log (ctx, SVCFW_LOG_INFO, "DONE %d changes", count);
    while (svcfw_sleep (ctx, 200))
        ;
    return 0;
}
