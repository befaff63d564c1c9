/*  fuzz_models.c - libFuzzer harness for what a user writes (models/ and
    base/json.c): the models document, addresses.json, the config file with
    command-line overrides, and the command line itself.

    Input: MODELS 0xFF ADDRESSES 0xFF CONFIG, each read with json_parse (the
    file parser, whose errors give line:column). The models are compiled and
    merged with a hook's extra sections; every model entry's sockets are
    looked up in the addresses; the config's string members become
    overrides, converted to the config model's types and validated; the
    config's bytes, cut at white space, are parsed as a command line.
    Every error is one non-empty line; every endpoint fits ENDPOINT_LEN.
*/
#include "fuzz.h"
#include "json.h"
#include "models.h"
#include "addresses.h"
#include "config.h"
#include "cli.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
s_check_error (const char *err)
{
    if (!*err || strchr (err, '\n'))
        fprintf (stderr, "not one line: [%s]\n", err);
    FUZZ_CHECK (strlen (err) > 0 && !strchr (err, '\n'));
}

//  Normalises every string in the addresses document, both ways.
static void
s_normalize_all (const cJSON *node)
{
    for (; node; node = node->next) {
        if (cJSON_IsString (node))
            for (int bind = 0; bind <= 1; bind++) {
                char endpoint [ENDPOINT_LEN], err [ERR_LEN];
                if (addresses_normalize (node->valuestring, bind, endpoint, err) == 0)
                    FUZZ_CHECK (strlen (endpoint) < ENDPOINT_LEN);
                else
                    s_check_error (err);
            }
        s_normalize_all (node->child);
    }
}

static void
s_models (const char *text, size_t len, const cJSON *addresses, cJSON *config)
{
    char err [ERR_LEN];
    cJSON *doc = json_parse (text, len, "models.json", err);
    if (!doc) {
        s_check_error (err);
        return;
    }
    models_t *models = models_parse (doc, err);
    if (!models)
        s_check_error (err);
    if (models && addresses) {
        static const char *const sockets [] = { "replyer", "requester", "publisher", "subscriber" };
        for (int i = 0; i < models_count (models); i++) {
            const model_t *model = models_at (models, i);
            FUZZ_CHECK (model && model->name && model->where);
            FUZZ_CHECK (models_find (models, model->is_state, model->is_in, model->name));
            (void) models_kind_name (model->kind);
            for (int s = 0; s < 4; s++)
                for (int bind = 0; bind <= 1; bind++) {
                    char endpoint [ENDPOINT_LEN];
                    if (addresses_endpoint (addresses, "addresses.json", model, sockets [s],
                                            bind, endpoint, err) == 0)
                        FUZZ_CHECK (strlen (endpoint) < ENDPOINT_LEN);
                    else
                        s_check_error (err);
                }
        }
    }
    if (config) {
        //  The config's string members as command-line overrides.
        cJSON *overrides = cJSON_CreateObject ();
        FUZZ_CHECK (overrides);
        for (const cJSON *member = config->child; member; member = member->next)
            if (cJSON_IsString (member) && member->string)
                cJSON_AddStringToObject (overrides, member->string, member->valuestring);
        const type_t *model = models? models_config (models): NULL;
        if (config_apply_overrides (config, overrides, model, err))
            s_check_error (err);
        else if (config_validate (config, model, "config.json", err))
            s_check_error (err);
        cJSON_Delete (overrides);

        //  The config as the extra sections a setup hook returns.
        for (int is_state = 0; is_state <= 1; is_state++)
            if (models_merge (doc, config, is_state, err))
                s_check_error (err);
    }
    models_destroy (&models);
    FUZZ_CHECK (!models);
    cJSON_Delete (doc);
}

//  The bytes cut at white space into argv[1..].
static void
s_cli (const uint8_t *data, size_t size)
{
    char *text = fuzz_strndup (data, size);
    FUZZ_CHECK (text);
    char *argv [64] = { "svcfw" };
    int argc = 1;
    for (char *save = NULL, *word = strtok_r (text, " \t\n", &save); word && argc < 64;
         word = strtok_r (NULL, " \t\n", &save))
        argv [argc++] = word;
    cli_opts_t opts;
    char err [ERR_LEN];
    if (cli_parse (argc, argv, &opts, err) == 0)
        cli_opts_reset (&opts);
    else
        s_check_error (err);
    free (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    size_t models_len, rest_len, addresses_len, config_len;
    const uint8_t *rest, *config_text;
    fuzz_split (data, size, &models_len, &rest, &rest_len);
    fuzz_split (rest, rest_len, &addresses_len, &config_text, &config_len);

    char err [ERR_LEN];
    cJSON *addresses = json_parse ((const char *) rest, addresses_len, "addresses.json", err);
    if (addresses) {
        if (addresses_check (addresses, "addresses.json", err))
            s_check_error (err);
        s_normalize_all (addresses);
    }
    else
        s_check_error (err);
    cJSON *config = json_parse ((const char *) config_text, config_len, "config.json", err);
    if (!config)
        s_check_error (err);
    s_models ((const char *) data, models_len, addresses, cJSON_IsObject (config)? config: NULL);
    s_cli (config_text, config_len);
    cJSON_Delete (config);
    cJSON_Delete (addresses);
    return 0;
}
