/*  breaker.c - a circuit breaker for one outbound connection (Hystrix's state machine).

    @discuss
    The rolling window is ten buckets of window_ms / 10, as Hystrix's
    metrics.rollingStats: a bucket is keyed by its number since the clock's
    epoch, so a bucket older than the window is recognised by its key and
    never needs a timer to clear it.
    @end
*/
#include <czmq.h>
#include "breaker.h"
#include "log.h"

#define S_BUCKETS 10

typedef struct {
    int64_t key;                //  now / bucket_ms when it was last used
    int ok;
    int failed;
} s_bucket_t;

struct _breaker_t {
    char name [128];            //  the connection, for log lines
    breaker_config_t config;
    breaker_clock_fn *now_ms;
    void *clock_arg;
    int64_t bucket_ms;
    s_bucket_t buckets [S_BUCKETS];
    breaker_state_t state;
    int64_t opened_at;          //  when it last opened
    bool trial;                 //  half-open: the trial call is out
};

const char *
breaker_state_name (breaker_state_t state)
{
    return state == BREAKER_CLOSED? "closed": state == BREAKER_OPEN? "open": "half-open";
}

//  Reads one integer key of a breaker object into *out, checking its range.
static int
s_parse_key (const cJSON *object, const char *key, int min, int max, int *out, char *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive (object, key);
    if (!item)
        return 0;
    if (!cJSON_IsNumber (item) || item->valuedouble != (double) (int64_t) item->valuedouble)
        return err_set (err, "'breaker.%s' must be an int", key);
    if (item->valuedouble < min || item->valuedouble > max)
        return err_set (err, "'breaker.%s' must be in %d..%d, got %g", key, min, max, item->valuedouble);
    *out = (int) item->valuedouble;
    return 0;
}

int
breaker_config_parse (const cJSON *value, breaker_config_t *config, bool *enabled, char *err)
{
    *config = BREAKER_DEFAULTS;
    *enabled = false;
    if (!value || cJSON_IsFalse (value))
        return 0;
    *enabled = true;
    if (cJSON_IsTrue (value))
        return 0;
    if (!cJSON_IsObject (value))
        return err_set (err, "'breaker' must be true, false or an object "
                             "{window_ms, min_requests, error_percent, open_ms}");
    static const char *const keys [] = { "window_ms", "min_requests", "error_percent", "open_ms" };
    const cJSON *item;
    cJSON_ArrayForEach (item, value) {
        bool known = false;
        for (int i = 0; i < 4; i++)
            known |= strcmp (item->string, keys [i]) == 0;
        if (!known)
            return err_set (err, "'breaker' has unknown key '%s' (known: window_ms, min_requests, "
                                 "error_percent, open_ms)", item->string);
    }
    if (s_parse_key (value, "window_ms", 10, INT32_MAX, &config->window_ms, err)
    ||  s_parse_key (value, "min_requests", 1, INT32_MAX, &config->min_requests, err)
    ||  s_parse_key (value, "error_percent", 1, 100, &config->error_percent, err)
    ||  s_parse_key (value, "open_ms", 1, INT32_MAX, &config->open_ms, err))
        return -1;
    return 0;
}

static int64_t
s_mono_ms (void *arg)
{
    (void) arg;
    return zclock_mono ();
}

breaker_t *
breaker_new (const char *name, const breaker_config_t *config, breaker_clock_fn *now_ms, void *clock_arg)
{
    breaker_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    snprintf (self->name, sizeof self->name, "%s", name);
    self->config = *config;
    self->now_ms = now_ms? now_ms: s_mono_ms;
    self->clock_arg = clock_arg;
    self->bucket_ms = config->window_ms / S_BUCKETS;
    if (self->bucket_ms < 1)
        self->bucket_ms = 1;
    for (int i = 0; i < S_BUCKETS; i++)
        self->buckets [i].key = INT64_MIN;
    self->state = BREAKER_CLOSED;
    return self;
}

void
breaker_destroy (breaker_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free (*self_p);
    *self_p = NULL;
}

breaker_state_t
breaker_state (const breaker_t *self)
{
    return self->state;
}

static void
s_clear_window (breaker_t *self)
{
    for (int i = 0; i < S_BUCKETS; i++)
        self->buckets [i] = (s_bucket_t) { INT64_MIN, 0, 0 };
}

//  Sums the buckets still inside the window that ends at `now`.
static void
s_window (const breaker_t *self, int64_t now, int *ok, int *failed)
{
    int64_t current = now / self->bucket_ms;
    *ok = *failed = 0;
    for (int i = 0; i < S_BUCKETS; i++)
        if (self->buckets [i].key > current - S_BUCKETS && self->buckets [i].key <= current) {
            *ok += self->buckets [i].ok;
            *failed += self->buckets [i].failed;
        }
}

bool
breaker_allow (breaker_t *self, char *why)
{
    if (self->state == BREAKER_CLOSED)
        return true;
    int64_t now = self->now_ms (self->clock_arg);
    if (self->state == BREAKER_OPEN) {
        int64_t open_for = now - self->opened_at;
        if (open_for >= self->config.open_ms) {
            self->state = BREAKER_HALF_OPEN;
            self->trial = true;
            log_info ("%s: circuit half-open: one trial call after %" PRId64 " ms open",
                      self->name, open_for);
            return true;
        }
        err_set (why, "circuit open (for %" PRId64 " ms; next trial in %" PRId64 " ms)",
                 open_for, self->config.open_ms - open_for);
        return false;
    }
    if (!self->trial) {             //  half-open, trial not yet taken
        self->trial = true;
        return true;
    }
    err_set (why, "circuit open (half-open: a trial call is in flight)");
    return false;
}

void
breaker_record (breaker_t *self, bool success)
{
    int64_t now = self->now_ms (self->clock_arg);
    if (self->state == BREAKER_HALF_OPEN) {
        self->trial = false;
        if (success) {
            self->state = BREAKER_CLOSED;
            s_clear_window (self);
            log_info ("%s: circuit closed: the trial call succeeded", self->name);
        }
        else {
            self->state = BREAKER_OPEN;
            self->opened_at = now;
            log_warning ("%s: circuit open again: the trial call failed; failing fast for %d ms",
                         self->name, self->config.open_ms);
        }
        return;
    }
    if (self->state == BREAKER_OPEN)
        return;                     //  a call allowed before it opened: already judged

    int64_t key = now / self->bucket_ms;
    s_bucket_t *bucket = &self->buckets [(uint64_t) key % S_BUCKETS];
    if (bucket->key != key)
        *bucket = (s_bucket_t) { key, 0, 0 };
    if (success)
        bucket->ok++;
    else
        bucket->failed++;
    if (success)
        return;
    int ok, failed;
    s_window (self, now, &ok, &failed);
    int total = ok + failed;
    if (total >= self->config.min_requests
    &&  (int64_t) failed * 100 >= (int64_t) self->config.error_percent * total) {
        self->state = BREAKER_OPEN;
        self->opened_at = now;
        log_warning ("%s: circuit open: %d of %d calls failed in the last %d ms; failing fast for %d ms",
                     self->name, failed, total, self->config.window_ms, self->config.open_ms);
    }
}
