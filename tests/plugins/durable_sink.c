/*  durable_sink - test plugin: a dedupe replyer whose handler appends each message id to a file.

    The handler is idempotent per message id, as a handler with an outside
    effect must be (docs/resilience.md): the dedupe inbox answers repeats
    without calling it, but a SIGKILL between its append and the inbox's
    commit makes it see that id again, and it then skips an id that is
    already the file's last line. It logs "skipped repeat ID" when it does.

    Config: out_file (str, required).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "svcfw.h"

SVCFW_PLUGIN ({
    "config_model": {"required": {"out_file": "str"}, "optional": {}},
    "connection_models": {
        "in": {
            "events": {
                "connection_type": "replyer",
                "required_creation_arguments": {"on_new_request": "on_event", "dedupe": true},
                "optional_creation_arguments": {},
                "required_arguments": {"n": "int"},
                "optional_arguments": {},
                "required_return_arguments": {"n": "int"},
                "optional_return_arguments": {}
            }
        },
        "out": {}
    }
});

static int s_fd = -1;
static char s_last [256];       //  the file's last line: the last id appended

//  Reads the last line of the file into s_last (empty file: "").
static int
s_read_last_line (const char *path)
{
    FILE *file = fopen (path, "r");
    if (!file)
        return errno == ENOENT? 0: -1;
    char line [256];
    while (fgets (line, sizeof line, file)) {
        line [strcspn (line, "\n")] = 0;
        snprintf (s_last, sizeof s_last, "%s", line);
    }
    fclose (file);
    return 0;
}

int
svcfw_init (svcfw_ctx *ctx)
{
    const char *path = cJSON_GetObjectItem (svcfw_config (ctx), "out_file")->valuestring;
    if (s_read_last_line (path))
        return svcfw_fail (ctx, "cannot read %s: %s", path, strerror (errno));
    s_fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (s_fd < 0)
        return svcfw_fail (ctx, "cannot open %s: %s", path, strerror (errno));
    svcfw_log (ctx, SVCFW_LOG_INFO, "appending to %s after \"%s\"", path, s_last);
    return 0;
}

int
on_event (svcfw_ctx *ctx, const cJSON *args, cJSON **return_args)
{
    const char *id = svcfw_message_id (ctx);
    if (!*id)
        return svcfw_fail (ctx, "a message without a message id");
    if (strcmp (id, s_last) == 0)
        svcfw_log (ctx, SVCFW_LOG_INFO, "skipped repeat %s", id);
    else {
        char line [256];
        int len = snprintf (line, sizeof line, "%s\n", id);
        //  One write(2) per line: a SIGKILL leaves whole lines.
        if (write (s_fd, line, (size_t) len) != len)
            return svcfw_fail (ctx, "cannot append %s: %s", id, strerror (errno));
        snprintf (s_last, sizeof s_last, "%s", id);
    }
    *return_args = cJSON_CreateObject ();
    cJSON_AddNumberToObject (*return_args, "n", cJSON_GetObjectItem (args, "n")->valueint);
    return 0;
}

void
svcfw_sigint (svcfw_ctx *ctx, int signum)
{
    (void) ctx;
    (void) signum;
    if (s_fd >= 0)
        close (s_fd);
    s_fd = -1;
}
