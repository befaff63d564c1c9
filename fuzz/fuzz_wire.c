/*  fuzz_wire.c - libFuzzer harness for the strict wire parser (wire/wire.c).

    Whatever the bytes: no crash, no leak. When wire_parse accepts them,
    cJSON must accept them too and read the same value (wire_parse is a
    stricter cJSON, never a different one), wire_parse_copy must agree, and
    what wire_write prints must parse back to the same value.
*/
#include "fuzz.h"
#include "wire.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    wire_arena_t *arena = fuzz_arena ();

    char err [ERR_LEN];
    const cJSON *value = wire_parse (arena, data, size, err);
    cJSON *copy = wire_parse_copy (data, size, err);
    FUZZ_CHECK ((value == NULL) == (copy == NULL));
    if (!value)
        return 0;
    FUZZ_CHECK (fuzz_same (value, copy, false));
    cJSON_Delete (copy);

    //  cJSON on a NUL-terminated copy; after its value only white space.
    char *text = fuzz_strndup (data, size);
    FUZZ_CHECK (text);
    const char *end = NULL;
    cJSON *reference = cJSON_ParseWithLengthOpts (text, size + 1, &end, false);
    FUZZ_CHECK (reference);
    for (; *end; end++)
        FUZZ_CHECK (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r');
    FUZZ_CHECK (fuzz_same (value, reference, false));
    cJSON_Delete (reference);
    free (text);

    //  The writer's output reads back as the same value.
    wire_buffer_t buffer = { 0 };
    FUZZ_CHECK (wire_write (&buffer, value) == 0);
    wire_arena_t *again_arena = wire_arena_new ();
    FUZZ_CHECK (again_arena);
    const cJSON *again = wire_parse (again_arena, buffer.data, buffer.len, err);
    FUZZ_CHECK (again);
    FUZZ_CHECK (fuzz_same (value, again, true));
    wire_arena_destroy (&again_arena);
    wire_buffer_free (&buffer);
    return 0;
}
