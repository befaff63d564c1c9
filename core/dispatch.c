/*  dispatch.c - what connections and states call back: a handler call for
    an inbound message, a fault counted and logged, a store file's path,
    the stop descriptors.

    Handlers are called on the loop thread, one at a time, with the loop's
    ctx (runtime.h).
*/
#include <czmq.h>
#include <inttypes.h>
#include <sys/random.h>
#include <time.h>

#include "runtime.h"
#include "crash.h"
#include "log.h"

//  A version-4 UUID from a per-thread xorshift generator seeded by the
//  kernel: leading edges may make one per message, and a syscall each would
//  cost more than the message.
void
service_uuid (char *out)
{
    static __thread uint64_t state [2];
    if (!state [0] && !state [1]) {
        if (getrandom (state, sizeof state, 0) != sizeof state)
            state [0] = (uint64_t) time (NULL) ^ (uint64_t) (uintptr_t) &state;
        state [1] |= 1;
    }
    unsigned char bytes [16];
    for (int half = 0; half < 2; half++) {
        uint64_t s1 = state [0];
        const uint64_t s0 = state [1];
        state [0] = s0;
        s1 ^= s1 << 23;
        state [1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        uint64_t value = state [1] + s0;
        memcpy (bytes + 8 * half, &value, 8);
    }
    bytes [6] = (bytes [6] & 0x0F) | 0x40;
    bytes [8] = (bytes [8] & 0x3F) | 0x80;
    static const char hex [] = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out [o++] = '-';
        out [o++] = hex [bytes [i] >> 4];
        out [o++] = hex [bytes [i] & 15];
    }
    out [o] = 0;
}

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

int
service_call (service_t *self, svcfw_handler_fn *handler, const cJSON *args,
              const char *workflow_id, cJSON **return_args, char *err)
{
    return service_call_message (self, handler, args, workflow_id, NULL, return_args, err);
}

int
service_call_message (service_t *self, svcfw_handler_fn *handler, const cJSON *args,
                      const char *workflow_id, const char *message_id, cJSON **return_args, char *err)
{
    svcfw_ctx *ctx = &self->loop_ctx;
    if (!workflow_id) {
        service_uuid (ctx->message_id_buf);
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

const char *
service_workflow_id (service_t *self)
{
    return self->loop_ctx.message_id;
}

void
service_fault (const char *name, uint64_t *counts, fault_t fault, const char *detail)
{
    uint64_t count = ++counts [fault];
    if (count == 1)
        log_warning ("%s: dropped %s: %s (first of its kind; later ones are logged at DEBUG)",
                     name, fault_name (fault), detail);
    else
        log_debug ("%s: dropped %s (%" PRIu64 " so far): %s", name, fault_name (fault), count, detail);
}

int
service_stop_fd (service_t *self)
{
    return self->stop_fd;
}

int
service_signal_fd (service_t *self)
{
    return self->signal_fd;
}

bool
service_stopping (service_t *self)
{
    return atomic_load (&self->stopping);
}

int
service_store_path (service_t *self, const model_t *model, const char *key, const char *kind,
                    char *path, size_t size, char *err)
{
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
