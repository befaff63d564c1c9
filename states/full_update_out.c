/*  full_update_out.c - the out side of a full state: every send is the whole new value.

    svcfw_to_send ("state", NAME, VALUE) checks VALUE against the model's
    argument sections like any arguments (no sections: any object), replaces
    the value and publishes it whole.
*/
#include "state.h"

int
full_update_out_apply (const type_t *model, cJSON **value, const cJSON *args,
                       const cJSON **published, bool *is_snapshot, char *err)
{
    char why [ERR_LEN];
    if (model && type_validate (model, args, why))
        return err_set (err, "invalid state: %s", why);
    cJSON *copy = cJSON_Duplicate (args, true);
    if (!copy)
        return err_set (err, "out of memory");
    cJSON_Delete (*value);
    *value = copy;
    *published = *value;
    *is_snapshot = true;
    return 0;
}
