/*  describe.c - svcfw describe: a plugin's models as Markdown. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "describe.h"
#include "json.h"
#include "loader.h"
#include "models.h"

//  A Markdown table cell: '|' escaped, no line breaks.
static void
s_cell (FILE *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            fputc ('\\', out);
        fputc ((unsigned char) *p < 0x20? ' ': *p, out);
    }
}

//  The keys of an object type as a table, or `none` when it has none.
static void
s_keys (FILE *out, const char *title, const type_t *type, bool any_object)
{
    int count = type_member_count (type);
    const type_t *other = type_other (type);
    if (any_object) {
        fprintf (out, "%s: any JSON object.\n\n", title);
        return;
    }
    if (count == 0 && !other) {
        fprintf (out, "%s: none.\n\n", title);
        return;
    }
    fprintf (out, "%s:\n\n| key | type | |\n|---|---|---|\n", title);
    for (int i = 0; i < count; i++) {
        const char *name = NULL;
        bool required = false;
        const type_t *member = type_member_at (type, i, &name, &required);
        char *text = type_describe (member);
        fputs ("| `", out);
        s_cell (out, name);
        fputs ("` | `", out);
        s_cell (out, text? text: "?");
        fprintf (out, "` | %s |\n", required? "required": "optional");
        free (text);
    }
    if (other) {
        char *text = type_describe (other);
        fputs ("| `*` (any other key) | `", out);
        s_cell (out, text? text: "?");
        fputs ("` | optional |\n", out);
        free (text);
    }
    fputc ('\n', out);
}

static void
s_entry (FILE *out, const model_t *model)
{
    fprintf (out, "### `%s` (%s)\n\n", model->name, models_kind_name (model->kind));
    if (model->creation && model->creation->child) {
        fputs ("Creation options: ", out);
        const cJSON *item;
        bool first = true;
        cJSON_ArrayForEach (item, model->creation) {
            char *text = json_print (item);
            fprintf (out, "%s`%s`: `", first? "": ", ", item->string);
            s_cell (out, text? text: "?");
            fputc ('`', out);
            cJSON_free (text);
            first = false;
        }
        fputs (".\n\n", out);
    }
    else
        fputs ("Creation options: none.\n\n", out);
    s_keys (out, "Args", model->args, model->is_state && !model->has_args);
    if (model->kind == MODEL_REPLYER || model->kind == MODEL_REQUESTER)
        s_keys (out, "Return args", model->returns, false);
}

int
graph_describe (const char *path, FILE *out, char *err)
{
    assert (path && out);
    plugin_t *plugin = plugin_load (path, err);
    if (!plugin)
        return -1;
    const char *text = plugin_models_text (plugin);
    char name [ERR_LEN], why [ERR_LEN];
    snprintf (name, sizeof name, "%s: svcfw_models", path);
    cJSON *doc = json_parse (text, strlen (text), name, err);
    models_t *models = doc? models_parse (doc, why): NULL;
    if (doc && !models)
        err_set (err, "%s: %s", path, why);
    if (!models) {
        cJSON_Delete (doc);
        plugin_destroy (&plugin);
        return -1;
    }
    fprintf (out, "# %s\n\nThe models of `%s`.\n\n## Config\n\n", plugin_name (plugin), path);
    s_keys (out, "Keys", models_config (models), false);
    const char *titles [4] = { "Connections in", "Connections out", "States in", "States out" };
    for (int section = 0; section < 4; section++) {
        bool is_state = section >= 2, is_in = section % 2 == 0, any = false;
        fprintf (out, "## %s\n\n", titles [section]);
        for (int i = 0; i < models_count (models); i++) {
            const model_t *model = models_at (models, i);
            if (model->is_state == is_state && model->is_in == is_in) {
                s_entry (out, model);
                any = true;
            }
        }
        if (!any)
            fputs ("None.\n\n", out);
    }
    models_destroy (&models);
    cJSON_Delete (doc);
    plugin_destroy (&plugin);
    if (fflush (out) || ferror (out))
        return err_set (err, "cannot write the page: %s", strerror (errno));
    return 0;
}
