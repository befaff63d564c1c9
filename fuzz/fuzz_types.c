/*  fuzz_types.c - libFuzzer harness for the model type language (models/types.c).

    Input: SPEC 0xFF VALUE. The spec is compiled both as a single type and,
    when it is an object, as an argument model (its "required"/"optional"
    members); the value is checked as a value and as a merge patch, and the
    value's text is converted as command-line text. type_validate_each
    judges as type_validate does, in the same words, and what it hands its
    writer reads back as the value. Every error is one
    non-empty line. type_accepts (the graph check's rule): every type
    accepts itself; when the value is a type spec too, and one type accepts
    the other, every value the other takes (the value, its conversion) the
    one takes too.
*/
#include "fuzz.h"
#include "types.h"
#include "wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_check_error (const char *err)
{
    if (!*err || strchr (err, '\n'))
        fprintf (stderr, "not one line: [%s]\n", err);
    FUZZ_CHECK (strlen (err) > 0 && !strchr (err, '\n'));
}

//  type_each_fn: writes a member to a wire buffer, as the envelope does.
static int
s_each_write (void *arg, const cJSON *item, const char *key_text, size_t key_len)
{
    wire_buffer_t *out = arg;
    if (out->len > 1 && wire_append (out, ",", 1))
        return -1;
    if (key_text? wire_append (out, key_text, key_len)
                : wire_write_string (out, item->string) || wire_append (out, ":", 1))
        return -1;
    return wire_write (out, item);
}

static void
s_each (const type_t *type, const cJSON *value)
{
    char err [ERR_LEN], each_err [ERR_LEN];
    int rc = type_validate (type, value, err);
    wire_buffer_t out = { 0 };
    FUZZ_CHECK (wire_append (&out, "{", 1) == 0);
    int each_rc = type_validate_each (type, value, s_each_write, &out, each_err);
    if (!(each_rc == -1 && rc == 0 && strcmp (each_err, "expected an object type") == 0)) {
        FUZZ_CHECK (each_rc == rc);
        if (rc)
            FUZZ_CHECK (strcmp (each_err, err) == 0);
        else {
            FUZZ_CHECK (wire_append (&out, "}", 1) == 0);
            cJSON *back = wire_parse_copy (out.data, out.len, err);
            FUZZ_CHECK (back && cJSON_Compare (back, value, true));
            cJSON_Delete (back);
        }
    }
    wire_buffer_free (&out);
}

static void
s_exercise (const type_t *type, const cJSON *value, const char *value_text)
{
    char err [ERR_LEN];
    char *description = type_describe (type);
    FUZZ_CHECK (description);
    free (description);
    if (value) {
        if (type_validate (type, value, err))
            s_check_error (err);
        s_each (type, value);
        if (type_validate_patch (type, value, err))
            s_check_error (err);
        for (const cJSON *member = value->child; member && member->string; member = member->next)
            (void) type_member (type, member->string);
    }
    cJSON *converted = type_convert_text (type, value_text, err);
    if (converted) {
        //  What conversion accepts fits the type.
        FUZZ_CHECK (type_validate (type, converted, err) == 0);
        cJSON_Delete (converted);
    }
    else
        s_check_error (err);
}

//  If `receiver` accepts `sender`, what sender takes receiver takes.
static void
s_accepts (const type_t *receiver, const type_t *sender, const cJSON *value, const char *value_text)
{
    char err [ERR_LEN];
    if (type_accepts (receiver, sender, err)) {
        s_check_error (err);
        return;
    }
    if (value && type_validate (sender, value, err) == 0)
        FUZZ_CHECK (type_validate (receiver, value, err) == 0);
    cJSON *converted = type_convert_text (sender, value_text, err);
    if (converted)
        FUZZ_CHECK (type_validate (receiver, converted, err) == 0);
    cJSON_Delete (converted);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    size_t spec_len, value_len;
    const uint8_t *value_bytes;
    fuzz_split (data, size, &spec_len, &value_bytes, &value_len);

    char err [ERR_LEN];
    cJSON *spec = wire_parse_copy (data, spec_len, err);
    if (!spec)
        return 0;
    cJSON *value = wire_parse_copy (value_bytes, value_len, err);
    char *value_text = fuzz_strndup (value_bytes, value_len);
    FUZZ_CHECK (value_text);

    type_t *type = type_compile (spec, "fuzz", err);
    if (type) {
        s_exercise (type, value, value_text);
        FUZZ_CHECK (type_accepts (type, type, err) == 0);
        type_t *other = value? type_compile (value, "fuzz", err): NULL;
        if (other) {
            s_accepts (other, type, value, value_text);
            s_accepts (type, other, value, value_text);
            type_destroy (&other);
        }
        type_destroy (&type);
        FUZZ_CHECK (!type);
    }
    else
        s_check_error (err);

    if (cJSON_IsObject (spec)) {
        type_t *args = type_compile_args (cJSON_GetObjectItemCaseSensitive (spec, "required"),
                                          cJSON_GetObjectItemCaseSensitive (spec, "optional"),
                                          "fuzz", err);
        if (args) {
            s_exercise (args, value, value_text);
            type_destroy (&args);
        }
        else
            s_check_error (err);
    }
    free (value_text);
    cJSON_Delete (value);
    cJSON_Delete (spec);
    return 0;
}
