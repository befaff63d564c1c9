/*  merge_patch.h - RFC 7386 JSON Merge Patch, applied in place to a cJSON tree.

    A patch that is an object merges key by key, recursively; a null value
    deletes its key; any other value (array, string, number…) replaces the
    target whole. A non-object patch replaces the whole target.
*/
#ifndef MERGE_PATCH_H_INCLUDED
#define MERGE_PATCH_H_INCLUDED

#include <cjson/cJSON.h>

/* Applies `patch` (borrowed) to *target_p, which the caller owns and may be
   NULL (no value yet). *target_p may be replaced by a new tree (the old one
   is freed). Returns 0, or -1 on allocation failure (the target is then left
   partly patched but valid). */
int merge_patch_apply (cJSON **target_p, const cJSON *patch);

/* A copy of `patch` with every null member removed, recursively: the value
   a merge patch gives when applied to nothing. Fresh; the caller owns it
   (cJSON_Delete). NULL on allocation failure. A name repeated in an object
   is kept once, with its last value, as merge_patch_apply sets it. */
cJSON *merge_patch_strip_nulls (const cJSON *patch);

#endif
