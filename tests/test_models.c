/*  test_models.c - models: a full document compiles; every fault names its entry and key; hook merges. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "models.h"

//  Parses test JSON text; fails the test if the text itself is bad.
static cJSON *
s_json (const char *text)
{
    cJSON *doc = cJSON_Parse (text);
    if (!doc)
        fail_msg ("bad test JSON <%s>", text);
    return doc;
}

//  Fails unless err is one line that contains every NULL-terminated needle.
static void
s_assert_err (const char *err, const char *context, ...)
{
    if (strchr (err, '\n'))
        fail_msg ("%s: error is not one line: <%s>", context, err);
    va_list ap;
    va_start (ap, context);
    const char *needle;
    while ((needle = va_arg (ap, const char *)))
        if (!strstr (err, needle)) {
            va_end (ap);
            fail_msg ("%s: error <%s> does not contain <%s>", context, err, needle);
        }
    va_end (ap);
}

//  models_parse must refuse `text` with an error containing every needle.
#define s_refuses(text, ...) s_refuses_ (text, __VA_ARGS__, NULL)
static void
s_refuses_ (const char *text, ...)
{
    cJSON *doc = s_json (text);
    char err [ERR_LEN] = "";
    models_t *models = models_parse (doc, err);
    cJSON_Delete (doc);
    if (models) {
        models_destroy (&models);
        fail_msg ("models accepted <%s>", text);
    }
    assert_true (*err);
    if (strncmp (err, "models: ", 8))
        fail_msg ("error <%s> for <%s> does not start with \"models: \"", err, text);
    if (strchr (err, '\n'))
        fail_msg ("error is not one line: <%s>", err);
    va_list ap;
    va_start (ap, text);
    const char *needle;
    while ((needle = va_arg (ap, const char *)))
        if (!strstr (err, needle)) {
            va_end (ap);
            fail_msg ("error <%s> for <%s> does not contain <%s>", err, text, needle);
        }
    va_end (ap);
}

//  models_parse must accept `text`; returns the models (destroy them).
static models_t *
s_accepts (const char *text)
{
    cJSON *doc = s_json (text);
    char err [ERR_LEN] = "(untouched)";
    models_t *models = models_parse (doc, err);
    cJSON_Delete (doc);         //  models_parse copies what it keeps
    if (!models)
        fail_msg ("models refused <%s>: %s", text, err);
    assert_string_equal (err, "(untouched)");
    return models;
}

//  Validates value text against a compiled type: 0 or -1, with err.
static int
s_validate (const type_t *type, const char *value_text, char *err)
{
    cJSON *value = s_json (value_text);
    int rc = type_validate (type, value, err);
    cJSON_Delete (value);
    return rc;
}

//  A document with a config model, all four connection types and all four
//  state types, every creation argument and every argument section.
static const char *s_full =
    "{\"config_model\": {\"required\": {\"port\": \"int\"}, \"optional\": {\"rate\": \"float\"}},"
    " \"connection_models\": {"
    "  \"in\": {"
    "   \"orders\": {\"connection_type\": \"replyer\","
    "     \"required_creation_arguments\": {\"on_new_request\": \"on_order\"},"
    "     \"optional_creation_arguments\": {\"max_message_bytes\": 4096},"
    "     \"required_arguments\": {\"id\": \"int\", \"qty\": \"int\"},"
    "     \"optional_arguments\": {\"note\": \"str\"},"
    "     \"required_return_arguments\": {\"ok\": \"bool\"},"
    "     \"optional_return_arguments\": {\"reason\": \"str\"}},"
    "   \"prices\": {\"connection_type\": \"subscriber\","
    "     \"required_creation_arguments\": {\"on_new_message\": \"on_price\"},"
    "     \"optional_creation_arguments\": {\"topic\": \"px.\", \"is_binder\": true, \"max_message_bytes\": 512},"
    "     \"required_arguments\": {\"price\": \"float\"}}},"
    "  \"out\": {"
    "   \"pricing\": {\"connection_type\": \"requester\","
    "     \"optional_creation_arguments\": {\"timeout_ms\": 750, \"retries\": 5, \"max_message_bytes\": 1000000000000},"
    "     \"required_arguments\": {\"sku\": \"str\"},"
    "     \"required_return_arguments\": {\"price\": \"float\"}},"
    "   \"ticks\": {\"connection_type\": \"publisher\","
    "     \"optional_creation_arguments\": {\"topic\": \"tick\", \"is_x_pub\": true},"
    "     \"optional_arguments\": {\"n\": \"int\"}}}},"
    " \"state_models\": {"
    "  \"in\": {"
    "   \"book\": {\"state_type\": \"delta_update_in\","
    "     \"optional_creation_arguments\": {\"on_update\": \"on_book\", \"topic\": \"b\", \"timeout_ms\": 300,"
    "                                     \"max_message_bytes\": 2048, \"max_queue_bytes\": 65536},"
    "     \"required_arguments\": {\"bids\": {\"*\": \"float\"}}},"
    "   \"limits\": {\"state_type\": \"full_update_in\","
    "     \"optional_creation_arguments\": {\"on_update\": \"on_limits\"}}},"
    "  \"out\": {"
    "   \"positions\": {\"state_type\": \"delta_update_out\","
    "     \"optional_creation_arguments\": {\"topic\": \"pos\", \"is_x_pub\": false},"
    "     \"optional_arguments\": {\"qty\": \"int\"}},"
    "   \"totals\": {\"state_type\": \"full_update_out\","
    "     \"required_arguments\": {\"total\": \"int\"}}}}}";

static void
test_full_document (void **state)
{
    (void) state;
    models_t *models = s_accepts (s_full);
    assert_int_equal (models_count (models), 8);

    //  Document order: connections in, connections out, states in, states out.
    const struct {
        const char *name, *where;
        model_kind_t kind;
        bool is_state, is_in;
    } expected [] = {
        { "orders", "connection_models.in.orders", MODEL_REPLYER, false, true },
        { "prices", "connection_models.in.prices", MODEL_SUBSCRIBER, false, true },
        { "pricing", "connection_models.out.pricing", MODEL_REQUESTER, false, false },
        { "ticks", "connection_models.out.ticks", MODEL_PUBLISHER, false, false },
        { "book", "state_models.in.book", MODEL_DELTA_UPDATE_IN, true, true },
        { "limits", "state_models.in.limits", MODEL_FULL_UPDATE_IN, true, true },
        { "positions", "state_models.out.positions", MODEL_DELTA_UPDATE_OUT, true, false },
        { "totals", "state_models.out.totals", MODEL_FULL_UPDATE_OUT, true, false },
    };
    for (int i = 0; i < 8; i++) {
        const model_t *model = models_at (models, i);
        assert_non_null (model);
        assert_string_equal (model->name, expected [i].name);
        assert_string_equal (model->where, expected [i].where);
        assert_int_equal (model->kind, expected [i].kind);
        assert_int_equal (model->is_state, expected [i].is_state);
        assert_int_equal (model->is_in, expected [i].is_in);
        assert_true (cJSON_IsObject (model->creation));
        assert_non_null (model->args);
        assert_non_null (model->returns);
        assert_ptr_equal (models_find (models, expected [i].is_state, expected [i].is_in,
                                       expected [i].name), model);
    }
    assert_null (models_at (models, 8));
    assert_null (models_at (models, -1));

    //  models_find keys on family and side as well as name.
    assert_null (models_find (models, false, true, "nope"));
    assert_null (models_find (models, false, false, "orders"));
    assert_null (models_find (models, true, true, "orders"));
    assert_null (models_find (models, false, true, "book"));

    //  Creation arguments, with fallbacks for what is not given.
    const model_t *orders = models_find (models, false, true, "orders");
    assert_string_equal (model_string (orders, "on_new_request", NULL), "on_order");
    assert_int_equal (model_int (orders, "max_message_bytes", 1), 4096);
    assert_null (model_string (orders, "topic", NULL));
    assert_string_equal (model_string (orders, "topic", "dflt"), "dflt");
    assert_string_equal (model_string (orders, "max_message_bytes", "not a string"), "not a string");
    assert_int_equal (model_int (orders, "on_new_request", -7), -7);
    assert_true (model_bool (orders, "is_binder", true));

    const model_t *prices = models_find (models, false, true, "prices");
    assert_string_equal (model_string (prices, "on_new_message", NULL), "on_price");
    assert_string_equal (model_string (prices, "topic", ""), "px.");
    assert_true (model_bool (prices, "is_binder", false));
    assert_int_equal (model_int (prices, "max_message_bytes", 1), 512);

    const model_t *pricing = models_find (models, false, false, "pricing");
    assert_int_equal (model_int (pricing, "timeout_ms", 2500), 750);
    assert_int_equal (model_int (pricing, "retries", 3), 5);
    //  A value beyond int is clamped, not wrapped.
    assert_int_equal (model_int (pricing, "max_message_bytes", 1), INT_MAX);

    const model_t *ticks = models_find (models, false, false, "ticks");
    assert_string_equal (model_string (ticks, "topic", ""), "tick");
    assert_true (model_bool (ticks, "is_x_pub", false));
    assert_false (model_bool (models_find (models, true, false, "positions"), "is_x_pub", true));
    assert_false (model_bool (ticks, "topic", false));      //  not a bool: fallback

    const model_t *book = models_find (models, true, true, "book");
    assert_string_equal (model_string (book, "on_update", NULL), "on_book");
    assert_int_equal (model_int (book, "timeout_ms", 0), 300);
    assert_int_equal (model_int (book, "max_queue_bytes", 0), 65536);
    assert_string_equal (model_string (models_find (models, true, true, "limits"), "on_update", NULL),
                         "on_limits");
    assert_null (model_string (models_find (models, true, false, "totals"), "on_update", NULL));

    //  The argument and return models are compiled from their two sections.
    char err [ERR_LEN];
    assert_int_equal (s_validate (orders->args, "{\"id\": 1, \"qty\": 2}", err), 0);
    assert_int_equal (s_validate (orders->args, "{\"id\": 1, \"qty\": 2, \"note\": \"x\"}", err), 0);
    assert_int_equal (s_validate (orders->args, "{\"id\": 1}", err), -1);
    assert_non_null (strstr (err, "qty"));
    assert_int_equal (s_validate (orders->args, "{\"id\": 1, \"qty\": 2, \"colour\": 1}", err), -1);
    assert_non_null (strstr (err, "colour"));
    assert_int_equal (s_validate (orders->returns, "{\"ok\": true, \"reason\": \"r\"}", err), 0);
    assert_int_equal (s_validate (orders->returns, "{\"reason\": \"r\"}", err), -1);
    assert_int_equal (s_validate (pricing->returns, "{\"price\": 3}", err), 0);
    assert_int_equal (s_validate (book->args, "{\"bids\": {\"1.5\": 2.5}}", err), 0);
    assert_int_equal (s_validate (book->args, "{\"bids\": {\"1.5\": \"x\"}}", err), -1);
    //  No argument sections: an empty model that takes {} only.
    const model_t *limits = models_find (models, true, true, "limits");
    assert_int_equal (s_validate (limits->args, "{}", err), 0);
    assert_int_equal (s_validate (limits->args, "{\"x\": 1}", err), -1);
    //  Entries that send no reply get an empty return model.
    assert_int_equal (s_validate (prices->returns, "{}", err), 0);

    //  The config model.
    const type_t *config = models_config (models);
    assert_non_null (config);
    assert_int_equal (s_validate (config, "{\"port\": 5, \"rate\": 2}", err), 0);
    assert_int_equal (s_validate (config, "{\"rate\": 2.5}", err), -1);
    assert_non_null (strstr (err, "port"));

    models_destroy (&models);
    assert_null (models);
    models_destroy (&models);       //  NULL is fine
    models_destroy (NULL);
}

static void
test_small_documents (void **state)
{
    (void) state;
    //  Nothing at all: no config model, no entries.
    models_t *models = s_accepts ("{}");
    assert_int_equal (models_count (models), 0);
    assert_null (models_config (models));
    assert_null (models_at (models, 0));
    assert_null (models_find (models, false, true, "orders"));
    models_destroy (&models);

    //  Empty sides and sections, and defaults left to the runtime.
    models = s_accepts ("{\"config_model\": {}, \"connection_models\": {\"in\": {}, \"out\": {"
                        " \"p\": {\"connection_type\": \"publisher\"},"
                        " \"r\": {\"connection_type\": \"requester\", \"required_creation_arguments\": {},"
                        "        \"required_return_arguments\": {}}}},"
                        " \"state_models\": {}}");
    assert_non_null (models_config (models));
    assert_int_equal (models_count (models), 2);
    const model_t *requester = models_find (models, false, false, "r");
    assert_int_equal (requester->kind, MODEL_REQUESTER);
    assert_int_equal (model_int (requester, "timeout_ms", 2500), 2500);
    assert_int_equal (model_int (requester, "retries", 3), 3);
    assert_false (model_bool (models_find (models, false, false, "p"), "is_x_pub", false));
    models_destroy (&models);

    //  Empty return sections are fine even where no reply is sent.
    models = s_accepts ("{\"connection_models\": {\"in\": {\"s\": {\"connection_type\": \"subscriber\","
                        " \"required_creation_arguments\": {\"on_new_message\": \"f\"},"
                        " \"required_return_arguments\": {}, \"optional_return_arguments\": {}}}}}");
    models_destroy (&models);
}

static void
test_kind_names (void **state)
{
    (void) state;
    assert_string_equal (models_kind_name (MODEL_REPLYER), "replyer");
    assert_string_equal (models_kind_name (MODEL_REQUESTER), "requester");
    assert_string_equal (models_kind_name (MODEL_SUBSCRIBER), "subscriber");
    assert_string_equal (models_kind_name (MODEL_PUBLISHER), "publisher");
    assert_string_equal (models_kind_name (MODEL_DELTA_UPDATE_OUT), "delta_update_out");
    assert_string_equal (models_kind_name (MODEL_DELTA_UPDATE_IN), "delta_update_in");
    assert_string_equal (models_kind_name (MODEL_FULL_UPDATE_OUT), "full_update_out");
    assert_string_equal (models_kind_name (MODEL_FULL_UPDATE_IN), "full_update_in");

    int n = 0;
    bool request = false, message = false, update = false, fallback = false;
    for (; models_handler_keys [n]; n++) {
        request |= strcmp (models_handler_keys [n], "on_new_request") == 0;
        message |= strcmp (models_handler_keys [n], "on_new_message") == 0;
        update |= strcmp (models_handler_keys [n], "on_update") == 0;
        fallback |= strcmp (models_handler_keys [n], "fallback") == 0;
    }
    assert_int_equal (n, 4);
    assert_true (request && message && update && fallback);
}

//  {"connection_models": {"in": {"orders": ENTRY}}}
#define IN_ORDERS(entry) "{\"connection_models\": {\"in\": {\"orders\": " entry "}}}"
#define OUT_PRICING(entry) "{\"connection_models\": {\"out\": {\"pricing\": " entry "}}}"
#define REPLYER(more) "{\"connection_type\": \"replyer\"," \
    " \"required_creation_arguments\": {\"on_new_request\": \"on_order\"}" more "}"

static void
test_document_errors (void **state)
{
    (void) state;
    s_refuses ("[]", "must be a JSON object", "array");
    s_refuses ("\"models\"", "must be a JSON object", "string");
    s_refuses ("{\"config_models\": {}}", "unknown key 'config_models'", "config_model");
    s_refuses ("{\"connection_models\": {}, \"extra\": 1}", "unknown key 'extra'");
    //  A key quoted in an error cannot break it into lines (found by fuzz_models).
    s_refuses ("{\"connection_models\": {\"in\": {\"x\": {\"connection_type\": \"publisher\","
               " \"conn\\nection\\r\\ttype\": 1}}}}", "unknown key 'conn?ection??type'");

    //  config_model
    s_refuses ("{\"config_model\": []}", "config_model", "must be an object", "array");
    s_refuses ("{\"config_model\": {\"requird\": {}}}", "config_model", "unknown key 'requird'");
    s_refuses ("{\"config_model\": {\"required\": [\"str\"]}}", "config_model", "required", "array");
    s_refuses ("{\"config_model\": {\"optional\": \"str\"}}", "config_model", "optional", "string");
    s_refuses ("{\"config_model\": {\"required\": {\"port\": \"port\"}}}", "config_model", "unknown type", "port");

    //  families and sides
    s_refuses ("{\"connection_models\": []}", "connection_models", "must be an object");
    s_refuses ("{\"state_models\": 3}", "state_models", "must be an object");
    s_refuses ("{\"connection_models\": {\"inn\": {}}}", "connection_models", "unknown key 'inn'");
    s_refuses ("{\"state_models\": {\"in\": {}, \"outbound\": {}}}", "state_models", "unknown key 'outbound'");
    s_refuses ("{\"connection_models\": {\"out\": []}}", "connection_models.out", "must be an object");
    s_refuses ("{\"state_models\": {\"in\": \"x\"}}", "state_models.in", "must be an object");
    s_refuses ("{\"connection_models\": {\"in\": {\"\": {\"connection_type\": \"publisher\"}}}}",
               "connection_models.in", "empty");
}

static void
test_entry_errors (void **state)
{
    (void) state;
    //  entry shape
    s_refuses (IN_ORDERS ("\"replyer\""), "connection_models.in.orders", "must be an object", "string");
    s_refuses (IN_ORDERS ("[]"), "connection_models.in.orders", "must be an object");
    s_refuses (IN_ORDERS (REPLYER (", \"required_argument\": {}")), "connection_models.in.orders",
               "unknown key 'required_argument'");
    s_refuses (IN_ORDERS ("{\"required_creation_arguments\": {\"on_new_request\": \"f\"}}"),
               "connection_models.in.orders", "missing", "connection_type");
    s_refuses ("{\"state_models\": {\"out\": {\"pos\": {}}}}", "state_models.out.pos", "missing", "state_type");
    s_refuses (IN_ORDERS ("{\"connection_type\": 5}"), "connection_models.in.orders", "connection_type",
               "must be a string", "number");
    s_refuses (IN_ORDERS ("{\"connection_type\": null}"), "connection_models.in.orders", "connection_type");
    s_refuses ("{\"state_models\": {\"in\": {\"book\": {\"state_type\": [\"delta_update_in\"]}}}}",
               "state_models.in.book", "state_type", "must be a string");

    //  unknown types list the known ones of that family
    s_refuses (IN_ORDERS ("{\"connection_type\": \"replier\"}"), "connection_models.in.orders",
               "unknown connection type", "replier", "replyer", "requester", "subscriber", "publisher");
    s_refuses (IN_ORDERS ("{\"connection_type\": \"delta_update_in\"}"), "connection_models.in.orders",
               "unknown connection type", "delta_update_in");
    s_refuses ("{\"state_models\": {\"in\": {\"book\": {\"state_type\": \"delta\"}}}}",
               "state_models.in.book", "unknown state type", "delta", "delta_update_out", "delta_update_in",
               "full_update_out", "full_update_in");
    s_refuses ("{\"state_models\": {\"in\": {\"book\": {\"state_type\": \"subscriber\"}}}}",
               "state_models.in.book", "unknown state type");

    //  wrong side
    s_refuses ("{\"connection_models\": {\"out\": {\"orders\": " REPLYER ("") "}}}",
               "connection_models.out.orders", "replyer", "connection_models.in");
    s_refuses (IN_ORDERS ("{\"connection_type\": \"requester\"}"), "connection_models.in.orders",
               "requester", "connection_models.out");
    s_refuses ("{\"connection_models\": {\"in\": {\"ticks\": {\"connection_type\": \"publisher\"}}}}",
               "connection_models.in.ticks", "publisher");
    s_refuses ("{\"connection_models\": {\"out\": {\"px\": {\"connection_type\": \"subscriber\","
               " \"required_creation_arguments\": {\"on_new_message\": \"f\"}}}}}",
               "connection_models.out.px", "subscriber");
    s_refuses ("{\"state_models\": {\"in\": {\"pos\": {\"state_type\": \"delta_update_out\"}}}}",
               "state_models.in.pos", "delta_update_out", "state_models.out");
    s_refuses ("{\"state_models\": {\"out\": {\"book\": {\"state_type\": \"full_update_in\"}}}}",
               "state_models.out.book", "full_update_in", "state_models.in");

    //  a type key of the other family
    s_refuses (IN_ORDERS (REPLYER (", \"state_type\": \"delta_update_in\"")), "connection_models.in.orders",
               "state_type");
    s_refuses ("{\"state_models\": {\"out\": {\"pos\": {\"state_type\": \"delta_update_out\","
               " \"connection_type\": \"publisher\"}}}}", "state_models.out.pos", "connection_type");
}

static void
test_creation_errors (void **state)
{
    (void) state;
    //  missing required creation arguments
    s_refuses (IN_ORDERS ("{\"connection_type\": \"replyer\"}"), "connection_models.in.orders", "on_new_request");
    s_refuses (IN_ORDERS ("{\"connection_type\": \"replyer\", \"optional_creation_arguments\": {\"max_message_bytes\": 9}}"),
               "connection_models.in.orders", "on_new_request");
    s_refuses ("{\"connection_models\": {\"in\": {\"px\": {\"connection_type\": \"subscriber\"}}}}",
               "connection_models.in.px", "on_new_message");

    //  unknown creation arguments
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"colour\": \"red\"}")),
               "connection_models.in.orders", "colour");
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"timeout_ms\": 5}")),
               "connection_models.in.orders", "timeout_ms");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"publisher\", \"optional_creation_arguments\": {\"is_binder\": true}}"),
               "connection_models.out.pricing", "is_binder");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"requester\", \"required_creation_arguments\": {\"on_new_request\": \"f\"}}"),
               "connection_models.out.pricing", "on_new_request");

    //  wrong creation argument types
    s_refuses (IN_ORDERS ("{\"connection_type\": \"replyer\", \"required_creation_arguments\": {\"on_new_request\": 5}}"),
               "connection_models.in.orders", "on_new_request");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"requester\", \"optional_creation_arguments\": {\"timeout_ms\": \"fast\"}}"),
               "connection_models.out.pricing", "timeout_ms");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"requester\", \"optional_creation_arguments\": {\"timeout_ms\": 2.5}}"),
               "connection_models.out.pricing", "timeout_ms");
    s_refuses ("{\"connection_models\": {\"in\": {\"px\": {\"connection_type\": \"subscriber\","
               " \"required_creation_arguments\": {\"on_new_message\": \"f\"},"
               " \"optional_creation_arguments\": {\"is_binder\": \"yes\"}}}}}",
               "connection_models.in.px", "is_binder");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"publisher\", \"optional_creation_arguments\": {\"topic\": 7}}"),
               "connection_models.out.pricing", "topic");

    //  options that must be at least 1
    s_refuses (OUT_PRICING ("{\"connection_type\": \"requester\", \"optional_creation_arguments\": {\"timeout_ms\": 0}}"),
               "connection_models.out.pricing", "timeout_ms", "at least 1");
    //  retries counts re-sends after the first attempt: 0 (try once) is fine
    s_refuses (OUT_PRICING ("{\"connection_type\": \"requester\", \"optional_creation_arguments\": {\"retries\": -1}}"),
               "connection_models.out.pricing", "retries", "at least 0");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"requester\", \"optional_creation_arguments\": {\"retries\": -3}}"),
               "connection_models.out.pricing", "retries", "at least 0");
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"max_message_bytes\": 0}")),
               "connection_models.in.orders", "max_message_bytes", "at least 1");
    s_refuses ("{\"state_models\": {\"in\": {\"book\": {\"state_type\": \"delta_update_in\","
               " \"optional_creation_arguments\": {\"timeout_ms\": -1}}}}}",
               "state_models.in.book", "timeout_ms", "at least 1");
    s_refuses ("{\"state_models\": {\"in\": {\"book\": {\"state_type\": \"full_update_in\","
               " \"optional_creation_arguments\": {\"max_queue_bytes\": 0}}}}}",
               "state_models.in.book", "max_queue_bytes", "at least 1");

    //  "workers": handler threads of a replyer or subscriber, 1 to 1024
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"workers\": 0}")),
               "connection_models.in.orders", "workers", "at least 1");
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"workers\": 2.5}")),
               "connection_models.in.orders", "workers");
    s_refuses ("{\"connection_models\": {\"in\": {\"px\": {\"connection_type\": \"subscriber\","
               " \"required_creation_arguments\": {\"on_new_message\": \"f\"},"
               " \"optional_creation_arguments\": {\"workers\": 5000}}}}}",
               "connection_models.in.px", "workers", "at most 1024");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"requester\", \"optional_creation_arguments\": {\"workers\": 2}}"),
               "connection_models.out.pricing", "workers");

    //  empty handler names
    s_refuses (IN_ORDERS ("{\"connection_type\": \"replyer\", \"required_creation_arguments\": {\"on_new_request\": \"\"}}"),
               "connection_models.in.orders", "on_new_request", "handler");
    s_refuses ("{\"connection_models\": {\"in\": {\"px\": {\"connection_type\": \"subscriber\","
               " \"required_creation_arguments\": {\"on_new_message\": \"\"}}}}}",
               "connection_models.in.px", "on_new_message", "handler");
    s_refuses ("{\"state_models\": {\"in\": {\"book\": {\"state_type\": \"full_update_in\","
               " \"optional_creation_arguments\": {\"on_update\": \"\"}}}}}",
               "state_models.in.book", "on_update", "handler");

    //  a creation argument in both sections
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"on_new_request\": \"other\"}")),
               "connection_models.in.orders", "on_new_request", "twice");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"requester\", \"required_creation_arguments\": {\"retries\": 2},"
                            " \"optional_creation_arguments\": {\"retries\": 2}}"),
               "connection_models.out.pricing", "retries");

    //  creation sections that are not objects
    s_refuses (IN_ORDERS ("{\"connection_type\": \"replyer\", \"required_creation_arguments\": [\"on_order\"]}"),
               "connection_models.in.orders", "required_creation_arguments", "must be an object");
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": \"x\"")),
               "connection_models.in.orders", "optional_creation_arguments", "must be an object");
}

#define REQUESTER(creation) OUT_PRICING ("{\"connection_type\": \"requester\"," \
    " \"optional_creation_arguments\": {" creation "}}")

//  The resilience options (docs/resilience.md): accepted forms, then each
//  fault with the entry and the key in its one line.
static void
test_resilience_options (void **state)
{
    (void) state;
    const char *good [] = {
        REQUESTER ("\"retries\": 5, \"backoff_ms\": 0"),
        REQUESTER ("\"backoff_ms\": 100, \"backoff_max_ms\": 100"),
        REQUESTER ("\"breaker\": true, \"fallback\": \"on_pricing_down\""),
        REQUESTER ("\"breaker\": false"),
        REQUESTER ("\"breaker\": {\"window_ms\": 1000, \"min_requests\": 3, \"error_percent\": 100, \"open_ms\": 50}"),
        REQUESTER ("\"durable\": true, \"outbox\": \"/var/lib/x.db\", \"outbox_batch\": 1, \"backoff_ms\": 5"),
        REQUESTER ("\"durable\": true, \"outbox_batch\": 1024, \"in_flight\": 1000, \"synchronous\": \"normal\""),
        REQUESTER ("\"durable\": false, \"breaker\": {}"),
        IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"dedupe\": true, \"inbox\": \"in.db\"}")),
        IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"dedupe\": false}")),
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        models_t *models = s_accepts (good [i]);
        models_destroy (&models);
    }
    const char *where = "connection_models.out.pricing";
    s_refuses (REQUESTER ("\"backoff_ms\": -1"), where, "'backoff_ms' must be at least 0");
    s_refuses (REQUESTER ("\"backoff_ms\": 1.5"), where, "backoff_ms");
    s_refuses (REQUESTER ("\"backoff_max_ms\": 0"), where, "'backoff_max_ms' must be at least 1");
    s_refuses (REQUESTER ("\"backoff_ms\": 500, \"backoff_max_ms\": 100"), where,
               "'backoff_max_ms' (100) must be at least 'backoff_ms' (500)");
    s_refuses (REQUESTER ("\"breaker\": 1"), where, "'breaker' must be true, false or an object");
    s_refuses (REQUESTER ("\"breaker\": {\"open\": 5}"), where, "'breaker' has unknown key 'open'");
    s_refuses (REQUESTER ("\"breaker\": {\"error_percent\": 150}"), where, "'breaker.error_percent' must be in 1..100");
    s_refuses (REQUESTER ("\"breaker\": {\"min_requests\": 0}"), where, "'breaker.min_requests' must be in 1..");
    s_refuses (REQUESTER ("\"breaker\": {\"window_ms\": \"10s\"}"), where, "'breaker.window_ms' must be an int");
    s_refuses (REQUESTER ("\"fallback\": \"\""), where, "'fallback' must name a handler");
    s_refuses (REQUESTER ("\"fallback\": 3"), where, "fallback");
    s_refuses (REQUESTER ("\"durable\": \"yes\""), where, "durable");
    s_refuses (REQUESTER ("\"outbox\": \"x.db\""), where, "'outbox' needs \"durable\": true");
    s_refuses (REQUESTER ("\"durable\": true, \"outbox\": \"\""), where, "'outbox' must be a file path");
    s_refuses (REQUESTER ("\"outbox_batch\": 8"), where, "'outbox_batch' needs \"durable\": true");
    s_refuses (REQUESTER ("\"durable\": true, \"outbox_batch\": 0"), where, "'outbox_batch' must be at least 1");
    s_refuses (REQUESTER ("\"durable\": true, \"outbox_batch\": 1025"), where,
               "'outbox_batch' must be at most 1024 (messages in one request), got 1025");
    s_refuses (REQUESTER ("\"in_flight\": 4"), where, "'in_flight' needs \"durable\": true");
    s_refuses (REQUESTER ("\"durable\": true, \"in_flight\": 0"), where, "'in_flight' must be at least 1");
    s_refuses (REQUESTER ("\"durable\": true, \"in_flight\": 1001"), where, "'in_flight' must be at most 1000, got 1001");
    s_refuses (REQUESTER ("\"synchronous\": \"normal\""), where, "'synchronous' needs \"durable\": true");
    s_refuses (REQUESTER ("\"durable\": true, \"synchronous\": \"off\""), where,
               "'synchronous' must be \"full\" or \"normal\", got \"off\"");
    s_refuses (REQUESTER ("\"durable\": true, \"synchronous\": 1"), where, "synchronous");
    s_refuses (REQUESTER ("\"durable\": true, \"breaker\": true"), where, "'breaker' does not apply to a durable requester");
    s_refuses (REQUESTER ("\"durable\": true, \"fallback\": \"f\""), where, "'fallback' does not apply to a durable requester");
    s_refuses (REQUESTER ("\"dedupe\": true"), where, "dedupe");
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"inbox\": \"in.db\"}")),
               "connection_models.in.orders", "'inbox' needs \"dedupe\": true");
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"durable\": true}")),
               "connection_models.in.orders", "durable");
}

#define PUBLISHER(creation) OUT_PRICING ("{\"connection_type\": \"publisher\"," \
    " \"optional_creation_arguments\": {" creation "}}")

//  The link options every socket takes (SPEC §8), and a publisher's wait
//  for its subscribers: accepted on every kind, each fault in one line.
static void
test_link_options (void **state)
{
    (void) state;
    const char *good [] = {
        REQUESTER ("\"zmtp_heartbeat_ms\": 500, \"reconnect_max_ms\": 3000, \"connect_timeout_ms\": 1000"),
        IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"zmtp_heartbeat_ms\": 250}")),
        PUBLISHER ("\"min_subscribers\": 2, \"join_timeout_ms\": 5000, \"connect_timeout_ms\": 100"),
        PUBLISHER ("\"min_subscribers\": 1"),
        "{\"state_models\": {\"in\": {\"t\": {\"state_type\": \"full_update_in\","
        " \"optional_creation_arguments\": {\"heartbeat_ms\": 200, \"reconnect_max_ms\": 1000}}}}}",
        "{\"state_models\": {\"out\": {\"t\": {\"state_type\": \"delta_update_out\","
        " \"optional_creation_arguments\": {\"zmtp_heartbeat_ms\": 200}}}}}",
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        models_t *models = s_accepts (good [i]);
        models_destroy (&models);
    }
    const char *where = "connection_models.out.pricing";
    s_refuses (REQUESTER ("\"zmtp_heartbeat_ms\": 0"), where, "'zmtp_heartbeat_ms' must be at least 1");
    s_refuses (REQUESTER ("\"reconnect_max_ms\": -5"), where, "'reconnect_max_ms' must be at least 1");
    s_refuses (REQUESTER ("\"connect_timeout_ms\": \"2s\""), where, "connect_timeout_ms");
    s_refuses (PUBLISHER ("\"min_subscribers\": 0"), where, "'min_subscribers' must be at least 1");
    s_refuses (PUBLISHER ("\"join_timeout_ms\": 100"), where, "'join_timeout_ms' needs 'min_subscribers'");
    s_refuses (REQUESTER ("\"min_subscribers\": 1"), where, "min_subscribers");
}

static void
test_argument_errors (void **state)
{
    (void) state;
    //  unknown types, in each section, name the entry
    s_refuses (IN_ORDERS (REPLYER (", \"required_arguments\": {\"price\": \"decimal\"}")),
               "connection_models.in.orders", "decimal");
    s_refuses (IN_ORDERS (REPLYER (", \"optional_arguments\": {\"tags\": [\"tag\"]}")),
               "connection_models.in.orders", "tag");
    s_refuses (IN_ORDERS (REPLYER (", \"required_return_arguments\": {\"ok\": \"boolean\"}")),
               "connection_models.in.orders", "boolean");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"requester\", \"optional_return_arguments\": {\"p\": {\"x\": \"real\"}}}"),
               "connection_models.out.pricing", "real");
    s_refuses ("{\"state_models\": {\"out\": {\"totals\": {\"state_type\": \"full_update_out\","
               " \"required_arguments\": {\"total\": \"number\"}}}}}",
               "state_models.out.totals", "number");

    //  sections that are not objects
    s_refuses (IN_ORDERS (REPLYER (", \"required_arguments\": [\"id\"]")),
               "connection_models.in.orders", "required_arguments", "must be an object");
    s_refuses (IN_ORDERS (REPLYER (", \"optional_return_arguments\": 1")),
               "connection_models.in.orders", "optional_return_arguments", "must be an object");

    //  a key in both argument sections
    s_refuses (IN_ORDERS (REPLYER (", \"required_arguments\": {\"id\": \"int\"}, \"optional_arguments\": {\"id\": \"int\"}")),
               "connection_models.in.orders", "id");

    //  return arguments where no reply is sent
    s_refuses ("{\"connection_models\": {\"in\": {\"px\": {\"connection_type\": \"subscriber\","
               " \"required_creation_arguments\": {\"on_new_message\": \"f\"},"
               " \"required_return_arguments\": {\"ok\": \"bool\"}}}}}",
               "connection_models.in.px", "return");
    s_refuses (OUT_PRICING ("{\"connection_type\": \"publisher\", \"optional_return_arguments\": {\"ok\": \"bool\"}}"),
               "connection_models.out.pricing", "return");
    s_refuses ("{\"state_models\": {\"out\": {\"pos\": {\"state_type\": \"delta_update_out\","
               " \"required_return_arguments\": {\"ok\": \"bool\"}}}}}",
               "state_models.out.pos", "return");

    //  the first faulty entry of several is the one named
    s_refuses ("{\"connection_models\": {\"in\": {\"good\": " REPLYER ("") ","
               " \"bad\": {\"connection_type\": \"replyer\"}}}}", "connection_models.in.bad");
}

//  Merges extra (text) into doc (text) with models_merge; returns the result.
static int
s_merge (cJSON *doc, const char *extra_text, bool is_state, char *err)
{
    cJSON *extra = extra_text? s_json (extra_text): NULL;
    int rc = models_merge (doc, extra, is_state, err);
    cJSON_Delete (extra);
    return rc;
}

static void
test_merge (void **state)
{
    (void) state;
    cJSON *doc = s_json (
        "{\"connection_models\": {"
        "  \"in\": {\"orders\": {\"connection_type\": \"replyer\","
        "           \"required_creation_arguments\": {\"on_new_request\": \"on_order\"},"
        "           \"required_arguments\": {\"id\": \"int\"}}},"
        "  \"out\": {\"pricing\": {\"connection_type\": \"requester\"}}},"
        " \"state_models\": {\"out\": {\"totals\": {\"state_type\": \"full_update_out\"}},"
        "                   \"in\": {\"book\": {\"state_type\": \"delta_update_in\"}}}}");
    char err [ERR_LEN] = "(untouched)";

    //  Keys go into existing sections (replacing the same key) and new ones.
    assert_int_equal (s_merge (doc,
        "{\"orders\": {\"required_creation_arguments\": {\"on_new_request\": \"on_order_v2\"},"
        "              \"optional_creation_arguments\": {\"max_message_bytes\": 64},"
        "              \"required_arguments\": {\"qty\": \"int\"},"
        "              \"required_return_arguments\": {\"ok\": \"bool\"}},"
        " \"pricing\": {\"optional_creation_arguments\": {\"timeout_ms\": 100, \"retries\": 1}}}",
        false, err), 0);
    assert_int_equal (s_merge (doc,
        "{\"totals\": {\"required_arguments\": {\"total\": \"int\"}},"
        " \"book\": {\"optional_creation_arguments\": {\"on_update\": \"on_book\"}}}", true, err), 0);
    assert_int_equal (s_merge (doc, "{}", false, err), 0);
    assert_string_equal (err, "(untouched)");

    models_t *models = models_parse (doc, err);
    if (!models)
        fail_msg ("merged models refused: %s", err);
    const model_t *orders = models_find (models, false, true, "orders");
    assert_string_equal (model_string (orders, "on_new_request", NULL), "on_order_v2");
    assert_int_equal (model_int (orders, "max_message_bytes", 0), 64);
    assert_int_equal (s_validate (orders->args, "{\"id\": 1, \"qty\": 2}", err), 0);
    assert_int_equal (s_validate (orders->args, "{\"id\": 1}", err), -1);     //  qty now required
    assert_int_equal (s_validate (orders->returns, "{\"ok\": true}", err), 0);
    const model_t *pricing = models_find (models, false, false, "pricing");
    assert_int_equal (model_int (pricing, "timeout_ms", 0), 100);
    assert_int_equal (model_int (pricing, "retries", 0), 1);
    const model_t *totals = models_find (models, true, false, "totals");
    assert_int_equal (s_validate (totals->args, "{\"total\": 3}", err), 0);
    assert_int_equal (s_validate (totals->args, "{}", err), -1);
    assert_string_equal (model_string (models_find (models, true, true, "book"), "on_update", NULL), "on_book");
    models_destroy (&models);

    //  A merge that makes the models wrong is caught when they are re-parsed.
    assert_int_equal (s_merge (doc, "{\"pricing\": {\"optional_creation_arguments\": {\"timeout_ms\": 0}}}",
                               false, err), 0);
    assert_null (models_parse (doc, err));
    s_assert_err (err, "re-parse", "connection_models.out.pricing", "timeout_ms", NULL);
    assert_int_equal (s_merge (doc, "{\"pricing\": {\"optional_creation_arguments\": {\"timeout_ms\": 10}}}",
                               false, err), 0);
    assert_int_equal (s_merge (doc, "{\"orders\": {\"optional_arguments\": {\"when\": \"date\"}}}",
                               false, err), 0);
    assert_null (models_parse (doc, err));
    s_assert_err (err, "re-parse", "connection_models.in.orders", "date", NULL);
    cJSON_Delete (doc);
}

static void
test_merge_errors (void **state)
{
    (void) state;
    cJSON *doc = s_json (
        "{\"connection_models\": {\"in\": {\"orders\": {\"connection_type\": \"replyer\","
        "           \"required_creation_arguments\": {\"on_new_request\": \"on_order\"}}}},"
        " \"state_models\": {\"out\": {\"totals\": {\"state_type\": \"full_update_out\"}}}}");
    char *before = cJSON_PrintUnformatted (doc);
    char err [ERR_LEN];

    //  A name the models do not declare, in the family the hook is for.
    assert_int_equal (s_merge (doc, "{\"nope\": {\"required_arguments\": {}}}", false, err), -1);
    s_assert_err (err, "unknown connection", "svcfw_setup_connections", "'nope'", "connection_models", NULL);
    assert_int_equal (s_merge (doc, "{\"totals\": {\"required_arguments\": {}}}", false, err), -1);
    s_assert_err (err, "state given to connections", "svcfw_setup_connections", "totals", NULL);
    assert_int_equal (s_merge (doc, "{\"orders\": {\"required_arguments\": {}}}", true, err), -1);
    s_assert_err (err, "connection given to states", "svcfw_setup_states", "orders", "state_models", NULL);

    //  The hook's result must be an object of objects of sections.
    assert_int_equal (s_merge (doc, "[]", false, err), -1);
    s_assert_err (err, "array", "svcfw_setup_connections", "object", "array", NULL);
    assert_int_equal (s_merge (doc, NULL, true, err), -1);
    s_assert_err (err, "NULL", "svcfw_setup_states", "object", NULL);
    assert_int_equal (s_merge (doc, "{\"orders\": 5}", false, err), -1);
    s_assert_err (err, "entry not object", "svcfw_setup_connections", "orders", NULL);
    assert_int_equal (s_merge (doc, "{\"orders\": {\"required_argument\": {}}}", false, err), -1);
    s_assert_err (err, "unknown section", "svcfw_setup_connections", "orders", "required_argument", NULL);
    assert_int_equal (s_merge (doc, "{\"orders\": {\"required_arguments\": [1]}}", false, err), -1);
    s_assert_err (err, "section not object", "svcfw_setup_connections", "orders", "required_arguments", NULL);

    //  None of the refused merges changed the document.
    char *after = cJSON_PrintUnformatted (doc);
    assert_string_equal (before, after);
    cJSON_free (before);
    cJSON_free (after);
    cJSON_Delete (doc);
}

//  A requester's reply cache: checked with the models, each fault one line
//  naming the entry and the key.
static void
test_cache_option (void **state)
{
    (void) state;
    const char *good [] = {
        REQUESTER ("\"cache\": {\"ttl_ms\": 1000}"),
        REQUESTER ("\"cache\": {\"ttl_ms\": 1, \"beta\": 0.5, \"max_entries\": 1}, \"fallback\": \"f\""),
    };
    for (size_t i = 0; i < sizeof good / sizeof good [0]; i++) {
        models_t *models = s_accepts (good [i]);
        models_destroy (&models);
    }
    const char *where = "connection_models.out.pricing";
    s_refuses (REQUESTER ("\"cache\": true"), where, "'cache' must be an object");
    s_refuses (REQUESTER ("\"cache\": {}"), where, "'cache' needs 'ttl_ms'");
    s_refuses (REQUESTER ("\"cache\": {\"ttl_ms\": -5}"), where, "'cache.ttl_ms' must be a whole number");
    s_refuses (REQUESTER ("\"cache\": {\"ttl_ms\": 5, \"beta\": 0}"), where, "'cache.beta' must be a number above 0");
    s_refuses (REQUESTER ("\"cache\": {\"ttl_ms\": 5, \"max_entries\": 2.5}"), where, "'cache.max_entries'");
    s_refuses (REQUESTER ("\"cache\": {\"ttl_ms\": 5, \"lru\": 3}"), where, "'cache' has unknown key 'lru'");
    s_refuses (REQUESTER ("\"durable\": true, \"cache\": {\"ttl_ms\": 5}"), where,
               "'cache' does not apply to a durable requester");
    s_refuses (IN_ORDERS (REPLYER (", \"optional_creation_arguments\": {\"cache\": {\"ttl_ms\": 5}}")),
               "connection_models.in.orders", "cache");
}

int
main (void)
{
    const struct CMUnitTest tests [] = {
        cmocka_unit_test (test_full_document),
        cmocka_unit_test (test_small_documents),
        cmocka_unit_test (test_kind_names),
        cmocka_unit_test (test_document_errors),
        cmocka_unit_test (test_entry_errors),
        cmocka_unit_test (test_creation_errors),
        cmocka_unit_test (test_resilience_options),
        cmocka_unit_test (test_argument_errors),
        cmocka_unit_test (test_link_options),
        cmocka_unit_test (test_merge),
        cmocka_unit_test (test_merge_errors),
        cmocka_unit_test (test_cache_option),
    };
    return cmocka_run_group_tests (tests, NULL, NULL);
}
