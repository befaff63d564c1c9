/*  dispatch.c - the host side of connections/host.h: what connections and
    states call back (a handler call for an inbound message, the workflow id
    being handled, a store file's path, whether a stop began).

    Handlers are called on the loop thread, one at a time, with the loop's
    ctx (runtime.h).
*/
#include <czmq.h>

#include "runtime.h"
#include "crash.h"
#include "log.h"
#include "uuid.h"

//  Tells the crash report (crash.h) which call runs now: the entry whose
//  handler this is (the first, if several share it), its function name and
//  the workflow id.
static void
s_crash_record (service_t *self, svcfw_handler_fn *handler, const char *workflow_id)
{
    const entry_t *entry = NULL;
    for (int i = 0; i < self->entry_count && !entry; i++)
        if (self->entries [i].handler == handler)
            entry = &self->entries [i];
    crash_call_begin (entry? entry->model->name: NULL, entry? entry->handler_name: NULL, workflow_id);
}

static int
s_call (void *arg, svcfw_handler_fn *handler, const cJSON *args, const char *workflow_id,
        const char *message_id, cJSON **return_args, char *err)
{
    service_t *self = arg;
    svcfw_ctx *ctx = &self->loop_ctx;
    if (!workflow_id) {
        uuid_make (ctx->message_id_buf);
        workflow_id = ctx->message_id_buf;
    }
    api_ctx_reset (ctx, workflow_id);
    ctx->msg_id_in = message_id;
    log_set_workflow_id (workflow_id);
    *return_args = NULL;
    s_crash_record (self, handler, workflow_id);
    int rc = handler (ctx, args, return_args);
    crash_call_end ();
    log_set_workflow_id (workflow_id);      //  sends set it to their own ids
    if (rc != 0) {
        cJSON_Delete (*return_args);
        *return_args = NULL;
        return err_set (err, "%s", ctx->failed? ctx->fail: "handler failed without a reason (use svcfw_fail)");
    }
    return 0;
}

static const char *
s_workflow_id (void *arg)
{
    service_t *self = arg;
    return self->loop_ctx.message_id;
}

static bool
s_stopping (void *arg)
{
    service_t *self = arg;
    return atomic_load (&self->stopping);
}

static int
s_store_path (void *arg, const model_t *model, const char *key, const char *kind,
              char *path, size_t size, char *err)
{
    service_t *self = arg;
    const char *given = model_string (model, key, NULL);
    int len;
    if (given)
        len = snprintf (path, size, "%s", given);
    else {
        //  Beside the config file, else in the working directory.
        const char *config = self->opts->config_path;
        const char *slash = config? strrchr (config, '/'): NULL;
        int dir_len = slash? (int) (slash - config) + 1: 0;
        len = snprintf (path, size, "%.*s%s.%s.%s.db", dir_len, config? config: "",
                        plugin_name (self->plugin), model->name, kind);
    }
    if (len < 0 || (size_t) len >= size)
        return err_set (err, "%s: the %s path is longer than %zu bytes", model->where, kind, size - 1);
    return 0;
}

void
dispatch_host_init (service_t *self)
{
    self->host = (host_t) {
        .arg = self,
        .call = s_call,
        .workflow_id = s_workflow_id,
        .store_path = s_store_path,
        .stopping = s_stopping,
        .stop_fd = self->stop_fd,
        .signal_fd = self->signal_fd,
    };
}
