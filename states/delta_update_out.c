/*  delta_update_out.c - the out side of a delta state: sends are RFC 7386 merge patches.

    svcfw_to_send ("state", NAME, {"state": PATCH}) merges PATCH into the
    value and publishes PATCH; {"state": WHOLE, "is_snapshot": true} replaces
    the value and publishes it whole. How the model checks a send:
      - a patch is checked key by key against the model's argument sections:
        every key it sets must be declared and its value fit the declared type
        (nested objects are checked the same way, as they merge); a null may
        delete only an optional key or a map entry; required keys need not be
        in a patch.
      - a whole value (is_snapshot) is checked like any arguments: required
        keys present, nothing undeclared.
    A state model with no argument sections accepts any object.
*/
#include <string.h>
#include "state.h"
#include "json.h"
#include "merge_patch.h"

int
delta_update_out_apply (const type_t *model, cJSON **value, const cJSON *args,
                        const cJSON **published, bool *is_snapshot, char *err)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, args) {
        if (strcmp (item->string, "state") && strcmp (item->string, "is_snapshot"))
            return err_set (err, "unknown key '%s' (a delta state takes {\"state\": PATCH} "
                            "or {\"state\": WHOLE, \"is_snapshot\": true})", item->string);
    }
    const cJSON *state = cJSON_GetObjectItemCaseSensitive (args, "state");
    const cJSON *snapshot = cJSON_GetObjectItemCaseSensitive (args, "is_snapshot");
    if (!cJSON_IsObject (state))
        return err_set (err, "'state' must be an object, got %s", state? json_type_name (state): "nothing");
    if (snapshot && !cJSON_IsBool (snapshot))
        return err_set (err, "'is_snapshot' must be a boolean, got %s", json_type_name (snapshot));
    *is_snapshot = cJSON_IsTrue (snapshot);
    char why [ERR_LEN];
    if (*is_snapshot) {
        if (model && type_validate (model, state, why))
            return err_set (err, "invalid state: %s", why);
        cJSON *copy = cJSON_Duplicate (state, true);
        if (!copy)
            return err_set (err, "out of memory");
        cJSON_Delete (*value);
        *value = copy;
    }
    else {
        if (model && type_validate_patch (model, state, why))
            return err_set (err, "invalid patch: %s", why);
        if (merge_patch_apply (value, state))
            return err_set (err, "out of memory");
    }
    *published = state;
    return 0;
}
