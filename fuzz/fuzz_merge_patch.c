/*  fuzz_merge_patch.c - libFuzzer harness for RFC 7386 merge patch (wire/merge_patch.c).

    Input: DOCUMENT 0xFF PATCH, each parsed with the wire parser. Checks the
    RFC's properties: applying a patch twice gives what applying it once
    does; an object patch leaves an object with no null it set; a non-object
    patch replaces the target; applying to nothing equals the patch without
    its nulls (merge_patch_strip_nulls). Names may repeat in an object (the
    wire parser keeps them, as cJSON does): the last one decides.
*/
#include "fuzz.h"
#include "merge_patch.h"
#include "wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

//  True if no later member has the same name: with duplicate names (which
//  RFC 8259 leaves to the reader) the patch applies them in order, so the
//  last one decides.
static bool
s_last_of_name (const cJSON *member)
{
    for (const cJSON *later = member->next; later; later = later->next)
        if (strcmp (later->string, member->string) == 0)
            return false;
    return true;
}

//  True if an object at or under node repeats a name.
static bool
s_repeats_names (const cJSON *node)
{
    for (const cJSON *x = node? node->child: NULL; x; x = x->next) {
        if (cJSON_IsObject (node))
            for (const cJSON *y = x->next; y; y = y->next)
                if (strcmp (x->string, y->string) == 0)
                    return true;
        if (s_repeats_names (x))
            return true;
    }
    return false;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    size_t doc_len, patch_len;
    const uint8_t *patch_text;
    fuzz_split (data, size, &doc_len, &patch_text, &patch_len);

    char err [ERR_LEN];
    cJSON *patch = wire_parse_copy (patch_text, patch_len, err);
    if (!patch)
        return 0;
    cJSON *target = doc_len? wire_parse_copy (data, doc_len, err): NULL;
    if (doc_len && !target) {
        cJSON_Delete (patch);
        return 0;
    }

    //  A patch reaches only the first occurrence of a name the target
    //  repeats: the checks that assume unique names are skipped then.
    bool repeats = s_repeats_names (target);
    FUZZ_CHECK (merge_patch_apply (&target, patch) == 0);
    if (cJSON_IsObject (patch)) {
        FUZZ_CHECK (cJSON_IsObject (target));
        for (const cJSON *member = patch->child; member; member = member->next)
            if (cJSON_IsNull (member) && s_last_of_name (member) && !repeats)
                FUZZ_CHECK (!cJSON_GetObjectItemCaseSensitive (target, member->string));
    }
    else
        FUZZ_CHECK (fuzz_same (target, patch, false));

    //  Idempotent: a second application changes nothing. (Not on a target
    //  that repeats a name: a patch reaches only its first occurrence.)
    repeats = repeats || s_repeats_names (target);
    cJSON *twice = cJSON_Duplicate (target, true);
    FUZZ_CHECK (twice);
    FUZZ_CHECK (merge_patch_apply (&twice, patch) == 0);
    FUZZ_CHECK (repeats || fuzz_same_unordered (target, twice));
    cJSON_Delete (twice);

    //  On nothing, the patch minus its nulls.
    cJSON *fresh = NULL;
    FUZZ_CHECK (merge_patch_apply (&fresh, patch) == 0);
    cJSON *stripped = merge_patch_strip_nulls (patch);
    FUZZ_CHECK (stripped);
    FUZZ_CHECK (fuzz_same (fresh, stripped, false));
    cJSON_Delete (fresh);
    cJSON_Delete (stripped);

    cJSON_Delete (target);
    cJSON_Delete (patch);
    return 0;
}
