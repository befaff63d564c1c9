/*  merge_patch.c - RFC 7386 JSON Merge Patch on cJSON trees, in place. */
#include <stdbool.h>
#include "merge_patch.h"

static int s_merge_object (cJSON *target, const cJSON *patch);

//  Merges an object patch into an object target, in place: keys keep their
//  place in the target, so applying a patch costs what the patch touches.
static int
s_merge_object (cJSON *target, const cJSON *patch)
{
    const cJSON *item;
    cJSON_ArrayForEach (item, patch) {
        cJSON *old = cJSON_GetObjectItemCaseSensitive (target, item->string);
        if (cJSON_IsNull (item)) {
            if (old)
                cJSON_Delete (cJSON_DetachItemViaPointer (target, old));
            continue;
        }
        if (old && cJSON_IsObject (old) && cJSON_IsObject (item)) {
            if (s_merge_object (old, item))
                return -1;
            continue;
        }
        cJSON *value = merge_patch_strip_nulls (item);
        if (!value)
            return -1;
        //  ReplaceItemInObject names the new item (ViaPointer would not).
        if (old)
            cJSON_ReplaceItemInObjectCaseSensitive (target, item->string, value);
        else
            cJSON_AddItemToObject (target, item->string, value);
    }
    return 0;
}

cJSON *
merge_patch_strip_nulls (const cJSON *patch)
{
    if (!cJSON_IsObject (patch))
        return cJSON_Duplicate (patch, true);
    //  The patch merged into {}: a name that repeats in the patch is then
    //  set once, by its last occurrence, as it is on any other target.
    cJSON *result = cJSON_CreateObject ();
    if (result && s_merge_object (result, patch)) {
        cJSON_Delete (result);
        result = NULL;
    }
    return result;
}

int
merge_patch_apply (cJSON **target_p, const cJSON *patch)
{
    //  A non-object patch replaces the target; an object patch on a
    //  non-object starts from {}, which gives the patch without its nulls.
    if (!cJSON_IsObject (patch) || !cJSON_IsObject (*target_p)) {
        cJSON *value = merge_patch_strip_nulls (patch);
        if (!value)
            return -1;
        cJSON_Delete (*target_p);
        *target_p = value;
        return 0;
    }
    return s_merge_object (*target_p, patch);
}
