/*  reload.c - the config read again while the service runs (Deadbeat's
    inotify): on SIGHUP, or when the -c file changes on disk.

    @discuss
    The watch is on the file's directory (inotify), not the file: an editor
    that saves by writing a new file and renaming it over the old one
    replaces the inode a watch on the file would follow. Events for the
    file's name (a close after writing, a rename onto it) and for names
    starting with ".." (Kubernetes swaps a ConfigMap's files by renaming
    its "..data" link) start a short settle timer, so a burst of events is
    one reload. Where inotify is unavailable the file's stat (inode, size,
    mtime) is polled every RELOAD_POLL_MS; the environment variable
    SVCFW_RELOAD_POLL_MS forces polling at that period (for tests).

    A reload runs on the loop thread, as startup does: the file, svcfw's own
    keys, the command line's overrides (they still win), svcfw_setup_config,
    validation. A config that fails is logged (one line naming the file and
    the key or line) and the old one stays. A config equal to the one in
    force changes nothing. Otherwise the plugin's svcfw_reconfigure, if
    exported, sees it first and may refuse it (non-zero: logged, the old one
    stays); then it becomes the config in force (api_config_set: each
    handler sees it from its next call on) and its log levels apply.
    @end
*/
#include <czmq.h>
#include <errno.h>
#include <libgen.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"
#include "log.h"

#define RELOAD_POLL_MS 500      //  the polling period without inotify
#define S_SETTLE_MS 50          //  events closer than this are one reload

struct _reload_t {
    int inotify_fd;             //  -1 when polling
    char *dir;                  //  the -c file's directory; owned
    char *name;                 //  its file name; owned
    int settle_timer;           //  a reload due, or -1
    int poll_timer;             //  polling's timer, or -1
    struct stat last;           //  polling: the file's stat at the last look
    bool last_ok;               //  polling: `last` holds a stat
};

static bool
s_changed (reload_t *reload, const char *path)
{
    struct stat now;
    bool ok = stat (path, &now) == 0;
    bool changed = ok != reload->last_ok
                || (ok && (now.st_ino != reload->last.st_ino || now.st_dev != reload->last.st_dev
                        || now.st_size != reload->last.st_size
                        || now.st_mtim.tv_sec != reload->last.st_mtim.tv_sec
                        || now.st_mtim.tv_nsec != reload->last.st_mtim.tv_nsec));
    reload->last_ok = ok;
    if (ok)
        reload->last = now;
    return changed;
}

void
reload_run (service_t *self, const char *why)
{
    const char *path = self->opts->config_path;
    if (!path) {
        log_info ("%s: no -c file: nothing to reload", why);
        return;
    }
    char err [ERR_LEN] = "";
    int console, file;
    cJSON *config = wiring_config_reload (self, &console, &file, err);
    if (!config) {
        log_error ("%s; keeping the config in force (%s)", err, why);
        return;
    }
    if (cJSON_Compare (config, self->config, true)) {
        cJSON_Delete (config);
        if (log_open (NULL, console, NULL, file, err))
            log_error ("%s", err);
        log_debug ("%s: config unchanged (%s)", path, why);
        return;
    }
    svcfw_reconfigure_fn *hook = plugin_hooks (self->plugin)->reconfigure;
    if (hook) {
        svcfw_ctx *ctx = &self->loop_ctx;
        api_ctx_reset (ctx, NULL);
        log_set_workflow_id (NULL);
        int rc = hook (ctx, config);
        log_set_workflow_id (NULL);
        if (rc) {
            log_error ("%s: svcfw_reconfigure refused the new config (returned %d)%s%s; keeping the config in "
                       "force (%s)", path, rc, ctx->failed? ": ": "", ctx->failed? ctx->fail: "", why);
            cJSON_Delete (config);
            return;
        }
    }
    if (api_config_set (self, config)) {
        log_error ("%s: out of memory; keeping the config in force (%s)", path, why);
        cJSON_Delete (config);
        return;
    }
    if (log_open (NULL, console, NULL, file, err))
        log_error ("%s", err);
    log_info ("%s: config reloaded (%s)", path, why);
}

static int
s_on_settled (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    service_t *self = arg;
    self->reload->settle_timer = -1;
    if (!atomic_load (&self->stopping))
        reload_run (self, "the file changed");
    return 0;
}

static int
s_on_inotify (zloop_t *loop, zmq_pollitem_t *item, void *arg)
{
    service_t *self = arg;
    reload_t *reload = self->reload;
    char buffer [4096] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
    bool ours = false;
    //  Bounded: the fd is non-blocking, and each read takes what is queued.
    for (int reads = 0; reads < 64; reads++) {
        ssize_t len = read (item->fd, buffer, sizeof buffer);
        if (len <= 0)
            break;
        for (char *at = buffer; at < buffer + len; ) {
            const struct inotify_event *event = (const struct inotify_event *) at;
            if (event->len && (strcmp (event->name, reload->name) == 0 || strncmp (event->name, "..", 2) == 0))
                ours = true;
            if (event->mask & IN_IGNORED)
                log_warning ("%s: the directory of the -c file is gone; SIGHUP still reloads", reload->dir);
            at += sizeof *event + event->len;
        }
    }
    if (ours && reload->settle_timer < 0)
        reload->settle_timer = zloop_timer (loop, S_SETTLE_MS, 1, s_on_settled, self);
    return 0;
}

static int
s_on_poll (zloop_t *loop, int timer_id, void *arg)
{
    (void) loop;
    (void) timer_id;
    service_t *self = arg;
    if (s_changed (self->reload, self->opts->config_path) && !atomic_load (&self->stopping))
        reload_run (self, "the file changed");
    return 0;
}

int
reload_start (service_t *self, char *err)
{
    const char *path = self->opts->config_path;
    if (!path)
        return 0;
    reload_t *reload = self->reload = calloc (1, sizeof *reload);
    if (!reload)
        return err_set (err, "out of memory");
    reload->inotify_fd = -1;
    reload->settle_timer = -1;
    reload->poll_timer = -1;
    char *copy_dir = strdup (path), *copy_name = strdup (path);
    if (copy_dir && copy_name) {
        reload->dir = strdup (dirname (copy_dir));
        reload->name = strdup (basename (copy_name));
    }
    free (copy_dir);
    free (copy_name);
    if (!reload->dir || !reload->name)
        return err_set (err, "out of memory");

    const char *forced = getenv ("SVCFW_RELOAD_POLL_MS");
    int poll_ms = forced && atoi (forced) > 0? atoi (forced): RELOAD_POLL_MS;
    if (!forced) {
        reload->inotify_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
        if (reload->inotify_fd >= 0
        &&  inotify_add_watch (reload->inotify_fd, reload->dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
            log_warning ("%s: cannot watch with inotify (%s); polling every %d ms", reload->dir,
                         strerror (errno), poll_ms);
            close (reload->inotify_fd);
            reload->inotify_fd = -1;
        }
        else
        if (reload->inotify_fd < 0)
            log_warning ("inotify unavailable (%s); polling %s every %d ms", strerror (errno), path, poll_ms);
    }
    if (reload->inotify_fd >= 0) {
        zmq_pollitem_t item = { NULL, reload->inotify_fd, ZMQ_POLLIN, 0 };
        if (zloop_poller (self->loop, &item, s_on_inotify, self))
            return err_set (err, "cannot register with the event loop");
        log_debug ("watching %s for changes of %s (inotify)", reload->dir, reload->name);
        return 0;
    }
    s_changed (reload, path);
    reload->poll_timer = zloop_timer (self->loop, (size_t) poll_ms, 0, s_on_poll, self);
    if (reload->poll_timer < 0)
        return err_set (err, "cannot register with the event loop");
    log_debug ("polling %s for changes every %d ms", path, poll_ms);
    return 0;
}

void
reload_stop (service_t *self)
{
    reload_t *reload = self->reload;
    if (!reload)
        return;
    if (reload->inotify_fd >= 0) {
        if (self->loop) {
            zmq_pollitem_t item = { NULL, reload->inotify_fd, ZMQ_POLLIN, 0 };
            zloop_poller_end (self->loop, &item);
        }
        close (reload->inotify_fd);
    }
    if (self->loop && reload->settle_timer >= 0)
        zloop_timer_end (self->loop, reload->settle_timer);
    if (self->loop && reload->poll_timer >= 0)
        zloop_timer_end (self->loop, reload->poll_timer);
    free (reload->dir);
    free (reload->name);
    free (reload);
    self->reload = NULL;
}
